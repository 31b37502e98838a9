/**
 * counts — what the quality rules found (lib/quality/rules.ts, on `entry.quality`),
 * summed over the committed entries in a plain-JSON state a checkpoint carries, and
 * the report's sections from that state: piiReport / duplicatesReport / tiersReport /
 * thresholdCounts (pure).
 *
 *   const counts = new QualityAccumulator(plan.quality, checkpoint.quality);
 *   counts.add(entry, file, splitNames); // each committed entry, in order; its dedup log bytes or null
 *   piiReport(counts.state)       // { mode: 'report', personnummer: { matches, records, columns }, …, records, records_written, examples }
 */
import type { Entry } from '../batch';
import { PII_KINDS, type PiiKind, redactPii } from './pii';
import { textHasPii } from './pii-text';
import { type PiiMode, type DedupMode, type QualityPlan, tierNames } from './plan';

/** Examples kept in the state (and the report): masked PII, duplicate pairs. */
export const MAX_EXAMPLES = 20;
/** Split leaks (duplicates whose first record sits in another split) listed by themselves in the report. */
export const MAX_LEAK_EXAMPLES = 10;
/** Characters of a duplicate's question shown in its example. */
const EXAMPLE_CHARS = 200;

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
  /** Never the full value: `********-****` for 19850312-1231. */
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
    /** The first duplicates whose kept record sits in another split (the `leaks` metric's); absent in older checkpoints. */
    leak_examples?: DuplicateExample[];
  };
  /** Passed pairs per tier (tier order), or null without --tiers. */
  tiers: Record<string, number> | null;
  /** --decontaminate: pairs moved to rejected ("contaminated"), per evaluation file (its base name, in the order given). */
  contamination?: { ngram: number; records: number; files: Array<{ file: string; records: number }>; examples: ContaminationExample[] };
  /** Pair and rejected rows scanned for PII. */
  scanned: number;
  /** Pairs checked for duplicates. */
  checked: number;
  /** Bytes of the dedup resume log so far. */
  log_bytes: number;
}

/** A contaminated pair: where it is, which evaluation file, the start of its question (PII masked). */
export interface ContaminationExample {
  file: string;
  line: number;
  eval_file: string;
  question: string;
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
      leak_examples: [],
    },
    tiers: plan.tiers ? Object.fromEntries(tierNames(plan).map((tier) => [tier, 0])) : null,
    ...(plan.decontaminate
      ? { contamination: { ngram: plan.decontaminate.ngram, records: 0, files: plan.decontaminate.files.map((file) => ({ file, records: 0 })), examples: [] } }
      : {}),
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
      const leaks = (state.duplicates.leak_examples ??= []);
      const listed = state.duplicates.examples.length < MAX_EXAMPLES;
      const leak = quality.acrossSplits && leaks.length < MAX_LEAK_EXAMPLES;
      if (listed || leak) {
        const question = typeof entry.row?.question === 'string' ? redactPii(entry.row.question).slice(0, EXAMPLE_CHARS) : '';
        const example: DuplicateExample = { kind: quality.duplicate, duplicate: { file, line: entry.line, split: splitName }, kept: { file: quality.duplicateOf!.file, line: quality.duplicateOf!.line, split: splitNames[quality.duplicateOf!.split] ?? '' }, question };
        if (listed) state.duplicates.examples.push(example);
        if (leak) leaks.push(structuredClone(example));
      }
    }
    if (quality.tier !== null && state.tiers && entry.channel === 'pairs') state.tiers[quality.tier]++;
    const contaminated = quality.contaminated;
    if (contaminated !== undefined && contaminated !== null && state.contamination) {
      const found = state.contamination;
      found.records++;
      found.files[contaminated].records++;
      if (found.examples.length < MAX_EXAMPLES) {
        const question = typeof entry.row?.question === 'string' ? redactPii(entry.row.question).slice(0, EXAMPLE_CHARS) : '';
        found.examples.push({ file, line: entry.line, eval_file: found.files[contaminated].file, question });
      }
    }
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

/** report.json `contamination` (with --decontaminate): the n-gram length, contaminated pairs in all and per evaluation file, examples. */
export function contaminationReport(state: QualityState): Record<string, unknown> | null {
  return state.contamination ? structuredClone(state.contamination) : null;
}

/**
 * report.json `duplicates`: exact and near (records beyond the first of each group, groups),
 * across_splits (the `leaks` metric), examples, and the first split leaks apart (`leak_examples`).
 */
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
    leak_examples: structuredClone(d.leak_examples ?? []),
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
  // The split leaks' examples are the report's (report.json duplicates.leak_examples): stats.json stays as it was.
  const { leak_examples: _leaks, ...duplicates } = duplicatesReport(state);
  return { pii: piiReport(state), duplicates, tiers: tiersReport(state), thresholds: thresholdCounts(state) };
}
