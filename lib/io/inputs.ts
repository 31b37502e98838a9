/**
 * inputs — checks input paths before any stream exists, so a typo gives one clear
 * line instead of a half-done run; tells which inputs are streams (stdin, a FIFO,
 * `<(…)`: never resumed mid-way) and which are compressed, for an export's plan.
 *
 * An input is a local path, `-` (stdin) or an `s3://bucket/key` URL (lib/s3-url.ts
 * `isS3Url`); an input list may mix them. An object is read like a regular file
 * (ranged GETs: resumable at any offset), guarded by the ETag found here.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { detectCompression, isReadableCompression, MAGIC_BYTES } from '../input/compression';
import { QaHfError, inputError } from '../errors';
import { isS3Url } from '../s3-url';
import { headObject, objectHead, s3Error } from './s3';

/** An input's name in checkpoints: absolute for a local path (resolved against `cwd`, default the working directory), as given for a URL. */
export function absoluteInput(file: string, cwd?: string): string {
  return isS3Url(file) ? file : path.resolve(cwd ?? '', file);
}

/**
 * Where a local input named relative to `cwd` is opened from here: `cwd` is the
 * working directory the input was named in (a merge: the ranks', ExportArgs.inputCwd),
 * undefined for this process's own. `-`, URLs and absolute paths are as given.
 */
export function inputPath(file: string, cwd: string | undefined): string {
  return cwd === undefined || file === '-' || isS3Url(file) || path.isAbsolute(file) ? file : path.resolve(cwd, file);
}

/** The object's ETag and size; a missing object is ERR_S3. */
export async function requireObject(url: string): Promise<{ etag: string; size: number }> {
  const head = await headObject(url);
  if (!head) throw s3Error({ name: 'NoSuchKey' }, url);
  return head;
}

/** Every path must be a readable regular file (or `-`, standard input). */
export async function checkInputFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (file === '-') continue;
    if (isS3Url(file)) {
      await requireObject(file);
      continue;
    }
    try {
      const stat = await fs.stat(file);
      if (stat.isDirectory()) {
        throw new QaHfError('ERR_INPUT', 'is a directory (pipe mode reads files; use `qa-hf export DIR --out OUT`)', { file });
      }
      await fs.access(file, fs.constants.R_OK);
    } catch (err) {
      if (err instanceof QaHfError) throw err;
      throw inputError(err, file);
    }
  }
}

/** How an input will be read, decided before the run (streams/file-source.ts decides again on the opened handle). */
export interface InputInfo {
  /** Not a regular file (stdin, a FIFO, `<(…)`, a device): read once, front to back, never resumed mid-way. */
  stream: boolean;
  /** gzip or zstd by its magic bytes: offsets count decompressed bytes. */
  compressed: boolean;
  /** Bytes on disk (compressed); 0 for a stream, whose size is unknown. */
  size: number;
  /** An S3 object's ETag: every read of it must match (its fingerprint, lib/io/fingerprint.ts). */
  etag?: string;
}

/** Looks at each input without reading a stream (a FIFO is never opened here: that would block); `cwd`: see inputPath. */
export async function describeInputs(files: readonly string[], cwd?: string): Promise<InputInfo[]> {
  return Promise.all(
    files.map(async (file): Promise<InputInfo> => {
      const opened = inputPath(file, cwd);
      if (file === '-') return { stream: true, compressed: false, size: 0 };
      if (isS3Url(file)) {
        const head = await requireObject(file);
        const magic = await objectHead(file, MAGIC_BYTES, head);
        return { stream: false, compressed: isReadableCompression(detectCompression(magic)), size: head.size, etag: head.etag };
      }
      let stat;
      try {
        stat = await fs.stat(opened);
      } catch (err) {
        throw inputError(err, file);
      }
      if (!stat.isFile()) return { stream: true, compressed: false, size: 0 };
      let head = Buffer.alloc(MAGIC_BYTES);
      try {
        const handle = await fs.open(opened, 'r');
        try {
          head = head.subarray(0, (await handle.read(head, 0, MAGIC_BYTES, 0)).bytesRead);
        } finally {
          await handle.close();
        }
      } catch (err) {
        throw inputError(err, file);
      }
      return { stream: false, compressed: isReadableCompression(detectCompression(head)), size: stat.size };
    }),
  );
}

/**
 * The index of the first input read as a stream that a run stopped at
 * `position` had begun (or finished) reading, or null. Such a run cannot resume:
 * what the stream gave is gone, and another stream cannot be checked against it.
 */
export function startedStream(position: { input: number; offset: number; line: number }, inputs: readonly InputInfo[]): number | null {
  for (let i = 0; i < inputs.length; i++) {
    if (!inputs[i].stream) continue;
    if (i < position.input || (i === position.input && (position.offset > 0 || position.line > 0))) return i;
  }
  return null;
}
