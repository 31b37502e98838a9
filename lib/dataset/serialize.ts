/**
 * serialize — a mapped batch to JSONL bytes per output: `pairs`, `rejected` and
 * `errors` (the dead letter, one object per bad line with its provenance). A
 * segmented line writes each of its rows to the output of the row's channel.
 *
 *   {"file","line","offset","code","error","raw"}
 *
 * Rows are written straight into one growing Buffer per output, never joined into
 * one long string first: joining builds a rope that must be flattened (and, once
 * one row holds a character above U+00FF, widened to two bytes per character)
 * before it can be encoded, which cost as much as writing the rows. Rows of byte
 * text (lib/input/byte-text.ts) are copied as latin1, other rows encoded as UTF-8.
 *
 * `batch.output` keeps its contract (text per output name), but its values are
 * decoded from the bytes only when read; `outputBytes(batch.output)` gives the
 * bytes themselves, which is what the sink writes. Only the outputs asked for
 * (`serialize`, lib/options.ts serializeOption; default all) are written and
 * present: the Hub layout writes pairs and rejected rows to shards from the rows,
 * never these bytes, so it asks for `errors` alone; a writer that finds an output
 * absent writes its rows itself (streams/dataset-sink.ts).
 *
 *   serializeBatch(batch, makeJsonlWriters(QA_INTERNAL));
 *   outputBytes(batch.output!).pairs  // <Buffer 7b 22 71 …>
 */
import { type Batch, type Entry, cutAtFirstError } from '../batch';
import type { Column } from '../columns';
import { type ByteRowWriter, makeByteRowWriter, makeRowWriter, type RowWriter } from './jsonl';
import type { Preset } from '../input/presets';

export const ERROR_COLUMNS: readonly Column[] = [
  { name: 'file', type: 'string' },
  { name: 'line', type: 'int' },
  { name: 'offset', type: 'int' },
  { name: 'code', type: 'string' },
  { name: 'error', type: 'string' },
  { name: 'raw', type: 'string' },
];

/** The outputs a batch is serialized to, in the order they are written. */
export const OUTPUT_NAMES = ['pairs', 'rejected', 'errors'] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export interface JsonlWriters {
  pairs: RowWriter;
  rejected: RowWriter;
  errors: RowWriter;
  /** The same rows for entries whose row holds byte text. */
  bytePairs: ByteRowWriter;
  byteRejected: ByteRowWriter;
}

export function makeJsonlWriters(preset: Preset): JsonlWriters {
  return {
    pairs: makeRowWriter(preset.pairColumns),
    rejected: makeRowWriter(preset.rejectedColumns),
    errors: makeRowWriter(ERROR_COLUMNS),
    bytePairs: makeByteRowWriter(preset.pairColumns),
    byteRejected: makeByteRowWriter(preset.rejectedColumns),
  };
}

/** Smallest first allocation of an output buffer; most batches then never grow. */
const MIN_OUTPUT_BYTES = 16 << 10;
/** A UTF-16 code unit takes at most 3 UTF-8 bytes (a surrogate pair: 4 for 2). */
const MAX_UTF8_BYTES_PER_UNIT = 3;
const NEWLINE = 0x0a;

/**
 * An append-only byte buffer that doubles when full. Its memory is its own
 * ArrayBuffer (never Node's shared pool), so a worker can transfer it. (Copying
 * out of a reused scratch buffer instead cost more than the fresh memory saved.)
 */
export class ByteWriter {
  private buffer: Buffer = EMPTY;
  length = 0;

  constructor(private readonly initialBytes = MIN_OUTPUT_BYTES) {}

  /** Appends a row of byte text (one character per byte) and a newline. */
  latin1Line(text: string): void {
    this.reserve(text.length + 1);
    this.length += this.buffer.write(text, this.length, 'latin1');
    this.buffer[this.length++] = NEWLINE;
  }

  /** Appends a row as UTF-8 and a newline. */
  utf8Line(text: string): void {
    // Counting the bytes is a second pass over the text: only when the bound does not fit.
    const bound = text.length * MAX_UTF8_BYTES_PER_UNIT + 1;
    if (this.length + bound > this.buffer.length) this.reserve(Buffer.byteLength(text, 'utf8') + 1);
    this.length += this.buffer.write(text, this.length, 'utf8');
    this.buffer[this.length++] = NEWLINE;
  }

  /** The bytes written (a view, not a copy). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(needed, this.buffer.length * 2, this.initialBytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

const EMPTY = Buffer.alloc(0);

/** The bytes per output; an output not serialized (see serializeBatch's `wanted`) is absent. */
export type OutputBytes = Partial<Record<OutputName, Buffer>>;

/**
 * A serialized batch's `output`: reads as `{ pairs, rejected, errors }` (text per
 * output, decoded from the bytes on first read) and holds the bytes themselves
 * (`outputBytes`), which is what the sinks write.
 */
export class SerializedOutput {
  [name: string]: string;
  readonly #bytes: OutputBytes;

  constructor(bytes: OutputBytes) {
    this.#bytes = bytes;
    const decoded: Partial<Record<OutputName, string>> = {};
    for (const name of OUTPUT_NAMES) {
      const buffer = bytes[name];
      if (buffer === undefined) continue;
      Object.defineProperty(this, name, {
        enumerable: true,
        get: () => (decoded[name] ??= buffer.toString('utf8')),
      });
    }
  }

  static bytesOf(output: SerializedOutput): OutputBytes {
    return output.#bytes;
  }
}

/** An output record whose texts are decoded from `bytes` on first read. */
export function outputFromBytes(bytes: OutputBytes): Record<string, string> {
  return new SerializedOutput(bytes);
}

/**
 * The bytes of a batch's outputs: the serializer's as they are; texts set by other
 * code are encoded as UTF-8. An output not serialized has no key (check with `in` or `!== undefined`).
 */
export function outputBytes(output: Record<string, string>): Record<string, Buffer> {
  if (output instanceof SerializedOutput) return SerializedOutput.bytesOf(output) as Record<string, Buffer>;
  const encoded: Record<string, Buffer> = {};
  for (const [name, text] of Object.entries(output)) encoded[name] = Buffer.from(text, 'utf8');
  return encoded;
}

/**
 * Serializes every entry of the batch to its output, of the outputs `wanted`
 * (default all; the others are left out of `batch.output`). `byteRows[i]` is 1
 * when entry i's row holds byte text (the batch processor knows; default: none does).
 */
export function serializeBatch(
  batch: Batch,
  writers: JsonlWriters,
  failFast = false,
  byteRows: Uint8Array | null = null,
  wanted: readonly OutputName[] = OUTPUT_NAMES,
): Batch {
  if (failFast) cutAtFirstError(batch);
  const wantPairs = wanted.includes('pairs');
  const wantRejected = wanted.includes('rejected');
  const wantErrors = wanted.includes('errors');
  // Pairs are most of a batch, about as many bytes as its input: one allocation, sized so.
  let inputUnits = 0;
  if (wantPairs) for (const entry of batch.entries) inputUnits += entry.text.length;
  const pairs = new ByteWriter(Math.max(MIN_OUTPUT_BYTES, inputUnits + (inputUnits >> 3)));
  const rejected = new ByteWriter();
  const errors = new ByteWriter();
  const entries = batch.entries;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    const asBytes = byteRows !== null && byteRows[i] === 1;
    switch (entry.channel) {
      case 'pairs':
        if (!wantPairs) break;
        if (asBytes) pairs.latin1Line(writers.bytePairs(entry.row!, entry.value, entry.text));
        else pairs.utf8Line(writers.pairs(entry.row!));
        break;
      case 'rejected':
        if (!wantRejected) break;
        if (asBytes) rejected.latin1Line(writers.byteRejected(entry.row!, entry.value, entry.text));
        else rejected.utf8Line(writers.rejected(entry.row!));
        break;
      case 'errors':
        if (wantErrors) writeErrorRow(errors, writers.errors, batch.file, entry);
        break;
      case 'segmented':
        // A segmented line's rows, in document order (never byte text: segmentation decodes).
        for (const segment of entry.segments!) {
          if (segment.channel === 'pairs' ? wantPairs : wantRejected) (segment.channel === 'pairs' ? pairs : rejected).utf8Line((segment.channel === 'pairs' ? writers.pairs : writers.rejected)(segment.row));
        }
        break;
      case 'blank':
        break;
      default:
        // A stage was left out of the chain: say so rather than drop the line.
        throw new Error(`line ${entry.line} of ${batch.file} reached the serializer unmapped`);
    }
    entry.value = undefined; // the mapper keeps it for the byte-row writer; nothing reads it after
  }
  const bytes: OutputBytes = {};
  if (wantPairs) bytes.pairs = pairs.bytes();
  if (wantRejected) bytes.rejected = rejected.bytes();
  if (wantErrors) bytes.errors = errors.bytes();
  batch.output = outputFromBytes(bytes);
  return batch;
}

/** The dead-letter row of an error entry. Error entries always hold decoded text (the processor redoes them). */
function writeErrorRow(errors: ByteWriter, write: RowWriter, file: string, entry: Entry): void {
  errors.utf8Line(write({ file, line: entry.line, offset: entry.offset, code: entry.errorCode, error: entry.errorMessage, raw: entry.text }));
}

/**
 * The `errors` output of a batch alone: for the worker pool, whose main thread
 * numbers the lines and so writes the dead-letter rows (they carry `line`).
 */
export function serializeErrors(batch: Batch, write: RowWriter): Buffer {
  const errors = new ByteWriter(1 << 10);
  for (const entry of batch.entries) if (entry.channel === 'errors') writeErrorRow(errors, write, batch.file, entry);
  return errors.bytes();
}
