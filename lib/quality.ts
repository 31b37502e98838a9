/**
 * quality — issue 9's routing rules (personal data, duplicates, tiers), their
 * options and their counts (pure: no stream, no file).
 *
 * QualityRouter runs in routing (lib/route.ts), on the main thread, in input order:
 *   - every string column (and list of strings) of a pair or rejected row is scanned
 *     for PII (lib/pii.ts); `redact` replaces each match in the row before any writer
 *     sees it, so every format is redacted; `reject` does the same and moves a pair
 *     with a match to rejected ("pii"), so the rejected files hold none either;
 *     `report` only counts. (The dead letter's text is redacted where it is made:
 *     lib/worker-task.ts processBatch, `redactErrors`.);
 *   - a pair still passing is checked for duplicates (lib/dedup.ts): `exact` moves
 *     exact duplicates ("duplicate"), `near` also near ones ("near_duplicate"); `off`
 *     counts exact duplicates and moves nothing;
 *   - a pair still passing gets its tier (`--tiers high=0.85,medium=0.7`, highest minimum
 *     first: the first whose minimum validation_score it reaches, else `low`).
 * What it found rides on `entry.quality` to the session, which adds each committed
 * entry to a QualityAccumulator (plain JSON state, carried by the checkpoint) and
 * appends the entry's dedup log bytes to the resume log (see lib/dedup.ts).
 *
 * piiReport / duplicatesReport / tiersReport / thresholdCounts turn the state into
 * the report's sections.
 *
 *   const router = new QualityRouter(plan.quality, ['a.jsonl']);
 *   const { row, reason } = router.apply(entry, 'a.jsonl', 0);
 */
import type { Entry, EntryQuality, PiiHit, Row } from './batch';
import { QaHfError, got } from './errors';
import { DEFAULT_NEAR_THRESHOLD, DedupIndex } from './dedup';
import { PII_KINDS, type PiiKind, type PiiMatch, findPii, maskPii, redactPii, redactText, textHasPii } from './pii';

/** Who names the options (lib/options.ts OptionStyle; not imported: options imports this module through hub). */
type OptionStyle = 'cli' | 'library';

export const PII_MODES = ['report', 'redact', 'reject'] as const;
export type PiiMode = (typeof PII_MODES)[number];
export const DEDUP_MODES = ['off', 'exact', 'near'] as const;
export type DedupMode = (typeof DEDUP_MODES)[number];

/** failure_reason of pairs moved by the quality rules. */
export const PII_REASON = 'pii';
export const DUPLICATE_REASON = 'duplicate';
export const NEAR_DUPLICATE_REASON = 'near_duplicate';
/** The tier of passed pairs below every --tiers minimum. */
export const LOW_TIER = 'low';
/** Examples kept in the state (and the report): masked PII, duplicate pairs. */
export const MAX_EXAMPLES = 20;
/** Characters of a duplicate's question shown in its example. */
const EXAMPLE_CHARS = 200;
const SCORE_COLUMN = 'validation_score';
const NO_MATCHES: readonly PiiMatch[] = [];

export interface Tier {
  name: string;
  min: number;
}

export interface QualityPlan {
  pii: PiiMode;
  dedup: DedupMode;
  nearThreshold: number;
  /** Highest minimum first; null without --tiers. */
  tiers: Tier[] | null;
}

export const DEFAULT_QUALITY_PLAN: QualityPlan = { pii: 'report', dedup: 'off', nearThreshold: DEFAULT_NEAR_THRESHOLD, tiers: null };

function name(key: string, style: OptionStyle): string {
  return style === 'cli' ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : `option ${key}`;
}

/**
 * --tiers `NAME=MIN,…`: names of letters, digits and `_`, distinct, not `low`; minimums in [0, 1],
 * given from the highest down, each strictly below the one before. The order is checked, never
 * repaired: `high=0.85,medium=0.9` sorted would make `medium` the best tier (and the default
 * config) without a word, so it is refused, naming the sorted form. Two equal minimums are
 * refused too: the later tier could never get a pair.
 */
export function parseTiers(value: unknown, style: OptionStyle = 'cli'): Tier[] {
  const option = name('tiers', style);
  const bad = (why: string) => new QaHfError('ERR_OPTION', `${option} must be NAME=MIN,… (${why}), ${got(value)}`);
  if (typeof value !== 'string' || value.trim() === '') throw bad('a name and a minimum validation_score from 0 to 1');
  const tiers: Array<Tier & { text: string }> = [];
  for (const part of value.split(',')) {
    const match = /^\s*([A-Za-z0-9_]+)\s*=\s*([0-9.]+)\s*$/.exec(part);
    const min = match ? Number(match[2]) : NaN;
    if (!match || !Number.isFinite(min) || min < 0 || min > 1) throw bad('a name and a minimum validation_score from 0 to 1');
    if (match[1] === LOW_TIER) throw bad(`${LOW_TIER} is the tier of the others`);
    if (tiers.some((tier) => tier.name === match[1])) throw bad(`${match[1]} twice`);
    tiers.push({ name: match[1], min, text: `${match[1]}=${match[2]}` });
  }
  for (let i = 1; i < tiers.length; i++) {
    const [before, tier] = [tiers[i - 1], tiers[i]];
    if (tier.min === before.min) {
      throw new QaHfError('ERR_OPTION', `${option} minimums must differ: ${tier.text} equals ${before.text}, so ${tier.name} would get no pair, ${got(value)}`);
    }
    if (tier.min > before.min) {
      const sorted = [...tiers].sort((a, b) => b.min - a.min).map((item) => item.text).join(',');
      throw new QaHfError('ERR_OPTION', `${option} must list the tiers from the highest minimum down (${tier.text} is above ${before.text}; sorted: ${sorted}), ${got(value)}`);
    }
  }
  return tiers.map((tier) => ({ name: tier.name, min: tier.min }));
}

function choice<T extends string>(key: string, value: unknown, choices: readonly T[], fallback: T, style: OptionStyle): T {
  if (value === undefined) return fallback;
  const text = typeof value === 'string' ? value.trim() : value;
  if (!choices.includes(text as T)) throw new QaHfError('ERR_OPTION', `${name(key, style)} must be one of ${choices.join(', ')}, ${got(value)}`);
  return text as T;
}

/** The quality options as typed (CLI strings or library values). */
export interface QualityArgs {
  pii?: unknown;
  dedup?: unknown;
  nearThreshold?: unknown;
  tiers?: unknown;
}

/** --pii, --dedup, --near-threshold, --tiers: checked, with defaults. */
export function normalizeQualityPlan(args: QualityArgs, style: OptionStyle = 'cli'): QualityPlan {
  const pii = choice('pii', args.pii, PII_MODES, 'report', style);
  const dedup = choice('dedup', args.dedup, DEDUP_MODES, 'off', style);
  let nearThreshold = DEFAULT_NEAR_THRESHOLD;
  if (args.nearThreshold !== undefined) {
    const raw = args.nearThreshold;
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
      throw new QaHfError('ERR_OPTION', `${name('nearThreshold', style)} must be a number above 0 and at most 1, ${got(raw)}`);
    }
    if (dedup !== 'near') throw new QaHfError('ERR_USAGE', `${name('nearThreshold', style)} needs ${name('dedup', style)} near, ${got(raw)}`);
    nearThreshold = value;
  }
  const tiers = args.tiers === undefined ? null : parseTiers(args.tiers, style);
  return { pii, dedup, nearThreshold, tiers };
}

/** What of the quality plan decides output bytes (the options hash, manifest.json). */
export function qualityOptionsRecord(plan: QualityPlan): Record<string, unknown> {
  return {
    pii: plan.pii,
    dedup: plan.dedup,
    near_threshold: plan.dedup === 'near' ? plan.nearThreshold : null,
    tiers: plan.tiers ? plan.tiers.map((tier) => `${tier.name}=${tier.min}`).join(',') : null,
  };
}

/** True when --pii writes no personal data (`redact`, `reject`): every row and bad line written is redacted. */
export function redactsPii(plan: QualityPlan): boolean {
  return plan.pii !== 'report';
}

/**
 * A string value as --pii redact|reject writes it: its matches (findPii's, given)
 * replaced by their placeholders, and where escapes in JSON text (a `json` column,
 * `"\n070-123 45 67"`) hide one, that one too (lib/pii.ts redactText). The same
 * string when there is nothing to redact. The one redaction of a row's value: the
 * processor's facts (lib/facts.ts) and routing use it alike.
 */
export function redactValue(value: string, matches: readonly PiiMatch[]): string {
  const out = matches.length > 0 ? redactPii(value, matches) : value;
  return out.includes('\\') ? redactText(out) : out;
}

/** True for --pii report --dedup off without --tiers: the rules only count. */
export function isDefaultQualityPlan(plan: QualityPlan): boolean {
  return plan.pii === 'report' && plan.dedup === 'off' && plan.tiers === null;
}

/** Tier names in config order: highest minimum first, then `low`. */
export function tierNames(plan: QualityPlan): string[] {
  return plan.tiers ? [...plan.tiers.map((tier) => tier.name), LOW_TIER] : [];
}

/** The tier of a passed pair's score: the highest whose minimum it reaches, else low. */
export function tierOf(tiers: readonly Tier[], score: unknown): string {
  if (typeof score === 'number') for (const tier of tiers) if (score >= tier.min) return tier.name;
  return LOW_TIER;
}

/** The rules' decision for one entry. */
export interface QualityDecision {
  /** The row to write (redacted, or the same object). */
  row: Row;
  /** failure_reason when a rule moves the pair to rejected. */
  reason: string | null;
}

/** The rules, with the dedup index of this run (see the header). */
export class QualityRouter {
  readonly dedup: DedupIndex;
  private readonly inputIndex: Map<string, number>;

  /** `inputs`: the run's input names as batches carry them (their order is the log's input numbers). */
  constructor(
    readonly plan: QualityPlan,
    private readonly inputs: string[] = [],
  ) {
    this.dedup = new DedupIndex({ near: plan.dedup === 'near', threshold: plan.nearThreshold });
    this.inputIndex = new Map(inputs.map((file, i) => [file, i]));
  }

  /** Rebuilds the dedup index from the committed records' log (a resume). */
  restore(log: Uint8Array): void {
    this.dedup.replay(log);
  }

  private inputOf(file: string): number {
    let index = this.inputIndex.get(file);
    if (index === undefined) {
      index = this.inputs.length;
      this.inputs.push(file);
      this.inputIndex.set(file, index);
    }
    return index;
  }

  /** scan, then judge: the rules for a caller whose split does not depend on the row. */
  apply(entry: Entry, row: Row, passing: boolean, file: string, split: number): QualityDecision {
    return this.judge(entry, this.scan(entry, row), passing, file, split);
  }

  /**
   * The PII rule, first, before the split is known (lib/route.ts): scans a pair or
   * rejected row, sets `entry.quality`, and returns the row as it is written —
   * redacted under --pii redact|reject, so the split key is hashed as written (the
   * same in a single run and a merge of ranks, and reproducible from the dataset).
   */
  scan(entry: Entry, row: Row): Row {
    const quality: EntryQuality = { pii: [], piiWritten: false, duplicate: null, duplicateOf: null, newGroup: false, acrossSplits: false, log: null, tier: null };
    entry.quality = quality;
    const redact = redactsPii(this.plan);
    // Redacted upstream (a rank's row, in a merge): its hits were found there, its values hold none.
    const out = entry.piiFound !== null ? row : scanRow(row, entry, quality, redact);
    if (entry.piiFound !== null) quality.pii.push(...entry.piiFound);
    // Under report the row goes out as it came: its matches are written.
    quality.piiWritten = !redact && quality.pii.length > 0;
    return out;
  }

  /** The other rules on the row `scan` returned (min-score may have added failure_reason), its split known. */
  judge(entry: Entry, out: Row, passing: boolean, file: string, split: number): QualityDecision {
    const quality = entry.quality!;
    if (!passing) return { row: out, reason: null };
    if (this.plan.pii === 'reject' && quality.pii.length > 0) return { row: out, reason: PII_REASON };
    const place = { split, input: this.inputOf(file), line: entry.line };
    // A fingerprint is of the text as judged here (routing adds only failure_reason, which dedupText never reads).
    let decision;
    const facts = entry.facts;
    if (facts !== null && facts.dedup !== null) decision = this.dedup.checkFingerprint(facts.dedup, place);
    else {
      const [question, answer] = dedupText(out);
      decision = this.dedup.check(question, answer, place);
    }
    quality.log = decision.log;
    if (decision.kind !== null) {
      quality.duplicate = decision.kind;
      quality.duplicateOf = { file: this.inputs[decision.of!.input] ?? '', line: decision.of!.line, split: decision.of!.split };
      quality.newGroup = decision.newGroup;
      quality.acrossSplits = decision.acrossSplits;
      if (decision.kind === 'exact' && this.plan.dedup !== 'off') return { row: out, reason: DUPLICATE_REASON };
      if (decision.kind === 'near' && this.plan.dedup === 'near') return { row: out, reason: NEAR_DUPLICATE_REASON };
    }
    if (this.plan.tiers) quality.tier = tierOf(this.plan.tiers, out[SCORE_COLUMN]);
    return { row: out, reason: null };
  }
}

/**
 * Scans every string column (and list of strings) of `row` for PII into `quality.pii`;
 * returns the row to write: redacted (a copy) when `redact`, else `row` itself. The
 * processor's facts (lib/facts.ts) are of entry.row: a value routing left as it was
 * is looked up, not scanned again.
 */
function scanRow(row: Row, entry: Entry, quality: EntryQuality, redact: boolean): Row {
  const facts = entry.facts;
  const made = entry.row;
  let out = row;
  for (const column in row) {
    const value = row[column];
    let redacted: unknown = value;
    if (typeof value === 'string') {
      const matches = facts !== null && made !== null && made[column] === value ? (facts.pii[column] ?? NO_MATCHES) : findPii(value);
      for (const match of matches) quality.pii.push({ kind: match.kind, column, masked: maskPii(match.kind, match.text) });
      // A value without a match is redacted only when escapes may hide one (redactValue).
      if (redact && (matches.length > 0 || value.includes('\\'))) redacted = redactValue(value, matches);
    } else if (Array.isArray(value)) {
      // A list<string> column (the squad preset's answers): each string scanned and redacted alike.
      let list: unknown[] | null = null;
      value.forEach((item: unknown, i) => {
        if (typeof item !== 'string') return;
        const matches = findPii(item);
        for (const match of matches) quality.pii.push({ kind: match.kind, column, masked: maskPii(match.kind, match.text) });
        const changed = redact ? redactValue(item, matches) : item;
        if (changed !== item) (list ??= [...value])[i] = changed;
      });
      if (list !== null) redacted = list;
    }
    if (redacted !== value) {
      if (out === row) out = { ...row };
      out[column] = redacted;
    }
  }
  return out;
}

/**
 * A row as a rank writes it under --pii redact|reject (commands/export/rank.ts):
 * redacted as routing would redact it, with the hits routing would find (they travel
 * with it, Entry.piiFound), so the merge writes the same bytes and counts without
 * the raw values ever reaching the rank's folder. `entry` gives the facts, if any.
 */
export function redactForRank(entry: Entry): { row: Row; hits: PiiHit[] } {
  const quality: EntryQuality = { pii: [], piiWritten: false, duplicate: null, duplicateOf: null, newGroup: false, acrossSplits: false, log: null, tier: null };
  const row = scanRow(entry.row!, entry, quality, true);
  return { row, hits: quality.pii };
}

// ---------------------------------------------------------------------------
// Counts

export interface KindCounts {
  /** Matches of the kind. */
  matches: number;
  /** Records with at least one. */
  records: number;
  /** Matches per column. */
  columns: Record<string, number>;
}

export interface PiiExample {
  kind: PiiKind;
  column: string;
  /** Never the full value: `19850312-****`. */
  masked: string;
  file: string;
  line: number;
}

export interface DuplicateExample {
  kind: 'exact' | 'near';
  /** The duplicate (moved with --dedup exact/near) and the record it repeats (kept). */
  duplicate: { file: string; line: number; split: string };
  kept: { file: string; line: number; split: string };
  /** The duplicate's question, PII redacted, cut at 200 characters. */
  question: string;
}

export interface QualityState {
  /**
   * `written`: records written with a match still in them — pairs and rejected rows
   * (under --pii report), bad lines in the dead letter (textHasPii of its text and
   * message); what --fail-on's pii_written reads (absent in older checkpoints: 0).
   */
  pii: { mode: PiiMode; kinds: Record<PiiKind, KindCounts>; records: number; examples: PiiExample[]; written?: number };
  duplicates: {
    mode: DedupMode;
    near_threshold: number | null;
    /** Which checks ran: exact always, near with --dedup near. */
    checked: Array<'exact' | 'near'>;
    exact: { records: number; groups: number };
    near: { records: number; groups: number };
    across_splits: number;
    examples: DuplicateExample[];
  };
  /** Passed pairs per tier (tier order), or null without --tiers. */
  tiers: Record<string, number> | null;
  /** Pair and rejected rows scanned for PII. */
  scanned: number;
  /** Pairs checked for duplicates. */
  checked: number;
  /** Bytes of the dedup resume log so far. */
  log_bytes: number;
}

export function emptyQualityState(plan: QualityPlan): QualityState {
  const kinds = Object.fromEntries(PII_KINDS.map((kind) => [kind, { matches: 0, records: 0, columns: {} }])) as unknown as Record<PiiKind, KindCounts>;
  return {
    pii: { mode: plan.pii, kinds, records: 0, examples: [], written: 0 },
    duplicates: {
      mode: plan.dedup,
      near_threshold: plan.dedup === 'near' ? plan.nearThreshold : null,
      checked: plan.dedup === 'near' ? ['exact', 'near'] : ['exact'],
      exact: { records: 0, groups: 0 },
      near: { records: 0, groups: 0 },
      across_splits: 0,
      examples: [],
    },
    tiers: plan.tiers ? Object.fromEntries(tierNames(plan).map((tier) => [tier, 0])) : null,
    scanned: 0,
    checked: 0,
    log_bytes: 0,
  };
}

/** Adds committed entries' findings to a plain-JSON state (a checkpoint carries it); the state is adopted, not copied. */
export class QualityAccumulator {
  readonly state: QualityState;
  constructor(plan: QualityPlan, state?: QualityState) {
    this.state = state ?? emptyQualityState(plan);
  }

  /**
   * One committed entry of `file` routed to split `splitNames[entry.split]`; returns its
   * dedup log bytes (or null). A bad line counts when it is written (the caller passes
   * error entries only then: pipe mode without --errors writes none) and its text or
   * message holds a match (under --pii redact|reject the processor redacted them).
   */
  add(entry: Entry, file: string, splitNames: readonly string[]): Uint8Array | null {
    const state = this.state;
    if (entry.channel === 'errors') {
      if (textHasPii(entry.text) || textHasPii(entry.errorMessage ?? '')) state.pii.written = (state.pii.written ?? 0) + 1;
      return null;
    }
    const splitName = splitNames[entry.split] ?? '';
    const quality = entry.quality;
    if (!quality) return null;
    if (quality.piiWritten && (entry.channel === 'pairs' || entry.channel === 'rejected')) state.pii.written = (state.pii.written ?? 0) + 1;
    state.scanned++;
    if (quality.pii.length > 0) {
      state.pii.records++;
      const seen = new Set<PiiKind>();
      for (const hit of quality.pii) {
        const counts = state.pii.kinds[hit.kind];
        counts.matches++;
        counts.columns[hit.column] = (counts.columns[hit.column] ?? 0) + 1;
        if (!seen.has(hit.kind)) counts.records++;
        seen.add(hit.kind);
        if (state.pii.examples.length < MAX_EXAMPLES) state.pii.examples.push({ kind: hit.kind, column: hit.column, masked: hit.masked, file, line: entry.line });
      }
    }
    if (quality.log !== null) {
      state.checked++;
      state.log_bytes += quality.log.length;
    }
    if (quality.duplicate !== null) {
      const counts = state.duplicates[quality.duplicate];
      counts.records++;
      if (quality.newGroup) counts.groups++;
      if (quality.acrossSplits) state.duplicates.across_splits++;
      if (state.duplicates.examples.length < MAX_EXAMPLES) {
        const question = typeof entry.row?.question === 'string' ? redactPii(entry.row.question).slice(0, EXAMPLE_CHARS) : '';
        state.duplicates.examples.push({ kind: quality.duplicate, duplicate: { file, line: entry.line, split: splitName }, kept: { file: quality.duplicateOf!.file, line: quality.duplicateOf!.line, split: splitNames[quality.duplicateOf!.split] ?? '' }, question });
      }
    }
    if (quality.tier !== null && state.tiers && entry.channel === 'pairs') state.tiers[quality.tier]++;
    return quality.log;
  }
}

/**
 * report.json `pii`: every kind (zeros too) with matches, records and per-column
 * matches; mode, records with any match, those written with one still in them
 * (`records_written`: pairs, rejected rows, bad lines), masked examples.
 */
export function piiReport(state: QualityState): Record<string, unknown> {
  const kinds = Object.fromEntries(PII_KINDS.map((kind) => [kind, structuredClone(state.pii.kinds[kind])]));
  return {
    mode: state.pii.mode,
    ...kinds,
    records: state.pii.records,
    records_scanned: state.scanned,
    records_written: state.pii.written ?? 0,
    examples: structuredClone(state.pii.examples),
  };
}

/** report.json `duplicates`: exact and near (records beyond the first of each group, groups), across_splits, examples. */
export function duplicatesReport(state: QualityState): Record<string, unknown> {
  const d = state.duplicates;
  return {
    mode: d.mode,
    near_threshold: d.near_threshold,
    checked: [...d.checked],
    records_checked: state.checked,
    exact: { ...d.exact },
    near: { ...d.near },
    across_splits: d.across_splits,
    examples: structuredClone(d.examples),
  };
}

/** report.json `tiers`: passed pairs per tier, or null without --tiers. */
export function tiersReport(state: QualityState): Record<string, number> | null {
  return state.tiers ? { ...state.tiers } : null;
}

/** What --fail-on's rules read: records with any PII found, and written with PII; exact and near duplicates as shares of the pairs checked. */
export function thresholdCounts(state: QualityState): { pii: number; pii_written: number; duplicates: number; near_duplicates: number; records_checked: number } {
  const share = (n: number) => (state.checked === 0 ? 0 : n / state.checked);
  return {
    pii: state.pii.records,
    pii_written: state.pii.written ?? 0,
    duplicates: share(state.duplicates.exact.records),
    near_duplicates: share(state.duplicates.near.records),
    records_checked: state.checked,
  };
}

/** stats.json `quality` (for now; the report takes these sections). */
export function qualityStats(state: QualityState): Record<string, unknown> {
  return { pii: piiReport(state), duplicates: duplicatesReport(state), tiers: tiersReport(state), thresholds: thresholdCounts(state) };
}

/**
 * What duplicates are judged on: a pair's question and answer; a row without them
 * (a mapping's own columns) its `text` (the documents preset), else all its string
 * columns joined — never nothing, which would make every such row a duplicate.
 */
export function dedupText(row: Row): [string, string] {
  if (typeof row.question === 'string' && typeof row.answer === 'string') return [row.question, row.answer];
  if (typeof row.text === 'string') return [row.text, ''];
  const parts: string[] = [];
  for (const column in row) if (typeof row[column] === 'string' && column !== 'failure_reason') parts.push(row[column] as string);
  return [parts.join('\n'), ''];
}
