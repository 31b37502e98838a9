/**
 * lib/checkpoint-policy.ts checkpointDue: the one checkpoint policy of the export's
 * two layouts, a rank and the library's checkpoint stage. Fixed input positions always; a byte/time cap and a stop where it
 * falls only in a flush-neutral plan (no gzip, no Parquet), where a checkpoint's
 * place cannot show in the bytes. Elsewhere a stop waits for a near fixed position,
 * or stops at once on the last checkpoint.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CheckpointClock, STOP_WAIT_LINES, STOP_WAIT_MS, checkpointDue as due } from '../lib/checkpoint-policy';
import { type ExportPlan, flushNeutral, normalizeExportPlan } from '../lib/dataset/plan';
import { checkpointPolicy } from '../streams/checkpoint';
import { QA_INTERNAL } from '../lib/input/presets';

const simple = normalizeExportPlan({}, QA_INTERNAL);
const hubText = normalizeExportPlan({ format: 'jsonl,csv', split: 'train=0.9,test=0.1' }, QA_INTERNAL);
const hubGzip = normalizeExportPlan({ format: 'jsonl', compress: 'gzip' }, QA_INTERNAL);
const hubParquet = normalizeExportPlan({ format: 'parquet' }, QA_INTERNAL);
const caps = { bytes: 100, ms: 1000 };
const checkpointDue = (plan: ExportPlan, facts: Parameters<typeof due>[1], capsHere: Parameters<typeof due>[2]) => due(flushNeutral(plan), facts, capsHere);
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

test('the clock counts input bytes across files and from a resume position, and resets at a checkpoint', () => {
  const clock = new CheckpointClock({ file: 'a.jsonl', offset: 1000 }, 0);
  clock.advance('a.jsonl', 1500, false);
  expect(clock.bytesSince).toBe(500);
  clock.advance('a.jsonl', 1800, true); // a.jsonl ends at 1800
  clock.advance('b.jsonl', 300, false); // b.jsonl from its start
  expect(clock.bytesSince).toBe(1100);
  expect(clock.msSince(250)).toBe(250);
  clock.reset(300);
  expect([clock.bytesSince, clock.msSince(300)]).toEqual([0, 0]);
});

test("a sink's policy reads the stop at the moment it is asked", () => {
  const stop = { requested: null as string | null, requestedAt: 0 };
  const policy = checkpointPolicy(true, caps, stop);
  const facts = { atFixedPosition: false, failFastCut: false, linesToFixedPosition: Infinity, bytesSinceDurable: 0, msSinceDurable: 0 };
  expect(policy(facts)).toEqual({ record: false, stop: false });
  expect(policy({ ...facts, bytesSinceDurable: 100 })).toEqual({ record: true, stop: false });
  stop.requested = 'SIGINT';
  stop.requestedAt = Date.now();
  expect(policy(facts)).toEqual({ record: true, stop: true });
  expect(checkpointPolicy(false, caps, stop)({ ...facts, linesToFixedPosition: 5 })).toEqual({ record: false, stop: false });
});

test('one policy, one stage: only streams/checkpoint.ts asks the policy, and every resumable chain of the CLI ends in its stage', async () => {
  const root = path.join(__dirname, '..');
  const files: string[] = [];
  for (const dir of ['lib', 'streams', 'commands', 'index.ts', 'cli.ts']) {
    const at = path.join(root, dir);
    if ((await fs.stat(at)).isFile()) files.push(dir);
    else for (const entry of await fs.readdir(at, { recursive: true })) if (String(entry).endsWith('.ts')) files.push(path.join(dir, String(entry)));
  }
  const using = async (pattern: RegExp) => {
    const found: string[] = [];
    for (const file of files) if (pattern.test(await fs.readFile(path.join(root, file), 'utf8'))) found.push(file);
    return found.sort();
  };
  expect(await using(/checkpointDue\(/)).toEqual(['lib/checkpoint-policy.ts', 'streams/checkpoint.ts']);
  expect(await using(/createCheckpointStage\(/)).toEqual(['commands/export/rank.ts', 'commands/export/session.ts', 'streams/checkpoint.ts']);
  // No cadence of its own anywhere else: the byte/time cap is counted by the one clock.
  expect(await using(/new CheckpointClock\(/)).toEqual(['streams/checkpoint.ts', 'streams/commit-sink.ts']);
});
