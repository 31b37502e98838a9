/**
 * The export lock (lib/io/lock.ts): atomic with its owner, a live one refuses, a
 * dead one is taken over, one that cannot be read is never deleted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { currentOwner, takeLock } from '../lib/io/lock';
import { CLI, ROOT, recordLines, runCli } from './helpers';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-lock-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const lockFile = (out: string) => path.join(out, '.qa-hf.lock');

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('the lock file holds its owner whole; a second take while it lives is refused; release removes it', async () => {
  const out = await fs.mkdtemp(path.join(dir, 'live-'));
  const release = await takeLock(out);
  const owner = JSON.parse(await fs.readFile(lockFile(out), 'utf8'));
  expect(owner).toEqual(currentOwner());
  expect(owner.hostname).toBe(os.hostname());
  await expect(takeLock(out)).rejects.toThrow(`another qa-hf export (pid ${process.pid} on ${os.hostname()}, started ${owner.started_at}) is writing to ${out}`);
  await release();
  expect(await fs.readdir(out)).toEqual([]);
  (await takeLock(out))();
});

test.each([
  ['a dead pid', () => ({ ...currentOwner(), pid: deadPid() })],
  ['a reused pid (same pid, another process start)', () => ({ ...currentOwner(), proc_start: '1' })],
  ['an earlier boot', () => ({ ...currentOwner(), boot_id: 'another-boot' })],
])('a stale lock of %s is taken over', async (_name, owner) => {
  expect(existsSync('/proc/self/stat')).toBe(true); // staleness by process start needs Linux /proc
  const out = await fs.mkdtemp(path.join(dir, 'stale-'));
  await fs.writeFile(lockFile(out), JSON.stringify(owner()));
  const release = await takeLock(out);
  expect(JSON.parse(await fs.readFile(lockFile(out), 'utf8'))).toEqual(currentOwner());
  await release();
});

test('a lock of a killed process its parent has not reaped yet (a zombie) is taken over', async () => {
  // `sleep 0 &` becomes a zombie: its parent execs into `sleep 5`, which never waits for it.
  const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()))));
  try {
    let state = '';
    for (let i = 0; i < 100 && state !== 'Z'; i++, await new Promise((resolve) => setTimeout(resolve, 20))) {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    }
    expect(state).toBe('Z');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const out = await fs.mkdtemp(path.join(dir, 'zombie-'));
    await fs.writeFile(lockFile(out), JSON.stringify({ ...currentOwner(), pid, proc_start: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] }));
    const release = await takeLock(out);
    expect(JSON.parse(await fs.readFile(lockFile(out), 'utf8'))).toEqual(currentOwner());
    await release();
  } finally {
    parent.kill();
  }
});

test.each([
  ['empty (being written by another tool)', ''],
  ['partial', '{"pid":12'],
])('a lock that is %s is never deleted: one clear line', async (_name, text) => {
  const out = await fs.mkdtemp(path.join(dir, 'unreadable-'));
  await fs.writeFile(lockFile(out), text);
  await expect(takeLock(out)).rejects.toThrow(`${lockFile(out)} exists but names no qa-hf export; if no export is writing to ${out}, delete it`);
  expect(await fs.readFile(lockFile(out), 'utf8')).toBe(text);
});

test('a lock of another host is never broken (its pid cannot be checked)', async () => {
  const out = await fs.mkdtemp(path.join(dir, 'host-'));
  const text = JSON.stringify({ ...currentOwner(), hostname: 'elsewhere', pid: deadPid() });
  await fs.writeFile(lockFile(out), text);
  await expect(takeLock(out)).rejects.toThrow(/holds .*\.qa-hf\.lock; if it no longer runs, delete that file/);
  expect(await fs.readFile(lockFile(out), 'utf8')).toBe(text);
});

test('two concurrent exports to one --out: exactly one runs, the other exits 1 with one line', async () => {
  const input = path.join(dir, 'qa.jsonl');
  await fs.writeFile(input, `${recordLines(200, 3).join('\n')}\n`);
  const out = path.join(dir, 'concurrent');
  // The first export stops itself (SIGSTOP) right after taking the lock.
  const first = spawn(process.execPath, [CLI, 'export', input, '--out', out, '-q'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, QA_HF_PAUSE_AT: 'after-lock' },
  });
  const firstDone = new Promise<number | null>((resolve) => first.on('close', (code) => resolve(code)));
  for (let i = 0; i < 500 && !/\) T /.test(readFileSafe(`/proc/${first.pid}/stat`)); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(readFileSafe(`/proc/${first.pid}/stat`)).toMatch(/\) T /);
  const second = await runCli(['export', input, '--out', out]);
  expect(second.code).toBe(1);
  expect(second.stderr).toMatch(new RegExp(`^qa-hf: ERR_IO: another qa-hf export \\(pid ${first.pid} on .*\\) is writing to .*concurrent\\n$`));
  first.kill('SIGCONT');
  expect(await firstDone).toBe(0);
  expect((await runCli(['verify', out, '-q'])).code).toBe(0);
  expect((await fs.readdir(out)).filter((name) => name.startsWith('.'))).toEqual([]);
});

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
