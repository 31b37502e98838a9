import { gzipSync } from 'node:zlib';
import { detectCompression, magicHex } from '../lib/input/compression';
import { inputHint } from '../lib/input/input-hints';

const bytes = (...values: number[]) => Buffer.from(values);

describe('detectCompression', () => {
  test.each([
    ['gzip', gzipSync('{"a":1}\n')],
    ['zstd', bytes(0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00)],
    ['bzip2', Buffer.from('BZh91AY&SY')],
    ['xz', bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0x00)],
    ['zip', bytes(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00)],
    [null, Buffer.from('{"question":"q"}\n')],
    [null, bytes(0x1f)],
    [null, Buffer.alloc(0)],
  ])('%s', (expected, head) => {
    expect(detectCompression(head)).toBe(expected);
  });

  test('magicHex', () => {
    expect(magicHex('zstd')).toBe('28 B5 2F FD');
  });
});

describe('inputHint', () => {
  test.each([
    [
      'UTF-16 LE',
      bytes(0xff, 0xfe, 0x7b, 0x00),
      'data.jsonl looks like UTF-16 (byte-order mark FF FE); convert it with iconv -f UTF-16 -t UTF-8',
    ],
    [
      'UTF-16 BE',
      bytes(0xfe, 0xff, 0x00, 0x7b),
      'data.jsonl looks like UTF-16 (byte-order mark FE FF); convert it with iconv -f UTF-16 -t UTF-8',
    ],
    [
      'a pretty-printed JSON array after a BOM and whitespace',
      Buffer.concat([bytes(0xef, 0xbb, 0xbf), Buffer.from(' \r\n\t[\n  {"question": "q"}')]),
      "data.jsonl starts with [ and looks like a JSON array, not JSON Lines (one object per line); convert it with jq -c '.[]' data.jsonl",
    ],
    [
      'bzip2',
      Buffer.from('BZh91AY&SY'),
      'data.jsonl is bzip2-compressed (magic 42 5A 68), which qa-hf does not read; decompress it first: bzip2 -dc data.jsonl | qa-hf',
    ],
    [
      'xz',
      bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00),
      'data.jsonl is xz-compressed (magic FD 37 7A 58 5A 00), which qa-hf does not read; decompress it first: xz -dc data.jsonl | qa-hf',
    ],
    [
      'zip',
      bytes(0x50, 0x4b, 0x03, 0x04),
      'data.jsonl is zip-compressed (magic 50 4B 03 04), which qa-hf does not read; decompress it first: unzip -p data.jsonl | qa-hf',
    ],
  ])('%s', (_name, head, hint) => {
    expect(inputHint({ name: 'data.jsonl', head })).toBe(hint);
  });

  test.each([
    ['JSON Lines', Buffer.from('{"question":"q"}\n[1]\n')],
    ['JSON Lines after a BOM', Buffer.concat([bytes(0xef, 0xbb, 0xbf), Buffer.from('{"q":1}\n')])],
    ['whitespace only', Buffer.from('  \n\n')],
    ['empty', Buffer.alloc(0)],
    ['one byte of a BOM', bytes(0xff)],
    // gzip and zstd are read, so their magic alone is no mistake
    ['gzip', gzipSync('x')],
  ])('no hint: %s', (_name, head) => {
    expect(inputHint({ name: 'data.jsonl', head })).toBeNull();
  });

  test.each([
    [
      'data.jsonl',
      'gzip' as const,
      'data.jsonl is gzip-compressed (magic 1F 8B) despite its name, and could not be decompressed: it is damaged or cut short (check it with gzip -t)',
    ],
    [
      'data.jsonl',
      'zstd' as const,
      'data.jsonl is zstd-compressed (magic 28 B5 2F FD) despite its name, and could not be decompressed: it is damaged or cut short (check it with zstd -t)',
    ],
    // Named for what it is: the ERR_INPUT line says it all.
    ['data.jsonl.gz', 'gzip' as const, null],
    ['data.jsonl.ZST', 'zstd' as const, null],
  ])('%s that fails to decompress as %s', (name, compression, hint) => {
    expect(inputHint({ name, head: Buffer.alloc(0), decompressFailed: compression })).toBe(hint);
  });
});
