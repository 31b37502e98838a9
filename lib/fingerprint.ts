/**
 * fingerprint — is an input still the file an interrupted run was reading?
 *
 * A resume must never mix an old and a new version of an input. The fingerprint
 * is the size, the mtime, and a sha256 over sampled blocks of the bytes before the
 * resume offset: the first and last 64 KiB before it and 16 evenly spaced 4 KiB
 * blocks between. Size and mtime catch every ordinary edit (an editor, `>>`, a
 * regenerated file); the sampled hash catches rewrites that keep both (`cp -p`,
 * `rsync -t`, `touch -r`). It costs ~200 KiB of reads per input per checkpoint
 * whatever the file's size, where hashing the whole prefix would re-read up to
 * the whole corpus at every checkpoint and on every resume.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';

const EDGE_BYTES = 64 << 10;
const SAMPLE_BYTES = 4 << 10;
const SAMPLES = 16;
/** Reads for whole-file hashing. */
const HASH_CHUNK_BYTES = 1 << 20;

export interface Fingerprint {
  size: number;
  mtime_ms: number;
  /** Bytes covered by `sample_sha256` (the resume offset when it was taken). */
  sampled_up_to: number;
  sample_sha256: string;
}

export async function fingerprint(file: string, upTo: number): Promise<Fingerprint> {
  const handle = await fs.open(file, 'r');
  try {
    const stat = await handle.stat();
    const end = Math.min(upTo, stat.size);
    const hash = createHash('sha256');
    for (const [start, length] of sampleRanges(end)) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, start);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return { size: stat.size, mtime_ms: stat.mtimeMs, sampled_up_to: end, sample_sha256: hash.digest('hex') };
  } finally {
    await handle.close();
  }
}

/**
 * A compressed input's fingerprint: its raw bytes as a whole. A resume offset
 * counts decompressed bytes and says nothing of raw positions, and a resume
 * decompresses from byte 0 anyway, so the whole file must be the one read before.
 */
export function fingerprintCompressed(file: string): Promise<Fingerprint> {
  return fingerprint(file, Number.MAX_SAFE_INTEGER);
}

/** [start, length] of each sampled block below `end`, in order, possibly overlapping. */
export function sampleRanges(end: number): Array<[number, number]> {
  if (end <= 2 * EDGE_BYTES + SAMPLES * SAMPLE_BYTES) return end > 0 ? [[0, end]] : [];
  const ranges: Array<[number, number]> = [[0, EDGE_BYTES]];
  const span = end - 2 * EDGE_BYTES - SAMPLE_BYTES;
  for (let i = 0; i < SAMPLES; i++) ranges.push([EDGE_BYTES + Math.floor((span * i) / (SAMPLES - 1)), SAMPLE_BYTES]);
  ranges.push([end - EDGE_BYTES, EDGE_BYTES]);
  return ranges;
}

/** Why `now` is not `before`, in words for the user, or null when they match. */
export function fingerprintChange(before: Fingerprint, now: Fingerprint): string | null {
  if (now.size !== before.size) return `its size changed from ${before.size} to ${now.size} bytes`;
  if (now.mtime_ms !== before.mtime_ms) return 'its modification time changed';
  if (now.sample_sha256 !== before.sample_sha256) return 'its content changed';
  return null;
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

/** sha256 of a canonical JSON text: keys sorted at every level. */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
