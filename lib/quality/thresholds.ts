/**
 * thresholds — the release gate, `--fail-on RULES`: comma-separated
 * `metric<value` / `metric>value` rules, each a condition that FAILS the run.
 * Parsed up front (a bad rule is one ERR_OPTION line before any input is read),
 * evaluated at the end against the report's metrics (lib/quality/report-json.ts computeMetrics).
 *
 *   const rules = parseThresholds('pii>0,duplicates>0.01,pass_rate<0.6', '--fail-on');
 *   evaluateThresholds(rules, { pii: 12, duplicates: 0, pass_rate: 0.9 })
 *   // [{ rule: 'pii>0', value: 12, passed: false }, { rule: 'duplicates>0.01', value: 0, passed: true }, …]
 *
 * Metrics: pii (records with any match in what was read), pii_written (records
 * written with a match still in them: under --pii redact|reject none), duplicates
 * and near_duplicates (share of records), pass_rate (share of records that passed),
 * language_mismatch (share of checked answers of passed pairs), errors (share of
 * non-blank lines that were bad); contaminated (pairs moved by --decontaminate), too_short, too_long (pairs moved to rejected by
 * --min-chars / --max-chars), too_many_tokens (by --max-tokens) and leaks (duplicate
 * records whose first occurrence sits in another split) are counts.
 * A breached rule does not stop the run: every file is written, then exit 4.
 */
import { got, optionError } from '../errors';

export const METRICS = ['pii', 'pii_written', 'duplicates', 'near_duplicates', 'pass_rate', 'language_mismatch', 'errors', 'too_short', 'too_long', 'too_many_tokens', 'leaks', 'contaminated'] as const;
export type Metric = (typeof METRICS)[number];

/** Every metric a --fail-on rule may name, as report.json's `metrics` holds them (lib/quality/report-json.ts computeMetrics). */
export type MetricValues = Partial<Record<Metric, number>>;

/** The metrics that count pairs a routing rule moved to rejected: each is the failure_reason it gives (lib/dataset/route.ts). */
export const ROUTED_METRICS = ['too_short', 'too_long', 'too_many_tokens'] as const;
export type RoutedMetric = (typeof ROUTED_METRICS)[number];

/** Metrics that are shares (0..1); the others (`pii`, `pii_written`, `too_short`, …, `leaks`) are counts of records. */
const SHARES: ReadonlySet<Metric> = new Set(['duplicates', 'near_duplicates', 'pass_rate', 'language_mismatch', 'errors']);

/** A metric that is a share (0..1; report.html shows it as a percentage), not a count. */
export function isShareMetric(metric: string): boolean {
  return SHARES.has(metric as Metric);
}

export interface ThresholdRule {
  /** The rule as normalized: `pii>0`. */
  rule: string;
  metric: Metric;
  op: '<' | '>';
  limit: number;
}

export interface ThresholdResult {
  rule: string;
  metric: Metric;
  value: number;
  passed: boolean;
}

const RULE = /^\s*([a-z_]+)\s*([<>])\s*([0-9]+(?:\.[0-9]+)?|\.[0-9]+)\s*$/;

/** The rules of `--fail-on` (empty text: none). `option` names the option in messages. */
export function parseThresholds(value: unknown, option = '--fail-on'): ThresholdRule[] {
  if (value === undefined) return [];
  if (typeof value !== 'string') throw optionError('fail-on', `${option} must be rules like "pii>0,pass_rate<0.6", ${got(value)}`);
  const rules: ThresholdRule[] = [];
  for (const text of value.split(',')) {
    if (text.trim() === '') throw optionError('fail-on', `${option} has an empty rule, ${got(value)}`);
    const match = RULE.exec(text);
    if (!match) throw optionError('fail-on', `${option} rule must be METRIC<NUMBER or METRIC>NUMBER (metrics: ${METRICS.join(', ')}), ${got(text.trim())}`);
    const [, name, op, number] = match;
    if (!(METRICS as readonly string[]).includes(name)) {
      throw optionError('fail-on', `${option} names an unknown metric (metrics: ${METRICS.join(', ')}), ${got(name)}`);
    }
    const metric = name as Metric;
    const limit = Number(number);
    if (SHARES.has(metric) && limit > 1) throw optionError('fail-on', `${option} ${metric} is a share from 0 to 1, ${got(text.trim())}`);
    rules.push({ rule: `${metric}${op}${number.startsWith('.') ? `0${number}` : number}`, metric, op: op as '<' | '>', limit });
  }
  return rules;
}

/**
 * Refuses a rule whose metric this run does not measure (pii and duplicates need
 * their sections): a gate that silently read 0 would pass what it never checked.
 */
export function checkMeasured(rules: readonly ThresholdRule[], measured: readonly Metric[], why: string, option = '--fail-on'): void {
  for (const rule of rules) {
    if (!measured.includes(rule.metric)) throw optionError('fail-on', `${option} ${rule.rule}: ${rule.metric} is not measured ${why}`);
  }
}

/** Each rule against the metrics; a rule fails when its condition holds. */
export function evaluateThresholds(rules: readonly ThresholdRule[], metrics: MetricValues): ThresholdResult[] {
  return rules.map((rule) => {
    const value = metrics[rule.metric];
    if (value === undefined) throw new Error(`internal: metric ${rule.metric} was not measured`);
    const breached = rule.op === '<' ? value < rule.limit : value > rule.limit;
    return { rule: rule.rule, metric: rule.metric, value, passed: !breached };
  });
}

/** One line per breached rule, as stderr shows it. */
export function breachLines(results: readonly ThresholdResult[], format: (value: number) => number): string[] {
  return results.filter((result) => !result.passed).map((result) => `threshold breached: ${result.rule} (value ${format(result.value)})`);
}
