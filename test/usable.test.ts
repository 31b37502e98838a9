/**
 * lib/usable.ts: a run, or an input of it, that gave nothing usable (non-blank
 * lines, not one row) is ERR_UNUSABLE_INPUT (exit 5) with the dominant code, its
 * count and the likely cause; blank-only and empty inputs are not.
 */
import { type Counts, emptyCounts } from '../lib/tally';
import { dominantError, isUnusable, judgeUsable, likelyCause } from '../lib/usable';

function counts(partial: Partial<Counts>): Counts {
  const c = { ...emptyCounts(), ...partial };
  c.errors = Object.values(c.errorsByCode).reduce((sum, n) => sum + (n ?? 0), 0);
  c.lines = c.pairs + c.rejected + c.errors + c.blank + c.segmented + c.notSampled;
  return c;
}

const context = { preset: 'qa-internal', done: 'every file is written (dist)' };

describe('isUnusable', () => {
  test.each([
    ['every non-blank line an error', counts({ blank: 2, errorsByCode: { ERR_SCHEMA: 3 } }), true],
    ['one pair among errors', counts({ pairs: 1, errorsByCode: { ERR_SCHEMA: 30 } }), false],
    ['only rejected pairs (they are written)', counts({ rejected: 2 }), false],
    ['passed pairs all left out of the sample', counts({ notSampled: 4 }), false],
    ['only blank lines: nothing to use', counts({ blank: 3 }), false],
    ['no line at all', counts({}), false],
    ['documents without segments', counts({ segmented: 2, noSegments: 2 }), true],
    ['documents with segment rows', counts({ segmented: 2, noSegments: 1, segmentPairs: 3 }), false],
  ])('%s', (_name, c, expected) => {
    expect(isUnusable(c)).toBe(expected);
  });

  test('dominantError: the most frequent code, the first seen on a tie', () => {
    expect(dominantError(counts({ errorsByCode: { ERR_JSON_PARSE: 1, ERR_SCHEMA: 32 } }))).toEqual(['ERR_SCHEMA', 32]);
    expect(dominantError(counts({ errorsByCode: { ERR_INVALID_UTF8: 2, ERR_TRUNCATED_LINE: 2 } }))).toEqual(['ERR_INVALID_UTF8', 2]);
    expect(dominantError(counts({ pairs: 1 }))).toBeNull();
  });

  test('likelyCause names --preset for schema and mapping errors, and the config when the mapping is its own', () => {
    expect(likelyCause('ERR_SCHEMA', 'squad')).toBe('the records do not fit preset squad; check --preset / the mapping');
    expect(likelyCause('ERR_MAPPING', 'config')).toBe("the records do not fit the config's mapping; check --preset / the mapping");
  });
});

describe('judgeUsable', () => {
  test('a usable run: no notes, no error', () => {
    const a = counts({ pairs: 3, errorsByCode: { ERR_SCHEMA: 1 } });
    expect(judgeUsable(a, ['a.jsonl'], new Map([['a.jsonl', a]]), context)).toEqual({ notes: [], error: null });
  });

  test('one input, a wrong --preset: one line with the input, the dominant code, its count and the cause', () => {
    const a = counts({ blank: 1, errorsByCode: { ERR_JSON_PARSE: 1, ERR_SCHEMA: 32 } });
    const verdict = judgeUsable(a, ['squad.jsonl'], new Map([['squad.jsonl', a]]), context);
    expect(verdict.notes).toEqual([]);
    expect(verdict.error?.code).toBe('ERR_UNUSABLE_INPUT');
    expect(verdict.error?.toLine()).toBe(
      'squad.jsonl: ERR_UNUSABLE_INPUT: nothing usable: all 33 non-blank lines are errors, 32 of them ERR_SCHEMA: the records do not fit preset qa-internal; check --preset / the mapping',
    );
  });

  test('the first message of a schema or mapping error is quoted (it names the column and path, also under -q); a parse error\'s is not (it quotes the line)', () => {
    const a = counts({ errorsByCode: { ERR_MAPPING: 3, ERR_JSON_PARSE: 1 } });
    const examples = new Map([['in.jsonl', new Map([['ERR_MAPPING', 'column answer: path answr is missing'], ['ERR_JSON_PARSE', 'Unexpected token x in {"q": 1 x']] as const)]]);
    const verdict = judgeUsable(a, ['in.jsonl'], new Map([['in.jsonl', a]]), { ...context, examples });
    expect(verdict.error?.message).toBe(
      'nothing usable: all 4 non-blank lines are errors, 3 of them ERR_MAPPING (the first: column answer: path answr is missing): the records do not fit preset qa-internal; check --preset / the mapping',
    );
    const parse = counts({ errorsByCode: { ERR_JSON_PARSE: 2 } });
    expect(judgeUsable(parse, ['in.jsonl'], new Map([['in.jsonl', parse]]), { ...context, examples }).error?.message).toBe(
      'nothing usable: all 2 non-blank lines are errors, all ERR_JSON_PARSE: the lines are not JSON: is this JSON Lines (one JSON object per line)?',
    );
  });

  test('the whole-file hint is the cause when the input had one', () => {
    const a = counts({ errorsByCode: { ERR_INVALID_UTF8: 4 } });
    const hint = 'data.jsonl is bzip2-compressed (magic 42 5A 68), which qa-hf does not read; decompress it first: bzip2 -dc data.jsonl | qa-hf';
    const verdict = judgeUsable(a, ['data.jsonl'], new Map([['data.jsonl', a]]), { ...context, hints: new Map([['data.jsonl', hint]]) });
    expect(verdict.error?.message).toBe(`nothing usable: all 4 non-blank lines are errors, all ERR_INVALID_UTF8: ${hint}`);
  });

  test('stdin, one line', () => {
    const a = counts({ errorsByCode: { ERR_NOT_OBJECT: 1 } });
    expect(judgeUsable(a, ['<stdin>'], new Map([['<stdin>', a]]), context).error?.toLine()).toBe(
      "<stdin>: ERR_UNUSABLE_INPUT: nothing usable: the 1 non-blank line is an error, ERR_NOT_OBJECT: each line must be one JSON object (for a JSON array: jq -c '.[]')",
    );
  });

  test('several inputs, one unusable: a note names it with its cause, the error names it and says the rest is written', () => {
    const good = counts({ pairs: 2, rejected: 3 });
    const bad = counts({ errorsByCode: { ERR_MAPPING: 12 } });
    const blank = counts({ blank: 2 });
    const total = counts({ pairs: 2, rejected: 3, blank: 2, errorsByCode: { ERR_MAPPING: 12 } });
    // The empty input gave no batch, so the tally does not know it: it is no unusable input either.
    const verdict = judgeUsable(total, ['a.jsonl', 'b.jsonl', 'blank.jsonl', 'empty.jsonl'], new Map([['a.jsonl', good], ['b.jsonl', bad], ['blank.jsonl', blank]]), context);
    expect(verdict.notes).toEqual(['b.jsonl gave nothing usable: all 12 non-blank lines are errors, all ERR_MAPPING: the records do not fit preset qa-internal; check --preset / the mapping']);
    expect(verdict.error?.toLine()).toBe('ERR_UNUSABLE_INPUT: 1 of 4 inputs gave nothing usable: b.jsonl (ERR_MAPPING 12); every file is written (dist)');
  });

  test('several inputs, none usable: a note per input, the error for the whole run; past three inputs the error line counts the rest', () => {
    const names = ['a', 'b', 'c', 'd', 'e'].map((name) => `${name}.jsonl`);
    const each = counts({ errorsByCode: { ERR_SCHEMA: 2 } });
    const total = counts({ errorsByCode: { ERR_SCHEMA: 10 } });
    const verdict = judgeUsable(total, names, new Map(names.map((name) => [name, each])), context);
    expect(verdict.notes).toHaveLength(5);
    expect(verdict.error?.toLine()).toBe(
      'ERR_UNUSABLE_INPUT: nothing usable in 5 inputs: all 10 non-blank lines are errors, all ERR_SCHEMA: the records do not fit preset qa-internal; check --preset / the mapping',
    );
    const good = counts({ pairs: 1 });
    const partial = judgeUsable(counts({ pairs: 1, errorsByCode: { ERR_SCHEMA: 10 } }), [...names, 'f.jsonl'], new Map([...names.map((name) => [name, each] as const), ['f.jsonl', good]]), context);
    expect(partial.error?.message).toBe('5 of 6 inputs gave nothing usable: a.jsonl (ERR_SCHEMA 2), b.jsonl (ERR_SCHEMA 2), c.jsonl (ERR_SCHEMA 2) and 2 more; every file is written (dist)');
  });

  test('documents without segments: the cause is the segment patterns', () => {
    const a = counts({ segmented: 6, noSegments: 6, errorsByCode: { ERR_SCHEMA: 1 } });
    expect(judgeUsable(a, ['docs.jsonl'], new Map([['docs.jsonl', a]]), { ...context, preset: 'segments' }).error?.message).toBe(
      'nothing usable: of 7 non-blank lines, 1 error (most ERR_SCHEMA) and 6 documents without segments: check the segment: patterns',
    );
  });
});
