/**
 * lib/io/compressors: a gzip member or zstd frame over an OutputTarget. Members
 * concatenate into a file every reader decodes whole; a member's bytes depend on
 * its input bytes only (not on how they were handed in), which byte-exact resume needs;
 * the level reaches the codec; a failing target fails write() or end().
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'zstd-napi';
import type { CodecChoice } from '../lib/input/compression';
import { openMember } from '../lib/io/compressors';
import type { OutputTarget } from '../lib/target';
import { MemorySink, recordLines } from './helpers';

const TEXT = Buffer.from(`${recordLines(2000, 3).join('\n')}\n`, 'utf8');
const DECODE = { gzip: gunzipSync, zstd: zstdDecompress };
const CHOICES: CodecChoice[] = [
  { codec: 'gzip', level: 6 },
  { codec: 'gzip', level: 1 },
  { codec: 'zstd', level: 3 },
  { codec: 'zstd', level: 12 },
];

/** One member of `text`, handed in pieces of `piece` bytes. */
async function member(choice: CodecChoice, text: Buffer, piece: number, sink = new MemorySink()): Promise<Buffer> {
  const compressor = openMember(choice, sink);
  for (let at = 0; at < text.length; at += piece) await compressor.write(text.subarray(at, at + piece));
  await compressor.end();
  return sink.bytes;
}

describe.each(CHOICES)('%j', (choice) => {
  test('the same bytes however the input is cut (1 kB … whole)', async () => {
    const whole = await member(choice, TEXT, TEXT.length);
    for (const piece of [1000, 65_536, 262_144 + 7]) expect([piece, (await member(choice, TEXT, piece)).equals(whole)]).toEqual([piece, true]);
    expect(DECODE[choice.codec](whole).equals(TEXT)).toBe(true);
  });

  test('members written one after another decode as the whole text', async () => {
    const sink = new MemorySink();
    const cut = Math.floor(TEXT.length / 3);
    await member(choice, TEXT.subarray(0, cut), 4096, sink);
    await member(choice, TEXT.subarray(cut), 4096, sink);
    expect(DECODE[choice.codec](sink.bytes).equals(TEXT)).toBe(true);
  });
});

test('the level reaches the codec: gzip at 6 is zlib.gzipSync at 6; zstd at 12 is smaller than at 3', async () => {
  expect((await member({ codec: 'gzip', level: 6 }, TEXT, 4096)).equals(gzipSync(TEXT, { level: 6 }))).toBe(true);
  expect((await member({ codec: 'gzip', level: 1 }, TEXT, 4096)).equals(gzipSync(TEXT, { level: 6 }))).toBe(false);
  expect((await member({ codec: 'zstd', level: 12 }, TEXT, 4096)).length).toBeLessThan((await member({ codec: 'zstd', level: 3 }, TEXT, 4096)).length);
});

test('zstd frames carry their checksum (frame header descriptor bit 2), as the zstd CLI writes them', async () => {
  const frame = await member({ codec: 'zstd', level: 3 }, TEXT, 4096);
  expect(frame[4] & 0b100).toBe(0b100);
});

test.each(['gzip', 'zstd'] as const)('%s: a target that fails makes the next write() or end() fail with its error', async (codec) => {
  const failing: OutputTarget = { write: async () => Promise.reject(Object.assign(new Error('no space left'), { code: 'ENOSPC' })) };
  const compressor = openMember({ codec, level: 3 }, failing);
  const written = (async () => {
    await compressor.write(TEXT);
    await compressor.end();
  })();
  await expect(written).rejects.toThrow('no space left');
});
