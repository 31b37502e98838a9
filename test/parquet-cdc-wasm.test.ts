/**
 * lib/dataset/parquet-cdc.ts PageChunker: its gear hash in WebAssembly (the default) against its
 * reference, rollBytes in JavaScript (`wasm` false) — page starts and chunker state after every
 * call, on fuzzed values of every column type, the state carried (through JSON) from call to call.
 */
import { CDC_MAX_BYTES, CDC_MIN_BYTES, PageChunker, type PageChunkerState } from '../lib/dataset/parquet-cdc';
import type { ColumnType } from '../lib/columns';
import { seeded } from './helpers';

/** Units of every UTF-8 length (1–4 bytes), lone surrogates (encoded as U+FFFD) and the bytes 0x00 and 0xff's neighbours. */
const UNITS = ['a', 'Z', ' ', '\u0000', '\u007f', 'é', 'Ö', '\u00ff', '\u0100', '\u07ff', '\u0800', 'ą', '€', '\uffff', '中', '😀', '\ud800', '\udfff', '\udc00\ud800'];

/** Random ASCII (most of the units, as in text) and the units above; values are slices of it (made once: building each would cost more than the hashes). */
const POOL = (() => {
  const random = seeded(99);
  const pieces: string[] = [];
  for (let i = 0; i < 40_000; i++) pieces.push(random() < 0.7 ? String.fromCharCode(32 + Math.floor(random() * 95)) : UNITS[Math.floor(random() * UNITS.length)]);
  return pieces.join('');
})();

/** A slice of POOL of `length` units (or POOL's length, less one), from a random start. */
function fuzzed(random: () => number, length: number): string {
  const start = Math.floor(random() * (POOL.length - length));
  return POOL.slice(start, start + length);
}

/** `rows` values of `type`, strings of 0..maxLength units. */
function values(random: () => number, type: ColumnType, rows: number, maxLength: number): unknown[] {
  const string = () => fuzzed(random, Math.floor(random() ** 2 * maxLength));
  return Array.from({ length: rows }, () => {
    switch (type) {
      case 'string':
        return string();
      case 'float':
        return random() < 0.1 ? [NaN, -0, Infinity, 1e308][Math.floor(random() * 4)] : (random() - 0.5) * 1e6;
      case 'int':
        return BigInt(Math.floor((random() - 0.5) * 2 ** 53)) * BigInt(1 + Math.floor(random() * 1000));
      case 'bool':
        return random() < 0.5;
      case 'list<string>':
        return Array.from({ length: Math.floor(random() * 4) }, string);
    }
  });
}

const TYPES: ColumnType[] = ['string', 'float', 'int', 'bool', 'list<string>'];

/** Calls of pages() on the two chunkers, each from the other's last state through JSON; types mixed, as the columns of a shard are not, to roll every kind of value into one state. */
function expectSame(seed: number, minBytes: number, maxBytes: number, calls: number, rows: number, maxLength: number): number {
  const random = seeded(seed);
  let wasm = new PageChunker(minBytes, maxBytes);
  let reference = new PageChunker(minBytes, maxBytes, false);
  let cuts = 0;
  for (let call = 0; call < calls; call++) {
    const type = TYPES[call % 3 === 2 ? Math.floor(random() * TYPES.length) : 0];
    const batch = values(random, type, Math.floor(random() * rows), maxLength);
    const got = wasm.pages(batch, type);
    const want = reference.pages(batch, type);
    if (got.join() !== want.join() || wasm.state().join() !== reference.state().join()) {
      expect({ seed, call, type, pages: got, state: wasm.state() }).toEqual({ seed, call, type, pages: want, state: reference.state() });
    }
    cuts += want.length - 2;
    const state = JSON.parse(JSON.stringify(reference.state())) as PageChunkerState;
    wasm = PageChunker.restore(state, minBytes, maxBytes);
    reference = PageChunker.restore(state, minBytes, maxBytes, false);
  }
  return cuts;
}

test('small pages (1–4 KiB): short values, every type, many cuts', () => {
  for (let seed = 1; seed <= 4; seed++) expect(expectSame(seed, 1024, 4096, 30, 400, 60)).toBeGreaterThan(50);
});

test('4–16 KiB pages: values from empty to longer than a page (the kernel’s memory grows)', () => {
  expect(expectSame(11, 4 * 1024, 16 * 1024, 40, 200, 30_000)).toBeGreaterThan(20);
});

test('the defaults (256 KiB – 1 MiB): answers-sized strings over several pages', () => {
  expect(expectSame(21, CDC_MIN_BYTES, CDC_MAX_BYTES, 6, 3000, 1500)).toBeGreaterThan(3);
});

test('one value over the maximum, then one of 64 KiB of 4-byte characters (past the reference’s scratch buffer)', () => {
  const big = ['x'.repeat(CDC_MAX_BYTES * 2), 'a', '😀'.repeat(40_000), 'b'];
  const wasm = new PageChunker();
  const reference = new PageChunker(CDC_MIN_BYTES, CDC_MAX_BYTES, false);
  expect(wasm.pages(big, 'string')).toEqual(reference.pages(big, 'string'));
  expect(wasm.state()).toEqual(reference.state());
});
