/**
 * bench/xet-chunks.ts — content-defined chunks of a file's bytes as Xet storage cuts them
 * (huggingface/xet-core spec/chunking.md): a 64-bit gear hash over the bytes, a boundary
 * where its top 16 bits are zero (64 KiB average), no boundary before 8 KiB, one forced at
 * 128 KiB. Gear table of our own (splitmix64), so the cut points are not Xet's, but their
 * statistics are. Used to measure how much of a new file Xet would find in an old one.
 *
 *   const shared = sharedBytes(oldFiles, newFiles);   // { shared, total } in bytes of newFiles
 */
import { createHash } from "node:crypto";

export const XET_MIN_CHUNK = 8 * 1024;
export const XET_MAX_CHUNK = 128 * 1024;
/** Top 16 bits of the 64-bit hash: one position in 2^16 is a boundary. */
const HIGH_MASK = 0xffff0000;

function table(): { hi: Uint32Array; lo: Uint32Array } {
  const mask = (1n << 64n) - 1n;
  let state = 0x58_45_54n; // "XET"
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  for (let b = 0; b < 256; b++) {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    hi[b] = Number(z >> 32n);
    lo[b] = Number(z & 0xffffffffn);
  }
  return { hi, lo };
}

const GEAR = table();

/** Chunk lengths of `bytes`, in order (they add up to its length). */
export function xetChunks(bytes: Uint8Array): number[] {
  const lengths: number[] = [];
  let start = 0;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < bytes.length; i++) {
    const size = i - start + 1;
    if (size < XET_MIN_CHUNK) continue; // the hash starts at the minimum, as in xet-core
    const byte = bytes[i];
    const sum = ((lo << 1) >>> 0) + GEAR.lo[byte];
    hi = (((hi << 1) | (lo >>> 31)) + GEAR.hi[byte] + (sum > 0xffffffff ? 1 : 0)) >>> 0;
    lo = sum >>> 0;
    if ((hi & HIGH_MASK) === 0 || size >= XET_MAX_CHUNK) {
      lengths.push(size);
      start = i + 1;
      hi = 0;
      lo = 0;
    }
  }
  if (start < bytes.length) lengths.push(bytes.length - start);
  return lengths;
}

function chunkHashes(bytes: Uint8Array): Array<{ hash: string; length: number }> {
  let offset = 0;
  return xetChunks(bytes).map((length) => {
    const hash = createHash("sha256").update(bytes.subarray(offset, offset + length)).digest("hex");
    offset += length;
    return { hash, length };
  });
}

/** Bytes of `after` in chunks that some file of `before` also has (what Xet would not upload again). */
export function sharedBytes(before: readonly Uint8Array[], after: readonly Uint8Array[]): { shared: number; total: number; chunks: number } {
  const known = new Set(before.flatMap((file) => chunkHashes(file).map((chunk) => chunk.hash)));
  let shared = 0;
  let total = 0;
  let chunks = 0;
  for (const file of after) {
    for (const chunk of chunkHashes(file)) {
      total += chunk.length;
      chunks++;
      if (known.has(chunk.hash)) shared += chunk.length;
    }
  }
  return { shared, total, chunks };
}
