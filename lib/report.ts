/**
 * report — the quality report of a run (report.json; report.html is drawn from
 * it by lib/report-html.ts), accumulated row by row in a state that is plain
 * JSON, so a checkpoint carries it and a resumed run ends with the same bytes.
 *
 *   const report = new ReportAccumulator({ language: 'sv', splitNames: ['train'] });  // or (options, checkpoint.report)
 *   report.add(batch);                       // after the batch is written, routed (channel, split)
 *   buildReport(report, { counts, thresholds, sections })  // the report.json object
 *
 * Per split and channel (pairs, rejected): records; the length of every string
 * column in characters (code points), words (runs of non-space) and, with a
 * token counter (--tokenizer), tokens — min/p50/p90/p99/max, mean and a
 * power-of-two histogram from a bounded sketch (lib/sketch.ts); the
 * validation_score histogram; the most frequent personas and source documents
 * (top REPORT_TOP_NAMES + other, bounded by TopCounter); empty and very short
 * answers, answers equal to their question; the language check.
 *
 * Memory: per (split, channel) and string column three or four sketches of at most
 * ~1,200 buckets each, two TopCounters of at most 2,000 names; nothing grows per
 * record.
 *
 * Language check: tinyld on the first LANGUAGE_SAMPLE_CHARS characters of each
 * answer of at least LANGUAGE_MIN_CHARS characters (shorter ones are counted as
 * `skipped_short`: on a few words a detector guesses — tinyld calls "hej"
 * Klingon). An answer is a match when --language is among tinyld's candidates
 * with at least LANGUAGE_MIN_ACCURACY (detectLanguage), not only when it is the
 * top one: on Swedish healthcare text tinyld's top guess is another language for
 * one answer in eight at 120 characters (Italian, Norwegian, Berber), so a gate
 * on the top guess fails every real corpus. Else the top candidate is recorded
 * (or `und`), and it is a mismatch. `--language off` skips the check (and its cost).
 * Detection costs as much as the rest of an export's per-record work, so past
 * the first LANGUAGE_CHECK_ALL records of a group only the answers in a hash
 * sample (languageSampled: one in LANGUAGE_STRIDE, by their text) are checked
 * (`not_sampled` counts the others): the mismatch share is then a sample's,
 * deterministic given the input. The sample is a function of the answer alone, so
 * the processor finds and detects it where the row is made (lib/facts.ts: in the
 * workers) and `add` only reads the entry's facts.
 */
import type { Batch, EntryFacts, Row } from './batch';
import { lowerLatin, normalizeForDedup } from './dedup';
import { codePointLength, roundFloats, SCORE_BINS } from './stats';
import { type LengthSketch, type TopCounterState, TopCounter, addLength, emptyLengthSketch, emptyTopCounterState, summarizeLengths } from './sketch';
import type { Counts } from './tally';
import type { MetricValues, ThresholdResult } from './thresholds';

/** Format of report.json and of the state; a change here is a new version. */
export const REPORT_VERSION = 1;
/** Answers shorter than this (code points, trimmed) are not language-checked: too short to tell. */
export const LANGUAGE_MIN_CHARS = 40;
/**
 * Characters of an answer the detector reads (its start): enough to tell, and a
 * long answer costs no more. Measured on 2000 Swedish answers of the bench corpus
 * (target among the candidates at ≥ 0.2): 120 characters call 4.9 % of them
 * something else, 200 characters 3 %, 300 characters 0.7 %; English, German,
 * Norwegian and Danish answers are still told apart. tinyld takes ~1.5 µs per
 * character (~0.45 ms here, more than the rest of an export's work on a record).
 */
export const LANGUAGE_SAMPLE_CHARS = 300;
/** The least tinyld accuracy at which --language counts as detected among the candidates. */
export const LANGUAGE_MIN_ACCURACY = 0.2;
/**
 * Every record of a (split, channel) up to this many is language-checked; after
 * that one answer in LANGUAGE_STRIDE, chosen by a hash of its text
 * (languageSampled), so the same ones after a resume and in any thread. 100 k
 * records then cost ~0.5 s of detection (~1100 checks, the sampled ones in the
 * workers) instead of 45 s, and a share of 10 % is known within ~±0.9 % (its
 * binomial standard error at 1100 checks); 1.6 M records: 16 k checks, ±0.25 %.
 */
export const LANGUAGE_CHECK_ALL = 100;
export const LANGUAGE_STRIDE = 100;

/**
 * True when a trimmed answer is in the language check's hash sample: FNV-1a over
 * its first LANGUAGE_SAMPLE_CHARS UTF-16 units, 0 modulo LANGUAGE_STRIDE.
 */
export function languageSampled(trimmed: string): boolean {
  let h = 0x811c9dc5;
  const end = Math.min(trimmed.length, LANGUAGE_SAMPLE_CHARS);
  for (let i = 0; i < end; i++) h = Math.imul(h ^ trimmed.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return ((h ^ (h >>> 12)) >>> 0) % LANGUAGE_STRIDE === 0;
}

/** tinyld's candidates of a text among `only`: ISO 639-1 codes with an accuracy in [0, 1], best first. */
export type DetectAll = (text: string, options: { only: string[] }) => ReadonlyArray<{ lang: string; accuracy: number }>;

/**
 * The languages the detector chooses among (with --language added): the widely
 * written ones. Without a list tinyld also answers with languages such as Berber
 * or Tagalog for plain Swedish sentences ("För en vuxen med normal lever- och
 * njurfunktion är maxdosen 4 g per dygn…" → ber 0.82, no Swedish candidate).
 */
export const LANGUAGE_CANDIDATES: readonly string[] = [
  'sv', 'en', 'de', 'fr', 'es', 'it', 'nl', 'no', 'da', 'fi', 'is', 'pl', 'pt', 'cs', 'sk', 'hu', 'ro', 'bg', 'ru', 'uk', 'el', 'tr',
  'ar', 'fa', 'he', 'hi', 'zh', 'ja', 'ko', 'vi', 'th', 'id', 'et', 'lv', 'lt', 'sl', 'hr', 'sr', 'so', 'ti', 'am', 'sq', 'bs',
];

/**
 * The detector the report uses: `language` when it is among the candidates with at
 * least LANGUAGE_MIN_ACCURACY, else the best candidate ('' when there is none).
 */
export function detectLanguage(detectAll: DetectAll, language: string): (text: string) => string {
  const only = [...new Set([language, ...LANGUAGE_CANDIDATES])];
  return (text) => {
    const candidates = detectAll(text, { only });
    return candidates.some((candidate) => candidate.lang === language && candidate.accuracy >= LANGUAGE_MIN_ACCURACY) ? language : (candidates[0]?.lang ?? '');
  };
}
/** An answer shorter than this (code points, trimmed; empty excluded) counts as very short. */
export const SHORT_ANSWER_CHARS = 20;
/** Personas and source documents listed by name in the report; the rest are summed as `other`. */
export const REPORT_TOP_NAMES = 20;
/** Language of the answers by default (the first corpus is Swedish). */
export const DEFAULT_LANGUAGE = 'sv';
/**
 * The ISO 639-1 codes tinyld detects (its supportedLanguages, as toISO2 gives them;
 * test/report.test.ts checks this list against the package), kept here so checking
 * --language does not load the detector (~0.5 s) on every start.
 */
export const DETECTABLE_LANGUAGES: readonly string[] = [
  'af', 'am', 'ber', 'rn', 'ja', 'zh', 'ko', 'my', 'th', 'vi', 'id', 'km', 'tl', 'bn', 'ta', 'hi', 'ur', 'gu', 'kn', 'te', 'fr',
  'en', 'de', 'es', 'pt', 'it', 'nl', 'ga', 'la', 'cs', 'sr', 'el', 'mk', 'sk', 'da', 'sv', 'fi', 'no', 'is', 'hu', 'ro', 'bg',
  'be', 'ru', 'uk', 'pl', 'lt', 'et', 'lv', 'hy', 'tr', 'he', 'yi', 'ar', 'fa', 'tt', 'kk', 'mn', 'tk', 'eo', 'vo', 'tlh',
];

/** The channels a report describes row by row. */
export type RowChannel = 'pairs' | 'rejected';

export interface ColumnState {
  chars: LengthSketch;
  words: LengthSketch;
  /** Present when a token counter is given. */
  tokens?: LengthSketch;
}

export interface GroupState {
  split: string;
  channel: RowChannel;
  records: number;
  /** [column, state] in the order columns were first met (the preset's order). */
  columns: [string, ColumnState][];
  score_histogram: number[];
  personas: TopCounterState;
  source_documents: TopCounterState;
  empty_answers: number;
  short_answers: number;
  answer_equals_question: number;
  /** `not_sampled`: answers past LANGUAGE_CHECK_ALL between the LANGUAGE_STRIDE samples. */
  language: { checked: number; mismatched: number; skipped_short: number; not_sampled: number; detected: [string, number][] };
}

export interface ReportState {
  version: typeof REPORT_VERSION;
  groups: GroupState[];
}

export function emptyReportState(): ReportState {
  return { version: REPORT_VERSION, groups: [] };
}

export interface ReportOptions {
  /** ISO 639-1 code the answers should be in (--language); null: no language check (`--language off`). */
  language: string | null;
  /** Split names by index (the plan's; pipe mode: one). */
  splitNames: readonly string[];
  /** Tokens of a text (--tokenizer); absent: no token lengths. */
  countTokens?: (text: string) => number;
  /**
   * The detector, tinyld's `detect` (given, not imported: loading it takes ~0.5 s, which
   * a run without a report never pays); needed when `language` is set.
   */
  detect?: (text: string) => string;
}

/** The sections the quality helpers give (issue 9 shapes), included as they are when present. */
export interface QualitySections {
  /** `{<kind>: {matches, records}, …, records: <records with any match>, …}` */
  pii?: Record<string, unknown>;
  /** `{exact: {records, groups}, near: {records, groups}, across_splits, …}` */
  duplicates?: Record<string, unknown>;
  tiers?: Record<string, unknown>;
}

/** Words: runs of non-white-space characters. */
export function wordCount(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ASCII space, tab, newlines, and the Unicode spaces String.prototype.trim knows.
    const space = c === 32 || (c >= 9 && c <= 13) || (c > 127 && isUnicodeSpace(c));
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      words++;
    }
  }
  return words;
}
/** The white space of JavaScript's `\s` above ASCII (U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF). */
function isUnicodeSpace(c: number): boolean {
  return c === 0xa0 || (c >= 0x1680 && (c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff));
}

/** Text compared for "answer equals question": the duplicate check's normalization (NFKC, case-folded, white space collapsed, trimmed). */
export const normalizeForCompare = normalizeForDedup;

/** ASCII white space as /\s/ knows it (tab, LF, VT, FF, CR, space). */
function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** A character NFKC leaves as it is and toLowerCase maps one to one: ASCII and Latin-1 letters (U+00C0–U+00FF). */
function isPlainLatin(c: number): boolean {
  return c < 0xa0 ? c !== 0x85 : c >= 0xc0 && c <= 0xff;
}

/**
 * normalizeForCompare(a) === normalizeForCompare(b), without normalizing when both
 * are plain Latin (ASCII and U+00C0–U+00FF: Swedish text), where NFKC changes
 * nothing and case folding is a table: the two are walked side by side, white
 * space collapsed and trimmed, and the first difference ends it (an answer
 * differs from its question within a few characters). Anything else is
 * normalized in full.
 */
export function equalNormalized(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  // Leading white space is trimmed.
  while (i < a.length && isAsciiSpace(a.charCodeAt(i))) i++;
  while (j < b.length && isAsciiSpace(b.charCodeAt(j))) j++;
  for (;;) {
    const endA = i >= a.length;
    const endB = j >= b.length;
    if (endA || endB) {
      if (endA && endB) return true;
      // The rest of the longer one must be trailing white space only (trimmed), or not plain.
      const [text, from] = endA ? [b, j] : [a, i];
      for (let k = from; k < text.length; k++) {
        const c = text.charCodeAt(k);
        if (!isPlainLatin(c)) return normalizeForCompare(a) === normalizeForCompare(b);
        if (!isAsciiSpace(c)) return false;
      }
      return true;
    }
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (!isPlainLatin(ca) || !isPlainLatin(cb)) return normalizeForCompare(a) === normalizeForCompare(b);
    const spaceA = isAsciiSpace(ca);
    const spaceB = isAsciiSpace(cb);
    if (spaceA || spaceB) {
      // A run of white space is one space; trailing runs are trimmed (handled at the ends above).
      while (i < a.length && isAsciiSpace(a.charCodeAt(i))) i++;
      while (j < b.length && isAsciiSpace(b.charCodeAt(j))) j++;
      if (spaceA !== spaceB) {
        // One has a space here, the other a character: equal only if the space run is trailing.
        if ((spaceA && i < a.length) || (spaceB && j < b.length)) {
          const next = spaceA ? a.charCodeAt(i) : b.charCodeAt(j);
          if (!isPlainLatin(next)) return normalizeForCompare(a) === normalizeForCompare(b);
          return false;
        }
      }
      continue;
    }
    if (lowerLatin(ca) !== lowerLatin(cb)) return false;
    i++;
    j++;
  }
}


export class ReportAccumulator {
  private readonly groups = new Map<string, Group>();
  private readonly order: Group[] = [];

  constructor(
    private readonly options: ReportOptions,
    state: ReportState = emptyReportState(),
  ) {
    if (state.version !== REPORT_VERSION) throw new Error(`internal: report state version ${String(state.version)}`);
    if (options.language !== null && !options.detect) throw new Error('internal: a language check needs a detector');
    for (const group of state.groups) this.track(new Group(group));
  }

  get language(): string | null {
    return this.options.language;
  }

  get tokens(): boolean {
    return this.options.countTokens !== undefined;
  }

  /** The state as plain JSON (a fresh copy). */
  get state(): ReportState {
    return { version: REPORT_VERSION, groups: this.order.map((group) => group.state) };
  }

  /** Adds the rows of a routed batch: pairs and rejected, by split. */
  add(batch: Batch): void {
    for (const entry of batch.entries) {
      const channel = entry.channel;
      if ((channel !== 'pairs' && channel !== 'rejected') || entry.row === null) continue;
      const split = this.options.splitNames[entry.split] ?? String(entry.split);
      this.group(split, channel).add(entry.row, this.options, entry.facts);
    }
  }

  private group(split: string, channel: RowChannel): Group {
    const key = `${channel}\u0000${split}`;
    let group = this.groups.get(key);
    if (!group) {
      group = new Group(emptyGroup(split, channel));
      this.track(group);
    }
    return group;
  }

  private track(group: Group): void {
    this.groups.set(`${group.channel}\u0000${group.split}`, group);
    this.order.push(group);
  }

  /** The groups in a fixed order: by split (the plan's order), pairs before rejected. */
  sortedStates(): GroupState[] {
    const splitIndex = (name: string) => {
      const i = this.options.splitNames.indexOf(name);
      return i < 0 ? Number.MAX_SAFE_INTEGER : i;
    };
    return this.order
      .map((group) => group.state)
      .sort((a, b) => splitIndex(a.split) - splitIndex(b.split) || (a.channel === b.channel ? 0 : a.channel === 'pairs' ? -1 : 1));
  }

  /** The language check over the passed pairs: answers checked and mismatched. */
  languageTotals(): { checked: number; mismatched: number } {
    let checked = 0;
    let mismatched = 0;
    for (const group of this.order) {
      if (group.channel !== 'pairs') continue;
      checked += group.language.checked;
      mismatched += group.language.mismatched;
    }
    return { checked, mismatched };
  }
}

function emptyGroup(split: string, channel: RowChannel): GroupState {
  return {
    split,
    channel,
    records: 0,
    columns: [],
    score_histogram: Array.from({ length: SCORE_BINS }, () => 0),
    personas: emptyTopCounterState(),
    source_documents: emptyTopCounterState(),
    empty_answers: 0,
    short_answers: 0,
    answer_equals_question: 0,
    language: { checked: 0, mismatched: 0, skipped_short: 0, not_sampled: 0, detected: [] },
  };
}

/** One (split, channel): Maps while counting, plain JSON in `state`. */
class Group {
  readonly split: string;
  readonly channel: RowChannel;
  private readonly rest: Omit<GroupState, 'split' | 'channel' | 'columns' | 'personas' | 'source_documents' | 'language'>;
  private readonly columns: Map<string, ColumnState>;
  private readonly personas: TopCounter;
  private readonly sources: TopCounter;
  readonly language: { checked: number; mismatched: number; skipped_short: number; not_sampled: number };
  private readonly detected: Map<string, number>;

  constructor(state: GroupState) {
    const copy = structuredClone(state);
    this.split = copy.split;
    this.channel = copy.channel;
    this.rest = {
      records: copy.records,
      score_histogram: copy.score_histogram,
      empty_answers: copy.empty_answers,
      short_answers: copy.short_answers,
      answer_equals_question: copy.answer_equals_question,
    };
    this.columns = new Map(copy.columns);
    this.personas = new TopCounter(copy.personas);
    this.sources = new TopCounter(copy.source_documents);
    this.language = {
      checked: copy.language.checked,
      mismatched: copy.language.mismatched,
      skipped_short: copy.language.skipped_short,
      not_sampled: copy.language.not_sampled,
    };
    this.detected = new Map(copy.language.detected);
  }

  get state(): GroupState {
    return {
      split: this.split,
      channel: this.channel,
      ...structuredClone(this.rest),
      columns: structuredClone([...this.columns]),
      personas: this.personas.state,
      source_documents: this.sources.state,
      language: { ...this.language, detected: [...this.detected].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) },
    };
  }

  topPersonas() {
    return this.personas.top(REPORT_TOP_NAMES);
  }

  topSources() {
    return this.sources.top(REPORT_TOP_NAMES);
  }

  /** `facts`: the entry's, when they are of this row's answer (lib/facts.ts). */
  add(row: Row, options: ReportOptions, facts: EntryFacts | null = null): void {
    const rest = this.rest;
    rest.records++;
    // The facts' lengths are by key position (routing keeps the order and changes failure_reason alone).
    const lengths = facts !== null ? facts.lengths : null;
    let position = -1;
    for (const name in row) {
      position++;
      const value = row[name];
      if (typeof value !== 'string') continue;
      let column = this.columns.get(name);
      if (!column) {
        column = { chars: emptyLengthSketch(), words: emptyLengthSketch() };
        if (options.countTokens) column.tokens = emptyLengthSketch();
        this.columns.set(name, column);
      }
      if (lengths !== null && 2 * position < lengths.length && lengths[2 * position] >= 0 && name !== 'failure_reason') {
        addLength(column.chars, lengths[2 * position]);
        addLength(column.words, lengths[2 * position + 1]);
      } else {
        addLength(column.chars, codePointLength(value));
        addLength(column.words, wordCount(value));
      }
      if (column.tokens && options.countTokens) addLength(column.tokens, options.countTokens(value));
    }
    const score = row.validation_score;
    if (typeof score === 'number') rest.score_histogram[Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)))]++;
    if (typeof row.persona === 'string') this.personas.add(row.persona);
    if (typeof row.source === 'string') this.sources.add(row.source);
    const answer = row.answer;
    if (typeof answer !== 'string') return;
    const trimmed = answer.trim();
    const length = codePointLength(trimmed);
    if (length === 0) rest.empty_answers++;
    else if (length < SHORT_ANSWER_CHARS) rest.short_answers++;
    if (typeof row.question === 'string' && equalNormalized(row.question, answer)) rest.answer_equals_question++;
    if (options.language === null) return;
    const sampled = facts !== null ? facts.languageSampled : languageSampled(trimmed);
    if (rest.records > LANGUAGE_CHECK_ALL && !sampled) {
      this.language.not_sampled++;
      return;
    }
    if (length < LANGUAGE_MIN_CHARS) {
      this.language.skipped_short++;
      return;
    }
    const detected = (facts?.language ?? options.detect!(trimmed.slice(0, LANGUAGE_SAMPLE_CHARS))) || 'und';
    this.language.checked++;
    if (detected !== options.language) this.language.mismatched++;
    this.detected.set(detected, (this.detected.get(detected) ?? 0) + 1);
  }
}

/** A share, 0 when there is nothing to share out. */
function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

function numberAt(value: unknown, ...path: string[]): number | undefined {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'number' ? at : undefined;
}

/**
 * The threshold metrics of a run (lib/thresholds.ts names them):
 * pass_rate = passed / (passed + rejected), passed counting the pairs --target-samples
 * left out of the sample (they passed); errors = bad lines / non-blank lines;
 * language_mismatch = mismatched / checked answers of the passed pairs;
 * pii = records with any match (`pii.records`); pii_written = records written with a
 * match still in them (`pii.records_written`); duplicates, near_duplicates =
 * `duplicates.exact.records`, `duplicates.near.records` / (pairs + rejected).
 * A metric whose section is absent is absent (a rule on it is refused up front).
 */
export function computeMetrics(report: ReportAccumulator, counts: Counts, sections: QualitySections): MetricValues {
  const records = counts.pairs + counts.notSampled + counts.rejected;
  const language = report.languageTotals();
  const metrics: MetricValues = {
    pass_rate: share(counts.pairs + counts.notSampled, records),
    errors: share(counts.errors, counts.lines - counts.blank),
  };
  if (report.language !== null) metrics.language_mismatch = share(language.mismatched, language.checked);
  const pii = numberAt(sections.pii, 'records');
  if (pii !== undefined) metrics.pii = pii;
  const written = numberAt(sections.pii, 'records_written');
  if (written !== undefined) metrics.pii_written = written;
  const exact = numberAt(sections.duplicates, 'exact', 'records');
  if (exact !== undefined) metrics.duplicates = share(exact, records);
  const near = numberAt(sections.duplicates, 'near', 'records');
  if (near !== undefined) metrics.near_duplicates = share(near, records);
  return metrics;
}

/** What buildReport needs besides the accumulator. */
export interface ReportInputs {
  counts: Counts;
  metrics: MetricValues;
  thresholds: readonly ThresholdResult[];
  sections: QualitySections;
  /** The tokenizer file's name as given (--tokenizer), or null. */
  tokenizer: string | null;
}

/** The report.json object: snake_case keys, floats rounded like stats.json (roundFloats). */
export function buildReport(report: ReportAccumulator, inputs: ReportInputs): Record<string, unknown> {
  const { counts } = inputs;
  const groups = report.sortedStates().map((state) => {
    const group = new Group(state);
    return {
      split: state.split,
      channel: state.channel,
      records: state.records,
      columns: Object.fromEntries(
        state.columns.map(([name, column]) => [
          name,
          {
            chars: summarizeLengths(column.chars),
            words: summarizeLengths(column.words),
            ...(column.tokens ? { tokens: summarizeLengths(column.tokens) } : {}),
          },
        ]),
      ),
      validation_score_histogram: state.score_histogram.map((count, i) => ({
        range: `${(i / SCORE_BINS).toFixed(1)}-${((i + 1) / SCORE_BINS).toFixed(1)}`,
        count,
      })),
      personas: group.topPersonas(),
      source_documents: group.topSources(),
      answers: {
        empty: state.empty_answers,
        very_short: state.short_answers,
        equal_to_question: state.answer_equals_question,
      },
      language: {
        expected: report.language,
        checked: state.language.checked,
        mismatched: state.language.mismatched,
        mismatch_share: share(state.language.mismatched, state.language.checked),
        skipped_short: state.language.skipped_short,
        not_sampled: state.language.not_sampled,
        detected: Object.fromEntries(state.language.detected),
      },
    };
  });
  const { pii, duplicates, tiers } = inputs.sections;
  return roundFloats({
    report_version: REPORT_VERSION,
    settings: {
      language: report.language,
      language_min_chars: LANGUAGE_MIN_CHARS,
      language_check_all: LANGUAGE_CHECK_ALL,
      language_stride: LANGUAGE_STRIDE,
      short_answer_chars: SHORT_ANSWER_CHARS,
      tokenizer: inputs.tokenizer,
    },
    counts: {
      lines: counts.lines,
      pairs: counts.pairs,
      rejected: counts.rejected,
      errors: counts.errors,
      blank: counts.blank,
      ...(counts.notSampled > 0 ? { not_sampled: counts.notSampled } : {}),
    },
    metrics: inputs.metrics,
    thresholds: inputs.thresholds.map((result) => ({ rule: result.rule, value: result.value, passed: result.passed })),
    groups,
    ...(pii ? { pii } : {}),
    ...(duplicates ? { duplicates } : {}),
    ...(tiers ? { tiers } : {}),
  });
}

function fieldText(section: Record<string, unknown>, key: string): string | null {
  const value = section[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
}

/** The placeholders of --pii redact, as the card names them. */
const PLACEHOLDER_LIST = '`[PERSONNUMMER]`, `[EMAIL]`, `[PHONE]`, `[IBAN]`, `[CARD]`, `[IP]`';

/** The card's note on personal data: what was found, and what was done to every file of the folder. */
function piiNote(pii: Record<string, unknown>): string {
  const mode = fieldText(pii, 'mode');
  const found = `${fieldText(pii, 'records') ?? '?'} records with a personnummer, e-mail, phone, IBAN, card or IP match in what was read`;
  const written = fieldText(pii, 'records_written') ?? '?';
  const everywhere = `every match was replaced by its placeholder (${PLACEHOLDER_LIST}) in every file of this folder: the rows of every config, split and format, the bad lines' text and messages in \`qa_errors.jsonl\`, and the report's examples (masked) and duplicate questions`;
  if (mode === 'redact') return `Personal data (\`--pii redact\`): ${found}; ${everywhere}. Records written with a match: ${written}.`;
  if (mode === 'reject') return `Personal data (\`--pii reject\`): ${found}; pairs with one were moved to the rejected config (\`failure_reason\` \`pii\`), and ${everywhere}. Records written with a match: ${written}.`;
  return `Personal data (\`--pii ${mode ?? 'report'}\`): ${found}, counted and left as they were: ${written} records written to this folder (pairs, rejected rows, bad lines in \`qa_errors.jsonl\`) hold personal data; export with \`--pii redact\` before publishing.`;
}

/**
 * The dataset card's "Data quality" section from report.json (lib/card-configs.ts
 * CardQuality): the language check, PII handling, duplicates, tiers, thresholds.
 */
export function cardQuality(report: Record<string, unknown>): { notes: string[]; thresholds: { rule: string; value: number; passed: boolean }[] } {
  const notes: string[] = [];
  const metrics = (report.metrics ?? {}) as Record<string, number>;
  const settings = (report.settings ?? {}) as Record<string, unknown>;
  if (typeof metrics.pass_rate === 'number') notes.push(`Pass rate (validated pairs among all records): ${(metrics.pass_rate * 100).toFixed(2)} %.`);
  if (typeof metrics.language_mismatch === 'number') {
    notes.push(`Language: ${(metrics.language_mismatch * 100).toFixed(2)} % of the checked answers (${LANGUAGE_MIN_CHARS} characters or more) are not detected as \`${String(settings.language)}\` (tinyld).`);
  }
  const pii = report.pii as Record<string, unknown> | undefined;
  if (pii) notes.push(piiNote(pii));
  const duplicates = report.duplicates as Record<string, unknown> | undefined;
  if (duplicates) {
    const exact = numberAt(duplicates, 'exact', 'records');
    const near = numberAt(duplicates, 'near', 'records');
    const mode = fieldText(duplicates, 'mode');
    // Near duplicates are looked for only with dedup near: without it their 0 is no finding.
    const nearChecked = !Array.isArray(duplicates.checked) || duplicates.checked.includes('near');
    const found = nearChecked ? `${exact ?? '?'} exact and ${near ?? '?'} near duplicates` : `${exact ?? '?'} exact duplicates`;
    const how = mode === 'off' ? 'dedup: `off`, counted and left in the data' : mode ? `dedup: \`${mode}\`` : '';
    const parts = [how, nearChecked ? '' : 'near duplicates not looked for'].filter((part) => part !== '');
    notes.push(`Duplicates: ${found} beyond the first of their group${parts.length ? ` (${parts.join('; ')})` : ''}.`);
  }
  const tiers = report.tiers as Record<string, unknown> | undefined;
  if (tiers) {
    const counts = Object.entries(tiers)
      .filter(([, value]) => typeof value === 'number')
      .map(([name, value]) => `${name} ${String(value)}`);
    notes.push(`Tiers: ${counts.length ? counts.join(', ') : 'see report.json'}.`);
  }
  const thresholds = ((report.thresholds ?? []) as { rule: string; value: number; passed: boolean }[]).map(({ rule, value, passed }) => ({ rule, value, passed }));
  return { notes, thresholds };
}
