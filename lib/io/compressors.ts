/**
 * compressors — the compressed member of a text shard: one gzip member or one zstd
 * frame over a file, started on the first write and ended at a checkpoint or at
 * the shard's end.
 *
 * A shard is a concatenation of members, each ending where a checkpoint falls, so
 * the file at a checkpoint is complete (every reader decodes it: gunzip reads
 * every member, zstd every frame) and a resumed run appends the next member at
 * exactly the checkpointed length: the same bytes as an uninterrupted run, given
 * the same codec, level and library (all in the options hash). The bytes of a
 * member depend only on its input bytes, not on how they were handed in.
 *
 * Output: compressed bytes handed to an OutputTarget in order. Memory: the
 * codec's window plus at most MAX_QUEUED_BYTES of compressed output waiting for
 * the target. gzip runs on libuv's thread pool (node:zlib), zstd on the calling
 * thread (zstd-napi's CompressStream).
 * Errors: a codec or write failure is thrown by the next write() or end().
 *
 *   const member = openMember({ codec: 'zstd', level: 3 }, file);
 *   await member.write(bytes); …
 *   await member.end(); // at a checkpoint: the frame is complete in the file
 */
import { once } from 'node:events';
import * as zlib from 'node:zlib';
import type { CodecChoice } from '../input/compression';
import type { OutputTarget } from '../target';
import { loadZstd } from '../dataset/zstd';

/** Compressed bytes waiting for the target before a writer waits: bounds memory when the disk is slower than the codec. */
const MAX_QUEUED_BYTES = 4 << 20;

/** One member (gzip) or frame (zstd) of a compressed shard. */
export interface MemberCompressor {
  /** Compresses `bytes` into the member; resolves when the writer may continue. */
  write(bytes: Buffer): Promise<void>;
  /** Ends the member; resolves once all of it is handed to the target. */
  end(): Promise<void>;
  /** Drops the member without ending it (an aborted shard). */
  destroy(): void;
}

/**
 * The codec's compressing stream. zstd writes its frame checksum (XXH64, 4 bytes),
 * as the zstd CLI does, so a damaged shard fails to decode instead of decoding wrong.
 */
type CodecStream = zlib.Gzip | InstanceType<typeof import('zstd-napi').CompressStream>;

function codecStream({ codec, level }: CodecChoice): CodecStream {
  if (codec === 'gzip') return zlib.createGzip({ level });
  const { CompressStream } = loadZstd('write zstd');
  return new CompressStream({ compressionLevel: level, checksumFlag: true });
}

/** A member over `file`: its compressed bytes are written in order. */
class StreamMember implements MemberCompressor {
  private readonly stream: CodecStream;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: unknown = null;

  constructor(choice: CodecChoice, file: OutputTarget) {
    this.stream = codecStream(choice);
    this.stream.on('data', (chunk: Buffer) => {
      this.queued += chunk.length;
      this.queue = this.queue.then(() => file.write(chunk)).then(
        () => void (this.queued -= chunk.length),
        (err) => void (this.failure ??= err),
      );
    });
    this.stream.on('error', (err) => (this.failure ??= err));
  }

  async write(bytes: Buffer): Promise<void> {
    if (!this.stream.write(bytes)) await once(this.stream, 'drain');
    if (this.queued > MAX_QUEUED_BYTES) await this.queue;
    this.check();
  }

  async end(): Promise<void> {
    const ended = once(this.stream, 'end');
    this.stream.end();
    await ended;
    await this.queue;
    this.check();
  }

  destroy(): void {
    this.stream.destroy();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

/** A new member of `choice`'s codec over `file`. */
export function openMember(choice: CodecChoice, file: OutputTarget): MemberCompressor {
  return new StreamMember(choice, file);
}
