/** gzip and zstd inputs: read by their magic bytes, offsets in the decompressed stream, resume, damage. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import type { QaHfError } from '../lib/errors';
import { createFileSource, type FileChunk, type FileSourceOptions, type InputSpec } from '../streams/file-source';
import { createProcessingStages } from '../streams/chain';
import { createSink } from '../streams/sink';
import { runChain } from '../streams/chain';
import type { Batch } from '../lib/batch';
import { recordLines, runCli, runCliKilledAtCheckpoint, readJson } from './helpers';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-compressed-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const TEXT = Buffer.from(recordLines(400, 7).join('\n') + '\n');
const half = TEXT.length >> 1;
/** Large enough for several zstd blocks (128 KiB each), so a cut one still decodes its first ones. */
const BIG = Buffer.from(recordLines(3000, 9).join('\n') + '\n');
const COMPRESSORS: Array<[string, (bytes: Buffer) => Buffer]> = [
  ['gzip', (bytes) => gzipSync(bytes)],
  // gzip -c a >> b: several members are one stream
  ['multi-member gzip', (bytes) => Buffer.concat([gzipSync(bytes.subarray(0, half)), gzipSync(bytes.subarray(half))])],
  ['zstd', (bytes) => zstdCompress(bytes)],
  ['multi-frame zstd', (bytes) => Buffer.concat([zstdCompress(bytes.subarray(0, half)), zstdCompress(bytes.subarray(half))])],
];

const cut = (raw: Buffer) => raw.subarray(0, raw.length >> 1);

async function collect(inputs: Array<string | InputSpec>, options: FileSourceOptions = {}): Promise<FileChunk[]> {
  const chunks: FileChunk[] = [];
  for await (const chunk of createFileSource(inputs, options) as AsyncIterable<FileChunk>) chunks.push(chunk);
  return chunks;
}

const joined = (chunks: FileChunk[]) => Buffer.concat(chunks.map((chunk) => chunk.data));

describe.each(COMPRESSORS)('%s', (_name, compress) => {
  // Named .jsonl on purpose: the bytes decide, not the name.
  test('reads as the plain text; digest of the raw bytes; resumes at a decompressed offset', async () => {
    const file = path.join(dir, 'data.jsonl');
    const raw = compress(TEXT);
    await fs.writeFile(file, raw);
    const digests: Array<{ sha256: string; bytes: number }> = [];
    const whole = await collect([file], { chunkBytes: 999, onFileDigest: (_file, digest) => digests.push(digest) });
    expect(joined(whole).equals(TEXT)).toBe(true);
    expect(digests).toEqual([{ sha256: createHash('sha256').update(raw).digest('hex'), bytes: raw.length }]);
    const offset = TEXT.indexOf('\n', half) + 1;
    const start = { offset, line: 123 };
    const resumed = await collect([{ path: file, start }], { chunkBytes: 999 });
    expect(joined(resumed).equals(TEXT.subarray(offset))).toBe(true);
    expect(resumed[0].start).toEqual(start);
    expect(resumed.filter((chunk) => chunk.start)).toHaveLength(1);
  });
});

test('offsets of bad lines are offsets in the decompressed stream', async () => {
  const text = Buffer.from('{"a":1}\nnot json\n');
  const file = path.join(dir, 'bad.jsonl.gz');
  await fs.writeFile(file, gzipSync(text));
  const errors: Array<[number, number]> = [];
  await runChain([
    createFileSource([file]),
    ...createProcessingStages({ keepRows: false }),
    createSink({ outputs: {}, onCommit: (batch: Batch) => batch.entries.forEach((entry) => entry.channel === 'errors' && errors.push([entry.line, entry.offset])) }),
  ]);
  expect(errors).toEqual([
    [1, 0],
    [2, 8],
  ]);
});

describe.each([
  ['cut short gzip', () => cut(gzipSync(BIG)), 'gzip', /damaged or cut short after \d+ decompressed bytes \(unexpected end of file\)$/],
  ['cut short zstd', () => cut(zstdCompress(BIG)), 'zstd', /damaged or cut short after \d+ decompressed bytes \(Stream ended in middle of compressed data frame\)$/],
  [
    'damaged zstd',
    () => {
      const raw = Buffer.from(zstdCompress(BIG));
      raw[raw.length - 1000] ^= 0xff;
      return raw;
    },
    'zstd',
    /damaged or cut short after \d+ decompressed bytes/,
  ],
])('%s', (_name, make, compression, reason) => {
  test('without onInputError: fails with ERR_INPUT naming the file', async () => {
    expect.assertions(2);
    const file = path.join(dir, 'data.jsonl');
    await fs.writeFile(file, make());
    await collect([file]).catch((err: QaHfError) => {
      expect(err.code).toBe('ERR_INPUT');
      expect(err.toLine()).toMatch(new RegExp(`^${file}: ERR_INPUT: cannot read input: its ${compression} data is ${reason.source}`));
    });
  });

  test('with onInputError: the decoded bytes, the end of the file, the error, a hint; no further input read', async () => {
    const file = path.join(dir, 'data.jsonl');
    const other = path.join(dir, 'other.jsonl');
    await fs.writeFile(file, make());
    await fs.writeFile(other, BIG);
    const failures: QaHfError[] = [];
    const hints: string[] = [];
    const chunks = await collect([file, other], { chunkBytes: 4096, onInputError: (err) => failures.push(err), onHint: (_file, hint) => hints.push(hint) });
    const decoded = joined(chunks);
    expect(decoded.length).toBeGreaterThan(0);
    expect(BIG.subarray(0, decoded.length).equals(decoded)).toBe(true);
    expect(decoded.length).toBeLessThan(BIG.length);
    expect(chunks.at(-1)).toMatchObject({ file, end: true });
    expect(chunks.every((chunk) => chunk.file === file)).toBe(true);
    expect(failures.map((err) => err.message)).toEqual([expect.stringMatching(/damaged or cut short/)]);
    expect(hints).toEqual([expect.stringMatching(new RegExp(`^${file} is ${compression}-compressed \\(magic [0-9A-F ]+\\) despite its name`))]);
  });
});

describe('CLI', () => {
  test('pipe mode: .jsonl.gz, .jsonl.zst and <(zcat …) give the bytes of the plain file', async () => {
    const plain = path.join(dir, 'qa.jsonl');
    await fs.writeFile(plain, TEXT);
    await fs.writeFile(`${plain}.gz`, gzipSync(TEXT));
    await fs.writeFile(`${plain}.zst`, zstdCompress(TEXT));
    const reference = await runCli([plain]);
    expect(reference.code).toBe(0);
    for (const file of [`${plain}.gz`, `${plain}.zst`]) {
      const result = await runCli([file]);
      expect(result.code).toBe(0);
      expect(result.stdout.equals(reference.stdout)).toBe(true);
    }
  });

  test('pipe mode: a cut gzip: the lines before it are written and counted, then one ERR_INPUT line, exit 1', async () => {
    const file = path.join(dir, 'qa.jsonl');
    await fs.writeFile(file, gzipSync(TEXT).subarray(0, 4000));
    const result = await runCli([file, '--errors', path.join(dir, 'errors.jsonl')]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^qa-hf: ${file}: ERR_INPUT: cannot read input: its gzip data is damaged or cut short after \\d+ decompressed bytes`));
    expect(lines.filter((line) => line.startsWith('qa-hf: hint: '))).toHaveLength(1);
    const summary = lines.find((line) => /lines read/.test(line))!;
    const read = Number(/(\d+) lines read/.exec(summary)![1]);
    const pairs = Number(/(\d+) pairs/.exec(summary)![1]);
    expect(read).toBeGreaterThan(0);
    expect(result.stdout.toString().split('\n').length - 1).toBe(pairs);
  });

  test('export of a .jsonl.gz killed mid-file resumes (decompressed offset) to the bytes of an uninterrupted export', async () => {
    const big = Buffer.from(recordLines(20000, 11).join('\n') + '\n');
    const input = path.join(dir, 'qa.jsonl.gz');
    await fs.writeFile(input, gzipSync(big));
    const reference = path.join(dir, 'reference');
    expect((await runCli(['export', input, '--out', reference, '-q'])).code).toBe(0);
    const out = path.join(dir, 'out');
    await runCliKilledAtCheckpoint(['export', input, '--out', out, '--checkpoint-bytes', '1', '-q'], out, true);
    const checkpoint = await readJson(path.join(out, '.qa-hf-checkpoint.json'));
    expect(checkpoint.position.offset).toBeGreaterThan(0);
    // A compressed input is fingerprinted whole, on its raw bytes.
    expect(checkpoint.inputs[0].fingerprint.bytes).toBe((await fs.stat(input)).size);
    const resumed = await runCli(['export', input, '--out', out]);
    expect(resumed.stderr).toMatch(/resuming the interrupted export/);
    expect(resumed.code).toBe(0);
    for (const name of ['qa_pairs.jsonl', 'qa_rejected.jsonl', 'qa_errors.jsonl']) {
      expect((await fs.readFile(path.join(out, name))).equals(await fs.readFile(path.join(reference, name)))).toBe(true);
    }
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('export: directories take *.jsonl.gz and *.jsonl.zst by default', async () => {
    const input = path.join(dir, 'in');
    await fs.mkdir(path.join(input, 'sub'), { recursive: true });
    await fs.writeFile(path.join(input, 'a.jsonl.gz'), gzipSync(TEXT));
    await fs.writeFile(path.join(input, 'sub', 'b.jsonl.zst'), zstdCompress(TEXT));
    await fs.writeFile(path.join(input, 'c.jsonl.bz2'), 'not taken');
    const out = path.join(dir, 'out');
    expect((await runCli(['export', input, '--out', out, '-q'])).code).toBe(0);
    const manifest = await readJson(path.join(out, 'manifest.json'));
    expect(manifest.inputs.map((entry: { path: string }) => path.basename(entry.path))).toEqual(['a.jsonl.gz', 'b.jsonl.zst']);
  });
});
