/** lib/input/mapping.ts: paths, templates, JSONata, column types, ERR_MAPPING, ERR_CONFIG pointers, byte transparency. */
import type { Batch, Row } from '../lib/batch';
import { toByteText } from '../lib/input/byte-text';
import { QaHfError } from '../lib/errors';
import { makeRowWriter } from '../lib/dataset/jsonl';
import { LineScanner } from '../lib/input/lines';
import { compileMapping, type MappingSpec, resolvePreset } from '../lib/input/mapping';
import { parsePath } from '../lib/input/mapping-columns';
import { type MapResult, QA_INTERNAL } from '../lib/input/presets';
import { outputBytes } from '../lib/dataset/serialize';
import { fromRemote, toRemote } from '../lib/worker-task';
import { makeBatchContext, processBatch } from '../lib/processor';
import { thrown } from './helpers';

const rowOf = (spec: MappingSpec, record: Record<string, unknown>) => compileMapping(spec, 't').map(record);

/** The row of a result that must not be an error. */
function rowIn(mapped: MapResult): Row {
  if (mapped.channel === 'errors') throw new Error(`expected a row, got ${mapped.message}`);
  return mapped.row;
}

describe('paths', () => {
  test.each([
    ['question', ['question']],
    ['answers.text[0]', ['answers', 'text', 0]],
    ['a[1][2].b', ['a', 1, 2, 'b']],
    ['persona.roll', ['persona', 'roll']],
    ['vård.åtgärd', ['vård', 'åtgärd']],
  ])('%s → %j', (path, keys) => {
    expect(parsePath(path)).toEqual(keys);
  });

  test.each(['', '.a', 'a.', 'a..b', '[0]', 'a.[0]', 'a[x]', 'a[0]b', 'a b', 'a{b}', 'a[-1]'])('%j is not a path', (path) => {
    expect(parsePath(path)).toBeNull();
  });

  test('a path reads nested values and array items; absent anywhere on the way is missing', () => {
    const spec: MappingSpec = { columns: { answer: 'answers.text[1]' } };
    expect(rowOf(spec, { answers: { text: ['a', 'b'] } })).toEqual({ channel: 'pairs', row: { answer: 'b' } });
    for (const record of [{}, { answers: null }, { answers: 'text' }, { answers: { text: ['a'] } }]) {
      expect(rowOf(spec, record)).toEqual({ channel: 'errors', message: 'column answer: path answers.text[1] is missing' });
    }
  });
});

describe('templates', () => {
  test.each([
    ['{title}#{id}', { title: 'Stockholm', id: 7 }, 'Stockholm#7'],
    ['{a}/{b}', { a: 'x', b: true }, 'x/true'],
    ['{{literal}} {a}', { a: 'x' }, '{literal} x'],
    ['{a.b[0]}!', { a: { b: ['å'] } }, 'å!'],
  ])('%s of %j is %j', (template, record, text) => {
    expect(rowOf({ columns: { s: template } }, record)).toEqual({ channel: 'pairs', row: { s: text } });
  });

  test('an absent part uses the default or is ERR_MAPPING; an object part is the wrong type', () => {
    expect(rowOf({ columns: { s: { template: '{a}-{b}', default: '?' } } }, { a: 'x' })).toEqual({ channel: 'pairs', row: { s: '?' } });
    expect(rowOf({ columns: { s: '{a}-{b}' } }, { a: 'x' })).toEqual({ channel: 'errors', message: 'column s: template {a}-{b} is missing' });
    expect(rowOf({ columns: { s: '{a}-{b}' } }, { a: 'x', b: {} })).toEqual({
      channel: 'errors',
      message: 'column s: template {a}-{b} holds a value that is not a string, number or boolean, expected string',
    });
  });
});

describe('column types', () => {
  const spec: MappingSpec = {
    columns: {
      s: 's',
      f: { path: 'f', type: 'float' },
      i: { path: 'i', type: 'int' },
      b: { path: 'b', type: 'bool' },
      l: { path: 'l', type: 'list<string>' },
      j: { path: 'j', type: 'json' },
    },
  };
  const preset = compileMapping(spec, 'types');
  const good = { s: 'x', f: 1, i: 3, b: false, l: ['a', 'ö'], j: { k: [1, null, 'v'] } };

  test('the declared columns and their output types (json is a string column)', () => {
    expect(preset.pairColumns).toEqual([
      { name: 's', type: 'string' },
      { name: 'f', type: 'float' },
      { name: 'i', type: 'int' },
      { name: 'b', type: 'bool' },
      { name: 'l', type: 'list<string>' },
      { name: 'j', type: 'string' },
    ]);
    expect(preset.rejectedColumns).toEqual([...preset.pairColumns, { name: 'failure_reason', type: 'string' }]);
  });

  test('a float stays a float, a list a list, json its JSON text', () => {
    expect(makeRowWriter(preset.pairColumns)(rowIn(preset.map(good)))).toBe('{"s":"x","f":1.0,"i":3,"b":false,"l":["a","ö"],"j":"{\\"k\\":[1,null,\\"v\\"]}"}');
  });

  test.each([
    ['s', 1, 'column s: path s holds a number, expected string'],
    ['f', '1.0', 'column f: path f holds a string, expected float'],
    ['i', 1.5, 'column i: path i holds a number, expected int'],
    ['b', 'true', 'column b: path b holds a string, expected bool'],
    ['l', ['a', 1], 'column l: path l holds an array, expected list<string>'],
    ['l', 'a', 'column l: path l holds a string, expected list<string>'],
    ['s', ['x'], 'column s: path s holds an array, expected string'],
  ])('%s = %j is ERR_MAPPING', (field, value, message) => {
    expect(preset.map({ ...good, [field]: value })).toEqual({ channel: 'errors', message });
  });

  test.each(['s', 'f', 'j'])('%s absent or null, without a default, is ERR_MAPPING naming column and path', (field) => {
    for (const value of [undefined, null]) {
      expect(preset.map({ ...good, [field]: value })).toEqual({ channel: 'errors', message: `column ${field}: path ${field} is missing` });
    }
  });

  test('defaults fill absent and null values, written in the column type', () => {
    const withDefaults = compileMapping(
      { columns: { f: { path: 'f', type: 'float', default: 1 }, j: { path: 'j', type: 'json', default: {} }, l: { path: 'l', type: 'list<string>', default: [] } } },
      'd',
    );
    const mapped = withDefaults.map({ f: null });
    expect(mapped).toEqual({ channel: 'pairs', row: { f: 1, j: '{}', l: [] } });
    expect(makeRowWriter(withDefaults.pairColumns)(rowIn(mapped))).toBe('{"f":1.0,"j":"{}","l":[]}');
  });
});

describe('JSONata', () => {
  test('compiled once, evaluated per record; an absent result is missing, a thrown one ERR_MAPPING', () => {
    const preset = compileMapping(
      {
        columns: {
          tags: { jsonata: "$join(meta.tags, ',')" },
          n: { jsonata: '$count(meta.tags)', type: 'int' },
          upper: { jsonata: 'meta.tags.$uppercase($)', type: 'list<string>' },
          first: { jsonata: "meta.tags[0] & '!'" },
        },
      },
      'j',
    );
    expect(preset.map({ meta: { tags: ['a', 'b'] } })).toEqual({ channel: 'pairs', row: { tags: 'a,b', n: 2, upper: 'A,B'.split(','), first: 'a!' } });
    expect(preset.map({})).toEqual({ channel: 'errors', message: "column tags: jsonata $join(meta.tags, ',') is missing" });
    const failed = preset.map({ meta: { tags: [1, 2] } });
    expect(failed.channel).toBe('errors');
    expect(failed.channel === 'errors' && failed.message).toMatch(/^column tags: jsonata \$join\(meta\.tags, ','\) failed: .+/);
  });

  test('a result of the wrong type is ERR_MAPPING', () => {
    expect(rowOf({ columns: { n: { jsonata: '$count(a)', type: 'bool' } } }, { a: [1] })).toEqual({ channel: 'errors', message: 'column n: jsonata $count(a) holds a number, expected bool' });
  });
});

describe('passed, failure_reason, keep', () => {
  const spec: MappingSpec = { columns: { q: 'q' }, passed: 'v.ok', failure_reason: 'v.why', keep: ['id', 'model', 'meta', 'absent'] };
  const preset = compileMapping(spec, 'k');

  test('kept fields come after the declared columns, as strings; rejected rows end with failure_reason', () => {
    expect(preset.pairColumns.map((c) => [c.name, c.type])).toEqual([['q', 'string'], ['id', 'string'], ['model', 'string'], ['meta', 'string'], ['absent', 'string']]);
    const record = { q: 'Q', id: 7, model: 'gpt', meta: { a: [1] }, v: { ok: true } };
    expect(preset.map(record)).toEqual({ channel: 'pairs', row: { q: 'Q', id: '7', model: 'gpt', meta: '{"a":[1]}', absent: '' } });
    expect(preset.map({ ...record, v: { ok: false, why: 'vag' } })).toEqual({ channel: 'rejected', row: { q: 'Q', id: '7', model: 'gpt', meta: '{"a":[1]}', absent: '', failure_reason: 'vag' } });
    expect(preset.map({ ...record, v: { ok: false } })).toEqual({ channel: 'rejected', row: expect.objectContaining({ failure_reason: '' }) });
  });

  test.each([
    [{}, 'passed: path v.ok is missing'],
    [{ v: { ok: 'yes' } }, 'passed: path v.ok holds a string, expected bool'],
    [{ v: { ok: false, why: 3 } }, 'failure_reason: path v.why holds a number, expected string'],
  ])('%j is ERR_MAPPING', (fields, message) => {
    expect(preset.map({ q: 'Q', ...fields })).toEqual({ channel: 'errors', message });
  });

  test('without passed every record passes', () => {
    expect(compileMapping({ columns: { q: 'q' } }, 'p').map({ q: 'x', validation: { passed: false } }).channel).toBe('pairs');
  });
});

describe('bad specs: ERR_CONFIG with the JSON pointer of the node at fault', () => {
  test.each<[string, unknown, string, RegExp]>([
    ['not an object', ['a'], '', /a mapping must be an object/],
    ['unknown key', { columns: { a: 'a' }, colums: {} }, '/colums', /unknown key in a mapping/],
    ['no columns', { columns: {} }, '/columns', /columns must map/],
    ['bad path', { columns: { answer: 'answers..text' } }, '/columns/answer', /bad path/],
    ['bad path in an object', { columns: { answer: { path: 'a[x]' } } }, '/columns/answer/path', /bad path/],
    ['bad JSONata', { columns: { tags: { jsonata: "$join(meta.tags, ','" } } }, '/columns/tags/jsonata', /bad JSONata at character \d+: Expected "\)"/],
    ['unknown type', { columns: { s: { path: 's', type: 'text' } } }, '/columns/s/type', /unknown column type, expected one of string, float, int, bool, list<string>, json, got "text"/],
    ['default of the wrong type', { columns: { f: { path: 'f', type: 'float', default: 'one' } } }, '/columns/f/default', /default must be a float/],
    ['two ways', { columns: { s: { path: 's', jsonata: 's' } } }, '/columns/s', /exactly one of path, template, jsonata/],
    ['unknown column key', { columns: { s: { paht: 's' } } }, '/columns/s/paht', /unknown key in a column/],
    ['a template of another type', { columns: { s: { template: '{a}', type: 'int' } } }, '/columns/s/type', /a template makes a string/],
    ['a lone brace', { columns: { s: 'a}b' } }, '/columns/s', /lone }/],
    ['an unclosed brace', { columns: { s: '{a' } }, '/columns/s', /without its }/],
    ['a column named failure_reason', { columns: { failure_reason: 'r' } }, '/columns/failure_reason', /not failure_reason/],
    ['a column name with a slash', { columns: { 'a/b': 'x y' } }, '/columns/a~1b', /bad path/],
    ['keep colliding with a column', { columns: { id: 'id' }, keep: ['model', 'id'] }, '/keep/1', /already a column/],
    ['keep with a path', { columns: { q: 'q' }, keep: ['meta.id'] }, '/keep/0', /top-level input fields/],
    ['bad passed path', { columns: { q: 'q' }, passed: 'v..ok' }, '/passed', /bad path/],
    ['bad failure_reason', { columns: { q: 'q' }, failure_reason: 3 }, '/failure_reason', /must be a string/],
    ['a schema path not loaded', { input: { schema: './s.json' }, columns: { q: 'q' } }, '/input/schema', /loaded by the config reader/],
    ['unknown input key', { input: { shema: {} }, columns: { q: 'q' } }, '/input/shema', /unknown key in input/],
  ])('%s', (_what, spec, pointer, message) => {
    const err = thrown(() => compileMapping(spec as MappingSpec, 'bad'));
    expect(err).toBeInstanceOf(QaHfError);
    expect([err.code, err.pointer]).toEqual(['ERR_CONFIG', pointer]);
    expect(err.message).toMatch(message);
    expect(err.toLine()).toBe(`${pointer || '/'}: ERR_CONFIG: ${err.message}`);
    expect(err.message).not.toContain('\n');
  });
});

test('an ERR_CONFIG crossing a thread boundary keeps its pointer', () => {
  const err = thrown(() => compileMapping({ columns: { a: { path: 'a', type: 'text' as never } } }, 'x'));
  const back = fromRemote(structuredClone(toRemote(err))) as QaHfError;
  expect([back.code, back.pointer, back.message]).toEqual(['ERR_CONFIG', '/columns/a/type', err.message]);
});

describe('byte transparency', () => {
  test.each<[string, MappingSpec, boolean]>([
    ['paths and ASCII templates', { columns: { q: 'q', s: '{a}/{b.c}', f: { path: 'f', type: 'float', default: 0.5 }, j: { path: 'j', type: 'json' } }, keep: ['id'] }, true],
    ['a JSONata column', { columns: { q: 'q', n: { jsonata: '$count(a)', type: 'int' } } }, false],
    ['a non-ASCII template literal', { columns: { s: '{a} – {b}' } }, false],
    ['a non-ASCII key', { columns: { s: 'vård' } }, false],
    ['a non-ASCII default', { columns: { s: { path: 's', default: 'okänd' } } }, false],
    ['a non-ASCII passed path', { columns: { s: 's' }, passed: 'godkänd' }, false],
  ])('%s: %s', (_what, spec, transparent) => {
    expect(compileMapping(spec, 't').byteTransparent).toBe(transparent);
  });
});

describe('processing with a mapping', () => {
  /** The batch the splitter makes of `lines`, as byte text or decoded. */
  function splitBatch(lines: string[], byteText: boolean): Batch {
    return new LineScanner({ file: 't.jsonl', byteText }).push(Buffer.from(`${lines.join('\n')}\n`));
  }
  const spec: MappingSpec = { columns: { question: 'question', answer: 'answers.text[0]', title: { path: 'title', default: '' } }, keep: ['id'] };
  const lines = [
    '{"question":"Vad?","answers":{"text":["Så här."]},"title":"Åtgärd","id":"a1"}',
    '{"question":"Why\\u00e5?","answers":{"text":["because"]},"id":2}',
    '{"question":"No answer","answers":{"text":[]},"id":"a3"}',
    '{"question":"Wrong type","answers":{"text":[7]},"id":"a4"}',
    'not json',
  ];

  test.each([false, true])('ERR_MAPPING lines go to the dead letter with line and offset (byte text %s)', (byteText) => {
    const batch = processBatch(splitBatch(lines, byteText), makeBatchContext({ mapping: spec, keepRows: false }));
    expect(batch.entries.map((e) => e.channel)).toEqual(['pairs', 'pairs', 'errors', 'errors', 'errors']);
    const bytes = outputBytes(batch.output!);
    expect(bytes.pairs!.toString('utf8')).toBe('{"question":"Vad?","answer":"Så här.","title":"Åtgärd","id":"a1"}\n{"question":"Whyå?","answer":"because","title":"","id":"2"}\n');
    const errors = bytes.errors!.toString('utf8').trim().split('\n').map((row) => JSON.parse(row));
    expect(errors.slice(0, 2)).toEqual([
      { file: 't.jsonl', line: 3, offset: Buffer.byteLength(`${lines.slice(0, 2).join('\n')}\n`), code: 'ERR_MAPPING', error: 'column answer: path answers.text[0] is missing', raw: lines[2] },
      { file: 't.jsonl', line: 4, offset: Buffer.byteLength(`${lines.slice(0, 3).join('\n')}\n`), code: 'ERR_MAPPING', error: 'column answer: path answers.text[0] holds a number, expected string', raw: lines[3] },
    ]);
  });

  test('a lone surrogate in a list<string> item is ERR_LONE_SURROGATE, as in a string column', () => {
    const listed: MappingSpec = { columns: { answers: { path: 'answers.text', type: 'list<string>' } } };
    const batch = processBatch(splitBatch(['{"answers":{"text":["ok","\\ud800"]}}', '{"answers":{"text":["ok"]}}'], false), makeBatchContext({ mapping: listed }));
    expect(batch.entries.map((e) => [e.channel, e.errorCode, e.errorMessage])).toEqual([
      ['errors', 'ERR_LONE_SURROGATE', 'answers holds a lone UTF-16 surrogate, which UTF-8 cannot encode'],
      ['pairs', null, null],
    ]);
  });

  test('the spec is plain data: a structured clone compiles to the same preset', () => {
    const clone = structuredClone(spec);
    expect(resolvePreset({ mapping: clone }).pairColumns).toEqual(resolvePreset({ mapping: spec }).pairColumns);
    expect(resolvePreset({ mapping: spec })).toBe(resolvePreset({ mapping: spec })); // compiled once per spec
    expect(resolvePreset({ mapping: spec }).name).toBe('config');
    expect(resolvePreset({})).toBe(QA_INTERNAL);
  });

  test('byte text of a mapped row is the byte text of the decoded row', () => {
    const preset = compileMapping(spec, 't');
    const line = lines[0];
    const decoded = rowIn(preset.map(JSON.parse(line)));
    const bytes = rowIn(preset.map(JSON.parse(toByteText(line))));
    expect(Object.values(bytes)).toEqual(Object.values(decoded).map((value) => toByteText(value as string)));
  });
});
