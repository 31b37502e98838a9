/**
 * report — the quality report of a run, accumulated row by row in a state that is
 * plain JSON, so a checkpoint carries it and a resumed run ends with the same bytes.
 * report.json is built from it by lib/quality/report-json.ts (report.html from that, by
 * lib/quality/report-html.ts).
 *
 *   const report = new ReportAccumulator({ language: 'sv', splitNames: ['train'] });  // or (options, checkpoint.report)
 *   report.add(batch);                       // after the batch is written, routed (channel, split)
 *   buildReport(report, { counts, thresholds, sections })  // the report.json object (lib/quality/report-json.ts)
 *
 * Per split and channel (pairs, rejected): records; the length of every string
 * column in characters (code points), words (runs of non-space, lib/quality/words.ts) and,
 * with a token counter (--tokenizer), tokens — min/p50/p90/p99/max, mean and a
 * power-of-two histogram from a bounded sketch (lib/quality/sketch.ts); the
 * validation_score histogram; the most frequent personas and source documents
 * (top REPORT_TOP_NAMES + other, bounded by TopCounter); empty and very short
 * answers, answers equal to their question; the language check (lib/quality/language.ts).
 *
 * Memory: per (split, channel) and string column three or four sketches of at most
 * ~1,200 buckets each, two TopCounters of at most 2,000 names; nothing grows per
 * record.
 */
import type { Batch, EntryFacts, Row } from '../batch';
import { codePointLength, SCORE_BINS } from './stats';
import { type LengthSketch, type TopCounterState, TopCounter, addLength, emptyLengthSketch, emptyTopCounterState } from './sketch';
import { LANGUAGE_MIN_CHARS, LANGUAGE_SAMPLE_CHARS, LANGUAGE_CHECK_ALL, languageSampled } from './language';
import { wordCount, equalNormalized } from './words';
import type { RoutedMetric } from './thresholds';
import { type ChatTokenCounter, TOKEN_THRESHOLDS } from './chat-tokens';
import { QaHfError } from '../errors';

/** Format of report.json and of the state; a change here is a new version. */
export const REPORT_VERSION = 1;

/** An answer shorter than this (code points, trimmed; empty excluded) counts as very short. */
export const SHORT_ANSWER_CHARS = 20;
/** Personas and source documents listed by name in the report; the rest are summed as `other`. */
export const REPORT_TOP_NAMES = 20;

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
  /** With a model folder: the rendered conversations' tokens, and how many are over each TOKEN_THRESHOLDS count. */
  chat_tokens?: { lengths: LengthSketch; over: number[] };
}

export interface ReportState {
  version: typeof REPORT_VERSION;
  groups: GroupState[];
  /** Rows a routing rule moved to rejected, by the failure_reason it gave ([reason, count], sorted); absent in older checkpoints. */
  routed?: [string, number][];
  /**
   * Every rejected row written (the input's own and those routing moved, segments' rows too), by
   * its failure_reason ('' when it has none) ([reason, count], sorted); absent when there is none,
   * and in older checkpoints (their rejected rows then count under UNCOUNTED_REASON).
   */
  rejected_reasons?: [string, number][];
}

/**
 * The reason under which a state of an older version (no rejected_reasons) counts the rejected
 * rows it measured: they were written before a resume and their reasons were not kept.
 */
export const UNCOUNTED_REASON = '(before resume, not counted by reason)';

export function emptyReportState(): ReportState {
  return { version: REPORT_VERSION, groups: [] };
}

export interface ReportOptions {
  /** ISO 639-1 code the answers should be in (--language); null: no language check (`--language off`). */
  language: string | null;
  /** Split names by index (the plan's; pipe mode: one). */
  splitNames: readonly string[];
  /** The routing filters this run applies (--min-chars: too_short, …): their counts are metrics (report-json computeMetrics). */
  filters?: readonly RoutedMetric[];
  /** A model folder's chat token counter (lib/quality/chat-tokens.ts): each row's rendered conversation is measured. */
  chat?: ChatTokenCounter;
  /** Tokens of a text (--tokenizer); absent: no token lengths. */
  countTokens?: (text: string) => number;
  /**
   * The detector, tinyld's `detect` (given, not imported: loading it takes ~0.5 s, which
   * a run without a report never pays); needed when `language` is set.
   */
  detect?: (text: string) => string;
  /**
   * The detector's answer later (lib/io/language-thread.ts: on a thread of its own): the
   * ticket it returns gives what `detect` would, when the state is read. Used instead of
   * `detect` when given.
   */
  detectLater?: (text: string) => () => string;
}

export class ReportAccumulator {
  private readonly groups = new Map<string, Group>();
  private readonly order: Group[] = [];
  private readonly routed: Map<string, number>;
  private readonly reasons: Map<string, number>;

  constructor(
    private readonly options: ReportOptions,
    state: ReportState = emptyReportState(),
  ) {
    if (state.version !== REPORT_VERSION) throw new Error(`internal: report state version ${String(state.version)}`);
    if (options.language !== null && !options.detect && !options.detectLater) throw new Error('internal: a language check needs a detector');
    for (const group of state.groups) this.track(new Group(group));
    this.routed = new Map(state.routed ?? []);
    this.reasons = new Map(state.rejected_reasons ?? []);
    if (state.rejected_reasons === undefined) {
      // A state without the field: an older version's, whose rejected rows (every group's; segments' were not measured) lost their reasons.
      const earlier = state.groups.reduce((sum, group) => sum + (group.channel === 'rejected' ? group.records : 0), 0);
      if (earlier > 0) this.reasons.set(UNCOUNTED_REASON, earlier);
    }
  }

  /** The routing filters whose counts are metrics. */
  get filters(): readonly RoutedMetric[] {
    return this.options.filters ?? [];
  }

  /** Rows a routing rule moved to rejected with this failure_reason (Entry.reason, SegmentRow.reason). */
  routedCount(reason: string): number {
    return this.routed.get(reason) ?? 0;
  }

  get language(): string | null {
    return this.options.language;
  }

  get tokens(): boolean {
    return this.options.countTokens !== undefined;
  }

  /** The chat token counter this report measures with, if any (the export's router shares it). */
  get chat(): ChatTokenCounter | undefined {
    return this.options.chat;
  }

  /** Every rejected row by its failure_reason ('' when it has none), most frequent first, then by reason. */
  rejectedReasons(): { reason: string; count: number }[] {
    return [...this.reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
  }

  /** The state as plain JSON (a fresh copy). */
  get state(): ReportState {
    const routed = [...this.routed].sort(byKey);
    const reasons = [...this.reasons].sort(byKey);
    return { version: REPORT_VERSION, groups: this.order.map((group) => group.state), ...(routed.length > 0 ? { routed } : {}), ...(reasons.length > 0 ? { rejected_reasons: reasons } : {}) };
  }

  /** One rejected row: by the rule that moved it (`moved`, null when none did) and by the failure_reason it is written with. */
  private countRejected(moved: string | null | undefined, row: Row | null): void {
    if (moved) this.routed.set(moved, (this.routed.get(moved) ?? 0) + 1);
    const written = row !== null && typeof row.failure_reason === 'string' ? row.failure_reason : (moved ?? '');
    this.reasons.set(written, (this.reasons.get(written) ?? 0) + 1);
  }

  /** Adds the rows of a routed batch: pairs and rejected, by split. */
  add(batch: Batch): void {
    for (const entry of batch.entries) {
      const channel = entry.channel;
      if (channel === 'rejected') this.countRejected(entry.reason, entry.row);
      else if (channel === 'segmented') for (const segment of entry.segments!) if (segment.channel === 'rejected') this.countRejected(segment.reason, segment.row);
      if ((channel !== 'pairs' && channel !== 'rejected') || entry.row === null) continue;
      const split = this.options.splitNames[entry.split] ?? String(entry.split);
      const group = this.group(split, channel);
      group.add(entry.row, this.options, entry.facts);
      if (this.options.chat) group.addChatTokens(this.chatTokens(entry, batch.file));
    }
  }

  /** The entry's rendered conversation's tokens: the processor's fact, else counted here; null without a conversation. */
  private chatTokens(entry: Batch['entries'][number], file: string): number | null {
    const facts = entry.facts;
    const counted = facts !== null && (facts.tokens >= 0 || facts.tokenError !== null) ? (facts.tokenError !== null ? { error: facts.tokenError } : { tokens: facts.tokens }) : this.options.chat!.count(entry.row!);
    if (counted === null) return null;
    if ('error' in counted) throw new QaHfError('ERR_CHAT_TEMPLATE', `the chat template refused this row: ${counted.error}`, { file, line: entry.line });
    return counted.tokens;
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
      const checks = group.languageChecks;
      checked += checks.checked;
      mismatched += checks.mismatched;
    }
    return { checked, mismatched };
  }
}

function byKey(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
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
export class Group {
  readonly split: string;
  readonly channel: RowChannel;
  private readonly rest: Omit<GroupState, 'split' | 'channel' | 'columns' | 'personas' | 'source_documents' | 'language'>;
  private readonly columns: Map<string, ColumnState>;
  private readonly personas: TopCounter;
  private readonly sources: TopCounter;
  private readonly checks: { checked: number; mismatched: number; skipped_short: number; not_sampled: number };
  private readonly detected: Map<string, number>;
  private chat: { lengths: LengthSketch; over: number[] } | null;
  /** Answers checked whose language a thread is still detecting (ReportOptions.detectLater): counted in `checked`, the rest when redeemed. */
  private pending: (() => void)[] = [];

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
    this.checks = {
      checked: copy.language.checked,
      mismatched: copy.language.mismatched,
      skipped_short: copy.language.skipped_short,
      not_sampled: copy.language.not_sampled,
    };
    this.detected = new Map(copy.language.detected);
    this.chat = copy.chat_tokens ?? null;
  }

  /** One row's rendered conversation (null: none; the group then has no chat_tokens until a row has one). */
  addChatTokens(tokens: number | null): void {
    if (tokens === null) return;
    const chat = (this.chat ??= { lengths: emptyLengthSketch(), over: TOKEN_THRESHOLDS.map(() => 0) });
    addLength(chat.lengths, tokens);
    TOKEN_THRESHOLDS.forEach((threshold, i) => {
      if (tokens > threshold) chat.over[i]++;
    });
  }

  /** The rendered conversations' lengths and counts over each threshold, or null. */
  get chatTokens(): { lengths: LengthSketch; over: number[] } | null {
    return this.chat;
  }

  /** The language check's counts, every pending detection redeemed. */
  get languageChecks(): { checked: number; mismatched: number; skipped_short: number; not_sampled: number } {
    for (const redeem of this.pending) redeem();
    this.pending = [];
    return this.checks;
  }

  get state(): GroupState {
    const checks = this.languageChecks;
    return {
      split: this.split,
      channel: this.channel,
      ...structuredClone(this.rest),
      columns: structuredClone([...this.columns]),
      personas: this.personas.state,
      source_documents: this.sources.state,
      language: { ...checks, detected: [...this.detected].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) },
      ...(this.chat ? { chat_tokens: structuredClone(this.chat) } : {}),
    };
  }

  topPersonas() {
    return this.personas.top(REPORT_TOP_NAMES);
  }

  topSources() {
    return this.sources.top(REPORT_TOP_NAMES);
  }

  /** `facts`: the entry's, when they are of this row's answer (lib/quality/facts.ts). */
  add(row: Row, options: ReportOptions, facts: EntryFacts | null = null): void {
    const rest = this.rest;
    rest.records++;
    // The facts' lengths are by key position (routing keeps the order and changes failure_reason alone).
    const lengths = facts !== null ? facts.lengths : null;
    let position = -1;
    /** The answer's code points from the facts (-1: none). */
    let answerChars = -1;
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
        if (name === 'answer') answerChars = lengths[2 * position];
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
    // Trimming takes white space alone (no surrogate), so it takes as many code points as units.
    const length = answerChars >= 0 ? answerChars - (answer.length - trimmed.length) : codePointLength(trimmed);
    if (length === 0) rest.empty_answers++;
    else if (length < SHORT_ANSWER_CHARS) rest.short_answers++;
    if (typeof row.question === 'string' && equalNormalized(row.question, answer)) rest.answer_equals_question++;
    if (options.language === null) return;
    const sampled = facts !== null ? facts.languageSampled : languageSampled(trimmed);
    if (rest.records > LANGUAGE_CHECK_ALL && !sampled) {
      this.checks.not_sampled++;
      return;
    }
    if (length < LANGUAGE_MIN_CHARS) {
      this.checks.skipped_short++;
      return;
    }
    this.checks.checked++;
    const language = options.language;
    if (facts?.language == null && options.detectLater) {
      const ticket = options.detectLater(trimmed.slice(0, LANGUAGE_SAMPLE_CHARS));
      this.pending.push(() => this.count(ticket(), language));
    } else this.count(facts?.language ?? options.detect!(trimmed.slice(0, LANGUAGE_SAMPLE_CHARS)), language);
  }

  /** Counts one checked answer's detected language ('' when the detector has no candidate). */
  private count(answer: string, language: string): void {
    const detected = answer || 'und';
    if (detected !== language) this.checks.mismatched++;
    this.detected.set(detected, (this.detected.get(detected) ?? 0) + 1);
  }
}
