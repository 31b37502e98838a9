/**
 * inputs — checks input paths before any stream exists, so a typo gives one clear
 * line instead of a half-done run; tells which inputs are streams (stdin, a FIFO,
 * `<(…)`: never resumed mid-way) and which are compressed, for an export's plan.
 */
import { promises as fs } from 'node:fs';
import { detectCompression, isReadableCompression, MAGIC_BYTES } from '../compression';
import { QaHfError, inputError } from '../errors';

/** Every path must be a readable regular file (or `-`, standard input). */
export async function checkInputFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (file === '-') continue;
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
}

/** Looks at each input without reading a stream (a FIFO is never opened here: that would block). */
export async function describeInputs(files: readonly string[]): Promise<InputInfo[]> {
  return Promise.all(
    files.map(async (file): Promise<InputInfo> => {
      if (file === '-') return { stream: true, compressed: false, size: 0 };
      let stat;
      try {
        stat = await fs.stat(file);
      } catch (err) {
        throw inputError(err, file);
      }
      if (!stat.isFile()) return { stream: true, compressed: false, size: 0 };
      let head = Buffer.alloc(MAGIC_BYTES);
      try {
        const handle = await fs.open(file, 'r');
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
