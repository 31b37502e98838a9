/**
 * sketch — bounded-memory summaries of a stream of numbers and of names, whose
 * state is plain JSON (a checkpoint carries it) and whose result depends only on
 * the order of what was added, so a resumed run ends with the same numbers.
 *
 *   const lengths = emptyLengthSketch();
 *   addLength(lengths, 12);
 *   quantile(lengths, 0.9)        // 12
 *   powerOfTwoHistogram(lengths)  // [{ range: '8-15', count: 1 }]
 *
 *   const names = new TopCounter(); names.add('sjuksköterska/erfaren'); names.state
 *
 * A length sketch keeps exact min, max, count and total, and a count per bucket:
 * values below EXACT_BELOW each have their own bucket (exact quantiles there);
 * above, every power-of-two range [2^e, 2^(e+1)) is cut into SUB_BUCKETS equal
 * buckets, so a quantile is at most 1/SUB_BUCKETS (1.6 %) below the true value
 * (the HdrHistogram idea). A 10 MiB line needs at most 1,216 buckets: the
 * memory is bounded by the range of values, never by how many were added.
 */

/** Values below this are counted exactly (one bucket each). */
export const EXACT_BELOW = 128;
/** Buckets per power of two above EXACT_BELOW: relative error of a quantile ≤ 1/64. */
export const SUB_BUCKETS = 64;
const EXACT_BITS = Math.log2(EXACT_BELOW); // 7
const SUB_BITS = Math.log2(SUB_BUCKETS); // 6

export interface LengthSketch {
  count: number;
  total: number;
  min: number | null;
  max: number | null;
  /** Count per bucket index (bucketOf); integer keys, so JSON order is ascending whatever the input order. */
  buckets: Record<string, number>;
}

export function emptyLengthSketch(): LengthSketch {
  return { count: 0, total: 0, min: null, max: null, buckets: {} };
}

/** The bucket of a non-negative integer. */
export function bucketOf(value: number): number {
  if (value < EXACT_BELOW) return value;
  const exponent = Math.floor(Math.log2(value));
  const sub = Math.floor(value / 2 ** (exponent - SUB_BITS)) - SUB_BUCKETS;
  return EXACT_BELOW + (exponent - EXACT_BITS) * SUB_BUCKETS + sub;
}

/** The smallest value of a bucket. */
export function bucketLow(bucket: number): number {
  if (bucket < EXACT_BELOW) return bucket;
  const exponent = Math.floor((bucket - EXACT_BELOW) / SUB_BUCKETS) + EXACT_BITS;
  const sub = (bucket - EXACT_BELOW) % SUB_BUCKETS;
  return (SUB_BUCKETS + sub) * 2 ** (exponent - SUB_BITS);
}

export function addLength(sketch: LengthSketch, value: number): void {
  sketch.count++;
  sketch.total += value;
  if (sketch.min === null || value < sketch.min) sketch.min = value;
  if (sketch.max === null || value > sketch.max) sketch.max = value;
  const key = bucketOf(value);
  sketch.buckets[key] = (sketch.buckets[key] ?? 0) + 1;
}

/**
 * The nearest-rank quantile: the smallest value v with at least ceil(q·n) values
 * ≤ v, taken as its bucket's low end (exact below EXACT_BELOW) and kept within
 * [min, max]. Null when the sketch is empty.
 */
export function quantile(sketch: LengthSketch, q: number): number | null {
  if (sketch.count === 0) return null;
  const rank = Math.max(1, Math.ceil(q * sketch.count));
  let seen = 0;
  for (const key of sortedBuckets(sketch)) {
    seen += sketch.buckets[key];
    if (seen >= rank) return Math.min(sketch.max!, Math.max(sketch.min!, bucketLow(key)));
  }
  return sketch.max;
}

function sortedBuckets(sketch: LengthSketch): number[] {
  return Object.keys(sketch.buckets)
    .map(Number)
    .sort((a, b) => a - b);
}

export interface HistogramBin {
  /** `0`, `1`, `2-3`, `4-7`, …: the values the bin holds. */
  range: string;
  count: number;
}

/**
 * A histogram over power-of-two ranges (0, 1, 2-3, 4-7, …) up to the range of the
 * maximum, empty bins included. Exact: every bucket lies inside one such range.
 */
export function powerOfTwoHistogram(sketch: LengthSketch): HistogramBin[] {
  if (sketch.count === 0) return [];
  const binOf = (value: number) => (value === 0 ? 0 : Math.floor(Math.log2(value)) + 1);
  const bins: HistogramBin[] = [];
  for (let bin = 0; bin <= binOf(sketch.max!); bin++) {
    const low = bin === 0 ? 0 : 2 ** (bin - 1);
    const high = bin === 0 ? 0 : 2 ** bin - 1;
    bins.push({ range: low === high ? String(low) : `${low}-${high}`, count: 0 });
  }
  for (const key of sortedBuckets(sketch)) bins[binOf(bucketLow(key))].count += sketch.buckets[key];
  return bins;
}

/** min/p50/p90/p99/max, the mean and the histogram, as report.json shows a length. */
export function summarizeLengths(sketch: LengthSketch): Record<string, unknown> {
  return {
    count: sketch.count,
    min: sketch.min,
    p50: quantile(sketch, 0.5),
    p90: quantile(sketch, 0.9),
    p99: quantile(sketch, 0.99),
    max: sketch.max,
    mean: sketch.count ? sketch.total / sketch.count : null,
    histogram: powerOfTwoHistogram(sketch),
  };
}

/** Names a TopCounter keeps counts for at most (twice this before it prunes back to it). */
export const TOP_CAPACITY = 1000;

export interface TopCounterState {
  /** [name, count] pairs (an array: names like "12" would reorder as object keys). */
  counts: [string, number][];
  /** Everything added, also what pruning dropped. */
  total: number;
  /** True once a prune dropped a name: counts are then lower bounds, `other` absorbs the rest. */
  pruned: boolean;
}

export function emptyTopCounterState(): TopCounterState {
  return { counts: [], total: 0, pruned: false };
}

/**
 * Counts per name, bounded: when more than 2 × capacity names are held, the
 * capacity most frequent are kept (ties: the name first in code-unit order) and
 * the rest dropped. Exact while the names fit (the usual corpus: tens of personas,
 * hundreds of source documents); after a prune a frequent name keeps a count that
 * is a lower bound. Deterministic: prunes fall where the number of names says.
 */
export class TopCounter {
  private readonly counts: Map<string, number>;
  private total: number;
  private pruned: boolean;

  constructor(
    state: TopCounterState = emptyTopCounterState(),
    private readonly capacity = TOP_CAPACITY,
  ) {
    this.counts = new Map(state.counts);
    this.total = state.total;
    this.pruned = state.pruned;
  }

  add(name: string): void {
    this.total++;
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    if (this.counts.size > 2 * this.capacity) this.prune();
  }

  private prune(): void {
    const kept = ranked(this.counts).slice(0, this.capacity);
    this.counts.clear();
    for (const [name, count] of kept) this.counts.set(name, count);
    this.pruned = true;
  }

  get state(): TopCounterState {
    return { counts: [...this.counts], total: this.total, pruned: this.pruned };
  }

  /** The `limit` most frequent names and the count of all the others. */
  top(limit: number): { top: { name: string; count: number }[]; other: number; names: number | null; exact: boolean } {
    const top = ranked(this.counts)
      .slice(0, limit)
      .map(([name, count]) => ({ name, count }));
    const shown = top.reduce((sum, item) => sum + item.count, 0);
    return { top, other: this.total - shown, names: this.pruned ? null : this.counts.size, exact: !this.pruned };
  }
}

function ranked(counts: Map<string, number>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
