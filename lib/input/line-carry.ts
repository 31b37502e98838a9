/**
 * line-carry — the line that a chunk leaves unfinished, carried to the next one
 * (LineCarry: held bytes, or an over-long line's summary; CarryState: the same as
 * plain data), and LineCutter, which cuts a file's chunks after their last newline
 * into pieces a scanner (lib/input/lines.ts) on any thread reads as whole lines.
 *
 *   const cutter = new LineCutter(maxLineBytes);
 *   const piece = cutter.push(chunk);  // null while no newline has come; else { startOffset, carry, body, fileEnd }
 *   const last = cutter.end();         // the unfinished last line, as a fileEnd piece
 */

/** How much of an over-long line is kept to show in its error record. */
export const RAW_PREFIX_BYTES = 1024;

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * The bytes of the line not yet finished: held (at most maxLineBytes + 1 of them,
 * copied), or, once the line is known to be too long, only its first
 * RAW_PREFIX_BYTES, its length so far and its last byte. Shared by the scanner and
 * the chunk cutter (LineCutter), which hands it to a worker's scanner as a CarryState.
 */
export class LineCarry {
  parts: Buffer[] = [];
  bytes = 0;
  /** True while an over-long line is being skipped up to its newline. */
  skipping = false;
  skippedPrefix: Buffer = EMPTY;
  skippedBytes = 0;
  skippedLastByte = -1;

  constructor(readonly maxLineBytes: number) {}

  get empty(): boolean {
    return this.bytes === 0 && !this.skipping;
  }

  /** Keeps the start of an unfinished line, or switches to skipping once it is too long. */
  hold(part: Buffer): void {
    if (this.skipping) {
      this.skipped(part);
      return;
    }
    if (this.bytes + part.length > this.maxLineBytes + 1) {
      // +1: the line may still end in CR, which is not counted as content.
      this.startSkipping(part);
      return;
    }
    // Copy: the caller may reuse (or transfer) its buffer.
    this.parts.push(Buffer.from(part));
    this.bytes += part.length;
  }

  startSkipping(part: Buffer): void {
    const head = this.bytes > 0 ? Buffer.concat([...this.parts, part]) : part;
    this.skippedPrefix = Buffer.from(head.subarray(0, RAW_PREFIX_BYTES));
    this.skippedBytes = 0;
    this.skipped(head);
    this.parts = [];
    this.bytes = 0;
    this.skipping = true;
  }

  skipped(part: Buffer): void {
    if (part.length === 0) return;
    this.skippedBytes += part.length;
    this.skippedLastByte = part[part.length - 1];
  }

  clear(): void {
    this.parts = [];
    this.bytes = 0;
    this.skipping = false;
    this.skippedPrefix = EMPTY;
    this.skippedBytes = 0;
    this.skippedLastByte = -1;
  }

  /** The state as plain data, to start a scanner elsewhere (another thread) in the middle of this line. */
  state(): CarryState {
    if (this.skipping) return { head: null, skipped: { prefix: this.skippedPrefix, bytes: this.skippedBytes, lastByte: this.skippedLastByte } };
    return { head: this.bytes > 0 ? Buffer.concat(this.parts, this.bytes) : null, skipped: null };
  }

  /** Takes over a state made by state(). */
  restore(state: CarryState): void {
    this.clear();
    if (state.skipped) {
      this.skipping = true;
      this.skippedPrefix = Buffer.from(state.skipped.prefix.buffer, state.skipped.prefix.byteOffset, state.skipped.prefix.length);
      this.skippedBytes = state.skipped.bytes;
      this.skippedLastByte = state.skipped.lastByte;
    } else if (state.head && state.head.length > 0) {
      this.parts.push(Buffer.from(state.head.buffer, state.head.byteOffset, state.head.length));
      this.bytes = state.head.length;
    }
  }
}

/** An unfinished line as plain data (it survives structured clone): held bytes, or an over-long line's summary. */
export interface CarryState {
  head: Uint8Array | null;
  skipped: { prefix: Uint8Array; bytes: number; lastByte: number } | null;
}

/** Where a chunk is cut: the bytes up to its last newline, with the unfinished line before them. */
export interface LinePiece {
  /** Offset in the file of the piece's first line: where `carry` began, or `body` if none. */
  startOffset: number;
  /** The start of the first line, carried from earlier chunks. */
  carry: CarryState;
  /** Bytes up to and including the chunk's last newline (a view of the chunk); empty at the end of a file. */
  body: Buffer;
  /** True for the piece that ends the file: an unterminated last line is a line. */
  fileEnd: boolean;
}

/**
 * LineCutter — cuts a file's chunks after their last newline, so that each piece
 * holds whole lines and can be scanned on its own, on any thread:
 *
 *   new LineScanner({ file, startOffset: piece.startOffset, maxLineBytes, byteText }, piece.carry)
 *     .push(piece.body)   // or .end() for a fileEnd piece
 *
 * gives the entries the scanner of the whole file gives for that chunk (lines
 * numbered from 1: the cutter never counts lines). The bytes after the last newline
 * are copied into the carry (at most maxLineBytes + 1, then only an over-long
 * line's summary), so `body` is the caller's to transfer.
 */
export class LineCutter {
  private readonly carry: LineCarry;
  /** Offset of the first byte of the unfinished line. */
  private lineStart: number;
  /** Offset of the next byte to come. */
  private position: number;

  constructor(maxLineBytes: number, startOffset = 0) {
    this.carry = new LineCarry(maxLineBytes);
    this.lineStart = startOffset;
    this.position = startOffset;
  }

  /** The piece of lines `chunk` completes, or null when it holds no newline (its bytes are carried). */
  push(chunk: Buffer): LinePiece | null {
    const lastNewline = chunk.lastIndexOf(LF);
    if (lastNewline < 0) {
      this.carry.hold(chunk);
      this.position += chunk.length;
      return null;
    }
    const piece: LinePiece = { startOffset: this.lineStart, carry: this.carry.state(), body: chunk.subarray(0, lastNewline + 1), fileEnd: false };
    this.carry.clear();
    this.carry.hold(chunk.subarray(lastNewline + 1));
    this.lineStart = this.position + lastNewline + 1;
    this.position += chunk.length;
    return piece;
  }

  /** The piece that ends the file: the unfinished line, if any. */
  end(): LinePiece {
    const piece: LinePiece = { startOffset: this.lineStart, carry: this.carry.state(), body: EMPTY, fileEnd: true };
    this.carry.clear();
    this.lineStart = this.position;
    return piece;
  }
}
