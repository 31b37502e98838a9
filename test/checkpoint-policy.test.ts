/**
 * commands/export/checkpoint.ts checkpointDue: the one checkpoint policy of both
 * layouts. Fixed input positions always; a byte/time cap and a stop where it
 * falls only in a flush-neutral plan (no gzip, no Parquet), where a checkpoint's
 * place cannot show in the bytes. Elsewhere a stop waits for a near fixed position,
 * or stops at once on the last checkpoint.
 */
import { STOP_WAIT_LINES, STOP_WAIT_MS, checkpointDue } from '../commands/export/checkpoint';
import { normalizeExportPlan } from '../lib/dataset/plan';
import { QA_INTERNAL } from '../lib/input/presets';

const simple = normalizeExportPlan({}, QA_INTERNAL);
const hubText = normalizeExportPlan({ format: 'jsonl,csv', split: 'train=0.9,test=0.1' }, QA_INTERNAL);
const hubGzip = normalizeExportPlan({ format: 'jsonl', compress: 'gzip' }, QA_INTERNAL);
const hubParquet = normalizeExportPlan({ format: 'parquet' }, QA_INTERNAL);
const caps = { bytes: 100, ms: 1000 };
const quiet = { atFixedPosition: false, failFastCut: false, stopRequested: false, msSinceStop: 0, linesToFixedPosition: 100, bytesSinceCheckpoint: 0, msSinceCheckpoint: 0 };

test.each([
  ['simple', simple, true],
  ['Hub jsonl,csv', hubText, true],
  ['Hub gzip', hubGzip, false],
  ['Hub parquet', hubParquet, false],
])('%s plan: flush-neutral %s', (_name, plan, neutral) => {
  expect(checkpointDue(plan, quiet, caps)).toEqual({ record: false, stop: false });
  expect(checkpointDue(plan, { ...quiet, atFixedPosition: true }, caps)).toEqual({ record: true, stop: false });
  expect(checkpointDue(plan, { ...quiet, bytesSinceCheckpoint: 100 }, caps)).toEqual({ record: neutral, stop: false });
  expect(checkpointDue(plan, { ...quiet, msSinceCheckpoint: 1000 }, caps)).toEqual({ record: neutral, stop: false });
  expect(checkpointDue(plan, { ...quiet, failFastCut: true }, caps)).toEqual({ record: neutral, stop: neutral });
  expect(checkpointDue(plan, { ...quiet, stopRequested: true }, caps)).toEqual({ record: neutral, stop: neutral });
  expect(checkpointDue(plan, { ...quiet, stopRequested: true, atFixedPosition: true }, caps)).toEqual({ record: true, stop: true });
});

test.each([
  ['Hub gzip', hubGzip],
  ['Hub parquet', hubParquet],
])('%s: a stop runs on to a near fixed position, else stops at once on the last checkpoint', (_name, plan) => {
  const stopped = { ...quiet, stopRequested: true };
  expect(checkpointDue(plan, { ...stopped, linesToFixedPosition: STOP_WAIT_LINES, msSinceStop: STOP_WAIT_MS - 1 }, caps)).toEqual({ record: false, stop: false });
  expect(checkpointDue(plan, { ...stopped, linesToFixedPosition: STOP_WAIT_LINES + 1 }, caps)).toEqual({ record: false, stop: true });
  expect(checkpointDue(plan, { ...stopped, msSinceStop: STOP_WAIT_MS }, caps)).toEqual({ record: false, stop: true });
  expect(checkpointDue(plan, { ...stopped, msSinceStop: STOP_WAIT_MS, atFixedPosition: true }, caps)).toEqual({ record: true, stop: true });
  // No stop asked: time and distance change nothing.
  expect(checkpointDue(plan, { ...quiet, linesToFixedPosition: STOP_WAIT_LINES + 1, msSinceStop: STOP_WAIT_MS }, caps)).toEqual({ record: false, stop: false });
});

test('the simple layout is a plan: fixed files, one split, no shard limit, no compression, the default checkpoint lines', () => {
  expect(simple).toMatchObject({ layout: 'simple', fixed: ['pairs', 'rejected', 'errors'], formats: ['jsonl'], splitText: 'train=1', maxShardBytes: Infinity, compression: 'none', checkpointLines: 50_000 });
  expect(hubText).toMatchObject({ layout: 'hub', fixed: ['errors'] });
});
