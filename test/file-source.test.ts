/** file-source: how each kind of input is read (regular file, FIFO, stdin), resume starts, hints. */
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { QaHfError } from '../lib/errors';
import { createFileSource, type FileChunk, type FileSourceOptions, type InputSpec } from '../streams/file-source';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-source-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function collect(inputs: Array<string | InputSpec>, options: FileSourceOptions = {}): Promise<FileChunk[]> {
  const chunks: FileChunk[] = [];
  for await (const chunk of createFileSource(inputs, options) as AsyncIterable<FileChunk>) chunks.push(chunk);
  return chunks;
}

/** Each file's bytes, joined from its chunks, and the shape of its chunk list. */
function byFile(chunks: FileChunk[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const chunk of chunks) out[chunk.file] = (out[chunk.file] ?? '') + chunk.data.toString('latin1');
  return out;
}

const TEXT = Array.from({ length: 200 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i % 37)}"}\n`).join('');

test.each([1, 7, 64, 1 << 16])('a regular file, chunks of %i bytes, from byte 0 and from a resume offset', async (chunkBytes) => {
  const file = path.join(dir, 'a.jsonl');
  await fs.writeFile(file, TEXT);
  const whole = await collect([file], { chunkBytes });
  expect(byFile(whole)[file]).toBe(TEXT);
  expect(whole.at(-1)).toEqual({ file, data: Buffer.alloc(0), end: true });
  const offset = TEXT.indexOf('{"n":100');
  const resumed = await collect([{ path: file, start: { offset, line: 100 } }], { chunkBytes });
  expect(byFile(resumed)[file]).toBe(TEXT.slice(offset));
  expect(resumed[0].start).toEqual({ offset, line: 100 });
});

test.each([1, 7, 64, 1 << 16])('a share: from a start offset up to an end offset (chunks of %i bytes), no digest', async (chunkBytes) => {
  const file = path.join(dir, 'a.jsonl');
  await fs.writeFile(file, TEXT);
  const start = TEXT.indexOf('{"n":50');
  const end = TEXT.indexOf('{"n":120');
  const digests: string[] = [];
  const share = await collect([{ path: file, start: { offset: start, line: 0 }, end }], { chunkBytes, onFileDigest: (name) => digests.push(name) });
  expect(byFile(share)[file]).toBe(TEXT.slice(start, end));
  expect(share.at(-1)!.end).toBe(true);
  expect(digests).toEqual([]);
  expect(byFile(await collect([{ path: file, end: 0 }], { chunkBytes }))[file]).toBe('');
});

test('a FIFO with a writer is read sequentially (no ESPIPE), hashed while it streams', async () => {
  const fifo = path.join(dir, 'in.fifo');
  execFileSync('mkfifo', [fifo]);
  const writer = fs.writeFile(fifo, TEXT); // blocks until the source opens the FIFO
  const digests: Array<{ sha256: string; bytes: number }> = [];
  const chunks = await collect([fifo], { chunkBytes: 1000, onFileDigest: (_file, digest) => digests.push(digest) });
  await writer;
  expect(byFile(chunks)[fifo]).toBe(TEXT);
  expect(chunks.at(-1)!.end).toBe(true);
  const expected = execFileSync('sha256sum', { input: TEXT }).toString().split(' ')[0];
  expect(digests).toEqual([{ sha256: expected, bytes: Buffer.byteLength(TEXT) }]);
});

test('`-` reads the stdin stream between files, in order', async () => {
  const file = path.join(dir, 'a.jsonl');
  await fs.writeFile(file, 'A\n');
  const stdin = Readable.from([Buffer.from('s'), Buffer.from('td'), Buffer.from('in\n')]);
  const chunks = await collect([file, '-'], { stdin });
  expect(byFile(chunks)).toEqual({ [file]: 'A\n', '<stdin>': 'stdin\n' });
  expect(chunks.filter((chunk) => chunk.end).map((chunk) => chunk.file)).toEqual([file, '<stdin>']);
});

test('a stream given a resume offset is refused with ERR_INPUT (it cannot be read again)', async () => {
  expect.assertions(2);
  const stdin = new PassThrough();
  stdin.end('abc\n');
  try {
    await collect([{ path: '-', start: { offset: 2, line: 0 } }], { stdin });
  } catch (err) {
    expect((err as QaHfError).code).toBe('ERR_INPUT');
    expect((err as QaHfError).toLine()).toMatch(/^<stdin>: ERR_INPUT: cannot resume mid-file: it is not a regular file/);
  }
});

test.each([
  ['UTF-16', Buffer.from('\ufeff{"a":1}\n{"b":2}\n'.repeat(3000), 'utf16le'), /looks like UTF-16 \(byte-order mark FF FE\)/],
  ['a JSON array', Buffer.from(`[\n${'  {"a": 1},\n'.repeat(30000)}]\n`), /looks like a JSON array/],
])('%s: one hint per file, however many chunks; none under a clean file', async (_name, bytes, hint) => {
  const bad = path.join(dir, 'bad.jsonl');
  const good = path.join(dir, 'good.jsonl');
  await fs.writeFile(bad, bytes);
  await fs.writeFile(good, TEXT);
  const hints: Array<[string, string]> = [];
  const chunks = await collect([bad, good], { chunkBytes: 4096, onHint: (file, text) => hints.push([file, text]) });
  expect(chunks.filter((chunk) => chunk.file === bad).length).toBeGreaterThan(10);
  expect(hints).toHaveLength(1);
  expect(hints[0][0]).toBe(bad);
  expect(hints[0][1]).toMatch(hint);
});

test('a hint from stdin names <stdin>', async () => {
  const stdin = Readable.from([Buffer.from([0xff]), Buffer.from([0xfe, 0x7b, 0x00, 0x0a, 0x00])]);
  const hints: string[] = [];
  await collect(['-'], { stdin, onHint: (_file, text) => hints.push(text) });
  expect(hints).toEqual(['<stdin> looks like UTF-16 (byte-order mark FF FE); convert it with iconv -f UTF-16 -t UTF-8']);
});

test('a directory is ERR_INPUT naming it', async () => {
  expect.assertions(1);
  await collect([dir]).catch((err: QaHfError) => expect(err.toLine()).toBe(`${dir}: ERR_INPUT: cannot read input: is a directory (EISDIR)`));
});
