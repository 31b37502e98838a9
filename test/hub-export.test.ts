/**
 * qa-hf export in the Hub layout, end to end in child processes: every format in
 * one pass, read back with DuckDB through the card's own data_files globs; exact
 * counts; split invariants (no key in two splits, ratios, a grown corpus keeps
 * every record in its split); --min-score; gzip and its levels; zstd (.jsonl.zst,
 * .csv.zst, the zstd codec inside Parquet) read back through the card; usage errors.
 * One plain export of the whole corpus is the reference: the grown corpus of the split
 * test, and the text the gzip and zstd exports (the same options) decompress to.
 * SIGKILL and resume in the Hub layout: test/hub-resume.test.ts (a file of its own, so
 * the two jest workers share the Hub layout's time).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { decompress as zstdDecompress } from 'zstd-napi';
import { QA_INTERNAL } from '../lib/input/presets';
import { normalizeSplitKey } from '../lib/dataset/split';
import { hubOptionsRecord, normalizeHubOptions } from '../lib/dataset/plan';
import { useDuckDb } from './duckdb';
import { listFiles, readJson, runCli } from './helpers';
import { ALL_FORMATS, SPLIT, corpusLines } from './hub-corpus';

const MIN_SCORE = 0.3;
/**
 * The options of the plain export of the whole corpus, and of the gzip and zstd exports that decompress to its bytes
 * (sharegpt first: --format's order is not the written one). 300KB shards: several per format and
 * split; a checkpoint every 1000 lines: several gzip members and zstd frames per shard.
 */
const ARGS = ['--format', 'sharegpt,' + ALL_FORMATS.replace(',sharegpt', ''), '--split', SPLIT, '--seed', '7', '--stratify-by', 'source', '--max-shard-size', '300KB',
  '--min-score', String(MIN_SCORE), '--system-prompt', 'Du är en vårdassistent. 🩺', '--checkpoint-lines', '1000'];
/** ARGS with --format FORMATS instead (without --system-prompt when they hold no chat format: it would be refused). */
function withFormats(formats: string): string[] {
  const args = ARGS.map((arg, i) => (ARGS[i - 1] === '--format' ? formats : arg));
  if (!/messages|alpaca|sharegpt/.test(formats)) args.splice(args.indexOf('--system-prompt'), 2);
  return args;
}
/** A gzip member's first bytes as zlib writes them: magic, deflate, no flags, no mtime (a false match inside compressed data is possible but not in these seeded files). */
const GZIP_MEMBER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00]);

let dir: string;
let corpus: string;
/** The plain export of the whole corpus with ARGS (written in the file's second beforeAll). */
let out: string;
const { query } = useDuckDb();

interface Expected {
  pairs: Array<Record<string, unknown>>;
  rejected: Array<Record<string, unknown>>;
  errors: number;
}

function expectedRows(lines: string[], minScore?: number): Expected {
  const expected: Expected = { pairs: [], rejected: [], errors: 0 };
  for (const line of lines) {
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      expected.errors++;
      continue;
    }
    if (Array.isArray(record)) {
      expected.errors++;
      continue;
    }
    const { channel, row } = QA_INTERNAL.map(record as Record<string, unknown>);
    if (channel === 'pairs' && minScore !== undefined && (row.validation_score as number) < minScore) {
      expected.rejected.push({ ...row, failure_reason: 'below_min_score' });
    } else expected[channel].push(row);
  }
  return expected;
}

function sqlPath(file: string): string {
  return file.replace(/'/g, "''");
}

/** DuckDB reader of a format's files. */
function reader(format: string, pattern: string | string[]): string {
  const files = `[${(Array.isArray(pattern) ? pattern : [pattern]).map((file) => `'${sqlPath(file)}'`).join(', ')}]`;
  if (format === 'parquet') return `read_parquet(${files}, filename = true)`;
  if (format === 'csv') return `read_csv(${files}, header = true, allow_quoted_nulls = false, filename = true)`;
  return `read_json(${files}, format = 'newline_delimited', filename = true)`;
}

async function columnTypes(source: string): Promise<Record<string, string>> {
  const rows = await query(`DESCRIBE SELECT * EXCLUDE (filename) FROM ${source}`);
  return Object.fromEntries(rows.map((row) => [row.column_name as string, row.column_type as string]));
}

async function card(out: string): Promise<{ configs: Array<{ config_name: string; data_files: Array<{ split: string; path: string }> }>; info: Array<{ config_name: string; splits: Array<{ name: string; num_examples: number; num_bytes: number }> }> }> {
  const text = await fs.readFile(path.join(out, 'README.md'), 'utf8');
  const yaml = parseYaml(text.split('---\n')[1]);
  return { configs: yaml.configs, info: yaml.dataset_info };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-hub-'));
  corpus = path.join(dir, 'qa');
  await fs.mkdir(corpus);
  // 6 000 records: train rolls over at 300KB; every count below is exact, the DuckDB reads grow with the corpus.
  const lines = corpusLines(6000, 7);
  const half = Math.floor(lines.length / 2);
  await fs.writeFile(path.join(corpus, 'a.jsonl'), `${lines.slice(0, half).join('\n')}\n`);
  await fs.writeFile(path.join(corpus, 'b.jsonl'), `${lines.slice(half).join('\n')}\n`);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  out = path.join(dir, 'all', 'dataset');
  const result = await runCli(['export', corpus, '--out', out, ...ARGS]);
  expect(result.stderr).toMatch(/wrote .* shards in jsonl, parquet, csv, messages, alpaca, sharegpt/);
  expect(result.code).toBe(0);
});

describe('one pass, every format, read back through the card', () => {
  let expected: Expected;
  beforeAll(async () => {
    const text = (await fs.readFile(path.join(corpus, 'a.jsonl'), 'utf8')) + (await fs.readFile(path.join(corpus, 'b.jsonl'), 'utf8'));
    expected = expectedRows(text.trimEnd().split('\n'), MIN_SCORE);
  });

  test('layout: a folder per format, HF shard names, card, dataset_info.json; nothing hidden left; verify passes', async () => {
    const files = await listFiles(out);
    expect(files.filter((name) => name.split('/').some((part) => part.startsWith('.')))).toEqual([]);
    const shards = files.filter((name) => name.includes('/'));
    for (const name of shards) expect(name).toMatch(/^(rejected\/)?(jsonl|parquet|csv|messages|alpaca|sharegpt)\/(train|validation|test)-\d{5}-of-\d{5}\.(jsonl|parquet|csv)$/);
    expect(files.filter((name) => !name.includes('/'))).toEqual(['README.md', 'dataset_info.json', 'manifest.json', 'qa_errors.jsonl', 'report.html', 'report.json', 'stats.json']);
    // Chat formats hold pairs only; 300KB shards roll over in train.
    expect(shards.some((name) => /^rejected\/(messages|alpaca|sharegpt)/.test(name))).toBe(false);
    expect(shards.filter((name) => name.startsWith('jsonl/train-')).length).toBeGreaterThan(1);
    for (const format of ['jsonl', 'csv', 'messages']) {
      const train = shards.filter((name) => name.startsWith(`${format}/train-`));
      expect(train.every((name) => name.endsWith(`-of-${String(train.length).padStart(5, '0')}.${format === 'csv' ? 'csv' : 'jsonl'}`))).toBe(true);
    }
    const manifest = await readJson(path.join(out, 'manifest.json'));
    expect(manifest.outputs.map((o: { path: string }) => o.path).sort()).toEqual(files.filter((name) => name !== 'manifest.json'));
    expect(manifest.options.hub).toMatchObject({ formats: ALL_FORMATS.split(','), split: SPLIT, seed: 7, stratify_by: 'source', max_shard_bytes: 300_000 });
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('every JSON config loads through its data_files glob: exact num_examples, one type per column, no JSON/NULL columns', async () => {
    const { configs, info } = await card(out);
    expect(configs.map((config) => config.config_name)).toEqual(['default', 'rejected', 'messages', 'alpaca', 'sharegpt']);
    for (const config of configs) {
      const declared = info.find((entry) => entry.config_name === config.config_name)!;
      expect(config.data_files.map((file) => file.split)).toEqual(['train', 'validation', 'test']);
      for (const { split, path: pattern } of config.data_files) {
        const source = reader('jsonl', path.join(out, pattern));
        const [{ n }] = await query(`SELECT count(*)::INTEGER AS n FROM ${source}`);
        expect([config.config_name, split, n]).toEqual([config.config_name, split, declared.splits.find((s) => s.name === split)!.num_examples]);
        const types = Object.values(await columnTypes(source));
        expect(types.filter((type) => /JSON|NULL/.test(type))).toEqual([]);
      }
    }
    const types = await columnTypes(reader('jsonl', path.join(out, 'jsonl', '*')));
    expect(types).toEqual({ question: 'VARCHAR', answer: 'VARCHAR', source: 'VARCHAR', persona: 'VARCHAR', validation_score: 'DOUBLE' });
    expect(await columnTypes(reader('jsonl', path.join(out, 'messages', '*')))).toEqual({ messages: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]' });
    expect(await columnTypes(reader('jsonl', path.join(out, 'sharegpt', '*')))).toEqual({ conversations: 'STRUCT("from" VARCHAR, "value" VARCHAR)[]', system: 'VARCHAR' });
  });

  test('num_bytes is the exact uncompressed size of each split', async () => {
    const { info } = await card(out);
    for (const entry of info) {
      const folder = entry.config_name === 'default' ? 'jsonl' : entry.config_name === 'rejected' ? 'rejected/jsonl' : entry.config_name;
      for (const split of entry.splits) {
        const names = (await fs.readdir(path.join(out, folder))).filter((name) => name.startsWith(`${split.name}-`));
        let bytes = 0;
        for (const name of names) bytes += (await fs.stat(path.join(out, folder, name))).size;
        expect([entry.config_name, split.name, bytes]).toEqual([entry.config_name, split.name, split.num_bytes]);
      }
    }
  });

  test('parquet, csv and jsonl hold the same rows as the input (UTF-8 round trip); counts equal stats.json', async () => {
    const stats = await readJson(path.join(out, 'stats.json'));
    expect(stats.counts).toMatchObject({ pairs: expected.pairs.length, rejected: expected.rejected.length, errors: expected.errors });
    expect(stats.min_score).toEqual({ threshold: MIN_SCORE, below_min_score: expected.rejected.filter((row) => row.failure_reason === 'below_min_score').length });
    const canonical = (rows: Array<Record<string, unknown>>) => rows.map((row) => JSON.stringify(row)).sort();
    const columns = 'question, answer, source, persona, validation_score';
    for (const format of ['jsonl', 'parquet', 'csv']) {
      const pairs = await query(`SELECT ${columns} FROM ${reader(format, path.join(out, format, '*'))}`);
      expect([format, pairs.length]).toEqual([format, expected.pairs.length]);
      expect(canonical(pairs)).toEqual(canonical(expected.pairs));
      const rejected = await query(`SELECT ${columns}, failure_reason FROM ${reader(format, path.join(out, 'rejected', format, '*'))}`);
      expect(canonical(rejected)).toEqual(canonical(expected.rejected));
    }
    expect(expected.pairs.some((row) => /🩺/.test(row.question as string))).toBe(true);
    const types = await columnTypes(reader('parquet', path.join(out, 'parquet', '*')));
    expect(types).toEqual({ question: 'VARCHAR', answer: 'VARCHAR', source: 'VARCHAR', persona: 'VARCHAR', validation_score: 'DOUBLE' });
    const csvTypes = await columnTypes(reader('csv', path.join(out, 'rejected', 'csv', '*')));
    expect(csvTypes.failure_reason).toBe('VARCHAR');
    const [{ system }] = await query(`SELECT min(system) AS system FROM ${reader('jsonl', path.join(out, 'alpaca', '*'))}`);
    expect(system).toBe('Du är en vårdassistent. 🩺');
  });

  test('--min-score: no pair below it; every pair below it is rejected as below_min_score', async () => {
    const [{ low }] = await query(`SELECT count(*)::INTEGER AS low FROM ${reader('parquet', path.join(out, 'parquet', '*'))} WHERE validation_score < ${MIN_SCORE}`);
    expect(low).toBe(0);
    const rows = await query(`SELECT validation_score AS s FROM ${reader('jsonl', path.join(out, 'rejected', 'jsonl', '*'))} WHERE failure_reason = 'below_min_score'`);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.every((row) => (row.s as number) < MIN_SCORE)).toBe(true);
  });

  test('splits: no key in two splits (duplicates included), ratios within 2 %, strata reported, same in every format', async () => {
    const rows = await query(`SELECT question, regexp_extract(filename, '(train|validation|test)-', 1) AS split FROM ${reader('jsonl', [path.join(out, 'jsonl', '*'), path.join(out, 'rejected', 'jsonl', '*')])}`);
    const splitOf = new Map<string, string>();
    let duplicates = 0;
    for (const row of rows) {
      const key = normalizeSplitKey(row.question);
      const known = splitOf.get(key);
      if (known !== undefined) {
        duplicates++;
        expect(row.split).toBe(known);
      } else splitOf.set(key, row.split as string);
    }
    expect(duplicates).toBeGreaterThan(100);
    const stats = await readJson(path.join(out, 'stats.json'));
    expect(stats.split.total).toBe(expected.pairs.length);
    for (const split of stats.split.splits) expect(Math.abs(split.achieved - split.target)).toBeLessThan(0.02);
    expect(stats.split.strata.length).toBeGreaterThan(1);
    for (const stratum of stats.split.strata) expect(stratum.splits.reduce((n: number, s: { count: number }) => n + s.count, 0)).toBe(stratum.total);
    // The chat formats split the same pairs the same way.
    const per = async (format: string, field: string) =>
      query(`SELECT regexp_extract(filename, '(train|validation|test)-', 1) AS split, count(*)::INTEGER AS n FROM ${reader(format === 'parquet' ? 'parquet' : 'jsonl', path.join(out, format, '*'))} GROUP BY 1 ORDER BY 1`).then((r) => [field, r]);
    const [, jsonl] = await per('jsonl', 'q');
    for (const format of ['parquet', 'messages', 'alpaca', 'sharegpt']) expect((await per(format, 'q'))[1]).toEqual(jsonl);
    const readme = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    expect(readme).toMatch(/## Split assignment/);
    expect(readme).toMatch(/load_dataset\("parquet", data_files=\{"train": "dataset\/parquet\/train-\*"/);
    const info = await readJson(path.join(out, 'dataset_info.json'));
    expect(Object.keys(info)).toEqual(['qa_alpaca_train', 'qa_alpaca_validation', 'qa_alpaca_test', 'qa_sharegpt_train', 'qa_sharegpt_validation', 'qa_sharegpt_test']);
  });
});

describe('split stability', () => {
  // The grown corpus is the plain export of both files (--stratify-by does not change the assignment: lib/dataset/split.ts).
  test('a grown corpus keeps every old record in its split', async () => {
    const small = path.join(dir, 'grow', 'small');
    const grown = out;
    expect((await runCli(['export', path.join(corpus, 'a.jsonl'), '--out', small, ...withFormats('jsonl')])).code).toBe(0);
    const splits = async (out: string) => {
      const rows = await query(`SELECT question, answer, regexp_extract(filename, '(train|validation|test)-', 1) AS split FROM ${reader('jsonl', path.join(out, 'jsonl', '*'))}`);
      return new Map(rows.map((row) => [`${row.question}\u0000${row.answer}`, row.split]));
    };
    const before = await splits(small);
    const after = await splits(grown);
    expect(after.size).toBeGreaterThan(before.size);
    let moved = 0;
    for (const [key, split] of before) if (after.get(key) !== split) moved++;
    expect(moved).toBe(0);
  });
});

describe('gzip', () => {
  // At --compress-level 9, of the plain export's corpus and options (4 of its formats): the levels' test below reads it too.
  const gzipOut = () => path.join(dir, 'gzip', 'dataset');
  beforeAll(async () => {
    expect((await runCli(['export', corpus, '--out', gzipOut(), ...withFormats('jsonl,csv,messages,parquet'), '--compress', 'gzip', '--compress-level', '9'])).code).toBe(0);
  });

  test('--compress gzip: .gz shards of several members that DuckDB reads back whole', async () => {
    const out = gzipOut();
    const files = await listFiles(out);
    expect(files.filter((name) => name.startsWith('jsonl/')).every((name) => name.endsWith('.jsonl.gz'))).toBe(true);
    expect(files.filter((name) => name.startsWith('parquet/')).every((name) => name.endsWith('.parquet'))).toBe(true);
    const first = await fs.readFile(path.join(out, files.find((name) => name.startsWith('jsonl/train-'))!));
    expect(first.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(first.indexOf(Buffer.from([0x1f, 0x8b, 0x08]), 10)).toBeGreaterThan(0); // a second member
    const stats = await readJson(path.join(out, 'stats.json'));
    const { configs } = await card(out);
    expect(configs[0].data_files[0].path).toBe('jsonl/train-*');
    for (const format of ['jsonl', 'csv', 'messages']) {
      const [{ n }] = await query(`SELECT count(*)::INTEGER AS n FROM ${reader(format, path.join(out, format, '*'))}`);
      expect([format, n]).toEqual([format, stats.counts.pairs]);
    }
  });

  // One level end to end (9); that each level reaches zlib (6 is zlib's 6, 1 is not) is test/compressors.test.ts's
  // 'the level reaches the codec' (in-process), the default level (6) the plan's, below.
  test('--compress gzip --compress-level 9: every member at that level (XFL 2), the text of the plain export', async () => {
    const out = gzipOut();
    const names = (await listFiles(out)).filter((file) => file.startsWith('jsonl/train-'));
    expect(names.length).toBeGreaterThan(1);
    let members = 0;
    for (const name of names) {
      const bytes = await fs.readFile(path.join(out, name));
      // RFC 1952 XFL: zlib writes 2 at level 9, 4 at level 1, 0 otherwise; the first member's header, then every later one's.
      const starts = [0];
      for (let at = bytes.indexOf(GZIP_MEMBER, 10); at > 0; at = bytes.indexOf(GZIP_MEMBER, at + 10)) starts.push(at);
      members += starts.length;
      expect([name, starts.map((at) => bytes[at + 8])]).toEqual([name, starts.map(() => 2)]);
      expect([name, gunzipSync(bytes).equals(await fs.readFile(path.join(dir, 'all', 'dataset', name.replace(/\.gz$/, ''))))]).toEqual([name, true]);
    }
    expect(members).toBeGreaterThan(names.length); // shards of several members
    expect((await readJson(path.join(out, 'manifest.json'))).options.hub).toMatchObject({ compress: 'gzip', compress_level: 9 });
  });

  test('the default level: gzip 6, zstd 3 (the plan, as manifest.json records it)', () => {
    const record = (compress: string) => hubOptionsRecord(normalizeHubOptions({ split: SPLIT, compress }, QA_INTERNAL)!, 'parquet');
    expect(record('gzip')).toMatchObject({ compress: 'gzip', compress_level: 6 });
    expect(record('zstd')).toMatchObject({ compress: 'zstd', compress_level: 3 });
  });
});

describe('zstd', () => {
  let out: string;
  /** The plain export of the same corpus and options. */
  let plain: string;
  beforeAll(async () => {
    out = path.join(dir, 'zstd', 'dataset');
    plain = path.join(dir, 'all', 'dataset');
    expect((await runCli(['export', corpus, '--out', out, ...ARGS, '--compress', 'zstd'])).code).toBe(0);
  });

  test('.jsonl.zst / .csv.zst shards of several frames that decompress to the plain export byte for byte; parquet is not wrapped', async () => {
    const files = (await listFiles(out)).filter((name) => /-of-/.test(name));
    const plainFiles = (await listFiles(plain)).filter((name) => /-of-/.test(name));
    const text = plainFiles.filter((name) => !name.endsWith('.parquet'));
    expect(files).toEqual(plainFiles.map((name) => (name.endsWith('.parquet') ? name : `${name}.zst`)).sort());
    expect(text.length).toBeGreaterThanOrEqual(6 * 3);
    let framed = 0;
    for (const name of text) {
      const bytes = await fs.readFile(path.join(out, `${name}.zst`));
      expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
      if (bytes.indexOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), 4) > 0) framed++; // a frame per checkpoint interval
      expect([name, zstdDecompress(bytes).equals(await fs.readFile(path.join(plain, name)))]).toEqual([name, true]);
    }
    expect(framed).toBeGreaterThan(0);
    for (const name of files.filter((name) => name.endsWith('.parquet'))) {
      expect((await fs.readFile(path.join(out, name))).subarray(0, 4).toString('latin1')).toBe('PAR1');
    }
    const manifest = await readJson(path.join(out, 'manifest.json'));
    expect(manifest.options.hub).toMatchObject({ compress: 'zstd', compress_level: 3, zstd_library: expect.stringMatching(/^zstd-napi@\S+ \(zstd \d+\.\d+\.\d+\)$/) });
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('parquet: the zstd codec inside every column chunk, the same rows as the snappy export', async () => {
    const codecs = await query(`SELECT DISTINCT compression FROM parquet_metadata('${sqlPath(path.join(out, '**', '*.parquet'))}')`);
    expect(codecs).toEqual([{ compression: 'ZSTD' }]);
    const snappy = await query(`SELECT DISTINCT compression FROM parquet_metadata('${sqlPath(path.join(plain, '**', '*.parquet'))}')`);
    expect(snappy).toEqual([{ compression: 'SNAPPY' }]);
    const rows = (root: string) => query(`SELECT * EXCLUDE (filename) FROM ${reader('parquet', path.join(root, 'parquet', '*'))} ORDER BY ALL`);
    const zstdRows = await rows(out);
    expect(zstdRows.length).toBeGreaterThan(1000);
    expect(zstdRows).toEqual(await rows(plain));
    expect(await columnTypes(reader('parquet', path.join(out, 'parquet', '*')))).toEqual({ question: 'VARCHAR', answer: 'VARCHAR', source: 'VARCHAR', persona: 'VARCHAR', validation_score: 'DOUBLE' });
  });

  test('every config loads through its card glob: exact num_examples, the plain types; num_bytes the uncompressed size', async () => {
    const { configs, info } = await card(out);
    expect(configs.map((config) => config.config_name)).toEqual(['default', 'rejected', 'messages', 'alpaca', 'sharegpt']);
    // num_bytes and dataset_size count uncompressed bytes: the plain export's; download_size is the files on disk.
    const withoutDownload = (entries: typeof info) => entries.map(({ download_size, ...entry }: Record<string, unknown>) => (expect(download_size).toEqual(expect.any(Number)), entry));
    expect(withoutDownload(info)).toEqual(withoutDownload((await card(plain)).info));
    expect(info.every((entry) => (entry as unknown as { download_size: number; dataset_size: number }).download_size < (entry as unknown as { dataset_size: number }).dataset_size)).toBe(true);
    for (const config of configs) {
      const declared = info.find((entry) => entry.config_name === config.config_name)!;
      for (const { split, path: pattern } of config.data_files) {
        const matched = (await fs.readdir(path.join(out, path.dirname(pattern)))).filter((name) => name.startsWith(`${split}-`));
        expect(matched.length).toBeGreaterThan(0);
        expect(matched.every((name) => name.endsWith('.jsonl.zst'))).toBe(true);
        const source = reader('jsonl', path.join(out, pattern));
        const [{ n }] = await query(`SELECT count(*)::INTEGER AS n FROM ${source}`);
        expect([config.config_name, split, n]).toEqual([config.config_name, split, declared.splits.find((s) => s.name === split)!.num_examples]);
        const folder = path.dirname(pattern);
        expect([config.config_name, await columnTypes(source)]).toEqual([config.config_name, await columnTypes(reader('jsonl', path.join(plain, folder, `${split}-*`)))]);
      }
    }
    for (const channel of ['', 'rejected/']) {
      const csv = reader('csv', path.join(out, `${channel}csv`, '*'));
      const plainCsv = reader('csv', path.join(plain, `${channel}csv`, '*'));
      expect((await fs.readdir(path.join(out, `${channel}csv`))).every((name) => name.endsWith('.csv.zst'))).toBe(true);
      expect(await query(`SELECT * EXCLUDE (filename) FROM ${csv} ORDER BY ALL`)).toEqual(await query(`SELECT * EXCLUDE (filename) FROM ${plainCsv} ORDER BY ALL`));
    }
    const readme = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    expect(readme).toMatch(/load_dataset\("csv", data_files=\{"train": "dataset\/csv\/train-\*"/);
    expect(readme).toMatch(/pip install zstandard/);
    expect(await fs.readFile(path.join(plain, 'README.md'), 'utf8')).not.toMatch(/zstandard/);
    // LLaMA-Factory's file loader knows no .zst: a one-shard split goes through the card's configs.
    const llama = await readJson(path.join(out, 'dataset_info.json'));
    expect(Object.values(llama).every((entry) => (entry as { script_url?: string }).script_url === '.')).toBe(true);
  });

  test('--compress-level: the level shapes the bytes (12 is smaller than 3), the rows are the same', async () => {
    const high = path.join(dir, 'zstd-12', 'dataset');
    expect((await runCli(['export', corpus, '--out', high, ...withFormats('jsonl'), '--compress', 'zstd', '--compress-level', '12'])).code).toBe(0);
    const name = (await listFiles(high)).find((file) => file.startsWith('jsonl/train-'))!;
    const bytes = await fs.readFile(path.join(high, name));
    expect(zstdDecompress(bytes).equals(await fs.readFile(path.join(plain, name.replace(/\.zst$/, ''))))).toBe(true);
    expect(bytes.length).toBeLessThan((await fs.stat(path.join(out, name))).size);
    expect((await readJson(path.join(high, 'manifest.json'))).options.hub).toMatchObject({ compress: 'zstd', compress_level: 12 });
  });
});

// Each usage error's message is test/plan.test.ts's (in-process); here, end to end, what the user sees.
describe('usage errors: one line, exit 2, naming the value', () => {
  test.each([
    [['--seed', '3'], /^qa-hf: ERR_USAGE: --seed needs --split, got "3"$/m],
    [['--compress', 'zstd', '--compress-level', 'fast'], /ERR_OPTION: --compress-level must be an integer from 1 to 19 for zstd, got "fast"/],
  ])('%j', async (extra, message) => {
    const out = path.join(dir, 'usage');
    const result = await runCli(['export', corpus, '--out', out, ...extra]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    await expect(fs.access(out)).rejects.toThrow();
  });
});
