/**
 * rank — which share of an export this process runs: its rank and the world size,
 * from the flags `--rank R --world-size N` or from the scheduler's environment.
 * Pure: the environment comes in as a plain object.
 *
 * Sources, in order (the flags win over the environment; the first scheduler
 * whose index variable is set is used):
 *   flags      --rank R --world-size N
 *   kubernetes JOB_COMPLETION_INDEX (Indexed Job); the size only from --world-size
 *   slurm      SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN, size SLURM_ARRAY_TASK_COUNT
 *   aws-batch  AWS_BATCH_JOB_ARRAY_INDEX, size AWS_BATCH_JOB_ARRAY_SIZE
 * Nothing set: null (a single-machine export). A bad value is one ERR_USAGE line.
 *
 *   resolveRank({ rank: '2', worldSize: '3' }, process.env)
 *   // { rank: 2, worldSize: 3, source: 'flags' }
 */
import { QaHfError, got } from './errors';

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
    return { rank: id - min, worldSize: size, source: 'slurm', from: `SLURM_ARRAY_TASK_ID=${id} − SLURM_ARRAY_TASK_MIN=${min}` };
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

/** The folder of a rank under --out: `ranks/rank-00002`. */
export function rankDirName(rank: number): string {
  return `ranks/rank-${String(rank).padStart(5, '0')}`;
}
