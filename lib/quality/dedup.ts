/**
 * dedup — exact and near duplicates of question–answer pairs, in input order
 * (pure: no stream, no file).
 *
 * Exact: the same question and answer after normalization (Unicode NFKC,
 * case-folded, whitespace collapsed, trimmed), compared by a 64-bit hash of the
 * normalized pair (exactKey: two 32-bit lanes; a collision among 1 M records has a
 * chance of about 3 in 10^8). Near: MinHash over word 5-gram shingles of question + answer
 * (words: see wordHashes), with LSH in datatrove's layout
 * (14 bands × 8 hashes); a candidate sharing a band is verified on its stored
 * signature (8 bits kept per hash, b-bit minwise hashing: the estimate is corrected
 * for the 1/256 chance agreement) and is a near duplicate when the estimated
 * Jaccard similarity reaches the threshold (one-permutation MinHash: see signature); an exact duplicate is never also near.
 * The first record of a group, in input order, is kept; later ones are its duplicates.
 *
 * Memory, per pair checked (state that grows with the run):
 *   - always: the exact table (8-byte key + 4-byte record number per slot, load
 *     0.35–0.7: ~17–34 bytes) and the record's split, input and line (7 bytes) and a group bit;
 *   - near: its 112-byte signature and 14 LSH slots of 4 bytes (load 0.35–0.7: ~80–160 bytes).
 * Exact alone ≈ 25–42 bytes a record; near ≈ 220–320 (measured at 1 M bench records,
 * bench/dedup.ts: 34 and 302, capacity included).
 *
 * Resume: every decision also returns the record's log bytes (recordLogBytes: 15,
 * or 127 with near, per record: key, split, input, line, and the signature with near); replaying the
 * log of the committed records rebuilds the very same index, so decisions after a
 * resume are those of an uninterrupted run.
 *
 *   const index = new DedupIndex({ near: true, threshold: 0.8 });
 *   index.check('Vad är feber?', 'Över 38 grader.', { split: 0, input: 0, line: 1 }) // { kind: null, … }
 *   index.check('vad är  FEBER?', 'över 38 grader.', { split: 1, input: 0, line: 2 }) // { kind: 'exact', of: { split: 0, input: 0, line: 1 }, acrossSplits: true, newGroup: true, … }
 */
import { SEED_B, lowerLatin, putUint32, getUint32, HashSlots, Growing } from './dedup-keys';
import { exactKeyWasm } from './exact-key-wasm';

/** datatrove's MinHash defaults: 14 buckets of 8 hashes, word 5-grams. */
export const NEAR_BANDS = 14;
export const NEAR_ROWS = 8;
export const NEAR_HASHES = NEAR_BANDS * NEAR_ROWS;
export const SHINGLE_WORDS = 5;
/** Default --near-threshold: estimated Jaccard similarity of the shingle sets. */
export const DEFAULT_NEAR_THRESHOLD = 0.8;

/** Log bytes per record: key (8), split (1), input (2), line (4); near adds the signature. */
export const EXACT_LOG_BYTES = 15;
export function recordLogBytes(near: boolean): number {
  return EXACT_LOG_BYTES + (near ? NEAR_HASHES : 0);
}

/** Flags per record (byte 7 of its place): it has duplicates; its bands are in the LSH slots. */
const GROUPED = 1;
const IN_BANDS = 2;
/** Rotation densification's offset per bin stepped over (any odd constant). */
const DENSIFY_STEP = 0x165667b1;

/** Where a record came from: its split, input index and line. */
export interface RecordPlace {
  split: number;
  input: number;
  line: number;
}

export interface DedupDecision {
  kind: 'exact' | 'near' | null;
  /** The kept record this one duplicates. */
  of: { split: number; input: number; line: number } | null;
  /** The two sit in different splits. */
  acrossSplits: boolean;
  /** The kept record had no duplicate before: a new group. */
  newGroup: boolean;
  /** This record's bytes for the resume log. */
  log: Uint8Array;
}

/** The state of one run's duplicate detection; see the header. */
export class DedupIndex {
  private readonly exact = new HashSlots(2);
  /** Band slots: the band hash places a record, the signature's band bytes confirm it (no keys stored). */
  private bandCapacity = 1024;
  private bands = new Int32Array(this.bandCapacity).fill(-1);
  private bandsUsed = 0;
  /** Per record: split (1), input (2), line (4), flags (1). */
  private readonly places = new Growing();
  private readonly signatures = new Growing();
  private records = 0;
  private readonly near: boolean;
  private readonly threshold: number;
  private readonly key = new Uint32Array(2);
  private readonly lookup = new Uint32Array(2);
  private readonly minima = new Int32Array(NEAR_HASHES);

  constructor(options: { near: boolean; threshold?: number }) {
    this.near = options.near;
    this.threshold = options.threshold ?? DEFAULT_NEAR_THRESHOLD;
  }

  /** Bytes the index holds now (its typed arrays, capacity included): what grows with the records. */
  get bytes(): number {
    return this.exact.bytes + this.bands.byteLength + this.places.bytes.byteLength + (this.near ? this.signatures.bytes.byteLength : 0);
  }

  /** Records checked so far. */
  get size(): number {
    return this.records;
  }

  /** Decides one pair (in input order) and adds it to the index. */
  check(question: string, answer: string, place: RecordPlace): DedupDecision {
    return this.checkFingerprint(this.fingerprint(question, answer), place);
  }

  /**
   * A pair's log bytes without its place (key, and the signature with near): the
   * per-record work of check, pure and apart from the index, so it can run where
   * the row is made (a worker, lib/quality/facts.ts) and checkFingerprint decide in order.
   * `measures`: exactKey's (the pair's lengths and words, -1 where not measured).
   */
  fingerprint(question: string, answer: string, into?: Uint8Array, measures?: Int32Array): Uint8Array {
    let q = question;
    let a = answer;
    // Most text is Latin-1 and needs no NFKC: the key folds its case as it reads, and says when it met other text.
    // exactKeyWasm: dedup-keys.ts exactKey computed in WebAssembly, the same bits, ~2.5× faster (bench/README.md).
    if (!exactKeyWasm(q, a, this.key, true, measures ?? null)) {
      measures?.fill(-1);
      q = q.normalize('NFKC').toLowerCase();
      a = a.normalize('NFKC').toLowerCase();
      exactKeyWasm(q, a, this.key);
    }
    // `into`: recordLogBytes of a caller's larger buffer (lib/quality/facts.ts hands out slices of one), which saves an allocation a record.
    const log = into ?? new Uint8Array(recordLogBytes(this.near));
    putUint32(log, 0, this.key[0] || 1);
    putUint32(log, 4, this.key[1]);
    if (this.near) this.signature(`${q} ${a}`, log.subarray(EXACT_LOG_BYTES));
    return log;
  }

  /** Decides a pair by its fingerprint (adopted: its place is written into it) and adds it to the index. */
  checkFingerprint(fingerprint: Uint8Array, place: RecordPlace): DedupDecision {
    if (fingerprint.length !== recordLogBytes(this.near)) throw new Error(`internal: a dedup fingerprint of ${fingerprint.length} bytes, not ${recordLogBytes(this.near)}`);
    fingerprint[8] = place.split;
    fingerprint[9] = place.input >>> 8;
    fingerprint[10] = place.input & 0xff;
    putUint32(fingerprint, 11, place.line);
    return this.apply(fingerprint);
  }

  /** Replays a resume log (whole records), rebuilding the index as it was. */
  replay(log: Uint8Array): void {
    const size = recordLogBytes(this.near);
    if (log.length % size !== 0) throw new Error(`internal: a dedup log of ${log.length} bytes is not whole records of ${size}`);
    for (let at = 0; at < log.length; at += size) this.apply(log.slice(at, at + size));
  }

  private apply(log: Uint8Array): DedupDecision {
    const key = this.lookup;
    key[0] = getUint32(log, 0);
    key[1] = getUint32(log, 4);
    const split = log[8];
    const record = this.records++;
    this.places.ensure(this.records * 8);
    this.places.bytes.set(log.subarray(8, 15), record * 8);
    let kind: DedupDecision['kind'] = null;
    let first = this.exact.get(key);
    if (first >= 0) kind = 'exact';
    else {
      this.exact.set(key, record);
      if (this.near) {
        const signature = log.subarray(EXACT_LOG_BYTES);
        this.signatures.ensure(this.records * NEAR_HASHES);
        this.signatures.bytes.set(signature, record * NEAR_HASHES);
        first = this.nearCandidate(record, signature);
        if (first >= 0) kind = 'near';
        else this.addBands(record);
      }
    }
    if (kind === null) return { kind, of: null, acrossSplits: false, newGroup: false, log };
    const places = new DataView(this.places.bytes.buffer);
    const newGroup = (places.getUint8(first * 8 + 7) & GROUPED) === 0;
    places.setUint8(first * 8 + 7, places.getUint8(first * 8 + 7) | GROUPED);
    const of = { split: places.getUint8(first * 8), input: places.getUint16(first * 8 + 1), line: places.getUint32(first * 8 + 3) };
    return { kind, of, acrossSplits: of.split !== split, newGroup, log };
  }

  /**
   * The MinHash signature of the text's word 5-gram shingles by one-permutation
   * hashing (Li, Owen & Zhang 2012): each shingle is hashed once into one of the
   * 112 bins, the minimum kept per bin; an empty bin takes the next filled bin's
   * minimum plus a per-step constant (rotation densification, Shrivastava & Li 2014),
   * so equal bins still estimate the Jaccard similarity. One hash per shingle, not
   * 112: the near check costs a few µs a record. 8 low bits kept per bin.
   */
  private signature(text: string, out: Uint8Array): void {
    const wordHashes = this.wordHashes(text);
    const count = this.wordCount;
    const minima = this.minima.fill(-1);
    const shingles = Math.max(1, count - SHINGLE_WORDS + 1);
    for (let s = 0; s < shingles; s++) {
      let h = SEED_B;
      const end = Math.min(count, s + SHINGLE_WORDS);
      for (let w = s; w < end; w++) h = Math.imul(h ^ wordHashes[w], 0x01000193) ^ (h >>> 15);
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
      h ^= h >>> 16;
      const bin = (h >>> 0) % NEAR_HASHES;
      const value = Math.imul(h, 0x27d4eb2f) >>> 1; // within the bin: independent of the bin's bits
      if (minima[bin] < 0 || value < minima[bin]) minima[bin] = value;
    }
    for (let i = 0; i < NEAR_HASHES; i++) {
      let value = minima[i];
      for (let step = 1; value < 0 && step < NEAR_HASHES; step++) {
        const next = minima[(i + step) % NEAR_HASHES];
        if (next >= 0) value = (next + Math.imul(step, DENSIFY_STEP)) >>> 1;
      }
      out[i] = value & 0xff; // the low bits: the high bits of a minimum are mostly 0
    }
  }

  private hashes = new Int32Array(256);
  private wordCount = 0;

  /**
   * The hash of every word of `text` (normalized: lower-cased), in one pass: a word is
   * a run of ASCII letters and digits or of non-ASCII characters other than spaces
   * and general punctuation (U+2000–U+206F, U+3000, U+00A0–U+00BF, U+00D7, U+00F7).
   */
  private wordHashes(text: string): Int32Array {
    let count = 0;
    let h = 0;
    let inWord = false;
    for (let i = 0; i <= text.length; i++) {
      const c = i < text.length ? lowerLatin(text.charCodeAt(i)) : 32;
      const word =
        c < 128
          ? (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || (c >= 65 && c <= 90)
          : !((c >= 0xa0 && c <= 0xbf) || c === 0xd7 || c === 0xf7 || (c >= 0x2000 && c <= 0x206f) || c === 0x3000);
      if (word) {
        if (!inWord) h = 0x811c9dc5;
        h = Math.imul(h ^ c, 0x01000193);
        inWord = true;
      } else if (inWord) {
        if (count === this.hashes.length) {
          const grown = new Int32Array(count * 2);
          grown.set(this.hashes);
          this.hashes = grown;
        }
        h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
        h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
        this.hashes[count++] = h ^ (h >>> 16);
        inWord = false;
      }
    }
    this.wordCount = count;
    return this.hashes;
  }

  /** A band's slot comes from its 8 signature bytes alone, so a replayed log places it the same. */
  private bandSlot(b: number, signature: Uint8Array): number {
    let h = Math.imul(b + 1, 0x9e3779b1);
    for (let r = 0; r < NEAR_ROWS; r++) h = Math.imul(h ^ signature[b * NEAR_ROWS + r], 0x85ebca6b) ^ (h >>> 13);
    h ^= h >>> 16;
    return (h >>> 0) & (this.bandCapacity - 1);
  }

  private sameBand(record: number, other: number, b: number): boolean {
    const sigs = this.signatures.bytes;
    const x = record * NEAR_HASHES + b * NEAR_ROWS;
    const y = other * NEAR_HASHES + b * NEAR_ROWS;
    for (let r = 0; r < NEAR_ROWS; r++) if (sigs[x + r] !== sigs[y + r]) return false;
    return true;
  }

  /** The earliest kept record sharing a band whose estimated Jaccard reaches the threshold, or -1. */
  private nearCandidate(record: number, signature: Uint8Array): number {
    let best = -1;
    for (let b = 0; b < NEAR_BANDS; b++) {
      for (let s = this.bandSlot(b, signature); ; s = (s + 1) & (this.bandCapacity - 1)) {
        const other = this.bands[s];
        if (other < 0) break;
        if ((best < 0 || other < best) && this.sameBand(record, other, b) && this.estimate(record, other) >= this.threshold) best = other;
      }
    }
    return best;
  }

  /** Estimated Jaccard similarity from 8-bit minima: agreement corrected for chance (1/256). */
  private estimate(x: number, y: number): number {
    const sigs = this.signatures.bytes;
    let equal = 0;
    for (let i = 0; i < NEAR_HASHES; i++) if (sigs[x * NEAR_HASHES + i] === sigs[y * NEAR_HASHES + i]) equal++;
    const chance = 1 / 256;
    return (equal / NEAR_HASHES - chance) / (1 - chance);
  }

  private addBands(record: number): void {
    if ((this.bandsUsed + NEAR_BANDS) * 10 > this.bandCapacity * 7) this.growBands();
    const signature = this.signatures.bytes.subarray(record * NEAR_HASHES, (record + 1) * NEAR_HASHES);
    for (let b = 0; b < NEAR_BANDS; b++) this.place(b, record, signature);
    this.places.bytes[record * 8 + 7] |= IN_BANDS;
  }

  private place(b: number, record: number, signature: Uint8Array): void {
    let s = this.bandSlot(b, signature);
    while (this.bands[s] >= 0) s = (s + 1) & (this.bandCapacity - 1);
    this.bands[s] = record;
    this.bandsUsed++;
  }

  private growBands(): void {
    // Rebuilt from the kept records' signatures: each band slot is recomputed.
    this.bandCapacity *= 2;
    this.bands = new Int32Array(this.bandCapacity).fill(-1);
    this.bandsUsed = 0;
    const flags = this.places.bytes;
    for (let record = 0; record < this.records; record++) {
      if ((flags[record * 8 + 7] & IN_BANDS) === 0) continue;
      const signature = this.signatures.bytes.subarray(record * NEAR_HASHES, (record + 1) * NEAR_HASHES);
      for (let b = 0; b < NEAR_BANDS; b++) this.place(b, record, signature);
    }
  }
}
