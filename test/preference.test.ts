/**
 * lib/dataset/preference.ts, in-process: the text and conversational forms of a pair, which pairs
 * are taken, dpo's choice per question (best passed, worst rejected, ties and unscored rows to
 * the earlier record, the first-seen prompt), and its resume log: replaying it gives the same rows.
 */
import type { Row } from '../lib/batch';
import { QA_INTERNAL } from '../lib/input/presets';
import { PreferenceIndex, isPreferencePair, ktoLine, makePreferenceRenderer } from '../lib/dataset/preference';
import { FORMATS } from '../lib/dataset/formats';

const PAIRS = { columns: QA_INTERNAL.pairColumns };
const SYSTEM = 'Du svarar kort.';
const MESSAGES = { columns: [...QA_INTERNAL.pairColumns, { name: 'messages', type: 'string' as const }] };

function row(question: string, answer: string, score: unknown, extra: Row = {}): Row {
  return { question, answer, source: '', persona: 'p', validation_score: score, ...extra };
}

describe('the rows of a pair', () => {
  test('text: the question, the answer after a space; label as given', () => {
    const renderer = makePreferenceRenderer(PAIRS);
    expect(ktoLine(renderer, row('Hur "ofta"?', 'Två\ngånger.', 0.9), false)).toBe(JSON.stringify({ prompt: 'Hur "ofta"?', completion: ' Två\ngånger.', label: false }));
  });

  test('with a context column, the context and a blank line before the question', () => {
    const renderer = makePreferenceRenderer({ columns: [...QA_INTERNAL.pairColumns, { name: 'context', type: 'string' }] });
    expect(JSON.parse(renderer.prompt(row('Q?', 'A', 1, { context: 'Text.' })))).toBe('Text.\n\nQ?');
  });

  test('a system prompt makes conversations: system and user turns, the answer as an assistant turn', () => {
    const renderer = makePreferenceRenderer({ ...PAIRS, systemPrompt: SYSTEM });
    expect(JSON.parse(ktoLine(renderer, row('Q?', 'A.', 1), true))).toEqual({
      prompt: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: 'Q?' },
      ],
      completion: [{ role: 'assistant', content: 'A.' }],
      label: true,
    });
  });

  test('a conversation: its turns before the first answer; the system prompt only where it has no system turn', () => {
    const chat = [
      { role: 'system', content: 'Egen.' },
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'A1' },
      { role: 'user', content: 'Q2' },
      { role: 'assistant', content: 'A2' },
    ];
    const own = row('Q1', 'A1', 1, { messages: JSON.stringify(chat) });
    expect(JSON.parse(makePreferenceRenderer({ ...MESSAGES, systemPrompt: SYSTEM }).prompt(own))).toEqual(chat.slice(0, 2));
    const bare = row('Q1', 'A1', 1, { messages: JSON.stringify(chat.slice(1)) });
    expect(JSON.parse(makePreferenceRenderer(MESSAGES).prompt(bare))).toEqual([{ role: 'user', content: 'Q1' }]);
    expect(JSON.parse(makePreferenceRenderer({ ...MESSAGES, systemPrompt: SYSTEM }).prompt(bare))).toEqual([{ role: 'system', content: SYSTEM }, { role: 'user', content: 'Q1' }]);
    // Not a conversation (damaged): the user's turn.
    expect(JSON.parse(makePreferenceRenderer(MESSAGES).prompt(row('Q', 'A', 1, { messages: '{' })))).toEqual([{ role: 'user', content: 'Q' }]);
  });

  test('features follow the form', () => {
    expect(FORMATS.kto.features(PAIRS)).toEqual([
      { name: 'prompt', dtype: 'string' },
      { name: 'completion', dtype: 'string' },
      { name: 'label', dtype: 'bool' },
    ]);
    const turns = { list: [{ name: 'role', dtype: 'string' }, { name: 'content', dtype: 'string' }] };
    expect(FORMATS.dpo.features(MESSAGES)).toEqual([{ name: 'prompt', ...turns }, { name: 'chosen', ...turns }, { name: 'rejected', ...turns }]);
  });

  test('duplicates moved out by the quality rules are left out; other rejected pairs are taken', () => {
    expect(isPreferencePair(row('q', 'a', 1), true)).toBe(true);
    expect(isPreferencePair(row('q', 'a', 1, { failure_reason: 'below_min_score' }), false)).toBe(true);
    expect(isPreferencePair(row('q', 'a', 1, { failure_reason: 'duplicate' }), false)).toBe(false);
    expect(isPreferencePair(row('q', 'a', 1, { failure_reason: 'near_duplicate' }), false)).toBe(false);
  });
});

describe('dpo: one row per question', () => {
  const feed = (index: PreferenceIndex, pairs: Array<[Row, boolean, number]>) => pairs.map(([r, passed, split]) => index.add(r, passed, split)).join('');
  const PAIRS_IN = (): Array<[Row, boolean, number]> => [
    [row('Hur ofta?', 'p1', 0.7), true, 1],
    [row('  HUR   ofta? ', 'r1', 0.4), false, 0],
    [row('hur ofta?', 'p2', 0.9), true, 0],
    [row('Hur ofta?', 'p3', 0.9), true, 0], // tie: the earlier p2 stays
    [row('Hur ofta?', 'r2', 0.2), false, 0],
    [row('Hur ofta?', 'r3', 0.2), false, 0], // tie: r2 stays
    [row('Ｈur ofta?', 'r4', 0.3), false, 0], // NFKC folds the full-width letter: the same question
    [row('Bara godkänd?', 'p', 0.8), true, 0],
    [row('Bara underkänd?', 'r', 0.1), false, 1],
    [row('Utan poäng?', 'p-none', null), true, 0],
    [row('Utan poäng?', 'r-none', undefined), false, 0],
    [row('Utan poäng?', 'r-scored', 0.5), false, 0], // a scored one over an unscored one
    [row('Utan poäng?', 'p-scored', 0.1), true, 0],
  ];

  test('best passed, worst rejected, ties and unscored rows to the earlier record; the first prompt and its split', () => {
    const index = new PreferenceIndex(makePreferenceRenderer(PAIRS));
    feed(index, PAIRS_IN());
    expect([...index.pairs()]).toEqual([
      { split: 1, line: JSON.stringify({ prompt: 'Hur ofta?', chosen: ' p2', rejected: ' r2' }) },
      { split: 0, line: JSON.stringify({ prompt: 'Utan poäng?', chosen: ' p-scored', rejected: ' r-scored' }) },
    ]);
    expect(index.summary()).toEqual({ questions: 4, pairs: 2, without_both: 2, only_passed: 1, only_rejected: 1 });
  });

  test('replaying the log, whole or cut after any line, gives the index of those pairs', () => {
    const index = new PreferenceIndex(makePreferenceRenderer({ ...PAIRS, systemPrompt: SYSTEM }));
    const pairs = PAIRS_IN();
    const logs = pairs.map(([r, passed, split]) => index.add(r, passed, split));
    for (let cut = 0; cut <= pairs.length; cut++) {
      const replayed = new PreferenceIndex(makePreferenceRenderer({ ...PAIRS, systemPrompt: SYSTEM }));
      for (const line of logs.slice(0, cut).join('').split('\n')) if (line !== '') replayed.replay(line);
      const direct = new PreferenceIndex(makePreferenceRenderer({ ...PAIRS, systemPrompt: SYSTEM }));
      feed(direct, pairs.slice(0, cut));
      expect([[...replayed.pairs()], replayed.summary()]).toEqual([[...direct.pairs()], direct.summary()]);
      // …and goes on as the uninterrupted index does.
      feed(replayed, pairs.slice(cut));
      expect([...replayed.pairs()]).toEqual([...index.pairs()]);
    }
  });

  test('only changes are logged', () => {
    const index = new PreferenceIndex(makePreferenceRenderer(PAIRS));
    expect(index.add(row('Q', 'a', 0.5), true, 0).split('\n').length).toBe(3); // the question, the chosen, ''
    expect(index.add(row('q', 'b', 0.5), true, 0)).toBe(''); // a tie changes nothing
    expect(index.size).toBe(1);
  });
});
