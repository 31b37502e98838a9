import { newEntry, type Batch } from '../lib/batch';
import { parseBatch } from '../lib/input/parse';

function batchOf(lines: string[], lastUnterminated = false): Batch {
  return {
    file: 'f',
    entries: lines.map((text, i) => newEntry(i + 1, i * 10, text, lastUnterminated && i === lines.length - 1)),
    endOffset: lines.length * 10,
    endLine: lines.length,
    fileEnd: false,
    output: null,
    stop: null,
  };
}

describe('json parse', () => {
  test.each([
    ['not json', 'ERR_JSON_PARSE', /Unexpected token/],
    ['{"a":NaN}', 'ERR_JSON_PARSE', /Unexpected token 'N'/],
    ["{'a':1}", 'ERR_JSON_PARSE', /JSON/],
    ['[1,2]', 'ERR_NOT_OBJECT', /got an array/],
    ['"text"', 'ERR_NOT_OBJECT', /got a string/],
    ['42', 'ERR_NOT_OBJECT', /got a number/],
    ['null', 'ERR_NOT_OBJECT', /got null/],
    ['\u0000\u0001\u00ff', 'ERR_JSON_PARSE', /JSON/],
  ])('%j is %s', (text, code, message) => {
    const [entry] = parseBatch(batchOf([text])).entries;
    expect(entry.channel).toBe('errors');
    expect(entry.errorCode).toBe(code);
    expect(entry.errorMessage).toMatch(message);
    expect(entry.errorMessage).not.toMatch(/\n/);
  });

  test('objects are parsed and left for later stages', () => {
    const [entry] = parseBatch(batchOf(['{"a":[1,{"b":"ö"}]}'])).entries;
    expect(entry.channel).toBeNull();
    expect(entry.value).toEqual({ a: [1, { b: 'ö' }] });
  });

  test('an unterminated last line that is not JSON is ERR_TRUNCATED_LINE; a complete one is fine', () => {
    expect(parseBatch(batchOf(['{"a":1}', '{"a":'], true)).entries.map((e) => e.errorCode)).toEqual([null, 'ERR_TRUNCATED_LINE']);
    expect(parseBatch(batchOf(['{"a":1}'], true)).entries[0].errorCode).toBeNull();
  });

  test('100 000-deep nesting is an error or an object, never a crash', () => {
    const deepArray = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const deepObject = `{"question":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    const entries = parseBatch(batchOf([deepArray, deepObject])).entries;
    expect(entries[0].errorCode).toBe('ERR_NOT_OBJECT');
    expect([null, 'ERR_JSON_PARSE']).toContain(entries[1].errorCode);
  });

  test('entries already routed are left alone', () => {
    const batch = batchOf(['', 'x']);
    batch.entries[0].channel = 'blank';
    batch.entries[1].channel = 'errors';
    parseBatch(batch);
    expect(batch.entries.map((e) => e.errorCode)).toEqual([null, null]);
  });
});
