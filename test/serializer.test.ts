import { newEntry, type Batch } from '../lib/batch';
import { formatFloat, makeRowWriter } from '../lib/dataset/jsonl';
import { QA_INTERNAL } from '../lib/input/presets';
import { ByteWriter, makeJsonlWriters, outputBytes, outputFromBytes, serializeBatch } from '../lib/dataset/serialize';

describe('jsonl rows', () => {
  test.each([
    [1, '1.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.5, '0.5'],
    [0.123456789, '0.123456789'],
    [1e21, '1e+21'],
    [1.5e-7, '1.5e-7'],
    [-3, '-3.0'],
  ])('float %p is written %s', (value, text) => {
    expect(formatFloat(value)).toBe(text);
    expect(typeof JSON.parse(text)).toBe('number');
  });

  test('rows keep column order and types; UTF-8 is written as is', () => {
    const write = makeRowWriter([
      { name: 'b', type: 'string' },
      { name: 'a', type: 'float' },
      { name: 'n', type: 'int' },
      { name: 'ok', type: 'bool' },
    ]);
    expect(write({ a: 1, b: 'Hej åäö 😀 "citat"\n\u2028', n: 3, ok: 1, extra: 'ignored' })).toBe(
      '{"b":"Hej åäö 😀 \\"citat\\"\\n\u2028","a":1.0,"n":3,"ok":true}',
    );
  });
});

describe('serializer', () => {
  function batch(): Batch {
    const entries = [newEntry(1, 0, 'p'), newEntry(2, 10, ''), newEntry(3, 11, 'bad'), newEntry(4, 15, 'r')];
    entries[0].channel = 'pairs';
    entries[0].row = { question: 'q', answer: 'a', source: '', persona: 'x/y', validation_score: 1 };
    entries[1].channel = 'blank';
    entries[2].channel = 'errors';
    entries[2].errorCode = 'ERR_JSON_PARSE';
    entries[2].errorMessage = 'nope';
    entries[3].channel = 'rejected';
    entries[3].row = { question: 'q', answer: 'a', source: 's', persona: 'x/y', validation_score: 0.25, failure_reason: '' };
    return { file: 'in.jsonl', entries, endOffset: 20, endLine: 4, fileEnd: false, output: null, stop: null };
  }

  test('writes each channel with exact bytes', () => {
    const out = serializeBatch(batch(), makeJsonlWriters(QA_INTERNAL)).output!;
    expect(out.pairs).toBe('{"question":"q","answer":"a","source":"","persona":"x/y","validation_score":1.0}\n');
    expect(out.rejected).toBe(
      '{"question":"q","answer":"a","source":"s","persona":"x/y","validation_score":0.25,"failure_reason":""}\n',
    );
    expect(out.errors).toBe('{"file":"in.jsonl","line":3,"offset":11,"code":"ERR_JSON_PARSE","error":"nope","raw":"bad"}\n');
  });

  test('fail-fast cuts the batch before the first bad line', () => {
    const cut = serializeBatch(batch(), makeJsonlWriters(QA_INTERNAL), true);
    expect(cut.entries.map((e) => e.line)).toEqual([1, 2]);
    expect(cut.endOffset).toBe(11);
    expect(cut.endLine).toBe(2);
    expect(cut.stop).toEqual({ line: 3, offset: 11, code: 'ERR_JSON_PARSE', message: 'nope' });
    expect(cut.output!.rejected).toBe('');
  });

  test.each([
    [['errors'], ['errors']],
    [['rejected', 'pairs'], ['pairs', 'rejected']],
    [[], []],
  ] as const)('serialize %j: only those outputs are written and present, with the same bytes', (wanted, present) => {
    const all = outputBytes(serializeBatch(batch(), makeJsonlWriters(QA_INTERNAL)).output!);
    const some = outputBytes(serializeBatch(batch(), makeJsonlWriters(QA_INTERNAL), false, null, wanted).output!);
    expect(Object.keys(some)).toEqual(present);
    for (const name of present) expect(some[name].equals(all[name])).toBe(true);
  });

  test('an unrouted entry is a loud internal error, never a silent drop', () => {
    const b = batch();
    b.entries[0].channel = null;
    expect(() => serializeBatch(b, makeJsonlWriters(QA_INTERNAL))).toThrow(/unmapped/);
  });
});

describe('serializer bytes', () => {
  test('output reads as text per output, and outputBytes gives the very bytes, UTF-8', () => {
    const batch: Batch = {
      file: 'u.jsonl',
      entries: [newEntry(1, 0, 'p')],
      endOffset: 2,
      endLine: 1,
      fileEnd: false,
      output: null,
      stop: null,
    };
    batch.entries[0].channel = 'pairs';
    batch.entries[0].row = { question: 'Får jag? 😀', answer: '”Ja” – \u2028', source: '', persona: 'läkare/AT', validation_score: 0.5 };
    const output = serializeBatch(batch, makeJsonlWriters(QA_INTERNAL)).output!;
    const line = '{"question":"Får jag? 😀","answer":"”Ja” – \u2028","source":"","persona":"läkare/AT","validation_score":0.5}\n';
    expect(output).toEqual({ pairs: line, rejected: '', errors: '' });
    expect(outputBytes(output).pairs.equals(Buffer.from(line, 'utf8'))).toBe(true);
    expect(Object.keys(output)).toEqual(['pairs', 'rejected', 'errors']);
  });

  test('texts set by other code are encoded as UTF-8', () => {
    expect(outputBytes({ pairs: 'å\n' }).pairs).toEqual(Buffer.from([0xc3, 0xa5, 0x0a]));
    expect(outputBytes(outputFromBytes({ pairs: Buffer.from('x'), rejected: Buffer.alloc(0), errors: Buffer.alloc(0) })).pairs.toString()).toBe('x');
  });

  test.each([1, 7, 64])('a byte writer grows from %i bytes without losing a byte', (initial) => {
    const writer = new ByteWriter(initial);
    const rows = Array.from({ length: 300 }, (_, i) => `${'😀'.repeat(i % 7)}”${i}”${'x'.repeat(i % 50)}`);
    for (const [i, row] of rows.entries()) {
      if (i % 2) writer.utf8Line(row);
      else writer.latin1Line(Buffer.from(row, 'utf8').toString('latin1'));
    }
    expect(writer.bytes().toString('utf8')).toBe(rows.map((row) => `${row}\n`).join(''));
  });
});
