/**
 * facts — what the quality rules and the report read of each pair and rejected
 * row, found where the row is made (processBatch: in a worker with --workers), so
 * the main thread, which must see entries in input order, only looks them up.
 * Pure apart from loading the language detector on the first answer that needs it.
 *
 * Per entry (lib/batch.ts EntryFacts):
 *   - pii: the PII matches of each string column (lib/quality/pii.ts findPii), which the
 *     quality rules count, mask and redact (lib/quality/rules.ts QualityRouter);
 *   - dedup: a pair's fingerprint (lib/quality/dedup.ts: the exact key, and the MinHash
 *     signature with --dedup near) of its text as routing judges it — redacted with
 *     --pii redact|reject — so only the index lookup stays on the main thread;
 *   - lengths: the report's length in code points and words of every string column;
 *   - languageSampled / language: whether the answer, as the report reads it, is in
 *     the language check's hash sample, and then what the detector says of it
 *     (lib/quality/language.ts);
 *   - tokens / tokenError: with a model folder (--tokenizer FOLDER), the tokens of the
 *     row's conversation rendered with its chat template (lib/quality/chat-tokens.ts), or
 *     the template's message when it refused the row.
 * Every fact is a function of the row alone; a consumer that holds a value the
 * facts are not of computes it itself, so facts change where the work runs, never
 * the output (tests: the same bytes with --workers 0, 1, 2 and with no facts).
 *
 *   const finder = new FactFinder({ pii: 'redact', near: false, language: 'sv', report: true });
 *   entry.facts = finder.find(entry);   // null for entries that are not pairs or rejected rows
 */
import type { Entry, EntryFacts, Row } from '../batch';
import { DedupIndex, recordLogBytes } from './dedup';
import { type PiiMatch, findPii } from './pii';
import type { PiiMode, QualityPlan } from './plan';
import { dedupText, redactValue } from './rules';
import { type DetectAll, LANGUAGE_MIN_CHARS, LANGUAGE_SAMPLE_CHARS, detectLanguage, languageSampled } from './language';
import { codePointLength } from './stats';
import { measureText } from './words';
import { ChatTokenCounter, type ChatTokensSpec } from './chat-tokens';

/** What decides a run's facts: plain data, so each worker builds its own finder. */
export interface FactsSpec {
  /** --pii: with `redact` or `reject` the dedup fingerprint, the lengths and the language are of the redacted text (as written). */
  pii: PiiMode;
  /** --dedup near: fingerprints carry the MinHash signature. */
  near: boolean;
  /** The report's --language; null when it is off or there is no report. */
  language: string | null;
  /** A report is written: the lengths of every string column are measured. */
  report: boolean;
  /** A model folder's tokenizer and chat template: each row's conversation is rendered and counted. */
  chat?: ChatTokensSpec;
  /**
   * false: the sampled answers' language is left to the report (language stays null), which
   * detects it on a thread of its own — what the processing stages' finders do (streams/chain.ts),
   * in the main thread and in workers alike, so only that thread loads tinyld; a finder detects by default (true).
   */
  detect?: boolean;
}

/** Fingerprints per buffer (lib/quality/dedup.ts recordLogBytes each). */
const SLAB_RECORDS = 1024;
/** Lengths per buffer (two per column of a row). */
const LENGTH_SLAB = 16384;

/** What a run's quality plan and report need found: the spec of every command that routes (export, pipe mode's rules, report). */
export function factsSpec(quality: QualityPlan, language: string | null, report: boolean, chat?: ChatTokensSpec | null): FactsSpec {
  return { pii: quality.pii, near: quality.dedup === 'near', language, report, ...(chat ? { chat } : {}) };
}

/** No PII in a row: one shared, never written. */
export const NO_PII: Record<string, PiiMatch[]> = Object.freeze({}) as Record<string, PiiMatch[]>;

/** tinyld, loaded on first use (~0.3 s): a run that detects nothing never pays for it. */
function loadTinyld(): DetectAll {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, synchronously, in a worker or the main thread
  return (require('tinyld') as { detectAll: DetectAll }).detectAll;
}

export class FactFinder {
  private readonly dedup: DedupIndex;
  private detector: ((text: string) => string) | null = null;
  /** Fingerprints are slices of one buffer, a new one when it is full: one allocation per SLAB_RECORDS records. */
  private slab = new Uint8Array(0);
  private slabUsed = 0;
  private readonly fingerprintBytes: number;
  /** The lengths likewise: slices of one Int32Array. */
  private lengthSlab = new Int32Array(0);
  private lengthsUsed = 0;
  private readonly chat: ChatTokenCounter | null;
  /** The fingerprinted pair's [code points, words] of the question, then the answer (-1: not measured): a measure is a function of the text. */
  private readonly pairMeasures = new Int32Array(4);

  constructor(
    readonly spec: FactsSpec,
    private readonly loadDetectAll: () => DetectAll = loadTinyld,
  ) {
    this.chat = spec.chat ? new ChatTokenCounter(spec.chat) : null;
    // Only its fingerprint is used: the index itself stays empty.
    this.dedup = new DedupIndex({ near: spec.near });
    this.fingerprintBytes = recordLogBytes(spec.near);
  }

  /** The facts of a pair or rejected entry with a row; null for the others. */
  find(entry: Entry): EntryFacts | null {
    const row = entry.row;
    if (row === null || (entry.channel !== 'pairs' && entry.channel !== 'rejected')) return null;
    let pii = NO_PII;
    // The row as routing judges it and the report reads it.
    let judged: Row = row;
    const redact = this.spec.pii !== 'report';
    for (const column in row) {
      const value = row[column];
      if (typeof value !== 'string') continue;
      const matches = findPii(value);
      if (matches.length > 0) {
        if (pii === NO_PII) pii = {};
        pii[column] = matches;
      }
      // As routing redacts it (lib/quality/rules.ts scanRow): the facts must be of the row as written.
      if (redact && (matches.length > 0 || value.includes('\\'))) {
        const redacted = redactValue(value, matches);
        if (redacted !== value) {
          if (judged === row) judged = { ...row };
          judged[column] = redacted;
        }
      }
    }
    let dedup: Uint8Array | null = null;
    // The pair the fingerprint measured as it read it (pairMeasures), if any.
    let pairQuestion: string | null = null;
    let pairAnswer: string | null = null;
    // Routing checks only pairs for duplicates (it never moves a rejected row back).
    if (entry.channel === 'pairs') {
      const [question, answer] = dedupText(judged);
      if (this.slabUsed + this.fingerprintBytes > this.slab.length) {
        this.slab = new Uint8Array(this.fingerprintBytes * SLAB_RECORDS);
        this.slabUsed = 0;
      }
      dedup = this.dedup.fingerprint(question, answer, this.slab.subarray(this.slabUsed, (this.slabUsed += this.fingerprintBytes)), this.pairMeasures);
      pairQuestion = question;
      pairAnswer = answer;
    }
    let sampled = false;
    let language: string | null = null;
    const answer = judged.answer;
    if (this.spec.language !== null && typeof answer === 'string') {
      const trimmed = answer.trim();
      sampled = languageSampled(trimmed);
      if (sampled && this.spec.detect !== false && codePointLength(trimmed) >= LANGUAGE_MIN_CHARS) language = this.detect(trimmed.slice(0, LANGUAGE_SAMPLE_CHARS));
    }
    let lengths: Int32Array | null = null;
    if (this.spec.report) {
      const keys = Object.keys(judged);
      const measures = this.pairMeasures;
      if (this.lengthsUsed + keys.length * 2 > this.lengthSlab.length) {
        this.lengthSlab = new Int32Array(Math.max(keys.length * 2, LENGTH_SLAB));
        this.lengthsUsed = 0;
      }
      lengths = this.lengthSlab.subarray(this.lengthsUsed, (this.lengthsUsed += keys.length * 2));
      for (let k = 0; k < keys.length; k++) {
        const value = judged[keys[k]];
        if (typeof value !== 'string') lengths[2 * k] = lengths[2 * k + 1] = -1;
        else {
          const measured = value === pairQuestion && measures[1] >= 0 ? 0 : value === pairAnswer && measures[3] >= 0 ? 2 : -1;
          if (measured < 0) measureText(value, lengths, 2 * k);
          else {
            lengths[2 * k] = measures[measured];
            lengths[2 * k + 1] = measures[measured + 1];
          }
        }
      }
    }
    let tokens = -1;
    let tokenError: string | null = null;
    const counted = this.chat === null ? null : this.chat.count(judged);
    if (counted !== null) {
      if ('error' in counted) tokenError = counted.error;
      else tokens = counted.tokens;
    }
    return { pii, dedup, lengths, languageSampled: sampled, language, tokens, tokenError };
  }

  private detect(text: string): string {
    this.detector ??= detectLanguage(this.loadDetectAll(), this.spec.language!);
    return this.detector(text);
  }
}
