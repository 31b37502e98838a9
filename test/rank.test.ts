/** lib/scale/rank.ts: the rank and world size from the flags or each scheduler's environment; bad values are one usage line. */
import { MAX_WORLD_SIZE, rankDirName, resolveRank } from '../lib/scale/rank';
import { thrown } from './helpers';

describe('resolveRank', () => {
  test.each([
    ['flags', { rank: '2', worldSize: '3' }, {}, { rank: 2, worldSize: 3, source: 'flags' }],
    ['flags as numbers', { rank: 0, worldSize: 1 }, {}, { rank: 0, worldSize: 1, source: 'flags' }],
    ['Kubernetes Indexed Job with --world-size', { worldSize: '4' }, { JOB_COMPLETION_INDEX: '3' }, { rank: 3, worldSize: 4, source: 'kubernetes' }],
    ['Slurm array from 0', {}, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_COUNT: '3' }, { rank: 1, worldSize: 3, source: 'slurm' }],
    ['Slurm array from 5 (--array=5-7)', {}, { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '3' }, { rank: 2, worldSize: 3, source: 'slurm' }],
    ['Slurm stepped array (--array=0-8:2): task 6 is rank 3', {}, { SLURM_ARRAY_TASK_ID: '6', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_STEP: '2', SLURM_ARRAY_TASK_COUNT: '5' }, { rank: 3, worldSize: 5, source: 'slurm' }],
    ['Slurm without MIN counts from 0', {}, { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_COUNT: '3' }, { rank: 2, worldSize: 3, source: 'slurm' }],
    ['AWS Batch array', {}, { AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '2' }, { rank: 0, worldSize: 2, source: 'aws-batch' }],
    ['the flags win over the environment', { rank: '1', worldSize: '2' }, { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '5' }, { rank: 1, worldSize: 2, source: 'flags' }],
    ['--world-size alone sizes a scheduler index', { worldSize: '9' }, { AWS_BATCH_JOB_ARRAY_INDEX: '8', AWS_BATCH_JOB_ARRAY_SIZE: '2' }, { rank: 8, worldSize: 9, source: 'aws-batch' }],
    ['an empty variable is unset', {}, { JOB_COMPLETION_INDEX: '', AWS_BATCH_JOB_ARRAY_INDEX: '1', AWS_BATCH_JOB_ARRAY_SIZE: '2' }, { rank: 1, worldSize: 2, source: 'aws-batch' }],
  ])('%s', (_name, flags, env, expected) => {
    expect(resolveRank(flags, env)).toMatchObject(expected);
  });

  test('nothing set: a single-machine export', () => {
    expect(resolveRank({}, { PATH: '/bin' })).toBeNull();
  });

  test('the source is named for the message', () => {
    expect(resolveRank({}, { SLURM_ARRAY_TASK_ID: '7', SLURM_ARRAY_TASK_MIN: '5', SLURM_ARRAY_TASK_COUNT: '3' })!.from).toBe(
      'SLURM_ARRAY_TASK_ID=7 − SLURM_ARRAY_TASK_MIN=5',
    );
  });

  test.each([
    ['rank ≥ size', { rank: '3', worldSize: '3' }, {}, 'rank 3 (--rank 3 --world-size 3) must be below the world size 3'],
    ['negative rank', { rank: '-1', worldSize: '3' }, {}, '--rank must be a whole number ≥ 0, got "-1"'],
    ['non-integer rank', { rank: '1.5', worldSize: '3' }, {}, '--rank must be a whole number ≥ 0, got "1.5"'],
    ['a word for the size', { rank: '0', worldSize: 'three' }, {}, '--world-size must be a whole number ≥ 0, got "three"'],
    ['size 0', { rank: '0', worldSize: '0' }, {}, `the world size (--rank 0 --world-size 0) must be 1 to ${MAX_WORLD_SIZE}, got 0`],
    ['--rank without --world-size', { rank: '1' }, {}, '--rank 1 needs --world-size N (the number of ranks)'],
    ['--world-size alone', { worldSize: '2' }, {}, '--world-size needs --rank R, or a scheduler index (JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX)'],
    ['Indexed Job without --world-size', {}, { JOB_COMPLETION_INDEX: '0' }, "JOB_COMPLETION_INDEX=0 (a Kubernetes Indexed Job) needs --world-size N, the Job's completions"],
    ['Slurm index past the count', {}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_COUNT: '3' }, 'rank 3 (SLURM_ARRAY_TASK_ID=3 − SLURM_ARRAY_TASK_MIN=0) must be below the world size 3'],
    ['Slurm index below MIN', {}, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_COUNT: '3' }, 'SLURM_ARRAY_TASK_ID=1 is below SLURM_ARRAY_TASK_MIN=2'],
    ['Slurm task off its step', {}, { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_STEP: '4', SLURM_ARRAY_TASK_COUNT: '3' }, 'SLURM_ARRAY_TASK_ID=3 is not SLURM_ARRAY_TASK_MIN=1 plus a multiple of SLURM_ARRAY_TASK_STEP=4'],
    ['Slurm without a count', {}, { SLURM_ARRAY_TASK_ID: '0' }, 'SLURM_ARRAY_TASK_ID=0 without SLURM_ARRAY_TASK_COUNT needs --world-size N'],
    ['AWS Batch with a bad index', {}, { AWS_BATCH_JOB_ARRAY_INDEX: 'x', AWS_BATCH_JOB_ARRAY_SIZE: '2' }, 'AWS_BATCH_JOB_ARRAY_INDEX must be a whole number ≥ 0, got "x"'],
    ['AWS Batch without a size', {}, { AWS_BATCH_JOB_ARRAY_INDEX: '0' }, 'AWS_BATCH_JOB_ARRAY_INDEX=0 without AWS_BATCH_JOB_ARRAY_SIZE needs --world-size N'],
  ])('%s: one usage line', (_name, flags, env, message) => {
    const error = thrown(() => resolveRank(flags, env));
    expect(error.code).toBe('ERR_USAGE');
    expect(error.message).toBe(message);
  });
});

test('rankDirName pads to five digits', () => {
  expect([rankDirName(0), rankDirName(42)]).toEqual(['ranks/rank-00000', 'ranks/rank-00042']);
});
