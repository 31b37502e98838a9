/**
 * rules — issue 9's routing rules (personal data, duplicates, tiers) applied to
 * one entry (pure: no stream, no file). Their options are lib/quality/plan.ts, their
 * counts lib/quality/counts.ts.
 *
 * QualityRouter runs in routing (lib/dataset/route.ts), on the main thread, in input order:
 *   - every string column (and list of strings) of a pair or rejected row is scanned
 *     for PII (lib/quality/pii.ts); `redact` replaces each match in the row before any writer
 *     sees it, so every format is redacted; `reject` does the same and moves a pair
 *     with a match to rejected ("pii"), so the rejected files hold none either;
 *     `report` only counts. (The dead letter's text is redacted where it is made:
 *     lib/processor.ts processBatch, `redactErrors`.);
 *   - with --decontaminate, a pair whose question or answer shares an n-gram of words with an
 *     evaluation set moves to rejected ("contaminated", lib/quality/contamination.ts);
 *   - a pair still passing is checked for duplicates (lib/quality/dedup.ts): `exact` moves
 *     exact duplicates ("duplicate"), `near` also near ones ("near_duplicate"); `off`
 *     counts exact duplicates and moves nothing;
 *   - a pair still passing gets its tier (`--tiers high=0.85,medium=0.7`, highest minimum
 *     first: the first whose minimum validation_score it reaches, else `low`).
 * What it found rides on `entry.quality` to the session, which adds each committed
 * entry to a QualityAccumulator (lib/quality/counts.ts) and appends the entry's dedup
 * log bytes to the resume log (see lib/quality/dedup.ts).
 *
 *   const router = new QualityRouter(plan.quality, ['a.jsonl']);
 *   const { row, reason } = router.apply(entry, 'a.jsonl', 0);
 */
import type { Entry, EntryQuality, PiiHit, Row } from '../batch';
import { DedupIndex } from './dedup';
import { type PiiMatch, findPii, maskPii, redactPii } from './pii';
import { redactText } from './pii-text';
import { CONTAMINATED_REASON, type QualityPlan, redactsPii, tierOf } from './plan';
import type { NgramIndex } from './contamination';

/** failure_reason of pairs moved by the quality rules. */
export const PII_REASON = 'pii';
export const DUPLICATE_REASON = 'duplicate';
export const NEAR_DUPLICATE_REASON = 'near_duplicate';

const SCORE_COLUMN = 'validation_score';
const NO_MATCHES: readonly PiiMatch[] = [];

/**
 * A string value as --pii redact|reject writes it: its matches (findPii's, given)
 * replaced by their placeholders, and where escapes in JSON text (a `json` column,
 * `"\n070-123 45 67"`) hide one, that one too (lib/quality/pii-text.ts redactText). The same
 * string when there is nothing to redact. The one redaction of a row's value: the
 * processor's facts (lib/quality/facts.ts) and routing use it alike.
 */
export function redactValue(value: string, matches: readonly PiiMatch[]): string {
  const out = matches.length > 0 ? redactPii(value, matches) : value;
  return out.includes('\\') ? redactText(out) : out;
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
    /** --decontaminate: the evaluation sets' n-grams (lib/io/eval-sets.ts loadEvalSets), loaded before the run. */
    private readonly contamination: NgramIndex | null = null,
  ) {
    if (plan.decontaminate !== null && contamination === null) throw new Error('internal: --decontaminate without its evaluation sets loaded');
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
   * The PII rule, first, before the split is known (lib/dataset/route.ts): scans a pair or
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
    if (this.contamination !== null) {
      // The question and the answer apart (no n-gram spans both), as written (redacted under --pii redact).
      const [question, answer] = dedupText(out);
      let file = this.contamination.firstMatch(question);
      if (file < 0 && answer !== '') file = this.contamination.firstMatch(answer);
      if (file >= 0) {
        quality.contaminated = file;
        return { row: out, reason: CONTAMINATED_REASON };
      }
    }
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
 * processor's facts (lib/quality/facts.ts) are of entry.row: a value routing left as it was
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
