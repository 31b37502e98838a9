/**
 * Checkpoint fingerprints from the file source's running hash (lib/io/fingerprint.ts
 * PrefixHashTap): every input byte is read once and hashed once per run, and the
 * fingerprint a checkpoint records is still the sha256 of exactly the bytes before
 * its offset. The export runs in-process so every checkpoint written can be seen.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { Hash } from 'node:crypto';
import { generateRecords } from '../bench/generate';
import type { Checkpoint } from '../lib/io/checkpoint';
import { KEPT_HASHES, PrefixHasher, type PrefixHashTap, hashRanges } from '../lib/io/fingerprint';
import { createFileSource, type FileChunk, type InputSpec } from '../streams/file-source';

/** Every checkpoint the export writes, as written. */
const written: Checkpoint[] = [];
jest.mock('../lib/io/checkpoint', () => {
  const actual = jest.requireActual('../lib/io/checkpoint');
  return {
    ...actual,
    writeCheckpoint: async (out: string, checkpoint: Checkpoint) => {
      written.push(structuredClone(checkpoint));
      return actual.writeCheckpoint(out, checkpoint);
    },
  };
});
// Imported after the mock on purpose (jest hoists jest.mock anyway).
import { buildParser } from '../cli';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-ckprint-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function readSource(inputs: InputSpec[], chunkBytes: number, onFileDigest?: (file: string, digest: { sha256: string; bytes: number }) => void): Promise<FileChunk[]> {
  const chunks: FileChunk[] = [];
  for await (const chunk of createFileSource(inputs, { chunkBytes, onFileDigest }) as AsyncIterable<FileChunk>) chunks.push(chunk);
  return chunks;
}

describe('PrefixHasher fed by the file source', () => {
  const text = Buffer.from(Array.from({ length: 3000 }, (_, i) => `{"n":${i},"pad":"${'y'.repeat(i % 41)}"}\n`).join(''));

  test('at a chunk end the fingerprint is the source\'s hash: nothing is read again (the file is overwritten after the read)', async () => {
    const file = path.join(dir, 'overwritten.jsonl');
    await fs.writeFile(file, text);
    const hasher = new PrefixHasher(file);
    const chunkBytes = 4096;
    await readSource([{ path: file, hashTap: hasher }], chunkBytes);
    // Same length, other bytes: a re-read would hash these.
    await fs.writeFile(file, Buffer.alloc(text.length, 0x20));
    const ends = [10, 11, 20].map((n) => n * chunkBytes).filter((at) => at < text.length);
    expect(ends).toHaveLength(3);
    for (const at of ends) expect(await hasher.advanceTo(at)).toEqual({ bytes: at, sha256: sha256(text.subarray(0, at)) });
    // The whole file: its last read's copy.
    expect(await hasher.advanceTo(text.length)).toEqual({ bytes: text.length, sha256: sha256(text) });
  });

  test.each([64, 4096, 1 << 16])('between chunk ends, and older than the %i-byte chunks kept: sha256 of exactly [0, offset)', async (chunkBytes) => {
    const file = path.join(dir, `between-${chunkBytes}.jsonl`);
    await fs.writeFile(file, text);
    const hasher = new PrefixHasher(file);
    const chunks = await readSource([{ path: file, hashTap: hasher }], chunkBytes);
    expect(chunks.length).toBeGreaterThan(1);
    // With 64-byte chunks the first offsets are long gone from the KEPT_HASHES copies: read from disk.
    expect(text.length / chunkBytes > KEPT_HASHES).toBe(chunkBytes === 64);
    for (const at of [0, 1, 1000, 4097, 50_000, text.length - 3, text.length - 3, text.length]) {
      expect(await hasher.advanceTo(at)).toEqual({ bytes: at, sha256: sha256(text.subarray(0, at)) });
    }
    await expect(hasher.advanceTo(5)).rejects.toThrow(/internal: .* hashed to \d+, asked for 5/);
  });

  test('a resume: the source goes on from the checked hash, and its whole-file digest covers the bytes before the start', async () => {
    const file = path.join(dir, 'resumed.jsonl');
    await fs.writeFile(file, text);
    const offset = text.indexOf('{"n":1000,');
    const hasher = new PrefixHasher(file);
    expect(await hasher.advanceTo(offset)).toEqual({ bytes: offset, sha256: sha256(text.subarray(0, offset)) }); // the resume check
    const digests: Array<[string, { sha256: string; bytes: number }]> = [];
    await readSource([{ path: file, start: { offset, line: 1000 }, hashTap: hasher }], 4096, (name, digest) => digests.push([name, digest]));
    expect(digests).toEqual([[file, { sha256: sha256(text), bytes: text.length }]]);
    await fs.writeFile(file, Buffer.alloc(text.length, 0x20)); // the fingerprints below come from the source's hash
    const at = offset + 3 * 4096;
    expect(await hasher.advanceTo(at)).toEqual({ bytes: at, sha256: sha256(text.subarray(0, at)) });
  });

  test('a rank\'s share: a hasher from byte `base` gives the digest of exactly the range read, and its fingerprints inside it', async () => {
    const file = path.join(dir, 'share.jsonl');
    await fs.writeFile(file, text);
    const [start, end] = [text.indexOf('{"n":700,'), text.indexOf('{"n":2100,')];
    const hasher = new PrefixHasher(file, start);
    const digests: Array<[string, { sha256: string; bytes: number }]> = [];
    await readSource([{ path: file, start: { offset: start, line: 0 }, end, hashTap: hasher }], 4096, (name, digest) => digests.push([name, digest]));
    expect(digests).toEqual([[file, { sha256: sha256(text.subarray(start, end)), bytes: end }]]);
    const at = start + 5000;
    expect(await hasher.advanceTo(at)).toEqual({ bytes: at, sha256: sha256(text.subarray(start, at)) });
  });

  test('hashRanges: one read gives the whole file\'s sha256 and each range\'s, ranges across the 1 MiB reads too', async () => {
    const file = path.join(dir, 'ranges.jsonl');
    const big = Buffer.concat([text, Buffer.alloc(3 << 20, 0x61), text]);
    await fs.writeFile(file, big);
    const cuts: Array<[number, number]> = [[0, 10], [10, 10], [10, (1 << 20) + 7], [(1 << 20) + 7, big.length - 3], [big.length - 3, big.length]];
    expect(await hashRanges(file, cuts)).toEqual({ sha256: sha256(big), bytes: big.length, ranges: cuts.map(([a, b]) => sha256(big.subarray(a, b))) });
  });

  /** A tap that records what it is asked. */
  function spyTap(): PrefixHashTap & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      startAt(offset: number): Hash | null {
        calls.push(`startAt ${offset}`);
        return createHash('sha256');
      },
      keep(at: number) {
        calls.push(`keep ${at}`);
      },
    };
  }

  test.each([
    ['a gzip file (its fingerprint is the whole raw file, hashed by the checkpoint)', 'gzip'],
    ['stdin (no fingerprint)', 'stdin'],
  ])('%s: the tap is not used', async (_name, kind) => {
    const tap = spyTap();
    if (kind === 'gzip') {
      const file = path.join(dir, 'packed.jsonl.gz');
      await fs.writeFile(file, gzipSync(text));
      await readSource([{ path: file, hashTap: tap }], 4096);
    } else {
      const stdin = new PassThrough();
      stdin.end(text);
      const chunks: FileChunk[] = [];
      for await (const chunk of createFileSource([{ path: '-', hashTap: tap }], { stdin }) as AsyncIterable<FileChunk>) chunks.push(chunk);
      // Buffer.equals: jest's toEqual walks a Buffer element by element, seconds for these 100 kB.
      expect(Buffer.concat(chunks.map((chunk) => chunk.data)).equals(text)).toBe(true);
    }
    expect(tap.calls).toEqual([]);
  });
});

describe('qa-hf export: each checkpoint\'s fingerprints are the sha256 of the bytes before its position', () => {
  let inputs: string[];
  let bytes: Buffer[];

  beforeAll(async () => {
    // Three inputs of two or three 256 KiB chunks each (~1.3 KB a record), a checkpoint every 50 lines: several past the first chunk in each.
    inputs = [path.join(dir, 'in', 'a.jsonl'), path.join(dir, 'in', 'b.jsonl'), path.join(dir, 'in', 'c.jsonl')];
    await fs.mkdir(path.join(dir, 'in'));
    bytes = [];
    for (const [i, file] of inputs.entries()) {
      const data = Buffer.from(`${[...generateRecords(450 + 50 * i, 7 + i, { badLineRate: 0.02 })].join('\n')}\n`);
      await fs.writeFile(file, data);
      bytes.push(data);
    }
  });

  test.each([
    ['simple layout', [] as string[]],
    ['simple layout, --workers 2', ['--workers', '2']],
    ['Hub layout with parquet (fixed positions only)', ['--format', 'jsonl,parquet', '--split', 'train=0.9,test=0.1']],
  ])('%s', async (name, flags) => {
    written.length = 0;
    const out = path.join(dir, `out-${name.replace(/\W+/g, '-')}`);
    await buildParser(['export', ...inputs, '--out', out, '-q', '--checkpoint-lines', '50', '--checkpoint-bytes', '1e15', '--checkpoint-ms', '1e12', ...flags]).parseAsync();
    const midFile = written.filter((checkpoint) => !checkpoint.finalizing && checkpoint.position.offset > 256 << 10);
    // Several checkpoints past the first chunk, in every input.
    expect(new Set(midFile.map((checkpoint) => checkpoint.position.input))).toEqual(new Set([0, 1, 2]));
    expect(midFile.length).toBeGreaterThanOrEqual(10);
    let checked = 0;
    for (const checkpoint of written) {
      const { position } = checkpoint;
      for (const [i, input] of checkpoint.inputs.entries()) {
        // Read to its end before the position, at the offset in the current input, none after it.
        const expected = i < position.input ? bytes[i].length : i === position.input ? position.offset : null;
        if (expected === null) {
          expect(input.fingerprint).toBeNull();
          continue;
        }
        expect(input.fingerprint).toEqual({ bytes: expected, sha256: sha256(bytes[i].subarray(0, expected)) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(midFile.length);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.inputs.map((input: { sha256: string }) => input.sha256)).toEqual(bytes.map(sha256));
  });
});
