/**
 * qa-hf export --version end to end: OUT/v1.0.0/ written and verified, the version
 * in manifest.json and the card (YAML header and text); a finished version refused
 * (exit 2, one line, nothing changed) while another version goes beside it; an
 * interrupted version resumes to the same bytes; the config file's `version:`;
 * bad values one line, exit 2; `qa-hf --version` still prints the tool's version.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { internalRecord, listFiles, readJson, runCli, runCliKilledAtCheckpoint } from './helpers';
import { TOOL_VERSION } from '../commands/version';

let dir: string;
let input: string;
const HUB = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '100'];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-version-'));
  input = path.join(dir, 'qa.jsonl');
  const lines = Array.from({ length: 600 }, (_, i) => JSON.stringify(internalRecord({ question: `Fråga ${i}?`, answer: `Svar ${i} ${'text '.repeat(i % 20)}`, passed: i % 9 !== 0 })));
  await fs.writeFile(input, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function snapshot(out: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await listFiles(out)) files.set(name, await fs.readFile(path.join(out, name)));
  return files;
}

describe('a versioned export', () => {
  let out: string;
  let first: Map<string, Buffer>;

  beforeAll(async () => {
    out = path.join(dir, 'dist');
    const result = await runCli(['export', input, '--out', out, '-q', '--version', '1.0.0', ...HUB]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    first = await snapshot(path.join(out, 'v1.0.0'));
  });

  test('goes to OUT/v1.0.0/, which verify passes; nothing else is written in OUT', async () => {
    expect(await fs.readdir(out)).toEqual(['v1.0.0']);
    expect([...first.keys()]).toContain('jsonl/train-00000-of-00001.jsonl');
    const verify = await runCli(['verify', path.join(out, 'v1.0.0')]);
    expect(verify.code).toBe(0);
  });

  test('records the version in manifest.json and in the card, header and text', async () => {
    const manifest = await readJson(path.join(out, 'v1.0.0', 'manifest.json'));
    expect(manifest.dataset_version).toBe('1.0.0');
    expect(manifest.options.version).toBe('1.0.0');
    const card = first.get('README.md')!.toString('utf8');
    const header = parseYaml(card.split('---\n')[1]) as Record<string, unknown>;
    expect(header.version).toBe('1.0.0');
    expect(header.pretty_name).toBe('dist');
    expect(card).toContain('\n# dist\n\nVersion 1.0.0.\n');
    expect(card).toContain('ds = load_dataset("dist/v1.0.0")');
  });

  test('a finished version is refused: one line naming it, exit 2, not a byte changed', async () => {
    const again = await runCli(['export', input, '--out', out, '-q', '--version', '1.0.0', ...HUB]);
    expect(again.code).toBe(2);
    const folder = path.join(out, 'v1.0.0');
    expect(again.stderr).toBe(`qa-hf: ERR_USAGE: version 1.0.0 is already complete in ${folder} (its manifest.json): a finished version is never overwritten; choose another --version\n`);
    const restart = await runCli(['export', input, '--out', out, '-q', '--version', 'v1.0.0', '--restart', '--force', ...HUB]);
    expect(restart.code).toBe(2);
    const now = await snapshot(folder);
    expect([...now.keys()]).toEqual([...first.keys()]);
    for (const [name, bytes] of now) expect([name, bytes.equals(first.get(name)!)]).toEqual([name, true]);
  });

  test.each([[[]], [['--force']], [['--restart']]])('an export pointed at the version folder itself (--out OUT/v1.0.0 %p, no --version) is refused too', async (extra) => {
    const folder = path.join(out, 'v1.0.0');
    const direct = await runCli(['export', input, '--out', folder, '-q', ...extra]);
    expect([direct.code, direct.stderr]).toEqual([2, `qa-hf: ERR_USAGE: --out ${folder} holds the finished version 1.0.0 (its manifest.json): a finished version is never overwritten; choose another --out, or --out with another --version\n`]);
    const now = await snapshot(folder);
    expect([...now.keys()]).toEqual([...first.keys()]);
    for (const [name, bytes] of now) expect([name, bytes.equals(first.get(name)!)]).toEqual([name, true]);
  });

  test('another version goes beside it (here in the simple layout: the version is in manifest.json)', async () => {
    const next = await runCli(['export', input, '--out', out, '-q', '--version', '1.1.0-rc.1']);
    expect(next.code).toBe(0);
    expect((await fs.readdir(out)).sort()).toEqual(['v1.0.0', 'v1.1.0-rc.1']);
    expect(await listFiles(path.join(out, 'v1.1.0-rc.1'))).toEqual(['manifest.json', 'qa_errors.jsonl', 'qa_pairs.jsonl', 'qa_rejected.jsonl', 'report.html', 'report.json', 'stats.json']);
    expect((await readJson(path.join(out, 'v1.1.0-rc.1', 'manifest.json'))).dataset_version).toBe('1.1.0-rc.1');
  });

  test('an interrupted version resumes to the same bytes', async () => {
    const other = path.join(dir, 'killed', 'dist');
    const args = ['export', input, '--out', other, '-q', '--version', '1.0.0', ...HUB];
    expect(await runCliKilledAtCheckpoint(args, path.join(other, 'v1.0.0'), true)).toBe('SIGKILL');
    const resumed = await runCli(args);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    // The first export (`dist/v1.0.0`, the same folder names) is the uninterrupted run.
    const got = await snapshot(path.join(other, 'v1.0.0'));
    expect([...got.keys()]).toEqual([...first.keys()]);
    for (const [name, bytes] of got) if (name !== 'manifest.json' && name !== 'stats.json') expect([name, bytes.equals(first.get(name)!)]).toEqual([name, true]);
  });
});

test('the versions folder inside an input folder: no version is read as input by the next', async () => {
  const corpus = path.join(dir, 'corpus');
  await fs.mkdir(corpus);
  await fs.copyFile(input, path.join(corpus, 'qa.jsonl'));
  const counts: unknown[] = [];
  for (const version of ['1.0.0', '1.1.0']) {
    const result = await runCli(['export', corpus, '--out', path.join(corpus, 'dist'), '-q', '--version', version]);
    expect(result.code).toBe(0);
    const manifest = await readJson(path.join(corpus, 'dist', `v${version}`, 'manifest.json'));
    expect(manifest.inputs.map((file: { path: string }) => file.path)).toEqual(['../../qa.jsonl']);
    counts.push((await readJson(path.join(corpus, 'dist', `v${version}`, 'stats.json'))).counts);
  }
  expect(counts[1]).toEqual(counts[0]);
});

test('the config file names it as version:', async () => {
  const config = path.join(dir, 'versioned.yaml');
  await fs.writeFile(config, 'inputs: [qa.jsonl]\nout: from-config\nversion: 3.0.0\nquiet: true\n');
  const result = await runCli(['export', '--config', config]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect((await readJson(path.join(dir, 'from-config', 'v3.0.0', 'manifest.json'))).dataset_version).toBe('3.0.0');
});

describe('refused', () => {
  test.each([['1.0'], ['latest'], ['../1.0.0']])('--version %s: one line, exit 2, nothing written', async (value) => {
    const out = path.join(dir, 'bad-version');
    const result = await runCli(['export', input, '--out', out, '--version', value]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`qa-hf: ERR_OPTION: --version must be a semantic version such as 1.0.0 or 2.1.0-rc.1, got ${JSON.stringify(value)}\n`);
    await expect(fs.stat(out)).rejects.toThrow(/ENOENT/);
  });

  test('in the config file: placed at its line, ERR_CONFIG', async () => {
    const config = path.join(dir, 'bad-version.yaml');
    await fs.writeFile(config, 'inputs: [qa.jsonl]\nout: bad\nversion: "1.0"\n');
    const result = await runCli(['export', '--config', config]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^qa-hf: .*bad-version\.yaml:3:10: ERR_CONFIG: version is not valid \(expected export --version: a semantic version such as 1\.0\.0; the export goes to out\/v1\.0\.0\/\), got "1\.0"\n$/);
  });
});

test('qa-hf --version still prints the tool version, and export --help lists the dataset version', async () => {
  const version = await runCli(['--version']);
  expect(version.stdout.toString()).toBe(`${TOOL_VERSION}\n`);
  const help = await runCli(['export', '--help']);
  expect(help.stdout.toString()).toMatch(/--version\s+the dataset's version/);
  expect(help.stdout.toString()).toMatch(/--target-samples\s+keep a deterministic sample/);
});

test('--version into the folder of an export without versions is refused: its verify would call the version extra files', async () => {
  const out = path.join(dir, 'plain');
  expect((await runCli(['export', input, '--out', out, '-q'])).code).toBe(0);
  const before = await snapshot(out);
  const versioned = await runCli(['export', input, '--out', out, '-q', '--version', '1.0.0']);
  expect([versioned.code, versioned.stderr]).toEqual([
    2,
    `qa-hf: ERR_USAGE: --out ${out} holds an export (its manifest.json): --version writes ${path.join(out, 'v1.0.0')} inside it, which that export's verify would call extra files; choose another --out for the versions\n`,
  ]);
  expect(await snapshot(out)).toEqual(before);
  expect((await runCli(['verify', out])).code).toBe(0);
});
