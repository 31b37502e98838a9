import {
  DEFAULT_MAX_SHARD_BYTES,
  ShardRoller,
  dataFilesPattern,
  finalizeShards,
  parseByteSize,
  shardFileName,
  shardTempName,
  startsNewShard,
} from '../lib/dataset/shards';
import { isShardFile } from '../lib/dataset/outputs';
import { seeded, thrown } from './helpers';

/** fnmatch-style `*` (any run of characters) as HF's glob resolution applies it to one folder. */
function globMatches(pattern: string, name: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
  return regex.test(name);
}

describe('parseByteSize', () => {
  test.each([
    ['500MB', 500_000_000],
    ['500mb', 500_000_000],
    ['1GB', 1_000_000_000],
    ['1GiB', 1_073_741_824],
    ['1.5GiB', 1_610_612_736],
    ['10KiB', 10_240],
    ['64 MiB', 67_108_864],
    ['2TB', 2e12],
    ['1000', 1000],
    ['7B', 7],
    [4096, 4096],
  ])('%j → %d', (text, bytes) => expect(parseByteSize(text)).toBe(bytes));

  test.each([['0'], ['-5MB'], ['5XB'], ['MB'], [''], [1.5], [0], [null], ['1e6']])('rejects %j', (value) => {
    const err = thrown(() => parseByteSize(value));
    expect([err.code, err.message]).toEqual([
      'ERR_OPTION',
      `--max-shard-size must be a positive size such as 500MB, 1GiB or 1000000, got ${JSON.stringify(value)}`,
    ]);
  });

  test('default is HF push_to_hub 500MB', () => expect(DEFAULT_MAX_SHARD_BYTES).toBe(parseByteSize('500MB')));
});

describe('names', () => {
  test.each([
    ['train', 0, 1, 'jsonl', null, 'train-00000-of-00001.jsonl'],
    ['validation', 2, 3, 'csv', 'gzip', 'validation-00002-of-00003.csv.gz'],
    ['train', 0, 2, 'jsonl', 'zstd', 'train-00000-of-00002.jsonl.zst'],
    ['test', 1, 2, 'csv', 'zstd', 'test-00001-of-00002.csv.zst'],
    ['test', 99_999, 100_000, 'parquet', null, 'test-99999-of-100000.parquet'],
  ] as const)('%s %d of %d .%s codec=%s → %s', (split, index, total, extension, codec, name) => {
    expect(shardFileName(split, index, total, extension, codec)).toBe(name);
  });

  test('temp names are hidden, pid-free and never match the data_files glob', () => {
    expect(shardTempName('train', 3, 'jsonl', 'gzip')).toBe('.train-00003.jsonl.gz.partial');
    expect(shardTempName('train', 3, 'csv', 'zstd')).toBe('.train-00003.csv.zst.partial');
    expect(dataFilesPattern('rejected/jsonl', 'train')).toBe('rejected/jsonl/train-*');
    const pattern = 'train-*';
    for (const codec of ['gzip', 'zstd'] as const) {
      expect(globMatches(pattern, shardFileName('train', 0, 2, 'jsonl', codec))).toBe(true);
      expect(globMatches(pattern, shardTempName('train', 0, 'jsonl', codec))).toBe(false);
    }
    // Split names are \w+ only, so one split's glob never takes another split's files.
    expect(globMatches(pattern, shardFileName('train_small', 0, 1, 'jsonl'))).toBe(false);
  });

  test.each(['gzip', 'zstd', null] as const)('isShardFile (what a fresh start and finalize sweep) knows every name of codec %s', (codec) => {
    for (const extension of ['jsonl', 'csv']) {
      expect(isShardFile(shardFileName('train', 0, 2, extension, codec))).toBe(true);
      expect(isShardFile(shardTempName('train', 1, extension, codec))).toBe(true);
      expect(isShardFile(`${shardTempName('train', 1, extension, codec)}.open`)).toBe(true);
    }
    expect(isShardFile(`train-00000-of-00001.jsonl${codec === 'zstd' ? '.zstd' : '.bz2'}`)).toBe(false);
  });

  test('finalizeShards lists the renames in index order', () => {
    expect(finalizeShards('test', 2, 'jsonl', 'zstd')[1]).toEqual({ from: '.test-00001.jsonl.zst.partial', to: 'test-00001-of-00002.jsonl.zst' });
    expect(finalizeShards('test', 2, 'jsonl', null)).toEqual([
      { from: '.test-00000.jsonl.partial', to: 'test-00000-of-00002.jsonl' },
      { from: '.test-00001.jsonl.partial', to: 'test-00001-of-00002.jsonl' },
    ]);
    expect(finalizeShards('test', 0, 'jsonl')).toEqual([]);
  });

  test.each([
    [() => shardFileName('train', 1, 1, 'jsonl'), 'shard 1 of 1 does not exist'],
    [() => shardFileName('train', -1, 1, 'jsonl'), 'shard index must be a non-negative integer, got -1'],
    [() => shardTempName('tr-ain', 0, 'jsonl'), 'split name must be letters, digits or underscores, got "tr-ain"'],
  ])('bad names are refused (%#)', (fn, message) => {
    expect(thrown(fn).message).toBe(message);
  });
});

describe('rollover', () => {
  test.each([
    [0, 100, 50, 0, false], // an empty shard takes any record, even one above the limit
    [40, 10, 50, 0, false], // exactly full is still this shard
    [40, 11, 50, 0, true],
    [10, 100, 50, 10, false], // a CSV shard holding only its header is empty
    [11, 100, 50, 10, true],
  ])('shard %d + record %d, max %d, header %d → new shard: %s', (shard, record, max, header, expected) => {
    expect(startsNewShard(shard, record, max, header)).toBe(expected);
  });

  test('ShardRoller: exact shard of each record', () => {
    const roller = new ShardRoller({ maxBytes: 100 });
    const sizes = [60, 40, 1, 150, 30, 70, 1];
    const placed = sizes.map((size) => {
      const opened = roller.add(size);
      return [roller.shardIndex, opened];
    });
    expect(placed).toEqual([
      [0, false],
      [0, false], // 100: full, not over
      [1, true],
      [2, true], // too big: a shard of its own
      [3, true],
      [3, false],
      [4, true],
    ]);
    expect([roller.shardCount, roller.shardBytes, roller.shardRecords]).toEqual([5, 1, 1]);
  });

  test('ShardRoller counts the CSV header in every shard', () => {
    const roller = new ShardRoller({ maxBytes: 100, headerBytes: 30 });
    expect([50, 20, 1, 69, 1].map((size) => (roller.add(size), roller.shardIndex))).toEqual([0, 0, 1, 1, 2]);
  });

  test('an output with no record has no shard', () => {
    expect(new ShardRoller({ maxBytes: 10 }).shardCount).toBe(0);
  });

  test('a roller restored from a JSON snapshot continues exactly like the original', () => {
    const random = seeded(8);
    const sizes = Array.from({ length: 2000 }, () => 1 + Math.floor(random() * 400));
    const whole = new ShardRoller({ maxBytes: 5000, headerBytes: 40 });
    const expected = sizes.map((size) => (whole.add(size), whole.shardIndex));
    for (const cut of [0, 1, 777, 1999]) {
      const first = new ShardRoller({ maxBytes: 5000, headerBytes: 40 });
      const got = sizes.slice(0, cut).map((size) => (first.add(size), first.shardIndex));
      const resumed = ShardRoller.restore({ maxBytes: 5000, headerBytes: 40 }, JSON.parse(JSON.stringify(first.snapshot())));
      for (const size of sizes.slice(cut)) got.push((resumed.add(size), resumed.shardIndex));
      expect(got).toEqual(expected);
    }
    expect(whole.shardCount).toBeGreaterThan(50);
  });

  test('the limit is checked up front', () => {
    expect(thrown(() => new ShardRoller({ maxBytes: 0 })).code).toBe('ERR_OPTION');
  });
});
