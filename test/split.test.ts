import { QaHfError } from '../lib/errors';
import {
  MAX_TRACKED_STRATA,
  SplitTracker,
  assignSplit,
  makeSplitAssigner,
  murmur3,
  normalizeSeed,
  normalizeSplitKey,
  parseSplitSpec,
} from '../lib/dataset/split';
import { seeded, thrown } from './helpers';

const TRAIN_VAL_TEST = parseSplitSpec('train=0.8,validation=0.1,test=0.1');

const WORDS = ['hur', 'ofta', 'ska', 'blodtrycket', 'kontrolleras', 'läkemedel', 'vårdplan', 'åtgärd', 'överläkare', '🩺', 'dos', 'smärta'];

/** `count` distinct questions from a seeded generator (a running number makes each unique). */
function questions(count: number, seed: number): string[] {
  const random = seeded(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const words = Array.from({ length: 3 + Math.floor(random() * 6) }, () => WORDS[Math.floor(random() * WORDS.length)]);
    out.push(`${words.join(' ')} ${i}?`);
  }
  return out;
}

describe('parseSplitSpec', () => {
  test.each([
    ['train=0.8,validation=0.1,test=0.1', ['train', 'validation', 'test'], [0.8, 0.1, 0.1], [3435973837, 3865470566, 4294967296]],
    ['train=1', ['train'], [1], [4294967296]],
    [' train = 0.5 , test = .5 ', ['train', 'test'], [0.5, 0.5], [2147483648, 4294967296]],
    // 0.7 + 0.2 + 0.1 is 0.9999999999999999 in binary: within the 1e-9 tolerance.
    ['train=0.7,validation=0.2,test=0.1', ['train', 'validation', 'test'], [0.7, 0.2, 0.1], [3006477107, 3865470566, 4294967296]],
    ['a_1=0.25,B2=0.75', ['a_1', 'B2'], [0.25, 0.75], [1073741824, 4294967296]],
  ])('%j', (text, names, ratios, thresholds) => {
    expect(parseSplitSpec(text)).toEqual({ names, ratios, thresholds });
  });

  test.each([
    [undefined, '--split expects name=ratio pairs such as "train=0.8,validation=0.1,test=0.1", got undefined'],
    ['', '--split expects name=ratio pairs such as "train=0.8,validation=0.1,test=0.1", got ""'],
    ['train', '--split part "train" is not name=ratio, got "train"'],
    ['train=0.8,,test=0.2', '--split part "" is not name=ratio, got "train=0.8,,test=0.2"'],
    ['train=0.8,test=0.1', '--split ratios must sum to 1, they sum to 0.9, got "train=0.8,test=0.1"'],
    ['train=0.8,test=0.3', '--split ratios must sum to 1, they sum to 1.1, got "train=0.8,test=0.3"'],
    ['train=0.5,train=0.5', '--split names split "train" twice, got "train=0.5,train=0.5"'],
    ['train=0.5,all=0.5', '--split name "all" must be letters, digits or underscores and not "all", got "train=0.5,all=0.5"'],
    ['tr-ain=1', '--split name "tr-ain" must be letters, digits or underscores and not "all", got "tr-ain=1"'],
    ['train.x=1', '--split name "train.x" must be letters, digits or underscores and not "all", got "train.x=1"'],
    ['=1', '--split name "" must be letters, digits or underscores and not "all", got "=1"'],
    ['train=0,test=1', '--split ratio of train must be a decimal in (0, 1], got "train=0,test=1"'],
    ['train=1.5,test=-0.5', '--split ratio of train must be a decimal in (0, 1], got "train=1.5,test=-0.5"'],
    ['train=1e0', '--split ratio of train must be a decimal in (0, 1], got "train=1e0"'],
    ['train=80%,test=20%', '--split ratio of train must be a decimal in (0, 1], got "train=80%,test=20%"'],
  ])('rejects %j', (text, message) => {
    const err = thrown(() => parseSplitSpec(text));
    expect(err).toBeInstanceOf(QaHfError);
    expect(err.code).toBe('ERR_OPTION');
    expect(err.message).toBe(message);
  });
});

describe('normalizeSeed', () => {
  test.each([
    [42, 42],
    ['42', 42],
    [0, 0],
    [4294967295, 4294967295],
  ])('%j → %j', (value, seed) => expect(normalizeSeed(value)).toBe(seed));

  test.each([[-1], [4294967296], [1.5], ['x'], ['-3'], [null], [NaN]])('rejects %j', (value) => {
    const err = thrown(() => normalizeSeed(value));
    expect(err.code).toBe('ERR_OPTION');
    expect(err.message).toBe(`--seed must be an integer from 0 to 4294967295, got ${JSON.stringify(value)}`);
  });
});

describe('murmur3', () => {
  // Published MurmurHash3_x86_32 vectors (SMHasher / Wikipedia); the π one checks UTF-8 input.
  test.each([
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['ab', 0x9747b28c, 0x74875592],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('%j seed %d', (text, seed, hash) => {
    expect(murmur3(text, seed)).toBe(hash);
  });

  test('a key longer than the scratch buffer hashes like its bytes', () => {
    const long = 'å'.repeat(5000);
    expect(murmur3(long, 7)).toBe(murmur3(long, 7));
    expect(murmur3(long, 7)).not.toBe(murmur3(long.slice(1), 7));
  });

  test('spreads 30 k keys evenly over 16 buckets (chi-square below the 0.1 % critical value)', () => {
    const buckets = new Array(16).fill(0);
    for (const key of questions(30_000, 3)) buckets[murmur3(key, 42) >>> 28]++;
    const expected = 30_000 / 16;
    const chiSquare = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(37.7); // 15 degrees of freedom, p = 0.001
  });
});

describe('normalizeSplitKey', () => {
  test.each([
    ['Hur ofta?', 'hur ofta?'],
    ['  Hur\t\tofta\n? ', 'hur ofta ?'],
    ['A\u030Angström', 'ångström'], // NFD Å → NFC å
    ['ÅÄÖ', 'åäö'],
    ['a\u00a0b\u3000c\td', 'a b c d'], // non-breaking, ideographic and tab spaces
    [0.5, '0.5'],
    [true, 'true'],
  ])('%j → %j', (value, key) => expect(normalizeSplitKey(value)).toBe(key));
});

describe('assignSplit', () => {
  test('known assignments do not change (the contract of a published export)', () => {
    const keys = ['Hur ofta ska blodtrycket kontrolleras?', 'Vad är normal dos?', 'Vem ansvarar för vårdplanen?', '🩺'];
    expect(keys.map((key) => TRAIN_VAL_TEST.names[assignSplit(TRAIN_VAL_TEST, key, 42)])).toEqual(
      keys.map((key) => {
        const hash = murmur3(normalizeSplitKey(key), 42);
        return hash < 3435973837 ? 'train' : hash < 3865470566 ? 'validation' : 'test';
      }),
    );
  });

  test.each([
    ['train=0.8,validation=0.1,test=0.1', 42],
    ['train=0.8,validation=0.1,test=0.1', 7],
    ['train=0.9,test=0.1', 42],
    ['train=0.6,validation=0.2,test=0.2', 12345],
  ])('%s seed %d: ratios within 2 points (and 4 standard errors) on 30 k records', (text, seed) => {
    const spec = parseSplitSpec(text);
    const assign = makeSplitAssigner(spec, seed);
    const tracker = new SplitTracker(spec);
    for (const key of questions(30_000, seed + 1)) tracker.add(assign(key));
    const report = tracker.report();
    expect(report.total).toBe(30_000);
    for (const split of report.splits) {
      expect(Math.abs(split.achieved - split.target)).toBeLessThanOrEqual(0.02);
      expect(Math.abs(split.zScore)).toBeLessThanOrEqual(4);
    }
  });

  test('no key lands in two splits: 30 k records over 6 k keys written with varying case and spacing', () => {
    const random = seeded(11);
    const keys = questions(6000, 10);
    const assign = makeSplitAssigner(TRAIN_VAL_TEST, 42);
    const splitOf = new Map<string, Set<number>>();
    for (let i = 0; i < 30_000; i++) {
      const key = keys[Math.floor(random() * keys.length)];
      const variant = random() < 0.5 ? `  ${key.toUpperCase()} ` : key.replace(/ /g, '  ');
      const splits = splitOf.get(key) ?? new Set<number>();
      splits.add(assign(variant));
      splitOf.set(key, splits);
    }
    expect(splitOf.size).toBeGreaterThan(5900);
    const keysInTwoSplits = [...splitOf].filter(([, splits]) => splits.size > 1).map(([key]) => key);
    expect(keysInTwoSplits).toEqual([]);
    // and the duplicates did spread over all three splits
    expect(new Set([...splitOf.values()].map((splits) => [...splits][0]))).toEqual(new Set([0, 1, 2]));
  });

  test('a grown and reordered corpus keeps every old record in its split', () => {
    const old = questions(20_000, 21);
    const assign = makeSplitAssigner(TRAIN_VAL_TEST, 42);
    const before = new Map(old.map((key) => [key, assign(key)]));
    // Grow by 50 %, shuffle old and new together, assign with a fresh assigner.
    const random = seeded(22);
    const grown = [...old, ...questions(10_000, 23).map((key) => `ny ${key}`)];
    for (let i = grown.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [grown[i], grown[j]] = [grown[j], grown[i]];
    }
    const again = makeSplitAssigner(TRAIN_VAL_TEST, 42);
    const tracker = new SplitTracker(TRAIN_VAL_TEST);
    let moved = 0;
    for (const key of grown) {
      const split = again(key);
      tracker.add(split);
      if (before.has(key) && before.get(key) !== split) moved++;
    }
    expect(moved).toBe(0);
    expect(tracker.report().maxDeviation).toBeLessThanOrEqual(0.02);
  });

  test('another seed gives another assignment (about 1 − Σp² = 34 % of keys move)', () => {
    const keys = questions(10_000, 31);
    const a = makeSplitAssigner(TRAIN_VAL_TEST, 1);
    const b = makeSplitAssigner(TRAIN_VAL_TEST, 2);
    const differ = keys.filter((key) => a(key) !== b(key)).length / keys.length;
    expect(differ).toBeGreaterThan(0.3);
    expect(differ).toBeLessThan(0.38);
  });

  test('makeSplitAssigner checks the seed up front', () => {
    expect(thrown(() => makeSplitAssigner(TRAIN_VAL_TEST, -1)).code).toBe('ERR_OPTION');
  });
});

describe('SplitTracker', () => {
  test('report of a hand-counted example', () => {
    const spec = parseSplitSpec('train=0.5,test=0.5');
    const tracker = new SplitTracker(spec);
    [0, 0, 0, 1].forEach((split, i) => tracker.add(split, i < 2 ? 'a' : 'b'));
    const report = tracker.report();
    expect(report.total).toBe(4);
    expect(report.splits.map(({ split, count, achieved, deviation }) => ({ split, count, achieved, deviation }))).toEqual([
      { split: 'train', count: 3, achieved: 0.75, deviation: 0.25 },
      { split: 'test', count: 1, achieved: 0.25, deviation: -0.25 },
    ]);
    expect(report.splits[0].zScore).toBeCloseTo(1, 12); // 0.25 / sqrt(0.25 / 4)
    expect(report.maxDeviation).toBe(0.25);
    expect(report.strata.map((s) => [s.stratum, s.total, s.splits.map((x) => x.count)])).toEqual([
      ['a', 2, [2, 0]],
      ['b', 2, [1, 1]],
    ]);
    expect(report.overflowStrata).toBe(false);
  });

  test('an empty tracker reports zeros, not NaN', () => {
    const report = new SplitTracker(TRAIN_VAL_TEST).report();
    expect(report.splits.map((s) => [s.count, s.achieved, s.deviation, s.zScore])).toEqual([
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
  });

  test('stratified by persona: large strata within 2 points, every stratum within 4 standard errors', () => {
    const sizes: Array<[string, number]> = [
      ['sjuksköterska/erfaren', 15_000],
      ['läkare/ny', 9000],
      ['undersköterska/erfaren', 5000],
      ['barnmorska/ny', 900],
      ['kurator/erfaren', 100],
    ];
    const assign = makeSplitAssigner(TRAIN_VAL_TEST, 42);
    const tracker = new SplitTracker(TRAIN_VAL_TEST);
    let seed = 40;
    for (const [persona, size] of sizes) for (const key of questions(size, seed++)) tracker.add(assign(`${persona} ${key}`), persona);
    const report = tracker.report();
    expect(report.strata.map((s) => [s.stratum, s.total])).toEqual(sizes);
    for (const stratum of report.strata) {
      expect(stratum.maxAbsZScore).toBeLessThanOrEqual(4);
      if (stratum.total >= 5000) expect(stratum.maxDeviation).toBeLessThanOrEqual(0.02);
    }
  });

  test('strata beyond the limit are counted as overflow, totals stay exact', () => {
    const tracker = new SplitTracker(TRAIN_VAL_TEST, { maxStrata: 2 });
    ['a', 'b', 'c', 'a', 'd'].forEach((stratum) => tracker.add(0, stratum));
    const report = tracker.report();
    expect(report.total).toBe(5);
    expect(report.strata.map((s) => [s.stratum, s.total])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect([report.overflowRecords, report.overflowStrata]).toEqual([2, true]);
    expect(MAX_TRACKED_STRATA).toBe(1000);
  });

  test('snapshot survives JSON and restore continues the counts', () => {
    const tracker = new SplitTracker(TRAIN_VAL_TEST);
    tracker.add(0, 'x');
    tracker.add(2, 'y');
    const restored = SplitTracker.restore(TRAIN_VAL_TEST, JSON.parse(JSON.stringify(tracker.snapshot())));
    restored.add(1, 'x');
    tracker.add(1, 'x');
    expect(restored.report()).toEqual(tracker.report());
    expect(restored.snapshot()).toEqual({ names: ['train', 'validation', 'test'], counts: [1, 1, 1], strata: [['x', [1, 1, 0]], ['y', [0, 0, 1]]], overflowRecords: 0 });
  });

  test('restore refuses other split names', () => {
    const state = new SplitTracker(parseSplitSpec('train=0.9,test=0.1')).snapshot();
    const err = thrown(() => SplitTracker.restore(TRAIN_VAL_TEST, state));
    expect([err.code, err.message]).toEqual(['ERR_CHECKPOINT_MISMATCH', 'checkpoint splits train,test differ from --split train,validation,test']);
  });
});
