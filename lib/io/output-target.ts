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
 *   FIFO waits for its reader, as `cat > fifo` does;
 * - a descriptor this process already holds, named as a path (`/dev/stdout`,
 *   `/dev/stderr`, `/dev/fd/N`, `/proc/self/fd/N`, or a link to one): written
 *   through that descriptor, so it shares the offset of whoever else writes there
 *   (a shell's `> file`). Never reopened, replaced or truncated: the file behind
 *   `/dev/stdout` is the user's, and reopening it would overwrite the pairs.
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
import { createWriteStream, fstatSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { AtomicFile, NODE_FILE_SYSTEM, outputError, type FileHandleLike, type FileSystem } from './atomic-file';
import type { OutputTarget } from '../target';
import { QaHfError, toQaHfError } from '../errors';
import { isS3Url } from '../s3-url';
import { processAlive } from './lock';

/** How an output is written: see the header. */
export type OutputKind = 'atomic' | 'streamed' | 'socket' | 'descriptor';

export interface OutputPlan {
  /** The path as the user typed it; messages name this one. */
  path: string;
  /** Where the bytes go once symbolic links are followed. */
  resolved: string;
  kind: OutputKind;
  /** The resolved file as it is now; null when it does not exist yet. */
  stat: Stats | null;
  /** kind 'descriptor': the descriptor written through. */
  fd?: number;
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

/** The descriptor a path names, when it names one of this process's: `/dev/stdout`, `/dev/fd/3`, `/proc/self/fd/3`. */
export function descriptorOf(file: string): number | null {
  const absolute = path.resolve(file);
  if (absolute === '/dev/stdout') return 1;
  if (absolute === '/dev/stderr') return 2;
  const match = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/(\d+)$/.exec(absolute);
  if (!match || (match[1] !== undefined && Number(match[1]) !== process.pid)) return null;
  return Number(match[2]);
}

/** Follows symbolic links from `target` to the first path that is not one (it may not exist), or to a descriptor. */
async function resolveLinks(target: string, fs: FileSystem, named: string): Promise<{ resolved: string; stat: Stats | null; fd?: number }> {
  let current = target;
  for (let hops = 0; hops <= MAX_SYMLINKS; hops++) {
    const fd = descriptorOf(current);
    if (fd !== null) {
      try {
        return { resolved: current, stat: fstatSync(fd), fd };
      } catch {
        throw new QaHfError('ERR_USAGE', `${named}: descriptor ${fd} is not open`);
      }
    }
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
  if (isS3Url(target)) throw new QaHfError('ERR_USAGE', `${named}: this output is a local file; s3:// URLs are for inputs, export --out and verify`);
  if (target === '' || /[\\/]$/.test(target)) {
    const isDirectory = await fs.stat(target || '.').then((stat) => stat.isDirectory(), () => false);
    throw new QaHfError('ERR_USAGE', `${named} ${isDirectory ? 'is a directory' : 'names a directory (it ends in /)'}, not a file`);
  }
  const { resolved, stat, fd } = await resolveLinks(target, fs, named);
  if (fd !== undefined) return { path: target, resolved, kind: 'descriptor', stat, fd };
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
  if (plan.kind === 'descriptor') return plan; // open already: there is nothing to check
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
      case 'descriptor':
        return new DescriptorOutput(target, plan.fd!);
    }
  } catch (err) {
    throw outputError(err, target);
  }
}

/** `.<name>.<pid>.tmp`, AtomicFile's default temp name. */
function tempPattern(name: string): RegExp {
  return new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.tmp$`);
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

/** A descriptor this process holds (`/dev/stdout`, `/dev/fd/3`): written through it, never closed. */
class DescriptorOutput implements OpenOutputTarget {
  readonly kind = 'descriptor' as const;
  private readonly stream: NodeJS.WritableStream & { destroyed?: boolean; writableNeedDrain?: boolean };
  private readonly own: boolean;
  private failure: Error | null = null;

  constructor(
    readonly path: string,
    fd: number,
  ) {
    // stdout and stderr already have their stream; sharing it keeps the order of what both write.
    this.own = fd !== 1 && fd !== 2;
    this.stream = fd === 1 ? process.stdout : fd === 2 ? process.stderr : createWriteStream('', { fd, autoClose: false });
    if (this.own) this.stream.on('error', (err: Error) => (this.failure = err));
  }

  async write(bytes: Buffer): Promise<void> {
    if (this.failure) throw outputError(this.failure, this.path);
    await new Promise<void>((resolve, reject) => {
      this.stream.write(bytes, (err?: Error | null) => (err ? reject(outputError(err, this.path)) : resolve()));
    });
  }

  async finish(): Promise<void> {
    if (this.failure) throw outputError(this.failure, this.path);
    // autoClose false: end() flushes and leaves the descriptor open for its owner.
    if (this.own) await new Promise<void>((resolve) => this.stream.end(resolve));
  }

  async abort(): Promise<void> {
    if (this.own) this.stream.end();
  }
}
