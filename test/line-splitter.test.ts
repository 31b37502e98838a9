import { LineScanner, firstInvalidByte } from '../lib/input/lines';
import type { Batch, Entry } from '../lib/batch';
import { createLineSplitter } from '../streams/line-splitter';
import { createFileSource } from '../streams/file-source';
import { runChain } from '../streams/chain';
import { Writable } from 'node:stream';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectBatches } from './helpers';

/** Expected entries computed independently: split the bytes on LF with indexOf. */
function expectedLines(bytes: Buffer): Array<{ line: number; offset: number; text: string }> {
  const lines = [];
  let offset = 0;
  let line = 0;
  while (offset < bytes.length) {
    let end = bytes.indexOf(0x0a, offset);
    const next = end < 0 ? bytes.length : end + 1;
    if (end < 0) end = bytes.length;
    let text = bytes.subarray(offset, end).toString('utf8');
    if (offset === 0 && text.startsWith('\ufeff')) text = text.slice(1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    lines.push({ line: ++line, offset, text });
    offset = next;
  }
  return lines;
}

const flat = (batches: Batch[]): Entry[] => batches.flatMap((batch) => batch.entries);

const MIXED = Buffer.concat([
  Buffer.from([0xef, 0xbb, 0xbf]),
  Buffer.from('{"q":"åäö"}\r\n{"q":"emoji 😀🩺"}\n\n  \r\n{"q":"Ärende ÅÄÖ"}\r\n{"q":"sista"}'),
]);

describe('line splitter', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9])('chunks of %i bytes give exact lines and offsets', async (size) => {
    const batches = await collectBatches([createLineSplitter({ file: 'm.jsonl' })], MIXED, size);
    const entries = flat(batches);
    expect(entries.map(({ line, offset, text }) => ({ line, offset, text }))).toEqual(expectedLines(MIXED));
    expect(entries.map((entry) => entry.channel)).toEqual([null, null, 'blank', 'blank', null, null]);
    expect(entries[entries.length - 1].unterminated).toBe(true);
    const last = batches[batches.length - 1];
    expect(last.fileEnd).toBe(true);
    expect(last.endOffset).toBe(MIXED.length);
    expect(last.endLine).toBe(6);
  });

  test.each([1, 2, 3, 5, 8, 13, 64, 4096])('byte text: chunks of %i bytes give each line its bytes as latin1, offsets unchanged', async (size) => {
    const bytes = Buffer.concat([MIXED.subarray(0, 20), Buffer.from([0xc3, 0x28, 0x0a]), MIXED.subarray(20)]);
    const batches = await collectBatches([createLineSplitter({ file: 'b.jsonl', byteText: true })], bytes, size);
    const entries = flat(batches);
    const decoded = flat(await collectBatches([createLineSplitter({ file: 'b.jsonl' })], bytes, size));
    expect(entries.map(({ line, offset, channel, errorCode }) => [line, offset, channel, errorCode])).toEqual(
      decoded.map(({ line, offset, channel, errorCode }) => [line, offset, channel, errorCode]),
    );
    entries.forEach((entry, i) => {
      // An error entry holds decoded text; any other the latin1 form of the same bytes.
      const expected = entry.channel === 'errors' ? decoded[i].text : Buffer.from(decoded[i].text, 'utf8').toString('latin1');
      expect(entry.text).toBe(expected);
    });
    expect(entries.some((entry) => entry.errorCode === 'ERR_INVALID_UTF8')).toBe(true);
    expect(entries.some((entry) => entry.text !== decoded[entries.indexOf(entry)].text)).toBe(true);
    expect(batches.every((batch) => batch.byteText === true)).toBe(true);
  });

  test('invalid UTF-8 anywhere in a chunk is still found on its own line only', () => {
    const lines = ['{"a":"å"}', '{"a":"ok"}', '{"a":"😀"}'];
    const bytes = Buffer.concat([Buffer.from(`${lines.join('\n')}\n`), Buffer.from([0x7b, 0xff, 0x7d, 0x0a]), Buffer.from(`${lines[0]}\n`)]);
    const batch = new LineScanner({}).push(bytes);
    expect(batch.entries.map((e) => e.errorCode)).toEqual([null, null, null, 'ERR_INVALID_UTF8', null]);
    expect(batch.entries.map((e) => e.text).slice(0, 3)).toEqual(lines);
  });

  test('offsets count multi-byte characters, CRLF and the BOM in bytes', () => {
    const scanner = new LineScanner({ file: 'x' });
    const batch = scanner.push(MIXED);
    // BOM (3) + '{"q":"åäö"}' (14 bytes: å, ä, ö are 2 bytes each) + CRLF (2)
    expect(batch.entries[1].offset).toBe(3 + 14 + 2);
    expect(batch.entries[0].offset).toBe(0);
    expect(batch.entries[0].text).toBe('{"q":"åäö"}');
  });

  test('a BOM is only stripped at the start of a file', () => {
    const scanner = new LineScanner({ file: 'x' });
    const batch = scanner.push(Buffer.from('{}\n\ufeff{}\n'));
    expect(batch.entries[1].text).toBe('\ufeff{}');
  });

  test.each([1, 3, 7])('invalid UTF-8 is an error entry with exact offsets after it (chunks of %i)', async (size) => {
    const bytes = Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}\n{"a":"ö"}\n')]);
    const entries = flat(await collectBatches([createLineSplitter({ file: 'u' })], bytes, size));
    expect(entries.map((entry) => entry.errorCode)).toEqual([null, 'ERR_INVALID_UTF8', null]);
    expect(entries[1].errorMessage).toMatch(/not valid UTF-8 \(byte 6 of the line\)/);
    expect(entries[2].offset).toBe(bytes.indexOf('{"a":"ö"}'));
  });

  test('a UTF-8 character cut at a chunk boundary is rebuilt', async () => {
    const bytes = Buffer.from('{"a":"😀"}\n');
    for (let cut = 1; cut < bytes.length; cut++) {
      const scanner = new LineScanner({});
      const first = scanner.push(bytes.subarray(0, cut));
      const second = scanner.push(bytes.subarray(cut));
      expect([...first.entries, ...second.entries].map((e) => e.text)).toEqual(['{"a":"😀"}']);
    }
  });

  test.each([1, 4, 9, 64])('over-long lines are cut out without holding them (chunks of %i)', async (size) => {
    const long = `{"a":"${'x'.repeat(100)}"}`;
    const bytes = Buffer.from(`{"a":1}\n${long}\r\n{"b":2}\n${long}`);
    const entries = flat(await collectBatches([createLineSplitter({ file: 'l', maxLineBytes: 50 })], bytes, size));
    expect(entries.map((e) => [e.line, e.offset, e.errorCode])).toEqual([
      [1, 0, null],
      [2, 8, 'ERR_LINE_TOO_LONG'],
      [3, 8 + long.length + 2, null],
      [4, 8 + long.length + 2 + 8, 'ERR_LINE_TOO_LONG'],
    ]);
    expect(entries[1].errorMessage).toBe(`line is ${long.length} bytes, over the limit of 50 bytes`);
    expect(entries[3].errorMessage).toBe(`line is ${long.length} bytes, over the limit of 50 bytes`);
    expect(entries[1].text.length).toBeLessThanOrEqual(1024);
  });

  test('a line exactly at the limit passes, CR not counted', () => {
    const scanner = new LineScanner({ maxLineBytes: 7 });
    const batch = scanner.push(Buffer.from('{"a":1}\r\n{"ab":1}\n'));
    expect(batch.entries.map((e) => e.errorCode)).toEqual([null, 'ERR_LINE_TOO_LONG']);
  });

  test('resume: start offset and line carry through', () => {
    const scanner = new LineScanner({ file: 'r', startOffset: 100, startLine: 9 });
    const batch = scanner.push(Buffer.from('{}\n{}\n'));
    expect(batch.entries.map((e) => [e.line, e.offset])).toEqual([
      [10, 100],
      [11, 103],
    ]);
    expect(batch.endOffset).toBe(106);
    expect(batch.endLine).toBe(11);
  });

  test('bad options are refused up front with what was given', () => {
    expect(() => createLineSplitter({ maxLineBytes: 0 })).toThrow('option maxLineBytes must be a positive integer, got 0');
    expect(() => createLineSplitter({ startOffset: -1 })).toThrow('got -1');
    expect(() => createLineSplitter({ byteText: 1 as unknown as boolean })).toThrow('option byteText must be a boolean, got 1');
  });

  test('firstInvalidByte finds where valid UTF-8 stops', () => {
    expect(firstInvalidByte(Buffer.from([0x41, 0x42, 0xff]))).toBe(2);
    expect(firstInvalidByte(Buffer.from('åä'))).toBe(4);
  });

  test('many files in turn: each restarts lines and offsets; a missing newline ends a file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-split-'));
    await fs.writeFile(path.join(dir, 'a.jsonl'), '{"a":1}\n{"a":2}');
    await fs.writeFile(path.join(dir, 'b.jsonl'), '\ufeff{"b":1}\n');
    const batches: Batch[] = [];
    await runChain([
      createFileSource([path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')], { chunkBytes: 3 }),
      createLineSplitter(),
      new Writable({ objectMode: true, write: (b: Batch, _e, cb) => (batches.push(b), cb()) }),
    ]);
    const rows = batches.flatMap((b) => b.entries.map((e) => [path.basename(b.file), e.line, e.offset, e.text]));
    expect(rows).toEqual([
      ['a.jsonl', 1, 0, '{"a":1}'],
      ['a.jsonl', 2, 8, '{"a":2}'],
      ['b.jsonl', 1, 0, '{"b":1}'],
    ]);
    expect(batches.filter((b) => b.fileEnd).map((b) => [path.basename(b.file), b.endOffset])).toEqual([
      ['a.jsonl', 15],
      ['b.jsonl', 11],
    ]);
  });
});
