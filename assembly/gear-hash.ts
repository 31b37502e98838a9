/**
 * gear-hash — AssemblyScript source of the WebAssembly kernel of lib/dataset/parquet-cdc.ts
 * PageChunker: its gear hash rolled over bytes the caller wrote into this module's memory
 * (PageChunker's JavaScript rollBytes is the reference; the same 64-bit hash, here one i64).
 * Built by `npm run build` (scripts/build-wasm.mjs); not TypeScript for tsc.
 *
 * Memory (byte offsets):
 *   GEAR   the 8 gear tables, 256 u64 each (2 KiB a table): written once by the caller
 *   HASH   the hash (u64, little-endian: low half, then high half), read and written by roll
 *   BYTES  the bytes to roll (a value's UTF-8), up to the memory's end
 *
 *   roll(length, run, maskHigh)   // 1 if the hash's high half masked was 0 after some byte, else 0
 */

export const GEAR: usize = 0;
export const HASH: usize = 0x4000;
/** The first page is the tables', the hash's (and the few bytes of static data asc puts at its --memoryBase); bytes from the second on. */
export const BYTES: usize = 0x10000;

/** Rolls `length` bytes from BYTES with table `run`: hash = (hash << 1) + gear[byte] per byte, mod 2^64. */
export function roll(length: i32, run: i32, maskHigh: u32): i32 {
  const table = GEAR + (<usize>run << 11);
  const mask = <u64>maskHigh << 32;
  let h = load<u64>(HASH);
  let matched: u64 = 0;
  const end = BYTES + <usize>length;
  for (let p = BYTES; p < end; p++) {
    h = (h << 1) + load<u64>(table + (<usize>load<u8>(p) << 3));
    matched |= <u64>((h & mask) == 0);
  }
  store<u64>(HASH, h);
  return <i32>matched;
}
