/**
 * exact-key — AssemblyScript source of the WebAssembly kernel of lib/quality/exact-key-wasm.ts:
 * the exact-duplicate key of lib/quality/dedup-keys.ts exactKey (its JavaScript version, the
 * reference), computed over UTF-16 units the caller wrote into this module's memory.
 * Built by `npm run build` (scripts/build-wasm.mjs); not TypeScript for tsc.
 *
 * Memory (byte offsets; the caller writes, key reads, key writes RESULT):
 *   TABLE   FAST_UNITS (lib/quality/dedup-keys.ts), one byte a unit below the table's end: written once by init's caller
 *   RESULT  lane 1, lane 2, then [code points, words] of the question and of the answer (i32 each)
 *   UNITS   one free unit, the question's units, then the answer's (little-endian, as Buffer writes utf16le)
 *
 *   init(0x9747b28c, 0x5bd1e995, 0x205f)   // the seeds and FAST_UNITS's end
 *   key(questionLength, answerLength, 1)   // 1: the key is in RESULT; -1, -2: a unit outside the table (latinOnly) in the question, the answer
 */

export const TABLE: usize = 0;
export const RESULT: usize = 0x2060;
/** The first page is the table's and RESULT's (and the few bytes of static data asc puts at its --memoryBase); units from the second on. */
export const UNITS: usize = 0x10000;

let seedA: u32 = 0;
let seedB: u32 = 0;
let tableEnd: u32 = 0;

export function init(laneSeedA: u32, laneSeedB: u32, fastEnd: u32): void {
  seedA = laneSeedA;
  seedB = laneSeedB;
  tableEnd = fastEnd;
}

/** toLowerCase of an ASCII or Latin-1 letter; other units as they are (dedup-keys.ts lowerLatin). */
// @ts-ignore: decorator
@inline function lowerLatin(c: u32): u32 {
  return (c - 65 < 26) || (c - 0xc0 <= 0xde - 0xc0 && c != 0xd7) ? c + 32 : c;
}

/** JavaScript's `\s` (dedup-keys.ts isSpace). */
// @ts-ignore: decorator
@inline function isSpace(c: u32): bool {
  if (c < 128) return c == 32 || c - 9 <= 4;
  return c == 0xa0 || c == 0x1680 || c - 0x2000 <= 10 || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000 || c == 0xfeff || c == 0x85;
}

/**
 * Normalizes one part in place (case folded, whitespace collapsed and trimmed): reads `length`
 * units from `from`, writes the hashed stream's units from `to` (to <= from: a unit written
 * replaces one read, or precedes it). Returns the end of what it wrote, or 0 with latinOnly at a
 * unit outside the table. Its measures go to RESULT + at.
 *
 * Eight units (one v128) at a time where they are plain — ASCII or the Latin-1 letters
 * U+00C0–U+00FF (in FAST_UNITS: lib/quality/exact-key-wasm.ts checks), no two white-space
 * units together, none first unless it follows a word: what prose mostly is. Such a block is
 * written as it is, its letters folded, its white space (ASCII's: U+0020, U+0009–U+000D) the
 * separators (U+0020); one that ends it waits, as in the scalar loop, for the next word. Any
 * other block, and the last few units, go the scalar way.
 */
// @ts-ignore: decorator
@inline function part(from: usize, length: i32, to: usize, latinOnly: bool, at: usize): usize {
  let out = to;
  let written = false;
  let space = false;
  let separators: i32 = 0;
  let nextLine = false;
  const end = from + (<usize>length << 1);
  const fastEnd = tableEnd;
  let p = from;
  while (p < end) {
    let scalarEnd = end;
    if (p + 16 <= end) {
      const v = v128.load(p);
      const plain = v128.or(i16x8.lt_u(v, i16x8.splat(0x80)), i16x8.lt_u(i16x8.sub(v, i16x8.splat(0xc0)), i16x8.splat(0x40)));
      // ASCII white space: U+0020 and U+0009–U+000D.
      const white = v128.or(i16x8.eq(v, i16x8.splat(32)), i16x8.lt_u(i16x8.sub(v, i16x8.splat(9)), i16x8.splat(5)));
      const spaces = <u32>i16x8.bitmask(white);
      // A space first is a separator only after a word (else it is leading, or a run's second).
      if (i16x8.all_true(plain) && (spaces & (spaces >> 1)) == 0 && ((spaces & 1) == 0 || (!space && written))) {
        if (space && written) {
          store<u16>(out, 32);
          out += 2;
          separators++;
        }
        const upper = v128.or(
          i16x8.lt_u(i16x8.sub(v, i16x8.splat(65)), i16x8.splat(26)),
          v128.and(i16x8.lt_u(i16x8.sub(v, i16x8.splat(0xc0)), i16x8.splat(0x1f)), i16x8.ne(v, i16x8.splat(0xd7))),
        );
        const folded = i16x8.add(v, v128.and(upper, i16x8.splat(32)));
        v128.store(out, v128.bitselect(i16x8.splat(32), folded, white));
        const last = spaces >> 7;
        out += 16 - (<usize>last << 1);
        separators += <i32>(popcnt<u32>(spaces) - last);
        space = last != 0;
        written = true;
        p += 16;
        continue;
      }
      scalarEnd = p + 16;
    }
    for (; p < scalarEnd; p += 2) {
      const raw = <u32>load<u16>(p);
      if (latinOnly && raw >= 0xa0 && (raw >= fastEnd || load<u8>(TABLE + raw) == 0)) return 0;
      const c = lowerLatin(raw);
      if (isSpace(c)) {
        space = true;
        if (c == 0x85) nextLine = true;
        continue;
      }
      if (space && written) {
        store<u16>(out, 32);
        out += 2;
        separators++;
      }
      store<u16>(out, <u16>c);
      out += 2;
      space = false;
      written = true;
    }
  }
  store<i32>(RESULT + at, latinOnly ? length : -1);
  store<i32>(RESULT + at + 4, latinOnly && !nextLine ? (written ? separators + 1 : 0) : -1);
  return out;
}

// @ts-ignore: decorator
@inline function finalMix(h: u32, length: u32): u32 {
  h ^= length;
  h = (h ^ (h >> 16)) * 0x85ebca6b;
  h = (h ^ (h >> 13)) * 0xc2b2ae35;
  return h ^ (h >> 16);
}

/**
 * The key of the pair whose units are at UNITS + 2 (the question, questionLength units) and right
 * after it (the answer): the stream normalize(question) U+0000 normalize(answer) is written over
 * them from UNITS (each part's output starts at most one unit after its input does, and the free
 * unit in front absorbs that one), then hashed two units (32 bits) a step.
 */
export function key(questionLength: i32, answerLength: i32, latinOnly: i32): i32 {
  const fast = latinOnly != 0;
  const question = UNITS + 2;
  const answer = question + (<usize>questionLength << 1);
  let end = part(question, questionLength, UNITS, fast, 8);
  if (end == 0) return -1;
  store<u16>(end, 0);
  end = part(answer, answerLength, end + 2, fast, 16);
  if (end == 0) return -2;
  const units = <u32>((end - UNITS) >> 1);
  let h1 = seedA;
  let h2 = seedB;
  const pairs = UNITS + ((<usize>units >> 1) << 2);
  // Two units a block; an odd last unit is a block of its own (its high half 0).
  const blocks = pairs + ((<usize>units & 1) << 2);
  for (let p: usize = UNITS; p < blocks; p += 4) {
    const block = p < pairs ? load<u32>(p) : <u32>load<u16>(p);
    let k = block * 0xcc9e2d51;
    k = rotl<u32>(k, 15) * 0x1b873593;
    h1 = rotl<u32>(h1 ^ k, 13) * 5 + 0xe6546b64;
    let j = block * 0x85ebca6b;
    j = rotl<u32>(j, 16) * 0xc2b2ae35;
    h2 = rotl<u32>(h2 ^ j, 17) * 9 + 0x27d4eb2f;
  }
  store<u32>(RESULT, finalMix(h1, units));
  store<u32>(RESULT + 4, finalMix(h2, units));
  return 1;
}
