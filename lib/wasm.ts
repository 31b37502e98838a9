/**
 * wasm — what the WebAssembly kernels of lib/ share (assembly/*.ts, built by scripts/build-wasm.mjs
 * into generated modules holding their bytes as base64): the module instantiated synchronously,
 * and its memory grown to hold a value. Pure.
 *
 *   const kernel = instantiateKernel<{ memory: WasmMemory; … }>(EXACT_KEY_WASM);
 *   if (growMemory(kernel.memory, bytesNeeded)) remakeViews(); // a grown memory has a new buffer
 */

/** The part of the WebAssembly JavaScript API used here (@types/node 20 declares none; lib "dom" would bring a browser's globals). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
};

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** An exported global (the address of a kernel's static data). */
export interface WasmGlobal {
  readonly value: unknown;
}

/** WebAssembly's page: memory grows by whole pages. */
const PAGE_BYTES = 65536;

/** The kernel of `base64` (a module that imports nothing), instantiated now; `T` is what it exports. */
export function instantiateKernel<T>(base64: string): T {
  return new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64')), {}).exports as unknown as T;
}

/** Grows `memory` to at least `bytes` bytes; true when it grew (its buffer, and every view of the old one, is then new). */
export function growMemory(memory: WasmMemory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return false;
  memory.grow(Math.ceil((bytes - have) / PAGE_BYTES));
  return true;
}
