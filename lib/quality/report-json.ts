/**
 * report-json — report.json from the accumulated report (lib/quality/report.ts): the
 * threshold metrics (computeMetrics; lib/quality/thresholds.ts names and checks them), the
 * report object (buildReport: snake_case keys, floats rounded like stats.json) and
 * what the dataset card says of it (cardQuality, the "Data quality" section).
 *
 *   const metrics = computeMetrics(report, counts, sections);
 *   const json = buildReport(report, { counts, metrics, thresholds, sections, tokenizer: null });
 *   cardQuality(json) // { notes: ['Pass rate (validated pairs among all records): 97.10 %.', …], thresholds: […] }
 */
import { roundFloats, SCORE_BINS } from './stats';
import { summarizeLengths } from './sketch';
import type { Counts } from '../tally';
import type { MetricValues, ThresholdResult } from './thresholds';
import { REPORT_VERSION, SHORT_ANSWER_CHARS, ReportAccumulator, Group } from './report';
import { LANGUAGE_MIN_CHARS, LANGUAGE_CHECK_ALL, LANGUAGE_STRIDE } from './language';
import { TOKEN_THRESHOLDS } from './chat-tokens';

/** The sections the quality helpers give (issue 9 shapes), included as they are when present. */
export interface QualitySections {
  /** `{<kind>: {matches, records}, …, records: <records with any match>, …}` */
  pii?: Record<string, unknown>;
  /** `{exact: {records, groups}, near: {records, groups}, across_splits, …}` */
  duplicates?: Record<string, unknown>;
  tiers?: Record<string, unknown>;
  /** With --decontaminate: `{ngram, records, files: [{file, records}], examples}` */
  contamination?: Record<string, unknown>;
  /** kto, dpo: `{formats, pairs: {passed, rejected, duplicates_left_out}, dpo?: {questions, pairs, without_both, …}}` */
  preference?: Record<string, unknown>;
}

/** A share, 0 when there is nothing to share out. */
function share(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** The number at `path` in a report section, or undefined when there is none. */
export function numberAt(value: unknown, ...path: string[]): number | undefined {
  let at: unknown = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'number' ? at : undefined;
}

/**
 * The threshold metrics of a run (lib/quality/thresholds.ts names them):
 * pass_rate = passed / (passed + rejected), passed counting the pairs --target-samples
 * left out of the sample (they passed); errors = bad lines / non-blank lines;
 * language_mismatch = mismatched / checked answers of the passed pairs;
 * pii = records with any match (`pii.records`); pii_written = records written with a
 * match still in them (`pii.records_written`); duplicates, near_duplicates =
 * `duplicates.exact.records`, `duplicates.near.records` / (pairs + rejected);
 * contaminated = pairs moved by --decontaminate (`contamination.records`); leaks =
 * `duplicates.across_splits` (a count); too_short, too_long, too_many_tokens = the pairs
 * those filters moved to rejected, when they are on.
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
  const contaminated = numberAt(sections.contamination, 'records');
  if (contaminated !== undefined) metrics.contaminated = contaminated;
  // Duplicates whose first record sits in another split: a count (0 with one split).
  const leaks = numberAt(sections.duplicates, 'across_splits');
  if (leaks !== undefined) metrics.leaks = leaks;
  // --min-chars, --max-chars, --max-tokens: the pairs each moved to rejected (counted only when the filter is on).
  for (const metric of report.filters) metrics[metric] = report.routedCount(metric);
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
    const chat = group.chatTokens;
    // With a model folder: the rendered conversations' tokens, and the share of the group's records over each context length.
    const conversation = chat && {
      conversation_tokens: {
        ...summarizeLengths(chat.lengths),
        share_over: Object.fromEntries(TOKEN_THRESHOLDS.map((threshold, i) => [String(threshold), share(chat.over[i], state.records)])),
      },
    };
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
      ...conversation,
    };
  });
  const { pii, duplicates, tiers, contamination, preference } = inputs.sections;
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
    // Every rejected row (the input's own and those routing moved, segments' rows too) by failure_reason, most frequent first.
    rejected_reasons: report.rejectedReasons(),
    metrics: inputs.metrics,
    thresholds: inputs.thresholds.map((result) => ({ rule: result.rule, value: result.value, passed: result.passed })),
    groups,
    ...(pii ? { pii } : {}),
    ...(duplicates ? { duplicates } : {}),
    ...(tiers ? { tiers } : {}),
    ...(contamination ? { contamination } : {}),
    ...(preference ? { preference } : {}),
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
 * The dataset card's "Data quality" section from report.json (lib/dataset/card-configs.ts
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
