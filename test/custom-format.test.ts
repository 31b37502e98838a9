/**
 * Custom output formats: lib/dataset/custom-format.ts's checks on a module's exports and on
 * every row it returns (in-process), then modules loaded by the export command
 * (`formats` as plain data, test/export-runner.ts): the sample ESM module and a
 * CommonJS one to exact bytes with their features in the card; a module that
 * throws, leaves out a declared column or returns a wrong type stops the run with
 * one line naming the module, the column and the input line, and leaves the
 * previous export in the folder as it was.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkFormatModule, makeCustomFormatter } from '../lib/dataset/custom-format';
import { dataFiles, runExport } from './export-runner';
import { readJson, thrown } from './helpers';

const SPEC = { name: 'mine', module: './mine.mjs' };
const COLUMNS = [
  { name: 'q', type: 'string' },
  { name: 'score', type: 'float' },
  { name: 'n', type: 'int' },
  { name: 'ok', type: 'bool' },
];
const WHERE = { file: 'qa.jsonl', line: 7, byteOffset: 1234 };

describe('checkFormatModule: what a module exports', () => {
  test('ESM named exports, a default export and CommonJS module.exports (as import() gives it) are all read', () => {
    const row = () => ({});
    const format = { name: 'mine', columns: COLUMNS, row };
    for (const exported of [format, { default: format }, { default: format, 'module.exports': format }]) {
      const checked = checkFormatModule(SPEC, exported, 'abc');
      expect([checked.name, checked.moduleName, checked.columns, checked.row, checked.sha256]).toEqual(['mine', 'mine', COLUMNS, row, 'abc']);
    }
  });

  test.each([
    [{ columns: COLUMNS, row: () => ({}) }, 'format mine (./mine.mjs): exports no name (a non-empty string), got undefined'],
    [{ name: 'm', columns: COLUMNS }, 'format mine (./mine.mjs): exports no row function, got "undefined"'],
    [{ name: 'm', columns: [], row: () => ({}) }, 'format mine (./mine.mjs): columns must be a non-empty list of {name, type}, got []'],
    [{ name: 'm', columns: [{ name: 'a b', type: 'string' }], row: () => ({}) }, 'format mine (./mine.mjs): columns[0].name must be a column name (letters, digits, _), got "a b"'],
    [{ name: 'm', columns: [{ name: 'a', type: 'text' }], row: () => ({}) }, 'format mine (./mine.mjs): column a: type must be one of string, float, int, bool, got "text"'],
    [{ name: 'm', columns: [{ name: 'a', type: 'int' }, { name: 'a', type: 'int' }], row: () => ({}) }, 'format mine (./mine.mjs): columns lists a twice'],
  ])('%j', (exported, message) => {
    const err = thrown(() => checkFormatModule(SPEC, exported));
    expect([err.code, err.message]).toEqual(['ERR_FORMAT_MODULE', message]);
  });
});

describe('makeCustomFormatter: every row checked', () => {
  const format = (row: (r: Record<string, unknown>) => unknown) => makeCustomFormatter(checkFormatModule(SPEC, { name: 'mine', columns: COLUMNS, row }));

  test('a good row: declared order, floats as floats, whatever order row() used', () => {
    const line = format((r) => ({ ok: true, n: 3, score: 1, q: r.question }));
    expect(line({ question: 'Hur "ofta"?' }, WHERE)).toBe('{"q":"Hur \\"ofta\\"?","score":1.0,"n":3,"ok":true}');
  });

  test.each([
    [
      () => {
        throw new Error('boom\nsecond line');
      },
      'row() threw: boom',
    ],
    [() => ({ q: 'x', score: 1, ok: true }), 'column n is missing from what row() returned'],
    [() => ({ q: 'x', score: '1', n: 1, ok: true }), 'column score (float) must be a finite number, got "1"'],
    [() => ({ q: 'x', score: 1, n: 1.5, ok: true }), 'column n (int) must be an integer, got 1.5'],
    [() => ({ q: 3, score: 1, n: 1, ok: true }), 'column q (string) must be a string, got 3'],
    [() => ({ q: '\ud800', score: 1, n: 1, ok: true }), 'column q (string) holds a lone UTF-16 surrogate, which UTF-8 cannot encode, got "\\ud800"'],
    [() => ({ q: 'x', score: 1, n: 1, ok: 'yes' }), 'column ok (bool) must be a boolean, got "yes"'],
    [() => ({ q: 'x', score: 1, n: 1, ok: true, extra: 1 }), 'row() returned column extra, which columns does not declare'],
    [() => ['x'], 'row() must return an object, got an array'],
    [() => 'x', 'row() must return an object, got "x"'],
    [() => undefined, 'row() must return an object, got undefined'],
  ])('%s → one line naming the module, the column and the input line', (row, message) => {
    const err = thrown(() => format(row as (r: Record<string, unknown>) => unknown)({ question: 'q' }, WHERE));
    expect([err.code, err.toLine()]).toEqual(['ERR_FORMAT_MODULE', `qa.jsonl:7 (offset 1234): ERR_FORMAT_MODULE: format mine (./mine.mjs): ${message}`]);
  });
});

describe('through the export command', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-custom-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });
  const INPUT = 'samples/qa_mixed.jsonl';

  test('the sample ESM module: its own config, exact bytes, its features in the card; jsonl beside it unchanged', async () => {
    const out = path.join(dir, 'out');
    const run = await runExport({ inputs: [INPUT], out, preset: 'qa-internal', formats: { jsonl: {}, mine: { module: 'samples/formats/mine.mjs' } } });
    expect([run.code, run.stderr]).toEqual([0, '']);
    const pairs = (await fs.readFile(path.join(out, 'jsonl/train-00000-of-00001.jsonl'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line));
    const expected = pairs.map((row) => `{"q":${JSON.stringify(row.question)},"a":${JSON.stringify(row.answer)},"n_chars":${[...row.answer].length}}\n`).join('');
    expect(pairs.length).toBe(2);
    expect(await fs.readFile(path.join(out, 'mine/train-00000-of-00001.jsonl'), 'utf8')).toBe(expected);
    const card = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain('- config_name: mine\n  data_files:\n  - split: train\n    path: mine/train-*\n');
    expect(card).toContain('- config_name: mine\n  features:\n  - name: q\n    dtype: string\n  - name: a\n    dtype: string\n  - name: n_chars\n    dtype: int64\n');
    const manifest = await readJson(path.join(out, 'manifest.json'));
    expect(manifest.options.hub.custom_formats).toEqual([{ name: 'mine', module: 'samples/formats/mine.mjs', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });

  test('a CommonJS module alone: no jsonl config, only its own', async () => {
    const module = path.join(dir, 'upper.cjs');
    await fs.writeFile(module, "module.exports = { name: 'upper', columns: [{ name: 'Q', type: 'string' }], row: (r) => ({ Q: r.question.toUpperCase() }) };\n");
    const out = path.join(dir, 'out');
    const run = await runExport({ inputs: [INPUT], out, preset: 'qa-internal', formats: { upper: { module } } });
    expect([run.code, run.stderr]).toEqual([0, '']);
    expect(Object.keys(await dataFiles(out))).toEqual(['README.md', 'qa_errors.jsonl', 'report.html', 'report.json', 'upper/train-00000-of-00001.jsonl']);
    expect(await fs.readFile(path.join(out, 'upper/train-00000-of-00001.jsonl'), 'utf8')).toMatch(/^\{"Q":"[^"a-zåäö]+"\}\n\{"Q":"[^"a-zåäö]+"\}\n$/);
  });

  test.each([
    ['throws', 'row() { throw new Error("no " + "way"); }', 'row() threw: no way'],
    ['omits a declared column', 'row(r) { return { q: r.question }; }', 'column n is missing from what row() returned'],
    ['returns a wrong type', 'row(r) { return { q: r.question, n: "three" }; }', 'column n (int) must be an integer, got "three"'],
  ])('a module that %s: one line naming it, the column and the input line; exit 1; the previous export stays as it was', async (_what, row, message) => {
    const module = path.join(dir, 'bad.mjs');
    await fs.writeFile(module, `export default { name: 'bad', columns: [{ name: 'q', type: 'string' }, { name: 'n', type: 'int' }], ${row} };\n`);
    const out = path.join(dir, 'out');
    expect((await runExport({ inputs: [INPUT], out, preset: 'qa-internal', format: 'jsonl,csv' })).code).toBe(0);
    const before = await dataFiles(out);
    const run = await runExport({ inputs: [INPUT], out, preset: 'qa-internal', format: 'jsonl,csv', formats: { bad: { module } } });
    // The first passed pair is line 1 of qa_mixed.jsonl.
    expect([run.code, run.stderr]).toEqual([1, `qa-hf: ${INPUT}:1 (offset 0): ERR_FORMAT_MODULE: format bad (${module}): ${message}\n`]);
    // The final files are the previous export's, byte for byte; this run's work stays under hidden names (checkpoint, temp shards), as after any failed run.
    const visible = (files: Record<string, string>) => Object.fromEntries(Object.entries(files).filter(([name]) => !name.split('/').some((part) => part.startsWith('.'))));
    expect(visible(await dataFiles(out))).toEqual(visible(before));
    expect(Object.keys(before).filter((name) => name.startsWith('.'))).toEqual([]);
    expect((await fs.readdir(out)).filter((name) => name === 'bad')).toEqual([]);
  });

  test('a module that cannot be loaded, or exports the wrong shape: one line before anything is read', async () => {
    const missing = await runExport({ inputs: [INPUT], out: path.join(dir, 'a'), formats: { gone: { module: path.join(dir, 'gone.mjs') } }, preset: 'qa-internal' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(new RegExp(`^qa-hf: ERR_FORMAT_MODULE: format gone \\(${dir}/gone\\.mjs\\): cannot load the module: .*no such file or directory.*\\n$`));
    const shape = path.join(dir, 'shape.mjs');
    await fs.writeFile(shape, 'export const name = "shape"; export const columns = [{ name: "q", type: "string" }];\n');
    const run = await runExport({ inputs: [INPUT], out: path.join(dir, 'b'), formats: { shape: { module: shape } }, preset: 'qa-internal' });
    expect([run.code, run.stderr]).toEqual([1, `qa-hf: ERR_FORMAT_MODULE: format shape (${shape}): exports no row function, got "undefined"\n`]);
    await expect(fs.access(path.join(dir, 'b'))).rejects.toThrow();
  });

  test.each([
    [{ jsonl: { module: 'x.mjs' } }, 'option formats.jsonl: a custom format needs a name of its own (letters, digits, _ and -; not a built-in format, default or rejected), got "jsonl"'],
    [{ mine: {} }, 'option formats.mine is not a built-in format (jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion, kto, dpo); a custom one needs {module: path}, got {}'],
    [{ mine: { module: 3 } }, 'option formats.mine.module must be a file path, got 3'],
    [{ mine: { module: 'x.mjs', kind: 'a' } }, 'option formats.mine takes only module, got {"module":"x.mjs","kind":"a"}'],
    [['jsonl'], 'option formats must map format names to {} or {module: path}, got ["jsonl"]'],
  ])('formats %j: ERR_OPTION, exit 2', async (formats, message) => {
    const run = await runExport({ inputs: [INPUT], out: path.join(dir, 'c'), formats, preset: 'qa-internal' });
    expect([run.code, run.stderr]).toEqual([2, `qa-hf: ERR_OPTION: ${message}\n`]);
  });
});
