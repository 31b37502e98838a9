/**
 * lib/quality/contamination.ts: words as lm-evaluation-harness splits them, hashed
 * n-grams of evaluation texts, and which pair text shares one.
 */
import { DEFAULT_NGRAM, NgramIndex, wordsOf } from '../lib/quality/contamination';

test('words: lower-cased, split on anything not a letter or digit, Unicode-aware', () => {
  expect(wordsOf('Vad är NEWS2-poängen? Åtta, nio; tio!')).toEqual(['vad', 'är', 'news2', 'poängen', 'åtta', 'nio', 'tio']);
  expect(wordsOf('  ')).toEqual([]);
  expect(wordsOf('café—naïve 3,5°C')).toEqual(['café', 'naïve', '3', '5', 'c']);
});

test('an n-gram of the evaluation text matches whatever the case and punctuation; fewer words than N never match', () => {
  const index = new NgramIndex(3);
  expect(index.addText('Ett två tre fyra', 0)).toBe(2);
  expect(index.addText('fem sex sju', 1)).toBe(1);
  expect(index.addText('ETT två tre', 1)).toBe(1); // already there, from file 0: it keeps file 0
  expect(index.addText('ett två', 1)).toBe(0);
  expect(index.size).toBe(3);
  expect(index.firstMatch('noll ETT, två: tre')).toBe(0);
  expect(index.firstMatch('fem sex sju åtta')).toBe(1);
  expect(index.firstMatch('ett två fyra tre')).toBe(-1); // the words, not in that order
  expect(index.firstMatch('ett två')).toBe(-1);
  expect(new NgramIndex(3).firstMatch('ett två tre')).toBe(-1);
});

test('the table grows and keeps every n-gram and its file', () => {
  const index = new NgramIndex(2);
  for (let i = 0; i < 20_000; i++) index.addText(`w${i} x${i}`, i % 3);
  expect(index.size).toBe(20_000);
  for (let i = 0; i < 20_000; i += 997) expect(index.firstMatch(`a w${i} x${i} b`)).toBe(i % 3);
  expect(index.firstMatch('w1 x2')).toBe(-1);
});

test('the default is 13 words (GPT-3, lm-evaluation-harness); a bad length is refused', () => {
  expect(DEFAULT_NGRAM).toBe(13);
  expect(() => new NgramIndex(0)).toThrow(RangeError);
});
