import { type Batch, newEntry } from '../lib/batch';
import { canUseByteText, fromByteText, isByteSafeSchema, needsDecoding, toByteText } from '../lib/input/byte-text';
import { makeByteRowWriter, makeRowWriter } from '../lib/dataset/jsonl';
import { LineScanner } from '../lib/input/lines';
import { isCanonicalLiteral, LiteralLocator } from '../lib/input/literals';
import { mapBatch } from '../lib/input/map';
import { parseBatch } from '../lib/input/parse';
import { QA_INTERNAL } from '../lib/input/presets';
import { compileSchema, validateBatch } from '../lib/input/schema';
import { makeJsonlWriters, outputBytes, serializeBatch } from '../lib/dataset/serialize';
import { makeBatchContext, processBatch } from '../lib/processor';
import { recordLines, trickyLines } from './helpers';

/** The batch the splitter makes of `lines`, as byte text or decoded. */
function splitBatch(lines: string[], byteText: boolean): Batch {
  const scanner = new LineScanner({ file: 't.jsonl', byteText });
  const batch = scanner.push(Buffer.from(`${lines.join('\n')}\n`));
  return batch;
}

/** The four separate stage functions, as the classic chain runs them. */
function classic(lines: string[], failFast = false): Batch {
  const batch = splitBatch(lines, false);
  parseBatch(batch);
  validateBatch(batch, compileSchema(QA_INTERNAL.schema));
  mapBatch(batch, QA_INTERNAL);
  return serializeBatch(batch, makeJsonlWriters(QA_INTERNAL), failFast);
}

const routing = (batch: Batch) => batch.entries.map((e) => [e.line, e.channel, e.errorCode, e.errorMessage]);
const bytesOf = (batch: Batch) => outputBytes(batch.output!);

describe('byte text', () => {
  test('φ and φ⁻¹ round-trip any well-formed text', () => {
    for (const text of ['', 'ascii', 'vårdplan 🩺', '”–”', '\u2028\u00a0', '中文']) {
      expect(fromByteText(toByteText(text))).toBe(text);
      expect(Buffer.from(toByteText(text), 'latin1').equals(Buffer.from(text, 'utf8'))).toBe(true);
    }
  });

  test('a \\u escape needs decoding; other escapes do not', () => {
    expect(needsDecoding('{"a":"\\u00e5"}')).toBe(true);
    expect(needsDecoding('{"a":"\\n\\"\\/"}')).toBe(false);
  });

  test('the qa-internal preset and schema may use byte text', () => {
    expect(QA_INTERNAL.byteTransparent).toBe(true);
    expect(isByteSafeSchema(QA_INTERNAL.schema)).toBe(true);
    expect(canUseByteText(QA_INTERNAL, QA_INTERNAL.schema)).toBe(true);
  });

  test.each([
    ['another name, byteTransparent true', { name: 'other', byteTransparent: true }, true],
    ['the same name, byteTransparent false', { byteTransparent: false }, false],
  ])('byte text follows the preset field, not its name: %s', (_label, change, expected) => {
    expect(canUseByteText({ ...QA_INTERNAL, ...change }, QA_INTERNAL.schema)).toBe(expected);
  });

  test.each([
    [{ type: 'string', minLength: 1, maxLength: 5 }, true],
    [{ enum: ['a', 1, null, { b: ['c'] }] }, true],
    [{ definitions: { s: { type: 'string' } }, properties: { a: { $ref: '#/definitions/s' } } }, true],
    [{ anyOf: [{ type: 'string' }, { type: 'number', minimum: 0 }] }, true],
    [{ type: 'string', minLength: 2 }, false],
    [{ type: 'string', pattern: '^a' }, false],
    [{ type: 'string', format: 'date' }, false],
    [{ properties: { fråga: { type: 'number' } } }, false],
    [{ required: ['fråga'] }, false],
    [{ enum: ['läkare'] }, false],
    [{ const: 'Ã¤' }, false],
    [{ oneOf: [{ type: 'string' }] }, false],
    [{ not: { type: 'string' } }, false],
    [{ if: { type: 'string' }, then: { maxLength: 1 } }, false],
    [{ $ref: 'https://example.com/s.json' }, false],
    [{ propertyNames: { maxLength: 3 } }, false],
  ])('schema %j is byte-safe: %s', (schema, safe) => {
    expect(isByteSafeSchema(schema)).toBe(safe);
  });
});

describe('literal locator', () => {
  const locate = (line: string, paths: string[][]) => {
    const locator = new LiteralLocator(paths);
    if (!locator.locate(line)) return null;
    return paths.map((_, slot) => (locator.start(slot) < 0 ? null : line.slice(locator.start(slot), locator.end(slot))));
  };

  test('finds top-level and nested string literals, whatever the spacing', () => {
    const line = ' { "a" : "x\\"y" ,"n":{"b":"]}\\\\","c" :"z"}, "d":[1,{"a":"no"}], "e":"last"} ';
    expect(locate(line, [['a'], ['n', 'c'], ['e'], ['n', 'b'], ['missing']])).toEqual(['"x\\"y"', '"z"', '"last"', '"]}\\\\"', null]);
  });

  test('the last of duplicate keys wins, nested keys included, as in JSON.parse', () => {
    expect(locate('{"a":"1","a":"2"}', [['a']])).toEqual(['"2"']);
    expect(locate('{"a":"1","a":2}', [['a']])).toEqual([null]);
    expect(locate('{"v":{"r":"1"},"v":{}}', [['v', 'r']])).toEqual([null]);
    expect(locate('{"v":{"r":"1"},"v":{"r":"2"}}', [['v', 'r']])).toEqual(['"2"']);
  });

  test('a key written with an escape makes the line unreadable (it may spell a wanted key)', () => {
    expect(locate('{"question":"1","\\u0071uestion":"2"}', [['question']])).toBeNull();
    expect(locate('{"other\\n":"1","question":"2"}', [['question']])).toBeNull();
  });

  test('a literal is canonical unless it holds \\/', () => {
    const canonical = (literal: string) => isCanonicalLiteral(literal, 0, literal.length);
    expect(canonical('"a\\"b\\\\c\\n\\t\\b\\f\\r"')).toBe(true);
    expect(canonical('"a\\\\/"')).toBe(true);
    expect(canonical('"a\\/"')).toBe(false);
    for (const literal of ['"a\\"b\\\\c\\n\\t\\b\\f\\r"', '"a\\\\/"']) expect(JSON.stringify(JSON.parse(literal))).toBe(literal);
  });

  test('the byte-row writer copies canonical literals and writes what makeRowWriter writes', () => {
    const columns = [...QA_INTERNAL.rejectedColumns];
    const write = makeRowWriter(columns);
    const writeBytes = makeByteRowWriter(columns);
    const tricky = trickyLines(4000, 5); // most hold a \u escape or a non-string field: ~130 are left to compare
    const compared = { tricky: 0, records: 0 };
    for (const [index, line] of [...tricky, ...recordLines(100, 5)].entries()) {
      if (needsDecoding(line)) continue;
      let record: Record<string, any>;
      try {
        record = JSON.parse(line);
        if (typeof record.question !== 'string' || typeof record.answer !== 'string') continue;
      } catch {
        continue;
      }
      const byteLine = toByteText(line);
      const byteRecord = JSON.parse(byteLine) as Record<string, any>;
      const { row: byteRow } = QA_INTERNAL.map({ ...byteRecord, validation: { ...byteRecord.validation, composite_score: 0.5 } });
      const { row } = QA_INTERNAL.map({ ...record, validation: { ...record.validation, composite_score: 0.5 } });
      row.failure_reason ??= '';
      byteRow.failure_reason ??= '';
      expect(fromByteText(writeBytes(byteRow, byteRecord, byteLine))).toBe(write(row));
      compared[index < tricky.length ? 'tricky' : 'records']++;
    }
    // Lines are skipped above (escapes, non-string fields, bad JSON): enough of both kinds must be left to compare.
    expect(compared.records).toBe(100);
    expect(compared.tricky).toBeGreaterThan(100);
  });
});

describe('batch processor', () => {
  const context = makeBatchContext({ keepRows: true });
  const lean = makeBatchContext({ keepRows: false });
  const lines = [
    ...recordLines(20, 12),
    ...trickyLines(600, 11),
    ...recordLines(300, 11),
    'not json', '[1]', '{"question":"x"}', '', '  ', '{"question":"\\u00e5"', '{"question":"å"',
  ];

  test.each([false, true])('byte text or not, the output bytes and routing are the classic chain’s (failFast %s)', (failFast) => {
    const expected = classic(lines, failFast);
    for (const byteText of [false, true]) {
      for (const ctx of [context, lean]) {
        const batch = processBatch(splitBatch(lines, byteText), { ...ctx, failFast });
        expect(routing(batch)).toEqual(routing(expected));
        expect(batch.stop).toEqual(expected.stop);
        for (const name of ['pairs', 'rejected', 'errors'] as const) expect(bytesOf(batch)[name].equals(bytesOf(expected)[name])).toBe(true);
      }
    }
    // Neither side is empty: the comparison above could not pass vacuously.
    expect(bytesOf(expected)[failFast ? 'pairs' : 'errors'].length).toBeGreaterThan(0);
    expect(failFast ? expected.stop : bytesOf(expected).rejected.length).toBeTruthy();
  });

  test('kept rows and texts are decoded; error entries always carry the decoded line', () => {
    const expected = classic(lines);
    const batch = processBatch(splitBatch(lines, true), context);
    expect(batch.entries.map((e) => [e.text, e.row])).toEqual(expected.entries.map((e) => [e.text, e.row]));
    const leanBatch = processBatch(splitBatch(lines, true), lean);
    leanBatch.entries.forEach((entry, i) => {
      if (entry.channel === 'pairs' || entry.channel === 'rejected') expect([entry.text, entry.row]).toEqual(['', null]);
      else expect(entry.text).toBe(expected.entries[i].text);
    });
  });

  test('a byte-text batch is refused by the separate parser, which would write mojibake', () => {
    expect(() => parseBatch(splitBatch(['{"a":"å"}'], true))).toThrow(/byte-text batch/);
  });

  test('bad options are refused up front', () => {
    expect(() => makeBatchContext({ preset: 'nope' })).toThrow(/unknown preset/);
    expect(() => makeBatchContext({ keepRows: 'yes' as unknown as boolean })).toThrow('option keepRows must be a boolean, got "yes"');
    expect(() => makeBatchContext({ schema: { type: 'nonsense' } })).toThrow(/schema does not compile/);
  });
});

test('an entry built by hand keeps working with the processor (no splitter marker)', () => {
  const batch: Batch = {
    file: 'h',
    entries: [newEntry(1, 0, recordLines(1, 3)[0])],
    endOffset: 10,
    endLine: 1,
    fileEnd: false,
    output: null,
    stop: null,
  };
  processBatch(batch, makeBatchContext());
  expect(batch.entries[0].channel).toMatch(/pairs|rejected/);
});
