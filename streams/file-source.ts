/**
 * file-source — reads input files one after the other as FileChunks.
 *
 * Input: paths (`-` is standard input), each with an optional resume start.
 * Output: `{ file, data, start?, end? }` objects in file order; `start` on a
 * file's first chunk when it does not begin at byte 0, `end` on its last (empty) one.
 * Errors: a missing or unreadable file fails the stream with ERR_INPUT.
 *
 *   pipeline(createFileSource(['a.jsonl', 'b.jsonl']), createLineSplitter(), …)
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { promises as fs } from 'node:fs';
import { QaHfError, got, inputError } from '../lib/errors';

/** One read: large enough that per-batch costs vanish, small enough to bound memory. */
export const DEFAULT_CHUNK_BYTES = 256 << 10;

export const STDIN_NAME = '<stdin>';

export interface FileChunk {
  file: string;
  data: Buffer;
  /** Where this file's reading starts, when not at its beginning. */
  start?: { offset: number; line: number };
  /** True on the chunk that closes the file. */
  end?: boolean;
}

export interface InputSpec {
  path: string;
  /** Resume point: byte offset and lines already consumed. */
  start?: { offset: number; line: number };
}

export interface FileSourceOptions {
  chunkBytes?: number;
  /**
   * Called with the sha256 of each file read whole (from byte 0 to its end), so
   * a manifest needs no second pass over the inputs.
   */
  onFileDigest?: (file: string, digest: { sha256: string; bytes: number }) => void;
  /** Stream to read for `-` (tests inject one). Default process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

export function createFileSource(inputs: ReadonlyArray<string | InputSpec>, options: FileSourceOptions = {}): Readable {
  const specs = inputs.map((input) => (typeof input === 'string' ? { path: input } : input));
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new QaHfError('ERR_OPTION', `option chunkBytes must be a positive integer, ${got(chunkBytes)}`);
  }
  const stdin = options.stdin ?? process.stdin;
  return Readable.from(readAll(specs, chunkBytes, stdin, options.onFileDigest), { objectMode: true, highWaterMark: 2 });
}

type DigestListener = FileSourceOptions['onFileDigest'];

async function* readAll(
  specs: InputSpec[],
  chunkBytes: number,
  stdin: NodeJS.ReadableStream,
  onFileDigest: DigestListener,
): AsyncGenerator<FileChunk> {
  for (const spec of specs) {
    if (spec.path === '-') {
      for await (const data of stdin) {
        yield { file: STDIN_NAME, data: typeof data === 'string' ? Buffer.from(data) : (data as Buffer) };
      }
      yield { file: STDIN_NAME, data: Buffer.alloc(0), end: true };
    } else {
      yield* readFile(spec, chunkBytes, onFileDigest);
    }
  }
}

async function* readFile(spec: InputSpec, chunkBytes: number, onFileDigest: DigestListener): AsyncGenerator<FileChunk> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(spec.path, 'r');
  } catch (err) {
    throw inputError(err, spec.path);
  }
  try {
    let position = spec.start?.offset ?? 0;
    let first = true;
    const hash = onFileDigest && position === 0 ? createHash('sha256') : null;
    // Read ahead: the next chunk is read from disk while this one is processed.
    const readAt = (at: number) => {
      const read = handle.read(Buffer.allocUnsafe(chunkBytes), 0, chunkBytes, at);
      read.catch(() => undefined); // awaited below; never an unhandled rejection if we stop early
      return read;
    };
    let next = readAt(position);
    for (;;) {
      let buffer: Buffer;
      let bytesRead: number;
      try {
        ({ buffer, bytesRead } = await next);
      } catch (err) {
        throw inputError(err, spec.path);
      }
      if (bytesRead > 0) next = readAt(position + bytesRead);
      const chunk: FileChunk = { file: spec.path, data: buffer.subarray(0, bytesRead) };
      if (first && spec.start) chunk.start = spec.start;
      if (hash) hash.update(chunk.data);
      if (bytesRead === 0) {
        chunk.end = true;
        if (hash && onFileDigest) onFileDigest(spec.path, { sha256: hash.digest('hex'), bytes: position });
      }
      yield chunk;
      if (bytesRead === 0) return;
      position += bytesRead;
      first = false;
    }
  } finally {
    await handle.close();
  }
}
