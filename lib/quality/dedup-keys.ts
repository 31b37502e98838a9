/**
 * dedup-keys — the pieces the duplicate index (lib/quality/dedup.ts) is built of: the exact
 * key of a pair (exactKey: 64 bits in two 32-bit lanes, computed in one pass over
 * the text, case folded as it is read), the normalization it stands for, and the
 * storage: open-addressing slots over typed arrays, a byte array that grows by
 * doubling and big-endian integers in byte arrays (the resume log). Pure.
 *
 *   const key = new Uint32Array(2);
 *   exactKey('Vad är feber?', 'Över 38 grader.', key);  // true: Latin-1 text, no NFKC needed
 *   normalizeForDedup('  Vad  är FEBER? ')               // 'vad är feber?'
 */

/** The seeds of the exact key's two lanes (SEED_B also seeds the MinHash in lib/quality/dedup.ts). */
export const SEED_A = 0x9747b28c;
export const SEED_B = 0x5bd1e995;

/** toLowerCase of an ASCII or Latin-1 letter (U+0000–U+00FF), one unit to one; other units as they are. */
export function lowerLatin(c: number): number {
  return (c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ? c + 32 : c;
}

/** JavaScript's `\s`: the whitespace normalizeForDedup collapses. */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff || c === 0x85;
}

/** The units FAST_UNITS covers: Latin-1, Latin Extended-A and -B, the IPA and spacing modifiers (below the combining marks at U+0300), and General Punctuation. */
const FAST_LOW_END = 0x300;
const FAST_PUNCTUATION = 0x2010;
const FAST_END = 0x205f;

/**
 * 1 for a UTF-16 unit that NFKC leaves as it is and lower-casing maps as lowerLatin does
 * (ASCII and Latin-1 letters folded, every other such unit unchanged), among units that never
 * compose with a neighbour (no combining mark, no second half of a composition): text made only
 * of these is normalized unit by unit — `”`, `°`, `–`, `’`, `§`, `ł` — with no NFKC. Derived from
 * the engine's own normalize and toLowerCase, so it is what normalizeForDedup does; the units NFKC
 * changes (NBSP, `µ`, `²`, `…`, the typographic spaces) or lower-casing does otherwise (`Ł`, `İ`)
 * are 0, and their text goes the long way.
 */
export const FAST_UNITS = (() => {
  const table = new Uint8Array(FAST_END);
  for (let c = 0; c < FAST_END; c++) {
    if (c >= FAST_LOW_END && c < FAST_PUNCTUATION) continue;
    const unit = String.fromCharCode(c);
    if (unit.normalize('NFKC') === unit && unit.toLowerCase() === String.fromCharCode(lowerLatin(c))) table[c] = 1;
  }
  return table;
})();

/**
 * The exact key of a pair whose parts are NFKC'd and lower-cased (or text of FAST_UNITS:
 * lowerLatin is applied to each unit, a no-op on lower-cased text; with `latinOnly`
 * it returns false at the first unit that is not, so the caller normalizes first): two 32-bit hash
 * lanes (MurmurHash3's mixing, one UTF-16 unit at a time) over
 * normalizeForDedup(question) + U+0000 + normalizeForDedup(answer), computed in
 * one pass with the whitespace collapsed and trimmed on the fly (no string built).
 * `measures`, with latinOnly: the same pass's [code points, words] of the question, then of
 * the answer (lib/quality/stats.ts codePointLength, lib/quality/words.ts wordCount; -1 where
 * it cannot tell), which the report reads (lib/quality/facts.ts): no second pass over the pair.
 * The reference: what runs is lib/quality/exact-key-wasm.ts exactKeyWasm, the same bits in WebAssembly.
 */
export function exactKey(question: string, answer: string, out: Uint32Array, latinOnly = false, measures: Int32Array | null = null): boolean {
  const hash = pairHash;
  hash.reset();
  for (let part = 0; part < 2; part++) {
    const text = part === 0 ? question : answer;
    if (part === 1) hash.unit(0);
    let written = false;
    let space = false;
    /** Spaces put between words: the words are one more (when any). */
    let separators = 0;
    let nextLine = false;
    for (let i = 0; i < text.length; i++) {
      const raw = text.charCodeAt(i);
      if (latinOnly && raw >= 0xa0 && (raw >= FAST_END || FAST_UNITS[raw] === 0)) return false;
      const c = lowerLatin(raw);
      if (isSpace(c)) {
        space = true;
        if (c === 0x85) nextLine = true;
        continue;
      }
      if (space && written) {
        hash.unit(32);
        separators++;
      }
      hash.unit(c);
      space = false;
      written = true;
    }
    if (measures !== null) {
      // Text of FAST_UNITS has no surrogate: a code point a unit. wordCount's white space is this
      // one's but U+0085, so a text with one is measured apart (-1).
      measures[2 * part] = latinOnly ? text.length : -1;
      measures[2 * part + 1] = latinOnly && !nextLine ? (written ? separators + 1 : 0) : -1;
    }
  }
  hash.end(out);
  return true;
}

/**
 * Two MurmurHash3-style lanes over a stream of UTF-16 units, two units (32 bits) a step,
 * fed one unit at a time (a unit waits for its partner); one instance, reused.
 */
class PairHash {
  private h1 = SEED_A;
  private h2 = SEED_B;
  private length = 0;
  private pending = 0;
  reset(): void {
    this.h1 = SEED_A;
    this.h2 = SEED_B;
    this.length = 0;
  }
  unit(c: number): void {
    if ((this.length++ & 1) === 0) {
      this.pending = c;
      return;
    }
    this.block(this.pending | (c << 16));
  }
  end(out: Uint32Array): void {
    if ((this.length & 1) === 1) this.block(this.pending);
    out[0] = finalMix(this.h1, this.length);
    out[1] = finalMix(this.h2, this.length);
  }
  private block(block: number): void {
    let k = Math.imul(block, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    this.h1 ^= k;
    this.h1 = (Math.imul((this.h1 << 13) | (this.h1 >>> 19), 5) + 0xe6546b64) | 0;
    let j = Math.imul(block, 0x85ebca6b);
    j = Math.imul((j << 16) | (j >>> 16), 0xc2b2ae35);
    this.h2 ^= j;
    this.h2 = (Math.imul((this.h2 << 17) | (this.h2 >>> 15), 9) + 0x27d4eb2f) | 0;
  }
}
const pairHash = new PairHash();

/** Big-endian 32-bit integers in a byte array (as DataView writes them; without one a record). */
export function putUint32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = (value >>> 16) & 0xff;
  bytes[at + 2] = (value >>> 8) & 0xff;
  bytes[at + 3] = value & 0xff;
}

export function getUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function finalMix(h: number, length: number): number {
  h ^= length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The text a pair is compared as: NFKC, case-folded, whitespace runs collapsed to one space, trimmed. */
export function normalizeForDedup(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Open addressing over typed arrays: keys of `width` 32-bit words (0,…,0 is empty), an int value each. */
export class HashSlots {
  private keys: Uint32Array;
  private values: Int32Array;
  private used = 0;
  constructor(private readonly width: number, private capacity = 1024) {
    this.keys = new Uint32Array(capacity * width);
    this.values = new Int32Array(capacity);
  }
  private slot(hash: number): number {
    return (hash >>> 0) & (this.capacity - 1);
  }
  get(key: Uint32Array): number {
    for (let s = this.slot(key[0]); ; s = (s + 1) & (this.capacity - 1)) {
      if (this.empty(s)) return -1;
      if (this.equal(s, key)) return this.values[s];
    }
  }
  set(key: Uint32Array, value: number): void {
    if ((this.used + 1) * 10 > this.capacity * 7) this.grow();
    let s = this.slot(key[0]);
    while (!this.empty(s)) s = (s + 1) & (this.capacity - 1);
    this.keys.set(key, s * this.width);
    this.values[s] = value;
    this.used++;
  }
  get bytes(): number {
    return this.keys.byteLength + this.values.byteLength;
  }
  private empty(s: number): boolean {
    for (let w = 0; w < this.width; w++) if (this.keys[s * this.width + w] !== 0) return false;
    return true;
  }
  private equal(s: number, key: Uint32Array): boolean {
    for (let w = 0; w < this.width; w++) if (this.keys[s * this.width + w] !== key[w]) return false;
    return true;
  }
  private grow(): void {
    const { keys, values, capacity, width } = this;
    this.capacity = capacity * 2;
    this.keys = new Uint32Array(this.capacity * width);
    this.values = new Int32Array(this.capacity);
    this.used = 0;
    for (let s = 0; s < capacity; s++) {
      const key = keys.subarray(s * width, (s + 1) * width);
      if (key.some((word) => word !== 0)) this.set(key, values[s]);
    }
  }
}

/** A byte array that grows by doubling. */
export class Growing {
  bytes = new Uint8Array(4096);
  ensure(length: number): void {
    if (length <= this.bytes.length) return;
    let size = this.bytes.length;
    while (size < length) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes);
    this.bytes = next;
  }
}
