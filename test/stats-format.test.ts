/** stats.json's two rules: snake_case keys, floats to 6 significant digits; and the card's z-scores. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newEntry, type Batch } from '../lib/batch';
import { formatZScore } from '../lib/dataset/card';
import { SplitTracker, parseSplitSpec } from '../lib/dataset/split';
import { MAX_NAMED_VALUES, StatsAccumulator, renderSplitReport, roundFloat, roundFloats } from '../lib/quality/stats';
import { Tally } from '../lib/tally';
import { readJson, recordLines, runCli } from './helpers';

/** Maps whose keys come from the data (sources, personas, error codes), not from qa-hf. */
const DATA_KEYED = new Set(['records_per_source_document', 'records_per_persona', 'errors_by_code']);
const SNAKE_CASE = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Every key qa-hf chose that is not snake_case, and every float with more than 6 significant digits, by path. */
function violations(value: unknown, at = '$'): string[] {
  if (typeof value === 'number') return Number.isInteger(value) || Number(value.toPrecision(6)) === value ? [] : [`${at} = ${value}`];
  if (Array.isArray(value)) return value.flatMap((item, i) => violations(item, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [
    ...(SNAKE_CASE.test(key) ? [] : [`${at}.${key}`]),
    ...(DATA_KEYED.has(key) ? Object.values(item as object).flatMap((inner) => violations(inner, `${at}.${key}.*`)) : violations(item, `${at}.${key}`)),
  ]);
}

describe('roundFloat', () => {
  test.each([
    [0.012345678901, 0.0123457],
    [1 / 3, 0.333333],
    [2 / 3, 0.666667],
    [123.456789, 123.457],
    [-1.23456789, -1.23457],
    [1234567.891, 1234570],
    [1e-9 / 3, 3.33333e-10],
    [0.5, 0.5],
    [42, 42],
    [12345678901, 12345678901],
    [0, 0],
  ])('%p → %p', (value, expected) => {
    expect(roundFloat(value)).toBe(expected);
  });

  test('roundFloats keeps key order, integers, strings, null and booleans, and a "__proto__" key', () => {
    const input = JSON.parse('{"b":0.123456789,"a":[1,2.5,null,true,"x"],"__proto__":{"c":3.14159265}}');
    const rounded = roundFloats(input);
    expect(JSON.stringify(rounded)).toBe('{"b":0.123457,"a":[1,2.5,null,true,"x"],"__proto__":{"c":3.14159}}');
  });
});

describe('stats.json rendering', () => {
  test('the split report: snake_case keys, rounded floats, exact object', () => {
    const tracker = new SplitTracker(parseSplitSpec('train=0.7,test=0.3'));
    for (const [split, stratum] of [[0, 'a'], [0, 'a'], [1, 'a'], [0, 'b'], [0, 'b'], [0, 'b']] as const) tracker.add(split, stratum);
    const rendered = renderSplitReport(tracker.report());
    expect(violations(rendered)).toEqual([]);
    expect(rendered).toEqual({
      total: 6,
      splits: [
        { split: 'train', target: 0.7, count: 5, achieved: 0.833333, deviation: 0.133333, z_score: 0.712697 },
        { split: 'test', target: 0.3, count: 1, achieved: 0.166667, deviation: -0.133333, z_score: -0.712697 },
      ],
      max_deviation: 0.133333,
      max_abs_z_score: 0.712697,
      strata: [
        {
          stratum: 'a',
          total: 3,
          splits: [
            { split: 'train', target: 0.7, count: 2, achieved: 0.666667, deviation: -0.0333333, z_score: -0.125988 },
            { split: 'test', target: 0.3, count: 1, achieved: 0.333333, deviation: 0.0333333, z_score: 0.125988 },
          ],
          max_deviation: 0.0333333,
          max_abs_z_score: 0.125988,
        },
        {
          stratum: 'b',
          total: 3,
          splits: [
            { split: 'train', target: 0.7, count: 3, achieved: 1, deviation: 0.3, z_score: 1.13389 },
            { split: 'test', target: 0.3, count: 0, achieved: 0, deviation: -0.3, z_score: -1.13389 },
          ],
          max_deviation: 0.3,
          max_abs_z_score: 1.13389,
        },
      ],
      overflow_records: 0,
      overflow_strata: false,
    });
  });

  test('render rounds the length means and the run floats', () => {
    const stats = new StatsAccumulator();
    const entries = ['a', 'bb', 'bb'].map((question, i) => {
      const entry = newEntry(i + 1, i * 10, '');
      entry.channel = 'pairs';
      entry.row = { question, answer: 'x', source: 's', persona: 'p', validation_score: 0.123456789 };
      return entry;
    });
    const batch: Batch = { file: 'f', entries, endOffset: 30, endLine: 3, fileEnd: true, output: null, stop: null };
    stats.add(batch);
    const tally = new Tally();
    tally.add(batch);
    const rendered = stats.render(tally.total, [], { duration_s: 1.23456789, records_per_s: 2430.1234567, runs: 1 }) as Record<string, any>;
    expect(rendered.question_length_chars).toEqual({ count: 3, min: 1, max: 2, mean: 1.66667 });
    expect(rendered.run).toEqual({ duration_s: 1.23457, records_per_s: 2430.12, runs: 1 });
    expect(violations(rendered)).toEqual([]);
  });
});

test('a source or persona named "__proto__" is a key like any other: in the state (a checkpoint), after a resume from it, and in stats.json', () => {
  const stats = new StatsAccumulator();
  const entries = ['__proto__', 'constructor', '__proto__'].map((source, i) => {
    const entry = newEntry(i + 1, i * 10, '');
    entry.channel = i === 1 ? 'rejected' : 'pairs';
    entry.row = { question: 'q', answer: 'a', source, persona: source, validation_score: 0.5 };
    return entry;
  });
  stats.add({ file: 'f', entries, endOffset: 30, endLine: 3, fileEnd: true, output: null, stop: null });
  const json = JSON.stringify(stats.state.per_source_document);
  expect(json).toBe('{"__proto__":{"pairs":2,"rejected":0},"constructor":{"pairs":0,"rejected":1}}');
  const resumed = new StatsAccumulator(JSON.parse(JSON.stringify(stats.state)));
  expect(JSON.stringify(resumed.state)).toBe(JSON.stringify(stats.state));
  const rendered = resumed.render(new Tally().total, [], {}) as Record<string, unknown>;
  expect(JSON.stringify(rendered.records_per_persona)).toBe('{"__proto__":{"pairs":2,"rejected":0},"constructor":{"pairs":0,"rejected":1}}');
  expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
});

describe('formatZScore', () => {
  test.each([
    [0, '0.00'],
    [-0.001, '0.00'],
    [0.2041, '+0.20'],
    [-0.25, '-0.25'],
    [4.567, '+4.57'],
    [-12.3, '-12.30'],
  ])('%p → %s', (z, text) => {
    expect(formatZScore(z)).toBe(text);
  });
});

test('a Hub export with --split and --stratify-by writes stats.json with snake_case keys and 6-digit floats, and a card with z-scores', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-stats-'));
  try {
    const input = path.join(dir, 'qa.jsonl');
    await fs.writeFile(input, `${recordLines(300, 13).join('\n')}\n`);
    const out = path.join(dir, 'out');
    const result = await runCli(['export', input, '--out', out, '--split', 'train=0.8,validation=0.1,test=0.1', '--stratify-by', 'persona', '-q']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const stats = await readJson(path.join(out, 'stats.json'));
    expect(violations(stats)).toEqual([]);
    expect(Object.keys(stats.split)).toEqual(
      expect.arrayContaining(['max_deviation', 'max_abs_z_score', 'strata', 'overflow_records', 'overflow_strata']),
    );
    expect(Object.keys(stats.split.splits[0])).toEqual(['split', 'target', 'count', 'achieved', 'deviation', 'z_score']);
    const card = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    const train = stats.split.splits[0];
    expect(card).toContain(`| train | 80.00 % | ${train.count} | ${(train.achieved * 100).toFixed(2)} % | ${formatZScore(train.z_score)} |`);
    expect(card).toMatch(/\| persona \| records \| train \| validation \| test \| max deviation \|/);
    expect(card).toMatch(/\| sjuksköterska\/erfaren \| \d+ \| \d+\.\d\d % \(z [+-]?\d+\.\d\d\) \|/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test(`sources and personas: named up to ${MAX_NAMED_VALUES}, later new ones summed apart; bounded state, the same after a resume`, () => {
  const batch = (from: number, count: number): Batch => {
    const entries = Array.from({ length: count }, (_v, i) => {
      const entry = newEntry(from + i + 1, (from + i) * 10, '');
      entry.channel = (from + i) % 4 === 0 ? 'rejected' : 'pairs';
      // A source unique per record (a mapping's "{title}#{id}"); 3 personas.
      entry.row = { question: 'q', answer: 'a', source: `doc#${from + i}`, persona: `p${(from + i) % 3}`, validation_score: 0.5 };
      return entry;
    });
    return { file: 'f', entries, endOffset: 0, endLine: 0, fileEnd: false, output: null, stop: null };
  };
  const total = MAX_NAMED_VALUES + 40;
  const whole = new StatsAccumulator();
  whole.add(batch(0, total));
  expect(Object.keys(whole.state.per_source_document)).toHaveLength(MAX_NAMED_VALUES);
  expect(whole.state.other_source_documents).toEqual({ pairs: 30, rejected: 10 });
  expect(whole.state.other_personas).toBeUndefined();
  // Cut where a checkpoint may fall, through JSON, then the rest.
  const first = new StatsAccumulator();
  first.add(batch(0, MAX_NAMED_VALUES + 5));
  const resumed = new StatsAccumulator(JSON.parse(JSON.stringify(first.state)));
  resumed.add(batch(MAX_NAMED_VALUES + 5, total - MAX_NAMED_VALUES - 5));
  expect(JSON.stringify(resumed.state)).toBe(JSON.stringify(whole.state));
  const rendered = whole.render(new Tally().total, [], {}) as Record<string, unknown>;
  expect(rendered.records_other_source_documents).toEqual({ pairs: 30, rejected: 10 });
  expect(Object.keys(rendered)).not.toContain('records_other_personas');
});
