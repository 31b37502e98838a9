/**
 * atomic-file — a file that appears under its final name only when complete.
 *
 * Bytes go to a temporary file beside the final one; `commit()` fsyncs it, renames
 * it over the final name and fsyncs the directory, so after a crash a reader finds
 * either no file or the whole file, never a prefix. A temp file can be reopened at
 * a committed length (resume): whatever was written past it is cut away.
 *
 * Failures of write, sync and commit are QaHfErrors naming the final file
 * (ERR_NO_SPACE for a full disk, ERR_IO otherwise); the temp file stays until
 * `abort()` (a resumable export keeps it), so a caller decides. A temp file under
 * the default name, `.<name>.<pid>.tmp`, is of use to this process only: one still
 * there when the process exits (pipe mode's exit on Ctrl-C included) is removed
 * then. The file layer is an option (`fs`), so faults can be injected in tests.
 *
 *   const file = await AtomicFile.open('dist/qa_pairs.jsonl');
 *   await file.write(Buffer.from('{"question":"…"}\n'));
 *   await file.commit();
 */
import { promises as nodeFs, rmSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { QaHfError, toQaHfError } from '../errors';
import type { OutputTarget } from '../target';

/** The part of a file handle qa-hf's outputs use (node's FileHandle has it). */
export interface FileHandleLike {
  write(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesWritten: number }>;
  sync(): Promise<void>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** The file layer of outputs: node's `fs.promises` by default, a fake in fault tests. */
export interface FileSystem {
  open(file: string, flags: string | number, mode?: number): Promise<FileHandleLike>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: boolean }): Promise<void>;
  stat(file: string): Promise<Stats>;
  lstat(file: string): Promise<Stats>;
  readlink(file: string): Promise<string>;
  realpath(file: string): Promise<string>;
  readdir(directory: string): Promise<string[]>;
  access(file: string, mode: number): Promise<void>;
}

export const NODE_FILE_SYSTEM: FileSystem = {
  open: (file, flags, mode) => nodeFs.open(file, flags, mode),
  rename: (from, to) => nodeFs.rename(from, to),
  rm: (file, options) => nodeFs.rm(file, options),
  stat: (file) => nodeFs.stat(file),
  lstat: (file) => nodeFs.lstat(file),
  readlink: (file) => nodeFs.readlink(file),
  realpath: (file) => nodeFs.realpath(file),
  readdir: (directory) => nodeFs.readdir(directory),
  access: (file, mode) => nodeFs.access(file, mode),
};

/** A failure while writing an output, as one line naming the output (not its temp file). */
export function outputError(err: unknown, file: string): QaHfError {
  if (err instanceof QaHfError) return err.file === file ? err : new QaHfError(err.code, err.message, { file });
  const sys = err as NodeJS.ErrnoException;
  // The words without the path: toQaHfError would name the temp file the error came from.
  const bare = sys && typeof sys === 'object' && typeof sys.code === 'string' ? Object.assign(new Error(sys.message), { code: sys.code }) : err;
  const converted = toQaHfError(bare);
  return new QaHfError(converted.code, `cannot write output: ${converted.message}`, { file });
}

/** Open temp files under the default (per-process) name: removed at exit if still there. */
const PROCESS_TEMPS = new Set<string>();
let exitSweepInstalled = false;

/** Removes this process's temp files still open (at exit; exported for its test). */
export function removeProcessTemps(): void {
  for (const file of PROCESS_TEMPS) {
    try {
      rmSync(file, { force: true });
    } catch {
      // nothing more can be done at exit
    }
  }
  PROCESS_TEMPS.clear();
}

function claimProcessTemp(file: string): void {
  if (!exitSweepInstalled) {
    process.on('exit', removeProcessTemps);
    exitSweepInstalled = true;
  }
  PROCESS_TEMPS.add(file);
}

export interface AtomicFileOptions {
  /** Temporary path; default `.<name>.<pid>.tmp` beside the final file. */
  tempPath?: string;
  /** Reopen an existing temp file and keep its first `keepBytes` bytes (resume). */
  keepBytes?: number;
  /** The file layer; default node's `fs.promises`. */
  fs?: FileSystem;
}

/**
 * True for what AtomicFile.open with `keepBytes` throws when the temp file does not
 * fit the checkpoint: missing (ENOENT) or shorter than the bytes committed. A resume
 * then starts over; any other error is a real failure.
 */
export function isShortOrMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || (err instanceof QaHfError && code === 'ERR_CHECKPOINT_MISMATCH');
}

export class AtomicFile implements OutputTarget {
  readonly finalPath: string;
  readonly tempPath: string;
  /** Bytes in the temp file so far. */
  bytes: number;
  private handle: FileHandleLike | null;
  private readonly fs: FileSystem;

  private constructor(finalPath: string, tempPath: string, handle: FileHandleLike, bytes: number, fs: FileSystem) {
    this.finalPath = finalPath;
    this.tempPath = tempPath;
    this.handle = handle;
    this.bytes = bytes;
    this.fs = fs;
  }

  static defaultTempPath(finalPath: string): string {
    return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${process.pid}.tmp`);
  }

  /**
   * Opens the temp file. Its errors stay node's system errors (a resuming caller
   * tells a missing temp file, ENOENT, from a real failure), but one: a temp file
   * shorter than `keepBytes` is ERR_CHECKPOINT_MISMATCH (see isShortOrMissing).
   */
  static async open(finalPath: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
    const fs = options.fs ?? NODE_FILE_SYSTEM;
    const tempPath = options.tempPath ?? AtomicFile.defaultTempPath(finalPath);
    if (options.keepBytes !== undefined) {
      const handle = await fs.open(tempPath, 'r+');
      try {
        const { size } = await handle.stat();
        if (size < options.keepBytes) {
          throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${tempPath} holds ${size} bytes, fewer than the ${options.keepBytes} committed`);
        }
        await handle.truncate(options.keepBytes);
        await handle.sync();
      } catch (err) {
        await handle.close();
        throw err;
      }
      return new AtomicFile(finalPath, tempPath, handle, options.keepBytes, fs);
    }
    const handle = await fs.open(tempPath, 'w');
    // A fixed temp name is for a later run to continue (kept); a per-process one is not.
    if (options.tempPath === undefined && fs === NODE_FILE_SYSTEM) claimProcessTemp(tempPath);
    return new AtomicFile(finalPath, tempPath, handle, 0, fs);
  }

  async write(bytes: Buffer): Promise<void> {
    const handle = this.live();
    let done = 0;
    try {
      // A regular-file write may be short (e.g. near ENOSPC): loop until all is written.
      while (done < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, this.bytes + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw outputError(err, this.finalPath);
    }
    this.bytes += bytes.length;
  }

  /** Makes everything written so far durable (the checkpoint relies on this). */
  async sync(): Promise<void> {
    const handle = this.live();
    await handle.datasync().catch((err: unknown) => {
      throw outputError(err, this.finalPath);
    });
  }

  async commit(): Promise<void> {
    const handle = this.live();
    try {
      await handle.sync();
      // From here on the handle is closed whatever happens; abort() still removes the temp file.
      this.handle = null;
      await handle.close();
      await this.fs.rename(this.tempPath, this.finalPath);
      PROCESS_TEMPS.delete(this.tempPath);
      await syncDirectory(path.dirname(this.finalPath), this.fs);
    } catch (err) {
      throw outputError(err, this.finalPath);
    }
  }

  /** Closes without committing; `remove` also deletes the temp file. */
  async abort(remove = true): Promise<void> {
    if (this.handle) {
      const handle = this.handle;
      this.handle = null;
      await handle.close().catch(() => undefined);
    }
    if (remove) {
      await this.fs.rm(this.tempPath, { force: true });
      PROCESS_TEMPS.delete(this.tempPath);
    }
  }

  private live(): FileHandleLike {
    if (!this.handle) throw new Error(`${this.finalPath} is already committed or aborted`);
    return this.handle;
  }
}

/** fsync of a directory makes a rename in it durable. */
export async function syncDirectory(directory: string, fs: FileSystem = NODE_FILE_SYSTEM): Promise<void> {
  const handle = await fs.open(directory, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems refuse fsync on directories; the rename itself is still atomic.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}

/** Writes a whole small file (JSON state, manifest) atomically. */
export async function writeFileAtomic(finalPath: string, data: string | Buffer, options: { tempPath?: string; fs?: FileSystem } = {}): Promise<void> {
  const file = await AtomicFile.open(finalPath, { tempPath: options.tempPath, fs: options.fs });
  try {
    await file.write(typeof data === 'string' ? Buffer.from(data) : data);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}
