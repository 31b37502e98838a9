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
 * Opening an input (fstat, the first bytes, its raw chunks) is lib/io/raw-input.ts;
 * this file turns raw chunks into FileChunks: decompression, resume skips, digests, hints.
 *
 *   pipeline(createFileSource(['a.jsonl', 'b.jsonl.gz']), createLineSplitter(), …)
 */
import { createHash, type Hash } from 'node:crypto';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MAGIC_BYTES, type ReadableCompression, detectCompression, isReadableCompression } from '../lib/input/compression';
import { QaHfError, got, inputError, optionError } from '../lib/errors';
import { loadZstd } from '../lib/dataset/zstd';
import { HINT_HEAD_BYTES, inputHint } from '../lib/input/input-hints';
import type { PrefixHashTap } from '../lib/io/fingerprint';
import { isS3Url } from '../lib/s3-url';
import { type RawInput, openObject, openRaw } from '../lib/io/raw-input';

/** One read: large enough that per-batch costs vanish, small enough to bound memory. */
export const DEFAULT_CHUNK_BYTES = 256 << 10;
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
    throw optionError('chunkBytes', `option chunkBytes must be a positive integer, ${got(chunkBytes)}`);
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

/** Reads one input; true when it failed and onInputError took the failure. */
async function* readInput(spec: InputSpec, context: SourceContext): AsyncGenerator<FileChunk, boolean> {
  const name = inputName(spec.path);
  const raw = isS3Url(spec.path) ? await openObject(spec) : await openRaw(spec.path, name, context.stdin, context.chunkBytes);
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
      // A regular file's reads each get memory of their own (lib/io/raw-input.ts positionalChunks).
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
