/**
 * worker-task — all the work one batch needs after line splitting, as one pure
 * function, so it runs the same in-process or in a worker thread.
 *
 * processBatch: parse → validate → map → serialize (parseBatch, validateBatch,
 * mapBatch, serializeBatch), and, for a byte-text batch (lib/byte-text.ts), the
 * checks that make byte text safe: a line that may parse differently as bytes is
 * decoded first, and a line that ends in an error as bytes is decoded and redone,
 * so every error carries the messages and text of the decoded line.
 *
 * toTask / fromTask / toResult / applyResult: what crosses a thread boundary. A
 * task carries a batch's lines (columns of typed arrays plus the texts); a result
 * carries the routing of each line, the changed texts and rows, and the output
 * bytes, which are transferred rather than copied. Applying a result to the batch
 * the task came from leaves it as processBatch would have.
 *
 *   const context = makeBatchContext({ preset: 'qa-internal', failFast: false });
 *   processBatch(batch, context);      // batch.output is set
 *
 *   // main thread                         // worker
 *   const { task, transfer } = toTask(batch);   const processed = processBatch(fromTask(task), context);
 *   port.postMessage(task, transfer);      →    post(toResult(processed, task));
 *   applyResult(batch, result);            ←
 */
import { type Batch, type Channel, type Entry, type Row, cutAtFirstError, markError, newEntry } from './batch';
import { fromByteText, needsDecoding } from './byte-text';
import { QaHfError, type ErrorCode, type RecordErrorCode } from './errors';
import { isByteTextBatch, setByteTextBatch } from './lines';
import { mapBatch } from './map';
import { booleanOption } from './options';
import { parseBatch, parseEntry } from './parse';
import { DEFAULT_PRESET, getPreset, type Preset } from './presets';
import { compileSchema, type RecordValidator, validateBatch } from './schema';
import { type JsonlWriters, makeJsonlWriters, type OutputBytes, outputBytes, outputFromBytes, serializeBatch } from './serialize';

export interface BatchContextOptions {
  /** Preset name. Default qa-internal. */
  preset?: string;
  /** JSON Schema object replacing the preset's. */
  schema?: object;
  /** Cut each batch before its first bad line (see cutAtFirstError). Default false. */
  failFast?: boolean;
  /**
   * Keep `row` (and the text) of pairs and rejected entries once serialized.
   * Default true. False: `row` is null and `text` is '' for them afterwards, which
   * is all the pipe mode needs and lets the rows stay byte text.
   */
  keepRows?: boolean;
}

export interface BatchContext {
  preset: Preset;
  validate: RecordValidator;
  writers: JsonlWriters;
  failFast: boolean;
  keepRows: boolean;
}

/** Checks the options (not the schema) and resolves the preset; throws ERR_OPTION. */
export function checkBatchOptions(options: BatchContextOptions = {}): { preset: Preset; failFast: boolean; keepRows: boolean } {
  const preset = getPreset(options.preset ?? DEFAULT_PRESET);
  // Checked by the one normalizer (lib/options.ts).
  const failFast = booleanOption('failFast', options.failFast, false);
  const keepRows = booleanOption('keepRows', options.keepRows, true);
  return { preset, failFast, keepRows };
}

/** Checks the options and compiles the schema (ERR_SCHEMA_FILE) once, before any batch. */
export function makeBatchContext(options: BatchContextOptions = {}): BatchContext {
  const { preset, failFast, keepRows } = checkBatchOptions(options);
  const validate = compileSchema(options.schema ?? preset.schema);
  return { preset, validate, writers: makeJsonlWriters(preset), failFast, keepRows };
}

/** Processes a batch from the line splitter; sets `output`, routes every entry. */
export function processBatch(batch: Batch, context: BatchContext): Batch {
  const entries = batch.entries;
  let byteRows: Uint8Array | null = null;
  if (isByteTextBatch(batch)) {
    setByteTextBatch(batch, false); // from here on, byteRows says which lines are bytes
    byteRows = new Uint8Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (entry.channel !== null) continue; // blank (ASCII) or an error: already decoded
      if (needsDecoding(entry.text)) entry.text = fromByteText(entry.text);
      else byteRows[i] = 1;
    }
  }
  parseBatch(batch);
  validateBatch(batch, context.validate);
  mapBatch(batch, context.preset);
  if (byteRows !== null) {
    for (let i = 0; i < entries.length; i++) {
      if (byteRows[i] === 1 && entries[i].channel === 'errors') {
        byteRows[i] = 0;
        redoDecoded(batch, entries[i], context);
      }
    }
  }
  serializeBatch(batch, context.writers, context.failFast, byteRows);
  // The batch may have been cut (fail-fast): only its first entries.length rows remain.
  for (let i = 0; i < batch.entries.length; i++) {
    const entry = batch.entries[i];
    entry.value = undefined;
    if (entry.channel !== 'pairs' && entry.channel !== 'rejected') continue;
    if (!context.keepRows) {
      entry.row = null;
      entry.text = '';
    } else if (byteRows !== null && byteRows[i] === 1) {
      entry.text = fromByteText(entry.text);
      entry.row = decodeRow(entry.row!);
    }
  }
  return batch;
}

/** Runs one entry of byte text again from its decoded text, so its error is the real one. */
function redoDecoded(batch: Batch, entry: Entry, context: BatchContext): void {
  entry.text = fromByteText(entry.text);
  entry.value = undefined;
  entry.row = null;
  entry.channel = null;
  entry.errorCode = null;
  entry.errorMessage = null;
  const single: Batch = { ...batch, entries: [entry], output: null, stop: null };
  parseEntry(entry);
  validateBatch(single, context.validate);
  mapBatch(single, context.preset);
}

function decodeRow(row: Row): Row {
  const decoded: Row = {};
  for (const [key, value] of Object.entries(row)) decoded[key] = typeof value === 'string' ? fromByteText(value) : value;
  return decoded;
}

// ---- across threads ----

/** Channels as small integers, in a Uint8Array per batch. */
const CHANNELS: readonly (Channel | null)[] = [null, 'pairs', 'rejected', 'errors', 'blank'];
const CHANNEL_CODES = new Map(CHANNELS.map((channel, code) => [channel, code]));
const UNTERMINATED = 0x80;

export interface BatchTask {
  file: string;
  byteText: boolean;
  endOffset: number;
  endLine: number;
  fileEnd: boolean;
  texts: string[];
  lines: Float64Array;
  offsets: Float64Array;
  /** Channel code, | UNTERMINATED. */
  flags: Uint8Array;
  /** Entries the splitter already routed to `errors`: [index, code, message]. */
  errors: Array<[number, RecordErrorCode, string]>;
}

export interface BatchResult {
  /** Channel code per entry left after a fail-fast cut. */
  channels: Uint8Array;
  /** Error entries: [index, code, message]. */
  errors: Array<[number, RecordErrorCode, string]>;
  /** Entries whose text changed: [index, text]. */
  texts: Array<[number, string]>;
  /** Rows of pairs and rejected entries when kept: [index, row]. */
  rows: Array<[number, Row]>;
  /** Present when fail-fast cut the batch: the bad line that stops the run. */
  stop: Batch['stop'];
  output: OutputBytes;
}

/** What a worker needs of a batch; `transfer` lists the buffers to move rather than copy. */
export function toTask(batch: Batch): { task: BatchTask; transfer: ArrayBuffer[] } {
  const count = batch.entries.length;
  const task: BatchTask = {
    file: batch.file,
    byteText: isByteTextBatch(batch),
    endOffset: batch.endOffset,
    endLine: batch.endLine,
    fileEnd: batch.fileEnd,
    texts: new Array<string>(count),
    lines: new Float64Array(count),
    offsets: new Float64Array(count),
    flags: new Uint8Array(count),
    errors: [],
  };
  for (let i = 0; i < count; i++) {
    const entry = batch.entries[i];
    task.texts[i] = entry.text;
    task.lines[i] = entry.line;
    task.offsets[i] = entry.offset;
    task.flags[i] = CHANNEL_CODES.get(entry.channel)! | (entry.unterminated ? UNTERMINATED : 0);
    if (entry.channel === 'errors') task.errors.push([i, entry.errorCode!, entry.errorMessage!]);
  }
  return { task, transfer: [task.lines.buffer as ArrayBuffer, task.offsets.buffer as ArrayBuffer, task.flags.buffer as ArrayBuffer] };
}

/** The batch a task stands for, as the splitter made it. */
export function fromTask(task: BatchTask): Batch {
  const entries: Entry[] = new Array(task.texts.length);
  for (let i = 0; i < entries.length; i++) {
    const flags = task.flags[i];
    const entry = newEntry(task.lines[i], task.offsets[i], task.texts[i], (flags & UNTERMINATED) !== 0);
    entry.channel = CHANNELS[flags & ~UNTERMINATED];
    entries[i] = entry;
  }
  for (const [index, code, message] of task.errors) markError(entries[index], code, message);
  const batch: Batch = {
    file: task.file,
    entries,
    endOffset: task.endOffset,
    endLine: task.endLine,
    fileEnd: task.fileEnd,
    output: null,
    stop: null,
  };
  setByteTextBatch(batch, task.byteText);
  return batch;
}

/** The outcome of processing `batch` (made by fromTask(task)); `transfer` moves the output bytes. */
export function toResult(batch: Batch, task: BatchTask): { result: BatchResult; transfer: ArrayBuffer[] } {
  const count = batch.entries.length;
  const result: BatchResult = {
    channels: new Uint8Array(count),
    errors: [],
    texts: [],
    rows: [],
    stop: batch.stop,
    output: outputBytes(batch.output!) as OutputBytes,
  };
  for (let i = 0; i < count; i++) {
    const entry = batch.entries[i];
    result.channels[i] = CHANNEL_CODES.get(entry.channel)!;
    if (entry.channel === 'errors') result.errors.push([i, entry.errorCode!, entry.errorMessage!]);
    if (entry.text !== task.texts[i]) result.texts.push([i, entry.text]);
    if (entry.row !== null) result.rows.push([i, entry.row]);
  }
  const transfer = [result.channels.buffer as ArrayBuffer];
  for (const bytes of Object.values(result.output)) {
    // Only a buffer that owns its memory can move; an empty one is not worth it.
    if (bytes.length > 0 && bytes.byteOffset === 0 && !transfer.includes(bytes.buffer as ArrayBuffer)) transfer.push(bytes.buffer as ArrayBuffer);
  }
  return { result, transfer };
}

/** Makes `batch` (the one the task came from) what processBatch would have made it. */
export function applyResult(batch: Batch, result: BatchResult): Batch {
  const entries = batch.entries;
  const kept = result.channels.length;
  for (let i = 0; i < kept; i++) {
    const entry = entries[i];
    entry.channel = CHANNELS[result.channels[i]];
    entry.value = undefined;
    entry.row = null;
  }
  for (const [index, code, message] of result.errors) markError(entries[index], code, message);
  for (const [index, text] of result.texts) entries[index].text = text;
  for (const [index, row] of result.rows) entries[index].row = row;
  if (result.stop) {
    // The worker cut the batch at entry `kept`, its first error: cut the same way here.
    markError(entries[kept], result.stop.code, result.stop.message);
    cutAtFirstError(batch);
  }
  setByteTextBatch(batch, false);
  batch.output = outputFromBytes(result.output);
  return batch;
}

/** An error as it crosses a thread boundary: a QaHfError keeps its code, file, line and offset. */
export interface RemoteError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  file?: string;
  line?: number;
  byteOffset?: number;
}

/** A worker's reply to the task with sequence number `seq`. */
export type WorkerReply = { seq: number; result: BatchResult } | { seq: number; error: RemoteError };

export function toRemote(err: unknown): RemoteError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const remote: RemoteError = { name: err.name, message: err.message, stack: err.stack };
  if (err instanceof QaHfError) {
    remote.code = err.code;
    remote.file = err.file;
    remote.line = err.line;
    remote.byteOffset = err.byteOffset;
  }
  return remote;
}

export function fromRemote(remote: RemoteError): Error {
  const err =
    remote.name === 'QaHfError' && remote.code !== undefined
      ? new QaHfError(remote.code as ErrorCode, remote.message, { file: remote.file, line: remote.line, byteOffset: remote.byteOffset })
      : new Error(remote.message);
  if (remote.stack) err.stack = remote.stack;
  return err;
}
