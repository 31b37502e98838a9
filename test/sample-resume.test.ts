/**
 * qa-hf export --target-samples end to end, continued: a grown corpus keeps most of
 * the sample; SIGKILL in the sampling pass and in the export's pass, then the same
 * bytes without sampling again; a stream input, bad values and an input changed
 * between the passes refused.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { emptyCounts } from '../lib/tally';
import { checkSampleCounts } from '../commands/export/sample';
import { CLI, ROOT, listFiles, readJson, runCli, runCliKilledAtCheckpoint, statsWithoutRun } from './helpers';
import { N, corpus, corpusState, dataFiles, expectSameFiles, exportTo, jsonlRows, useSampleCorpus } from './sample-fixture';

useSampleCorpus();

test('growing the corpus by 10 % keeps most of the sample', async () => {
  const grown = path.join(corpusState.dir, 'c.jsonl');
  await fs.writeFile(grown, `${corpus(180, 3).join('\n')}\n`);
  const before = await exportTo('grow-before', ['--target-samples', String(N)]);
  const after = await exportTo('grow-after', ['--target-samples', String(N)], [...corpusState.inputs, grown]);
  const questions = async (out: string) => jsonlRows(await fs.readFile(path.join(out, 'qa_pairs.jsonl'))).map((row) => row.question);
  const old = new Set(await questions(before));
  const kept = (await questions(after)).filter((question) => old.has(question)).length;
  expect(kept).toBeGreaterThan(N * 0.82); // expected ≈ N / 1.1
  expect(kept).toBeLessThan(N);
});

describe('SIGKILL and resume', () => {
  const KILL = ['--target-samples', String(N), '--format', 'jsonl,parquet', '--split', 'train=0.9,test=0.1', '--checkpoint-lines', '300'];
  let reference: Map<string, Buffer>;
  let referenceStats: unknown;

  beforeAll(async () => {
    const out = await exportTo('kill-reference', KILL);
    reference = await dataFiles(out);
    referenceStats = await statsWithoutRun(out);
  });

  test('killed in the export pass: the rerun resumes without sampling again, with the same bytes', async () => {
    const out = path.join(corpusState.dir, 'kill-export', 'dataset');
    expect(await runCliKilledAtCheckpoint(['export', ...corpusState.inputs, '--out', out, '-q', ...KILL], out, true)).toBe('SIGKILL');
    expect((await readJson(path.join(out, '.qa-hf-checkpoint.json'))).sample.target).toBe(N);
    const again = await runCli(['export', ...corpusState.inputs, '--out', out, ...KILL]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/resuming the interrupted export/);
    expect(again.stderr).not.toMatch(/sampling:/);
    expectSameFiles(await dataFiles(out), reference);
    expect(await statsWithoutRun(out)).toEqual(referenceStats);
  });

  test('killed in the sampling pass: nothing written, the rerun gives the same bytes', async () => {
    const out = path.join(corpusState.dir, 'kill-sampling', 'dataset');
    const child = spawn(process.execPath, [CLI, 'export', ...corpusState.inputs, '--out', out, '-q', ...KILL], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, QA_HF_CRASH_AT: 'sampling' } });
    const signal = await new Promise((resolve) => child.on('close', (_code, sig) => resolve(sig)));
    expect(signal).toBe('SIGKILL');
    expect((await listFiles(out)).filter((name) => name !== '.qa-hf.lock')).toEqual([]); // the dead run's lock, taken over by the next
    const again = await runCli(['export', ...corpusState.inputs, '--out', out, '-q', ...KILL]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expectSameFiles(await dataFiles(out), reference);
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

  test.each([['0'], ['ten']])('--target-samples %s: one line, exit 2', async (value) => {
    const result = await runCli(['export', corpusState.inputs[0], '--out', path.join(corpusState.dir, 'bad'), '--target-samples', value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`qa-hf: ERR_OPTION: --target-samples must be a positive integer (the number of passed pairs to keep), got ${JSON.stringify(value)}\n`);
  });

  test('in the config file, a bad value is placed at its line', async () => {
    const config = path.join(corpusState.dir, 'bad-sample.yaml');
    await fs.writeFile(config, `inputs: [a.jsonl]\nout: bad-config\ntarget-samples: 0\n`);
    const result = await runCli(['export', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^qa-hf: .*bad-sample\.yaml:3:\d+: ERR_CONFIG: target-samples must be >= 1, got 0\n$/);
  });

  test('an input changed between the passes is caught by the counts', () => {
    const threshold = { target: 10, passed: 50, cutoff: { hash: '00000000ffffffff', input: 0, line: 3 } };
    expect(() => checkSampleCounts(threshold, { ...emptyCounts(), pairs: 10, notSampled: 40 }, 'out')).not.toThrow();
    expect(() => checkSampleCounts(threshold, { ...emptyCounts(), pairs: 10, notSampled: 41 }, 'out')).toThrow(/sampling pass saw 50 passed pairs, the export 51 \(10 kept\); run it again with --restart/);
    expect(() => checkSampleCounts({ ...threshold, passed: 8, cutoff: null }, { ...emptyCounts(), pairs: 7 }, 'out')).toThrow(/ERR_CHECKPOINT_MISMATCH|sampling pass saw 8/);
  });
});
