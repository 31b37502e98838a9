import { newEntry, type Batch } from '../lib/batch';
import { Tally, balanced, count, emptyCounts, formatSummary } from '../lib/tally';

function batch(file: string, lines: number[], endLine = lines[lines.length - 1]): Batch {
  const entries = lines.map((line) => {
    const entry = newEntry(line, line * 10, '');
    entry.channel = line % 3 === 0 ? 'errors' : line % 3 === 1 ? 'pairs' : 'blank';
    if (entry.channel === 'errors') entry.errorCode = 'ERR_SCHEMA';
    return entry;
  });
  return { file, entries, endOffset: 0, endLine, fileEnd: false, output: null, stop: null };
}

describe('tally', () => {
  test('counts per channel, code and file add up to the lines read', () => {
    const tally = new Tally();
    tally.add(batch('a', [1, 2, 3]));
    tally.add(batch('a', [4, 5, 6]));
    tally.add(batch('b', [1]));
    expect(tally.total).toEqual({ ...emptyCounts(), lines: 7, pairs: 3, rejected: 0, errors: 2, blank: 2, errorsByCode: { ERR_SCHEMA: 2 } });
    expect(tally.files.get('b')!.lines).toBe(1);
    expect(balanced(tally.total)).toBe(true);
    expect(formatSummary(tally.total)).toBe('qa-hf: 7 lines read: 3 pairs, 0 rejected, 2 errors (ERR_SCHEMA 2), 2 blank\n');
  });

  test('a segmented line counts once, whatever its rows; its rows are counted apart by channel', () => {
    const entries = [1, 2, 3].map((line) => newEntry(line, line * 10, ''));
    entries[0].channel = 'segmented';
    entries[0].segments = [
      { channel: 'pairs', row: {}, split: 0 },
      { channel: 'rejected', row: {}, split: 0 },
      { channel: 'pairs', row: {}, split: 0 },
    ];
    entries[1].channel = 'segmented';
    entries[1].segments = [];
    entries[2].channel = 'pairs';
    const tally = new Tally();
    tally.add({ file: 'd', entries, endOffset: 40, endLine: 3, fileEnd: true, output: null, stop: null });
    expect(tally.total).toEqual({ ...emptyCounts(), lines: 3, pairs: 1, segmented: 2, noSegments: 1, segmentPairs: 2, segmentRejected: 1 });
    expect(balanced(tally.total)).toBe(true);
    expect(balanced({ ...tally.total, segmented: 1 })).toBe(false);
    expect(formatSummary(tally.total)).toBe('qa-hf: 3 lines read: 1 pair, 0 rejected, 0 errors, 0 blank, 2 segmented into 2 pairs and 1 rejected (1 without segments)\n');
  });

  test('a lost or repeated line is caught', () => {
    const tally = new Tally();
    tally.add(batch('a', [1, 2]));
    expect(() => tally.add(batch('a', [4]))).toThrow(/line 4 arrived where line 3 was due/);
    expect(() => new Tally().add(batch('a', [1, 2], 3))).toThrow(/internal: a line 1 arrived where line 2 was due/);
  });

  test('a resumed file may start past line 1', () => {
    const tally = new Tally();
    tally.add(batch('a', [41, 42]));
    expect(tally.total.lines).toBe(2);
  });

  test.each([
    [0, 'qa-hf: 0 lines read: 0 pairs, 0 rejected, 0 errors, 0 blank\n'],
    [1, 'qa-hf: 1 line read: 1 pair, 1 rejected, 1 error (ERR_SCHEMA 1), 1 blank\n'],
    [2, 'qa-hf: 2 lines read: 2 pairs, 2 rejected, 2 errors (ERR_SCHEMA 2), 2 blank\n'],
  ])('the summary says %i of each in the right number', (n, expected) => {
    const counts = { ...emptyCounts(), lines: n, pairs: n, rejected: n, errors: n, blank: n, errorsByCode: n ? { ERR_SCHEMA: n } : {} };
    expect(formatSummary(counts)).toBe(expected);
  });

  test.each([
    [0, 'input', undefined, '0 inputs'],
    [1, 'input', undefined, '1 input'],
    [2, 'shard', undefined, '2 shards'],
    [1, 'entry', 'entries', '1 entry'],
    [3, 'entry', 'entries', '3 entries'],
  ])('count(%i, %s) is singular only for one', (n, singular, plural, expected) => {
    expect(count(n, singular, plural)).toBe(expected);
  });

  test('balanced is false when counts do not add up', () => {
    expect(balanced({ ...emptyCounts(), lines: 2, pairs: 1 })).toBe(false);
  });
});
