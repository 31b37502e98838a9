/**
 * contamination — `--decontaminate FILE…`: which pairs share an n-gram of words with
 * an evaluation set (pure: the files are read by lib/io/eval-sets.ts).
 *
 * Words as lm-evaluation-harness and the GPT-3 paper count them for decontamination:
 * the text lower-cased, split on every run of characters that are not a letter or a
 * digit (Unicode-aware: `å`, `ö` and `é` are letters). An n-gram is N consecutive words
 * (default 13); a text of fewer than N words has none, so a short text never matches.
 * The evaluation sets' n-grams are kept hashed (64 bits: two 32-bit lanes) in an
 * open-addressing table of typed arrays, 10 bytes a slot at most half full: memory is
 * bounded by the evaluation sets, never by the corpus. A pair's question and its answer
 * are compared apart (no n-gram spans both); the first match decides, and says which
 * evaluation file it came from (the file that added the n-gram first).
 *
 *   const index = new NgramIndex(13);
 *   index.addText(evalQuestion, 0)  // the n-grams the text has
 *   index.firstMatch(pair.answer)   // 0 (file 0) or -1
 */

/** The default n-gram length (GPT-3, lm-evaluation-harness). */
export const DEFAULT_NGRAM = 13;

const SEED_A = 0x811c9dc5;
const SEED_B = 0x5bd1e995;
const EMPTY = 0; // a slot whose both lanes are 0 is empty (a hash of 0,0 is stored as 0,1)

/** The words of a text: lower-cased, split on anything that is not a letter or digit. */
export function wordsOf(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word !== '');
}

/** Two 32-bit lanes (FNV-1a and a MurmurHash-style mix) over the words of one n-gram, a space between words. */
function hashNgram(words: readonly string[], from: number, n: number, out: Uint32Array): void {
  let a = SEED_A;
  let b = SEED_B;
  for (let w = from; w < from + n; w++) {
    const word = words[w];
    for (let i = 0; i < word.length; i++) {
      const c = word.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0xcc9e2d51);
      b = (b << 13) | (b >>> 19);
    }
    a = Math.imul(a ^ 32, 0x01000193);
    b = Math.imul(b ^ 32, 0xcc9e2d51);
  }
  b ^= b >>> 16;
  b = Math.imul(b, 0x85ebca6b);
  b ^= b >>> 13;
  out[0] = a >>> 0;
  out[1] = b >>> 0 || (out[0] === EMPTY ? 1 : 0);
}

/** The evaluation sets' n-grams, hashed (see the header). */
export class NgramIndex {
  private lanes = new Uint32Array(2 * 1024);
  private files = new Uint16Array(1024);
  private count = 0;
  private readonly hash = new Uint32Array(2);

  constructor(readonly n: number = DEFAULT_NGRAM) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`n-gram length must be a positive integer, got ${n}`);
  }

  /** Distinct n-grams held. */
  get size(): number {
    return this.count;
  }

  /** Adds every n-gram of `text`, from evaluation file `file` (its index; an n-gram already held keeps its file); returns how many the text has. */
  addText(text: string, file: number): number {
    const words = wordsOf(text);
    for (let i = 0; i + this.n <= words.length; i++) {
      hashNgram(words, i, this.n, this.hash);
      this.insert(this.hash[0], this.hash[1], file);
    }
    return Math.max(0, words.length - this.n + 1);
  }

  /** The evaluation file of the first n-gram of `text` found in the index, or -1. */
  firstMatch(text: string): number {
    if (this.count === 0) return -1;
    const words = wordsOf(text);
    for (let i = 0; i + this.n <= words.length; i++) {
      hashNgram(words, i, this.n, this.hash);
      const file = this.lookup(this.hash[0], this.hash[1]);
      if (file >= 0) return file;
    }
    return -1;
  }

  private slotOf(a: number, b: number): number {
    const mask = this.files.length - 1;
    let slot = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const at = slot * 2;
      if ((this.lanes[at] === a && this.lanes[at + 1] === b) || (this.lanes[at] === EMPTY && this.lanes[at + 1] === EMPTY)) return slot;
      slot = (slot + 1) & mask;
    }
  }

  private lookup(a: number, b: number): number {
    const slot = this.slotOf(a, b);
    return this.lanes[slot * 2 + 1] === EMPTY && this.lanes[slot * 2] === EMPTY ? -1 : this.files[slot];
  }

  private insert(a: number, b: number, file: number): void {
    if ((this.count + 1) * 2 > this.files.length) this.grow();
    const slot = this.slotOf(a, b);
    if (this.lanes[slot * 2] !== EMPTY || this.lanes[slot * 2 + 1] !== EMPTY) return;
    this.lanes[slot * 2] = a;
    this.lanes[slot * 2 + 1] = b;
    this.files[slot] = file;
    this.count++;
  }

  private grow(): void {
    const [lanes, files] = [this.lanes, this.files];
    this.lanes = new Uint32Array(lanes.length * 2);
    this.files = new Uint16Array(files.length * 2);
    for (let slot = 0; slot < files.length; slot++) {
      const [a, b] = [lanes[slot * 2], lanes[slot * 2 + 1]];
      if (a === EMPTY && b === EMPTY) continue;
      const to = this.slotOf(a, b);
      this.lanes[to * 2] = a;
      this.lanes[to * 2 + 1] = b;
      this.files[to] = files[slot];
    }
  }
}
