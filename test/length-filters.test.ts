/**
 * --min-chars / --max-chars (lib/dataset/length-filters.ts) and their place in
 * routing (lib/dataset/route.ts): parsing, the checks against the preset, code
 * points of the value as written, order of the rules, the reason on the entry.
 */
import { charLimitRule, checkCharLimits, parseCharLimits } from '../lib/dataset/length-filters';
import { applyRoute, makeRouter } from '../lib/dataset/route';
import { parseSplitSpec } from '../lib/dataset/split';
import { newEntry } from '../lib/batch';
import { thrown } from './helpers';

describe('parseCharLimits', () => {
  test('COLUMN=N,… in the order given', () => {
    expect(parseCharLimits('question=10, answer = 20', 'min-chars')).toEqual([['question', 10], ['answer', 20]]);
  });

  test.each([
    ['', 'a column name and a whole number of characters'],
    ['answer', 'a column name and a whole number of characters'],
    ['answer=1.5', 'a column name and a whole number of characters'],
    ['answer=-1', 'a column name and a whole number of characters'],
    ['answer=0', 'answer: at least 1 character'],
    ['answer=2,answer=3', 'answer twice'],
  ])('%j is refused with one line naming the option', (value, why) => {
    const error = thrown(() => parseCharLimits(value, 'max-chars'));
    expect(error.message).toBe(`--max-chars must be COLUMN=N,… (${why}${why.startsWith('a column') ? ', e.g. answer=20' : ''}), got ${JSON.stringify(value)}`);
    expect(error.option).toBe('max-chars');
  });

  test('a column the preset does not write, and a minimum above the maximum, are refused', () => {
    expect(thrown(() => checkCharLimits([['answr', 3]], undefined, ['question', 'answer'], 'qa-internal')).message).toBe(
      '--min-chars names answr, which is no column of preset qa-internal (question, answer), got "answr"',
    );
    const error = thrown(() => checkCharLimits([['answer', 30]], [['answer', 20]], ['question', 'answer'], 'qa-internal'));
    expect([error.code, error.message]).toEqual(['ERR_USAGE', '--min-chars answer=30 is above --max-chars answer=20: every pair would be rejected']);
  });
});

describe('charLimitRule', () => {
  const rule = charLimitRule([['question', 3], ['answer', 5]], [['answer', 6]]);

  test('code points, not UTF-16 units; untrimmed; limits inclusive', () => {
    expect(rule({ question: '🩺🩺🩺', answer: '🩺🩺🩺🩺🩺🩺' })).toBeNull(); // 3 and 6 code points (6 and 12 UTF-16 units)
    expect(rule({ question: '   ', answer: '12345' })).toBeNull();
    expect(rule({ question: 'ab', answer: '12345' })).toBe('too_short');
    expect(rule({ question: 'abc', answer: '1234567' })).toBe('too_long');
    expect(rule({ question: 'abc', answer: '🩺🩺🩺🩺' })).toBe('too_short');
  });

  test('too short before too long; a value that is not a string is not measured', () => {
    expect(rule({ question: 'a', answer: '1234567' })).toBe('too_short');
    expect(rule({ question: null, answer: 12 })).toBeNull();
  });
});

describe('routing', () => {
  const plan = { spec: parseSplitSpec('train=1'), seed: 42, key: 'question', minScore: 0.5, minChars: [['answer', 5]] as const, maxChars: [['answer', 8]] as const };

  test.each([
    [{ question: 'q', answer: '1234', validation_score: 0.9 }, 'rejected', 'too_short'],
    [{ question: 'q', answer: '123456789', validation_score: 0.9 }, 'rejected', 'too_long'],
    [{ question: 'q', answer: '1234', validation_score: 0.1 }, 'rejected', 'below_min_score'],
    [{ question: 'q', answer: '123456', validation_score: 0.9 }, 'pairs', null],
  ])('%j → %s (%s), the reason on the entry and in the row', (row, channel, reason) => {
    const route = makeRouter(plan);
    const entry = newEntry(1, 0, '');
    entry.channel = 'pairs';
    entry.row = row;
    applyRoute(entry, route(entry));
    expect([entry.channel, entry.reason, entry.row?.failure_reason ?? null]).toEqual([channel, reason, reason]);
  });

  test('a rejected row of the input is not moved: its own reason, spelled alike, is not counted as routing\'s', () => {
    const route = makeRouter(plan);
    const entry = newEntry(1, 0, '');
    entry.channel = 'rejected';
    entry.row = { question: 'q', answer: '1', validation_score: 0.9, failure_reason: 'too_short' };
    applyRoute(entry, route(entry));
    expect([entry.channel, entry.reason]).toEqual(['rejected', null]);
  });
});
