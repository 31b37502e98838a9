/**
 * lib/quality/report-html.ts as a release page, in-process: the order of the sections (verdict,
 * paragraph, reasons, then charts), the verdict of every --fail-on rule or "no gate set", the
 * paragraph in words, the reason table, the numbers' formats (counts with en-US separators,
 * shares as percentages with one decimal) and a masked personnummer without its birth date.
 * In a browser, with its screenshot: report-browser.test.ts.
 */
import { newEntry, type Batch, type Row } from '../lib/batch';
import { maskPii } from '../lib/quality/pii';
import { ReportAccumulator } from '../lib/quality/report';
import { buildReport, computeMetrics } from '../lib/quality/report-json';
import { formatCount, formatNumber, formatShare, renderReportHtml } from '../lib/quality/report-html';
import { evaluateThresholds, parseThresholds } from '../lib/quality/thresholds';
import { emptyCounts } from '../lib/tally';

/** The text of the page without its tags (entities of the fixture's texts decoded). */
function textOf(html: string): string {
  return html
    .replace(/<style>[\s\S]*?<\/style>/, '')
    .replace(/<svg[\s\S]*?<\/svg>/g, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

function batchOf(items: { channel: 'pairs' | 'rejected'; split: number; row: Row; moved?: string }[]): Batch {
  const entries = items.map((item, i) => {
    const entry = newEntry(i + 1, i * 100, '');
    entry.channel = item.channel;
    entry.split = item.split;
    entry.row = item.row;
    entry.reason = item.moved ?? null;
    return entry;
  });
  return { file: 'a.jsonl', entries, endOffset: items.length * 100, endLine: items.length, fileEnd: true, output: null, stop: null };
}

const PERSONNUMMER = '19850612-1234';

/** A run of 1,586 pairs (1,200 train, 386 test) and 23 rejected rows, PII found and redacted, duplicates, contamination. */
async function releasePage(rules: string | undefined, tweak: (json: Record<string, any>) => void = () => {}): Promise<string> {
  const row = (i: number): Row => ({ question: `Fråga ${i}?`, answer: `Svar nummer ${i} med några ord.`, persona: i % 2 ? 'sjukskoterska_erfaren_med_specialistutbildning' : 'lakare', validation_score: 0.9 });
  const items = [
    ...Array.from({ length: 1200 }, (_, i) => ({ channel: 'pairs' as const, split: 0, row: row(i) })),
    ...Array.from({ length: 386 }, (_, i) => ({ channel: 'pairs' as const, split: 1, row: row(i) })),
    ...Array.from({ length: 12 }, (_, i) => ({ channel: 'rejected' as const, split: 0, row: { ...row(i), failure_reason: 'för vag' } })),
    ...Array.from({ length: 9 }, (_, i) => ({ channel: 'rejected' as const, split: i % 2, row: { ...row(i), failure_reason: 'duplicate' }, moved: 'duplicate' })),
    ...Array.from({ length: 2 }, (_, i) => ({ channel: 'rejected' as const, split: 0, row: row(i) })),
  ];
  const report = new ReportAccumulator({ language: null, splitNames: ['train', 'test'] });
  report.add(batchOf(items));
  const counts = { ...emptyCounts(), lines: 1611, pairs: 1586, rejected: 23, errors: 2 };
  const sections = {
    pii: {
      mode: 'redact',
      personnummer: { matches: 2, records: 2, columns: { answer: 2 } },
      email: { matches: 1, records: 1, columns: { question: 1 } },
      phone: { matches: 0, records: 0, columns: {} },
      records: 3,
      records_scanned: 1609,
      records_written: 0,
      examples: [{ kind: 'personnummer', column: 'answer', masked: maskPii('personnummer', PERSONNUMMER), file: 'qa.jsonl', line: 12 }],
    },
    duplicates: { mode: 'exact', checked: ['exact'], exact: { records: 9, groups: 7 }, near: { records: 0, groups: 0 }, across_splits: 4, examples: [], leak_examples: [] },
    contamination: { ngram: 13, records: 0, files: [{ file: 'eval/mmlu.jsonl', records: 0 }], examples: [] },
  };
  const metrics = computeMetrics(report, counts, sections);
  const thresholds = rules === undefined ? [] : evaluateThresholds(parseThresholds(rules), metrics);
  const json = buildReport(report, { counts, metrics, thresholds, sections, tokenizer: null });
  tweak(json);
  return renderReportHtml(json, { title: 'dist' });
}

describe('number formats: fixed locale, whatever the machine', () => {
  test.each([
    [0, '0'],
    [1586, '1,586'],
    [1234567, '1,234,567'],
  ])('count %d → %s', (count, text) => {
    expect(formatCount(count)).toBe(text);
  });

  test.each([
    [0.0057397, '0.6%'],
    [0.8, '80.0%'],
    [0, '0.0%'],
    [1, '100.0%'],
    [0.00004, '<0.1%'], // not nothing: one record in 25,000
    [0.99996, '>99.9%'],
    [0.0005, '0.1%'],
  ])('share %d → %s', (share, text) => {
    expect(formatShare(share)).toBe(text);
  });

  test('other numbers: at most one decimal', () => {
    expect([formatNumber(11.6667), formatNumber(12345.25), formatNumber(7)]).toEqual(['11.7', '12,345.3', '7']);
  });
});

describe('the release page', () => {
  let html: string;
  let text: string;
  beforeAll(async () => {
    html = await releasePage('pii>0,duplicates>0.01,pass_rate<0.6');
    text = textOf(html);
  });

  test('in order: verdict, paragraph, rejected rows by reason, charts, then the details', () => {
    const order = ['id="verdict"', 'id="summary"', 'id="reasons"', 'id="charts"', 'id="pii"', 'id="duplicates"', 'id="contamination"', 'class="group"', 'id="numbers"'];
    const at = order.map((marker) => html.indexOf(marker));
    expect(at.every((index) => index > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // No chart before the reason table.
    expect(html.indexOf('<svg')).toBeGreaterThan(html.indexOf('id="reasons"'));
  });

  test('the verdict: every rule as written, its measured value (a share as a percentage, a count as a count), pass or fail', () => {
    expect(text).toContain('Fail: 1 of 3 --fail-on rules failed.');
    const verdict = html.slice(html.indexOf('id="verdict"'), html.indexOf('id="summary"'));
    expect(verdict).toContain('<tr><td><code>pii&gt;0</code></td><td class="num">3</td><td class="failed">fail</td></tr>');
    // 9 duplicates of 1,609 records: 0.0055935… → 0.6%, never the raw share.
    expect(verdict).toContain('<tr><td><code>duplicates&gt;0.01</code></td><td class="num">0.6%</td><td class="passed">pass</td></tr>');
    expect(verdict).toContain('<tr><td><code>pass_rate&lt;0.6</code></td><td class="num">98.6%</td><td class="passed">pass</td></tr>');
    expect(html).not.toMatch(/0\.00559|0\.98571/);
  });

  test('no rule: "no gate set"', async () => {
    const page = await releasePage(undefined);
    const verdict = page.slice(page.indexOf('id="verdict"'), page.indexOf('id="summary"'));
    expect(textOf(verdict)).toContain('Verdict No gate set: no --fail-on rule was given, so nothing was checked against a limit.');
    expect(verdict).not.toContain('<table');
  });

  test('all rules passed', async () => {
    expect(textOf(await releasePage('pass_rate<0.5'))).toContain('Pass: all 1 --fail-on rules hold.');
  });

  test('one paragraph in words: written per split, rejected by reason, personal data by kind and what was done, duplicates, contamination', () => {
    const paragraph = /<section id="summary"><h2>In short<\/h2>\n<p>([\s\S]*?)<\/p>/.exec(html)![1];
    expect(textOf(paragraph)).toBe(
      [
        '1,586 pairs written: 1,200 to train and 386 to test.',
        '23 rows rejected: 12 “för vag”, 9 duplicate and 2 (no reason given).',
        '2 bad lines went to qa_errors.jsonl.',
        'Personal data: 3 records with a match (2 personnummer and 1 email); --pii redact replaced every match by its placeholder ([PERSONNUMMER], [EMAIL], …) in every file written; 0 records written with a match.',
        'Duplicates: 9 exact duplicates beyond the first of their group, moved to rejected (--dedup exact); 4 have their first copy in another split (leaks); near duplicates not looked for.',
        'Contamination: no pair shares a 13-word n-gram with an evaluation set (eval/mmlu.jsonl).',
      ].join(' '),
    );
  });

  test('the reason table: every rejected row by failure_reason, the input\'s own and the moved ones, with counts and shares', () => {
    const table = html.slice(html.indexOf('id="reasons"'), html.indexOf('id="charts"'));
    const rows = [...table.matchAll(/<tr>(.*?)<\/tr>/g)].map((match) => textOf(match[1].replace(/<\/t[dh]>/g, '|')));
    expect(rows).toEqual([
      'failure_reason|rows|share of rejected|from|',
      '“för vag”|12|52.2%|given by the input|',
      'duplicate|9|39.1%|--dedup: an exact duplicate of an earlier pair|',
      '(no reason given)|2|8.7%|given by the input|',
      'all|23|100.0%||',
    ]);
  });

  test('the token budget: per split the longest rendered conversation and the share over 1,024 (TRL\'s default), the pairs --max-tokens moved', async () => {
    const page = await releasePage(undefined, (json) => {
      const tokens = (max: number, over1024: number) => ({ count: 1, min: 1, p50: 1, p90: 1, p99: max, max, mean: 1, histogram: [], share_over: { '512': 0.5, '1024': over1024, '2048': 0, '4096': 0 } });
      json.groups[0].conversation_tokens = tokens(1900, 0.0123);
      json.groups[2].conversation_tokens = tokens(800, 0);
      json.metrics.too_many_tokens = 1234;
    });
    expect(textOf(page)).toContain(
      "Token budget: the written pairs' conversations, rendered with the chat template, have train at most 1,900 tokens, 1.2% over 1,024 and test at most 800 tokens, 0.0% over 1,024; --max-tokens moved 1,234 pairs over the budget to rejected (too_many_tokens).",
    );
    expect(textOf(await releasePage(undefined))).not.toContain('Token budget');
  });

  test('a masked personnummer shows no digit of the birth date', () => {
    expect(maskPii('personnummer', PERSONNUMMER)).toBe('********-****');
    expect(text).toContain('masked: ********-****');
    expect(html).not.toMatch(/19850612|850612/);
  });

  test('counts in the tables with separators, shares as percentages', () => {
    expect(html).toContain('<h3>train / pairs: 1,200 records</h3>');
    const numbers = html.slice(html.indexOf('id="numbers"'));
    expect(numbers).toContain('<tr><th>lines</th><td class="num">1,611</td></tr>');
    expect(numbers).toContain('<tr><th>duplicates</th><td class="num">0.6%</td></tr>');
    expect(numbers).toContain('<tr><th>pii</th><td class="num">3</td></tr>');
  });

  test('no chart label cut: the long persona name drawn whole', () => {
    expect(html).toContain('>sjukskoterska_erfaren_med_specialistutbildning</text>');
    expect(html).not.toContain('\u2026</text>');
  });
});
