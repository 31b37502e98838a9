/**
 * rank — which share of an export this process runs: its rank and the world size,
 * from the flags `--rank R --world-size N` or from the scheduler's environment.
 * Pure: the environment comes in as a plain object.
 *
 * Sources, in order (the flags win over the environment; the first scheduler
 * whose index variable is set is used):
 *   flags      --rank R --world-size N
 *   kubernetes JOB_COMPLETION_INDEX (Indexed Job); the size only from --world-size
 *   slurm      (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP (1 when unset;
 *              --array=0-8:2 gives ranks 0…4), size SLURM_ARRAY_TASK_COUNT
 *   aws-batch  AWS_BATCH_JOB_ARRAY_INDEX, size AWS_BATCH_JOB_ARRAY_SIZE
 * Nothing set: null (a single-machine export). A bad value is one ERR_USAGE line.
 *
 *   resolveRank({ rank: '2', worldSize: '3' }, process.env)
 *   // { rank: 2, worldSize: 3, source: 'flags' }
 */
import { QaHfError, got } from '../errors';

export type RankSource = 'flags' | 'kubernetes' | 'slurm' | 'aws-batch';

export interface RankInfo {
  rank: number;
  worldSize: number;
  /** Where the rank came from (printed and recorded in rank.json). */
  source: RankSource;
  /** The variables or flags read, for the message: `SLURM_ARRAY_TASK_ID=4`, `--rank 1`. */
  from: string;
}

/** Highest world size accepted: rank folders are named with 5 digits (rank-00000). */
export const MAX_WORLD_SIZE = 100_000;

type Env = Readonly<Record<string, string | undefined>>;

/** A non-negative integer, written in decimal digits; else a one-line usage error naming `what`. */
function wholeNumber(value: unknown, what: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : null;
  if (text === null || !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new QaHfError('ERR_USAGE', `${what} must be a whole number ≥ 0, ${got(value)}`);
  }
  return Number(text);
}

function defined(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** The rank and size from the flags and the environment, or null when neither names one. */
export function resolveRank(flags: { rank?: unknown; worldSize?: unknown }, env: Env): RankInfo | null {
  const found = fromFlags(flags) ?? fromEnv(flags, env);
  if (found === null) return null;
  const { rank, worldSize } = found;
  if (worldSize < 1 || worldSize > MAX_WORLD_SIZE) {
    throw new QaHfError('ERR_USAGE', `the world size (${found.from}) must be 1 to ${MAX_WORLD_SIZE}, got ${worldSize}`);
  }
  if (rank >= worldSize) throw new QaHfError('ERR_USAGE', `rank ${rank} (${found.from}) must be below the world size ${worldSize}`);
  return found;
}

function fromFlags(flags: { rank?: unknown; worldSize?: unknown }): RankInfo | null {
  if (!defined(flags.rank)) return null;
  const rank = wholeNumber(flags.rank, '--rank');
  if (!defined(flags.worldSize)) throw new QaHfError('ERR_USAGE', `--rank ${rank} needs --world-size N (the number of ranks)`);
  const worldSize = wholeNumber(flags.worldSize, '--world-size');
  return { rank, worldSize, source: 'flags', from: `--rank ${rank} --world-size ${worldSize}` };
}

function fromEnv(flags: { worldSize?: unknown }, env: Env): RankInfo | null {
  // A --world-size given alone sizes whatever scheduler index is found (and is the only size of an Indexed Job).
  const flagSize = defined(flags.worldSize) ? wholeNumber(flags.worldSize, '--world-size') : null;
  if (defined(env.JOB_COMPLETION_INDEX)) {
    const rank = wholeNumber(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
    if (flagSize === null) {
      throw new QaHfError('ERR_USAGE', `JOB_COMPLETION_INDEX=${rank} (a Kubernetes Indexed Job) needs --world-size N, the Job's completions`);
    }
    return { rank, worldSize: flagSize, source: 'kubernetes', from: `JOB_COMPLETION_INDEX=${rank}` };
  }
  if (defined(env.SLURM_ARRAY_TASK_ID)) {
    const id = wholeNumber(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID');
    const min = defined(env.SLURM_ARRAY_TASK_MIN) ? wholeNumber(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') : 0;
    if (id < min) throw new QaHfError('ERR_USAGE', `SLURM_ARRAY_TASK_ID=${id} is below SLURM_ARRAY_TASK_MIN=${min}`);
    const size = flagSize ?? (defined(env.SLURM_ARRAY_TASK_COUNT) ? wholeNumber(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT') : null);
    if (size === null) throw new QaHfError('ERR_USAGE', `SLURM_ARRAY_TASK_ID=${id} without SLURM_ARRAY_TASK_COUNT needs --world-size N`);
    // A stepped array (--array=0-8:2) numbers its tasks MIN, MIN + STEP, …
    const step = defined(env.SLURM_ARRAY_TASK_STEP) ? wholeNumber(env.SLURM_ARRAY_TASK_STEP, 'SLURM_ARRAY_TASK_STEP') : 1;
    if (step < 1) throw new QaHfError('ERR_USAGE', `SLURM_ARRAY_TASK_STEP must be 1 or more, got ${step}`);
    if ((id - min) % step !== 0) throw new QaHfError('ERR_USAGE', `SLURM_ARRAY_TASK_ID=${id} is not SLURM_ARRAY_TASK_MIN=${min} plus a multiple of SLURM_ARRAY_TASK_STEP=${step}`);
    const stepped = step === 1 ? '' : `) / SLURM_ARRAY_TASK_STEP=${step}`;
    return { rank: (id - min) / step, worldSize: size, source: 'slurm', from: `${step === 1 ? '' : '('}SLURM_ARRAY_TASK_ID=${id} − SLURM_ARRAY_TASK_MIN=${min}${stepped}` };
  }
  if (defined(env.AWS_BATCH_JOB_ARRAY_INDEX)) {
    const rank = wholeNumber(env.AWS_BATCH_JOB_ARRAY_INDEX, 'AWS_BATCH_JOB_ARRAY_INDEX');
    const size = flagSize ?? (defined(env.AWS_BATCH_JOB_ARRAY_SIZE) ? wholeNumber(env.AWS_BATCH_JOB_ARRAY_SIZE, 'AWS_BATCH_JOB_ARRAY_SIZE') : null);
    if (size === null) throw new QaHfError('ERR_USAGE', `AWS_BATCH_JOB_ARRAY_INDEX=${rank} without AWS_BATCH_JOB_ARRAY_SIZE needs --world-size N`);
    return { rank, worldSize: size, source: 'aws-batch', from: `AWS_BATCH_JOB_ARRAY_INDEX=${rank}` };
  }
  if (flagSize !== null) throw new QaHfError('ERR_USAGE', '--world-size needs --rank R, or a scheduler index (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX)');
  return null;
}

/** The folder of the ranks under --out, and of one rank: `ranks/rank-00002`. */
export const RANKS_DIR = 'ranks';
export function rankDirName(rank: number): string {
  return `${RANKS_DIR}/rank-${String(rank).padStart(5, '0')}`;
}

/** True for a file of a rank's folder (relative to --out, forward slashes): the merge's input, never an export's output. */
export function isRankFile(relative: string): boolean {
  return /^ranks\/rank-\d{5,}\//.test(relative);
}

/** One range of a completed rank (rank.json). */
export interface RankRange {
  /** Index into the marker's `inputs`. */
  input: number;
  /** Byte offsets of its first line and just past its last (decompressed for a compressed input). */
  start: number;
  end: number;
  /** Lines in it. */
  lines: number;
  /** Where its lines are in the rank's entries.jsonl. */
  entries_offset: number;
  entries_bytes: number;
  /**
   * What the rank read of the input: the sha256 of the bytes of the range (of the
   * whole raw file for a compressed input), or an S3 object's ETag. The merge checks
   * the input against it (inputBytesChange). Absent in markers of older builds.
   */
  sha256?: string;
  etag?: string;
}

/** rank.json: a rank's completion marker (commands/export/rank.ts writes it last). */
export interface RankMarker {
  format: 'qa-hf-rank';
  version: 1;
  rank: number;
  world_size: number;
  source: RankSource;
  from: string;
  tool_version: string;
  options_hash: string;
  inputs_fingerprint: string;
  /** The inputs as this rank named them (export's sorted order; relative ones to `cwd`). */
  inputs: string[];
  /** The rank's working directory: the merge runs there, so inputs keep the names a single run gives them. */
  cwd: string;
  /** The export's arguments (inputs, --out, the rank's own flags apart): the merge runs the same export. */
  args: Record<string, unknown>;
  ranges: RankRange[];
  /** sha256 and size of the rank's entries.jsonl: the merge checks them before it reads a line (absent in markers of older builds). */
  entries_sha256?: string;
  entries_size?: number;
  /** Counts of the rank's lines (lib/tally.ts Counts). */
  counts: Record<string, unknown>;
}

/** One rank's range as the merge reads it: the input's lines from `lineBase + 1` on. */
export interface MergeSegment extends RankRange {
  rank: number;
  /** Lines of the same input in earlier ranges: added to the rank's line numbers. */
  lineBase: number;
}

/** Per input, the ranges that cover it, in order, and its end. */
export interface MergeInput {
  segments: MergeSegment[];
  /** Byte offset of its end and its lines (a single run's position at its end). */
  end: number;
  lines: number;
}

/**
 * What the merge finds of an input now: an S3 object's ETag (its HEAD), or, of a
 * local file read once (lib/io/fingerprint.ts hashRanges), the sha256 of each of
 * its segments' byte ranges, in order (a compressed input: one, its whole raw file).
 */
export type InputBytesNow = { etag: string } | { segments: string[] };

/** The byte ranges of an input's segments the merge hashes: a compressed input whole (its offsets are decompressed ones). */
export function segmentCuts(input: MergeInput, compressed: boolean, size: number): Array<[number, number]> {
  return compressed ? [[0, size]] : input.segments.map((segment) => [segment.start, segment.end]);
}

/**
 * Why `file` is not the bytes its ranks read (and the merge would export), as one
 * sentence naming it and what to do, or null when it is: every segment's recorded
 * sha256 (or ETag) equals what the merge finds now. A marker that records none (an
 * older build) cannot vouch for its bytes: it is refused too.
 */
export function inputBytesChange(file: string, input: MergeInput, now: InputBytesNow): string | null {
  for (const [k, segment] of input.segments.entries()) {
    const recorded = 'etag' in now ? segment.etag : segment.sha256;
    if (recorded === undefined) return `rank ${segment.rank}'s rank.json records no hash of the bytes of ${file} it read (a marker of an older qa-hf): rerun it with --restart, then merge`;
    if ('etag' in now) {
      if (recorded !== now.etag) return `${file} changed since rank ${segment.rank} read it (its ETag is now ${now.etag}, was ${recorded}): the dataset would not hold what the manifest records; rerun every rank with --restart, then merge`;
    } else if (recorded !== now.segments[k]) {
      const where = input.segments.length === 1 && segment.start === 0 ? '' : ` (bytes ${segment.start}–${segment.end}, rank ${segment.rank}'s share)`;
      return `${file} changed since the ranks read it${where}: the dataset would not hold what the manifest records; rerun every rank with --restart, then merge`;
    }
  }
  return null;
}

/**
 * Checks the markers found (by rank; null: none or unreadable) against each other
 * and returns how the merge reads them; a missing or mismatched rank is one
 * ERR_INPUT line naming them (exit 1). `where`: the ranks folder, for the message.
 */
/** The ranks 0…N−1 without a marker, N the world size of the lowest rank found (all, when none was found: null). */
export function missingRanks(found: ReadonlyMap<number, RankMarker>): number[] | null {
  if (found.size === 0) return null;
  const worldSize = found.get(Math.min(...found.keys()))!.world_size;
  return Array.from({ length: worldSize }, (_v, i) => i).filter((rank) => !found.has(rank));
}

export function planMerge(found: ReadonlyMap<number, RankMarker>, where: string): MergeInput[] {
  const missing = missingRanks(found);
  if (missing === null) throw new QaHfError('ERR_INPUT', `no completed rank in ${where}: run the ranks first (qa-hf export … --rank R --world-size N)`);
  const first = found.get(Math.min(...found.keys()))!;
  const worldSize = first.world_size;
  if (missing.length > 0) {
    const named = missing.length > 10 ? `${missing.slice(0, 10).join(', ')} and ${missing.length - 10} more` : missing.join(', ');
    throw new QaHfError('ERR_INPUT', `${missing.length === 1 ? 'rank' : 'ranks'} ${named} of ${worldSize} ${missing.length === 1 ? 'is' : 'are'} not complete in ${where} (no rank.json): run ${missing.length === 1 ? 'it' : 'them'}, then merge again`);
  }
  const differs = (marker: RankMarker): string | null => {
    if (marker.world_size !== worldSize) return `world size ${marker.world_size}, not ${worldSize}`;
    if (marker.tool_version !== first.tool_version) return `tool version ${marker.tool_version}, not ${first.tool_version}`;
    if (marker.options_hash !== first.options_hash) return 'other options';
    if (marker.inputs_fingerprint !== first.inputs_fingerprint) return 'other inputs';
    return null;
  };
  const mismatched = [...found.values()].map((marker) => [marker.rank, differs(marker)] as const).filter(([, why]) => why !== null);
  if (mismatched.length > 0) {
    const list = mismatched.map(([rank, why]) => `rank ${rank} (${why})`).join(', ');
    throw new QaHfError('ERR_INPUT', `ranks in ${where} do not belong to one export: ${list}, against rank ${first.rank}; rerun those ranks with the same command and --restart`);
  }
  const inputs: MergeInput[] = first.inputs.map(() => ({ segments: [], end: 0, lines: 0 }));
  for (let rank = 0; rank < worldSize; rank++) {
    for (const range of found.get(rank)!.ranges) {
      const input = inputs[range.input];
      if (!input || (input.segments.length > 0 && range.start !== input.end)) {
        throw new QaHfError('ERR_INPUT', `rank ${rank} in ${where} covers bytes ${range.start}–${range.end} of input ${range.input}, which do not follow the ranks before it`);
      }
      input.segments.push({ ...range, rank, lineBase: input.lines });
      input.end = range.end;
      input.lines += range.lines;
    }
  }
  const uncovered = inputs.findIndex((input) => input.segments.length === 0 || input.segments[0].start !== 0);
  if (uncovered >= 0) throw new QaHfError('ERR_INPUT', `no rank in ${where} read the start of ${first.inputs[uncovered]}`);
  return inputs;
}
