/**
 * lines — byte-exact line scanning, the pure core of the line splitter stage.
 *
 * Input: Buffers of one file, in order. Output: a Batch of the complete lines seen
 * so far, each with its 1-based line number and the byte offset of its first byte.
 *
 * Lines are split on bytes (0x0A never occurs inside a multi-byte UTF-8 sequence),
 * and only then decoded, so offsets stay exact whatever the text holds and invalid
 * UTF-8 is detected per line rather than silently replaced. split2 decodes first
 * (StringDecoder turns bad bytes into U+FFFD) and pushes one object per line, which
 * would cost both exactness and the batching the stages rely on.
 *
 * With `byteText`, a valid line's `text` holds its bytes one character per byte
 * (latin1) instead of decoded UTF-8: ten times cheaper to make, and JSON.parse,
 * JSON.stringify and the output encoding all run on one-byte strings. Such a batch
 * has `byteText` set; only the batch processor (lib/processor.ts)
 * reads it, and it decodes a line for real wherever the byte form could differ
 * (see lib/input/byte-text.ts). Error entries always hold decoded text.
 *
 *   const scanner = new LineScanner({ file: 'qa.jsonl' });
 *   const batch = scanner.push(chunk);  // complete lines of chunk (+ carry-over)
 *   const last = scanner.end();         // the unterminated last line, if any
 */
import { isUtf8 } from 'node:buffer';
import { type Batch, type Entry, newEntry, markError } from '../batch';
import { got, optionError } from '../errors';
import { RAW_PREFIX_BYTES, LineCarry, type CarryState } from './line-carry';

/**
 * HF `datasets` reads JSON Lines in 10 MiB blocks (`chunksize = 10 << 20` in its
 * Json builder); a longer line is almost surely a broken record, so that is the
 * default bound on what one line may hold in memory.
 */
export const DEFAULT_MAX_LINE_BYTES = 10 << 20;

const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface LineScannerOptions {
  /** Name reported in batches and errors. */
  file?: string;
  /** Byte offset the first pushed byte has in the file (resume). Default 0. */
  startOffset?: number;
  /** Lines already consumed before `startOffset` (resume). Default 0. */
  startLine?: number;
  /** Longest line kept, in bytes, without its end of line. */
  maxLineBytes?: number;
  /** Valid lines keep their bytes as latin1 text, for the batch processor. Default false. */
  byteText?: boolean;
}

export interface NormalizedScannerOptions {
  file: string;
  startOffset: number;
  startLine: number;
  maxLineBytes: number;
  byteText: boolean;
}

export function normalizeScannerOptions(options: LineScannerOptions = {}): NormalizedScannerOptions {
  const file = options.file ?? '<stdin>';
  if (typeof file !== 'string' || file === '') {
    throw optionError('file', `option file must be a non-empty string, ${got(file)}`);
  }
  // startOffset and startLine: where a resumed read starts; both or neither matter.
  const startOffset = options.startOffset ?? 0;
  const startLine = options.startLine ?? 0;
  for (const [name, value] of [['startOffset', startOffset], ['startLine', startLine]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw optionError(name, `option ${name} must be a non-negative integer, ${got(value)}`);
    }
  }
  // maxLineBytes: bounds the memory one line may take.
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
    throw optionError('maxLineBytes', `option maxLineBytes must be a positive integer, ${got(maxLineBytes)}`);
  }
  // byteText: how valid lines are handed on (see the header).
  const byteText = options.byteText ?? false;
  if (typeof byteText !== 'boolean') {
    throw optionError('byteText', `option byteText must be a boolean, ${got(byteText)}`);
  }
  return { file, startOffset, startLine, maxLineBytes, byteText };
}

const EMPTY = Buffer.alloc(0);

export class LineScanner {
  readonly file: string;
  private readonly maxLineBytes: number;
  private readonly byteText: boolean;
  /** Offset of the first byte not yet part of an emitted line. */
  private lineStart: number;
  /** Lines emitted so far (the next line is lineCount + 1). */
  private lineCount: number;
  /** Bytes of the current unfinished line (bounded by maxLineBytes). */
  private readonly carry: LineCarry;

  /**
   * `carry`: the scan starts inside a line that began at `startOffset` (a chunk
   * cut by LineCutter, continued on a worker thread).
   */
  constructor(options: LineScannerOptions = {}, carry?: CarryState) {
    const normalized = normalizeScannerOptions(options);
    this.file = normalized.file;
    this.maxLineBytes = normalized.maxLineBytes;
    this.byteText = normalized.byteText;
    this.lineStart = normalized.startOffset;
    this.lineCount = normalized.startLine;
    this.carry = new LineCarry(this.maxLineBytes);
    if (carry) this.carry.restore(carry);
  }

  /** Scans a chunk; returns the lines it completes (possibly none). */
  push(chunk: Buffer): Batch {
    const entries: Entry[] = [];
    let position = 0;
    let newline = chunk.indexOf(LF);
    if (newline >= 0 && !this.carry.empty) {
      // The line begun in an earlier chunk ends here.
      this.finishLine(chunk, 0, newline, 1, false, entries, false);
      position = newline + 1;
      newline = chunk.indexOf(LF, position);
    }
    if (newline >= 0) {
      // One validation for all the lines that lie wholly in this chunk: LF never
      // occurs inside a UTF-8 sequence, so valid bytes split on LF are valid lines.
      const lastNewline = chunk.lastIndexOf(LF);
      const allValid = isUtf8(chunk.subarray(position, lastNewline));
      while (newline >= 0) {
        this.finishLine(chunk, position, newline, 1, false, entries, allValid);
        position = newline + 1;
        newline = chunk.indexOf(LF, position);
      }
    }
    if (position < chunk.length) this.carry.hold(chunk.subarray(position));
    return this.batch(entries, false);
  }

  /** Ends the file: an unterminated last line becomes an entry. */
  end(): Batch {
    const entries: Entry[] = [];
    if (!this.carry.empty) this.finishLine(EMPTY, 0, 0, 0, true, entries, false);
    return this.batch(entries, true);
  }

  private batch(entries: Entry[], fileEnd: boolean): Batch {
    const batch: Batch = {
      file: this.file,
      entries,
      endOffset: this.lineStart,
      endLine: this.lineCount,
      fileEnd,
      output: null,
      stop: null,
    };
    if (this.byteText) batch.byteText = true;
    return batch;
  }

  /**
   * Emits one line made of the carry plus `chunk[tailStart, tailEnd)`; `eolBytes` is
   * 1 for LF, 0 at end of file. `knownValid`: the caller checked these bytes are UTF-8.
   */
  private finishLine(
    chunk: Buffer,
    tailStart: number,
    tailEnd: number,
    eolBytes: number,
    unterminated: boolean,
    entries: Entry[],
    knownValid: boolean,
  ): void {
    const offset = this.lineStart;
    const line = ++this.lineCount;
    const carry = this.carry;
    if (carry.skipping || carry.bytes + (tailEnd - tailStart) > this.maxLineBytes + 1) {
      const tail = chunk.subarray(tailStart, tailEnd);
      if (!carry.skipping) carry.startSkipping(tail);
      else carry.skipped(tail);
      const rawLength = carry.skippedBytes;
      // Report the content length, as for any line: a CR before the LF is not content.
      const length = eolBytes === 1 && carry.skippedLastByte === CR ? rawLength - 1 : rawLength;
      const entry = newEntry(line, offset, carry.skippedPrefix.toString('utf8'), unterminated);
      markError(entry, 'ERR_LINE_TOO_LONG', `line is ${length} bytes, over the limit of ${this.maxLineBytes} bytes`);
      entries.push(entry);
      this.lineStart = offset + rawLength + eolBytes;
      carry.clear();
      return;
    }
    let bytes = chunk;
    let start = tailStart;
    let end = tailEnd;
    if (carry.bytes > 0) {
      carry.parts.push(chunk.subarray(tailStart, tailEnd));
      bytes = Buffer.concat(carry.parts, carry.bytes + (tailEnd - tailStart));
      start = 0;
      end = bytes.length;
      carry.clear();
    }
    this.lineStart = offset + (end - start) + eolBytes;
    if (offset === 0 && end - start >= 3 && bytes[start] === BOM[0] && bytes[start + 1] === BOM[1] && bytes[start + 2] === BOM[2]) {
      start += 3;
    }
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) {
      const prefix = bytes.toString('utf8', start, Math.min(end, start + RAW_PREFIX_BYTES));
      const entry = newEntry(line, offset, prefix, unterminated);
      markError(entry, 'ERR_LINE_TOO_LONG', `line is ${end - start} bytes, over the limit of ${this.maxLineBytes} bytes`);
      entries.push(entry);
      return;
    }
    const valid = knownValid || isUtf8(bytes.subarray(start, end));
    const text = valid && this.byteText ? bytes.toString('latin1', start, end) : bytes.toString('utf8', start, end);
    const entry = newEntry(line, offset, text, unterminated);
    if (isBlank(text)) {
      entry.channel = 'blank';
    } else if (!valid) {
      const content = bytes.subarray(start, end);
      markError(entry, 'ERR_INVALID_UTF8', `line is not valid UTF-8 (byte ${firstInvalidByte(content)} of the line)`);
    }
    entries.push(entry);
  }
}

/** Blank: empty or only JSON whitespace. Only the first character is looked at on the hot path. */
function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  if (first !== 0x20 && first !== 0x09 && first !== 0x0d) return false;
  return /^[ \t\r]*$/.test(text);
}

/** 0-based index of the first byte at which `bytes` stops being valid UTF-8 (only on error lines). */
export function firstInvalidByte(bytes: Buffer): number {
  // Validity of prefixes is monotonic when a character cut at the end is allowed
  // (streaming decode), so a binary search finds the longest valid prefix.
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (validStreamingPrefix(bytes.subarray(0, middle))) low = middle;
    else high = middle - 1;
  }
  // That prefix may end inside a character the next byte breaks: back up to its start.
  while (low > 0 && !isUtf8(bytes.subarray(0, low))) low--;
  return low;
}

function validStreamingPrefix(prefix: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(prefix, { stream: true });
    return true;
  } catch {
    return false;
  }
}
