/**
 * parquet-cdc — content-defined page boundaries for one column chunk, the way Arrow's
 * ContentDefinedChunker (cpp/src/parquet/chunker_internal.cc, what `datasets` writes
 * with since its CDC change) cuts data pages: a gear hash rolls over each value's bytes
 * (with its definition and repetition levels), and a page ends after a value where the
 * hash matched the mask in 7 runs, each with its own gear table, once the page holds at
 * least `minBytes`; at `maxBytes` it ends regardless. Pages therefore end where the
 * content says, not at a fixed count: rows inserted in the middle of a corpus change the
 * pages around them, and the pages after are the same bytes again, which Xet storage
 * deduplicates against the previous version of the file.
 *
 * Same structure and defaults as Arrow (min 256 KiB, max 1 MiB, norm level 0, mask from
 * min and max, 64-bit hash that is not reset at a boundary, cuts only between rows), but
 * gear tables of our own (splitmix64, below), so the cut points are not Arrow's; and one
 * chunker per column for all row groups of a shard (PageChunker, its state kept in a
 * checkpoint), where Arrow starts one per row group. Strings' bytes are hashed by a
 * WebAssembly kernel (GearKernel, assembly/gear-hash.ts), rollBytes kept as the reference. Pure.
 *
 *   contentDefinedPages(['a', 'b', …], 'string')   // [0, 1873, 4409, …, n]: page starts, then n
 *   const chunker = new PageChunker();             // a shard's column: chunker.pages(rows, 'string') per row group
 */
import type { ColumnType } from '../columns';
import { GEAR_HASH_WASM } from './gear-hash-wasm.generated';
import { type WasmGlobal, type WasmMemory, growMemory, instantiateKernel } from '../wasm';

/** Arrow's and `datasets`' defaults (datasets.config.DEFAULT_CDC_OPTIONS). */
export const CDC_MIN_BYTES = 256 * 1024;
export const CDC_MAX_BYTES = 1024 * 1024;
const NORM_LEVEL = 0;
/** A page ends after this many matches, each run with its own table: sizes near normal (Arrow's 7). */
const RUNS = 7;

/** splitmix64, the generator of the gear tables: 8 tables × 256 64-bit values, as two 32-bit halves. */
function gearTables(): { hi: Uint32Array[]; lo: Uint32Array[] } {
  const mask = (1n << 64n) - 1n;
  let state = 0x5161_6866n; // "QahF": any fixed seed; it decides where pages end
  const next = () => {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    return z ^ (z >> 31n);
  };
  const hi: Uint32Array[] = [];
  const lo: Uint32Array[] = [];
  for (let t = 0; t <= RUNS; t++) {
    hi.push(new Uint32Array(256));
    lo.push(new Uint32Array(256));
    for (let b = 0; b < 256; b++) {
      const value = next();
      hi[t][b] = Number(value >> 32n);
      lo[t][b] = Number(value & 0xffffffffn);
    }
  }
  return { hi, lo };
}

const GEAR = gearTables();
const ENCODER = new TextEncoder();

/** What assembly/gear-hash.ts exports. */
interface GearExports {
  memory: WasmMemory;
  GEAR: WasmGlobal;
  HASH: WasmGlobal;
  BYTES: WasmGlobal;
  /** Rolls `length` bytes from BYTES with table `run`; 1 if the high half masked by `maskHigh` was 0 after one of them. */
  roll(length: number, run: number, maskHigh: number): number;
}

/**
 * The gear hash in WebAssembly (assembly/gear-hash.ts, built by scripts/build-wasm.mjs): a
 * string's UTF-8 is encoded straight into its memory and rolled there as one 64-bit hash:
 * pages() over answers ~1.6 ns a byte, against ~5.7 with rollBytes' two int32 halves
 * (bench/cdc.ts, bench/README.md). Short values (levels, numbers) stay in rollBytes. One per thread,
 * made on first use; its memory grows to hold the longest value met and never shrinks.
 */
class GearKernel {
  readonly exports: GearExports;
  readonly start: number;
  private readonly hash: number;
  bytes!: Uint8Array;
  private words!: Int32Array;

  constructor() {
    this.exports = instantiateKernel<GearExports>(GEAR_HASH_WASM);
    this.start = this.exports.BYTES.value as number;
    this.hash = (this.exports.HASH.value as number) / 4;
    this.remap();
    // The tables as u64 little-endian: low half, then high half (run t at GEAR + t × 2 KiB).
    const gear = (this.exports.GEAR.value as number) / 4;
    GEAR.hi.forEach((hi, t) => hi.forEach((h, b) => {
      this.words[gear + 512 * t + 2 * b] = GEAR.lo[t][b];
      this.words[gear + 512 * t + 2 * b + 1] = h;
    }));
  }

  private remap(): void {
    const buffer = this.exports.memory.buffer;
    this.bytes = new Uint8Array(buffer, this.start);
    this.words = new Int32Array(buffer);
  }

  /** Room for `length` bytes at BYTES. */
  reserve(length: number): void {
    if (growMemory(this.exports.memory, this.start + length)) this.remap();
  }

  /** rollBytes over the `length` bytes at BYTES from hash [hi, lo] with table `run`: writes the new hash into `out`, returns whether the mask matched. */
  roll(hi: number, lo: number, length: number, run: number, mask: number, out: Int32Array): boolean {
    this.words[this.hash] = lo;
    this.words[this.hash + 1] = hi;
    const matched = this.exports.roll(length, run, mask) !== 0;
    out[0] = this.words[this.hash + 1];
    out[1] = this.words[this.hash];
    return matched;
  }
}

let kernel: GearKernel | null = null;

/** The high 32 bits of Arrow's mask: `effective_bits` top bits of 64 set. */
function highMask(minBytes: number, maxBytes: number): number {
  const target = (minBytes + maxBytes) / 2 - minBytes;
  const bits = Math.floor(Math.log2(target)) - 3 - NORM_LEVEL;
  if (bits < 1 || bits > 32) throw new RangeError(`cdc: sizes ${minBytes}..${maxBytes} give a mask of ${bits} bits`);
  return (0xffffffff << (32 - bits)) >>> 0;
}

/** A PageChunker's state between two row groups: hash high and low halves (int32 bits), bytes of the open page, run. */
export type PageChunkerState = [hi: number, lo: number, size: number, run: number];

/**
 * One column's rolling state (Arrow's ContentDefinedChunker). Arrow starts a new one for
 * every row group; a shard here keeps one per column for all its row groups
 * (lib/dataset/parquet.ts), so a row group's end — at a checkpoint, a fixed input
 * position that an insertion upstream moves — only splits the page it falls in, and the
 * pages after it are cut where an uninterrupted stream of the column's values is cut.
 */
export class PageChunker {
  private hi = 0; // int32 bits of the hash's high half
  private lo = 0; // and of its low half
  private size = 0;
  private run = 0;
  private matched = false;
  private readonly mask: number;
  private readonly scratch = Buffer.alloc(64 * 1024);
  private readonly word = Buffer.alloc(8);
  private readonly kernel: GearKernel | null;
  private readonly hash = new Int32Array(2);

  /** `wasm`: strings' bytes rolled by the WebAssembly kernel (GearKernel), the same bits as rollBytes, the reference (false). */
  constructor(
    private readonly minBytes = CDC_MIN_BYTES,
    private readonly maxBytes = CDC_MAX_BYTES,
    wasm = true,
  ) {
    this.mask = highMask(minBytes, maxBytes);
    this.kernel = wasm ? (kernel ??= new GearKernel()) : null;
  }

  /** The state between two row groups (a cut() was the last call), for a checkpoint. */
  state(): PageChunkerState {
    return [this.hi, this.lo, this.size, this.run];
  }

  /** A chunker that goes on from `state` (from state()). */
  static restore(state: PageChunkerState, minBytes = CDC_MIN_BYTES, maxBytes = CDC_MAX_BYTES, wasm = true): PageChunker {
    const chunker = new PageChunker(minBytes, maxBytes, wasm);
    if (!Array.isArray(state) || state.length !== 4 || !state.every(Number.isSafeInteger)) throw new TypeError(`internal: not a page chunker state: ${JSON.stringify(state)}`);
    [chunker.hi, chunker.lo, chunker.size, chunker.run] = state;
    return chunker;
  }

  private rollBytes(bytes: Uint8Array, length: number): void {
    const tableHi = GEAR.hi[this.run];
    const tableLo = GEAR.lo[this.run];
    const mask = this.mask;
    let hi = this.hi;
    let lo = this.lo;
    let matched = this.matched;
    for (let i = 0; i < length; i++) {
      // (hash << 1) + gear[byte], 64-bit, in two 32-bit halves (int32 arithmetic: the fast path)
      const byte = bytes[i];
      const shifted = lo << 1;
      const sum = (shifted + tableLo[byte]) | 0;
      const carry = sum >>> 0 < shifted >>> 0 ? 1 : 0;
      hi = ((hi << 1) | (lo >>> 31)) + tableHi[byte] + carry;
      lo = sum;
      if ((hi & mask) === 0) matched = true;
    }
    this.hi = hi | 0;
    this.lo = lo;
    this.matched = matched;
  }

  /** A level (int16, little-endian, as Arrow rolls it). */
  level(value: number): void {
    this.size += 2;
    if (this.size < this.minBytes) return;
    this.word[0] = value & 0xff;
    this.word[1] = value >> 8;
    this.rollBytes(this.word, 2);
  }

  text(value: string): void {
    const kernel = this.kernel;
    if (kernel !== null) {
      // UTF-8 straight into the kernel's memory, rolled there.
      kernel.reserve(value.length * 3);
      const { written } = ENCODER.encodeInto(value, kernel.bytes);
      this.size += written;
      if (this.size < this.minBytes) return;
      if (kernel.roll(this.hi, this.lo, written, this.run, this.mask, this.hash)) this.matched = true;
      this.hi = this.hash[0];
      this.lo = this.hash[1];
      return;
    }
    // One pass: UTF-8 into the scratch buffer, which also gives the length (4 bytes per UTF-16 unit at most).
    const bytes = value.length * 3 <= this.scratch.length ? this.scratch : Buffer.alloc(value.length * 3);
    const { written } = ENCODER.encodeInto(value, bytes);
    this.size += written;
    if (this.size < this.minBytes) return;
    this.rollBytes(bytes, written);
  }

  double(value: number): void {
    this.size += 8;
    if (this.size < this.minBytes) return;
    this.word.writeDoubleLE(value, 0);
    this.rollBytes(this.word, 8);
  }

  int64(value: bigint): void {
    this.size += 8;
    if (this.size < this.minBytes) return;
    this.word.writeBigInt64LE(value, 0);
    this.rollBytes(this.word, 8);
  }

  bool(value: boolean): void {
    this.size += 1;
    if (this.size < this.minBytes) return;
    this.word[0] = value ? 1 : 0;
    this.rollBytes(this.word, 1);
  }

  /** Whether a page ends here (between two rows). */
  private cut(): boolean {
    if (this.matched) {
      this.matched = false;
      if (++this.run >= RUNS) {
        this.run = 0;
        this.size = 0;
        return true;
      }
    }
    if (this.size >= this.maxBytes) {
      this.size = 0;
      return true;
    }
    return false;
  }

  /**
   * Page starts of one column chunk, the next values of this column: the row indexes
   * where pages begin, then `values.length` (page i holds rows [starts[i], starts[i + 1])).
   * Values as lib/dataset/parquet.ts hands them to the encoder: strings, numbers, bigints,
   * booleans, arrays of strings; never null.
   */
  pages(values: readonly unknown[], type: ColumnType): number[] {
    const starts = [0];
    const last = values.length - 1;
    for (let row = 0; row <= last; row++) {
      const value = values[row];
      // Definition level 1 (OPTIONAL, present) before each value, as Arrow rolls nullable columns.
      switch (type) {
        case 'string':
          this.level(1);
          this.text(value as string);
          break;
        case 'float':
          this.level(1);
          this.double(value as number);
          break;
        case 'int':
          this.level(1);
          this.int64(value as bigint);
          break;
        case 'bool':
          this.level(1);
          this.bool(value as boolean);
          break;
        case 'list<string>': {
          // LIST of OPTIONAL elements: an empty list is one level (def 1, rep 0); each item def 3, rep 0 then 1.
          const items = value as readonly string[];
          if (items.length === 0) {
            this.level(1);
            this.level(0);
          }
          items.forEach((item, i) => {
            this.level(3);
            this.level(i === 0 ? 0 : 1);
            this.text(item);
          });
          break;
        }
      }
      if (this.cut() && row < last) starts.push(row + 1);
    }
    starts.push(values.length);
    return starts;
  }
}

/** Page starts of one column chunk cut by a fresh chunker (PageChunker.pages). */
export function contentDefinedPages(values: readonly unknown[], type: ColumnType, minBytes = CDC_MIN_BYTES, maxBytes = CDC_MAX_BYTES): number[] {
  return new PageChunker(minBytes, maxBytes).pages(values, type);
}


/** hyparquet-writer's first test: a sample whose distinct values are over 90 % of its bytes loses. */
const SAMPLE = 1000;
const SAMPLE_REJECTION = 0.9;

/**
 * Whether a dictionary wins for this column chunk, by hyparquet-writer's rule (a sample
 * of 1000 evenly spread values first, then the whole chunk: dictionary values and
 * bit-packed indexes must at least halve the PLAIN bytes; string sizes in UTF-16 units,
 * 4 bytes of length each). Such a chunk is written by the encoder as it chooses, one
 * dictionary page and one data page: a low-cardinality column stays small, and pages cut
 * by content would not survive an insertion there anyway (the dictionary's order and
 * every index after change). Booleans and lists never get one here.
 */
export function dictionaryWins(values: readonly unknown[], type: ColumnType): boolean {
  if (type === 'bool' || type === 'list<string>' || values.length === 0) return false;
  const prefix = type === 'string' ? 4 : 0;
  const size = (value: unknown) => (type === 'string' ? (value as string).length : 8);
  const sample = Math.min(values.length, SAMPLE);
  const sampled = new Set<unknown>();
  let sampleDistinct = 0;
  let sampleTotal = 0;
  for (let i = 0; i < sample; i++) {
    const value = values[sample === 1 ? 0 : Math.floor((i * (values.length - 1)) / (sample - 1))];
    sampleTotal += size(value);
    if (!sampled.has(value)) {
      sampled.add(value);
      sampleDistinct += size(value);
    }
  }
  if (sampleTotal === 0 || sampleDistinct / sampleTotal > SAMPLE_REJECTION) return false;
  const distinct = new Set<unknown>();
  let dictionaryBytes = 0;
  let plainBytes = 0;
  for (const value of values) {
    plainBytes += size(value) + prefix;
    if (!distinct.has(value)) {
      distinct.add(value);
      dictionaryBytes += size(value) + prefix;
    }
  }
  const indexBytes = Math.ceil((values.length * Math.ceil(Math.log2(distinct.size))) / 8);
  return 2 * (dictionaryBytes + indexBytes) <= plainBytes;
}
