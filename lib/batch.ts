/**
 * batch — the unit of work that moves between stages.
 *
 * Per-object stream overhead (~1–3 µs per push per stage) is as large as the JSON
 * work on a 1.3 kB record, so stages exchange one Batch per input chunk instead of
 * one object per line. A Batch holds only complete lines of one input file, in
 * order, so it is also the unit a checkpoint commits and a worker could process.
 *
 * Every input line becomes exactly one Entry, and every Entry ends in exactly one
 * channel: that is the "nothing lost" invariant, checked by `Tally`.
 *
 * One line, several rows (segmentation, lib/input/segment.ts): the line's Entry ends in
 * the channel `segmented` and holds its rows in `segments`, each with its own
 * channel (pairs or rejected) and split. The Entry stays the unit of counting,
 * of the dead letter (a line that fails is one error, none of its rows written)
 * and of checkpoints (a batch is only ever cut between entries, so all rows of a
 * line are committed together). A document with no segment is `segmented` with
 * `segments` empty.
 */
import type { RecordErrorCode } from './errors';
import type { PiiKind, PiiMatch } from './quality/pii';

/**
 * Where an entry ends: an output, the dead-letter output, counted as blank, cut into
 * rows (`segments`), or a passed pair left out of --target-samples' sample (counted, not written: lib/scale/sample.ts).
 */
export type Channel = 'pairs' | 'rejected' | 'errors' | 'blank' | 'segmented' | 'not_sampled';

/** A mapped output row: plain object whose keys the preset's columns order. */
export type Row = Record<string, unknown>;

/** One row of a segmented line: where it goes, decided as an entry's would be. */
export interface SegmentRow {
  channel: 'pairs' | 'rejected';
  row: Row;
  /** Index of the split in the export plan (lib/dataset/route.ts decides). */
  split: number;
  /** The failure_reason a routing rule gave it when it moved it to rejected (lib/dataset/route.ts); absent otherwise. */
  reason?: string;
}

/** One PII match of a row: its kind, column and masked value (lib/quality/pii.ts). */
export interface PiiHit {
  kind: PiiKind;
  column: string;
  masked: string;
}

/**
 * What the quality rules found about a pair or rejected row (lib/quality/rules.ts
 * QualityRouter sets it in routing; the session counts it once committed).
 */
export interface EntryQuality {
  pii: PiiHit[];
  /** The row is written with its matches in it (--pii report); false once redacted. */
  piiWritten: boolean;
  duplicate: 'exact' | 'near' | null;
  /** The kept record a duplicate repeats. */
  duplicateOf: { file: string; line: number; split: number } | null;
  /** The kept record had no duplicate before this one. */
  newGroup: boolean;
  /** The duplicate and the kept record sit in different splits. */
  acrossSplits: boolean;
  /** The pair's dedup resume-log bytes (lib/quality/dedup.ts); null when it was not checked. */
  log: Uint8Array | null;
  /** --tiers: a passed pair's tier. */
  tier: string | null;
  /** --decontaminate: the evaluation file (its index) a pair shares an n-gram with, else null. */
  contaminated?: number | null;
}

/**
 * What the quality rules and the report read of a pair or rejected row, found
 * where the row is made (lib/quality/facts.ts; in a worker with --workers) so the main
 * thread, which sees entries in input order, only looks them up. Each fact is of
 * `Entry.row` as the processor made it; a consumer holding a changed value
 * computes that one itself, so facts change speed, never output.
 */
export interface EntryFacts {
  /** The string columns with PII, and their matches (lib/quality/pii.ts findPii); columns without are absent. */
  pii: Record<string, PiiMatch[]>;
  /** A pair's dedup fingerprint (lib/quality/dedup.ts DedupIndex.fingerprint) of its text as routing judges it (redacted with --pii redact); null for rejected rows. */
  dedup: Uint8Array | null;
  /** The answer, as the report reads it (redacted with --pii redact), is in the language check's hash sample (lib/quality/language.ts languageSampled). */
  languageSampled: boolean;
  /**
   * The report's lengths of the row as it reads it: per key of the row, in key
   * order, its length in code points and in words (-1, -1 for a value that is not a
   * string); null when there is no report. Routing keeps the key order and changes
   * only failure_reason, which the report measures itself.
   */
  lengths: Int32Array | null;
  /** Sampled and long enough: what the detector said of it (lib/quality/language.ts); else null (the report detects it itself when it must). */
  language: string | null;
  /** With a model folder: the tokens of the row's conversation rendered with its chat template (lib/quality/chat-tokens.ts); -1 when not counted. */
  tokens: number;
  /** The chat template's own message when it refused the row; else null. */
  tokenError: string | null;
}

export interface Entry {
  /** 1-based line number in `Batch.file`. */
  line: number;
  /** Byte offset of the line's first byte in `Batch.file`. */
  offset: number;
  /** The line as text, without its end-of-line bytes or a leading BOM. */
  text: string;
  /** True for a last line that had no newline. */
  unterminated: boolean;
  /** Parsed JSON value, once the parser has run. */
  value: unknown;
  /** Mapped output row, once the mapper has run. */
  row: Row | null;
  /** Null until a stage decides. */
  channel: Channel | null;
  /** Index of the split in the export plan (lib/dataset/route.ts decides; 0 until then and in a one-split plan). */
  split: number;
  /** Channel `segmented`: the line's rows, in document order (possibly none); else null. */
  segments: SegmentRow[] | null;
  /** --tiers: the tier a passed pair is written under (lib/dataset/route.ts decides); else null. */
  tier: string | null;
  /** --partition-by: the config a passed pair is written under (lib/dataset/partition.ts; lib/dataset/route.ts decides); else null. */
  partition: string | null;
  /**
   * The failure_reason a routing rule (--min-score, --min-chars, the quality rules, …) gave a
   * pair it moved to rejected (lib/dataset/route.ts); null when routing moved nothing, so
   * a rejected row of the input whose own reason is spelled alike is not counted as moved.
   */
  reason: string | null;
  errorCode: RecordErrorCode | null;
  errorMessage: string | null;
  /** Set by routing when quality rules run (lib/quality/rules.ts); null before and without them. */
  quality: EntryQuality | null;
  /** Set by the processor when the run's quality rules or report need them (lib/quality/facts.ts); else null. */
  facts: EntryFacts | null;
  /**
   * The PII a row held before it was redacted upstream: a rank (commands/export/rank.ts,
   * --pii redact|reject) writes its rows redacted, with these, so the merge's routing
   * counts and rejects as a single run does without the raw values. Else null.
   */
  piiFound: PiiHit[] | null;
}

export interface Batch {
  /** Input path as given by the user, or `<stdin>`. */
  file: string;
  entries: Entry[];
  /** Byte offset in `file` just past the last line of this batch. */
  endOffset: number;
  /** Number of lines of `file` consumed up to `endOffset`. */
  endLine: number;
  /** True when this batch closes `file`. */
  fileEnd: boolean;
  /** Serialized text per output name, filled by the serializer. */
  output: Record<string, string> | null;
  /** Set when fail-fast cut the batch: the run stops once the batch is written. */
  stop: { line: number; offset: number; code: RecordErrorCode; message: string } | null;
  /**
   * Its valid lines hold byte text (one latin1 character per byte: lib/input/byte-text.ts),
   * from a `byteText` line splitter; only the batch processor (lib/processor.ts) takes such
   * a batch, and clears this once it has decoded what needs it.
   */
  byteText?: boolean;
}

export function newEntry(line: number, offset: number, text: string, unterminated = false): Entry {
  // All fields initialised so every Entry shares one hidden class.
  return {
    line,
    offset,
    text,
    unterminated,
    value: undefined,
    row: null,
    channel: null,
    split: 0,
    segments: null,
    tier: null,
    partition: null,
    reason: null,
    errorCode: null,
    errorMessage: null,
    quality: null,
    facts: null,
    piiFound: null,
  };
}

export function markError(entry: Entry, code: RecordErrorCode, message: string): void {
  entry.channel = 'errors';
  entry.errorCode = code;
  entry.errorMessage = message;
}

/**
 * Cuts a batch just before its first error entry, for fail-fast: what came
 * before is still written, the bad line and what follows are not consumed.
 * Returns false when the batch has no error.
 */
export function cutAtFirstError(batch: Batch): boolean {
  const index = batch.entries.findIndex((entry) => entry.channel === 'errors');
  if (index < 0) return false;
  const bad = batch.entries[index];
  batch.stop = { line: bad.line, offset: bad.offset, code: bad.errorCode!, message: bad.errorMessage! };
  batch.entries = batch.entries.slice(0, index);
  batch.endOffset = bad.offset;
  batch.endLine = bad.line - 1;
  batch.fileEnd = false;
  return true;
}

/**
 * True when `batch` only closes the file `previous` already reached: no lines, the
 * same position. The two are one commit (streams/sink.ts: onCommit fires once per commit).
 */
export function onlyClosesFile(previous: Batch, batch: Batch): boolean {
  return (
    batch.fileEnd &&
    batch.entries.length === 0 &&
    !batch.stop &&
    !previous.fileEnd &&
    !previous.stop &&
    batch.file === previous.file &&
    batch.endOffset === previous.endOffset &&
    batch.endLine === previous.endLine
  );
}
