/**
 * The quality report in an export (built CLI): report.json and report.html in
 * the manifest, exact numbers on the fixture corpus; --fail-on breaches exit 4
 * with every file written and verify passing; bad or unmeasured rules refused
 * at start-up. Pipe mode, `qa-hf report`, --tokenizer, the card:
 * report-modes.test.ts; kill and resume: report-resume.test.ts.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJson, runCli } from './helpers';
import { REPORT_FIXTURE } from './report-fixture';

let dir: string;
let input: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-report-cli-'));
  input = path.join(dir, 'in', 'qa.jsonl');
  await fs.mkdir(path.dirname(input));
  await fs.writeFile(input, REPORT_FIXTURE);
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('export writes the report', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    out = path.join(dir, 'plain');
    result = await runCli(['export', input, '--out', out]);
  });

  test('report.json and report.html beside the data, in the manifest; verify passes', async () => {
    expect(result.code).toBe(0);
    const manifest = await readJson(path.join(out, 'manifest.json'));
    expect(manifest.outputs.map((file: { path: string }) => file.path)).toEqual([
      'qa_pairs.jsonl',
      'qa_rejected.jsonl',
      'qa_errors.jsonl',
      'stats.json',
      'report.json',
      'report.html',
    ]);
    expect(manifest.options.report).toEqual({ language: 'sv', tokenizer_sha256: null });
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('the fixture corpus, exact numbers', async () => {
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.counts).toEqual({ lines: 10, pairs: 6, rejected: 2, errors: 1, blank: 1 });
    expect(report.metrics).toEqual({ pass_rate: 0.75, errors: 0.111111, language_mismatch: 0.25, pii: 0, pii_written: 0, duplicates: 0, near_duplicates: 0, leaks: 0 });
    expect(report.thresholds).toEqual([]);
    // Both rejected rows are the input's own: one with its failure_reason, one without.
    expect(report.rejected_reasons).toEqual([
      { reason: '', count: 1 },
      { reason: 'för vag', count: 1 },
    ]);
    const [pairs, rejected] = report.groups;
    expect([pairs.split, pairs.channel, pairs.records, rejected.channel, rejected.records]).toEqual(['train', 'pairs', 6, 'rejected', 2]);
    expect(pairs.answers).toEqual({ empty: 0, very_short: 2, equal_to_question: 1 }); // "Ja." and "samma"
    expect(pairs.language).toMatchObject({ checked: 4, mismatched: 1, skipped_short: 2, detected: { en: 1, sv: 3 } });
    expect(pairs.personas.top).toEqual([
      { name: 'sjuksköterska/erfaren', count: 5 },
      { name: 'läkare/erfaren', count: 1 },
    ]);
    expect(pairs.source_documents.top).toEqual([
      { name: 'dok/a.pdf', count: 2 },
      { name: 'dok/b.pdf', count: 2 },
      { name: '', count: 1 },
      { name: 'dok/c.pdf', count: 1 },
    ]);
    expect(pairs.validation_score_histogram.map((bin: { count: number }) => bin.count)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 5]);
    expect(pairs.columns.answer.chars).toMatchObject({ count: 6, min: 3, max: 103 });
    const html = await fs.readFile(path.join(out, 'report.html'), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    // The release page: no gate, the paragraph, the reasons, in that order before the charts.
    expect(html).toContain('No gate set: no <code>--fail-on</code> rule was given');
    expect(html).toContain('<b>6 pairs written</b>: 6 to <b>train</b>.');
    expect(html).toContain('<b>2 rows rejected</b>: 1 <span class="none">(no reason given)</span> and 1 “för vag”.');
    const at = ['id="verdict"', 'id="summary"', 'id="reasons"', 'id="charts"'].map((id) => html.indexOf(id));
    expect(at.every((index, i) => index > 0 && (i === 0 || index > at[i - 1]))).toBe(true);
  });
});

describe('--fail-on: exit 4, every file written, verify passes', () => {
  test('three rules breached (pass_rate, errors, language_mismatch), one line each; one passed', async () => {
    const out = path.join(dir, 'gate');
    const result = await runCli(['export', input, '--out', out, '--quiet', '--fail-on', 'pass_rate<0.8,errors>0.1,language_mismatch>0.2,pass_rate<0.1']);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      [
        'qa-hf: threshold breached: pass_rate<0.8 (value 0.75)',
        'qa-hf: threshold breached: errors>0.1 (value 0.111111)',
        'qa-hf: threshold breached: language_mismatch>0.2 (value 0.25)',
        `qa-hf: ERR_THRESHOLD: 3 of 4 --fail-on rules breached; every file is written (${out}/report.json)`,
        '',
      ].join('\n'),
    );
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.thresholds).toEqual([
      { rule: 'pass_rate<0.8', value: 0.75, passed: false },
      { rule: 'errors>0.1', value: 0.111111, passed: false },
      { rule: 'language_mismatch>0.2', value: 0.25, passed: false },
      { rule: 'pass_rate<0.1', value: 0.75, passed: true },
    ]);
    expect((await fs.readdir(out)).sort()).toEqual(['manifest.json', 'qa_errors.jsonl', 'qa_pairs.jsonl', 'qa_rejected.jsonl', 'report.html', 'report.json', 'stats.json']);
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('every rule passed: exit 0, the thresholds recorded', async () => {
    const out = path.join(dir, 'gate-pass');
    const result = await runCli(['export', input, '--out', out, '--quiet', '--fail-on', 'pass_rate<0.5,errors>0.5,language_mismatch>0.5']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect((await readJson(path.join(out, 'report.json'))).thresholds.map((t: { passed: boolean }) => t.passed)).toEqual([true, true, true]);
  });

  test.each([
    ['language_mismatch>0 --language off', "--fail-on language_mismatch>0: language_mismatch is not measured with --language off; set --language to the answers' language (e.g. --language sv) or drop the rule"],
    ['near_duplicates>0', '--fail-on near_duplicates>0: near_duplicates is not measured without --dedup near'],
    ['near_duplicates>0 --dedup exact', '--fail-on near_duplicates>0: near_duplicates is not measured without --dedup near'],
    ['pass_rate<x', '--fail-on rule must be METRIC<NUMBER or METRIC>NUMBER (metrics: pii, pii_written, duplicates, near_duplicates, pass_rate, language_mismatch, errors, too_short, too_long, too_many_tokens, leaks, contaminated), got "pass_rate<x"'],
  ])('%s: one ERR_OPTION line at start-up, nothing written', async (rules, message) => {
    const out = path.join(dir, 'refused');
    const [rule, ...rest] = rules.split(' ');
    const result = await runCli(['export', input, '--out', out, '--fail-on', rule, ...rest]);
    expect([result.code, result.stderr]).toEqual([2, `qa-hf: ERR_OPTION: ${message}\n`]);
    await expect(fs.stat(out)).rejects.toThrow();
  });

  test.each([
    ['report', (out: string) => ['report', input, '--out', out]],
    ['pipe mode', (out: string) => [input, '--report', out]],
  ])('near_duplicates>0 without --dedup near in %s: refused at start-up, nothing written', async (_mode, argv) => {
    const out = path.join(dir, 'refused-near');
    const result = await runCli([...argv(out), '--fail-on', 'near_duplicates>0']);
    expect([result.code, result.stdout.length, result.stderr]).toEqual([2, 0, 'qa-hf: ERR_OPTION: --fail-on near_duplicates>0: near_duplicates is not measured without --dedup near\n']);
    await expect(fs.stat(out)).rejects.toThrow();
  });
});

describe('--fail-on over the quality rules: pii and duplicates', () => {
  test('a planted personnummer and a repeated pair: pii>0 and duplicates>0 breached, exit 4, every file written, verify passes', async () => {
    const record = (question: string, answer: string) =>
      JSON.stringify({ question, answer, source_document: 'dok/a.pdf', persona: { roll: 'sjuksköterska', erfarenhet: 'erfaren' }, validation: { composite_score: 0.9, passed: true } });
    const lines = [
      record('Vad gäller vid feber?', 'Kontakta läkare om patienten har feber över 38,5 °C.'),
      record('Vem ringer jag?', 'Ring patienten, personnummer 19850312-1231, på avdelningen.'),
      record('Vad gäller vid feber?', 'Kontakta läkare om patienten har feber över 38,5 °C.'),
      record('Hur dokumenterar jag?', 'I journalen, samma arbetspass.'),
    ];
    const planted = path.join(dir, 'planted', 'qa.jsonl');
    await fs.mkdir(path.dirname(planted), { recursive: true });
    await fs.writeFile(planted, `${lines.join('\n')}\n`);
    const out = path.join(dir, 'planted-out');
    const result = await runCli(['export', planted, '--out', out, '--quiet', '--dedup', 'near', '--fail-on', 'pii>0,duplicates>0.2,near_duplicates>0']);
    expect(result.code).toBe(4);
    expect(result.stderr).toBe(
      [
        'qa-hf: threshold breached: pii>0 (value 1)',
        'qa-hf: threshold breached: duplicates>0.2 (value 0.25)',
        `qa-hf: ERR_THRESHOLD: 2 of 3 --fail-on rules breached; every file is written (${out}/report.json)`,
        '',
      ].join('\n'),
    );
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.pii.records).toBe(1);
    expect(report.pii.personnummer).toMatchObject({ matches: 1, records: 1 });
    expect(report.pii.examples[0]).toMatchObject({ kind: 'personnummer', masked: '********-****' });
    // report.html: the masked personnummer without its birth date, each rule with its verdict.
    const html = await fs.readFile(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('masked: ********-****');
    expect(html).not.toMatch(/19850312|850312/);
    expect(html).toContain('<tr><td><code>duplicates&gt;0.2</code></td><td class="num">25.0%</td><td class="failed">fail</td></tr>');
    expect(html).toContain('<tr><td><code>near_duplicates&gt;0</code></td><td class="num">0.0%</td><td class="passed">pass</td></tr>');
    expect(report.duplicates.exact).toEqual({ records: 1, groups: 1 });
    expect(report.thresholds).toEqual([
      { rule: 'pii>0', value: 1, passed: false },
      { rule: 'duplicates>0.2', value: 0.25, passed: false },
      { rule: 'near_duplicates>0', value: 0, passed: true },
    ]);
    expect((await runCli(['verify', out])).code).toBe(0);
  });
});
