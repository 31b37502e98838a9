/**
 * lib/dataset/route.ts and streams/router.ts: routing is decided once, before the sink —
 * min-score moves a low pair to rejected with its reason, the split comes from the
 * key's hash, errors and blanks pass untouched, and a batch whose entries moved
 * loses its (now stale) serialized output.
 */
import { Readable, Writable } from 'node:stream';
import { type Batch, type Entry, newEntry } from '../lib/batch';
import { BELOW_MIN_SCORE, applyRoute, countBelowMinScore, makeRouter } from '../lib/dataset/route';
import { normalizeQualityPlan } from '../lib/quality/plan';
import { makeSplitAssigner, parseSplitSpec } from '../lib/dataset/split';
import { runChain } from '../streams/chain';
import { createRouter } from '../streams/router';

const spec = parseSplitSpec('train=0.5,test=0.5');
const plan = { spec, seed: 42, key: 'question', minScore: 0.5 };

function entry(channel: Entry['channel'], row: Record<string, unknown> | null): Entry {
  const made = newEntry(1, 0, '{}');
  made.channel = channel;
  made.row = row;
  return made;
}

describe('makeRouter', () => {
  const route = makeRouter(plan);
  const assign = makeSplitAssigner(spec, 42);

  test.each([
    ['a pair at the threshold stays', 'pairs', 0.5, 'pairs', undefined],
    ['a pair below it becomes rejected with its reason', 'pairs', 0.49, 'rejected', BELOW_MIN_SCORE],
    ['a rejected row is never moved or given a reason', 'rejected', 0.1, 'rejected', undefined],
  ] as const)('%s', (_name, channel, score, expected, reason) => {
    const row = { question: `q ${score}`, validation_score: score };
    const decided = route(entry(channel, row));
    expect(decided.channel).toBe(expected);
    expect(decided.row!.failure_reason).toBe(reason);
    expect(decided.split).toBe(assign(row.question));
    expect(row).toEqual({ question: `q ${score}`, validation_score: score }); // the input row is not mutated
  });

  test('errors and blanks pass as they are, split 0', () => {
    expect(route(entry('errors', null))).toEqual({ channel: 'errors', split: 0, row: null, segments: null, tier: null, partition: null, reason: null });
    expect(route(entry('blank', null))).toEqual({ channel: 'blank', split: 0, row: null, segments: null, tier: null, partition: null, reason: null });
  });

  test('splits spread over both names; one split means no hashing', () => {
    const splits = new Set(Array.from({ length: 50 }, (_v, i) => route(entry('pairs', { question: `q${i}`, validation_score: 1 })).split));
    expect([...splits].sort()).toEqual([0, 1]);
    const single = makeRouter({ spec: parseSplitSpec('train=1'), seed: 42, key: 'question' });
    expect(single(entry('pairs', { question: 'x', validation_score: 0 })).channel).toBe('pairs');
    expect(single(entry('pairs', { question: 'x' })).split).toBe(0);
  });

  test('an undecided entry is an internal error', () => {
    expect(() => route(entry(null, null))).toThrow('reached the router undecided');
  });

  test('a segmented line: each row routed as an entry would be (min-score, split); a moved row is a move', () => {
    const line = entry('segmented', null);
    const rows = [
      { question: 'a', validation_score: 0.9 },
      { question: 'b', validation_score: 0.1 },
    ];
    line.segments = rows.map((row) => ({ channel: 'pairs' as const, row, split: 0 }));
    const decided = route(line);
    expect([decided.channel, decided.row]).toEqual(['segmented', null]);
    expect(decided.segments).toEqual([
      { channel: 'pairs', row: rows[0], split: assign('a') },
      { channel: 'rejected', row: { ...rows[1], failure_reason: BELOW_MIN_SCORE }, split: assign('b'), reason: BELOW_MIN_SCORE },
    ]);
    expect(applyRoute(line, decided)).toBe(true);
    expect(line.segments![1].channel).toBe('rejected');
    const kept = entry('segmented', null);
    kept.segments = [{ channel: 'pairs', row: rows[0], split: 0 }];
    expect(applyRoute(kept, route(kept))).toBe(false);
  });

  test('applyRoute reports a move', () => {
    const low = entry('pairs', { question: 'q', validation_score: 0 });
    expect(applyRoute(low, route(low))).toBe(true);
    expect(low.channel).toBe('rejected');
    const high = entry('pairs', { question: 'q', validation_score: 1 });
    expect(applyRoute(high, route(high))).toBe(false);
  });

  test('--tiers: a passed pair gets its tier in the route (the sink writes under it); other channels and untiered plans none', () => {
    const tiered = makeRouter({ ...plan, quality: normalizeQualityPlan({ tiers: 'high=0.8' }) });
    const high = entry('pairs', { question: 'h', validation_score: 0.9 });
    expect(applyRoute(high, tiered(high))).toBe(false);
    expect(high.tier).toBe('high');
    const low = entry('pairs', { question: 'l', validation_score: 0.6 });
    expect(tiered(low).tier).toBe('low');
    expect(tiered(entry('pairs', { question: 'r', validation_score: 0.1 })).tier).toBeNull(); // moved by min-score
    expect(route(entry('pairs', { question: 'u', validation_score: 0.9 })).tier).toBeNull();
  });

  test('countBelowMinScore counts the rows the min-score rule moved, segments included', () => {
    const low = entry('pairs', { question: 'q', validation_score: 0 });
    applyRoute(low, route(low));
    const other = entry('rejected', { question: 'r', failure_reason: 'schema' });
    const line = entry('segmented', null);
    line.segments = [{ channel: 'pairs', row: { question: 's', validation_score: 0.1 }, split: 0 }];
    applyRoute(line, route(line));
    const batch: Batch = { file: 'a', entries: [low, other, line], endOffset: 0, endLine: 3, fileEnd: true, output: null, stop: null };
    expect(countBelowMinScore(batch)).toBe(2);
  });
});

describe('createRouter', () => {
  test.each([
    ['nothing moved: the serialized output is kept', 1, true],
    ['an entry moved: the output is dropped, the sink writes rows', 0, false],
  ])('%s', async (_name, score, kept) => {
    const batch: Batch = {
      file: 'a',
      entries: [entry('pairs', { question: 'q', validation_score: score })],
      endOffset: 3,
      endLine: 1,
      fileEnd: true,
      output: { pairs: '{}\n', rejected: '', errors: '' },
      stop: null,
    };
    const seen: Batch[] = [];
    const collect = new Writable({ objectMode: true, write: (b: Batch, _e, cb) => void (seen.push(b), cb()) });
    await runChain([Readable.from([batch], { objectMode: true }), createRouter({ plan }), collect]);
    expect(seen).toHaveLength(1);
    expect(seen[0].output !== null).toBe(kept);
  });
});
