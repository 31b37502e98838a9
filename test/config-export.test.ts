/**
 * The effective config in the resume check (a changed card or mapping refuses a
 * resume) and exportDataset(config) giving the bytes of the CLI with that config.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, configWorkdir, ROOT, runCli } from './helpers';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-config-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A fresh working directory holding the samples and, when given, a qa-hf.yaml (test/helpers.ts). */
const workdir = (name: string, yaml?: string): Promise<string> => configWorkdir(dir, name, yaml);

const HUB_YAML = [
  'inputs: [qa_mixed.jsonl]',
  'out: out',
  'format: [messages, jsonl]',
  'split: {train: 0.5, test: 0.5}',
  'card:',
  '  name: Vårdfrågor',
  '  license: cc-by-4.0',
  '  language: sv',
  '  tags: [medicin]',
  '',
].join('\n');

/** Runs the CLI with QA_HF_CRASH_AT, which SIGKILLs it at that step: an interrupted run with its checkpoint. */
function crashAt(point: string, args: string[], cwd: string): Promise<NodeJS.Signals | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: 'ignore', env: { ...process.env, QA_HF_CRASH_AT: point } });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve(signal));
  });
}

describe('the effective config is part of the resume check', () => {
  test.each([
    ['card', HUB_YAML.replace('name: Vårdfrågor', 'name: Annat namn')],
    ['mapping', `${HUB_YAML}columns: {question: question, answer: answer}\nkeep: [id]\n`],
  ])('a changed %s refuses the resume; the same config resumes', async (name, changed) => {
    const cwd = await workdir(`resume-${name.replace(/\W+/g, '-')}`, HUB_YAML);
    expect(await crashAt('finalize-start', ['export'], cwd)).toBe('SIGKILL');
    await fs.access(path.join(cwd, 'out', '.qa-hf-checkpoint.json'));
    await fs.writeFile(path.join(cwd, 'qa-hf.yaml'), changed);
    const refused = await runCli(['export'], undefined, { cwd });
    expect(refused.stderr).toMatch(/^qa-hf: ERR_CHECKPOINT_MISMATCH: .*the options differ from the interrupted run; run again with --restart to start over\n$/);
    expect(refused.code).toBe(1);
    await fs.writeFile(path.join(cwd, 'qa-hf.yaml'), HUB_YAML);
    const resumed = await runCli(['export'], undefined, { cwd });
    expect(resumed.stderr).toMatch(/resuming the interrupted export/);
    expect(resumed.code).toBe(0);
  });
});

/** Every file of an export folder, by relative path. */
async function tree(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else files.set(path.relative(root, full), await fs.readFile(full));
    }
  };
  await walk(root);
  return files;
}

test('exportDataset(config) writes the bytes the CLI writes with that config as qa-hf.yaml', async () => {
  const yaml = [
    'inputs: [qa_mixed.jsonl, qa_dirty.jsonl]',
    'out: out',
    'format: [jsonl, parquet, alpaca, messages]',
    'split: {train: 0.7, test: 0.3}',
    'min-score: 0.5',
    'system-prompt: Du är en hjälpsam assistent.',
    'card: {name: Vård, description: Frågor och svar., language: [sv], task_categories: [question-answering]}',
    '',
  ].join('\n');
  const cli = await workdir('same-cli', yaml);
  expect((await runCli(['export'], undefined, { cwd: cli })).code).toBe(0);
  const library = await workdir('same-library', yaml);
  const script = `
    const { exportDataset } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
    const config = require('yaml').parse(require('fs').readFileSync('qa-hf.yaml', 'utf8'));
    let last = null;
    exportDataset(config, { onProgress: (progress) => { last = progress; } })
      .then((counts) => process.stdout.write(JSON.stringify({ counts, last })), (err) => { process.stderr.write(err.message); process.exitCode = 1; });
  `;
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { cwd: library, env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  expect(result.stderr).toBe(''); // quiet by default in the library
  expect(result.code).toBe(0);
  const { counts, last } = JSON.parse(result.stdout);
  expect(counts).toMatchObject({ lines: 19, pairs: expect.any(Number) });
  expect(last.bytesDone).toBe(last.bytesTotal);
  expect(last.counts).toEqual(counts);

  const [a, b] = [await tree(path.join(cli, 'out')), await tree(path.join(library, 'out'))];
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [file, bytes] of a) {
    if (file === 'manifest.json' || file === 'stats.json') continue; // a clock inside: compared below without it
    expect({ file, same: bytes.equals(b.get(file)!) }).toEqual({ file, same: true });
  }
  const untimed = (text: Buffer, drop: string) => {
    const { [drop]: _dropped, ...rest } = JSON.parse(text.toString('utf8'));
    return rest;
  };
  const withoutClock = (text: Buffer) => {
    const manifest = untimed(text, 'created_at');
    return { ...manifest, outputs: manifest.outputs.filter((output: { path: string }) => output.path !== 'stats.json') };
  };
  expect(withoutClock(b.get('manifest.json')!)).toEqual(withoutClock(a.get('manifest.json')!));
  expect(untimed(b.get('stats.json')!, 'run')).toEqual(untimed(a.get('stats.json')!, 'run'));
});
