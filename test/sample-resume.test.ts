/**
 * qa-hf export --target-samples end to end, continued: a grown corpus keeps most of
 * the sample; SIGKILL in the sampling pass and in the export's pass, then the same
 * bytes without sampling again; a stream input, a bad value and an input changed
 * between the passes refused (a bad value in the config file in-process).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { emptyCounts } from '../lib/tally';
import { checkSampleCounts } from '../commands/export/sample';
import type { QaHfError } from '../lib/errors';
import { loadConfigFile } from '../lib/io/config-file';
import { CLI, ROOT, listFiles, readJson, runCli, runCliKilledAtCheckpoint, statsWithoutRun } from './helpers';
import { N, corpus, corpusState, dataFiles, expectSameFiles, exportTo, jsonlRows, useSampleCorpus } from './sample-fixture';

useSampleCorpus();

/** A Hub export with --target-samples: the kill tests' options, and those of the growth test's two runs. */
const KILL = ['--target-samples', String(N), '--format', 'jsonl,parquet', '--split', 'train=0.9,test=0.1', '--checkpoint-lines', '300'];
/** The uninterrupted export of the corpus with KILL, shared by the growth test (its run before the growth) and the kill tests. */
let killReference: Promise<string> | undefined;
function referenceOut(): Promise<string> {
  killReference ??= exportTo('kill-reference', KILL);
  return killReference;
}

test('growing the corpus by 10 % keeps most of the sample', async () => {
  const grown = path.join(corpusState.dir, 'c.jsonl');
  await fs.writeFile(grown, `${corpus(180, 3).join('\n')}\n`);
  const before = await referenceOut();
  const after = await exportTo('grow-after', KILL, [...corpusState.inputs, grown]);
  // The sample's pairs: those of every split's JSONL shards.
  const questions = async (out: string) => {
    const shards = (await listFiles(out)).filter((name) => /^jsonl\/.*\.jsonl$/.test(name));
    expect(shards.length).toBeGreaterThan(1);
    const rows = await Promise.all(shards.map(async (name) => jsonlRows(await fs.readFile(path.join(out, name)))));
    return rows.flat().map((row) => row.question);
  };
  const sample = await questions(before);
  expect(sample).toHaveLength(N);
  const old = new Set(sample);
  const kept = (await questions(after)).filter((question) => old.has(question)).length;
  expect(kept).toBeGreaterThan(N * 0.82); // expected ≈ N / 1.1
  expect(kept).toBeLessThan(N);
});

describe('SIGKILL and resume', () => {
  let reference: Map<string, Buffer>;
  let referenceStats: unknown;

  beforeAll(async () => {
    const out = await referenceOut();
    reference = await dataFiles(out);
    referenceStats = await statsWithoutRun(out);
  });

  // One folder, two kills: the run after the kill in the sampling pass (which left nothing) samples again and is
  // killed in its export pass; its rerun resumes without sampling, and the bytes are the uninterrupted run's.
  test('killed in the sampling pass: nothing written; the next run, killed in the export pass: its rerun resumes without sampling again, with the same bytes', async () => {
    const out = path.join(corpusState.dir, 'kill-twice', 'dataset');
    const child = spawn(process.execPath, [CLI, 'export', ...corpusState.inputs, '--out', out, '-q', ...KILL], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, QA_HF_CRASH_AT: 'sampling' } });
    const signal = await new Promise((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    expect((await listFiles(out)).filter((name) => name !== '.qa-hf.lock')).toEqual([]); // the dead run's lock, taken over by the next

    expect(await runCliKilledAtCheckpoint(['export', ...corpusState.inputs, '--out', out, '-q', ...KILL], out, true)).toBe('SIGKILL');
    expect((await readJson(path.join(out, '.qa-hf-checkpoint.json'))).sample.target).toBe(N);
    const again = await runCli(['export', ...corpusState.inputs, '--out', out, ...KILL]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resuming the interrupted export/);
    expect(again.stderr).not.toMatch(/sampling:/);
    expectSameFiles(await dataFiles(out), reference);
    expect(await statsWithoutRun(out)).toEqual(referenceStats);
  });
});

describe('refused', () => {
  test('a stream input (stdin): one line, exit 2, nothing written', async () => {
    const out = path.join(corpusState.dir, 'stdin');
    const result = await runCli(['export', '-', '--out', out, '--target-samples', '5'], `${corpusState.lines[0].slice(0, 10).join('\n')}\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('qa-hf: ERR_USAGE: --target-samples reads the inputs twice (to choose the sample, then to write it), and <stdin> is read as a stream (stdin or a pipe); save it to a file first\n');
    await expect(fs.stat(out)).rejects.toThrow(/ENOENT/);
  });

  // Other bad values, in-process: test/sample.test.ts (targetSamplesOption).
  test.each([['0']])('--target-samples %s: one line, exit 2', async (value) => {
    const result = await runCli(['export', corpusState.inputs[0], '--out', path.join(corpusState.dir, 'bad'), '--target-samples', value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`qa-hf: ERR_OPTION: --target-samples must be a positive integer (the number of passed pairs to keep), got ${JSON.stringify(value)}\n`);
  });

  // In-process (lib/io/config-file.ts loadConfigFile); a config error end to end, one line and exit 2: test/config-cli.test.ts.
  test('in the config file, a bad value is placed at its line', async () => {
    expect.assertions(1);
    const config = path.join(corpusState.dir, 'bad-sample.yaml');
    await fs.writeFile(config, `inputs: [a.jsonl]\nout: bad-config\ntarget-samples: 0\n`);
    await loadConfigFile(config).catch((err: QaHfError) => expect(err.toLine()).toMatch(/^.*bad-sample\.yaml:3:\d+: ERR_CONFIG: target-samples must be >= 1, got 0$/));
  });

  test('an input changed between the passes is caught by the counts', () => {
    const threshold = { target: 10, passed: 50, cutoff: { hash: '00000000ffffffff', input: 0, line: 3 } };
    expect(() => checkSampleCounts(threshold, { ...emptyCounts(), pairs: 10, notSampled: 40 }, 'out')).not.toThrow();
    expect(() => checkSampleCounts(threshold, { ...emptyCounts(), pairs: 10, notSampled: 41 }, 'out')).toThrow(/sampling pass saw 50 passed pairs, the export 51 \(10 kept\); run it again with --restart/);
    expect(() => checkSampleCounts({ ...threshold, passed: 8, cutoff: null }, { ...emptyCounts(), pairs: 7 }, 'out')).toThrow(/ERR_CHECKPOINT_MISMATCH|sampling pass saw 8/);
  });
});
