/**
 * lib/input/segment.ts: documents cut into {instruction, context, output, offset} by
 * regular expressions — the Swedish and English samples, offsets in code points,
 * context none/before, min_output_chars, questions without an answer, outputs that
 * stop at the next instruction, and bad specs as ERR_CONFIG with a JSON pointer.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { type SegmentSpec, compileSegmenter } from '../lib/input/segment';
import { ROOT, thrown } from './helpers';

const SPEC: SegmentSpec = JSON.parse(readFileSync(path.join(ROOT, 'samples/segment/segment.json'), 'utf8'));
const docs = (name: string): Array<{ id: string; text: unknown }> =>
  readFileSync(path.join(ROOT, 'samples/segment', name), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));

describe('the samples', () => {
  const cut = compileSegmenter(SPEC);

  test('Swedish (Fråga:/Svar:): two pairs with context, a document without any, a short answer dropped, a question without an answer skipped', () => {
    const [one, none, drug] = docs('docs-sv.jsonl');
    expect(cut.segments(one.text as string)).toEqual([
      {
        instruction: 'Vad innebär NEWS2-poäng 5?',
        context: 'Riktlinje för bedömning med NEWS2.',
        output: 'En poäng på 5 eller mer kräver bedömning av läkare inom en timme.',
        offset: 36,
      },
      {
        instruction: 'Hur ofta ska vitalparametrar mätas?',
        context: '',
        output: 'Vid poäng 1–4 minst var fjärde timme, vid högre poäng oftare.',
        offset: 143,
      },
    ]);
    expect(cut.segments(none.text as string)).toEqual([]);
    // 🩺 is two UTF-16 units and one character: the offset counts characters (code points), as Python does.
    expect(cut.segments(drug.text as string)).toEqual([
      { instruction: 'Får paracetamol ges till barn?', context: 'Läkemedel 🩺', output: 'Ja, i viktanpassad dos enligt FASS och barnets ålder.', offset: 12 },
    ]);
  });

  test('English (Question:/Answer:): an output ends at the next question even without a blank line', () => {
    const [one, none, fluids] = docs('docs-en.jsonl');
    expect(cut.segments(one.text as string).map((s) => [s.instruction, s.output, s.offset])).toEqual([
      ['What does a NEWS2 score of 5 mean?', 'A score of 5 or more needs an urgent review by a clinician within the hour.', 0],
      ['How often are observations taken?', 'At least every four hours for a score of 1 to 4, more often above that.', 130],
    ]);
    expect(cut.segments(none.text as string)).toEqual([]);
    expect(cut.segments(fluids.text as string)).toEqual([
      {
        instruction: 'What is the first step in a fluid assessment?',
        context: 'Background on fluids.',
        output: 'Look at intake, output, weight and the mucous membranes.',
        offset: 22,
      },
      { instruction: 'And the next?', context: '', output: 'Check the blood pressure lying and standing, then the pulse.', offset: 143 },
    ]);
  });

  test('offsets point at the instruction in the document (as code points)', () => {
    for (const doc of [...docs('docs-sv.jsonl'), ...docs('docs-en.jsonl')]) {
      if (typeof doc.text !== 'string') continue;
      const points = [...doc.text];
      for (const segment of cut.segments(doc.text)) expect(points.slice(segment.offset).join('')).toMatch(/^(?:Question|Fråga):/);
    }
  });
});

describe('options', () => {
  const text = 'Intro.\nQ: one\nA: first answer\n\nQ: two\nA: ok\n\nQ: three\nA: third answer';
  const base = { field: 'text', instruction: ['Q:\\s*(.*?)\\n'], output: ['A:\\s*(.*?)(?:\\n\\n|$)'] };

  test('context none (the default) gives empty contexts; min_output_chars defaults to 1', () => {
    expect(compileSegmenter(base).segments(text)).toEqual([
      { instruction: 'one', context: '', output: 'first answer', offset: 7 },
      { instruction: 'two', context: '', output: 'ok', offset: 31 },
      { instruction: 'three', context: '', output: 'third answer', offset: 45 },
    ]);
  });

  test.each([
    [3, ['one', 'three']],
    [0, ['one', 'two', 'three']],
    [13, []],
  ])('min_output_chars %d', (min, kept) => {
    expect(compileSegmenter({ ...base, min_output_chars: min }).segments(text).map((s) => s.instruction)).toEqual(kept);
  });

  test('several patterns: the earliest match wins, whichever pattern it is', () => {
    const cut = compileSegmenter({ field: 't', instruction: ['Fråga:\\s*(.*?)\\n', 'Question:\\s*(.*?)\\n'], output: ['(?:Svar|Answer):\\s*(.*?)(?:\\n\\n|$)'] });
    expect(cut.segments('Question: a?\nAnswer: b\n\nFråga: c?\nSvar: d').map((s) => [s.instruction, s.output])).toEqual([
      ['a?', 'b'],
      ['c?', 'd'],
    ]);
  });

  test('a pattern without a group takes the whole match', () => {
    const cut = compileSegmenter({ field: 't', instruction: ['\\d+'], output: ['!+'] });
    expect(cut.segments('1 2 !! 3 !').map((s) => [s.instruction, s.output, s.offset])).toEqual([
      ['2', '!!', 2],
      ['3', '!', 7],
    ]);
  });

  test('patterns that match the empty string still end (each step moves on)', () => {
    const text = 'ab yy c yyy '.repeat(50);
    const segments = compileSegmenter({ field: 't', instruction: ['x*'], output: ['y*'] }).segments(text);
    expect(segments.length).toBeLessThanOrEqual(text.length);
  });
});

describe('bad specs: ERR_CONFIG with a JSON pointer', () => {
  test.each([
    [{ ...SPEC, instruction: ['(unclosed'] }, '/segment/instruction/0', 'invalid regular expression: /(unclosed/gsu: Unterminated group'],
    [{ ...SPEC, output: ['ok', '[z-a]'] }, '/segment/output/1', 'invalid regular expression: /[z-a]/gsu: Range out of order in character class'],
    [{ ...SPEC, output: [] }, '/segment/output', 'must be a non-empty list of regular expressions, got []'],
    [{ ...SPEC, instruction: [3] }, '/segment/instruction/0', 'must be a regular expression, got 3'],
    [{ ...SPEC, field: '' }, '/segment/field', 'must name the input field holding the text, got ""'],
    [{ ...SPEC, context: 'after' }, '/segment/context', 'must be none or before, got "after"'],
    [{ ...SPEC, min_output_chars: -1 }, '/segment/min_output_chars', 'must be an integer ≥ 0, got -1'],
    [{ ...SPEC, mode: 'x' }, '/segment/mode', 'unknown key; expected field, instruction, output, context, min_output_chars'],
    ['text', '/segment', 'must be an object, got "text"'],
  ])('%j', (spec, pointer, message) => {
    const err = thrown(() => compileSegmenter(spec));
    expect([err.code, err.pointer, err.message]).toEqual(['ERR_CONFIG', pointer, message]);
  });
});
