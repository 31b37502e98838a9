/**
 * lib/scale/shares.ts and lib/io/shares.ts: every line (and every compressed or empty
 * file) in exactly one rank's share, for N = 1..5, balanced by bytes, line-aligned.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type ShareFile, type ShareRange, cutPoints, lineStartQueries, queryKey, shareRanges } from '../lib/scale/shares';
import { lineStartAtOrAfter, rankShares } from '../lib/io/shares';
import { describeInputs } from '../lib/io/inputs';

interface MemFile {
  bytes: Buffer;
  compressed?: boolean;
}

/** The first line start ≥ from, computed on the bytes (the reference for lib/io/shares.ts). */
function lineStartIn(bytes: Buffer, from: number): number {
  const found = bytes.indexOf(0x0a, from - 1);
  return found < 0 ? bytes.length : Math.min(found + 1, bytes.length);
}

function lineStartsOf(bytes: Buffer): number[] {
  if (bytes.length === 0) return [];
  const starts = [0];
  for (let i = 0; i < bytes.length - 1; i++) if (bytes[i] === 0x0a) starts.push(i + 1);
  return starts;
}

function allRanges(mem: MemFile[], worldSize: number): ShareRange[][] {
  const files: ShareFile[] = mem.map((file) => ({ size: file.bytes.length, compressed: file.compressed ?? false }));
  const starts = new Map(lineStartQueries(files, worldSize).map((query) => [queryKey(query), lineStartIn(mem[query.input].bytes, query.from)]));
  return Array.from({ length: worldSize }, (_v, rank) => shareRanges(files, worldSize, rank, starts));
}

/** Every unit (a line start; a compressed or empty file) → the ranks whose ranges hold it. */
function owners(mem: MemFile[], ranks: ShareRange[][]): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  const add = (key: string, rank: number) => seen.set(key, [...(seen.get(key) ?? []), rank]);
  ranks.forEach((ranges, rank) => {
    for (const range of ranges) {
      const file = mem[range.input];
      if (file.compressed || file.bytes.length === 0) {
        expect(range).toEqual({ input: range.input, start: 0, end: file.compressed ? null : 0 });
        add(`${range.input}:whole`, rank);
        continue;
      }
      expect(range.start).toBeLessThan(range.end!);
      for (const start of lineStartsOf(file.bytes)) if (start >= range.start && start < range.end!) add(`${range.input}:${start}`, rank);
      // Line-aligned: a range starts at a line start and ends at one (or the file's end).
      expect(range.start === 0 || file.bytes[range.start - 1] === 0x0a).toBe(true);
      expect(range.end === file.bytes.length || file.bytes[range.end! - 1] === 0x0a).toBe(true);
    }
  });
  return seen;
}

function expectedUnits(mem: MemFile[]): string[] {
  return mem.flatMap((file, input) => (file.compressed || file.bytes.length === 0 ? [`${input}:whole`] : lineStartsOf(file.bytes).map((start) => `${input}:${start}`)));
}

const lines = (...texts: string[]) => Buffer.from(texts.join(''));
const CORPORA: Array<[string, MemFile[]]> = [
  ['one file', [{ bytes: lines('aaaa\n', 'bb\n', 'cccccc\n', 'd\n', 'eeeeeeeee\n', 'f\n') }]],
  ['a line longer than a share', [{ bytes: lines('a\n', `${'x'.repeat(200)}\n`, 'b\n', 'c\n') }]],
  ['empty files between, at the start and the end', [{ bytes: Buffer.alloc(0) }, { bytes: lines('a\n', 'b\n') }, { bytes: Buffer.alloc(0) }, { bytes: lines('ccc\n') }, { bytes: Buffer.alloc(0) }]],
  ['CRLF and no final newline', [{ bytes: lines('a\r\n', 'bbbb\r\n', '\r\n', 'c\r\n', 'dd') }, { bytes: lines('e\r\n', 'f') }]],
  ['blank lines', [{ bytes: lines('\n', '\n', 'a\n', '\n', '\n', 'b\n', '\n') }]],
  ['compressed files are whole', [{ bytes: lines('a\n', 'b\n'), compressed: false }, { bytes: Buffer.alloc(40, 1), compressed: true }, { bytes: lines('c\n', 'd\n', 'e\n') }, { bytes: Buffer.alloc(3, 1), compressed: true }]],
  ['many small files', Array.from({ length: 9 }, (_v, i) => ({ bytes: lines(`${'q'.repeat(i)}\n`, 'z\n') }))],
];

describe.each(CORPORA)('%s', (_name, mem) => {
  test.each([1, 2, 3, 4, 5])('N = %i: every unit in exactly one rank, in rank order', (worldSize) => {
    const ranks = allRanges(mem, worldSize);
    const seen = owners(mem, ranks);
    const units = expectedUnits(mem);
    expect([...seen.keys()].sort()).toEqual([...units].sort());
    for (const [unit, by] of seen) expect([unit, by.length]).toEqual([unit, 1]);
    // In input order, ranks never go down: rank r's lines all come before rank r + 1's.
    const order = units.map((unit) => seen.get(unit)![0]);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });
});

test('a cut exactly at a line start begins the next share there', () => {
  // 4 lines of 5 bytes: total 20, N = 2 cuts at 10, the start of line 3.
  const mem = [{ bytes: lines('aaaa\n', 'bbbb\n', 'cccc\n', 'dddd\n') }];
  expect(allRanges(mem, 2)).toEqual([[{ input: 0, start: 0, end: 10 }], [{ input: 0, start: 10, end: 20 }]]);
  // A cut one byte into a line moves to the next line start.
  const shifted = [{ bytes: lines('aaaaa\n', 'bbbb\n', 'cccc\n', 'ddd\n') }]; // 20 bytes; cut at 10 is inside line 2
  expect(allRanges(shifted, 2)).toEqual([[{ input: 0, start: 0, end: 11 }], [{ input: 0, start: 11, end: 20 }]]);
});

test('balanced by bytes: one big file is spread over every rank', () => {
  const mem = [{ bytes: Buffer.from(Array.from({ length: 1000 }, (_v, i) => `line ${String(i).padStart(4, '0')}\n`).join('')) }];
  const ranks = allRanges(mem, 4);
  const sizes = ranks.map((ranges) => ranges.reduce((sum, range) => sum + range.end! - range.start, 0));
  expect(sizes).toEqual([2500, 2500, 2500, 2500]);
  expect(cutPoints(10, 3)).toEqual([0, 3, 6, 10]);
});

describe('lib/io/shares.ts on files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-shares-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  test('lineStartAtOrAfter finds the next line start past a line longer than one read', async () => {
    const file = path.join(dir, 'long.jsonl');
    const bytes = Buffer.from(`a\n${'x'.repeat(200_000)}\nb\nc`);
    await fs.writeFile(file, bytes);
    for (const from of [1, 2, 3, 50_000, 200_002, 200_003, 200_004, 200_005, bytes.length - 1]) {
      expect([from, await lineStartAtOrAfter(file, from, bytes.length)]).toEqual([from, lineStartIn(bytes, from)]);
    }
  });

  test('rankShares on files equals the pure plan, a gzip file whole', async () => {
    const files = ['a.jsonl', 'b.jsonl.gz', 'c.jsonl'].map((name) => path.join(dir, name));
    const mem: MemFile[] = [
      { bytes: lines(...Array.from({ length: 50 }, (_v, i) => `{"n":${i}}\n`)) },
      { bytes: gzipSync(lines('{"z":1}\n')), compressed: true },
      { bytes: lines(...Array.from({ length: 30 }, (_v, i) => `{"m":${i}}\r\n`)) },
    ];
    await Promise.all(files.map((file, i) => fs.writeFile(file, mem[i].bytes)));
    const infos = await describeInputs(files);
    expect(infos.map((info) => info.compressed)).toEqual([false, true, false]);
    const expected = allRanges(mem, 3);
    for (let rank = 0; rank < 3; rank++) expect(await rankShares(files, infos, 3, rank)).toEqual(expected[rank]);
  });
});
