/**
 * Continuing after --fail-fast (README "Continuing after --fail-fast"): fix the bad
 * line, run again with or without --fail-fast, and the export resumes at the bad
 * line and ends byte-identical to a clean run of the fixed input, in the simple
 * and the Hub layout. A byte changed before the checkpoint is refused, naming the
 * line and --restart.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrefixHasher, prefixChange } from '../lib/io/fingerprint';
import { internalRecord, listFiles, recordLines, runCli, statsWithoutRun } from './helpers';

const BAD_LINE = 700; // 1-based
const HUB = ['--format', 'jsonl,csv', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '100'];
/** Parquet row groups end at flush points: this plan is not flush-neutral (lib/dataset/plan.ts flushNeutral). */
const HUB_PARQUET = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '100'];

let dir: string;
let lines: string[];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-failfast-'));
  lines = recordLines(1500, 11);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const dirty = () => lines.map((line, i) => (i === BAD_LINE - 1 ? '{"question": "cut off' : line)).join('\n') + '\n';
// The fix is longer than the bad line: everything after it moves.
const fixed = () => lines.map((line, i) => (i === BAD_LINE - 1 ? JSON.stringify(internalRecord({ question: 'Lagad fråga, nu mycket längre än förut?' })) : line)).join('\n') + '\n';

/** Every file of an export with its bytes; stats.json without timings, manifest.json without created_at. */
async function snapshot(out: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of await listFiles(out)) {
    if (name === 'stats.json') files[name] = JSON.stringify(await statsWithoutRun(out));
    else if (name === 'manifest.json') {
      const manifest = JSON.parse(await fs.readFile(path.join(out, name), 'utf8'));
      delete manifest.created_at;
      manifest.outputs = manifest.outputs.filter((file: { path: string }) => file.path !== 'stats.json');
      files[name] = JSON.stringify(manifest);
    } else files[name] = (await fs.readFile(path.join(out, name))).toString('base64');
  }
  return files;
}

describe.each([
  ['simple layout', [] as string[], BAD_LINE - 1],
  ['Hub layout, flush-neutral', HUB, BAD_LINE - 1],
  ['Hub layout with parquet', HUB_PARQUET, 600],
])('after --fail-fast (%s)', (_name, layout, checkpointLine) => {
  /** The clean run of the fixed input, shared by both reruns: its folder, once written. */
  let cleanRun: Promise<string> | undefined;
  function cleanDir(): Promise<string> {
    cleanRun ??= (async () => {
      const clean = path.join(await fs.mkdtemp(path.join(dir, 'clean-')), 'clean');
      await fs.mkdir(clean);
      await fs.writeFile(path.join(clean, 'qa.jsonl'), fixed());
      expect((await runCli(['export', path.join(clean, 'qa.jsonl'), '--out', path.join(clean, 'out'), ...layout])).code).toBe(0);
      return clean;
    })();
    return cleanRun;
  }

  test.each([
    ['with --fail-fast', ['--fail-fast']],
    ['without --fail-fast', []],
  ])('fix the line, rerun %s: resumed, byte-identical to a clean run of the fixed input', async (_how, rerunFlags) => {
    // Same folder shape for both (RUN/clean/out, RUN/dirty/out), so paths relative to --out and the card's title agree.
    const dirtyDir = path.join(await fs.mkdtemp(path.join(dir, 'run-')), 'dirty');
    await fs.mkdir(dirtyDir);
    const input = path.join(dirtyDir, 'qa.jsonl');
    const out = path.join(dirtyDir, 'out');
    await fs.writeFile(input, dirty());
    const stopped = await runCli(['export', input, '--out', out, '--fail-fast', ...layout]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain(`qa.jsonl:${BAD_LINE} (offset `);
    const checkpoint = JSON.parse(await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8'));
    // A flush-neutral plan checkpoints at the bad line itself, and has not written it; one with Parquet at its last fixed point before it.
    expect(checkpoint.position.line).toBe(checkpointLine);
    expect(checkpoint.outputs.errors.records).toBe(0);

    await fs.writeFile(input, fixed());
    const resumed = await runCli(['export', input, '--out', out, ...rerunFlags, ...layout]);
    expect(resumed.stderr).toMatch(/resuming the interrupted export/);
    expect(resumed.code).toBe(0);

    const got = await snapshot(out);
    expect(Object.keys(got).length).toBeGreaterThan(3);
    expect(got).toEqual(await snapshot(path.join(await cleanDir(), 'out')));
    expect((await runCli(['verify', out])).code).toBe(0);
  });
});

test('a byte changed before the checkpoint is refused, naming the line and --restart', async () => {
  const work = await fs.mkdtemp(path.join(dir, 'changed-'));
  const input = path.join(work, 'qa.jsonl');
  const out = path.join(work, 'out');
  await fs.writeFile(input, dirty());
  expect((await runCli(['export', input, '--out', out, '--fail-fast'])).code).toBe(1);
  const text = fixed().replace('{"question":"', '{"question":"Ny '); // line 1 changes too
  expect(text).not.toBe(fixed());
  await fs.writeFile(input, text);
  const refused = await runCli(['export', input, '--out', out]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe(
    `qa-hf: ERR_CHECKPOINT_MISMATCH: cannot resume the interrupted export in ${out}: bytes before line ${BAD_LINE} of ${input} changed; run again with --restart to start over\n`,
  );
  expect((await runCli(['export', input, '--out', out, '--restart', '-q'])).code).toBe(0);
});

describe('prefix fingerprints', () => {
  test('advancing in steps gives the hash of the whole prefix; a change after it does not matter, one before does', async () => {
    const file = path.join(dir, 'prefix.txt');
    await fs.writeFile(file, 'abcdefghij');
    const hasher = new PrefixHasher(file);
    await hasher.advanceTo(3);
    const print = await hasher.advanceTo(6);
    expect(print).toEqual(await new PrefixHasher(file).advanceTo(6));
    await fs.writeFile(file, 'abcdefXYZXYZ');
    expect(await prefixChange(file, print, { whole: false, line: 4 })).toBeNull();
    await fs.writeFile(file, 'abcDefXYZ');
    expect(await prefixChange(file, print, { whole: false, line: 4 })).toBe(`bytes before line 5 of ${file} changed`);
    await fs.writeFile(file, 'abc');
    expect(await prefixChange(file, print, { whole: false, line: 4 })).toBe(`bytes before line 5 of ${file} changed (it is now 3 bytes, shorter than the 6 read)`);
  });

  test('an input read to its end may not grow', async () => {
    const file = path.join(dir, 'whole.txt');
    await fs.writeFile(file, 'abcdef');
    const print = await new PrefixHasher(file).advanceTo(6);
    await fs.appendFile(file, 'g');
    expect(await prefixChange(file, print, { whole: true, line: 0 })).toBe(`${file}, read to its end by the interrupted run, changed (it grew from 6 to 7 bytes)`);
  });
});
