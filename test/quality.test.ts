/** lib/quality/plan.ts, lib/quality/rules.ts, lib/quality/counts.ts: the quality options, the rules in routing (lib/dataset/route.ts) and the report sections. */
import { newEntry, type Entry, type Row } from '../lib/batch';
import { makeRouter } from '../lib/dataset/route';
import { parseSplitSpec } from '../lib/dataset/split';
import { QualityAccumulator, duplicatesReport, piiReport, thresholdCounts, tiersReport } from '../lib/quality/counts';
import { type QualityPlan, normalizeQualityPlan, parseTiers, tierOf } from '../lib/quality/plan';
import { QualityRouter, dedupText, redactForRank } from '../lib/quality/rules';
import { redactText } from '../lib/quality/pii-text';
import { thrown } from './helpers';

const plan = (quality: Partial<QualityPlan>) => ({ spec: parseSplitSpec('train=0.5,test=0.5'), seed: 42, key: 'question', quality: { ...normalizeQualityPlan({}), ...quality } });

function pair(line: number, row: Row, channel: 'pairs' | 'rejected' = 'pairs'): Entry {
  const entry = newEntry(line, line * 100, '');
  entry.row = row;
  entry.channel = channel;
  return entry;
}

const row = (question: string, answer: string, score = 0.9): Row => ({ question, answer, source: 'd.pdf', persona: 'x/y', validation_score: score });

describe('options', () => {
  test('defaults: report, off, 0.8, no tiers', () => {
    expect(normalizeQualityPlan({})).toEqual({ pii: 'report', dedup: 'off', nearThreshold: 0.8, tiers: null, decontaminate: null });
  });

  test.each([
    [{ pii: 'mask' }, 'ERR_OPTION', '--pii must be one of report, redact, reject, got "mask"'],
    [{ dedup: 'fuzzy' }, 'ERR_OPTION', '--dedup must be one of off, exact, near, got "fuzzy"'],
    [{ dedup: 'near', nearThreshold: '1.5' }, 'ERR_OPTION', '--near-threshold must be a number above 0 and at most 1, got "1.5"'],
    [{ nearThreshold: '0.9' }, 'ERR_USAGE', '--near-threshold needs --dedup near, got "0.9"'],
    [{ tiers: 'high' }, 'ERR_OPTION', '--tiers must be NAME=MIN,… (a name and a minimum validation_score from 0 to 1), got "high"'],
    [{ tiers: 'high=0.9,high=0.8' }, 'ERR_OPTION', '--tiers must be NAME=MIN,… (high twice), got "high=0.9,high=0.8"'],
    [{ tiers: 'low=0.5' }, 'ERR_OPTION', '--tiers must be NAME=MIN,… (low is the tier of the others), got "low=0.5"'],
  ])('%j → %s', (args, code, message) => {
    const error = thrown(() => normalizeQualityPlan(args));
    expect([error.code, error.message]).toEqual([code, message]);
  });

  // Issue 16 item 6: sorting would make `medium` the best tier (and the default config) without a word.
  test.each([
    ['high=0.85,medium=0.9', '--tiers must list the tiers from the highest minimum down (medium=0.9 is above high=0.85; sorted: medium=0.9,high=0.85), got "high=0.85,medium=0.9"'],
    ['a=0.9, b=0.5, c=0.7', '--tiers must list the tiers from the highest minimum down (c=0.7 is above b=0.5; sorted: a=0.9,c=0.7,b=0.5), got "a=0.9, b=0.5, c=0.7"'],
    ['high=0.8,medium=0.80', '--tiers minimums must differ: medium=0.80 equals high=0.8, so medium would get no pair, got "high=0.8,medium=0.80"'],
  ])('tiers out of order: %s is refused with the sorted form', (tiers, message) => {
    const error = thrown(() => normalizeQualityPlan({ tiers }));
    expect([error.code, error.message]).toEqual(['ERR_OPTION', message]);
  });

  test('tiers are kept in the order given, highest minimum first', () => {
    expect(parseTiers('high=0.85, medium=0.7')).toEqual([
      { name: 'high', min: 0.85 },
      { name: 'medium', min: 0.7 },
    ]);
    const tiers = parseTiers('high=0.85,medium=0.7');
    expect([0.9, 0.85, 0.8, 0.7, 0.69, null].map((score) => tierOf(tiers, score))).toEqual(['high', 'high', 'medium', 'medium', 'low', 'low']);
  });
});

describe('routing with the quality rules', () => {
  const PII = row('Vem ringer jag?', 'Ring 070-123 45 67 eller 19850312-1231.');

  test('report: counted, the row unchanged', () => {
    const route = makeRouter(plan({ pii: 'report' }));
    const entry = pair(1, PII);
    const routed = route(entry, 'a.jsonl');
    expect(routed.channel).toBe('pairs');
    expect(routed.row).toBe(PII);
    expect(entry.quality!.pii).toEqual([
      { kind: 'phone', column: 'answer', masked: '070-*** ** **' },
      { kind: 'personnummer', column: 'answer', masked: '********-****' },
    ]);
  });

  test('redact: every string column of pairs and rejected rows, keys in order', () => {
    const route = makeRouter(plan({ pii: 'redact' }));
    const passed = route(pair(1, { ...PII, source: 'mejl anna@x.se' }), 'a.jsonl');
    expect(JSON.stringify(passed.row)).toBe(JSON.stringify({ question: 'Vem ringer jag?', answer: 'Ring [PHONE] eller [PERSONNUMMER].', source: 'mejl [EMAIL]', persona: 'x/y', validation_score: 0.9 }));
    const rejected = route(pair(2, { ...PII, failure_reason: 'vag' }, 'rejected'), 'a.jsonl');
    expect(rejected.row!.answer).toBe('Ring [PHONE] eller [PERSONNUMMER].');
    expect(rejected.channel).toBe('rejected');
  });

  test('reject: a pair with a match moves with failure_reason pii, redacted as redact would; a rejected row stays rejected, redacted', () => {
    const route = makeRouter(plan({ pii: 'reject' }));
    const redacted = { ...PII, answer: 'Ring [PHONE] eller [PERSONNUMMER].' };
    const moved = pair(1, PII);
    expect(route(moved, 'a.jsonl')).toMatchObject({ channel: 'rejected', row: { ...redacted, failure_reason: 'pii' } });
    expect(moved.quality!.pii).toHaveLength(2);
    expect(moved.quality!.piiWritten).toBe(false);
    expect(route(pair(2, row('Feber?', 'Ring 1177.')), 'a.jsonl').channel).toBe('pairs');
    const rejected = route(pair(3, { ...PII, failure_reason: 'vag 08-123 456 78' }, 'rejected'), 'a.jsonl');
    expect(rejected).toMatchObject({ channel: 'rejected', row: { ...redacted, failure_reason: 'vag [PHONE]' } });
  });

  test('redact: a list of strings (squad\'s answers) element by element; JSON text whose escapes hide a match', () => {
    const route = makeRouter(plan({ pii: 'redact' }));
    const entry = pair(1, { question: 'Vem?', answers: ['Ring 070-123 45 67', 'Ingen'], messages: '[{"content":"Hej\\n070-123 45 67"}]' });
    const routed = route(entry, 'a.jsonl');
    expect(routed.row).toEqual({ question: 'Vem?', answers: ['Ring [PHONE]', 'Ingen'], messages: '[{"content":"Hej\\n[PHONE]"}]' });
    expect(entry.quality!.pii).toEqual([{ kind: 'phone', column: 'answers', masked: '070-*** ** **' }]);
  });

  test('report: the row is written with its matches (piiWritten); redact: never', () => {
    for (const [mode, written] of [['report', true], ['redact', false]] as const) {
      const entry = pair(1, PII);
      makeRouter(plan({ pii: mode }))(entry, 'a.jsonl');
      expect([mode, entry.quality!.piiWritten]).toEqual([mode, written]);
    }
  });

  test('a row a rank redacted (piiFound): its hits counted and acted on, nothing scanned again', () => {
    const hits = [{ kind: 'phone' as const, column: 'answer', masked: '070-*** ** **' }];
    const entry = pair(1, row('Vem ringer jag?', 'Ring [PHONE].'));
    entry.piiFound = hits;
    const routed = makeRouter(plan({ pii: 'reject' }))(entry, 'a.jsonl');
    expect(routed).toMatchObject({ channel: 'rejected', row: { answer: 'Ring [PHONE].', failure_reason: 'pii' } });
    expect(entry.quality!.pii).toEqual(hits);
    // What a rank writes: the row as routing redacts it, with those hits.
    expect(redactForRank(pair(1, PII))).toEqual({ row: { ...PII, answer: 'Ring [PHONE] eller [PERSONNUMMER].' }, hits: [expect.objectContaining({ kind: 'phone' }), expect.objectContaining({ kind: 'personnummer' })] });
  });

  test.each([
    ['off', 'pairs', null],
    ['exact', 'rejected', 'duplicate'],
    ['near', 'rejected', 'duplicate'],
  ] as const)('--dedup %s: an exact duplicate → %s (%s)', (dedup, channel, reason) => {
    const route = makeRouter(plan({ dedup }));
    expect(route(pair(1, row('Feber?', 'Över 38 grader.')), 'a.jsonl').channel).toBe('pairs');
    const entry = pair(2, row('FEBER?', 'över 38  grader.'));
    const routed = route(entry, 'a.jsonl');
    expect([routed.channel, routed.row!.failure_reason ?? null]).toEqual([channel, reason]);
    expect(entry.quality).toMatchObject({ duplicate: 'exact', duplicateOf: { file: 'a.jsonl', line: 1 }, newGroup: true });
  });

  test('--dedup near moves near duplicates with near_duplicate; exact leaves them', () => {
    const long = Array.from({ length: 60 }, (_, i) => `ord${i}`).join(' ');
    const edited = long.replace('ord30', 'annat');
    for (const [dedup, channel] of [['exact', 'pairs'], ['near', 'rejected']] as const) {
      const route = makeRouter(plan({ dedup }));
      route(pair(1, row('Fråga?', long)), 'a.jsonl');
      const entry = pair(2, row('Fråga?', edited));
      expect(route(entry, 'a.jsonl').channel).toBe(channel);
      if (dedup === 'near') expect(entry.quality!.duplicate).toBe('near');
    }
  });

  test('a pair below --min-score is neither checked for duplicates nor tiered', () => {
    const route = makeRouter({ ...plan({ dedup: 'exact', tiers: parseTiers('high=0.85') }), minScore: 0.5 });
    const entry = pair(1, row('Feber?', 'Svar.', 0.2));
    expect(route(entry, 'a.jsonl').row!.failure_reason).toBe('below_min_score');
    expect(entry.quality).toMatchObject({ log: null, tier: null });
  });

  test('tiers: a passed pair gets the highest tier it reaches', () => {
    const route = makeRouter(plan({ tiers: parseTiers('high=0.85,medium=0.7') }));
    const tiers = [0.95, 0.75, 0.5].map((score, i) => {
      const entry = pair(i + 1, row(`Fråga ${i}?`, 'Svar.', score));
      route(entry, 'a.jsonl');
      return entry.quality!.tier;
    });
    expect(tiers).toEqual(['high', 'medium', 'low']);
  });
});

describe('report sections', () => {
  test('counts, masked examples with file and line, every kind present, shares of duplicates', () => {
    const quality = plan({ pii: 'redact', dedup: 'exact', tiers: parseTiers('high=0.85') }).quality;
    const router = new QualityRouter(quality, ['a.jsonl']);
    const accumulator = new QualityAccumulator(quality);
    const route = makeRouter(plan(quality), router);
    const rows = [
      row('Ring?', 'Ring 070-123 45 67 eller 08-123 456 78.'),
      row('Feber?', 'Över 38 grader.', 0.7),
      row('feber?', 'över 38 grader.'),
      row('Mejl?', 'anna@x.se', 0.95),
    ];
    rows.forEach((r, i) => {
      const entry = pair(i + 1, r);
      const routed = route(entry, 'a.jsonl');
      entry.channel = routed.channel;
      entry.row = routed.row;
      entry.split = routed.split;
      accumulator.add(entry, 'a.jsonl', ['train', 'test']);
    });
    const state = accumulator.state;
    expect(piiReport(state)).toEqual({
      mode: 'redact',
      personnummer: { matches: 0, records: 0, columns: {} },
      email: { matches: 1, records: 1, columns: { answer: 1 } },
      phone: { matches: 2, records: 1, columns: { answer: 2 } },
      iban: { matches: 0, records: 0, columns: {} },
      card: { matches: 0, records: 0, columns: {} },
      ip: { matches: 0, records: 0, columns: {} },
      records: 2,
      records_scanned: 4,
      records_written: 0,
      examples: [
        { kind: 'phone', column: 'answer', masked: '070-*** ** **', file: 'a.jsonl', line: 1 },
        { kind: 'phone', column: 'answer', masked: '08-*** *** **', file: 'a.jsonl', line: 1 },
        { kind: 'email', column: 'answer', masked: 'a***@*.se', file: 'a.jsonl', line: 4 },
      ],
    });
    expect(duplicatesReport(state)).toEqual({
      mode: 'exact',
      near_threshold: null,
      checked: ['exact'],
      records_checked: 4,
      exact: { records: 1, groups: 1 },
      near: { records: 0, groups: 0 },
      across_splits: 0,
      examples: [{ kind: 'exact', duplicate: { file: 'a.jsonl', line: 3, split: 'test' }, kept: { file: 'a.jsonl', line: 2, split: 'test' }, question: 'feber?' }],
      leak_examples: [],
    });
    expect(tiersReport(state)).toEqual({ high: 2, low: 1 });
    expect(thresholdCounts(state)).toEqual({ pii: 2, pii_written: 0, duplicates: 0.25, near_duplicates: 0, records_checked: 4 });
    expect(JSON.stringify(state)).not.toMatch(/123 45 67|anna@x/);
  });

  test('pii_written: under report the rows written with a match and the bad lines holding one; none once redacted', () => {
    const written = (mode: 'report' | 'redact' | 'reject') => {
      const quality = plan({ pii: mode }).quality;
      const accumulator = new QualityAccumulator(quality);
      const route = makeRouter(plan(quality), new QualityRouter(quality, ['a.jsonl']));
      const rows = [row('Ring?', 'Ring 070-123 45 67.'), row('Feber?', 'Över 38 grader.'), row('Mejl?', 'anna@x.se', 0.95)];
      rows.forEach((r, i) => {
        const entry = pair(i + 1, r);
        const routed = route(entry, 'a.jsonl');
        [entry.channel, entry.row] = [routed.channel, routed.row];
        accumulator.add(entry, 'a.jsonl', ['train', 'test']);
      });
      // Bad lines as the processor leaves them: under redact|reject it has redacted them (lib/processor.ts).
      for (const text of ['{"q": "ring\\n070-123 45 67"', '{"q": 19850312-1231', 'trasig rad']) {
        const entry = newEntry(9, 900, mode === 'report' ? text : redactText(text));
        entry.channel = 'errors';
        entry.errorMessage = 'Unexpected token';
        accumulator.add(entry, 'a.jsonl', ['train', 'test']);
      }
      return thresholdCounts(accumulator.state).pii_written;
    };
    expect([written('report'), written('redact'), written('reject')]).toEqual([4, 0, 0]);
  });

  test('a duplicate in another split than the pair it repeats: both splits in its example, counted across splits, listed as a leak', () => {
    const quality = plan({ dedup: 'exact' }).quality;
    const router = new QualityRouter(quality, ['a.jsonl', 'b.jsonl']);
    const accumulator = new QualityAccumulator(quality);
    const splitNames = ['train', 'validation', 'test'];
    const places: [string, number, number][] = [
      ['a.jsonl', 1, 2],
      ['b.jsonl', 7, 0],
    ];
    for (const [file, line, split] of places) {
      const entry = pair(line, row('Feber?', 'Över 38 grader.'));
      entry.split = split;
      router.apply(entry, entry.row!, true, file, split);
      accumulator.add(entry, file, splitNames);
    }
    const leak = { kind: 'exact', duplicate: { file: 'b.jsonl', line: 7, split: 'train' }, kept: { file: 'a.jsonl', line: 1, split: 'test' }, question: 'Feber?' };
    expect(duplicatesReport(accumulator.state)).toMatchObject({ across_splits: 1, examples: [leak], leak_examples: [leak] });
    // A copy in the same split as its first record is a duplicate, not a leak.
    const same = pair(9, row('Feber?', 'Över 38 grader.'));
    same.split = 2;
    router.apply(same, same.row!, true, 'b.jsonl', 2);
    accumulator.add(same, 'b.jsonl', splitNames);
    expect(duplicatesReport(accumulator.state)).toMatchObject({ across_splits: 1, leak_examples: [leak] });
    expect(accumulator.state.duplicates.examples).toHaveLength(2);
  });
});

describe('dedupText: what duplicates are judged on, for any mapping', () => {
  test.each([
    [{ question: 'Q', answer: 'A', source: 's' }, ['Q', 'A']],
    [{ id: 'd1', text: 'Samma text.', metadata: '{}' }, ['Samma text.', '']],
    [{ id: 'x', title: 'T', body: 'B', n: 3 }, ['x\nT\nB', '']],
  ] as Array<[Row, [string, string]]>)('%j', (row, text) => {
    expect(dedupText(row)).toEqual(text);
  });

  test('documents with the same text and other ids are duplicates; different texts never', () => {
    const plan = { spec: parseSplitSpec('train=1'), seed: 42, key: 'id', quality: normalizeQualityPlan({ dedup: 'exact' }) };
    const route = makeRouter(plan);
    const doc = (id: string, text: string): Entry => {
      const entry = newEntry(1, 0, '');
      entry.channel = 'pairs';
      entry.row = { id, text, metadata: '{}' };
      return entry;
    };
    const routes = [doc('a', 'Första texten.'), doc('b', 'Andra texten.'), doc('c', 'Första texten.')].map((entry) => route(entry).channel);
    expect(routes).toEqual(['pairs', 'pairs', 'rejected']);
  });
});
