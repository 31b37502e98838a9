/** Content-defined page boundaries and the dictionary choice (lib/dataset/parquet-cdc.ts). */
import { CDC_MAX_BYTES, CDC_MIN_BYTES, PageChunker, type PageChunkerState, contentDefinedPages, dictionaryWins } from '../lib/dataset/parquet-cdc';
import { seeded } from './helpers';

const MIN = 4 * 1024;
const MAX = 16 * 1024;

function words(count: number, seed: number): string[] {
  const random = seeded(seed);
  const pool = ['vård', 'patient', 'läkemedel', 'åtgärd', 'dos', 'remiss', '🩺', 'journal'];
  return Array.from({ length: count }, () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => pool[Math.floor(random() * pool.length)]).join(' '));
}

const bytes = (values: string[]) => values.reduce((total, value) => total + Buffer.byteLength(value) + 2, 0);

test('the defaults are Arrow’s and datasets’: 256 KiB to 1 MiB', () => {
  expect([CDC_MIN_BYTES, CDC_MAX_BYTES]).toEqual([262_144, 1_048_576]);
});

test('pages start at 0, end at the length, and hold min..max bytes (the last may be short)', () => {
  const values = words(20_000, 1);
  const starts = contentDefinedPages(values, 'string', MIN, MAX);
  expect(starts[0]).toBe(0);
  expect(starts.at(-1)).toBe(values.length);
  const sizes = starts.slice(1).map((end, i) => bytes(values.slice(starts[i], end)));
  expect(sizes.length).toBeGreaterThan(20);
  sizes.slice(0, -1).forEach((size) => expect(size >= MIN && size < MAX + 200).toBe(true));
  // Content, not a size, ends most pages.
  expect(sizes.filter((size) => size >= MAX).length).toBeLessThan(sizes.length / 2);
});

test('rows inserted in the middle: the same boundaries after them, moved by the insertion', () => {
  const values = words(20_000, 2);
  const inserted = [...values.slice(0, 10_000), ...words(200, 3), ...values.slice(10_000)];
  const before = contentDefinedPages(values, 'string', MIN, MAX);
  const after = contentDefinedPages(inserted, 'string', MIN, MAX);
  const later = (starts: number[], from: number, shift: number) => new Set(starts.filter((s) => s > from).map((s) => s - shift));
  const moved = later(after, 10_200 + 2000, 200);
  const kept = [...later(before, 12_000, 0)].filter((s) => moved.has(s));
  expect(kept.length).toBeGreaterThan(0.9 * later(before, 12_000, 0).size);
  // …and the same before it.
  expect(after.filter((s) => s <= 10_000).slice(0, -1)).toEqual(before.filter((s) => s <= 10_000).slice(0, -1));
});

test('one chunker over row groups (its state through JSON between them) cuts where one stream is cut, and at the groups’ ends', () => {
  const values = words(20_000, 5);
  const stream = contentDefinedPages(values, 'string', MIN, MAX);
  const ends = [3_000, 3_001, 9_500, 14_000, 20_000];
  let chunker = new PageChunker(MIN, MAX);
  const starts = new Set<number>();
  let from = 0;
  for (const end of ends) {
    chunker.pages(values.slice(from, end), 'string').forEach((start) => starts.add(from + start));
    // A checkpoint between two groups: the state as stored, a new chunker from it.
    const state = JSON.parse(JSON.stringify(chunker.state())) as PageChunkerState;
    chunker = PageChunker.restore(state, MIN, MAX);
    from = end;
  }
  expect([...starts].sort((a, b) => a - b)).toEqual([...new Set([...stream, 0, ...ends])].sort((a, b) => a - b));
  // A fresh chunker per group (Arrow's way) cuts elsewhere after a group's start.
  const fresh = new Set(ends.slice(0, -1).flatMap((start, i) => contentDefinedPages(values.slice(start, ends[i + 1]), 'string', MIN, MAX).map((s) => start + s)));
  expect(stream.filter((start) => start > 3_001 && !fresh.has(start)).length).toBeGreaterThan(0);
});

test('a chunker state that is not one is an internal error', () => {
  expect(() => PageChunker.restore([1, 2, 3] as unknown as PageChunkerState)).toThrow('internal: not a page chunker state: [1,2,3]');
});

test('every column type rolls; a value over the maximum ends its page; no rows, one page of none', () => {
  const random = seeded(4);
  const n = 5000;
  for (const [type, values] of [
    ['float', Array.from({ length: n }, () => random())],
    ['int', Array.from({ length: n }, () => BigInt(Math.floor(random() * 1e12)))],
    ['bool', Array.from({ length: 5 * n }, () => random() < 0.5)],
    ['list<string>', Array.from({ length: n }, (_, i) => (i % 4 ? words(3, i) : []))],
  ] as const) {
    const starts = contentDefinedPages(values, type, 1024, 4096);
    expect(starts.length).toBeGreaterThan(3);
    expect(starts).toEqual(contentDefinedPages(values, type, 1024, 4096));
  }
  const big = ['x'.repeat(MAX * 2), 'a', 'b'];
  expect(contentDefinedPages(big, 'string', MIN, MAX)).toEqual([0, 1, 3]);
  expect(contentDefinedPages([], 'string')).toEqual([0, 0]);
});

test.each<[string, unknown[], 'string' | 'float' | 'bool' | 'list<string>', boolean]>([
  ['a few roles', Array.from({ length: 3000 }, (_, i) => ['ssk', 'läkare', 'usk'][i % 3]), 'string', true],
  ['scores with 3 decimals', Array.from({ length: 3000 }, (_, i) => (i * 7919) % 1000 / 1000), 'float', true],
  ['distinct answers', words(3000, 5).map((w, i) => `${w} ${i}`), 'string', false],
  ['booleans (never)', Array.from({ length: 3000 }, (_, i) => i % 2 === 0), 'bool', false],
  ['lists (never)', Array.from({ length: 3000 }, () => ['a']), 'list<string>', false],
  ['half repeated, half distinct: the whole chunk decides', Array.from({ length: 3000 }, (_, i) => (i % 2 ? 'same' : `v${i}`)), 'string', false],
])('dictionaryWins: %s → %s', (_, values, type, wins) => {
  expect(dictionaryWins(values, type)).toBe(wins);
});
