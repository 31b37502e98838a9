/**
 * lock — one export per output folder at a time (I/O).
 *
 * Taking the lock is atomic with its owner recorded: the owner (pid, hostname,
 * start time, boot id) is written whole to a temp file, which is then hard-linked
 * to `.qa-hf.lock`; link(2) fails with EEXIST when the lock exists, so a lock file
 * is never seen empty or half written. A lock is stale when its owner is dead: same
 * host, and the machine rebooted, the pid is gone, or the pid now belongs to a
 * process started at another time. Breaking a stale lock happens under a second
 * short-lived lock (`.qa-hf.lock.break`), so two runs cannot both take over, and a
 * lock that cannot be read (another tool, another version) is never deleted.
 *
 *   const release = await takeLock('dist/');
 *   try { … } finally { await release(); }
 */
import { readFileSync, rmSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QaHfError, toQaHfError } from '../errors';
import { LOCK_NAME } from '../dataset/out-dir';

export interface LockOwner {
  pid: number;
  hostname: string;
  /** ISO time the owner process started. */
  started_at: string;
  /** Linux: the boot the pid belongs to, and the process start in clock ticks since boot (pid reuse). */
  boot_id: string | null;
  proc_start: string | null;
}

/** Tries to break a lock while another run is breaking it, 20 ms apart (about a second in all). */
const BREAK_ATTEMPTS = 50;
const BREAK_WAIT_MS = 20;

function readProc(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The fields of /proc/PID/stat after the name (which may hold spaces, so count after ')'): field 3 (state) first. */
function procStat(pid: number): string[] | null {
  const stat = readProc(`/proc/${pid}/stat`);
  return stat === null ? null : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of /proc/PID/stat: start time in ticks since boot. */
function procStart(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/** A killed process its parent has not reaped yet (state Z, or X while it goes): it holds nothing any more. */
function isZombie(pid: number): boolean {
  const state = procStat(pid)?.[0];
  return state === 'Z' || state === 'X';
}

/** When this process started (fixed once: uptime arithmetic would drift by milliseconds). */
const STARTED_AT = new Date(Date.now() - process.uptime() * 1000).toISOString();

export function currentOwner(): LockOwner {
  return {
    pid: process.pid,
    hostname: os.hostname(),
    started_at: STARTED_AT,
    boot_id: readProc('/proc/sys/kernel/random/boot_id'),
    proc_start: procStart(process.pid),
  };
}

function parseOwner(text: string): LockOwner | null {
  try {
    const owner = JSON.parse(text) as LockOwner;
    return Number.isSafeInteger(owner?.pid) && typeof owner.hostname === 'string' ? owner : null;
  } catch {
    return null;
  }
}

/** True when a process with this pid exists (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the owner of a lock still runs; null when that cannot be known (another host). */
export function ownerAlive(owner: LockOwner): boolean | null {
  if (owner.hostname !== os.hostname()) return null;
  const bootId = readProc('/proc/sys/kernel/random/boot_id');
  if (owner.boot_id && bootId && owner.boot_id !== bootId) return false;
  if (!processAlive(owner.pid) || isZombie(owner.pid)) return false;
  const start = procStart(owner.pid);
  return !(owner.proc_start && start && owner.proc_start !== start);
}

/** Links a file holding `owner` to `target` atomically; false when `target` exists. */
async function linkOwner(target: string, owner: LockOwner): Promise<boolean> {
  const temp = `${target}.${owner.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
  try {
    await fs.link(temp, target);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await fs.rm(temp, { force: true });
  }
}

function describe(owner: LockOwner): string {
  return `pid ${owner.pid} on ${owner.hostname}, started ${owner.started_at}`;
}

/** Removes the lock at `lockPath` if it still holds `text`, under the break lock. False when another run is breaking it. */
async function breakStale(lockPath: string, text: string, me: LockOwner): Promise<boolean> {
  const breakPath = `${lockPath}.break`;
  if (!(await linkOwner(breakPath, me))) {
    const breaker = parseOwner(await fs.readFile(breakPath, 'utf8').catch(() => ''));
    if (breaker && ownerAlive(breaker) === false) await fs.rm(breakPath, { force: true });
    return false;
  }
  try {
    const now = await fs.readFile(lockPath, 'utf8').catch(() => null);
    if (now === text) await fs.rm(lockPath, { force: true });
    return true;
  } finally {
    await fs.rm(breakPath, { force: true });
  }
}

/** Takes the lock of `out`, or throws one clear line; resolves to its release (also done on process exit). */
export async function takeLock(out: string): Promise<() => Promise<void>> {
  const lockPath = path.join(out, LOCK_NAME);
  const me = currentOwner();
  for (let attempt = 0; attempt < BREAK_ATTEMPTS; attempt++) {
    try {
      if (await linkOwner(lockPath, me)) return releaser(lockPath, `${JSON.stringify(me)}\n`);
    } catch (err) {
      throw new QaHfError('ERR_IO', `cannot write to output directory ${out}: ${toQaHfError(err).message}`);
    }
    const text = await fs.readFile(lockPath, 'utf8').catch(() => null);
    if (text === null) continue; // released meanwhile: try again
    const owner = parseOwner(text);
    if (!owner) {
      throw new QaHfError('ERR_IO', `${lockPath} exists but names no qa-hf export; if no export is writing to ${out}, delete it`);
    }
    const alive = ownerAlive(owner);
    if (alive === null) {
      throw new QaHfError('ERR_IO', `another qa-hf export (${describe(owner)}) holds ${lockPath}; if it no longer runs, delete that file`);
    }
    if (alive) throw new QaHfError('ERR_IO', `another qa-hf export (${describe(owner)}) is writing to ${out}`);
    if (!(await breakStale(lockPath, text, me))) await new Promise((resolve) => setTimeout(resolve, BREAK_WAIT_MS));
  }
  throw new QaHfError('ERR_IO', `cannot lock output directory ${out}: other runs keep taking it`);
}

/** Release: only our own lock is removed, once, on release or at process exit (e.g. a second Ctrl-C). */
function releaser(lockPath: string, text: string): () => Promise<void> {
  const removeIfOurs = () => {
    try {
      if (readFileSync(lockPath, 'utf8') === text) rmSync(lockPath, { force: true });
    } catch {
      // gone already
    }
  };
  process.once('exit', removeIfOurs);
  return async () => {
    process.removeListener('exit', removeIfOurs);
    removeIfOurs();
  };
}
