/**
 * lib/scale/sample.ts (--target-samples): the bottom-k heap against a full sort, the
 * sampler against the heap's cutoff (ties by position), stability when the corpus
 * grows, independence from the split, the pinned hash, and the option checks;
 * lib/options.ts versionOption (--version).
 */
import { BottomK, SAMPLE_RULE, compareSampleKeys, makeSampler, sampleKey, targetSamplesOption } from '../lib/scale/sample';
import { normalizeExportOptions, versionFolder, versionOption } from '../lib/options';
import { withPresetMapping } from '../lib/io/presets';
import { assignSplit, murmur3, parseSplitSpec } from '../lib/dataset/split';
import { seeded, thrown } from './helpers';

/** `count` questions from a seeded generator, some repeated (ties of the hash). */
function questions(count: number, seed: number): string[] {
  const random = seeded(seed);
  const made: string[] = [];
  for (let i = 0; i < count; i++) made.push(random() < 0.05 && i > 0 ? made[Math.floor(random() * i)] : `Fråga ${Math.floor(random() * 1e9)}?`);
  return made;
}

/** The k smallest (by sample key) of `keys` as positions "input:line", by a full sort. */
function sortedBottom(keys: string[], k: number, seed: number): string[] {
  const all = keys.map((key, i) => sampleKey(key, seed, i % 3, i + 1));
  return all.sort(compareSampleKeys).slice(0, k).map((key) => `${key.input}:${key.line}`).sort();
}

function sampled(keys: string[], k: number, seed: number): string[] {
  const bottom = new BottomK(k);
  keys.forEach((key, i) => bottom.offer(sampleKey(key, seed, i % 3, i + 1)));
  const keep = makeSampler(bottom.result(), seed);
  return keys.flatMap((key, i) => (keep(key, i % 3, i + 1) ? [`${i % 3}:${i + 1}`] : [])).sort();
}

describe('bottom-k', () => {
  test.each([
    [1, 500],
    [7, 500],
    [100, 2000],
    [499, 500],
    [500, 500],
    [600, 500],
  ])('k=%i of %i keys: the sampler keeps exactly the k smallest keys of a full sort', (k, n) => {
    const keys = questions(n, k);
    const expected = sortedBottom(keys, k, 42);
    expect(expected).toHaveLength(Math.min(k, n));
    expect(sampled(keys, k, 42)).toEqual(expected);
  });

  test('ties of the hash (one question many times) are kept in input order up to k', () => {
    const keys = Array.from({ length: 10 }, () => 'Samma fråga?');
    const bottom = new BottomK(4);
    keys.forEach((key, i) => bottom.offer(sampleKey(key, 42, 0, i + 1)));
    const result = bottom.result();
    expect(result).toEqual({ target: 4, passed: 10, cutoff: { hash: expect.stringMatching(/^[0-9a-f]{16}$/), input: 0, line: 4 } });
    const keep = makeSampler(result, 42);
    expect(keys.map((key, i) => keep(key, 0, i + 1))).toEqual([true, true, true, true, false, false, false, false, false, false]);
  });

  test('at most k keys offered: no cutoff, every pair kept', () => {
    const bottom = new BottomK(5);
    for (const line of [1, 2, 3]) bottom.offer(sampleKey(`q${line}`, 1, 0, line));
    expect(bottom.result()).toEqual({ target: 5, passed: 3, cutoff: null });
    expect(makeSampler(bottom.result(), 1)('anything', 9, 9)).toBe(true);
  });

  test('the seed changes the sample', () => {
    const keys = questions(1000, 3);
    const a = new Set(sampled(keys, 100, 1));
    const b = sampled(keys, 100, 2);
    expect(b.filter((key) => a.has(key)).length).toBeLessThan(40);
  });
});

describe('a sample that changes little when the corpus grows', () => {
  test('growing the corpus by 10 % keeps most of the sample (about 1/1.1 of it)', () => {
    const grown = questions(11_000, 5);
    const before = new Set(sampled(grown.slice(0, 10_000), 1000, 42));
    const after = sampled(grown, 1000, 42);
    const kept = after.filter((key) => before.has(key)).length;
    expect(kept).toBeGreaterThan(850); // expected ≈ 909: a new pair displaces an old one only by hashing below it
    expect(kept).toBeLessThan(1000); // new pairs do enter it
  });
});

describe('the hash', () => {
  test('is murmur3_x86_32 of the normalized key with seeds derived from --seed, never the split hash', () => {
    const key = sampleKey('  Hur  OFTA? ', 42, 0, 1);
    expect(key.hi).toBe(murmur3('hur ofta?', (42 ^ 0x53414d50) >>> 0));
    expect(key.lo).toBe(murmur3('hur ofta?', (42 ^ 0x4c454b31) >>> 0));
    expect(key.hi).not.toBe(murmur3('hur ofta?', 42));
    expect(SAMPLE_RULE).toContain('0x53414d50');
  });

  test('is independent of the split: every split keeps its ratio in the sample', () => {
    const spec = parseSplitSpec('train=0.8,validation=0.1,test=0.1');
    const keys = questions(20_000, 8);
    const bottom = new BottomK(2000);
    keys.forEach((key, i) => bottom.offer(sampleKey(key, 42, 0, i + 1)));
    const keep = makeSampler(bottom.result(), 42);
    const perSplit = [0, 0, 0];
    keys.forEach((key, i) => {
      if (keep(key, 0, i + 1)) perSplit[assignSplit(spec, key, 42)]++;
    });
    expect(perSplit.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(Math.abs(perSplit[0] / 2000 - 0.8)).toBeLessThan(0.04);
    expect(Math.abs(perSplit[2] / 2000 - 0.1)).toBeLessThan(0.03);
  });
});

describe('options', () => {
  test.each([
    ['1000', 1000],
    [' 5 ', 5],
    [7, 7],
  ])('--target-samples %j → %j', (value, expected) => {
    expect(targetSamplesOption(value)).toBe(expected);
  });

  test.each([['0'], ['-3'], ['1.5'], ['many'], [0], [2.5], [true]])('--target-samples %j is one ERR_OPTION line', (value) => {
    const error = thrown(() => targetSamplesOption(value));
    expect(error.code).toBe('ERR_OPTION');
    expect(error.message).toBe(`--target-samples must be a positive integer (the number of passed pairs to keep), got ${JSON.stringify(value)}`);
  });

  test.each([
    ['1.0.0', '1.0.0'],
    ['v2.1.0', '2.1.0'],
    ['2.1.0-rc.1', '2.1.0-rc.1'],
    ['1.2.3+build.7', '1.2.3+build.7'],
  ])('--version %s → %s and its folder', (value, expected) => {
    expect(versionOption(value, 'cli')).toBe(expected);
    expect(versionFolder(expected)).toBe(`v${expected}`);
  });

  test.each([['1.0'], ['1'], ['01.0.0'], ['1.0.0/../x'], ['../1.0.0'], ['1.0.0 beta'], [''], [1]])('--version %j is one ERR_OPTION line', (value) => {
    const error = thrown(() => versionOption(value, 'cli'));
    expect(error.code).toBe('ERR_OPTION');
    expect(error.message).toBe(`--version must be a semantic version such as 1.0.0 or 2.1.0-rc.1, got ${JSON.stringify(value)}`);
  });
});

describe('the plan', () => {
  test('--target-samples is in the plan of either layout, the simple one hashing the mapping\'s key', () => {
    expect(normalizeExportOptions({ inputs: ['a.jsonl'], targetSamples: '10' }, 'cli').plan).toMatchObject({ layout: 'simple', targetSamples: 10, key: 'question', seed: 42 });
    expect(normalizeExportOptions(withPresetMapping({ inputs: ['a.jsonl'], preset: 'documents', targetSamples: 10 }), 'cli').plan).toMatchObject({ layout: 'simple', targetSamples: 10, key: 'id' });
    expect(normalizeExportOptions({ inputs: ['a.jsonl'], split: 'train=0.5,test=0.5', seed: '7', targetSamples: 3 }, 'cli').plan).toMatchObject({ layout: 'hub', targetSamples: 3, seed: 7 });
    expect('targetSamples' in normalizeExportOptions({ inputs: ['a.jsonl'] }, 'cli').plan).toBe(false);
  });

  test('with segment: refused, one ERR_OPTION line', () => {
    const segment = { field: 'text', instruction: ['Fråga: (.+)'], output: ['Svar: (.+)'] };
    const error = thrown(() => normalizeExportOptions({ inputs: ['a.jsonl'], preset: 'segments', segment, targetSamples: 5 }, 'cli'));
    expect(error.code).toBe('ERR_OPTION');
    expect(error.message).toMatch(/^--target-samples does not apply to segmented documents \(segment:\)/);
  });
});
