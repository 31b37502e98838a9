/**
 * exact-key-wasm — lib/quality/dedup-keys.ts exactKey (the reference, in JavaScript) with its
 * per-unit loop in WebAssembly: the same two 32-bit lanes, the same `latinOnly` refusal, the same
 * `measures`, bit for bit (test/exact-key-wasm.test.ts compares them on fuzzed text). Pure.
 *
 * Why: the key is the default export's largest per-row cost on the main thread (bench/README.md,
 * issue 18); in V8 its loop of branches and MurmurHash steps costs ~7–8 ns a UTF-16 unit here.
 * The pair's units are written straight into the kernel's memory by one native copy each
 * (Buffer#write as UTF-16LE: lone surrogates kept, little-endian on every platform, as
 * WebAssembly reads), and the kernel (assembly/exact-key.ts, built by scripts/build-wasm.mjs
 * into exact-key-wasm.generated.ts) normalizes them in place and hashes two units a step.
 * The module is compiled and instantiated synchronously, once per thread, on the first call.
 * Its memory grows to hold the longest pair met (2 bytes a unit, so bounded by --max-line-bytes)
 * and, as WebAssembly memory does, never shrinks.
 *
 *   const key = new Uint32Array(2);
 *   exactKeyWasm('Vad är feber?', 'Över 38 grader.', key, true);  // true, key as exactKey's
 */
import { FAST_UNITS, SEED_A, SEED_B } from './dedup-keys';
import { EXACT_KEY_WASM } from './exact-key-wasm.generated';
import { type WasmGlobal, type WasmMemory, growMemory, instantiateKernel } from '../wasm';

/** What assembly/exact-key.ts exports. */
interface KernelExports {
  memory: WasmMemory;
  TABLE: WasmGlobal;
  RESULT: WasmGlobal;
  UNITS: WasmGlobal;
  init(seedA: number, seedB: number, tableEnd: number): void;
  /** 1: the key (and measures) are in RESULT; with latinOnly, 0 or -1: a unit outside FAST_UNITS in the question, -2 in the answer (the question's measures are in RESULT). */
  key(questionLength: number, answerLength: number, latinOnly: number): number;
}

/** The Latin-1 letters (and × ÷) the kernel's eight-unit step accepts as plain, beside ASCII (assembly/exact-key.ts part). */
const LATIN_LETTERS_START = 0xc0;
const LATIN_LETTERS_END = 0x100;

/** The instantiated kernel and views of its memory (remade when the memory grows, which detaches its old buffer). */
class Kernel {
  readonly exports: KernelExports;
  private readonly units: number;
  private readonly result: number;
  private bytes!: Buffer;
  private view!: DataView;

  constructor() {
    this.exports = instantiateKernel<KernelExports>(EXACT_KEY_WASM);
    const table = this.exports.TABLE.value as number;
    this.result = this.exports.RESULT.value as number;
    this.units = this.exports.UNITS.value as number;
    if (table + FAST_UNITS.length > this.result) throw new Error(`internal: FAST_UNITS (${FAST_UNITS.length} units) does not fit below the kernel's result`);
    // The kernel takes U+00C0–U+00FF eight at a time without the table: they must be in it.
    for (let c = LATIN_LETTERS_START; c < LATIN_LETTERS_END; c++) if (FAST_UNITS[c] !== 1) throw new Error(`internal: U+${c.toString(16).toUpperCase().padStart(4, '0')} is not in FAST_UNITS`);
    this.remap();
    this.bytes.set(FAST_UNITS, table);
    this.exports.init(SEED_A, SEED_B, FAST_UNITS.length);
  }

  private remap(): void {
    const buffer = this.exports.memory.buffer;
    this.bytes = Buffer.from(buffer);
    this.view = new DataView(buffer);
  }

  /** Writes the pair's units where the kernel reads them (one free unit first), growing the memory to hold them. */
  load(question: string, answer: string): void {
    const start = this.units + 2;
    const end = start + 2 * (question.length + answer.length);
    if (growMemory(this.exports.memory, end)) this.remap();
    this.bytes.write(question, start, 'utf16le');
    this.bytes.write(answer, start + 2 * question.length, 'utf16le');
  }

  /** The i-th 32-bit word of RESULT (lanes, then measures), little-endian as WebAssembly stores it. */
  word(i: number): number {
    return this.view.getInt32(this.result + 4 * i, true);
  }
}

let kernel: Kernel | null = null;

/** exactKey (lib/quality/dedup-keys.ts), the same arguments and results, computed by the kernel. */
export function exactKeyWasm(question: string, answer: string, out: Uint32Array, latinOnly = false, measures: Int32Array | null = null): boolean {
  kernel ??= new Kernel();
  kernel.load(question, answer);
  const status = kernel.exports.key(question.length, answer.length, latinOnly ? 1 : 0);
  if (status !== 1) {
    // exactKey measures the question before it reads the answer.
    if (status === -2 && measures !== null) {
      measures[0] = kernel.word(2);
      measures[1] = kernel.word(3);
    }
    return false;
  }
  out[0] = kernel.word(0);
  out[1] = kernel.word(1);
  if (measures !== null) for (let i = 0; i < 4; i++) measures[i] = kernel.word(2 + i);
  return true;
}
