/** lib/quality/dedup.ts: exact and near duplicates in input order, and the resume log that rebuilds the index. */
import { DedupIndex, EXACT_LOG_BYTES, NEAR_HASHES, recordLogBytes } from '../lib/quality/dedup';
import { exactKey, normalizeForDedup } from '../lib/quality/dedup-keys';
import { seeded } from './helpers';
import { codePointLength } from '../lib/quality/stats';
import { wordCount } from '../lib/quality/words';

const WORDS = 'feber huvudvärk patient läkare behandling dos tablett dag vecka sjukhus vård blodtryck hjärta lunga njure lever mage rygg knä axel'.split(' ');

/** Seeded unrelated records of ~`words` words: a word and a number each, so word 5-grams repeat only by chance. */
function corpus(count: number, words: number, seed: number): Array<[string, string]> {
  const random = seeded(seed);
  const text = (n: number) => Array.from({ length: n }, () => `${WORDS[Math.floor(random() * WORDS.length)]}${Math.floor(random() * 100)}`).join(' ');
  return Array.from({ length: count }, () => [`${text(8)}?`, text(words)]);
}

const at = (line: number, split = 0) => ({ split, input: 0, line });

describe('normalizeForDedup', () => {
  test.each([
    ['  Vad  är\tFEBER? ', 'vad är feber?'],
    ['ﬁlm', 'film'], // NFKC
    ['Ｆｅｂｅｒ', 'feber'], // full width
    ['a\n\nb', 'a b'],
  ])('%j → %j', (text, normalized) => {
    expect(normalizeForDedup(text)).toBe(normalized);
  });
});

describe('exactKey', () => {
  const key = (q: string, a: string) => {
    const out = new Uint32Array(2);
    exactKey(q, a, out);
    return [...out];
  };
  test('hashes the normalized text: collapsing and trimming on the fly equals hashing normalizeForDedup\'s output', () => {
    const random = seeded(5);
    const pieces = ['a', 'Ö', ' ', '  ', '\t', '\n', '\u00a0', '\u3000', 'xy', '?'];
    for (let i = 0; i < 500; i++) {
      const text = () => Array.from({ length: 1 + Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      const [q, a] = [text(), text()];
      expect(key(q.toLowerCase(), a.toLowerCase())).toEqual(key(normalizeForDedup(q), normalizeForDedup(a)));
    }
  });
  test('with latinOnly, text it accepts (typographic quotes, °, dashes, Latin letters) keys as its NFKC, lower-cased form does; the rest it refuses', () => {
    // Differential: fuzzed pairs of ASCII, Latin-1 and Latin Extended (upper and lower), General Punctuation
    // (spaces NFKC changes, …, quotes, dashes), combining marks, compatibility forms, surrogates (paired and lone).
    const random = seeded(18);
    const pieces = ['a', 'Q', ' ', '\t', '\u0085', 'Ö', 'ö', '×', '\u00a0', '°', '²', 'µ', '§', '¿', 'Ł', 'ł', 'İ', 'ſ', 'ǅ', 'ʰ', 'e\u0301', '\u0301',
      '”', '“', '–', '—', '’', '…', '\u2002', '\u2028', '\u202f', '\u205f', '\u2060', 'ﬁ', 'Ｆ', 'Σ', '😀', '\ud800', '\udc00', '\u3000', '\u02c6'];
    const refused = new Set<string>();
    for (let i = 0; i < 4000; i++) {
      const text = () => Array.from({ length: Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      const [q, a] = [text(), text()];
      const fast = new Uint32Array(2);
      const reference = new Uint32Array(2);
      exactKey(q.normalize('NFKC').toLowerCase(), a.normalize('NFKC').toLowerCase(), reference);
      const measures = new Int32Array(4);
      if (exactKey(q, a, fast, true, measures)) {
        expect([q, a, ...fast]).toEqual([q, a, ...reference]);
        // The same pass's lengths: wordCount's and codePointLength's, or -1 (a U+0085 in the text: wordCount's white space is not the key's there).
        const expected = [q, a].flatMap((text) => [codePointLength(text), text.includes('\u0085') ? -1 : wordCount(text)]);
        expect([q, a, ...measures]).toEqual([q, a, ...expected]);
      } else refused.add(q + a);
    }
    expect(refused.size).toBeGreaterThan(1000);
    const out = new Uint32Array(2);
    for (const accepted of ['”', '“', '°', '–', '—', '’', '§', 'ł', '×', 'Ö']) expect(exactKey(`x${accepted}`, 'y', out, true)).toBe(true);
    for (const other of ['\u00a0', '²', 'µ', '…', 'Ł', 'İ', 'e\u0301', 'ﬁ', 'Ｆ', '😀', '\u2002']) expect(exactKey(`x${other}`, 'y', out, true)).toBe(false);
  });
  test('question and answer are kept apart; one changed character changes the key', () => {
    expect(key('ab', 'c')).not.toEqual(key('a', 'bc'));
    expect(key('fråga', 'svar')).not.toEqual(key('fråga', 'svat'));
    expect(key('fråga', 'svar')).toEqual(key('FRÅGA', 'Svar')); // Latin-1 text is case-folded as it is read
  });
});

describe('exact duplicates', () => {
  test('the same pair after normalization is a duplicate of the first; a different answer is not', () => {
    const index = new DedupIndex({ near: false });
    expect(index.check('Vad är feber?', 'Över 38 grader.', at(1)).kind).toBeNull();
    const second = index.check('  vad är FEBER? ', 'över  38 grader.', at(2, 1));
    expect(second).toMatchObject({ kind: 'exact', of: { split: 0, input: 0, line: 1 }, acrossSplits: true, newGroup: true });
    expect(index.check('Vad är feber?', 'Över 38 grader.', at(3))).toMatchObject({ kind: 'exact', of: { input: 0, line: 1 }, acrossSplits: false, newGroup: false });
    expect(index.check('Vad är feber?', 'Över 39 grader.', at(4)).kind).toBeNull();
    // Question and answer are not one string: moving text between them is another pair.
    expect(index.check('Vad är feber? Över', '38 grader.', at(5)).kind).toBeNull();
    expect(second.log.length).toBe(EXACT_LOG_BYTES);
  });

  test('text beyond Latin-1 is NFKC-normalized and case-folded first: full-width, ligatures, Greek capitals', () => {
    const index = new DedupIndex({ near: false });
    expect(index.check('feber?', 'ﬁlm ΣΩ', at(1)).kind).toBeNull();
    expect(index.check('Ｆｅｂｅｒ?', 'FILM σω', at(2))).toMatchObject({ kind: 'exact', of: { line: 1 } });
    expect(index.check('FEBER?', 'film\u00a0σω', at(3))).toMatchObject({ kind: 'exact', of: { line: 1 } });
  });

  test('unrelated records are never flagged (5000 seeded records)', () => {
    const index = new DedupIndex({ near: true });
    const kinds = corpus(5000, 40, 7).map(([q, a], i) => index.check(q, a, at(i + 1)).kind);
    expect(kinds.filter((kind) => kind !== null)).toEqual([]);
  });
});

describe('near duplicates', () => {
  const records = corpus(2000, 200, 11);
  const index = new DedupIndex({ near: true, threshold: 0.8 });
  records.forEach(([q, a], i) => index.check(q, a, at(i + 1)));

  /** Record `i` with `changes` of its answer's words replaced, evenly spread. */
  const edited = (i: number, changes: number): [string, string] => {
    const words = records[i][1].split(' ');
    for (let k = 0; k < changes; k++) words[Math.floor((k * words.length) / changes)] = `ändrat${k}`;
    return [records[i][0], words.join(' ')];
  };

  test('planted near duplicates (1 word in 200 changed) are found, pointing at their original', () => {
    let line = 10_000;
    for (const i of [3, 500, 1999]) {
      const [q, a] = edited(i, 1);
      expect(index.check(q, a, at(++line, 1))).toMatchObject({ kind: 'near', of: { input: 0, line: i + 1 }, acrossSplits: true, newGroup: true });
    }
  });

  test('an exact duplicate is exact, not near', () => {
    expect(index.check(records[42][0].toUpperCase(), records[42][1], at(20_000)).kind).toBe('exact');
  });

  test('a record with a third of its words changed is no near duplicate', () => {
    const [q, a] = edited(7, 70);
    expect(index.check(q, a, at(30_000)).kind).toBeNull();
  });

  test('a near duplicate is not indexed: only a group\'s first record is a candidate', () => {
    const local = new DedupIndex({ near: true });
    const [q, a] = records[0];
    local.check(q, a, at(1));
    const words = a.split(' ');
    words[100] = 'x';
    expect(local.check(q, words.join(' '), at(2)).of).toEqual({ split: 0, input: 0, line: 1 });
    words[150] = 'y';
    expect(local.check(q, words.join(' '), at(3))).toMatchObject({ kind: 'near', of: { input: 0, line: 1 }, newGroup: false });
  });

  test('a near log record holds the signature', () => {
    expect(recordLogBytes(true)).toBe(EXACT_LOG_BYTES + NEAR_HASHES);
  });
});

describe('replay', () => {
  test.each([false, true])('near=%s: an index replayed from the log of the first half decides the second half as the uninterrupted one', (near) => {
    const base = corpus(600, 60, 3);
    // Duplicates throughout: exact copies and one-word edits of earlier records.
    const records = base.map(([q, a], i): [string, string] => {
      if (i > 10 && i % 7 === 0) return base[i - 5];
      if (i > 10 && i % 11 === 0) return [base[i - 3][0], `${base[i - 3][1]} tillägg`];
      return [q, a];
    });
    const whole = new DedupIndex({ near });
    const decisions = records.map(([q, a], i) => whole.check(q, a, at(i + 1, i % 2)));
    const cut = 300;
    const log = Buffer.concat(decisions.slice(0, cut).map((decision) => decision.log));
    const resumed = new DedupIndex({ near });
    resumed.replay(log);
    const after = records.slice(cut).map(([q, a], i) => resumed.check(q, a, at(cut + i + 1, (cut + i) % 2)));
    expect(after).toEqual(decisions.slice(cut));
    expect(decisions.some((decision) => decision.kind === 'exact')).toBe(true);
    if (near) expect(decisions.some((decision) => decision.kind === 'near')).toBe(true);
  });

  test('a log that is not whole records is refused', () => {
    expect(() => new DedupIndex({ near: false }).replay(new Uint8Array(EXACT_LOG_BYTES + 1))).toThrow(/not whole records/);
  });
});
