/**
 * SIGINT and SIGTERM against a spawned CLI (commands/signals.ts): an export answers
 * the first at once with one line and stops on a committed checkpoint, nothing under
 * a final name, a second exits 130 at once; either way the rerun's files are
 * byte-identical to an uninterrupted run's and pass verify. (The export tests'
 * end-to-end test of SIGINT: this file's.) Pipe mode exits 130 at once with one line and leaves no temp
 * file. The runs stop themselves at seams (QA_HF_PAUSE_AT) while the test signals
 * them, so no signal races the end of a run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateRecords } from '../bench/generate';
import { verifyManifest } from '../lib/io/manifest';
import { CLI, ROOT, listFiles, procState, runCli, statsWithoutRun } from './helpers';

/** The case: a Hub export with Parquet and gzip, where only fixed positions can be checkpoints. */
const HUB = ['--format', 'jsonl,parquet', '--split', 'train=0.9,test=0.1', '--compress', 'gzip'];

let dir: string;
let input: string;
/** An uninterrupted run's files. */
let want: Map<string, Buffer | unknown>;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-signals-'));
  input = path.join(dir, 'qa.jsonl');
  // ~2 MB: eight chunks of 256 KiB, so a run paused at its first commit is far from its end.
  await fs.writeFile(input, `${[...generateRecords(1500, 16)].join('\n')}\n`);
  const out = path.join(dir, 'reference', 'out');
  const result = await runCli(['export', input, '--out', out, '-q', ...HUB]);
  expect(result.code).toBe(0);
  want = await exported(out);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  stderr(): string;
  closed: Promise<number | null>;
}

function start(args: string[], pauseAt: string): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, QA_HF_PAUSE_AT: pauseAt } });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stderr: () => stderr, closed };
}


/** Waits until the process has stopped itself at a seam (state T). */
async function stopped(child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1000 && procState(child.pid!) !== 'T'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(procState(child.pid!)).toBe('T');
}

/** Every file of an export folder (each run's is named `out`: the card names it) (hidden ones included), stats.json without its run section. */
async function exported(out: string): Promise<Map<string, Buffer | unknown>> {
  const files = new Map<string, Buffer | unknown>();
  for (const name of await listFiles(out)) {
    // manifest.json records when it was written; stats.json its run times (compared without them).
    if (name === 'manifest.json') continue;
    files.set(name, name === 'stats.json' ? await statsWithoutRun(out) : await fs.readFile(path.join(out, name)));
  }
  return files;
}

/**
 * Two exports' files are the same: names, each file's bytes (Buffer.equals: jest's toEqual walks a
 * Buffer element by element, seconds for these megabytes), stats.json without its run section.
 */
function expectSameExport(got: Map<string, Buffer | unknown>, expected: Map<string, Buffer | unknown>): void {
  expect([...got.keys()]).toEqual([...expected.keys()]);
  for (const [name, value] of expected) {
    const actual = got.get(name);
    if (Buffer.isBuffer(value)) expect([name, Buffer.isBuffer(actual) && actual.equals(value)]).toEqual([name, true]);
    else expect([name, actual]).toEqual([name, value]);
  }
}

async function checkpointOf(out: string): Promise<{ finalizing: boolean; position: { input: number; offset: number } }> {
  return JSON.parse(await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8'));
}

test('the first SIGINT is answered at once and stops a Parquet+gzip export short of its end; the rerun equals an uninterrupted run', async () => {
  const out = path.join(dir, 'interrupted', 'out');
  const run = start(['export', input, '--out', out, ...HUB], 'first-commit');
  await stopped(run.child);
  run.child.kill('SIGINT');
  run.child.kill('SIGCONT');
  expect(await run.closed).toBe(130);
  expect(run.stderr()).toBe(
    'qa-hf: SIGINT: stopping at the next checkpoint; run the same command again to resume (another SIGINT stops at once)\n' +
      'qa-hf: ERR_INTERRUPTED: stopped by SIGINT; run the same command again to resume\n',
  );
  // Stopped on a committed checkpoint short of the end (the next fixed position, 50 000 lines, is too far to wait for).
  const checkpoint = await checkpointOf(out);
  expect(checkpoint.finalizing).toBe(false);
  expect(checkpoint.position.offset).toBeLessThan((await fs.stat(input)).size);
  await expect(fs.access(path.join(out, 'manifest.json'))).rejects.toThrow();
  // No file under a final name yet: only the run's hidden ones (checkpoint, lock, partial shards).
  expect((await listFiles(out)).filter((name) => !path.basename(name).startsWith('.'))).toEqual([]);
  const rerun = await runCli(['export', input, '--out', out, ...HUB]);
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toMatch(/resuming the interrupted export/);
  expectSameExport(await exported(out), want);
  // verify's check, in-process (lib/io/manifest.ts verifyManifest).
  expect(await verifyManifest(out)).toEqual([]);
});

test('a second SIGTERM exits 130 at once with one line; the rerun resumes from the last checkpoint, byte-identical', async () => {
  const out = path.join(dir, 'twice', 'out');
  const run = start(['export', input, '--out', out, ...HUB], 'first-commit,stop-requested');
  await stopped(run.child);
  run.child.kill('SIGTERM');
  run.child.kill('SIGCONT');
  // Paused again inside the first signal's handler, which has answered: the second lands there.
  await stopped(run.child);
  run.child.kill('SIGTERM');
  run.child.kill('SIGCONT');
  expect(await run.closed).toBe(130);
  expect(run.stderr()).toBe(
    'qa-hf: SIGTERM: stopping at the next checkpoint; run the same command again to resume (another SIGTERM stops at once)\n' +
      'qa-hf: ERR_INTERRUPTED: stopped at once by a second SIGTERM; run the same command again to resume\n',
  );
  expect((await checkpointOf(out)).finalizing).toBe(false);
  const rerun = await runCli(['export', input, '--out', out, ...HUB]);
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toMatch(/resuming the interrupted export/);
  expectSameExport(await exported(out), want);
});

test.each(['SIGINT', 'SIGTERM'] as const)('pipe mode: %s exits 130 with one line and removes the temp files of --rejected and --errors', async (signal) => {
  const work = await fs.mkdtemp(path.join(dir, 'pipe-'));
  const child = spawn(process.execPath, [CLI, '--rejected', 'r.jsonl', '--errors', 'e.jsonl'], { cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.length));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // Some lines, and stdin kept open: the run is mid-input, its temp files open.
  child.stdin.write(`${[...generateRecords(200, 3, { badLineRate: 0.05 })].join('\n')}\n`);
  for (let i = 0; i < 1000 && (stdout === 0 || (await fs.readdir(work)).length < 2); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect((await fs.readdir(work)).sort()).toEqual([`.e.jsonl.${child.pid}.tmp`, `.r.jsonl.${child.pid}.tmp`]);
  child.kill(signal);
  expect(await closed).toBe(130);
  expect(stderr).toBe(
    `qa-hf: ERR_INTERRUPTED: stopped by ${signal}; --rejected r.jsonl and --errors e.jsonl not written (their temp files removed); standard output holds the pairs converted so far; run again to convert the whole input\n`,
  );
  expect(await fs.readdir(work)).toEqual([]);
});

describe('a signal no command handles yet (start-up) or at all gets one line, exit 130 (commands/interrupt.ts, loaded first)', () => {
  /** node running `script` after the CLI's first module: its code, stderr. */
  function run(script: string): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(path.join(ROOT, 'dist/commands/interrupt.js'))}); ${script}`]);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.on('close', (code) => resolve({ code, stderr }));
    });
  }

  test.each(['SIGINT', 'SIGTERM'])('%s before any command listens: one ERR_INTERRUPTED line, exit 130', async (signal) => {
    expect(await run(`process.kill(process.pid, '${signal}'); setTimeout(() => {}, 5000);`)).toEqual({ code: 130, stderr: `qa-hf: ERR_INTERRUPTED: stopped by ${signal}; run the same command again\n` });
  });

  test('a command listening itself answers it: the first-module handler steps aside', async () => {
    expect(await run(`process.on('SIGINT', () => { process.stderr.write('own\\n'); process.exit(7); }); process.kill(process.pid, 'SIGINT'); setTimeout(() => {}, 5000);`)).toEqual({ code: 7, stderr: 'own\n' });
  });
});
