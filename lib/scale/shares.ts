/**
 * shares — each rank's share of the inputs: deterministic, balanced by bytes.
 * Pure; the line starts it needs are looked up by lib/io/shares.ts.
 *
 * The inputs, in the order export reads them (sorted), are laid end to end; the
 * total is cut at `c_i = floor(total · i / N)`. Every line belongs to the rank
 * where it starts: a line starting at global byte g belongs to the highest rank i
 * with c_i ≤ g. So a rank's share is a run of whole lines, possibly a part of
 * one huge file, possibly many small files. A compressed input (.gz/.zst) cannot
 * be entered mid-file (its offsets are decompressed ones): it is one unit at its
 * first byte, so the whole file goes to the rank where it starts. An empty file
 * is one unit too (its rank reads it, so it is counted as a single run counts it).
 *
 * Boundary i is the first unit (line start, compressed or empty file) at or after
 * c_i: `{ input, offset }`, `{ input: files.length, offset: 0 }` for the end. Rank
 * i reads from boundary i up to boundary i + 1.
 *
 *   const queries = lineStartQueries(files, 3);           // [{ input, from }]: first line start ≥ from
 *   const ranges = shareRanges(files, 3, 1, lookedUp);    // rank 1's ranges
 */

/** What the share needs to know of an input. */
export interface ShareFile {
  /** Bytes on disk. */
  size: number;
  /** gzip/zstd: assigned whole. */
  compressed: boolean;
}

/** A part of one input a rank reads: lines starting in [start, end); `end` null: to the end of a compressed file. */
export interface ShareRange {
  input: number;
  start: number;
  end: number | null;
}

/** A line start inside an uncompressed input; `input === files.length` is the end of everything. */
export interface Boundary {
  input: number;
  offset: number;
}

/** A lookup of the first line start at or after byte `from` (0 < from < size) of `input`: returns it, or the size when none. */
export interface LineStartQuery {
  input: number;
  from: number;
}

export type LineStarts = ReadonlyMap<string, number>;

export function queryKey(query: LineStartQuery): string {
  return `${query.input}:${query.from}`;
}

/** The cut points c_0 … c_N. */
export function cutPoints(total: number, worldSize: number): number[] {
  // BigInt: total · i may pass 2^53 for a corpus of petabytes times many ranks.
  return Array.from({ length: worldSize + 1 }, (_v, i) => Number((BigInt(total) * BigInt(i)) / BigInt(worldSize)));
}

type Locate = { kind: 'boundary'; boundary: Boundary } | { kind: 'query'; query: LineStartQuery };

/** Where cut `c` falls: a unit boundary already, or the line start to look up inside an uncompressed file. */
function locate(files: readonly ShareFile[], c: number): Locate {
  let start = 0;
  for (let input = 0; input < files.length; input++) {
    const file = files[input];
    if (start >= c) return { kind: 'boundary', boundary: { input, offset: 0 } };
    if (!file.compressed && c < start + file.size) return { kind: 'query', query: { input, from: c - start } };
    start += file.size;
  }
  return { kind: 'boundary', boundary: { input: files.length, offset: 0 } };
}

/** The line starts boundaries `first…last` (default all) need looked up. */
export function lineStartQueries(files: readonly ShareFile[], worldSize: number, ranks?: readonly number[]): LineStartQuery[] {
  const cuts = cutPoints(totalBytes(files), worldSize);
  const wanted = ranks ?? Array.from({ length: worldSize + 1 }, (_v, i) => i);
  const queries: LineStartQuery[] = [];
  for (const i of wanted) {
    if (i <= 0 || i >= worldSize) continue;
    const where = locate(files, cuts[i]);
    if (where.kind === 'query') queries.push(where.query);
  }
  return queries;
}

export function totalBytes(files: readonly ShareFile[]): number {
  return files.reduce((sum, file) => sum + file.size, 0);
}

/** Boundary i (0 ≤ i ≤ N), with the looked-up line starts. */
export function boundary(files: readonly ShareFile[], worldSize: number, i: number, starts: LineStarts): Boundary {
  if (i <= 0) return { input: 0, offset: 0 };
  if (i >= worldSize) return { input: files.length, offset: 0 };
  const where = locate(files, cutPoints(totalBytes(files), worldSize)[i]);
  if (where.kind === 'boundary') return where.boundary;
  const found = starts.get(queryKey(where.query));
  if (found === undefined) throw new Error(`internal: line start ${queryKey(where.query)} was not looked up`);
  // No line starts after the cut in this file: the next unit is the next file's first.
  return found >= files[where.query.input].size ? { input: where.query.input + 1, offset: 0 } : { input: where.query.input, offset: found };
}

/** Rank `rank`'s ranges: every unit from boundary `rank` up to boundary `rank + 1`, in input order. */
export function shareRanges(files: readonly ShareFile[], worldSize: number, rank: number, starts: LineStarts): ShareRange[] {
  const from = boundary(files, worldSize, rank, starts);
  const to = boundary(files, worldSize, rank + 1, starts);
  const ranges: ShareRange[] = [];
  for (let input = from.input; input <= Math.min(to.input, files.length - 1); input++) {
    const file = files[input];
    const start = input === from.input ? from.offset : 0;
    const end = input === to.input ? to.offset : file.size;
    if (input === to.input && to.offset === 0) break; // the next rank's first unit
    if (file.compressed) ranges.push({ input, start: 0, end: null });
    else if (file.size === 0 || start < end) ranges.push({ input, start, end });
  }
  return ranges;
}
