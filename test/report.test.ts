/** lib/quality/report.ts, lib/quality/report-json.ts, lib/quality/sketch.ts: the report's numbers on a fixture corpus, bounded sketches, a state that survives a resume. */
import { detect, detectAll, supportedLanguages, toISO2 } from 'tinyld';
import { newEntry, type Batch, type Channel, type Row } from '../lib/batch';
import { renderCard } from '../lib/dataset/card';
import {
  DETECTABLE_LANGUAGES,
  LANGUAGE_CHECK_ALL,
  LANGUAGE_MIN_ACCURACY,
  LANGUAGE_MIN_CHARS,
  LANGUAGE_STRIDE,
  detectLanguage,
  languageSampled,
} from '../lib/quality/language';
import { ReportAccumulator, UNCOUNTED_REASON } from '../lib/quality/report';
import { buildReport, cardQuality, computeMetrics } from '../lib/quality/report-json';
import { equalNormalized, normalizeForCompare, wordCount } from '../lib/quality/words';
import { TopCounter, addLength, bucketLow, bucketOf, emptyLengthSketch, powerOfTwoHistogram, quantile } from '../lib/quality/sketch';
import { emptyCounts } from '../lib/tally';

const SV = 'Patienten ska få information om behandlingen innan den påbörjas och kan alltid ställa frågor.';
const EN = 'The patient should always be informed about the treatment before it starts, in plain words.';

function row(question: string, answer: string, persona = 'sjuksköterska/erfaren', source = 'dok/a.pdf', score = 0.9): Row {
  return { question, answer, source, persona, validation_score: score };
}

/** A routed batch: each item's channel and split as a router leaves them. */
function batchOf(items: { channel: Channel; split?: number; row?: Row }[]): Batch {
  const entries = items.map((item, i) => {
    const entry = newEntry(i + 1, i * 100, '');
    entry.channel = item.channel;
    entry.split = item.split ?? 0;
    entry.row = item.row ?? null;
    return entry;
  });
  return { file: 'a.jsonl', entries, endOffset: items.length * 100, endLine: items.length, fileEnd: true, output: null, stop: null };
}

/** The fixture corpus: two splits, pairs and rejected, an error line, every answer case. */
const FIXTURE = batchOf([
  { channel: 'pairs', split: 0, row: row('Vad gäller?', SV) },
  { channel: 'pairs', split: 0, row: row('Vad gäller nu?', EN, 'läkare/ny', 'dok/b.pdf', 0.75) },
  { channel: 'pairs', split: 0, row: row('Samma text', ' samma  TEXT ', 'läkare/ny', 'dok/b.pdf', 1) },
  { channel: 'pairs', split: 1, row: row('Kort?', 'Ja.', 'sjuksköterska/erfaren', 'dok/c.pdf', 0.05) },
  { channel: 'rejected', split: 0, row: { ...row('Tomt?', '   ', 'x', 'dok/a.pdf', 0.2), failure_reason: 'för vag' } },
  { channel: 'errors' },
  { channel: 'blank' },
]);

function counts(pairs: number, rejected: number, errors: number, blank: number) {
  return { ...emptyCounts(), lines: pairs + rejected + errors + blank, pairs, rejected, errors, blank };
}

describe('sketch', () => {
  test.each([0, 1, 127, 128, 129, 255, 256, 1000, 4095, 10_485_760])('bucket of %i holds it: low ≤ v < low of the next, within 1/64', (value) => {
    const bucket = bucketOf(value);
    expect(bucketLow(bucket)).toBeLessThanOrEqual(value);
    expect(bucketLow(bucket + 1)).toBeGreaterThan(value);
    expect(value - bucketLow(bucket)).toBeLessThanOrEqual(value / 64);
  });

  test('quantiles: exact below 128, the bucket low above; min and max exact', () => {
    const small = emptyLengthSketch();
    for (const value of [5, 1, 9, 3, 7]) addLength(small, value);
    expect([quantile(small, 0.5), quantile(small, 0.9), quantile(small, 0.99)]).toEqual([5, 9, 9]);
    const large = emptyLengthSketch();
    for (let value = 1; value <= 1000; value++) addLength(large, value);
    expect([large.min, quantile(large, 0.5), quantile(large, 0.9), quantile(large, 0.99), large.max]).toEqual([1, 500, 896, 984, 1000]);
    expect(quantile(emptyLengthSketch(), 0.5)).toBeNull();
  });

  test('memory: a million values take as many buckets as their range needs', () => {
    const sketch = emptyLengthSketch();
    for (let value = 0; value < 1_000_000; value++) addLength(sketch, value % 5000);
    expect(Object.keys(sketch.buckets).length).toBe(bucketOf(4999) + 1);
    expect(Object.keys(sketch.buckets).length).toBeLessThan(500);
  });

  test('power-of-two histogram, empty bins included', () => {
    const sketch = emptyLengthSketch();
    for (const value of [0, 1, 2, 3, 4, 130]) addLength(sketch, value);
    expect(powerOfTwoHistogram(sketch)).toEqual([
      { range: '0', count: 1 },
      { range: '1', count: 1 },
      { range: '2-3', count: 2 },
      { range: '4-7', count: 1 },
      { range: '8-15', count: 0 },
      { range: '16-31', count: 0 },
      { range: '32-63', count: 0 },
      { range: '64-127', count: 0 },
      { range: '128-255', count: 1 },
    ]);
  });

  test('TopCounter: exact while names fit, pruned to the most frequent beyond 2 × capacity, ties by name', () => {
    const names = new TopCounter(undefined, 2);
    for (const name of ['b', 'a', 'b', 'c', '12']) names.add(name);
    expect(names.top(2)).toEqual({ top: [{ name: 'b', count: 2 }, { name: '12', count: 1 }], other: 2, names: 4, exact: true });
    names.add('d'); // 5 names > 2 × 2: keep b and 12
    expect(names.state).toEqual({ counts: [['b', 2], ['12', 1]], total: 6, pruned: true });
    expect(names.top(5)).toEqual({ top: [{ name: 'b', count: 2 }, { name: '12', count: 1 }], other: 3, names: null, exact: false });
  });
});

describe('text measures', () => {
  test('the languages --language accepts are the ones tinyld detects', () => {
    expect(DETECTABLE_LANGUAGES).toEqual(supportedLanguages.map(toISO2));
  });

  test('a language check without a detector is an internal error', () => {
    expect(() => new ReportAccumulator({ language: 'sv', splitNames: ['train'] })).toThrow('internal: a language check needs a detector');
  });

  test.each([
    ['', 0],
    ['ett', 1],
    ['  två  ord ', 2],
    ['tab\tny\nrad', 3],
    ['nbsp\u00a0delar', 2],
    ['🩺 dos', 2],
  ])('wordCount(%j) = %i', (text, words) => {
    expect(wordCount(text)).toBe(words);
  });

  test('answer equals question after NFKC, case folding and white space', () => {
    expect(normalizeForCompare(' Samma\u00a0 TEXT\n')).toBe('samma text');
    expect(normalizeForCompare('ﬁn')).toBe('fin');
  });
});

describe('ReportAccumulator on the fixture corpus', () => {
  const splitNames = ['train', 'test'];
  const report = new ReportAccumulator({ language: 'sv', detect, splitNames });
  report.add(FIXTURE);
  const json = buildReport(report, { counts: counts(4, 1, 1, 1), metrics: {}, thresholds: [], sections: {}, tokenizer: null }) as any;

  test('one group per split and channel, in split order, pairs first', () => {
    expect(json.groups.map((group: any) => [group.split, group.channel, group.records])).toEqual([
      ['train', 'pairs', 3],
      ['train', 'rejected', 1],
      ['test', 'pairs', 1],
    ]);
  });

  test('lengths of every string column in characters and words', () => {
    const train = json.groups[0];
    expect(Object.keys(train.columns)).toEqual(['question', 'answer', 'source', 'persona']);
    expect(Object.keys(json.groups[1].columns)).toEqual(['question', 'answer', 'source', 'persona', 'failure_reason']);
    const { histogram, ...question } = train.columns.question.chars;
    expect(question).toEqual({ count: 3, min: 10, p50: 11, p90: 14, p99: 14, max: 14, mean: 11.6667 });
    expect(histogram).toEqual([
      { range: '0', count: 0 },
      { range: '1', count: 0 },
      { range: '2-3', count: 0 },
      { range: '4-7', count: 0 },
      { range: '8-15', count: 3 },
    ]);
    const { histogram: _words, ...answerWords } = train.columns.answer.words;
    // 14 words (Swedish), 15 (English), 2 ("samma TEXT").
    expect(answerWords).toEqual({ count: 3, min: 2, p50: 14, p90: 15, p99: 15, max: 15, mean: 10.3333 });
    expect(train.columns.answer.tokens).toBeUndefined();
  });

  test('score histogram, personas and source documents', () => {
    const train = json.groups[0];
    expect(train.validation_score_histogram.map((bin: any) => bin.count)).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
    expect(train.validation_score_histogram[7]).toEqual({ range: '0.7-0.8', count: 1 });
    expect(train.personas).toEqual({ top: [{ name: 'läkare/ny', count: 2 }, { name: 'sjuksköterska/erfaren', count: 1 }], other: 0, names: 2, exact: true });
    expect(train.source_documents.top).toEqual([{ name: 'dok/b.pdf', count: 2 }, { name: 'dok/a.pdf', count: 1 }]);
    expect(json.groups[2].validation_score_histogram[0]).toEqual({ range: '0.0-0.1', count: 1 });
  });

  test('empty, very short and question-equal answers', () => {
    expect(json.groups[0].answers).toEqual({ empty: 0, very_short: 1, equal_to_question: 1 });
    expect(json.groups[1].answers).toEqual({ empty: 1, very_short: 0, equal_to_question: 0 });
    expect(json.groups[2].answers).toEqual({ empty: 0, very_short: 1, equal_to_question: 0 });
  });

  test(`language: answers of ${LANGUAGE_MIN_CHARS}+ characters checked, an English one is a mismatch`, () => {
    expect(json.groups[0].language).toEqual({ expected: 'sv', checked: 2, mismatched: 1, mismatch_share: 0.5, skipped_short: 1, not_sampled: 0, detected: { en: 1, sv: 1 } });
    expect(report.languageTotals()).toEqual({ checked: 2, mismatched: 1 });
  });

  test(`past ${LANGUAGE_CHECK_ALL} records of a group, only the answers in the hash sample (1 in ${LANGUAGE_STRIDE}) are checked`, () => {
    const many = new ReportAccumulator({ language: 'sv', detect, splitNames });
    const extra = 30 * LANGUAGE_STRIDE;
    const answers = Array.from({ length: LANGUAGE_CHECK_ALL + extra }, (_, i) => `${SV} Fall ${i}.`);
    many.add(batchOf(answers.map((answer) => ({ channel: 'pairs' as const, row: row('Fråga?', answer) }))));
    const sampled = answers.slice(LANGUAGE_CHECK_ALL).filter(languageSampled).length;
    // Roughly one in STRIDE of the later answers, and never all or none of them.
    expect(sampled).toBeGreaterThanOrEqual(15);
    expect(sampled).toBeLessThanOrEqual(50);
    const state = many.state.groups[0].language;
    expect([state.checked, state.not_sampled, state.skipped_short]).toEqual([LANGUAGE_CHECK_ALL + sampled, extra - sampled, 0]);
  });

  test('the sample is the text\'s: the same answers are checked whatever their order and group size', () => {
    const texts = Array.from({ length: 2000 }, (_, i) => `Svar nummer ${i} om behandlingen.`);
    const picked = texts.filter(languageSampled);
    expect(texts.slice().reverse().filter(languageSampled)).toEqual(picked.slice().reverse());
    expect(languageSampled(picked[0])).toBe(true);
  });

  test('--language off: nothing checked, no language_mismatch metric', () => {
    const off = new ReportAccumulator({ language: null, splitNames });
    off.add(FIXTURE);
    expect(off.languageTotals()).toEqual({ checked: 0, mismatched: 0 });
    expect(computeMetrics(off, counts(4, 1, 1, 1), {})).toEqual({ pass_rate: 0.8, errors: 1 / 6 });
  });

  test('token lengths with a token counter', () => {
    const tokens = new ReportAccumulator({ language: 'sv', detect, splitNames, countTokens: (text) => text.length * 2 });
    tokens.add(FIXTURE);
    const out = buildReport(tokens, { counts: counts(4, 1, 1, 1), metrics: {}, thresholds: [], sections: {}, tokenizer: 't.json' }) as any;
    expect(out.groups[0].columns.question.tokens.max).toBe(28);
    expect(out.settings.tokenizer).toBe('t.json');
  });
});

describe('metrics and sections', () => {
  const report = new ReportAccumulator({ language: 'sv', detect, splitNames: ['train', 'test'] });
  report.add(FIXTURE);
  const sections = {
    pii: { personnummer: { matches: 3, records: 2 }, email: { matches: 1, records: 1 }, records: 3, records_written: 0, mode: 'redact', examples: [{ kind: 'personnummer', value: '********-****', file: 'a.jsonl', line: 4 }] },
    duplicates: { exact: { records: 1, groups: 1 }, near: { records: 2, groups: 1 }, across_splits: 1 },
    tiers: { high: 2, medium: 1, low: 1 },
  };

  test('every metric from the counts, the language check and the sections', () => {
    expect(computeMetrics(report, counts(4, 1, 1, 1), sections)).toEqual({
      pass_rate: 0.8,
      errors: 1 / 6,
      language_mismatch: 0.5,
      pii: 3,
      pii_written: 0,
      duplicates: 0.2,
      near_duplicates: 0.4,
      leaks: 1,
    });
  });

  test('without sections: no pii or duplicates metric; empty runs give shares of 0', () => {
    expect(computeMetrics(report, counts(0, 0, 0, 0), {})).toEqual({ pass_rate: 0, errors: 0, language_mismatch: 0.5 });
  });

  test('report.json includes the sections as given, floats rounded', () => {
    const metrics = computeMetrics(report, counts(4, 1, 1, 1), sections);
    const json = buildReport(report, { counts: counts(4, 1, 1, 1), metrics, thresholds: [{ rule: 'pii>0', metric: 'pii', value: 3, passed: false }], sections, tokenizer: null }) as any;
    expect(json.metrics.errors).toBe(0.166667);
    expect(json.thresholds).toEqual([{ rule: 'pii>0', value: 3, passed: false }]);
    expect(json.pii).toEqual(sections.pii);
    expect(json.duplicates).toEqual(sections.duplicates);
    expect(json.tiers).toEqual(sections.tiers);
    expect(Object.keys(json)).toEqual(['report_version', 'settings', 'counts', 'rejected_reasons', 'metrics', 'thresholds', 'groups', 'pii', 'duplicates', 'tiers']);
  });

  test('the card gets a "Data quality" section', () => {
    const metrics = computeMetrics(report, counts(4, 1, 1, 1), sections);
    const json = buildReport(report, { counts: counts(4, 1, 1, 1), metrics, thresholds: [{ rule: 'pii>0', metric: 'pii', value: 3, passed: false }], sections, tokenizer: null });
    const quality = cardQuality(json);
    expect(quality.notes).toEqual([
      'Pass rate (validated pairs among all records): 80.00 %.',
      'Language: 50.00 % of the checked answers (40 characters or more) are not detected as `sv` (tinyld).',
      "Personal data (`--pii redact`): 3 records with a personnummer, e-mail, phone, IBAN, card or IP match in what was read; every match was replaced by its placeholder (`[PERSONNUMMER]`, `[EMAIL]`, `[PHONE]`, `[IBAN]`, `[CARD]`, `[IP]`) in every file of this folder: the rows of every config, split and format, the bad lines' text and messages in `qa_errors.jsonl`, and the report's examples (masked) and duplicate questions. Records written with a match: 0.",
      'Duplicates: 1 exact and 2 near duplicates beyond the first of their group.',
      'Tiers: high 2, medium 1, low 1.',
    ]);
    const card = renderCard({ title: 't', loadPath: 't', columns: { pairs: [], rejected: [] }, configs: [], quality });
    expect(card).toContain('## Data quality\n\n- Pass rate (validated pairs among all records): 80.00 %.\n');
    expect(card).toContain('| `pii>0` | 3 | FAILED |');
  });

  test.each([
    ['reject', 0, /^Personal data \(`--pii reject`\): 3 records .*; pairs with one were moved to the rejected config \(`failure_reason` `pii`\), and every match was replaced .* in every file of this folder: .*`qa_errors.jsonl`.*Records written with a match: 0\.$/],
    ['report', 5, /^Personal data \(`--pii report`\): 3 records .*, counted and left as they were: 5 records written to this folder \(pairs, rejected rows, bad lines in `qa_errors.jsonl`\) hold personal data; export with `--pii redact` before publishing\.$/],
  ])('the card\'s personal-data line with --pii %s says what was done to every file', (mode, written, line) => {
    const withMode = { ...sections, pii: { ...sections.pii, mode, records_written: written } };
    const json = buildReport(report, { counts: counts(4, 1, 1, 1), metrics: computeMetrics(report, counts(4, 1, 1, 1), withMode), thresholds: [], sections: withMode, tokenizer: null });
    expect(cardQuality(json).notes[2]).toMatch(line);
  });

  test.each([
    ['off', ['exact'], 'Duplicates: 1 exact duplicates beyond the first of their group (dedup: `off`, counted and left in the data; near duplicates not looked for).'],
    ['exact', ['exact'], 'Duplicates: 1 exact duplicates beyond the first of their group (dedup: `exact`; near duplicates not looked for).'],
    ['near', ['exact', 'near'], 'Duplicates: 1 exact and 2 near duplicates beyond the first of their group (dedup: `near`).'],
  ])('the card\'s duplicates line with dedup %s says what was looked for', (mode, checked, line) => {
    const withMode = { ...sections, duplicates: { ...sections.duplicates, mode, checked } };
    const metrics = computeMetrics(report, counts(4, 1, 1, 1), withMode);
    const json = buildReport(report, { counts: counts(4, 1, 1, 1), metrics, thresholds: [], sections: withMode, tokenizer: null });
    expect(cardQuality(json).notes[3]).toBe(line);
  });
});

describe('rejected rows by failure_reason', () => {
  const splitNames = ['train', 'test'];
  /** A rejected entry as routing leaves it: `moved` is the rule's reason (Entry.reason), null for the input's own rejected rows. */
  function rejected(reason: string | undefined, moved: string | null = null, split = 0) {
    const given = row('Fråga?', 'Svar som inte godkändes.');
    return { channel: 'rejected' as Channel, split, row: reason === undefined ? given : { ...given, failure_reason: reason }, moved };
  }
  function batchWithMoves(items: ReturnType<typeof rejected>[]): Batch {
    const batch = batchOf(items);
    batch.entries.forEach((entry, i) => (entry.reason = items[i].moved));
    return batch;
  }

  test("the input's own rejected rows and those routing moved, segments' rows too, most frequent first", () => {
    const report = new ReportAccumulator({ language: null, splitNames });
    const batch = batchWithMoves([rejected('för vag'), rejected('below_min_score', 'below_min_score'), rejected('för vag', null, 1), rejected(undefined), rejected('pii', 'pii')]);
    const segmented = newEntry(6, 500, '');
    segmented.channel = 'segmented';
    segmented.segments = [
      { channel: 'pairs', row: row('a?', 'b'), split: 0 },
      { channel: 'rejected', row: { ...row('c?', 'd'), failure_reason: 'too_short' }, split: 0, reason: 'too_short' },
    ];
    batch.entries.push(segmented);
    report.add(batch);
    expect(report.rejectedReasons()).toEqual([
      { reason: 'för vag', count: 2 },
      { reason: '', count: 1 },
      { reason: 'below_min_score', count: 1 },
      { reason: 'pii', count: 1 },
      { reason: 'too_short', count: 1 },
    ]);
    // The moved ones alone are what the filters' metrics count.
    expect(['below_min_score', 'pii', 'too_short', 'för vag'].map((reason) => report.routedCount(reason))).toEqual([1, 1, 1, 0]);
    const json = buildReport(report, { counts: counts(0, 5, 0, 0), metrics: {}, thresholds: [], sections: {}, tokenizer: null }) as any;
    expect(json.rejected_reasons).toEqual(report.rejectedReasons());
    expect(report.state.rejected_reasons).toEqual([['', 1], ['below_min_score', 1], ['för vag', 2], ['pii', 1], ['too_short', 1]]);
  });

  test('nothing rejected: an empty list in report.json, no field in the state', () => {
    const report = new ReportAccumulator({ language: null, splitNames });
    report.add(batchOf([{ channel: 'pairs', row: row('a?', 'b') }]));
    expect(report.rejectedReasons()).toEqual([]);
    expect('rejected_reasons' in report.state).toBe(false);
    expect((buildReport(report, { counts: counts(1, 0, 0, 0), metrics: {}, thresholds: [], sections: {}, tokenizer: null }) as any).rejected_reasons).toEqual([]);
  });

  test("an older version's state (no rejected_reasons) resumes: its rejected rows count under UNCOUNTED_REASON", () => {
    const first = new ReportAccumulator({ language: 'sv', detect, splitNames });
    first.add(FIXTURE);
    const { rejected_reasons: _dropped, ...older } = JSON.parse(JSON.stringify(first.state));
    const resumed = new ReportAccumulator({ language: 'sv', detect, splitNames }, older);
    resumed.add(batchWithMoves([rejected('för vag')]));
    expect(resumed.rejectedReasons()).toEqual([
      { reason: UNCOUNTED_REASON, count: 1 },
      { reason: 'för vag', count: 1 },
    ]);
    // …and keeps that count through its own checkpoints.
    const again = new ReportAccumulator({ language: 'sv', detect, splitNames }, JSON.parse(JSON.stringify(resumed.state)));
    expect(again.rejectedReasons()).toEqual(resumed.rejectedReasons());
  });
});

describe('resume: the state is plain JSON and gives the same report', () => {
  const splitNames = ['train', 'test'];
  const entries = FIXTURE.entries;

  test.each([0, 1, 2, 3, 4, 5, 6, 7])('cut after %i entries, state through JSON, same report.json bytes', (cut) => {
    const whole = new ReportAccumulator({ language: 'sv', detect, splitNames });
    whole.add(FIXTURE);
    const first = new ReportAccumulator({ language: 'sv', detect, splitNames });
    first.add({ ...FIXTURE, entries: entries.slice(0, cut) });
    const resumed = new ReportAccumulator({ language: 'sv', detect, splitNames }, JSON.parse(JSON.stringify(first.state)));
    resumed.add({ ...FIXTURE, entries: entries.slice(cut) });
    const render = (report: ReportAccumulator) => JSON.stringify(buildReport(report, { counts: counts(4, 1, 1, 1), metrics: {}, thresholds: [], sections: {}, tokenizer: null }));
    expect(render(resumed)).toBe(render(whole));
    expect(JSON.stringify(resumed.state)).toBe(JSON.stringify(whole.state));
  });

  test('state is a copy: adding after reading it does not change it', () => {
    const report = new ReportAccumulator({ language: 'sv', detect, splitNames });
    report.add(FIXTURE);
    const state = report.state;
    const text = JSON.stringify(state);
    report.add(FIXTURE);
    expect(JSON.stringify(state)).toBe(text);
  });
});

describe('equalNormalized: "answer equals question" without normalizing plain Latin text', () => {
  test.each([
    ['Hej  du', ' hej du ', true],
    ['Hej du', 'hejdu', false],
    ['Å ä', 'å Ä', true],
    ['abc ', 'abc', true],
    ['ﬁ', 'fi', true], // NFKC: the full path
    ['x\u00a0y', 'x y', true], // a no-break space: the full path
    ['A\nB', 'a b', true],
    ['ab', 'a b', false],
    ['ß', 'SS', false],
  ])('%j vs %j: %s', (a, b, equal) => {
    expect(equalNormalized(a, b)).toBe(equal);
    expect(equalNormalized(a, b)).toBe(normalizeForCompare(a) === normalizeForCompare(b));
  });

  test('agrees with normalizeForCompare on 50 000 random strings of letters, Nordic letters, spaces and compatibility characters', () => {
    const chars = ['a', 'A', 'b', 'å', 'Å', ' ', '\t', '\n', 'ﬁ', '\u00a0', 'é', 'É', 'ß', 'x', '\u2003'];
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const text = () => Array.from({ length: Math.floor(random() * 6) }, () => chars[Math.floor(random() * chars.length)]).join('');
    let disagreements = 0;
    for (let t = 0; t < 50_000; t++) {
      const a = text();
      const b = random() < 0.5 ? text() : a.toUpperCase().replace(/ /g, '  ');
      if (equalNormalized(a, b) !== (normalizeForCompare(a) === normalizeForCompare(b))) disagreements++;
    }
    expect(disagreements).toBe(0);
  });
});

describe('detectLanguage: the target language among tinyld candidates, not only its top guess', () => {
  const detectSv = detectLanguage(detectAll, 'sv');
  test.each([
    // tinyld's top guesses for these are 'ber' and 'it' (samples/qa_passed.jsonl): not a mismatch.
    ['För en vuxen med normal lever- och njurfunktion är maxdosen 4 g per dygn, fördelat på 3–4 doser.', 'sv'],
    ['Patienten bedöms först och ansvarig läkare informeras om förändringen i tillståndet.', 'sv'],
    ['The patient should be assessed by the responsible physician before any medication is given.', 'en'],
    ['Der Patient muss vor jeder Medikamentengabe vom verantwortlichen Arzt beurteilt werden.', 'de'],
    ['Pasienten skal vurderes av ansvarlig lege før legemidler gis, og sykepleieren dokumenterer dosen.', 'no'],
  ])('%s → %s', (text, language) => {
    expect(detectSv(text)).toBe(language);
  });

  test('a fake detector: the target at the threshold matches, below it the best candidate is returned', () => {
    const fake = (candidates: Array<{ lang: string; accuracy: number }>) => detectLanguage((_text, options) => (options.only.includes('sv') ? candidates : []), 'sv')('x');
    expect(fake([{ lang: 'no', accuracy: 0.7 }, { lang: 'sv', accuracy: LANGUAGE_MIN_ACCURACY }])).toBe('sv');
    expect(fake([{ lang: 'no', accuracy: 0.9 }, { lang: 'sv', accuracy: LANGUAGE_MIN_ACCURACY / 2 }])).toBe('no');
    expect(fake([])).toBe('');
  });
});
