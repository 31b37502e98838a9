/**
 * raw-input — opens one input and gives its raw bytes (compressed, as stored): the
 * part of reading that touches the file system, stdin and S3 (streams/file-source.ts
 * turns them into FileChunks: decompression, resume skips, digests, hints).
 *
 * How a file is read is decided by fstat of the opened handle: a regular file with
 * positional reads and read-ahead, from any offset; anything else (stdin, a FIFO,
 * `<(…)` process substitution, a device) with sequential reads from its beginning
 * only. An S3 object is read like a regular file, by ranged GETs guarded by its ETag.
 * Errors: ERR_INPUT (a missing, unreadable or directory input), S3 errors (lib/io/s3.ts).
 *
 *   const raw = await openRaw('a.jsonl', 'a.jsonl', process.stdin, 256 << 10);
 *   detectCompression(raw.head); for await (const data of raw.chunks(0)) …; await raw.close();
 */
import { promises as fs } from 'node:fs';
import { MAGIC_BYTES } from '../input/compression';
import { inputError } from '../errors';
import { HINT_HEAD_BYTES } from '../input/input-hints';
import { headObject, objectChunks, objectHead, s3Error } from './s3';

/** Reads from a pipe: Linux pipes hold 64 KiB, so larger buffers would mostly stay empty. */
const STREAM_CHUNK_BYTES = 64 << 10;

/** An opened input: its first bytes, and its raw bytes from a position. */
export interface RawInput {
  /** A regular file (or an S3 object): positional reads, any start. Otherwise sequential reads from byte 0 only. */
  seekable: boolean;
  /** Each chunk is memory of its own (streams/file-source.ts FileChunk.detachable). */
  ownsChunks: boolean;
  /** The first bytes: up to HINT_HEAD_BYTES of a regular file, at least MAGIC_BYTES (when it has them) of a stream. */
  head: Buffer;
  chunks(from: number): AsyncIterable<Buffer>;
  close(): Promise<void>;
}

export async function openRaw(file: string, name: string, stdin: NodeJS.ReadableStream, chunkBytes: number): Promise<RawInput> {
  if (file === '-') {
    try {
      return await streamInput(stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>, async () => undefined);
    } catch (err) {
      throw inputError(err, name);
    }
  }
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw inputError(err, file);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stat.isFile()) {
      const reads = Math.min(chunkBytes, STREAM_CHUNK_BYTES);
      return await streamInput(sequentialChunks(handle, reads), () => handle.close());
    }
    const head = Buffer.alloc(HINT_HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HINT_HEAD_BYTES, 0);
    return {
      seekable: true,
      ownsChunks: true,
      head: head.subarray(0, bytesRead),
      chunks: (from) => positionalChunks(handle, from, chunkBytes),
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw inputError(err, file);
  }
}

/** An S3 object: its head by one ranged GET, its chunks by another from any offset, each guarded by the ETag. */
export async function openObject(spec: { path: string; etag?: string }): Promise<RawInput> {
  const url = spec.path;
  const found = await headObject(url);
  if (!found) throw s3Error({ name: 'NoSuchKey' }, url);
  if (spec.etag !== undefined && found.etag !== spec.etag) throw s3Error({ name: 'PreconditionFailed' }, url);
  const { etag, size } = found;
  return {
    seekable: true,
    // Socket reads may be views of one larger buffer: never transferred, copied.
    ownsChunks: false,
    head: await objectHead(url, HINT_HEAD_BYTES, { etag, size }),
    chunks: (from) => objectChunks(url, { from, etag, size }),
    close: async () => undefined,
  };
}

/** A stream's first MAGIC_BYTES are read ahead; its chunks replay them, then go on. */
async function streamInput(iterator: AsyncIterator<Buffer | string>, close: () => Promise<void>): Promise<RawInput> {
  const buffered: Buffer[] = [];
  let bytes = 0;
  let done = false;
  while (bytes < MAGIC_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const data = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
    buffered.push(data);
    bytes += data.length;
  }
  let used = false;
  async function* chunks(): AsyncGenerator<Buffer> {
    if (used) throw new Error('internal: a stream input is read once');
    used = true;
    try {
      yield* buffered.splice(0);
      while (!done) {
        const next = await iterator.next();
        if (next.done) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    } finally {
      if (!done) await iterator.return?.();
    }
  }
  return { seekable: false, ownsChunks: false, head: Buffer.concat(buffered).subarray(0, HINT_HEAD_BYTES), chunks, close };
}

/** Reads at the handle's current position (read(2)): the only way to read a pipe. */
async function* sequentialChunks(handle: fs.FileHandle, chunkBytes: number): AsyncGenerator<Buffer> {
  for (;;) {
    const { buffer, bytesRead } = await handle.read(Buffer.allocUnsafe(chunkBytes), 0, chunkBytes, null);
    if (bytesRead === 0) return;
    yield buffer.subarray(0, bytesRead);
  }
}

/** Positional reads from `from`; the next chunk is read from disk while this one is processed. */
async function* positionalChunks(handle: fs.FileHandle, from: number, chunkBytes: number): AsyncGenerator<Buffer> {
  const readAt = (at: number) => {
    // allocUnsafeSlow: never a slice of Node's shared pool, so the chunk may be detached (FileChunk.detachable).
    const read = handle.read(Buffer.allocUnsafeSlow(chunkBytes), 0, chunkBytes, at);
    read.catch(() => undefined); // awaited below; never an unhandled rejection if we stop early
    return read;
  };
  let position = from;
  let next = readAt(position);
  for (;;) {
    const { buffer, bytesRead } = await next;
    if (bytesRead === 0) return;
    position += bytesRead;
    next = readAt(position);
    yield buffer.subarray(0, bytesRead);
  }
}
