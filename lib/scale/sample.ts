/**
 * sample — `--target-samples N`: a deterministic sample of N passed pairs, the
 * N whose sample key is smallest (bottom-k). Pure: no stream, no file.
 *
 * A pair's sample key is a 64-bit hash of its split key (normalized as the split
 * normalizes it, lib/dataset/split.ts normalizeSplitKey) and the seed, then its position
 * (input index, line) to break ties between equal hashes (duplicates of a key):
 *
 *   hash = murmur3_x86_32(key, seed ^ SAMPLE_SEED_HI) · 2^32 + murmur3_x86_32(key, seed ^ SAMPLE_SEED_LO)
 *
 * The same hash family as the split, with seeds of its own: the split compares
 * murmur3(key, seed) with cumulative ratios, so a bottom-k of that very hash would
 * take every sampled pair from the first split. With derived seeds the sample is
 * independent of the split, and every split keeps its ratio in expectation.
 * Bottom-k gives what a sample needs here:
 *   - reproducible anywhere (a published hash of the key, no random state);
 *   - stable when the corpus grows: a pair stays sampled unless one of the new
 *     pairs hashes below it; growing by 10 % replaces about 9 % of the sample;
 *   - one pass finds the cut: `BottomK` keeps the N smallest keys in a max-heap
 *     (N entries of four numbers, whatever the corpus size), whose largest is the
 *     cutoff; a second pass keeps the pairs whose key is ≤ the cutoff (`makeSampler`).
 *
 *   const bottom = new BottomK(2);
 *   for (const [q, line] of [['a', 1], ['b', 2], ['c', 3]]) bottom.offer(sampleKey(q, 42, 0, line));
 *   const keep = makeSampler(bottom.result(), 42);
 *   keep('a', 0, 1) // true or false: the two smallest of three keys are kept
 */
import { got, optionError } from '../errors';
import { murmur3, normalizeSplitKey } from '../dataset/split';

/** Identifies the sample rule (stats.json, the options hash): a changed rule refuses a resume. */
export const SAMPLE_RULE = 'bottom-k of murmur3_x86_32(nfc-trim-collapse-lower(key), seed ^ 0x53414d50 | seed ^ 0x4c454b31), ties by input and line v1';

/** The seeds of the two 32-bit halves, derived from --seed ("SAMP", "LEK1"): never the split's own hash. */
const SAMPLE_SEED_HI = 0x53414d50;
const SAMPLE_SEED_LO = 0x4c454b31;

/** A pair's place in the sample order: hash (two unsigned 32-bit halves), then input index and line. */
export interface SampleKey {
  hi: number;
  lo: number;
  input: number;
  line: number;
}

/** Where the sample ends: its largest key (hash as 16 hex digits), recorded in the checkpoint and stats.json. */
export interface SampleCutoff {
  hash: string;
  input: number;
  line: number;
}

/**
 * The result of the first pass: the target, the passed pairs it saw, and the
 * cutoff (null when there were at most `target`: every passed pair is kept).
 */
export interface SampleThreshold {
  target: number;
  passed: number;
  cutoff: SampleCutoff | null;
}

/** --target-samples: a positive integer (the CLI passes text). */
export function targetSamplesOption(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw optionError('target-samples', `--target-samples must be a positive integer (the number of passed pairs to keep), ${got(value)}`);
  }
  return number;
}

/** The sample key of a pair whose split-key value is `key`. */
export function sampleKey(key: unknown, seed: number, input: number, line: number): SampleKey {
  const text = normalizeSplitKey(key);
  return { hi: murmur3(text, (seed ^ SAMPLE_SEED_HI) >>> 0), lo: murmur3(text, (seed ^ SAMPLE_SEED_LO) >>> 0), input, line };
}

/** Orders sample keys: hash, then input, then line. */
export function compareSampleKeys(a: SampleKey, b: SampleKey): number {
  return a.hi - b.hi || a.lo - b.lo || a.input - b.input || a.line - b.line;
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}

export function cutoffOf(key: SampleKey): SampleCutoff {
  return { hash: `${hex32(key.hi)}${hex32(key.lo)}`, input: key.input, line: key.line };
}

function keyOfCutoff(cutoff: SampleCutoff): SampleKey {
  if (!/^[0-9a-f]{16}$/.test(cutoff.hash)) throw new Error(`internal: sample cutoff ${JSON.stringify(cutoff.hash)} is not 16 hex digits`);
  return { hi: parseInt(cutoff.hash.slice(0, 8), 16), lo: parseInt(cutoff.hash.slice(8), 16), input: cutoff.input, line: cutoff.line };
}

/**
 * The `k` smallest sample keys seen, in a binary max-heap: memory is k keys
 * (4 numbers each), however many are offered; each offer is O(log k).
 */
export class BottomK {
  private readonly heap: SampleKey[] = [];
  /** Keys offered (passed pairs seen). */
  offered = 0;

  constructor(readonly k: number) {
    if (!Number.isSafeInteger(k) || k < 1) throw new Error(`internal: bottom-k of ${k}`);
  }

  offer(key: SampleKey): void {
    this.offered++;
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push(key);
      this.siftUp(heap.length - 1);
    } else if (compareSampleKeys(key, heap[0]) < 0) {
      heap[0] = key;
      this.siftDown(0);
    }
  }

  /** The threshold: the largest kept key once more than k were offered, else null (keep all). */
  result(): SampleThreshold {
    return { target: this.k, passed: this.offered, cutoff: this.offered > this.k ? cutoffOf(this.heap[0]) : null };
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (compareSampleKeys(heap[i], heap[parent]) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let largest = i;
      if (left < heap.length && compareSampleKeys(heap[left], heap[largest]) > 0) largest = left;
      if (right < heap.length && compareSampleKeys(heap[right], heap[largest]) > 0) largest = right;
      if (largest === i) return;
      [heap[i], heap[largest]] = [heap[largest], heap[i]];
      i = largest;
    }
  }
}

/** Keeps a passed pair (split-key value, input index, line) when its sample key is ≤ the cutoff. */
export type Sampler = (key: unknown, input: number, line: number) => boolean;

export function makeSampler(threshold: SampleThreshold, seed: number): Sampler {
  if (threshold.cutoff === null) return () => true;
  const cutoff = keyOfCutoff(threshold.cutoff);
  return (key, input, line) => compareSampleKeys(sampleKey(key, seed, input, line), cutoff) <= 0;
}
