/**
 * `qa-hf export --dry-run` counts as the real run with the same options does
 * (--min-score routing included), needs no --out, and its hints name options
 * export has. Also: `--compress none` is no layout switch, and manifest.json
 * carries no absolute path of this machine.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listFiles, readJson, recordLines, runCli } from './helpers';

let dir: string;
let input: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-dry-'));
  input = path.join(dir, 'qa.jsonl');
  const bad = Array.from({ length: 14 }, (_, i) => `{"bad ${i}`);
  await fs.writeFile(input, `${[...recordLines(400, 9), ...bad, ''].join('\n')}\n`);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const countsLine = (stderr: string) => stderr.split('\n').find((line) => / lines read: /.test(line)) ?? '';

test.each([
  ['the simple layout', []],
  ['a Hub run with --min-score and --split', ['--min-score', '0.5', '--split', 'train=0.8,test=0.2']],
])('%s: the dry run reports exactly the real run\'s counts', async (_name, options) => {
  const out = await fs.mkdtemp(path.join(dir, 'real-'));
  const real = await runCli(['export', input, '--out', out, ...options]);
  expect(real.code).toBe(0);
  const dry = await runCli(['export', input, '--dry-run', ...options]);
  expect(dry.code).toBe(0);
  expect(countsLine(real.stderr)).toMatch(/^qa-hf: 415 lines read: \d+ pairs, \d+ rejected, 14 errors \(ERR_JSON_PARSE 14\), 1 blank$/);
  expect(countsLine(dry.stderr)).toBe(countsLine(real.stderr));
});

test('--min-score moves pairs in the dry run too', async () => {
  const plain = await runCli(['export', input, '--dry-run', '-q']);
  const low = await runCli(['export', input, '--dry-run', '--min-score', '0.5']);
  const high = await runCli(['export', input, '--dry-run', '--min-score', '0.9']);
  expect(plain.code).toBe(0);
  const pairs = (stderr: string) => Number(/(\d+) pairs/.exec(countsLine(stderr))![1]);
  expect(pairs(high.stderr)).toBeLessThan(pairs(low.stderr));
});

test('--fail-on is said not to be evaluated, never passed in silence', async () => {
  const dry = await runCli(['export', input, '--dry-run', '--fail-on', 'pass_rate<0.99']);
  expect(dry.code).toBe(0);
  expect(dry.stderr).toContain('qa-hf: --fail-on is not evaluated by a dry run (it reads the report, which only the real run builds)');
});

test('without --out only --dry-run runs; otherwise one usage line, exit 2', async () => {
  const dry = await runCli(['export', input, '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.stderr).toMatch(/^qa-hf: dry run: 1 input checked, nothing written$/m);
  const missing = await runCli(['export', input]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe('qa-hf: ERR_USAGE: export needs --out DIR (only --dry-run goes without it)\n');
});

test('the dry run\'s hint names where the real run puts bad lines, not an option export lacks', async () => {
  const dry = await runCli(['export', input, '--dry-run']);
  expect(dry.stderr).toContain('qa-hf: 4 more bad lines not shown (run without --dry-run to write them all to qa_errors.jsonl)\n');
  expect(dry.stderr).not.toContain('--errors');
});

test('--compress none keeps the simple layout, byte for byte', async () => {
  const [plain, none] = [await fs.mkdtemp(path.join(dir, 'plain-')), await fs.mkdtemp(path.join(dir, 'none-'))];
  expect((await runCli(['export', input, '--out', plain, '-q'])).code).toBe(0);
  expect((await runCli(['export', input, '--out', none, '-q', '--compress', 'none'])).code).toBe(0);
  expect(await listFiles(none)).toEqual(['manifest.json', 'qa_errors.jsonl', 'qa_pairs.jsonl', 'qa_rejected.jsonl', 'report.html', 'report.json', 'stats.json']);
  for (const name of ['qa_pairs.jsonl', 'qa_rejected.jsonl']) {
    expect((await fs.readFile(path.join(none, name))).equals(await fs.readFile(path.join(plain, name)))).toBe(true);
  }
});

test('manifest.json carries no absolute path of this machine; the same command keeps its options hash', async () => {
  const out = path.join(dir, 'rel');
  expect((await runCli(['export', 'qa.jsonl', '--out', 'rel', '-q'], undefined, { cwd: dir })).code).toBe(0);
  const text = await fs.readFile(path.join(out, 'manifest.json'), 'utf8');
  expect(text).not.toContain(dir);
  const manifest = await readJson(path.join(out, 'manifest.json'));
  expect(manifest.options.inputs).toEqual(['../qa.jsonl']);
  expect(manifest.options.fail_fast).toBeUndefined();
  // The same export named by absolute paths: the same options, the same hash.
  const again = await fs.mkdtemp(path.join(dir, 'abs-'));
  await fs.rm(again, { recursive: true });
  await fs.rename(out, again);
  expect((await runCli(['export', input, '--out', again, '-q'])).code).toBe(0);
  expect((await readJson(path.join(again, 'manifest.json'))).options_hash).toBe(manifest.options_hash);
});
