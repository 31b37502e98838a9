/**
 * The quality report outside a plain export (built CLI): pipe mode --report DIR
 * and --fail-on, `qa-hf report INPUT… --out DIR`, --tokenizer, and the Hub
 * layout's card with its "Data quality" section.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJson, runCli } from './helpers';
import { REPORT_FIXTURE } from './report-fixture';

let dir: string;
let input: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-report-modes-'));
  input = path.join(dir, 'in', 'qa.jsonl');
  await fs.mkdir(path.dirname(input));
  await fs.writeFile(input, REPORT_FIXTURE);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('pipe mode --report DIR and qa-hf report', () => {
  let reference: Buffer;
  let pairs: Buffer;
  beforeAll(async () => {
    const out = path.join(dir, 'reference');
    expect((await runCli(['export', input, '--out', out, '--quiet'])).code).toBe(0);
    reference = await fs.readFile(path.join(out, 'report.json'));
    pairs = await fs.readFile(path.join(out, 'qa_pairs.jsonl'));
  });

  test('pipe mode writes the same report.json as the export, and its pairs unchanged', async () => {
    const reportDir = path.join(dir, 'pipe-report');
    const result = await runCli([input, '--quiet', '--report', reportDir]);
    expect(result.code).toBe(0);
    expect(result.stdout.equals(pairs)).toBe(true);
    expect((await fs.readFile(path.join(reportDir, 'report.json'))).equals(reference)).toBe(true);
    expect((await fs.readdir(reportDir)).sort()).toEqual(['report.html', 'report.json']);
  });

  test('pipe mode --fail-on exits 4 after writing the pairs', async () => {
    const result = await runCli([input, '--quiet', '--fail-on', 'pass_rate<0.8']);
    expect(result.code).toBe(4);
    expect(result.stdout.equals(pairs)).toBe(true);
    expect(result.stderr).toBe('qa-hf: threshold breached: pass_rate<0.8 (value 0.75)\nqa-hf: ERR_THRESHOLD: 1 of 1 --fail-on rule breached; every file is written (pipe mode)\n');
  });

  test('qa-hf report writes only the report, the same report.json', async () => {
    const out = path.join(dir, 'report-only');
    const result = await runCli(['report', path.dirname(input), '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`qa-hf: wrote ${out}/report.json, ${out}/report.html`);
    expect((await fs.readdir(out)).sort()).toEqual(['report.html', 'report.json']);
    expect((await fs.readFile(path.join(out, 'report.json'))).equals(reference)).toBe(true);
  });

  test('qa-hf report refuses an export folder and a gate breach exits 4', async () => {
    const refused = await runCli(['report', input, '--out', path.join(dir, 'reference')]);
    expect([refused.code, refused.stderr]).toEqual([2, `qa-hf: ERR_USAGE: --out ${path.join(dir, 'reference')} holds a qa-hf export (its report is part of it); choose another folder\n`]);
    const gate = await runCli(['report', input, '--out', path.join(dir, 'report-gate'), '--quiet', '--fail-on', 'errors>0.05']);
    expect(gate.code).toBe(4);
  });
});

test.each([
  [['report', 'IN', '--out', 's3://bucket/rep'], '--out s3://bucket/rep: the report is written to a local folder'],
  [['IN', '--report', 's3://bucket/rep'], '--report s3://bucket/rep: the report is written to a local folder'],
  [['IN', '--errors', 's3://bucket/errors.jsonl'], '--errors s3://bucket/errors.jsonl: this output is a local file'],
  [['IN', '--rejected', 's3://bucket/rejected.jsonl'], '--rejected s3://bucket/rejected.jsonl: this output is a local file'],
])('%p: an s3:// URL where only a local path goes is one line, exit 2, and no local "s3:" folder', async (args, message) => {
  const result = await runCli(args.map((arg) => (arg === 'IN' ? input : arg)), undefined, { cwd: dir });
  expect([result.code, result.stderr]).toEqual([2, `qa-hf: ERR_USAGE: ${message}; s3:// URLs are for inputs, export --out and verify\n`]);
  await expect(fs.access(path.join(dir, 's3:'))).rejects.toMatchObject({ code: 'ENOENT' });
});

describe('--tokenizer', () => {
  const TOKENIZER = {
    version: '1.0',
    added_tokens: [],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0, ja: 1, '.': 2 } },
  };

  test('token lengths per column; the tokenizer hash in the options', async () => {
    const file = path.join(dir, 'tokenizer.json');
    await fs.writeFile(file, JSON.stringify(TOKENIZER));
    const out = path.join(dir, 'tokens');
    expect((await runCli(['export', input, '--out', out, '--quiet', '--tokenizer', file])).code).toBe(0);
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.settings.tokenizer).toBe('tokenizer.json');
    expect(report.groups[0].columns.answer.tokens).toMatchObject({ count: 6, min: 1, p50: 17 }); // "samma": [UNK]; "Ja.": "ja", "."
    expect((await readJson(path.join(out, 'manifest.json'))).options.report.tokenizer_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('a file that is no tokenizer: one ERR_OPTION line', async () => {
    const file = path.join(dir, 'not-a-tokenizer.json');
    await fs.writeFile(file, '{"hello": 1}');
    const result = await runCli(['export', input, '--out', path.join(dir, 'never'), '--tokenizer', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^qa-hf: ERR_OPTION: --tokenizer .*not-a-tokenizer\.json is not a usable HuggingFace tokenizer\.json \(no "model"\)\n$/);
  });
});

describe('the Hub layout', () => {
  test('the card has a "Data quality" section with the gate', async () => {
    const out = path.join(dir, 'hub');
    const result = await runCli(['export', input, '--out', out, '--quiet', '--split', 'train=0.5,test=0.5', '--fail-on', 'pass_rate<0.5']);
    expect(result.code).toBe(0);
    const card = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain('## Data quality\n\n- Pass rate (validated pairs among all records): 75.00 %.\n');
    expect(card).toContain('| `pass_rate<0.5` | 0.75 | passed |');
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.groups.map((group: { split: string; channel: string }) => `${group.split}/${group.channel}`)).toEqual(
      expect.arrayContaining(['train/pairs', 'test/pairs']),
    );
    expect((await runCli(['verify', out])).code).toBe(0);
  });
});

