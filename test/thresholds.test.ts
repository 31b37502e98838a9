/** lib/quality/thresholds.ts: --fail-on rules parsed up front, each metric and operator evaluated, unmeasured metrics refused. */
import { METRICS, breachLines, checkMeasured, evaluateThresholds, parseThresholds } from '../lib/quality/thresholds';
import { normalizeReportOptions } from '../lib/options';
import { roundFloat } from '../lib/quality/stats';
import { thrown } from './helpers';

describe('parseThresholds', () => {
  test('the issue example, normalized', () => {
    expect(parseThresholds('pii>0, duplicates>0.01 ,pass_rate<.6')).toEqual([
      { rule: 'pii>0', metric: 'pii', op: '>', limit: 0 },
      { rule: 'duplicates>0.01', metric: 'duplicates', op: '>', limit: 0.01 },
      { rule: 'pass_rate<0.6', metric: 'pass_rate', op: '<', limit: 0.6 },
    ]);
    expect(parseThresholds(undefined)).toEqual([]);
  });

  test.each([
    ['pii>=0', '--fail-on rule must be METRIC<NUMBER or METRIC>NUMBER (metrics: pii, pii_written, duplicates, near_duplicates, pass_rate, language_mismatch, errors, too_short, too_long, too_many_tokens, leaks, contaminated), got "pii>=0"'],
    ['pii', '--fail-on rule must be METRIC<NUMBER or METRIC>NUMBER (metrics: pii, pii_written, duplicates, near_duplicates, pass_rate, language_mismatch, errors, too_short, too_long, too_many_tokens, leaks, contaminated), got "pii"'],
    ['pii>-1', '--fail-on rule must be METRIC<NUMBER or METRIC>NUMBER (metrics: pii, pii_written, duplicates, near_duplicates, pass_rate, language_mismatch, errors, too_short, too_long, too_many_tokens, leaks, contaminated), got "pii>-1"'],
    ['speed>1', '--fail-on names an unknown metric (metrics: pii, pii_written, duplicates, near_duplicates, pass_rate, language_mismatch, errors, too_short, too_long, too_many_tokens, leaks, contaminated), got "speed"'],
    ['pii>0,', '--fail-on has an empty rule, got "pii>0,"'],
    ['pass_rate<60', '--fail-on pass_rate is a share from 0 to 1, got "pass_rate<60"'],
  ])('%j is one ERR_OPTION line', (text, message) => {
    const error = thrown(() => parseThresholds(text));
    expect(error.code).toBe('ERR_OPTION');
    expect(error.message).toBe(message);
  });

  test('the library names the option its way', () => {
    expect(thrown(() => normalizeReportOptions({ failOn: 'x>1' })).message).toMatch(/^option failOn names an unknown metric/);
    expect(thrown(() => normalizeReportOptions({ language: 'xx' }, 'cli')).message).toBe(
      '--language must be an ISO 639-1 code the detector knows (sv, en, de, …) or off, got "xx"',
    );
    expect(normalizeReportOptions({}, 'cli')).toEqual({ language: 'sv', failOn: [], tokenizer: null });
    expect(normalizeReportOptions({ language: 'off', tokenizer: 't.json' }).language).toBeNull();
  });
});

describe('evaluateThresholds', () => {
  const metrics = { pii: 12, pii_written: 0, duplicates: 0.02, near_duplicates: 0, pass_rate: 0.55, language_mismatch: 0.1, errors: 0.25, too_short: 3, too_long: 0, too_many_tokens: 1, leaks: 0, contaminated: 3 };

  test.each([
    ['pii>0', 12, false],
    ['pii>12', 12, true],
    ['pii_written>0', 0, true],
    ['duplicates>0.01', 0.02, false],
    ['near_duplicates>0', 0, true],
    ['pass_rate<0.6', 0.55, false],
    ['pass_rate<0.55', 0.55, true],
    ['language_mismatch>0.05', 0.1, false],
    ['errors>0.3', 0.25, true],
    ['errors<0.3', 0.25, false],
  ])('%s: value %d, passed %s', (rule, value, passed) => {
    const [result] = evaluateThresholds(parseThresholds(rule), metrics);
    expect(result).toEqual({ rule, metric: rule.split(/[<>]/)[0], value, passed });
  });

  test('every metric can be named', () => {
    const results = evaluateThresholds(parseThresholds(METRICS.map((metric) => `${metric}>0`).join(',')), metrics);
    expect(results.map((result) => result.passed)).toEqual([false, true, false, true, false, false, false, false, true, false, true, false]);
  });

  test('breached rules, one line each', () => {
    const results = evaluateThresholds(parseThresholds('pii>0,errors>0.3,pass_rate<0.6'), { ...metrics, pass_rate: 2 / 3 - 0.1 });
    expect(breachLines(results, roundFloat)).toEqual(['threshold breached: pii>0 (value 12)', 'threshold breached: pass_rate<0.6 (value 0.566667)']);
  });
});

describe('checkMeasured', () => {
  test('a rule on a metric the run does not measure is refused, naming it', () => {
    const error = thrown(() => checkMeasured(parseThresholds('pass_rate<0.5,pii>0'), ['pass_rate', 'errors'], 'by this run (no PII or dedup section)'));
    expect(error.code).toBe('ERR_OPTION');
    expect(error.message).toBe('--fail-on pii>0: pii is not measured by this run (no PII or dedup section)');
    expect(() => checkMeasured(parseThresholds('pass_rate<0.5'), ['pass_rate'], '')).not.toThrow();
  });
});
