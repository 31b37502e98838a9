/**
 * usable — whether a run, and each of its inputs, gave anything usable (pure).
 *
 * An input gave nothing usable when it had non-blank lines and not one of them
 * made a row: no pair, no rejected pair, no row of a segmented document, no pair
 * left out of the sample — every non-blank line was an error (or, with
 * `segment:`, a document without segments). A wrong --preset, a mapping typo, a
 * UTF-16 or bzip2 file, a JSON array: the run would otherwise end with exit 0 and
 * an empty dataset. A file of blank lines only, or of none, is not unusable: there
 * was nothing to use. Read from the run's Tally (lib/tally.ts), per input and in
 * total, so it holds across a resume and a merge as the counts do.
 *
 * The verdict is one ERR_UNUSABLE_INPUT error (exit 5) naming the most frequent
 * error code, its count and the likely cause (the input's whole-file hint,
 * lib/input/input-hints.ts, when it had one), and, in a run of several inputs, one
 * summary note per unusable input; the other inputs are processed as usual.
 *
 *   const verdict = judgeUsable(tally.total, ['a.jsonl', 'b.jsonl'], tally.files, { hints, preset: 'qa-internal', done: 'every file is written' });
 *   reporter.summary(tally, verdict.notes);
 *   if (verdict.error) throw verdict.error;
 */
import { QaHfError, type RecordErrorCode } from './errors';
import { count, emptyCounts, type Counts } from './tally';

export interface UsableContext {
  /** Whole-file hints by input name (as the file source names it, `<stdin>` for stdin). */
  hints?: ReadonlyMap<string, string>;
  /** The preset the records were read with (`config` for a config's own mapping). */
  preset: string;
  /** What became of the run's files, for a run where only some inputs were unusable: `every file is written (dist)`. */
  done: string;
  /** Per input, the first message of each error code (commands/report.ts Reporter.firstErrors): a schema or mapping one is quoted. */
  examples?: ReadonlyMap<string, ReadonlyMap<RecordErrorCode, string>>;
}

/** Codes whose first message says what to fix (the column, the path, the field): quoted in the line. */
const QUOTED: ReadonlySet<RecordErrorCode> = new Set(['ERR_SCHEMA', 'ERR_MAPPING']);

export interface UsableVerdict {
  /** One line per unusable input, for the summary (only in a run of several inputs). */
  notes: string[];
  /** ERR_UNUSABLE_INPUT (exit 5), or null when every input with non-blank lines gave a row. */
  error: QaHfError | null;
}

/** How many unusable inputs the error line names (the summary's notes name them all). */
const NAMED_INPUTS = 3;

/** True when `counts` hold non-blank lines and none of them made a row. */
export function isUnusable(counts: Counts): boolean {
  const rows = counts.pairs + counts.rejected + counts.notSampled + counts.segmentPairs + counts.segmentRejected;
  return counts.lines > counts.blank && rows === 0;
}

/** The most frequent error code and its count (the first in the tally's order on a tie); null without errors. */
export function dominantError(counts: Counts): [RecordErrorCode, number] | null {
  let best: [RecordErrorCode, number] | null = null;
  for (const [code, n] of Object.entries(counts.errorsByCode) as [RecordErrorCode, number][]) {
    if (n > 0 && (best === null || n > best[1])) best = [code, n];
  }
  return best;
}

/** What a line with this code most likely says about the whole input. */
export function likelyCause(code: RecordErrorCode, preset: string): string {
  switch (code) {
    case 'ERR_SCHEMA':
    case 'ERR_MAPPING':
      return `the records do not fit ${preset === 'config' ? "the config's mapping" : `preset ${preset}`}; check --preset / the mapping`;
    case 'ERR_JSON_PARSE':
    case 'ERR_TRUNCATED_LINE':
      return 'the lines are not JSON: is this JSON Lines (one JSON object per line)?';
    case 'ERR_NOT_OBJECT':
      return "each line must be one JSON object (for a JSON array: jq -c '.[]')";
    case 'ERR_INVALID_UTF8':
      return 'the input is not UTF-8 text (convert it with iconv -t UTF-8, or decompress it first)';
    case 'ERR_LINE_TOO_LONG':
      return 'the lines are longer than --max-line-bytes: one JSON document rather than JSON Lines, or raise --max-line-bytes';
    case 'ERR_LONE_SURROGATE':
      return 'the strings hold lone UTF-16 surrogates (\\ud800), which UTF-8 cannot encode; fix what wrote them';
  }
}

/** `all 14 non-blank lines are errors, 12 of them ERR_SCHEMA: <cause>`, or the segmentation's equivalent. */
function describe(counts: Counts, preset: string, hint: string | undefined, examples: ReadonlyMap<RecordErrorCode, string> | undefined): string {
  const nonBlank = counts.lines - counts.blank;
  const dominant = dominantError(counts);
  if (counts.errors === nonBlank && dominant !== null) {
    const [code, n] = dominant;
    const lines = nonBlank === 1 ? 'the 1 non-blank line is an error' : `all ${nonBlank} non-blank lines are errors`;
    const which = n === nonBlank ? (nonBlank === 1 ? code : `all ${code}`) : `${n} of them ${code}`;
    const example = QUOTED.has(code) ? examples?.get(code) : undefined;
    return `${lines}, ${which}${example === undefined ? '' : ` (the first: ${example})`}: ${hint ?? likelyCause(code, preset)}`;
  }
  // Documents without segments (segment:), with or without errors.
  const errors = dominant === null ? '' : `${count(counts.errors, 'error')} (most ${dominant[0]}) and `;
  return `of ${count(nonBlank, 'non-blank line')}, ${errors}${count(counts.noSegments, 'document')} without segments: check the segment: patterns`;
}

/**
 * Judges the run by its total and per-input counts: `inputs` are the run's input
 * names in order (`<stdin>` for stdin), `perInput` the tally's counts by name (an
 * input that gave no line may be absent).
 */
export function judgeUsable(total: Counts, inputs: readonly string[], perInput: ReadonlyMap<string, Counts>, context: UsableContext): UsableVerdict {
  const files = inputs.map((file) => [file, perInput.get(file) ?? emptyCounts()] as const);
  const unusable = files.filter(([, counts]) => isUnusable(counts));
  const hintOf = (file: string) => context.hints?.get(file);
  // An input's own first messages; the run's: each code's first in input order.
  const examplesOf = (file: string | undefined) => (file === undefined ? runExamples : context.examples?.get(file));
  const runExamples = new Map<RecordErrorCode, string>();
  for (const file of inputs) for (const [code, message] of context.examples?.get(file) ?? []) if (!runExamples.has(code)) runExamples.set(code, message);
  if (files.length <= 1) {
    if (!isUnusable(total)) return { notes: [], error: null };
    const file = inputs[0];
    return { notes: [], error: new QaHfError('ERR_UNUSABLE_INPUT', `nothing usable: ${describe(total, context.preset, file === undefined ? undefined : hintOf(file), examplesOf(file))}`, file === undefined ? {} : { file }) };
  }
  const notes = unusable.map(([file, counts]) => `${file} gave nothing usable: ${describe(counts, context.preset, hintOf(file), examplesOf(file))}`);
  if (isUnusable(total)) {
    return { notes, error: new QaHfError('ERR_UNUSABLE_INPUT', `nothing usable in ${count(files.length, 'input')}: ${describe(total, context.preset, undefined, examplesOf(undefined))}`) };
  }
  if (unusable.length === 0) return { notes, error: null };
  const named = unusable.slice(0, NAMED_INPUTS).map(([file, counts]) => {
    const dominant = dominantError(counts);
    return dominant === null ? `${file} (no segments)` : `${file} (${dominant[0]} ${dominant[1]})`;
  });
  const more = unusable.length > NAMED_INPUTS ? ` and ${unusable.length - NAMED_INPUTS} more` : '';
  const message = `${unusable.length} of ${count(files.length, 'input')} gave nothing usable: ${named.join(', ')}${more}; ${context.done}`;
  return { notes, error: new QaHfError('ERR_UNUSABLE_INPUT', message) };
}
