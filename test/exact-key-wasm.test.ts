/**
 * lib/quality/exact-key-wasm.ts: the WebAssembly exact key against its reference, exactKey in
 * lib/quality/dedup-keys.ts — every output (return value, both lanes, the four measures, what is
 * left untouched) on fuzzed pairs, with and without latinOnly and measures.
 */
import { exactKey } from '../lib/quality/dedup-keys';
import { exactKeyWasm } from '../lib/quality/exact-key-wasm';
import { generateRecords } from '../bench/generate';
import { seeded } from './helpers';

/** A value neither implementation writes: a slot it should leave alone keeps it. */
const UNTOUCHED = 0x5eed;

/** Everything one implementation gives for a pair: its return value, then out and measures as they are after the call. */
function outputs(key: typeof exactKey, question: string, answer: string, latinOnly: boolean, measured: boolean, into: Float64Array): void {
  const out = new Uint32Array(2).fill(UNTOUCHED);
  const measures = measured ? new Int32Array(4).fill(UNTOUCHED) : null;
  into[0] = Number(key(question, answer, out, latinOnly, measures));
  into[1] = out[0];
  into[2] = out[1];
  for (let i = 0; i < 4; i++) into[3 + i] = measures === null ? UNTOUCHED : measures[i];
}

/** [latinOnly, measured]: every way of calling the key; TWO_WAYS, the two DedupIndex.fingerprint makes (the fast path with measures, then the full one). */
const EVERY_WAY = [[false, false], [false, true], [true, false], [true, true]] as const;
const TWO_WAYS = [[true, true], [false, false]] as const;

const wasm = new Float64Array(7);
const reference = new Float64Array(7);

function expectSame(question: string, answer: string, ways: ReadonlyArray<readonly [boolean, boolean]> = EVERY_WAY): void {
  for (const [latinOnly, measured] of ways) {
    outputs(exactKeyWasm, question, answer, latinOnly, measured, wasm);
    outputs(exactKey, question, answer, latinOnly, measured, reference);
    // Compared by hand (an expect a call costs more than the two keys); on a difference, the pair in the failure message.
    if (wasm.some((value, i) => value !== reference[i])) {
      expect({ question, answer, latinOnly, measured, outputs: [...wasm] }).toEqual({ question, answer, latinOnly, measured, outputs: [...reference] });
    }
  }
}

/** White space of every kind JavaScript's `\s` knows, and units next to them that are not. */
const SPACES = ['\t', '\n', '\v', '\f', '\r', ' ', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff'];
const NEAR_SPACES = ['\u0008', '\u000e', '\u001f', '\u0084', '\u0086', '\u180e', '\u200b', '\u2060', '\u205e', '\ufeff\ufeff'];
/** FAST_UNITS's edges: accepted (” ° – …) and refused (NBSP, µ, Ł, İ, combining marks, the first unit past its end). */
const EDGES = ['”', '“', '°', '–', '—', '’', '§', 'ł', '×', '÷', 'ß', 'ÿ', 'Þ', 'þ', 'Ö', '\u00a0', 'µ', 'Ł', 'İ', '²', '…', '\u0300', '\u02ff', '\u2010', '\u205e', '\u205f', '\u2060', 'ſ', 'ǅ', 'ﬁ', 'Ｆ', 'Σ', '@', '[', '`', '{', 'A', 'Z', 'a', 'z', '\u00bf', '\u00c0', '\u00de', '\u00d7', '\u00df', '\u0000'];
/** Surrogates paired and lone, and the units around them. */
const SURROGATES = ['😀', '👩‍⚕️', '\ud800', '\udbff', '\udc00', '\udfff', '\ud7ff', '\ue000', '\udc00\ud800'];
const WORDS = ['Vad', 'är', 'FEBER', 'Över', '38', 'grader.', 'Hur', 'länge', 'ÅÄÖ', 'sjuksköterska', 'patientdatalagen', '"citat"', 'x'];

function fuzzedText(random: () => number, maxPieces: number): string {
  const groups = [SPACES, NEAR_SPACES, EDGES, SURROGATES, WORDS, WORDS];
  let text = '';
  const pieces = Math.floor(random() * (maxPieces + 1));
  for (let i = 0; i < pieces; i++) {
    const group = groups[Math.floor(random() * groups.length)];
    text += group[Math.floor(random() * group.length)];
  }
  return text;
}

describe('exactKeyWasm gives what exactKey gives', () => {
  test('empty parts, one unit, white space only', () => {
    const units = ['', ' ', 'a', 'A', '\u0000', ...SPACES, ...NEAR_SPACES, ...EDGES, ...SURROGATES];
    for (const question of units) for (const answer of units) expectSame(question, answer, TWO_WAYS);
    expectSame(SPACES.join(''), SPACES.join(''));
  });

  test('every unit below U+2100 and a sample above, alone and between words', () => {
    const random = seeded(7);
    const units = Array.from({ length: 0x2100 }, (_, c) => String.fromCharCode(c));
    for (let i = 0; i < 1000; i++) units.push(String.fromCharCode(0x2100 + Math.floor(random() * (0x10000 - 0x2100))));
    // Alone (a whole part), and after a space and before a letter.
    for (const unit of units) expectSame(unit, `Ord ${unit}ord`, TWO_WAYS);
  });

  test('1 500 fuzzed pairs, every way of calling: ASCII, Latin-1, Swedish words, FAST_UNITS edges, white space, surrogates', () => {
    const random = seeded(18);
    for (let i = 0; i < 1500; i++) expectSame(fuzzedText(random, 12), fuzzedText(random, 40));
  });

  test('1 500 fuzzed pairs of prose (the kernel takes eight plain units a step): letters, single spaces, now and then any other unit', () => {
    const random = seeded(8);
    const letters = 'abcxyzABCXYZ09.,?"\u00c0\u00c5\u00d6\u00d7\u00de\u00df\u00e4\u00e5\u00f6\u00f7\u00ff\u007f';
    const odd = [...SPACES, ...NEAR_SPACES, ...EDGES, ...SURROGATES, '\u0080', '\u00bf', '\u00a8', '  '];
    const prose = () => {
      let text = '';
      const length = Math.floor(random() * 48);
      for (let i = 0; i < length; i++) {
        const roll = random();
        text += roll < 0.8 ? letters[Math.floor(random() * letters.length)] : roll < 0.95 ? ' ' : odd[Math.floor(random() * odd.length)];
      }
      return text;
    };
    for (let i = 0; i < 1500; i++) expectSame(prose(), prose(), TWO_WAYS);
  });

  test("bench rows' questions and answers (Swedish text, quotes, newlines, emoji)", () => {
    for (const line of generateRecords(100, 42)) {
      const record = JSON.parse(line) as { question?: unknown; answer?: unknown };
      if (typeof record.question === 'string' && typeof record.answer === 'string') expectSame(record.question, record.answer, TWO_WAYS);
    }
  });

  test("long parts (past the kernel's first memory, 32 K units, which then grows twice), then short ones again", () => {
    const random = seeded(3);
    const long = (units: number) => {
      let text = '';
      while (text.length < units) text += fuzzedText(random, 16);
      return text.slice(0, units);
    };
    const latin = 'Vad är feber? Över 38 grader, säger  läkaren.\n'.repeat(400);
    expectSame(latin, latin.toUpperCase(), TWO_WAYS);
    expectSame(long(30000), long(40000), TWO_WAYS);
    expectSame('kort', 'svar', TWO_WAYS);
    expectSame('', `${latin}\u0085${latin}`, TWO_WAYS);
  });
});
