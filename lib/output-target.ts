/**
 * output-target — the one place that decides how a path named as an output
 * (`--rejected FILE`, `--errors FILE`, a path given to createSink) is written:
 *
 * - a regular file or a new path: atomically (AtomicFile: a temp file beside it,
 *   fsync, rename, directory fsync), so a reader finds the old file or the whole
 *   new one, never a prefix;
 * - a symbolic link, or a chain of them: followed; the file it ends at is replaced
 *   atomically as above (temp file beside that file) and the link stays a link.
 *   A dangling link creates the file it points to, as `>` does in a shell;
 * - anything else (character or block device, FIFO, socket): written through as
 *   a stream, with no temp file and no rename. `/dev/null` stays `/dev/null`; a
 *   FIFO waits for its reader, as `cat > fifo` does.
 *
 * `checkOutputTarget` runs the same decision before any input is read and refuses,
 * naming the path as typed: a directory or a missing parent directory (ERR_USAGE),
 * a location that cannot be written (ERR_IO). Opening an atomic target also removes
 * the temp files a killed run of qa-hf left for the same file (`.<name>.<pid>.tmp`
 * whose pid is no longer alive).
 *
 *   await checkOutputTarget('errors.jsonl', { label: '--errors' });
 *   const target = await openOutputTarget('errors.jsonl');
 *   await target.write(bytes);
 *   await target.finish();               // or target.abort() on failure
 */
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import { once } from 'node:events';
import * as net from 'node:net';
import * as path from 'node:path';
import { AtomicFile, NODE_FILE_SYSTEM, outputError, type FileHandleLike, type FileSystem, type OutputTarget } from './atomic-file';
import { QaHfError, toQaHfError } from './errors';

/** How an output is written: see the header. */
export type OutputKind = 'atomic' | 'streamed' | 'socket';

export interface OutputPlan {
  /** The path as the user typed it; messages name this one. */
  path: string;
  /** Where the bytes go once symbolic links are followed. */
  resolved: string;
  kind: OutputKind;
  /** The resolved file as it is now; null when it does not exist yet. */
  stat: Stats | null;
}

export interface OutputTargetOptions {
  /** The file layer; default node's `fs.promises`. */
  fs?: FileSystem;
  /** Names the output in messages, e.g. `--errors`; default `output`. */
  label?: string;
}

/** An opened output: `finish()` commits (atomic) or closes (streamed); `abort()` leaves no trace of an atomic one. */
export interface OpenOutputTarget extends OutputTarget {
  readonly kind: OutputKind;
  readonly path: string;
  finish(): Promise<void>;
  abort(): Promise<void>;
}

/** Linux's MAXSYMLINKS: a longer chain is a loop. */
const MAX_SYMLINKS = 40;

/** Follows symbolic links from `target` to the first path that is not one (it may not exist). */
async function resolveLinks(target: string, fs: FileSystem, named: string): Promise<{ resolved: string; stat: Stats | null }> {
  let current = target;
  for (let hops = 0; hops <= MAX_SYMLINKS; hops++) {
    let stat: Stats;
    try {
      stat = await fs.lstat(current);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // Missing, or a parent that is no directory: the parent check says which.
      if (code === 'ENOENT' || code === 'ENOTDIR') return { resolved: current, stat: null };
      throw cannotWrite(err, named);
    }
    if (!stat.isSymbolicLink()) return { resolved: current, stat };
    const link = await fs.readlink(current).catch((err: unknown) => {
      throw cannotWrite(err, named);
    });
    // A relative link is relative to the directory that holds it, with that directory's links followed.
    const holder = await fs.realpath(path.dirname(current)).catch(() => path.dirname(current));
    current = path.resolve(holder, link);
  }
  throw new QaHfError('ERR_USAGE', `${named}: too many levels of symbolic links`);
}

function cannotWrite(err: unknown, named: string): QaHfError {
  const sys = err as NodeJS.ErrnoException;
  const bare = sys && typeof sys.code === 'string' ? Object.assign(new Error(sys.message), { code: sys.code }) : err;
  return new QaHfError('ERR_IO', `${named} cannot be written: ${toQaHfError(bare).message}`);
}

/** Decides how `target` is written (see the header); refuses a directory or a missing parent (ERR_USAGE). */
export async function planOutput(target: string, options: OutputTargetOptions = {}): Promise<OutputPlan> {
  const fs = options.fs ?? NODE_FILE_SYSTEM;
  const named = `${options.label ?? 'output'} ${target}`;
  if (target === '' || /[\\/]$/.test(target)) throw new QaHfError('ERR_USAGE', `${named} is a directory, not a file`);
  const { resolved, stat } = await resolveLinks(target, fs, named);
  if (stat?.isDirectory()) throw new QaHfError('ERR_USAGE', `${named} is a directory, not a file`);
  if (stat && !stat.isFile()) return { path: target, resolved, kind: stat.isSocket() ? 'socket' : 'streamed', stat };
  const parent = path.dirname(resolved);
  const parentStat = await fs.stat(parent).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
    throw cannotWrite(err, named);
  });
  if (!parentStat) throw new QaHfError('ERR_USAGE', `${named}: directory ${parent} does not exist`);
  if (!parentStat.isDirectory()) throw new QaHfError('ERR_USAGE', `${named}: ${parent} is not a directory`);
  return { path: target, resolved, kind: 'atomic', stat };
}

/**
 * Checks, before anything is read, that `target` can be written: the plan, then
 * write access to the file's directory (atomic: the temp file and the rename live
 * there) or to the file itself (streamed). Access problems are ERR_IO.
 */
export async function checkOutputTarget(target: string, options: OutputTargetOptions = {}): Promise<OutputPlan> {
  const fs = options.fs ?? NODE_FILE_SYSTEM;
  const plan = await planOutput(target, options);
  const where = plan.kind === 'atomic' ? path.dirname(plan.resolved) : plan.resolved;
  const mode = plan.kind === 'atomic' ? constants.W_OK | constants.X_OK : constants.W_OK;
  await fs.access(where, mode).catch((err: unknown) => {
    throw cannotWrite(err, `${options.label ?? 'output'} ${target}`);
  });
  return plan;
}

/** Opens `target` as its plan says; every later failure is one line naming `target`. */
export async function openOutputTarget(target: string, options: OutputTargetOptions = {}): Promise<OpenOutputTarget> {
  const fs = options.fs ?? NODE_FILE_SYSTEM;
  const plan = await planOutput(target, options);
  try {
    switch (plan.kind) {
      case 'atomic':
        await removeStaleTemps(plan.resolved, fs);
        return new AtomicOutput(target, await AtomicFile.open(plan.resolved, { fs }));
      case 'streamed':
        // O_WRONLY alone: no O_CREAT, no O_TRUNC; whatever the node is, it is only written to.
        return new StreamedOutput(target, await fs.open(plan.resolved, constants.O_WRONLY));
      case 'socket':
        return await SocketOutput.connect(target, plan.resolved);
    }
  } catch (err) {
    throw outputError(err, target);
  }
}

/** `.<name>.<pid>.tmp`, AtomicFile's default temp name. */
function tempPattern(name: string): RegExp {
  return new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.tmp$`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files of `finalPath` that a qa-hf process, now dead, left behind (SIGKILL). */
async function removeStaleTemps(finalPath: string, fs: FileSystem): Promise<void> {
  const directory = path.dirname(finalPath);
  const pattern = tempPattern(path.basename(finalPath));
  const names = await fs.readdir(directory).catch(() => [] as string[]);
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    // Best effort: a temp file that cannot be removed does no harm to this run.
    await fs.rm(path.join(directory, name), { force: true }).catch(() => undefined);
  }
}

class AtomicOutput implements OpenOutputTarget {
  readonly kind = 'atomic' as const;

  constructor(
    readonly path: string,
    private readonly file: AtomicFile,
  ) {}

  async write(bytes: Buffer): Promise<void> {
    await this.file.write(bytes).catch((err: unknown) => {
      throw outputError(err, this.path);
    });
  }

  async finish(): Promise<void> {
    await this.file.commit().catch((err: unknown) => {
      throw outputError(err, this.path);
    });
  }

  async abort(): Promise<void> {
    await this.file.abort(true).catch(() => undefined);
  }
}

/** A device or FIFO: sequential writes (never positional: a pipe refuses them), then close. */
class StreamedOutput implements OpenOutputTarget {
  readonly kind = 'streamed' as const;
  private handle: FileHandleLike | null;

  constructor(
    readonly path: string,
    handle: FileHandleLike,
  ) {
    this.handle = handle;
  }

  async write(bytes: Buffer): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new QaHfError('ERR_IO', 'cannot write output: it is already closed', { file: this.path });
    let done = 0;
    try {
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, null);
        done += bytesWritten;
      }
    } catch (err) {
      throw outputError(err, this.path);
    }
  }

  async finish(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch((err: unknown) => {
      throw outputError(err, this.path);
    });
  }

  async abort(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => undefined);
  }
}

/** A Unix socket cannot be open()ed: connect to it and write through. */
class SocketOutput implements OpenOutputTarget {
  readonly kind = 'socket' as const;
  private failure: Error | null = null;

  private constructor(
    readonly path: string,
    private readonly socket: net.Socket,
  ) {
    socket.on('error', (err) => {
      this.failure = err;
    });
  }

  static async connect(target: string, resolved: string): Promise<SocketOutput> {
    const socket = net.createConnection({ path: resolved });
    await once(socket, 'connect');
    return new SocketOutput(target, socket);
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.failure) throw outputError(this.failure, this.path);
    // Waiting for each write's callback keeps at most one batch in the socket's buffer.
    await new Promise<void>((resolve, reject) => {
      this.socket.write(bytes, (err) => (err ? reject(outputError(err, this.path)) : resolve()));
    });
  }

  async finish(): Promise<void> {
    if (this.failure) throw outputError(this.failure, this.path);
    await new Promise<void>((resolve) => this.socket.end(resolve));
  }

  async abort(): Promise<void> {
    this.socket.destroy();
  }
}
