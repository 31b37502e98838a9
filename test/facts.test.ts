/**
 * lib/quality/facts.ts: what the processor finds for the quality rules and the report —
 * the same decisions, rows and report with facts as without, in-process and
 * across a thread boundary.
 */
import { newEntry, type Batch, type Entry, type Row } from '../lib/batch';
import { DedupIndex } from '../lib/quality/dedup';
import { FactFinder, type FactsSpec } from '../lib/quality/facts';
import { findPii, redactPii } from '../lib/quality/pii';
import { normalizeQualityPlan } from '../lib/quality/plan';
import { QualityAccumulator } from '../lib/quality/counts';
import { QualityRouter } from '../lib/quality/rules';
import { detectLanguage, languageSampled } from '../lib/quality/language';
import { ReportAccumulator } from '../lib/quality/report';
import { measureText, wordCount } from '../lib/quality/words';
import { makeRouter } from '../lib/dataset/route';
import { parseSplitSpec } from '../lib/dataset/split';
import { codePointLength } from '../lib/quality/stats';
import { batchFromResult, runChunkTask, toChunkTask } from '../lib/worker-task';
import { makeBatchContext, processBatch } from '../lib/processor';
import { LineCutter } from '../lib/input/line-carry';
import { LineScanner } from '../lib/input/lines';
import { detectAll } from 'tinyld';
import { internalRecord, seeded } from './helpers';
import { LanguageThread } from '../lib/io/language-thread';

const SV = 'Patienten ska få information om behandlingen innan den påbörjas och kan alltid ställa frågor';

function entryOf(line: number, row: Row, channel: 'pairs' | 'rejected' = 'pairs'): Entry {
  const entry = newEntry(line, line * 100, '');
  entry.row = row;
  entry.channel = channel;
  return entry;
}

/** Pairs with PII, exact and near duplicates, low scores, rejected rows, many sampled answers. */
function corpus(): Array<{ row: Row; channel: 'pairs' | 'rejected' }> {
  const items: Array<{ row: Row; channel: 'pairs' | 'rejected' }> = [];
  for (let i = 0; i < 600; i++) {
    const answer = i % 7 === 0 ? `${SV}, ring 070-123 45 67 eller maila vard${i}@example.se.` : `${SV} (fall ${i % 250}).`;
    const question = i % 11 === 0 ? `Vad gäller för 19850312-1231 i fall ${i % 250}?` : `Vad gäller i fall ${i % 250}?`;
    const score = (i % 10) / 10 + 0.05;
    items.push({ row: { id: `q${i}`, question, answer, source: 'd.pdf', persona: 'x/y', validation_score: score, failure_reason: null }, channel: 'pairs' });
    if (i % 13 === 0) items.push({ row: { id: `r${i}`, question, answer: `  ${answer}  `, source: 'd.pdf', persona: 'x/y', validation_score: 0.1, failure_reason: 'för vag, ring 08-123 456 78' }, channel: 'rejected' });
  }
  return items;
}

/** Routes and reports the corpus, with the finder's facts or without; what every consumer made of it. */
function run(spec: FactsSpec, finder: FactFinder | null, thread: LanguageThread | null = null) {
  const quality = { ...normalizeQualityPlan({}), pii: spec.pii, dedup: spec.near ? ('near' as const) : ('exact' as const) };
  const plan = { spec: parseSplitSpec('train=0.8,test=0.2'), seed: 42, key: 'question', minScore: 0.3, quality };
  const router = new QualityRouter(quality, ['a.jsonl']);
  const route = makeRouter(plan, router);
  const detectLater = thread ? (text: string) => thread.detectLater(text) : undefined;
  const report = new ReportAccumulator({ language: spec.language, detect: detectLanguage(detectAll, 'sv'), detectLater, splitNames: ['train', 'test'] });
  const counts = new QualityAccumulator(quality);
  const entries = corpus().map(({ row, channel }, i) => entryOf(i + 1, row, channel));
  const logs: number[][] = [];
  for (const entry of entries) {
    if (finder) entry.facts = finder.find(entry);
    const routed = route(entry, 'a.jsonl');
    entry.channel = routed.channel;
    entry.row = routed.row;
    entry.split = routed.split;
    const log = counts.add(entry, 'a.jsonl', ['train', 'test']);
    if (log) logs.push([...log]);
  }
  const batch: Batch = { file: 'a.jsonl', entries, endOffset: 0, endLine: entries.length, fileEnd: true, output: null, stop: null };
  report.add(batch);
  return { routed: entries.map((entry) => [entry.channel, entry.split, entry.row]), quality: counts.state, report: report.state, logs };
}

describe('FactFinder', () => {
  const row = { id: 'a', question: 'Mitt personnummer är 19850312-1231?', answer: `  ${SV}, ring 070-123 45 67.  `, score: 0.5, failure_reason: null };

  test.each(['report', 'redact'] as const)('--pii %s: PII per column, the fingerprint of the text as routing judges it, lengths per key', (pii) => {
    const facts = new FactFinder({ pii, near: true, language: null, report: true }).find(entryOf(1, row))!;
    expect(Object.keys(facts.pii)).toEqual(['question', 'answer']);
    expect(facts.pii.question).toEqual(findPii(row.question));
    const judged = pii === 'redact' ? [redactPii(row.question), redactPii(row.answer)] : [row.question, row.answer];
    expect([...facts.dedup!]).toEqual([...new DedupIndex({ near: true }).fingerprint(judged[0], judged[1])]);
    const text = [row.id, judged[0], judged[1]];
    expect([...facts.lengths!]).toEqual([...text.flatMap((value) => [codePointLength(value), wordCount(value)]), -1, -1, -1, -1]);
    expect([facts.languageSampled, facts.language]).toEqual([false, null]);
  });

  test('a rejected row has no fingerprint (routing never checks it for duplicates); other channels no facts', () => {
    const finder = new FactFinder({ pii: 'report', near: false, language: null, report: false });
    const facts = finder.find(entryOf(1, row, 'rejected'))!;
    expect([facts.dedup, facts.lengths]).toEqual([null, null]);
    const error = newEntry(2, 0, '{');
    error.channel = 'errors';
    expect(finder.find(error)).toBeNull();
  });

  test('the language: sampled answers are detected, once, with the loader called on the first only', () => {
    let loads = 0;
    const finder = new FactFinder({ pii: 'report', near: false, language: 'sv', report: false }, () => {
      loads++;
      return detectAll;
    });
    const answers = Array.from({ length: 400 }, (_, i) => `${SV} (fall ${i}).`);
    const found = answers.map((answer, i) => finder.find(entryOf(i + 1, { question: 'Fråga?', answer }))!);
    const sampled = found.filter((facts) => facts.languageSampled);
    expect(sampled.length).toBeGreaterThan(0);
    expect(sampled.every((facts) => facts.language === 'sv')).toBe(true);
    expect(found.filter((facts) => !facts.languageSampled).every((facts) => facts.language === null)).toBe(true);
    expect(found.map((facts) => facts.languageSampled)).toEqual(answers.map((answer) => languageSampled(answer.trim())));
    expect(loads).toBe(1);
  });
});

describe('facts change where the work runs, never the result', () => {
  test.each([
    { pii: 'report', near: false },
    { pii: 'redact', near: true },
    { pii: 'reject', near: true },
  ] as const)('--pii $pii, near $near: the same routes, rows, counts, dedup log and report with facts as without', ({ pii, near }) => {
    const spec: FactsSpec = { pii, near, language: 'sv', report: true };
    const without = run(spec, null);
    const withFacts = run(spec, new FactFinder(spec));
    expect(withFacts).toEqual(without);
    // The corpus exercises every rule: PII found, duplicates moved, pairs below the score.
    expect(without.quality.pii.records).toBeGreaterThan(50);
    expect(without.quality.duplicates.exact.records).toBeGreaterThan(100);
    expect(without.routed.filter(([channel]) => channel === 'rejected').length).toBeGreaterThan(100);
  });
});

test("the main thread's finder (detect: false) leaves the language to the report's thread: the same result", async () => {
  const spec: FactsSpec = { pii: 'redact', near: false, language: 'sv', report: true };
  const thread = new LanguageThread('sv', () => {
    throw new Error('detected in place');
  });
  const later = run(spec, new FactFinder({ ...spec, detect: false }), thread);
  await thread.close();
  const found = new FactFinder({ ...spec, detect: false }).find(entryOf(1, { question: 'Fråga?', answer: `${SV} (fall 1).` }))!;
  expect(found.language).toBeNull();
  const inPlace = run(spec, new FactFinder(spec));
  expect(later).toEqual(inPlace);
  expect(inPlace.report.groups.some((group) => group.language.checked > 50)).toBe(true);
});

describe('across a thread boundary', () => {
  test('runChunkTask → batchFromResult gives each entry the facts processBatch gives it in-process', () => {
    const lines = corpus().map(({ row, channel }) =>
      JSON.stringify(internalRecord({ question: row.question as string, answer: row.answer as string, score: row.validation_score as number, passed: channel === 'pairs', failure_reason: channel === 'pairs' ? undefined : row.failure_reason })),
    );
    const body = Buffer.from(`${lines.join('\n')}\n\n{bad\n`);
    const options = { facts: { pii: 'redact', near: true, language: 'sv', report: true } as FactsSpec };
    const context = makeBatchContext(options);
    const scan = { maxLineBytes: 1 << 20, byteText: false };
    const cutter = new LineCutter(1 << 20, 0);
    const { task } = toChunkTask('a.jsonl', cutter.push(body)!, false);
    expect(task.body.length).toBe(body.length);
    const { result } = runChunkTask(task, context, scan);
    const across = batchFromResult('a.jsonl', 0, structuredClone(result), null);
    const scanner = new LineScanner({ file: 'a.jsonl', startOffset: 0, startLine: 0, ...scan });
    const inProcess = processBatch(scanner.push(body), context);
    const facts = (batch: Batch) => batch.entries.map((entry) => (entry.facts === null ? null : { ...entry.facts, dedup: entry.facts.dedup && [...entry.facts.dedup], lengths: entry.facts.lengths && [...entry.facts.lengths] }));
    expect(facts(across)).toEqual(facts(inProcess));
    expect(facts(across).filter((f) => f !== null).length).toBe(lines.length);
    expect(facts(across).some((f) => f !== null && Object.keys(f.pii).length > 0)).toBe(true);
    expect(facts(across).some((f) => f !== null && f.language === 'sv')).toBe(true);
  });
});

test('measureText is codePointLength and wordCount in one pass (fuzzed: spaces of every kind, paired and lone surrogates)', () => {
  const random = seeded(18);
  const pieces = ['a', 'Ö', ' ', '  ', '\t', '\n', '\r', '\u000b', '\u0085', '\u00a0', '\u1680', '\u2003', '\u2028', '\u202f', '\u3000', '\ufeff', '\u200b', '😀', '\ud800', '\udc00', '”', 'ord'];
  const into = new Int32Array(2);
  for (let i = 0; i < 3000; i++) {
    const text = Array.from({ length: Math.floor(random() * 10) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    measureText(text, into, 0);
    expect([text, ...into]).toEqual([text, codePointLength(text), wordCount(text)]);
  }
});
