/**
 * stats — what an export found, accumulated batch by batch in a state that is
 * plain JSON, so a checkpoint can carry it and a resumed run ends with the same
 * stats.json as an uninterrupted one.
 *
 *   const stats = new StatsAccumulator();       // or new StatsAccumulator(checkpoint.stats)
 *   stats.add(batch);                           // after the batch is written
 *   stats.render(tally, inputs, run)            // the stats.json object
 *
 * stats.json is rendered here, with two rules for every key and number in it:
 * keys are snake_case (`z_score`, `max_deviation`), and floats carry at most
 * STATS_SIGNIFICANT_DIGITS significant digits (roundFloats), so the file reads
 * `0.0123457`, not `0.012345678901234567`. Integers (counts) are never touched.
 */
import type { Batch, Row } from '../batch';
import type { RatioReport, SplitTrackerReport } from '../dataset/split';
import type { Counts } from '../tally';

/** validation_score histogram: ten bins of 0.1; 1.0 falls in the last. */
export const SCORE_BINS = 10;

export interface LengthStats {
  count: number;
  total: number;
  min: number | null;
  max: number | null;
}

export interface ChannelCounts {
  pairs: number;
  rejected: number;
}

export interface StatsState {
  per_source_document: Record<string, ChannelCounts>;
  per_persona: Record<string, ChannelCounts>;
  /** Records whose source / persona came after MAX_NAMED_VALUES others (absent in older checkpoints: none). */
  other_source_documents?: ChannelCounts;
  other_personas?: ChannelCounts;
  score_histogram: ChannelCounts[];
  question_chars: LengthStats;
  answer_chars: LengthStats;
}

export function emptyStatsState(): StatsState {
  const length = (): LengthStats => ({ count: 0, total: 0, min: null, max: null });
  return {
    per_source_document: {},
    per_persona: {},
    score_histogram: Array.from({ length: SCORE_BINS }, () => ({ pairs: 0, rejected: 0 })),
    question_chars: length(),
    answer_chars: length(),
  };
}

/**
 * Distinct sources and personas counted by name; the records of any later new
 * value are summed apart (stats.json `records_other_source_documents`), so the
 * state — saved in every checkpoint — stays bounded when a mapping makes the
 * source unique per record (`"{title}#{id}"`). First come, first named: the same
 * names in every run of the same input.
 */
export const MAX_NAMED_VALUES = 10_000;

const SURROGATE = /[\ud800-\udbff]/;

/** Characters as Python's len() counts them: code points, not UTF-16 units. */
export function codePointLength(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) length++;
  }
  return length;
}

export class StatsAccumulator {
  // Maps while counting (hot path); plain objects only in `state` (checkpoints, render).
  private readonly perSource: Map<string, ChannelCounts>;
  private readonly perPersona: Map<string, ChannelCounts>;
  private readonly otherSource: ChannelCounts;
  private readonly otherPersona: ChannelCounts;
  private readonly rest: Omit<StatsState, 'per_source_document' | 'per_persona' | 'other_source_documents' | 'other_personas'>;

  constructor(state: StatsState = emptyStatsState()) {
    this.perSource = new Map(Object.entries(state.per_source_document));
    this.perPersona = new Map(Object.entries(state.per_persona));
    this.otherSource = { ...(state.other_source_documents ?? { pairs: 0, rejected: 0 }) };
    this.otherPersona = { ...(state.other_personas ?? { pairs: 0, rejected: 0 }) };
    this.rest = {
      score_histogram: state.score_histogram,
      question_chars: state.question_chars,
      answer_chars: state.answer_chars,
    };
  }

  /** The state as plain JSON (a fresh object each call). */
  get state(): StatsState {
    return {
      per_source_document: toRecord(this.perSource),
      per_persona: toRecord(this.perPersona),
      ...(isZero(this.otherSource) ? {} : { other_source_documents: { ...this.otherSource } }),
      ...(isZero(this.otherPersona) ? {} : { other_personas: { ...this.otherPersona } }),
      ...structuredClone(this.rest),
    };
  }

  add(batch: Batch): void {
    for (const entry of batch.entries) {
      const channel = entry.channel;
      if (channel === 'pairs' || channel === 'rejected') this.addRow(entry.row!, channel, entry.facts?.lengths ?? null);
      else if (channel === 'segmented') for (const segment of entry.segments!) this.addRow(segment.row, segment.channel, null);
    }
  }

  /** `lengths`: the entry's facts' (lib/quality/facts.ts), by key position, or null: measured here. */
  private addRow(row: Row, channel: 'pairs' | 'rejected', lengths: Int32Array | null): void {
    const state = this.rest;
    if (typeof row.source === 'string') bump(this.perSource, row.source, channel, this.otherSource);
    if (typeof row.persona === 'string') bump(this.perPersona, row.persona, channel, this.otherPersona);
    if (typeof row.validation_score === 'number') {
      const bin = Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(row.validation_score * SCORE_BINS)));
      state.score_histogram[bin][channel]++;
    }
    let questionChars = -1;
    let answerChars = -1;
    if (lengths !== null) {
      // The facts' lengths are by key position (routing keeps the order and changes failure_reason alone), as the report reads them.
      let position = 0;
      for (const name in row) {
        if (2 * position >= lengths.length) break;
        if (name === 'question') questionChars = lengths[2 * position];
        else if (name === 'answer') answerChars = lengths[2 * position];
        position++;
      }
    }
    if (typeof row.question === 'string') addLength(state.question_chars, questionChars >= 0 ? questionChars : codePointLength(row.question));
    if (typeof row.answer === 'string') addLength(state.answer_chars, answerChars >= 0 ? answerChars : codePointLength(row.answer));
  }

  /** The stats.json object: keys sorted where they come from data, so bytes are stable. */
  render(total: Counts, files: ReadonlyArray<{ path: string; counts: Counts }>, run: Record<string, unknown>): Record<string, unknown> {
    const state = this.state;
    return roundFloats({
      counts: renderCounts(total),
      inputs: files.map(({ path, counts }) => ({ path, ...renderCounts(counts) })),
      records_per_source_document: sortKeys(state.per_source_document),
      ...(state.other_source_documents ? { records_other_source_documents: state.other_source_documents } : {}),
      records_per_persona: sortKeys(state.per_persona),
      ...(state.other_personas ? { records_other_personas: state.other_personas } : {}),
      validation_score_histogram: state.score_histogram.map((bin, i) => ({
        range: `${(i / SCORE_BINS).toFixed(1)}-${((i + 1) / SCORE_BINS).toFixed(1)}`,
        ...bin,
      })),
      question_length_chars: renderLength(state.question_chars),
      answer_length_chars: renderLength(state.answer_chars),
      run,
    });
  }
}

function bump(map: Map<string, ChannelCounts>, key: string, channel: 'pairs' | 'rejected', other: ChannelCounts): void {
  let counts = map.get(key);
  if (!counts) {
    if (map.size >= MAX_NAMED_VALUES) {
      other[channel]++;
      return;
    }
    counts = { pairs: 0, rejected: 0 };
    map.set(key, counts);
  }
  counts[channel]++;
}

function isZero(counts: ChannelCounts): boolean {
  return counts.pairs === 0 && counts.rejected === 0;
}

/**
 * A plain-JSON copy of `map`. Without a prototype a key "__proto__" is an ordinary
 * key, so plain assignment is safe, and ~10× faster than define: every checkpoint
 * copies the per-source-document counts (thousands of keys).
 */
function toRecord(map: Map<string, ChannelCounts>): Record<string, ChannelCounts> {
  const record: Record<string, ChannelCounts> = Object.create(null);
  for (const [key, counts] of map) record[key] = { pairs: counts.pairs, rejected: counts.rejected };
  return record;
}

function addLength(stats: LengthStats, length: number): void {
  stats.count++;
  stats.total += length;
  if (stats.min === null || length < stats.min) stats.min = length;
  if (stats.max === null || length > stats.max) stats.max = length;
}

function renderLength(stats: LengthStats): Record<string, number | null> {
  return { count: stats.count, min: stats.min, max: stats.max, mean: stats.count ? stats.total / stats.count : null };
}

/**
 * The counts as stats.json shows them. Segmentation's counts (`segmented` lines,
 * `no_segments` among them, the rows they gave: `segment_pairs`, `segment_rejected`)
 * appear when a line was segmented, so other exports keep their stats.json as it was.
 */
export function renderCounts(counts: Counts): Record<string, unknown> {
  const segmented =
    counts.segmented > 0
      ? { segmented: counts.segmented, no_segments: counts.noSegments, segment_pairs: counts.segmentPairs, segment_rejected: counts.segmentRejected }
      : {};
  return {
    lines: counts.lines,
    pairs: counts.pairs,
    rejected: counts.rejected,
    errors: counts.errors,
    blank: counts.blank,
    ...segmented,
    // --target-samples: passed pairs left out of the sample, only when there are some (other exports keep their stats.json).
    ...(counts.notSampled > 0 ? { not_sampled: counts.notSampled } : {}),
    errors_by_code: sortKeys(counts.errorsByCode as Record<string, number>),
  };
}

function sortKeys<T>(map: Record<string, T>): Record<string, T> {
  const sorted: Record<string, T> = {};
  for (const key of Object.keys(map).sort()) define(sorted, key, map[key]);
  return sorted;
}

/** Plain assignment would treat a key "__proto__" as the prototype. */
function define<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Significant digits of a float in stats.json: plenty for ratios and rates, short enough to read. */
export const STATS_SIGNIFICANT_DIGITS = 6;

/** A float to STATS_SIGNIFICANT_DIGITS significant digits; integers and non-finite values as they are. */
export function roundFloat(value: number): number {
  if (Number.isInteger(value) || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(STATS_SIGNIFICANT_DIGITS));
}

/** A copy of a JSON value with every float rounded by roundFloat (key order kept). */
export function roundFloats<T>(value: T): T {
  if (typeof value === 'number') return roundFloat(value) as T;
  if (Array.isArray(value)) return value.map((item) => roundFloats(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) define(copy, key, roundFloats(item));
  return copy as T;
}

function renderRatios(report: RatioReport): Record<string, unknown> {
  return {
    total: report.total,
    splits: report.splits.map((split) => ({
      split: split.split,
      target: split.target,
      count: split.count,
      achieved: split.achieved,
      deviation: split.deviation,
      z_score: split.zScore,
    })),
    max_deviation: report.maxDeviation,
    max_abs_z_score: report.maxAbsZScore,
  };
}

/** The split tracker's report as stats.json holds it (`split` minus the rule): snake_case, rounded. */
export function renderSplitReport(report: SplitTrackerReport): Record<string, unknown> {
  return roundFloats({
    ...renderRatios(report),
    strata: report.strata.map((stratum) => ({ stratum: stratum.stratum, ...renderRatios(stratum) })),
    overflow_records: report.overflowRecords,
    overflow_strata: report.overflowStrata,
  });
}
