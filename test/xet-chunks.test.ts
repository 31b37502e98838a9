/** The measuring tool of bench/cdc-share.ts: Xet-like chunks of a file's bytes. */
import { XET_MAX_CHUNK, XET_MIN_CHUNK, sharedBytes, xetChunks } from '../bench/xet-chunks';
import { seeded } from './helpers';

function randomBytes(length: number, seed: number): Buffer {
  const random = seeded(seed);
  const bytes = Buffer.alloc(length + 3);
  for (let i = 0; i < length; i += 4) bytes.writeUInt32LE(Math.floor(random() * 2 ** 32), i);
  return bytes.subarray(0, length);
}

test('chunks cover the bytes, each 8 KiB to 128 KiB but the last, 64 KiB apart on average', () => {
  const bytes = randomBytes(2_000_000, 1);
  const lengths = xetChunks(bytes);
  expect(lengths.reduce((a, b) => a + b, 0)).toBe(bytes.length);
  lengths.slice(0, -1).forEach((length) => expect(length >= XET_MIN_CHUNK && length <= XET_MAX_CHUNK).toBe(true));
  const average = bytes.length / lengths.length;
  expect(average).toBeGreaterThan(40_000);
  expect(average).toBeLessThan(90_000);
});

test('bytes inserted in the middle: nearly all of the rest is found again; other bytes share nothing', () => {
  const before = randomBytes(3_000_000, 2);
  const after = Buffer.concat([before.subarray(0, 1_500_000), randomBytes(30_000, 3), before.subarray(1_500_000)]);
  const { shared, total } = sharedBytes([before], [after]);
  expect(total).toBe(after.length);
  expect(shared / total).toBeGreaterThan(0.9);
  expect(sharedBytes([before], [randomBytes(1_000_000, 4)]).shared).toBe(0);
});
