/**
 * tally — the counts that prove nothing was lost: every line read is a pair, a
 * rejected pair, an error (by code), blank or segmented (a document cut into
 * rows, lib/input/segment.ts), per input file and in total. A segmented line counts
 * once in `segmented` (and in `noSegments` when it held none); the rows it gave
 * are counted apart, in `segmentPairs` and `segmentRejected`, so lines still add up.
 * A passed pair left out of --target-samples' sample counts in `notSampled`.
 */
import type { Batch, Channel } from './batch';
import type { RecordErrorCode } from './errors';

export interface Counts {
  lines: number;
  pairs: number;
  rejected: number;
  errors: number;
  blank: number;
  /** Lines cut into rows (segmentation), whatever their number of rows. */
  segmented: number;
  /** Of the segmented lines, those without any segment. */
  noSegments: number;
  /** Rows of segmented lines, by channel. */
  segmentPairs: number;
  segmentRejected: number;
  /** Passed pairs left out of the sample (--target-samples): counted, not written. */
  notSampled: number;
  errorsByCode: Partial<Record<RecordErrorCode, number>>;
}

export function emptyCounts(): Counts {
  return { lines: 0, pairs: 0, rejected: 0, errors: 0, blank: 0, segmented: 0, noSegments: 0, segmentPairs: 0, segmentRejected: 0, notSampled: 0, errorsByCode: {} };
}

/** A Tally as plain JSON, for checkpoints. */
export interface TallyState {
  total: Counts;
  files: Array<[string, Counts]>;
  nextLine: Array<[string, number]>;
}

export class Tally {
  readonly total: Counts;
  readonly files: Map<string, Counts>;
  /** Per file, the line the next entry must have: a gap or repeat is a lost or doubled line. */
  private readonly nextLine: Map<string, number>;

  constructor(state?: TallyState) {
    // A state without a newer count (notSampled) gets it as 0.
    this.total = state ? { ...emptyCounts(), ...state.total } : emptyCounts();
    this.files = new Map(state?.files.map(([file, counts]) => [file, { ...emptyCounts(), ...counts }]));
    this.nextLine = new Map(state?.nextLine);
  }

  toJSON(): TallyState {
    return { total: this.total, files: [...this.files], nextLine: [...this.nextLine] };
  }

  add(batch: Batch): void {
    let perFile = this.files.get(batch.file);
    if (!perFile) {
      perFile = emptyCounts();
      this.files.set(batch.file, perFile);
    }
    let expected = this.nextLine.get(batch.file) ?? batch.endLine - batch.entries.length + 1;
    for (const entry of batch.entries) {
      if (entry.line !== expected || entry.channel === null) {
        throw new Error(`internal: ${batch.file} line ${entry.line} arrived where line ${expected} was due, or unrouted`);
      }
      expected++;
      const channel = entry.channel as Channel;
      for (const counts of [this.total, perFile]) {
        counts.lines++;
        if (channel === 'not_sampled') counts.notSampled++;
        else counts[channel]++;
        if (channel === 'errors') {
          const code = entry.errorCode!;
          counts.errorsByCode[code] = (counts.errorsByCode[code] ?? 0) + 1;
        } else if (channel === 'segmented') {
          const segments = entry.segments!;
          if (segments.length === 0) counts.noSegments++;
          for (const segment of segments) {
            if (segment.channel === 'pairs') counts.segmentPairs++;
            else counts.segmentRejected++;
          }
        }
      }
    }
    if (expected !== batch.endLine + 1) {
      throw new Error(`internal: ${batch.file} batch ends at line ${batch.endLine} but its entries end at ${expected - 1}`);
    }
    this.nextLine.set(batch.file, expected);
  }
}

/** True when every line is accounted for exactly once. */
export function balanced(counts: Counts): boolean {
  const byCode = Object.values(counts.errorsByCode).reduce((sum, n) => sum + (n ?? 0), 0);
  return counts.lines === counts.pairs + counts.rejected + counts.errors + counts.blank + counts.segmented + counts.notSampled && byCode === counts.errors;
}

/**
 * `n` and the noun, singular for exactly one: count(1, 'pair') → "1 pair",
 * count(2, 'pair') → "2 pairs". Nouns that do not change ("rejected", "blank")
 * need no call; irregular ones pass their plural.
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${noun(n, singular, plural)}`;
}

/** Digits grouped by commas, locale-free (the same text on every machine): 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  const text = String(Math.round(Math.abs(n)));
  let grouped = '';
  for (let i = 0; i < text.length; i++) {
    if (i > 0 && (text.length - i) % 3 === 0) grouped += ',';
    grouped += text[i];
  }
  return (n < 0 ? '-' : '') + grouped;
}

/** `1 pair`, `1,586 pairs`: count's text with the digits grouped. */
export function formatCounted(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${noun(n, singular, plural)}`;
}

/** The noun alone, for callers that format `n` themselves (digit groups). */
export function noun(n: number, singular: string, plural = `${singular}s`): string {
  return n === 1 ? singular : plural;
}

/** The summary a user reads on stderr. */
export function formatSummary(counts: Counts, notes: string[] = []): string {
  const codes = Object.entries(counts.errorsByCode)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const lines = [
    `qa-hf: ${count(counts.lines, 'line')} read: ${count(counts.pairs, 'pair')}, ${counts.rejected} rejected, ` +
      `${count(counts.errors, 'error')}${codes ? ` (${codes})` : ''}, ${counts.blank} blank${segmentedSummary(counts)}` +
      (counts.notSampled > 0 ? `, ${counts.notSampled} not sampled` : ''),
    ...notes.map((note) => `qa-hf: ${note}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `, 3 segmented into 7 pairs and 0 rejected (1 without segments)`; '' when nothing was segmented. */
function segmentedSummary(counts: Counts): string {
  if (counts.segmented === 0) return '';
  return `, ${counts.segmented} segmented into ${count(counts.segmentPairs, 'pair')} and ${counts.segmentRejected} rejected (${counts.noSegments} without segments)`;
}
