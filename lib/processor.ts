/**
 * processor — all the work one batch needs after line splitting, as one pure
 * function, so it runs the same in-process or in a worker thread (lib/worker-task.ts
 * carries it across).
 *
 * processBatch: parse → validate → [segment →] map → serialize (parseBatch,
 * validateBatch, segmentBatch with the `segment` option, mapBatch, serializeBatch), and, for a byte-text batch (lib/input/byte-text.ts), the
 * checks that make byte text safe: a line that may parse differently as bytes is
 * decoded first, and a line that ends in an error as bytes is decoded and redone,
 * so every error carries the messages and text of the decoded line.
 *
 *   const context = makeBatchContext({ preset: 'qa-internal', failFast: false });
 *   processBatch(batch, context);      // batch.output is set
 */
import type { Batch, Entry, Row } from './batch';
import { FactFinder, type FactsSpec } from './quality/facts';
import { redactText } from './quality/pii-text';
import { fromByteText, needsDecoding } from './input/byte-text';
import { optionError } from './errors';
import { mapBatch, segmentBatch } from './input/map';
import { booleanOption, serializeOption } from './options';
import { parseBatch, parseEntry } from './input/parse';
import { type MappingSpec, resolvePreset } from './input/mapping';
import { type Preset, QA_INTERNAL, SEGMENTS } from './input/presets';
import { compileSegmenter, type SegmentSpec, type Segmenter } from './input/segment';
import { compileSchema, type RecordValidator, validateBatch } from './input/schema';
import { type JsonlWriters, makeJsonlWriters, type OutputName, serializeBatch } from './dataset/serialize';

export interface BatchContextOptions {
  /** Preset name. Default qa-internal (or `config` with a mapping). */
  preset?: string;
  /**
   * A declarative mapping (lib/input/mapping.ts), plain data: compiled in each worker,
   * and used instead of the preset written in code. A shipped mapped preset
   * (`squad`, …) comes as its name and its mapping (lib/io/presets.ts withPresetMapping).
   */
  mapping?: MappingSpec;
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
  /**
   * With keepRows, keep the text (the input line) of pairs and rejected entries too.
   * Default true. An export passes false: nothing after the processor reads it,
   * and with workers it would cross the thread boundary for nothing.
   */
  keepTexts?: boolean;
  /**
   * The outputs whose JSONL bytes `batch.output` gets: pairs, rejected, errors
   * (default all; lib/options.ts serializeOption). The others are not serialized
   * and are absent from `output`; with workers, they are not sent back either.
   */
  serialize?: readonly OutputName[];
  /**
   * Segmentation (lib/input/segment.ts SegmentSpec, plain data): each valid record is a
   * document cut into segments, which the preset then maps (default preset then:
   * `segments`). Compiled once per context, so once in each worker.
   */
  segment?: SegmentSpec;
  /**
   * The quality rules' and the report's facts of every pair and rejected row
   * (lib/quality/facts.ts), found here, in the worker, instead of on the main thread. Needs
   * keepRows. Absent: none (routing and the report compute what they need).
   */
  facts?: FactsSpec;
  /**
   * --pii redact|reject: each bad line's text (the dead letter's `raw`) and message
   * (a parse error quotes the line) with every PII match replaced (lib/quality/pii-text.ts
   * redactText), here where the error is made, so no copy of it (the dead letter,
   * a rank's intermediate, a warning) holds the raw value. Default false.
   */
  redactErrors?: boolean;
}

export interface BatchContext {
  preset: Preset;
  validate: RecordValidator;
  writers: JsonlWriters;
  failFast: boolean;
  keepRows: boolean;
  keepTexts: boolean;
  serialize: readonly OutputName[];
  segmenter: Segmenter | null;
  facts: FactFinder | null;
  redactErrors: boolean;
}

/** What a document must be when no schema is given: an object (segmentBatch checks its text field). */
export const DOCUMENT_SCHEMA = { type: 'object' };

/** Checks the options (not the schema) and resolves the preset; throws ERR_OPTION (ERR_CONFIG for `segment`). */
export function checkBatchOptions(options: BatchContextOptions = {}): {
  preset: Preset;
  failFast: boolean;
  keepRows: boolean;
  serialize: readonly OutputName[];
  segmenter: Segmenter | null;
} {
  // Checked by the one normalizer (lib/options.ts).
  const segmenter = options.segment === undefined ? null : compileSegmenter(options.segment);
  // Unnamed and without a mapping, segments are mapped by the `segments` preset.
  const preset = resolvePreset(segmenter && options.preset === undefined && options.mapping === undefined ? { preset: SEGMENTS.name } : options);
  if (segmenter && preset.name === QA_INTERNAL.name) {
    throw optionError('segment', `option segment needs a mapping of segments (instruction, context, output, offset): preset ${SEGMENTS.name} or a mapping, got preset ${JSON.stringify(preset.name)}`);
  }
  const failFast = booleanOption('failFast', options.failFast, false);
  const keepRows = booleanOption('keepRows', options.keepRows, true);
  const serialize = serializeOption(options.serialize);
  return { preset, failFast, keepRows, serialize, segmenter };
}

/** Checks the options and compiles the schema (ERR_SCHEMA_FILE) once, before any batch. */
export function makeBatchContext(options: BatchContextOptions = {}): BatchContext {
  const { preset, failFast, keepRows, serialize, segmenter } = checkBatchOptions(options);
  // With segment, the preset maps segments (made here, valid by construction): the schema checks the documents, if one is given.
  const validate = compileSchema(options.schema ?? (segmenter ? DOCUMENT_SCHEMA : preset.schema));
  const facts = options.facts !== undefined && keepRows ? new FactFinder(options.facts) : null;
  const keepTexts = booleanOption('keepTexts', options.keepTexts, true);
  const redactErrors = booleanOption('redactErrors', options.redactErrors, false);
  return { preset, validate, writers: makeJsonlWriters(preset), failFast, keepRows, keepTexts, serialize, segmenter, facts, redactErrors };
}

/** Processes a batch from the line splitter; sets `output`, routes every entry. */
export function processBatch(batch: Batch, context: BatchContext): Batch {
  const entries = batch.entries;
  let byteRows: Uint8Array | null = null;
  if (batch.byteText === true) {
    batch.byteText = false; // from here on, byteRows says which lines are bytes
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
  if (context.segmenter !== null) segmentBatch(batch, context.preset, context.segmenter);
  mapBatch(batch, context.preset);
  if (byteRows !== null) {
    for (let i = 0; i < entries.length; i++) {
      if (byteRows[i] === 1 && entries[i].channel === 'errors') {
        byteRows[i] = 0;
        redoDecoded(batch, entries[i], context);
      }
    }
  }
  if (context.redactErrors) {
    for (const entry of entries) {
      if (entry.channel !== 'errors') continue;
      entry.text = redactText(entry.text);
      entry.errorMessage = redactText(entry.errorMessage!);
    }
  }
  serializeBatch(batch, context.writers, context.failFast, byteRows, context.serialize);
  // The batch may have been cut (fail-fast): only its first entries.length rows remain.
  for (let i = 0; i < batch.entries.length; i++) {
    const entry = batch.entries[i];
    entry.value = undefined;
    if (entry.channel === 'segmented') {
      // The document is not needed any more (it can be large); the rows are, unless not kept: the counts read only their channels.
      entry.text = '';
      if (!context.keepRows) for (const segment of entry.segments!) segment.row = {};
      continue;
    }
    if (entry.channel !== 'pairs' && entry.channel !== 'rejected') continue;
    if (!context.keepRows) {
      entry.row = null;
      entry.text = '';
    } else {
      if (!context.keepTexts) entry.text = '';
      if (byteRows !== null && byteRows[i] === 1) {
        if (context.keepTexts) entry.text = fromByteText(entry.text);
        entry.row = decodeRow(entry.row!);
      }
    }
    if (context.facts !== null) entry.facts = context.facts.find(entry);
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
