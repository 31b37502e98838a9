/**
 * The shipped presets (presets/*.yaml, lib/io/presets.ts): every file loads; the
 * qa-internal mapping gives the hand-written preset's bytes; mapped presets give
 * the same bytes with --workers 0 and 2, reach Parquet, CSV and the card with
 * their declared types (read back with DuckDB), and resume byte for byte after
 * a SIGKILL (test/presets-resume.test.ts). (Each preset's pipe-mode bytes:
 * samples/<preset>_mixed.jsonl in test/samples.test.ts.)
 */
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Batch } from '../lib/batch';
import { canUseByteText } from '../lib/input/byte-text';
import { builtinPresets, loadPreset, presetMapping, readPresetFile, withPresetMapping } from '../lib/io/presets';
import { LineScanner } from '../lib/input/lines';
import { PRESET_NAMES, QA_INTERNAL } from '../lib/input/presets';
import { outputBytes } from '../lib/dataset/serialize';
import { makeBatchContext, processBatch } from '../lib/processor';
import { useDuckDb } from './duckdb';
import { ROOT, listFiles, recordLines, runCli, squadLines, thrown, trickyLines } from './helpers';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-presets-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('the shipped preset files', () => {
  test('one YAML per preset name, shipped in the package', () => {
    const files = readdirSync(path.join(ROOT, 'presets')).filter((name) => name.endsWith('.yaml')).map((name) => name.replace(/\.yaml$/, ''));
    expect(files.sort()).toEqual([...PRESET_NAMES].sort());
    expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).files).toContain('presets');
    expect(builtinPresets().map((preset) => preset.name)).toEqual(PRESET_NAMES);
    for (const preset of builtinPresets()) expect(preset.yaml).toBe(readFileSync(preset.file, 'utf8'));
  });

  test.each([
    ['flat-qa', ['question', 'answer', 'source'], true],
    ['squad', ['question', 'answer', 'context', 'answers', 'title', 'id'], true],
    ['documents', ['id', 'text', 'source', 'language', 'url', 'metadata'], true],
    ['messages', ['question', 'answer', 'system', 'turns', 'messages'], false],
  ])('%s: columns %j, byte text %s', (name, columns, byteTransparent) => {
    const preset = loadPreset(name);
    expect(preset.pairColumns.map((column) => column.name)).toEqual(columns);
    expect(preset.byteTransparent).toBe(byteTransparent);
    // Its lines take the byte fast path in pipe mode when the mapping allows it (lib/input/byte-text.ts).
    expect(canUseByteText(preset, preset.schema)).toBe(byteTransparent);
    expect(preset.name).toBe(name);
  });

  test('withPresetMapping fills in a mapped preset’s mapping, the same object each time; qa-internal stays code', () => {
    expect(withPresetMapping({ preset: 'qa-internal' })).toEqual({ preset: 'qa-internal' });
    expect(withPresetMapping({ preset: 'squad' }).mapping).toBe(presetMapping('squad'));
    const own = { columns: { q: 'q' } };
    expect(withPresetMapping({ preset: 'squad', mapping: own }).mapping).toBe(own);
    expect(loadPreset('qa-internal')).toBe(QA_INTERNAL);
    expect(thrown(() => loadPreset('nope')).code).toBe('ERR_OPTION');
  });

  test('a bad preset file names the file and the pointer; a schema path is read relative to the file', async () => {
    const file = path.join(dir, 'bad.yaml');
    await fs.writeFile(file, 'name: bad\ndescription: x\ncolumns:\n  tags: {jsonata: "$join(a"}\n');
    const err = thrown(() => readPresetFile(file));
    expect([err.code, err.file, err.pointer]).toEqual(['ERR_CONFIG', file, '/columns/tags/jsonata']);
    await fs.writeFile(path.join(dir, 'q.schema.json'), JSON.stringify({ type: 'object', required: ['q'] }));
    await fs.writeFile(file, 'name: ok\ndescription: x\ninput: {schema: ./q.schema.json}\ncolumns: {q: q}\n');
    expect(readPresetFile(file).mapping.input).toEqual({ schema: { type: 'object', required: ['q'] } });
  });
});

describe('qa-hf presets', () => {
  test('lists every preset with its description; with a name prints its YAML; an unknown name is a usage error', async () => {
    const list = await runCli(['presets']);
    expect(list.code).toBe(0);
    expect(list.stdout.toString('utf8').split('\n').filter(Boolean).map((line) => line.split(/\s{2,}/))).toEqual(builtinPresets().map((p) => [p.name, p.description]));
    const squad = await runCli(['presets', 'squad']);
    expect(squad.stdout.toString('utf8')).toBe(readFileSync(path.join(ROOT, 'presets/squad.yaml'), 'utf8'));
    const unknown = await runCli(['presets', 'nope']);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'qa-hf: ERR_USAGE: no preset of that name, expected one of qa-internal, flat-qa, squad, documents, messages, segments, got "nope"\n']);
  });
});

describe('qa-internal: the YAML mapping gives the hand-written preset’s bytes', () => {
  const mapping = builtinPresets().find((preset) => preset.name === 'qa-internal')!.mapping;
  const compiled = loadPresetFromMapping();
  function loadPresetFromMapping() {
    return makeBatchContext({ preset: 'qa-internal', mapping }).preset;
  }

  test('same columns, schema and byte transparency', () => {
    expect(compiled).not.toBe(QA_INTERNAL);
    expect([compiled.pairColumns, compiled.rejectedColumns, compiled.schema, compiled.byteTransparent]).toEqual([
      QA_INTERNAL.pairColumns,
      QA_INTERNAL.rejectedColumns,
      QA_INTERNAL.schema,
      true,
    ]);
  });

  const samples = readdirSync(path.join(ROOT, 'samples')).filter((name) => name.startsWith('qa_') && name.endsWith('.jsonl'));
  const lines = [
    ...samples.flatMap((name) => readFileSync(path.join(ROOT, 'samples', name), 'utf8').split('\n')),
    ...recordLines(400, 3),
    ...trickyLines(400, 4),
  ];

  test.each([false, true])('samples/qa_*.jsonl, seeded and tricky lines (byte text %s): same routing and bytes', (byteText) => {
    const run = (options: { mapping?: typeof mapping }) => {
      const batch: Batch = new LineScanner({ file: 't.jsonl', byteText }).push(Buffer.from(`${lines.join('\n')}\n`));
      return processBatch(batch, makeBatchContext({ ...options, keepRows: !byteText }));
    };
    const code = run({});
    const mapped = run({ mapping });
    expect(mapped.entries.map((e) => [e.channel, e.errorCode, e.errorMessage, e.row])).toEqual(code.entries.map((e) => [e.channel, e.errorCode, e.errorMessage, e.row]));
    const [a, b] = [outputBytes(code.output!), outputBytes(mapped.output!)];
    for (const name of ['pairs', 'rejected', 'errors'] as const) {
      expect(a[name]!.length).toBeGreaterThan(0);
      expect(b[name]!.equals(a[name]!)).toBe(true);
    }
  });
});

describe('null where a value is optional is as the field absent (a Python pipeline writes None so)', () => {
  const run = (lines: string[], byteText: boolean, options: Parameters<typeof makeBatchContext>[0]) => {
    const batch: Batch = new LineScanner({ file: 't.jsonl', byteText }).push(Buffer.from(`${lines.join('\n')}\n`));
    const done = processBatch(batch, makeBatchContext({ ...options, keepRows: !byteText }));
    const bytes = outputBytes(done.output!);
    return { pairs: bytes.pairs!.toString('utf8'), rejected: bytes.rejected!.toString('utf8'), errors: done.entries.map((e) => e.errorMessage) };
  };
  const ISSUE_LINE =
    '{"question":"Q1?","answer":"A1","source_document":null,"persona":{"roll":"läkare","erfarenhet":"ny"},"validation":{"composite_score":0.9,"passed":true,"failure_reason":null}}';
  const REJECTED_LINE =
    '{"question":"Q2?","answer":"A2","source_document":null,"persona":{"roll":"läkare","erfarenhet":"ny"},"validation":{"composite_score":0.1,"passed":false,"failure_reason":null}}';
  const qaInternal = builtinPresets().find((preset) => preset.name === 'qa-internal')!.mapping;

  test.each([
    ['the hand-written map', false, {}],
    ['the hand-written map', true, {}],
    ['presets/qa-internal.yaml', false, { mapping: qaInternal }],
    ['presets/qa-internal.yaml', true, { mapping: qaInternal }],
  ])('qa-internal, %s (byte text %s): source "" and failure_reason "", as when absent', (_name, byteText, options) => {
    expect(run([ISSUE_LINE, REJECTED_LINE], byteText, { preset: 'qa-internal', ...options })).toEqual({
      pairs: '{"question":"Q1?","answer":"A1","source":"","persona":"läkare/ny","validation_score":0.9}\n',
      rejected: '{"question":"Q2?","answer":"A2","source":"","persona":"läkare/ny","validation_score":0.1,"failure_reason":""}\n',
      errors: [null, null],
    });
  });

  test.each([false, true])('squad (id, title) and documents (metadata), byte text %s: the defaults, as when absent', (byteText) => {
    const squad = withPresetMapping({ preset: 'squad' });
    expect(run(['{"id":null,"title":null,"context":"C","question":"Q?","answers":{"text":["A"]}}'], byteText, squad).pairs).toBe(
      '{"question":"Q?","answer":"A","context":"C","answers":["A"],"title":"","id":""}\n',
    );
    const documents = withPresetMapping({ preset: 'documents' });
    expect(run(['{"id":"d","text":"T","metadata":null}', '{"id":"e","text":"T"}'], byteText, documents).pairs).toBe(
      '{"id":"d","text":"T","source":"","language":"","url":"","metadata":"{}"}\n{"id":"e","text":"T","source":"","language":"","url":"","metadata":"{}"}\n',
    );
  });
});

describe('mapped presets in pipe mode: --workers 0 and 2 give the same bytes', () => {
  test.each([
    ['squad', () => squadLines(2000, 7)],
    ['messages', () => readFileSync(path.join(ROOT, 'samples/messages_mixed.jsonl'), 'utf8').trim().split('\n').flatMap((line) => Array(40).fill(line) as string[])],
  ])('%s', async (preset, makeLines) => {
    const input = path.join(dir, `${preset}-pipe.jsonl`);
    await fs.writeFile(input, `${makeLines().join('\n')}\n`);
    const run = async (workers: number) => {
      const errors = path.join(dir, `${preset}-w${workers}.errors.jsonl`);
      const result = await runCli([input, '--preset', preset, '--workers', String(workers), '--errors', errors]);
      expect(result.code).toBe(0);
      return { pairs: result.stdout, errors: await fs.readFile(errors), summary: result.stderr };
    };
    const [w0, w2] = [await run(0), await run(2)];
    expect(w0.pairs.length).toBeGreaterThan(10_000);
    expect(w0.summary).toMatch(/ERR_MAPPING/);
    expect(w2.pairs.equals(w0.pairs)).toBe(true);
    expect(w2.errors.equals(w0.errors)).toBe(true);
    expect(w2.summary).toBe(w0.summary);
  });
});

describe('declared types reach Parquet, CSV and the card', () => {
  const duck = useDuckDb();

  test.each([
    ['squad', 'samples/squad_mixed.jsonl', [], { answers: 'VARCHAR[]', question: 'VARCHAR', id: 'VARCHAR' }],
    ['documents', 'samples/documents_mixed.jsonl', ['--split-key', 'id'], { metadata: 'VARCHAR', text: 'VARCHAR' }],
    ['messages', 'samples/messages_mixed.jsonl', [], { turns: 'BIGINT', messages: 'VARCHAR', system: 'VARCHAR' }],
    // null where a value is optional (source_document, failure_reason): strings, "" as when absent.
    ['qa-internal', 'samples/qa_python.jsonl', [], { source: 'VARCHAR', validation_score: 'DOUBLE' }],
  ])('%s', async (preset, input, extra, types) => {
    const out = path.join(dir, `types-${preset}`, 'dataset');
    const result = await runCli(['export', input, '--preset', preset, '--out', out, '-q', '--format', 'jsonl,parquet,csv', '--split', 'train=1', ...extra]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const files = await listFiles(out);
    const parquet = path.join(out, files.find((name) => name.startsWith('parquet/train-'))!);
    const jsonl = path.join(out, files.find((name) => name.startsWith('jsonl/train-'))!);
    const csv = path.join(out, files.find((name) => name.startsWith('csv/train-'))!);
    const described = await duck.query(`DESCRIBE SELECT * FROM read_parquet('${parquet}')`);
    const columnTypes = Object.fromEntries(described.map((row) => [row.column_name, row.column_type]));
    expect(columnTypes).toEqual(expect.objectContaining(types));
    expect(Object.keys(columnTypes)).toEqual(loadPreset(preset).pairColumns.map((column) => column.name));
    // The Parquet rows are the JSONL rows.
    // (DuckDB's JSON rows give a BIGINT as its text.)
    const fromParquet = (await duck.query(`SELECT * FROM read_parquet('${parquet}')`)).map((row) => ('turns' in row ? { ...row, turns: Number(row.turns) } : row));
    const fromJsonl = (await fs.readFile(jsonl, 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(fromParquet).toEqual(fromJsonl);
    // CSV: a list<string> is its JSON text.
    const fromCsv = await duck.query(`SELECT * FROM read_csv('${csv}', header = true, all_varchar = true, allow_quoted_nulls = false)`);
    expect(fromCsv.map((row) => row.question ?? row.text)).toEqual(fromJsonl.map((row) => row.question ?? row.text));
    if (preset === 'squad') expect(fromCsv.map((row) => JSON.parse(row.answers as string))).toEqual(fromJsonl.map((row) => row.answers));
    // The card's features and the Parquet huggingface metadata.
    const card = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    const metadata = await duck.query(`SELECT decode(value) AS value FROM parquet_kv_metadata('${parquet}') WHERE decode(key) = 'huggingface'`);
    if (preset === 'squad') {
      expect(card).toContain('  - name: answers\n    sequence: string\n');
      expect(metadata[0].value).toContain('"answers": {"feature": {"dtype": "string", "_type": "Value"}, "length": -1, "_type": "Sequence"}');
    }
    if (preset === 'messages') {
      expect(card).toContain('  - name: turns\n    dtype: int64\n');
      expect(metadata[0].value).toContain('"turns": {"dtype": "int64", "_type": "Value"}');
    }
    if (preset === 'documents') expect(card).toContain('  - name: metadata\n    dtype: string\n');
    if (preset === 'qa-internal') {
      expect(fromJsonl.map((row) => row.source)).toEqual(['', 'rutiner/gastroskopi.pdf']);
      const rejected = path.join(out, files.find((name) => name.startsWith('rejected/parquet/train-'))!);
      const rejectedRows = await duck.query(`SELECT source, failure_reason FROM read_parquet('${rejected}')`);
      expect(rejectedRows).toEqual([{ source: '', failure_reason: '' }, { source: '', failure_reason: 'faktafel: NSAID undviks vid njursvikt' }]);
      const rejectedTypes = await duck.query(`DESCRIBE SELECT * FROM read_parquet('${rejected}')`);
      expect(rejectedTypes.find((row) => row.column_name === 'failure_reason')?.column_type).toBe('VARCHAR');
    }
  });
});

describe('a mapped preset named by the config file, with the default split key', () => {
  test.each([
    // documents has no question column: the split hashes its first column, id.
    ['documents', 'samples/documents_mixed.jsonl', 'id'],
    ['squad', 'samples/squad_mixed.jsonl', 'question'],
  ])('preset: %s in qa-hf.yaml, input %s: exports, split key %s', async (preset, input, key) => {
    const work = path.join(dir, `config-${preset}`);
    await fs.mkdir(work, { recursive: true });
    const config = path.join(work, 'qa-hf.yaml');
    await fs.writeFile(config, `preset: ${preset}\ninputs: [${path.join(ROOT, input)}]\nout: dataset\nformat: [jsonl, parquet]\nsplit: {train: 0.5, test: 0.5}\n`);
    const result = await runCli(['export', '--config', config, '-q']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const manifest = JSON.parse(await fs.readFile(path.join(work, 'dataset', 'manifest.json'), 'utf8'));
    expect(manifest.options.hub.split_key).toBe(key);
  });
});
