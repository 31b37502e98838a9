/**
 * worker-task — the processor (lib/processor.ts) across a thread boundary:
 * toChunkTask / runChunkTask / batchFromResult, and errors as they cross.
 * The main thread cuts a file's chunks after their last newline (LineCutter) and
 * sends each piece, its bytes transferred; the worker scans it into lines
 * (LineScanner, numbered from 1 within the piece), processes them and returns the
 * routing of each line, the kept texts and rows and the output bytes, transferred.
 * The main thread, which takes results in order, numbers the lines and writes the
 * dead-letter rows (they carry `line`; bad lines are rare).
 *
 *   // main thread                                  // worker
 *   const { task, transfer } = toChunkTask(file, cutter.push(chunk), true);
 *   port.postMessage(task, transfer);          →    post(runChunkTask(task, context, scan));
 *   batchFromResult(file, linesBefore, result, writeErrors);   ←
 */
import { type Batch, type Channel, type Entry, type EntryFacts, type Row, type SegmentRow, markError, newEntry } from './batch';
import { NO_PII } from './quality/facts';
import type { PiiMatch } from './quality/pii';
import { QaHfError, type ErrorCode, type RecordErrorCode } from './errors';
import type { CarryState, LinePiece } from './input/line-carry';
import { LineScanner } from './input/lines';
import type { RowWriter } from './dataset/jsonl';
import { type OutputBytes, outputBytes, outputFromBytes, serializeErrors } from './dataset/serialize';
import { type BatchContextOptions, type BatchContext, processBatch } from './processor';

/** Channels as small integers, in a Uint8Array per batch. */
const CHANNELS: readonly (Channel | null)[] = [null, 'pairs', 'rejected', 'errors', 'blank', 'segmented'];
const CHANNEL_CODES = new Map(CHANNELS.map((channel, code) => [channel, code]));
const UNTERMINATED = 0x80;

/** What a worker needs besides the batch context: how to scan its pieces into lines. */
export interface ScanContextOptions {
  maxLineBytes: number;
  /** Valid lines stay byte text (lib/input/byte-text.ts): decided once, by the pool. */
  byteText: boolean;
}

/** What a pool's worker starts with. */
export interface WorkerOptions extends BatchContextOptions, ScanContextOptions {}

/** A piece of a file cut by LineCutter, as it goes to a worker. */
export interface ChunkTask {
  file: string;
  startOffset: number;
  carry: CarryState;
  body: Uint8Array;
  fileEnd: boolean;
}

export interface ChunkResult {
  /** Lines scanned, numbered from 1 within the piece (before a fail-fast cut). */
  lines: number;
  /** Line count (within the piece) and byte offset (in the file) just past the batch. */
  endLine: number;
  endOffset: number;
  fileEnd: boolean;
  /** Channel code | UNTERMINATED per entry left after a fail-fast cut. */
  flags: Uint8Array;
  offsets: Float64Array;
  /** Error entries: [index, code, message]. */
  errors: Array<[number, RecordErrorCode, string]>;
  /** Entries whose text is kept (not ''): [index, text]. */
  texts: Array<[number, string]>;
  /** Rows of pairs and rejected entries when kept: [index, row]. */
  rows: Array<[number, Row]>;
  /** The rows of segmented entries: [index, segments] (rows emptied when not kept; channels always). */
  segments: Array<[number, SegmentRow[]]>;
  /** Present when fail-fast cut the batch: the bad line (numbered within the piece) that stops the run. */
  stop: Batch['stop'];
  /**
   * Output bytes, null when not serialized (BatchContextOptions.serialize); the
   * `errors` output is written by the main thread, which knows the line numbers.
   */
  pairs: Uint8Array | null;
  rejected: Uint8Array | null;
  /** The entries' facts (lib/quality/facts.ts), packed; null without BatchContextOptions.facts. */
  facts: PackedFacts | null;
}

/** Facts as they cross the thread boundary: typed arrays moved, the rare PII matches and detections listed. */
export interface PackedFacts {
  /** The entries with facts, ascending; the arrays below follow them. */
  at: Int32Array;
  /** 1 when the answer is in the language sample. */
  sampled: Uint8Array;
  /** Each pair's dedup fingerprint, `size` bytes per entry of `at` (zeros for rejected rows, whose fingerprint is null). */
  fingerprints: Uint8Array;
  size: number;
  /** The report's lengths (EntryFacts.lengths) one after the other, entry k's from lengthsAt[k] to lengthsAt[k + 1]; `withLengths` false: none (no report). */
  withLengths: boolean;
  lengths: Int32Array;
  lengthsAt: Int32Array;
  /** Entries (their index) with PII, and the matches by column. */
  pii: Array<[number, Record<string, PiiMatch[]>]>;
  /** Entries (their index) with a detected language. */
  languages: Array<[number, string]>;
  /** The rendered conversations' tokens (EntryFacts.tokens), one per entry of `at`. */
  tokens: Int32Array;
  /** Entries (their index) whose row the chat template refused, and its message. */
  tokenErrors: Array<[number, string]>;
}

function packFacts(entries: readonly Entry[]): PackedFacts {
  const at: number[] = [];
  let size = 0;
  let lengthCount = 0;
  let withLengths = false;
  for (let i = 0; i < entries.length; i++) {
    const facts = entries[i].facts;
    if (facts === null) continue;
    at.push(i);
    if (facts.dedup !== null) size = facts.dedup.length;
    // One finder made them all: every entry has lengths, or none has.
    if (facts.lengths !== null) {
      withLengths = true;
      lengthCount += facts.lengths.length;
    }
  }
  const count = at.length;
  const packed: PackedFacts = {
    at: Int32Array.from(at),
    sampled: new Uint8Array(count),
    fingerprints: new Uint8Array(count * size),
    size,
    withLengths,
    lengths: new Int32Array(lengthCount),
    lengthsAt: new Int32Array(count + 1),
    pii: [],
    languages: [],
    tokens: new Int32Array(count),
    tokenErrors: [],
  };
  let lengthAt = 0;
  for (let k = 0; k < count; k++) {
    const i = at[k];
    const facts = entries[i].facts!;
    packed.lengthsAt[k] = lengthAt;
    if (facts.lengths !== null) {
      packed.lengths.set(facts.lengths, lengthAt);
      lengthAt += facts.lengths.length;
    }
    if (facts.languageSampled) packed.sampled[k] = 1;
    if (facts.dedup !== null) packed.fingerprints.set(facts.dedup, k * size);
    for (const _column in facts.pii) {
      packed.pii.push([i, facts.pii]);
      break;
    }
    if (facts.language !== null) packed.languages.push([i, facts.language]);
    packed.tokens[k] = facts.tokens;
    if (facts.tokenError !== null) packed.tokenErrors.push([i, facts.tokenError]);
  }
  packed.lengthsAt[count] = lengthAt;
  return packed;
}

function unpackFacts(entries: Entry[], packed: PackedFacts): void {
  const pii = new Map(packed.pii);
  const languages = new Map(packed.languages);
  const tokenErrors = new Map(packed.tokenErrors);
  for (let k = 0; k < packed.at.length; k++) {
    const i = packed.at[k];
    const entry = entries[i];
    const facts: EntryFacts = {
      pii: pii.get(i) ?? NO_PII,
      dedup: entry.channel === 'pairs' && packed.size > 0 ? packed.fingerprints.subarray(k * packed.size, (k + 1) * packed.size) : null,
      lengths: packed.withLengths ? packed.lengths.subarray(packed.lengthsAt[k], packed.lengthsAt[k + 1]) : null,
      languageSampled: packed.sampled[k] === 1,
      language: languages.get(i) ?? null,
      tokens: packed.tokens[k],
      tokenError: tokenErrors.get(i) ?? null,
    };
    entry.facts = facts;
  }
}

/**
 * A piece as a task; `transfer` lists the buffers to move rather than copy. The
 * body moves when `detachable` says the chunk is the only view of its memory (a
 * read of its own); otherwise it is copied once, into memory that can move.
 */
export function toChunkTask(file: string, piece: LinePiece, detachable: boolean): { task: ChunkTask; transfer: ArrayBuffer[] } {
  let body: Uint8Array = piece.body;
  if (body.length > 0 && !(detachable && body.byteOffset === 0)) {
    const copy = Buffer.allocUnsafeSlow(body.length);
    copy.set(body);
    body = copy;
  }
  const task: ChunkTask = { file, startOffset: piece.startOffset, carry: piece.carry, body, fileEnd: piece.fileEnd };
  return { task, transfer: body.length > 0 ? [body.buffer as ArrayBuffer] : [] };
}

/** Scans and processes a task (in a worker); `transfer` moves the result's typed arrays and output bytes. */
export function runChunkTask(task: ChunkTask, context: BatchContext, scan: ScanContextOptions): { result: ChunkResult; transfer: ArrayBuffer[] } {
  const scanner = new LineScanner({ file: task.file, startOffset: task.startOffset, startLine: 0, ...scan }, task.carry);
  const batch = task.fileEnd ? scanner.end() : scanner.push(Buffer.from(task.body.buffer, task.body.byteOffset, task.body.length));
  const lines = batch.entries.length;
  processBatch(batch, context);
  const entries = batch.entries;
  const count = entries.length;
  const output = outputBytes(batch.output!);
  const result: ChunkResult = {
    lines,
    endLine: batch.endLine,
    endOffset: batch.endOffset,
    fileEnd: batch.fileEnd,
    flags: new Uint8Array(count),
    offsets: new Float64Array(count),
    errors: [],
    texts: [],
    rows: [],
    segments: [],
    stop: batch.stop,
    pairs: output.pairs ?? null,
    rejected: output.rejected ?? null,
    facts: context.facts !== null ? packFacts(entries) : null,
  };
  for (let i = 0; i < count; i++) {
    const entry = entries[i];
    result.flags[i] = CHANNEL_CODES.get(entry.channel)! | (entry.unterminated ? UNTERMINATED : 0);
    result.offsets[i] = entry.offset;
    if (entry.channel === 'errors') result.errors.push([i, entry.errorCode!, entry.errorMessage!]);
    if (entry.text !== '') result.texts.push([i, entry.text]);
    if (entry.row !== null) result.rows.push([i, entry.row]);
    if (entry.segments !== null) result.segments.push([i, entry.segments]);
  }
  const transfer = [result.flags.buffer as ArrayBuffer, result.offsets.buffer as ArrayBuffer];
  if (result.facts !== null) {
    const { at, sampled, fingerprints, lengths, lengthsAt } = result.facts;
    transfer.push(at.buffer as ArrayBuffer, sampled.buffer as ArrayBuffer, fingerprints.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer, lengthsAt.buffer as ArrayBuffer);
  }
  for (const bytes of [result.pairs, result.rejected]) {
    // Only a buffer that owns its memory can move (ByteWriter's do); an empty one is not worth it.
    if (bytes !== null && bytes.length > 0 && bytes.byteOffset === 0 && !transfer.includes(bytes.buffer as ArrayBuffer)) transfer.push(bytes.buffer as ArrayBuffer);
  }
  return { result, transfer };
}

/**
 * The batch a result stands for, numbered from `lineBase` (lines of `file` before
 * the piece): what the line splitter and processBatch would have made of the
 * piece in-process. `writeErrors` writes the dead-letter rows (ERROR_COLUMNS);
 * null when the `errors` output is not serialized.
 */
export function batchFromResult(file: string, lineBase: number, result: ChunkResult, writeErrors: RowWriter | null): Batch {
  const count = result.flags.length;
  const entries: Entry[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const flags = result.flags[i];
    const entry = newEntry(lineBase + i + 1, result.offsets[i], '', (flags & UNTERMINATED) !== 0);
    entry.channel = CHANNELS[flags & ~UNTERMINATED];
    entries[i] = entry;
  }
  for (const [index, code, message] of result.errors) markError(entries[index], code, message);
  for (const [index, text] of result.texts) entries[index].text = text;
  for (const [index, row] of result.rows) entries[index].row = row;
  for (const [index, segments] of result.segments) entries[index].segments = segments;
  if (result.facts !== null) unpackFacts(entries, result.facts);
  const stop = result.stop ? { ...result.stop, line: lineBase + result.stop.line } : null;
  const batch: Batch = { file, entries, endOffset: result.endOffset, endLine: lineBase + result.endLine, fileEnd: result.fileEnd, output: null, stop };
  const bytes: OutputBytes = {};
  if (result.pairs !== null) bytes.pairs = asBuffer(result.pairs);
  if (result.rejected !== null) bytes.rejected = asBuffer(result.rejected);
  if (writeErrors !== null) bytes.errors = result.errors.length > 0 ? serializeErrors(batch, writeErrors) : Buffer.alloc(0);
  batch.output = outputFromBytes(bytes);
  return batch;
}

/** A Buffer over a Uint8Array's memory (structured clone delivers Buffers as plain Uint8Arrays). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
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
  pointer?: string;
}

/** A worker's reply to the task with sequence number `seq`. */
export type WorkerReply = { seq: number; result: ChunkResult } | { seq: number; error: RemoteError };

export function toRemote(err: unknown): RemoteError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const remote: RemoteError = { name: err.name, message: err.message, stack: err.stack };
  if (err instanceof QaHfError) {
    remote.code = err.code;
    remote.file = err.file;
    remote.line = err.line;
    remote.byteOffset = err.byteOffset;
    if (err.pointer !== undefined) remote.pointer = err.pointer;
  }
  return remote;
}

export function fromRemote(remote: RemoteError): Error {
  const err =
    remote.name === 'QaHfError' && remote.code !== undefined
      ? new QaHfError(remote.code as ErrorCode, remote.message, { file: remote.file, line: remote.line, byteOffset: remote.byteOffset, pointer: remote.pointer })
      : new Error(remote.message);
  if (remote.stack) err.stack = remote.stack;
  return err;
}
