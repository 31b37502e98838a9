/**
 * file-source — reads input files one after the other as FileChunks.
 *
 * Input: paths (`-` is standard input), each with an optional resume start.
 * Output: `{ file, data, start?, end? }` objects in file order; `start` on a
 * file's first chunk when it does not begin at byte 0, `end` on its last (empty) one.
 * Errors: a missing or unreadable file fails the stream with ERR_INPUT.
 *
 * How a file is read is decided by fstat of the opened handle: a regular file
 * with positional reads and read-ahead (a resume starts at its offset); anything
 * else (stdin, a FIFO, `<(…)` process substitution, a device) with sequential
 * reads, never positional ones, from its beginning only. gzip (multi-member too)
 * and zstd are recognised by their magic bytes and decompressed on the fly:
 * `data`, offsets and `start` are then in the decompressed stream, and a resume
 * decompresses again from the start and skips to its offset. A file's first
 * bytes go through lib/input/input-hints.ts, whose hint goes to `onHint`.
 *
 * An `s3://bucket/key` input is read like a regular file, by ranged GETs
 * (lib/io/s3.ts): a resume starts at its offset, and every GET must find the
 * object's ETag unchanged (the spec's `etag`, else the one its HEAD gives now).
 *
 *   pipeline(createFileSource(['a.jsonl', 'b.jsonl.gz']), createLineSplitter(), …)
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { MAGIC_BYTES, type ReadableCompression, detectCompression, isReadableCompression } from '../lib/input/compression';
import { QaHfError, got, inputError } from '../lib/errors';
import { loadZstd } from '../lib/dataset/zstd';
import { HINT_HEAD_BYTES, inputHint } from '../lib/input/input-hints';
import type { PrefixHashTap } from '../lib/io/fingerprint';
import { isS3Url } from '../lib/s3-url';
import { headObject, objectChunks, objectHead, s3Error } from '../lib/io/s3';

/** One read: large enough that per-batch costs vanish, small enough to bound memory. */
export const DEFAULT_CHUNK_BYTES = 256 << 10;
/** Reads from a pipe: Linux pipes hold 64 KiB, so larger buffers would mostly stay empty. */
const STREAM_CHUNK_BYTES = 64 << 10;

export const STDIN_NAME = '<stdin>';

/** The name an input's chunks, batches and errors carry: `-` is STDIN_NAME. */
export function inputName(path: string): string {
  return path === '-' ? STDIN_NAME : path;
}

export interface FileChunk {
  file: string;
  data: Buffer;
  /** Where this file's reading starts, when not at its beginning. */
  start?: { offset: number; line: number };
  /** True on the chunk that closes the file. */
  end?: boolean;
  /**
   * True when `data` is the only view of its memory (a read of its own, never
   * reused): a consumer may take it, e.g. transfer it to a worker thread.
   */
  detachable?: boolean;
}

export interface InputSpec {
  path: string;
  /** Resume point: byte offset (decompressed, for a compressed file) and lines already consumed. */
  start?: { offset: number; line: number };
  /**
   * A rank's share (lib/scale/shares.ts): stop before this byte offset of a regular
   * uncompressed file, as if the file ended there (a line start, so every line read
   * is whole). Such a read gives no digest. Ignored for a compressed file, which a
   * share always takes whole.
   */
  end?: number;
  /**
   * For fingerprints without a second read (lib/io/fingerprint.ts): a regular
   * uncompressed file's running sha256 goes on from the tap's hash of the bytes
   * before `start`, and a copy of it is handed to the tap after each read.
   */
  hashTap?: PrefixHashTap;
  /** An S3 object's ETag as the run found it (lib/io/inputs.ts describeInputs): a read of another version fails. */
  etag?: string;
}

export interface FileSourceOptions {
  chunkBytes?: number;
  /**
   * Called with the sha256 and size of each file's raw bytes (compressed, as on
   * disk) once read whole from byte 0 (or from a resume start whose hashTap gave
   * the hash before it), so a manifest needs no second pass. A compressed file is
   * always read from byte 0, so it always gets one.
   */
  onFileDigest?: (file: string, digest: { sha256: string; bytes: number }) => void;
  /** Stream to read for `-` (tests inject one). Default process.stdin. */
  stdin?: NodeJS.ReadableStream;
  /** One sentence about a whole-file mistake (UTF-16, a JSON array, …), at most once per file. */
  onHint?: (file: string, hint: string) => void;
  /** Raw bytes read so far of a file (on disk, so compressed), for progress. */
  onRawBytes?: (file: string, bytes: number) => void;
  /**
   * With it, a file that fails while being read (damaged compressed data, a read
   * error) is ended like a complete one, so the lines read before the failure go
   * on to be counted; the error goes here, and no further input is read. The
   * caller reports it once the stream has ended. Without it the stream fails at once.
   */
  onInputError?: (error: QaHfError) => void;
}

interface SourceContext {
  chunkBytes: number;
  stdin: NodeJS.ReadableStream;
  options: FileSourceOptions;
}

export function createFileSource(inputs: ReadonlyArray<string | InputSpec>, options: FileSourceOptions = {}): Readable {
  const specs = inputs.map((input) => (typeof input === 'string' ? { path: input } : input));
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 1) {
    throw new QaHfError('ERR_OPTION', `option chunkBytes must be a positive integer, ${got(chunkBytes)}`);
  }
  const context = { chunkBytes, stdin: options.stdin ?? process.stdin, options };
  return Readable.from(readAll(specs, context), { objectMode: true, highWaterMark: 2 });
}

async function* readAll(specs: InputSpec[], context: SourceContext): AsyncGenerator<FileChunk> {
  for (const spec of specs) {
    const failed = yield* readInput(spec, context);
    if (failed) return;
  }
}

/** An opened input: its first bytes, and its raw bytes from a position. */
interface RawInput {
  /** A regular file (or an S3 object): positional reads, any start. Otherwise sequential reads from byte 0 only. */
  seekable: boolean;
  /** Each chunk is memory of its own (FileChunk.detachable). */
  ownsChunks: boolean;
  /** The first bytes: up to HINT_HEAD_BYTES of a regular file, at least MAGIC_BYTES (when it has them) of a stream. */
  head: Buffer;
  chunks(from: number): AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/** Reads one input; true when it failed and onInputError took the failure. */
async function* readInput(spec: InputSpec, context: SourceContext): AsyncGenerator<FileChunk, boolean> {
  const name = inputName(spec.path);
  const raw = isS3Url(spec.path) ? await openObject(spec) : await openRaw(spec.path, name, context);
  try {
    if (spec.start && spec.start.offset > 0 && !raw.seekable) {
      throw new QaHfError('ERR_INPUT', 'cannot resume mid-file: it is not a regular file (stdin, a pipe or a device) and cannot be read again', {
        file: name,
      });
    }
    const compression = detectCompression(raw.head);
    const reader = isReadableCompression(compression) ? readCompressed(spec, name, raw, compression, context) : readPlain(spec, name, raw, context);
    const failure = yield* reader;
    if (!failure) return false;
    if (!context.options.onInputError) throw failure;
    return true;
  } finally {
    await raw.close();
  }
}

function hint(context: SourceContext, name: string, head: Buffer, decompressFailed?: ReadableCompression): void {
  const text = context.options.onHint ? inputHint({ name, head, decompressFailed }) : null;
  if (text) context.options.onHint!(name, text);
}

/** Chunks of one input, in order: the first carries the resume start, when there is one. */
function chunkMaker(name: string, spec: InputSpec): (data: Buffer) => FileChunk {
  let first = true;
  return (data) => {
    const out: FileChunk = { file: name, data };
    if (first && spec.start) out.start = spec.start;
    first = false;
    return out;
  };
}

/**
 * How reading an input ends: a failure is handed over (with a closing chunk when
 * the caller takes input errors); otherwise its digest, then the closing chunk.
 */
function* endOfInput(
  context: SourceContext,
  name: string,
  closing: FileChunk,
  failure: QaHfError | null,
  hash: Hash | null,
  bytes: number,
): Generator<FileChunk, QaHfError | null> {
  if (failure) {
    const end = failedEnd(context, closing, failure);
    if (end) yield end;
    return failure;
  }
  if (hash) context.options.onFileDigest?.(name, { sha256: hash.digest('hex'), bytes });
  yield { ...closing, end: true };
  return null;
}

/** The closing chunk of a file that failed: counted like a complete file, the error handed over first. */
function failedEnd(context: SourceContext, chunk: FileChunk, failure: QaHfError): FileChunk | null {
  if (!context.options.onInputError) return null;
  context.options.onInputError(failure);
  return { ...chunk, data: Buffer.alloc(0), end: true };
}

async function* readPlain(spec: InputSpec, name: string, raw: RawInput, context: SourceContext): AsyncGenerator<FileChunk, QaHfError | null> {
  const { onFileDigest, onRawBytes } = context.options;
  hint(context, name, raw.head);
  const from = spec.start?.offset ?? 0;
  const tap = raw.seekable ? spec.hashTap : undefined; // a stream input has no fingerprint
  const primed = tap?.startAt(from) ?? null;
  const end = spec.end ?? Number.POSITIVE_INFINITY;
  const hash = primed ?? (onFileDigest && from === 0 && spec.end === undefined ? createHash('sha256') : null);
  let position = from;
  const chunk = chunkMaker(name, spec);
  let failure: QaHfError | null = null;
  try {
    for await (const read of raw.chunks(from)) {
      if (position >= end) break;
      const data = position + read.length > end ? read.subarray(0, end - position) : read;
      hash?.update(data);
      position += data.length;
      if (primed) tap!.keep(position, primed.copy());
      onRawBytes?.(name, position);
      // A regular file's reads each get memory of their own (positionalChunks).
      yield raw.ownsChunks ? { ...chunk(data), detachable: true } : chunk(data);
      if (position >= end) break;
    }
  } catch (err) {
    failure = inputError(err, name);
  }
  return yield* endOfInput(context, name, chunk(Buffer.alloc(0)), failure, hash, position);
}

async function* readCompressed(
  spec: InputSpec,
  name: string,
  raw: RawInput,
  compression: ReadableCompression,
  context: SourceContext,
): AsyncGenerator<FileChunk, QaHfError | null> {
  const { onFileDigest, onRawBytes } = context.options;
  const skip = spec.start?.offset ?? 0;
  const hash = onFileDigest ? createHash('sha256') : null;
  let rawBytes = 0;
  async function* rawChunks(): AsyncGenerator<Buffer> {
    try {
      for await (const data of raw.chunks(0)) {
        hash?.update(data);
        rawBytes += data.length;
        onRawBytes?.(name, rawBytes);
        yield data;
      }
    } catch (err) {
      throw inputError(err, name); // a read error, told apart from damaged data below
    }
  }
  let position = 0; // decompressed bytes so far
  let head: Buffer | null = Buffer.alloc(0); // the first decompressed bytes, until hinted
  const chunk = chunkMaker(name, spec);
  let failure: QaHfError | null = null;
  try {
    for await (const out of decompress(rawChunks(), compression)) {
      const data = out as Buffer;
      if (head) {
        head = Buffer.concat([head, data.subarray(0, HINT_HEAD_BYTES)]);
        if (head.length >= MAGIC_BYTES) {
          hint(context, name, head);
          head = null;
        }
      }
      const from = position;
      position += data.length;
      if (position <= skip) continue;
      yield chunk(from < skip ? data.subarray(skip - from) : data);
    }
  } catch (err) {
    if (err instanceof QaHfError) {
      failure = err;
    } else {
      const reason = typeof (err as Error)?.message === 'string' ? (err as Error).message : String(err);
      failure = new QaHfError('ERR_INPUT', `cannot read input: its ${compression} data is damaged or cut short after ${position} decompressed bytes (${reason})`, {
        file: name,
      });
      hint(context, name, Buffer.alloc(0), compression);
      head = null;
    }
  }
  if (head) hint(context, name, head);
  if (!failure && position < skip) {
    failure = new QaHfError('ERR_INPUT', `cannot resume: it holds ${position} bytes once decompressed, fewer than the resume offset ${skip}`, {
      file: name,
    });
  }
  return yield* endOfInput(context, name, chunk(Buffer.alloc(0)), failure, hash, rawBytes);
}

/** The decompressed bytes of `raw`; a read error of `raw` or damaged data fails the iteration. */
function decompress(raw: AsyncIterable<Buffer>, compression: ReadableCompression): Readable {
  // node:zlib's gunzip reads every member of a multi-member file (gzip -c a >> b) as one stream.
  const decompressor = compression === 'gzip' ? createGunzip() : new (loadZstd('read zstd input').DecompressStream)();
  pipeline(Readable.from(raw), decompressor, () => undefined); // errors reach the decompressor's iteration
  return decompressor;
}

async function openRaw(file: string, name: string, context: SourceContext): Promise<RawInput> {
  if (file === '-') {
    try {
      return await streamInput(context.stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>, async () => undefined);
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
      const reads = Math.min(context.chunkBytes, STREAM_CHUNK_BYTES);
      return await streamInput(sequentialChunks(handle, reads), () => handle.close());
    }
    const head = Buffer.alloc(HINT_HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HINT_HEAD_BYTES, 0);
    return {
      seekable: true,
      ownsChunks: true,
      head: head.subarray(0, bytesRead),
      chunks: (from) => positionalChunks(handle, from, context.chunkBytes),
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close();
    throw inputError(err, file);
  }
}

/** An S3 object: its head by one ranged GET, its chunks by another from any offset, each guarded by the ETag. */
async function openObject(spec: InputSpec): Promise<RawInput> {
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
