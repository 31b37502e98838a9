/**
 * segment — cuts instruction/context/output records out of a raw document with
 * regular expressions (the `segment` option; config key `segment`). Pure: no I/O.
 *
 * Input: the document's text (the string at `field` of an input record). Output:
 * zero or more Segments, in document order:
 *
 *   { instruction, context, output, offset }
 *
 * How a document is cut: from the current position, the earliest match of any
 * `instruction` pattern (on a tie, the first pattern listed) starts a segment; the
 * earliest match of any `output` pattern after it ends it, unless another
 * instruction matches first (then the first instruction had no answer and is
 * skipped); an output is never read past the next instruction (the patterns are
 * matched again on the text before it, where `$` then matches). A pattern's first capture group is the text taken (the whole match
 * when it has none), trimmed. `context: before` takes the text between the end of
 * the previous segment (or the document's start) and the instruction, trimmed;
 * `none` gives ''. A segment whose output is shorter than `min_output_chars`
 * characters is dropped. The search goes on after the output.
 * `offset` is the character offset of the instruction match in the document, in
 * code points, as Python's `len()` counts them (HF users slice with Python).
 *
 * Patterns are JavaScript regular expressions compiled once with the `s` (dot
 * matches newline) and `u` (code points) flags, so `(.*?)(?:\n\n|$)` means "up to
 * the next blank line or the end". A pattern that does not compile is
 * QaHfError('ERR_CONFIG') with the JSON pointer of the pattern (`/segment/output/1`).
 *
 *   const cut = compileSegmenter({ field: 'text', instruction: ['Fråga:\\s*(.*?)\\n'], output: ['Svar:\\s*(.*?)(?:\\n\\n|$)'] });
 *   cut.segments('Fråga: Hur?\nSvar: Så.') // [{ instruction: 'Hur?', context: '', output: 'Så.', offset: 0 }]
 */
import { configError, got } from '../errors';

/** The `segment` option as a user writes it (plain, structured-clonable data: it crosses to workers). */
export interface SegmentSpec {
  /** The input field holding the document's text. */
  field: string;
  /** Patterns that start a segment; group 1 (or the match) is the instruction. */
  instruction: string[];
  /** Patterns that end it; group 1 (or the match) is the output. */
  output: string[];
  /** `before`: the text before the instruction (since the previous segment); `none` (default): ''. */
  context?: 'none' | 'before';
  /** Segments whose output has fewer characters (code points) are dropped. Default 1. */
  min_output_chars?: number;
}

/** One record cut out of a document: what the mapping then reads. */
export interface Segment {
  instruction: string;
  context: string;
  output: string;
  /** Code-point offset of the instruction in the document. */
  offset: number;
}

export interface Segmenter {
  /** The input field holding the document's text. */
  readonly field: string;
  segments(text: string): Segment[];
}

const SPEC_KEYS = ['field', 'instruction', 'output', 'context', 'min_output_chars'];
/** The default shortest output: a segment must answer something. */
export const DEFAULT_MIN_OUTPUT_CHARS = 1;

function patterns(spec: Record<string, unknown>, key: 'instruction' | 'output'): RegExp[] {
  const list = spec[key];
  if (!Array.isArray(list) || list.length === 0) throw configError(`/segment/${key}`, `must be a non-empty list of regular expressions, ${got(list)}`);
  return list.map((source, i) => {
    const pointer = `/segment/${key}/${i}`;
    if (typeof source !== 'string' || source === '') throw configError(pointer, `must be a regular expression, ${got(source)}`);
    try {
      return new RegExp(source, 'gsu');
    } catch (err) {
      throw configError(pointer, `${(err as Error).message.replace(/^Invalid regular expression: /, 'invalid regular expression: ')}`);
    }
  });
}

/** Checks the spec (ERR_CONFIG with a pointer) and compiles its patterns once. */
export function compileSegmenter(spec: unknown): Segmenter {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw configError('/segment', `must be an object, ${got(spec)}`);
  const record = spec as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!SPEC_KEYS.includes(key)) throw configError(`/segment/${key}`, `unknown key; expected ${SPEC_KEYS.join(', ')}`);
  }
  const field = record.field;
  if (typeof field !== 'string' || field === '') throw configError('/segment/field', `must name the input field holding the text, ${got(field)}`);
  const instruction = patterns(record, 'instruction');
  const output = patterns(record, 'output');
  const context = record.context ?? 'none';
  if (context !== 'none' && context !== 'before') throw configError('/segment/context', `must be none or before, ${got(record.context)}`);
  const minOutput = record.min_output_chars ?? DEFAULT_MIN_OUTPUT_CHARS;
  if (typeof minOutput !== 'number' || !Number.isSafeInteger(minOutput) || minOutput < 0) {
    throw configError('/segment/min_output_chars', `must be an integer ≥ 0, ${got(record.min_output_chars)}`);
  }
  return { field, segments: (text) => cut(text, instruction, output, context === 'before', minOutput) };
}

interface Found {
  index: number;
  end: number;
  text: string;
}

/** The earliest match at or after `from` of any pattern (the first listed on a tie). */
function earliest(text: string, regexes: readonly RegExp[], from: number): Found | null {
  let best: Found | null = null;
  for (const regex of regexes) {
    regex.lastIndex = from;
    const match = regex.exec(text);
    if (match === null || (best !== null && match.index >= best.index)) continue;
    best = { index: match.index, end: match.index + match[0].length, text: (match[1] ?? match[0]).trim() };
  }
  return best;
}

function cut(text: string, instructions: readonly RegExp[], outputs: readonly RegExp[], withContext: boolean, minOutput: number): Segment[] {
  const segments: Segment[] = [];
  // Code points before `counted` (UTF-16 index): offsets are counted incrementally, so a document is walked once.
  let counted = 0;
  let codePoints = 0;
  const offsetOf = (index: number): number => {
    for (; counted < index; counted++) {
      const unit = text.charCodeAt(counted);
      if (unit < 0xdc00 || unit > 0xdfff) codePoints++;
    }
    return codePoints;
  };
  let previousEnd = 0;
  let question = earliest(text, instructions, 0);
  while (question !== null) {
    // An empty instruction match still moves the search on.
    const after = Math.max(question.end, question.index + 1);
    let answer = earliest(text, outputs, question.end);
    if (answer === null) break;
    const next = earliest(text, instructions, after);
    // An output ends where the next instruction starts: `$` and a greedy pattern then stop there.
    if (next !== null && next.index < answer.end) answer = next.index > answer.index ? earliest(text.slice(0, next.index), outputs, question.end) : null;
    if (answer === null) {
      question = next; // this instruction has no output before the next one
      continue;
    }
    if (codePointCount(answer.text) >= minOutput) {
      segments.push({
        instruction: question.text,
        context: withContext ? text.slice(previousEnd, question.index).trim() : '',
        output: answer.text,
        offset: offsetOf(question.index),
      });
    }
    previousEnd = Math.max(answer.end, after);
    question = next !== null && next.index >= previousEnd ? next : earliest(text, instructions, previousEnd);
  }
  return segments;
}

function codePointCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}
