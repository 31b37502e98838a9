/**
 * fingerprint — is an input still the file an interrupted run was reading?
 *
 * A resume must never mix an old and a new version of an input, yet fixing a bad
 * line after --fail-fast must not block it. So the fingerprint of an input is the
 * sha256 of exactly the bytes a run has consumed: [0, offset) of the input it was
 * reading, the whole of those it finished. Whatever follows the offset may change
 * (the fixed line, appended records); a byte before it may not.
 *
 * Cheap by construction: each byte is read once and hashed once per run. The
 * reader of a regular uncompressed input (streams/file-source.ts) hashes it as it
 * reads anyway (for the manifest); a PrefixHasher per input is its PrefixHashTap:
 * it hands the reader the hash to go on from and keeps copies of the running hash
 * at the reader's chunk ends, so a checkpoint's fingerprint at an offset is the
 * nearest copy before it plus the bytes between (at most one chunk, read again).
 * Without copies (a compressed input, whose fingerprint is its whole raw file; a
 * reader without the tap) it reads the input on from its last offset itself, in
 * the background checkpoint write. A resume hashes [0, offset) once, compares,
 * and the reader goes on from that hash.
 *
 * An S3 object is fingerprinted by its ETag and size instead (ObjectHasher): S3
 * replaces an object whole, so an unchanged ETag means unchanged bytes, and a
 * resume need not download the prefix again to hash it.
 *
 *   const hasher = new PrefixHasher('a.jsonl');
 *   createFileSource([{ path: 'a.jsonl', hashTap: hasher }]) // … read on
 *   const print = await hasher.advanceTo(4096); // { bytes: 4096, sha256: '…' }
 */
import { type Hash, createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isS3Url } from '../s3-url';
import { headObject } from './s3';

/** Reads for hashing: large enough for few syscalls, small enough to keep the event loop moving. */
const HASH_CHUNK_BYTES = 1 << 20;

export interface Fingerprint {
  /** Bytes of the input covered: the resume offset, or the whole length of a finished input. */
  bytes: number;
  /** sha256 of those bytes (a local file). */
  sha256?: string;
  /** An S3 object's ETag when it was read (instead of sha256: see the header). */
  etag?: string;
}

/** Feeds bytes [from, to) of `file` to `onChunk`; fails when the file is shorter. */
export async function readRange(file: string, from: number, to: number, onChunk: (chunk: Buffer) => void): Promise<void> {
  if (to <= from) return;
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.min(HASH_CHUNK_BYTES, to - from));
    for (let at = from; at < to; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, to - at), at);
      if (bytesRead === 0) throw Object.assign(new Error(`${file} ends at byte ${at}, before ${to}`), { code: 'ESHORT' });
      onChunk(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/**
 * What the reader of an input does for its fingerprints (see the header): its
 * running sha256 goes on from the hash of the bytes before its start, and copies
 * of it are handed over as it reads.
 */
export interface PrefixHashTap {
  /** The sha256 of bytes [0, offset) to go on from (the caller's to update), or null: then hand nothing over. */
  startAt(offset: number): Hash | null;
  /** A copy of the running sha256 of bytes [0, at), the tap's to keep; `at` only grows. */
  keep(at: number, hash: Hash): void;
}

/**
 * Copies of a reader's running hash a PrefixHasher keeps, the latest ones: the reader
 * is ahead of the committed position by its read-ahead and the batches in flight
 * (measured on the bench corpus with 256 KiB chunks: up to 25 chunks, 32 with
 * --workers 2). A checkpoint older than all of them reads its bytes again
 * (correct, slower). A copy is a few hundred bytes.
 */
export const KEPT_HASHES = 64;

/** What an export's checkpoints ask of each input: its fingerprint at an offset, the reader's tap to help. */
export interface InputHasher extends PrefixHashTap {
  advanceTo(to: number): Promise<Fingerprint>;
}

/** The hasher of an input: an S3 object's ETag (given by its HEAD), else a PrefixHasher (of the bytes from `base` on). */
export function inputHasher(file: string, etag?: string, base = 0): InputHasher {
  return isS3Url(file) ? new ObjectHasher(etag ?? '') : new PrefixHasher(file, base);
}

/** An S3 object's fingerprint: its ETag, whatever the offset; the reader has nothing to hand over. */
export class ObjectHasher implements InputHasher {
  constructor(readonly etag: string) {}
  startAt(): null {
    return null;
  }
  keep(): void {}
  async advanceTo(to: number): Promise<Fingerprint> {
    return { bytes: to, etag: this.etag };
  }
}

/**
 * A running sha256 of an input's first bytes, advanced as a run goes; from byte
 * `base` on (a rank's range: the bytes of its share) when given.
 */
export class PrefixHasher implements InputHasher {
  private hash = createHash('sha256');
  private hashed: number;
  /** The reader's copies, oldest first, each past `hashed`. */
  private readonly kept: Array<{ at: number; hash: Hash }> = [];

  constructor(
    readonly file: string,
    base = 0,
  ) {
    this.hashed = base;
  }

  startAt(offset: number): Hash | null {
    return offset === this.hashed ? this.hash.copy() : null;
  }

  keep(at: number, hash: Hash): void {
    if (at <= this.hashed) return;
    this.kept.push({ at, hash });
    if (this.kept.length > KEPT_HASHES) this.kept.shift();
  }

  /** Hashes on to byte `to` (never backwards) and returns the fingerprint there. */
  async advanceTo(to: number): Promise<Fingerprint> {
    if (to < this.hashed) throw new Error(`internal: ${this.file} hashed to ${this.hashed}, asked for ${to}`);
    // The latest copy at or before `to` covers its bytes; those before it are never asked for again.
    let nearest = -1;
    while (nearest + 1 < this.kept.length && this.kept[nearest + 1].at <= to) nearest++;
    if (nearest >= 0) {
      const [copy] = this.kept.splice(0, nearest + 1).slice(-1);
      this.hash = copy.hash;
      this.hashed = copy.at;
    }
    await readRange(this.file, this.hashed, to, (chunk) => this.hash.update(chunk));
    this.hashed = to;
    return { bytes: to, sha256: this.hash.copy().digest('hex') };
  }
}

/**
 * Why `file` no longer has the bytes `before` covers, in words for the user, or
 * null when it has. `whole`: the run read it to its end, so it may not grow either.
 * On success the hasher (when given) stands at `before.bytes`, ready to go on.
 */
export async function prefixChange(file: string, before: Fingerprint, where: { whole: boolean; line: number }, hasher = new PrefixHasher(file)): Promise<string | null> {
  const size = (await fs.stat(file)).size;
  const place = where.whole ? `${file}, read to its end by the interrupted run,` : `bytes before line ${where.line + 1} of ${file}`;
  if (size < before.bytes) return `${place} changed (it is now ${size} bytes, shorter than the ${before.bytes} read)`;
  const now = await hasher.advanceTo(before.bytes);
  if (now.sha256 !== before.sha256) return `${place} changed`;
  if (where.whole && size !== before.bytes) return `${place} changed (it grew from ${before.bytes} to ${size} bytes)`;
  return null;
}

/**
 * inputChange: prefixChange for any input. An S3 object changed when its ETag did
 * (S3 replaces objects whole, so the same ETag is the same bytes).
 */
export async function inputChange(file: string, before: Fingerprint, where: { whole: boolean; line: number }, hasher?: InputHasher): Promise<string | null> {
  if (!isS3Url(file)) return prefixChange(file, before, where, hasher instanceof PrefixHasher ? hasher : undefined);
  const head = await headObject(file);
  if (!head) return `${file}, read by the interrupted run, no longer exists`;
  if (before.etag === undefined || head.etag !== before.etag) {
    return `${file} changed since the interrupted run read it (its ETag is now ${head.etag}, was ${before.etag ?? 'unknown'})`;
  }
  return null;
}

/**
 * One read of a whole file: its sha256 and size, and the sha256 of each of `ranges`
 * (`[start, end)` byte ranges, in order, not overlapping), so a merge checks the
 * ranks' shares and gets the manifest's hash in the same pass (commands/export/merge.ts).
 */
export async function hashRanges(file: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<{ sha256: string; bytes: number; ranges: string[] }> {
  const whole = createHash('sha256');
  const parts = ranges.map(() => createHash('sha256'));
  const size = (await fs.stat(file)).size;
  let at = 0;
  let first = 0; // the first range not yet past
  await readRange(file, 0, size, (chunk) => {
    whole.update(chunk);
    const end = at + chunk.length;
    while (first < ranges.length && ranges[first][1] <= at) first++;
    for (let k = first; k < ranges.length && ranges[k][0] < end; k++) {
      const [from, to] = ranges[k];
      if (to > at) parts[k].update(chunk.subarray(Math.max(from, at) - at, Math.min(to, end) - at));
    }
    at = end;
  });
  return { sha256: whole.digest('hex'), bytes: size, ranges: parts.map((hash) => hash.digest('hex')) };
}

/** sha256, size and newline count of a whole file, read in 1 MiB blocks. */
export async function sha256File(file: string): Promise<{ sha256: string; bytes: number; lines: number }> {
  const handle = await fs.open(file, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
    let bytes = 0;
    let lines = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, bytes);
      if (bytesRead === 0) break;
      const block = buffer.subarray(0, bytesRead);
      hash.update(block);
      for (let at = block.indexOf(0x0a); at >= 0; at = block.indexOf(0x0a, at + 1)) lines++;
      bytes += bytesRead;
    }
    return { sha256: hash.digest('hex'), bytes, lines };
  } finally {
    await handle.close();
  }
}
