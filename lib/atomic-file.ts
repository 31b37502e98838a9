/**
 * atomic-file — a file that appears under its final name only when complete.
 *
 * Bytes go to a temporary file beside the final one; `commit()` fsyncs it, renames
 * it over the final name and fsyncs the directory, so after a crash a reader finds
 * either no file or the whole file, never a prefix. A temp file can be reopened at
 * a committed length (resume): whatever was written past it is cut away.
 *
 *   const file = await AtomicFile.open('dist/qa_pairs.jsonl');
 *   await file.write(Buffer.from('{"question":"…"}\n'));
 *   await file.commit();
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface OutputTarget {
  /** Resolves once `bytes` are handed to the OS (not necessarily on disk). */
  write(bytes: Buffer): Promise<void>;
}

export interface AtomicFileOptions {
  /** Temporary path; default `.<name>.<pid>.tmp` beside the final file. */
  tempPath?: string;
  /** Reopen an existing temp file and keep its first `keepBytes` bytes (resume). */
  keepBytes?: number;
}

export class AtomicFile implements OutputTarget {
  readonly finalPath: string;
  readonly tempPath: string;
  /** Bytes in the temp file so far. */
  bytes: number;
  private handle: fs.FileHandle | null;

  private constructor(finalPath: string, tempPath: string, handle: fs.FileHandle, bytes: number) {
    this.finalPath = finalPath;
    this.tempPath = tempPath;
    this.handle = handle;
    this.bytes = bytes;
  }

  static defaultTempPath(finalPath: string): string {
    return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${process.pid}.tmp`);
  }

  static async open(finalPath: string, options: AtomicFileOptions = {}): Promise<AtomicFile> {
    const tempPath = options.tempPath ?? AtomicFile.defaultTempPath(finalPath);
    if (options.keepBytes !== undefined) {
      const handle = await fs.open(tempPath, 'r+');
      try {
        const { size } = await handle.stat();
        if (size < options.keepBytes) {
          throw new Error(`${tempPath} holds ${size} bytes, fewer than the ${options.keepBytes} committed`);
        }
        await handle.truncate(options.keepBytes);
        await handle.sync();
      } catch (err) {
        await handle.close();
        throw err;
      }
      return new AtomicFile(finalPath, tempPath, handle, options.keepBytes);
    }
    const handle = await fs.open(tempPath, 'w');
    return new AtomicFile(finalPath, tempPath, handle, 0);
  }

  async write(bytes: Buffer): Promise<void> {
    const handle = this.live();
    let done = 0;
    // A regular-file write may be short (e.g. near ENOSPC): loop until all is written.
    while (done < bytes.length) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, this.bytes + done);
      done += bytesWritten;
    }
    this.bytes += bytes.length;
  }

  /** Makes everything written so far durable (the checkpoint relies on this). */
  async sync(): Promise<void> {
    await this.live().datasync();
  }

  async commit(): Promise<void> {
    const handle = this.live();
    await handle.sync();
    await handle.close();
    this.handle = null;
    await fs.rename(this.tempPath, this.finalPath);
    await syncDirectory(path.dirname(this.finalPath));
  }

  /** Closes without committing; `remove` also deletes the temp file. */
  async abort(remove = true): Promise<void> {
    if (this.handle) {
      const handle = this.handle;
      this.handle = null;
      await handle.close().catch(() => undefined);
    }
    if (remove) await fs.rm(this.tempPath, { force: true });
  }

  private live(): fs.FileHandle {
    if (!this.handle) throw new Error(`${this.finalPath} is already committed or aborted`);
    return this.handle;
  }
}

/** fsync of a directory makes a rename in it durable. */
export async function syncDirectory(directory: string): Promise<void> {
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
export async function writeFileAtomic(finalPath: string, data: string | Buffer, options: { tempPath?: string } = {}): Promise<void> {
  const file = await AtomicFile.open(finalPath, { tempPath: options.tempPath });
  try {
    await file.write(typeof data === 'string' ? Buffer.from(data) : data);
    await file.commit();
  } catch (err) {
    await file.abort();
    throw err;
  }
}
