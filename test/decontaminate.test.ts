/**
 * --decontaminate: evaluation sets read (lib/io/eval-sets.ts: JSON Lines plain or
 * gzip, Parquet; every string or the named fields; one-line errors), and one export
 * end to end: the contaminated pair in rejected with failure_reason "contaminated",
 * report.json's section and metric, the --fail-on gate, the config file's keys, the
 * options hash following the evaluation set's bytes, and the same bytes with --workers 2.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { loadEvalSets } from '../lib/io/eval-sets';
import { internalRecord, readJson, runCli } from './helpers';

const LEAKED = 'Kontrollera urinproduktion kateterns läge och tecken på infektion minst en gång per arbetspass och dokumentera i vårdplanen';
const QUESTION = 'Vilka är de tre vanligaste orsakerna till förvirring hos äldre patienter på en medicinsk vårdavdelning idag?';
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-decontaminate-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const write = async (name: string, content: string | Buffer | ArrayBuffer) => {
  const file = path.join(dir, name);
  await fs.writeFile(file, content instanceof ArrayBuffer ? Buffer.from(content) : content);
  return file;
};

describe('loadEvalSets', () => {
  test('JSON Lines, gzip and Parquet; every string of a record (lists too) by default, the named fields otherwise', async () => {
    const lines = `${JSON.stringify({ question: QUESTION, choices: ['a', LEAKED], answer: 2 })}\n\n`;
    const plain = await write('eval.jsonl', lines);
    const gzip = await write('eval.jsonl.gz', gzipSync(lines));
    const zstd = await write('eval.jsonl.zst', zstdCompress(Buffer.from(lines)));
    const parquet = await write('eval.parquet', parquetWriteBuffer({ columnData: [{ name: 'question', data: [QUESTION] }, { name: 'context', data: [LEAKED] }] }));
    const sets = await loadEvalSets([plain, gzip, zstd, parquet], { ngram: 13, fields: null });
    expect(sets.files.map((file) => [path.basename(file.file), file.records, file.long_texts])).toEqual([['eval.jsonl', 1, 2], ['eval.jsonl.gz', 1, 2], ['eval.jsonl.zst', 1, 2], ['eval.parquet', 1, 2]]);
    // The same texts: the later files add no n-gram of their own, and a match names the first.
    expect(sets.files.map((file) => file.ngrams)).toEqual([sets.index.size, 0, 0, 0]);
    expect(sets.files[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sets.index.firstMatch(`Svar: ${LEAKED.toUpperCase()}.`)).toBe(0);
    expect(sets.index.firstMatch(QUESTION)).toBe(0);
    const only = await loadEvalSets([parquet], { ngram: 13, fields: ['question'] });
    expect(only.index.firstMatch(QUESTION)).toBe(0);
    expect(only.index.firstMatch(LEAKED)).toBe(-1);
  });

  test('errors are one line naming the file: missing, not JSON (with the line), not an object, a field no record has', async () => {
    const load = (file: string, fields: string[] | null = null) => loadEvalSets([file], { ngram: 13, fields }).catch((err: Error & { code?: string }) => `${err.code}: ${err.message}`);
    expect(await load(path.join(dir, 'missing.jsonl'))).toMatch(/^ERR_OPTION: --decontaminate .*missing\.jsonl: no such file/);
    expect(await load(await write('bad.jsonl', '{"q":"x"}\nnot json\n'))).toBe(`ERR_OPTION: --decontaminate ${path.join(dir, 'bad.jsonl')}: line 2 is not JSON (an evaluation set is JSON Lines or Parquet)`);
    expect(await load(await write('list.jsonl', '["x"]\n'))).toBe(`ERR_OPTION: --decontaminate ${path.join(dir, 'list.jsonl')}: line 1 is not a JSON object`);
    expect(await load(await write('q.jsonl', '{"q":"x"}\n'), ['question'])).toMatch(/^ERR_OPTION: --decontaminate-fields question: no record of .*q\.jsonl has this field$/);
  });
});

test('an export: the contaminated pair goes to rejected, the report counts it per evaluation file, --fail-on gates on it; the config file and --workers 2 agree', async () => {
  const records = [
    internalRecord({ question: 'Hur ofta ska en patient med nyinsatt urinkateter kontrolleras?', answer: `${LEAKED}.` }),
    internalRecord({ question: QUESTION, answer: 'Infektion, läkemedel och uttorkning.' }),
    internalRecord({ question: 'Vad mäter NEWS2?', answer: 'Vitalparametrar.' }),
  ];
  const input = await write('qa.jsonl', records.map((record) => JSON.stringify(record)).join('\n') + '\n');
  const evalSet = await write('mmlu.jsonl', `${JSON.stringify({ question: 'x', choices: [LEAKED] })}\n${JSON.stringify({ question: QUESTION })}\n`);
  const out = path.join(dir, 'out');
  const run = await runCli(['export', input, '--out', out, '--quiet', '--decontaminate', evalSet, '--fail-on', 'contaminated>1']);
  expect([run.code, run.stderr.trim().split('\n').pop()]).toEqual([4, expect.stringContaining('ERR_THRESHOLD')]);
  const rejected = (await fs.readFile(path.join(out, 'qa_rejected.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(rejected.map((row) => [row.question, row.failure_reason])).toEqual([
    ['Hur ofta ska en patient med nyinsatt urinkateter kontrolleras?', 'contaminated'],
    [QUESTION, 'contaminated'],
  ]);
  expect((await fs.readFile(path.join(out, 'qa_pairs.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(1);
  const report = await readJson(path.join(out, 'report.json'));
  expect(report.contamination).toMatchObject({ ngram: 13, records: 2, files: [{ file: evalSet, records: 2 }] });
  expect(report.metrics.contaminated).toBe(2);
  expect(report.thresholds).toEqual([{ rule: 'contaminated>1', value: 2, passed: false }]);
  // The same run from a config file, with two workers: the same bytes.
  const config = await write('qa-hf.yaml', `decontaminate: mmlu.jsonl\nfail-on: contaminated>1\n`);
  const viaConfig = path.join(dir, 'out-config');
  expect((await runCli(['export', input, '--out', viaConfig, '--quiet', '--config', config, '--workers', '2'])).code).toBe(4);
  for (const file of ['qa_pairs.jsonl', 'qa_rejected.jsonl']) {
    expect(await fs.readFile(path.join(viaConfig, file))).toEqual(await fs.readFile(path.join(out, file)));
  }
  // The report names the evaluation set as it was given (here: from the config file's folder).
  expect((await readJson(path.join(viaConfig, 'report.json'))).contamination).toMatchObject({ records: 2, files: [{ records: 2 }] });
  // Another evaluation set's bytes: another options hash (a resume would be refused).
  const hash = async (folder: string) => (await readJson(path.join(folder, 'manifest.json'))).options_hash as string;
  await fs.appendFile(evalSet, `${JSON.stringify({ question: 'one more' })}\n`);
  const changed = path.join(dir, 'out-changed');
  await runCli(['export', input, '--out', changed, '--quiet', '--decontaminate', evalSet]);
  expect(await hash(changed)).not.toBe(await hash(out));
});

test('pipe mode takes it too (a config key is never ignored); a gate on contaminated without --decontaminate is refused up front', async () => {
  const input = await write('pipe.jsonl', `${JSON.stringify(internalRecord({ answer: `${LEAKED}.` }))}\n${JSON.stringify(internalRecord())}\n`);
  const evalSet = await write('pipe-eval.jsonl', `${JSON.stringify({ text: LEAKED })}\n`);
  const run = await runCli([input, '--decontaminate', evalSet]);
  expect([run.code, run.stdout.toString().trim().split('\n').length]).toEqual([0, 1]);
  const refused = await runCli([input, '--fail-on', 'contaminated>0']);
  expect([refused.code, refused.stderr.trim()]).toEqual([2, 'qa-hf: ERR_OPTION: --fail-on contaminated>0: contaminated is not measured without --decontaminate FILE (an evaluation set)']);
});

test('kto and dpo leave contaminated pairs out (the evaluation text is not trained on as a bad answer either); a set that can match nothing is warned of', async () => {
  const records = [
    internalRecord({ question: 'Hur ofta ska en patient med nyinsatt urinkateter kontrolleras?', answer: `${LEAKED}.` }),
    internalRecord({ question: 'Hur ofta ska en patient med nyinsatt urinkateter kontrolleras?', answer: 'Varje arbetspass.', score: 0.7 }),
    internalRecord({ question: 'Vad mäter NEWS2?', answer: 'Vitalparametrar.', passed: false, failure_reason: 'vague' }),
  ];
  const input = await write('pref.jsonl', records.map((record) => JSON.stringify(record)).join('\n') + '\n');
  const evalSet = await write('pref-eval.jsonl', `${JSON.stringify({ text: LEAKED })}\n`);
  const short = await write('short-eval.jsonl', `${JSON.stringify({ text: 'kort fråga' })}\n`);
  const out = path.join(dir, 'out-pref');
  const run = await runCli(['export', input, '--out', out, '--format', 'kto', '--decontaminate', evalSet, '--decontaminate', short]);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(`qa-hf: warning: --decontaminate ${short} holds no text of 13 words or more (1 record): it can match no pair; a smaller --decontaminate-ngram would`);
  const kto = await fs.readFile(path.join(out, 'kto', 'train-00000-of-00001.jsonl'), 'utf8');
  expect(kto).not.toContain('urinproduktion');
  expect(kto.trim().split('\n')).toHaveLength(2);
  expect((await readJson(path.join(out, 'report.json'))).preference.pairs).toMatchObject({ passed: 1, rejected: 1, contaminated_left_out: 1 });
});
