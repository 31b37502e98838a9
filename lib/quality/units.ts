/**
 * units — a text's UTF-16 units copied into a typed array, for the loops that read every
 * unit of a row's strings (the exact-duplicate key, the report's lengths). Pure.
 *
 * Why: in V8, a loop of `charCodeAt` over the strings JSON.parse makes cost ~5–7 ns a
 * unit on the bench machine; one native copy (Buffer#write as UTF-16LE, ~0.6 ns a unit,
 * lone surrogates kept) and a loop over a Uint16Array ~2 ns (bench/README.md, issue 18).
 *
 *   const scratch = new UnitScratch();
 *   const n = scratch.load('två 😀');   // 6
 *   scratch.units[5]                    // 0xde00, the emoji's low surrogate
 */

/** Units a scratch holds before it first grows (a 4 KiB string fits). */
const INITIAL_UNITS = 4096;

/** True where a Uint16Array reads UTF-16LE bytes as the units they are (every platform Node ships for but big-endian ones). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** One text's units at a time, in a buffer reused from call to call (grown when a text is longer). */
export class UnitScratch {
  private buffer = Buffer.allocUnsafeSlow(INITIAL_UNITS * 2);
  /** The units of the text last loaded, from 0 to the length load returned (the rest is stale). */
  units = new Uint16Array(this.buffer.buffer, this.buffer.byteOffset, INITIAL_UNITS);

  /** Copies `text`'s units to the start of `units`; returns how many (text.length). */
  load(text: string): number {
    const length = text.length;
    if (length > this.units.length) {
      this.buffer = Buffer.allocUnsafeSlow(length * 4);
      this.units = new Uint16Array(this.buffer.buffer, this.buffer.byteOffset, length * 2);
    }
    if (LITTLE_ENDIAN) this.buffer.write(text, 0, 'utf16le');
    else for (let i = 0; i < length; i++) this.units[i] = text.charCodeAt(i);
    return length;
  }
}
