/**
 * length-filters — `--min-chars question=10,answer=20` and `--max-chars answer=8000`
 * (issue 20 part 2): a pair whose mapped column is shorter than its minimum, or longer
 * than its maximum, goes to the rejected output with failure_reason `too_short` /
 * `too_long`. Pure: the limits checked into a value, and the routing rules over a row
 * (lib/dataset/route.ts runs them after --min-score).
 *
 * Characters are Unicode code points of the value as written (not trimmed: a
 * question of ten spaces has ten). A column whose value is not a string (null, a
 * number, a list) is not measured. All minimums are checked before any maximum, so a
 * row too short in one column and too long in another is `too_short`.
 *
 *   const limits = parseCharLimits('question=10,answer=20', '--min-chars');  // [['question', 10], ['answer', 20]]
 *   charLimitRule(limits, null)({ question: 'Hej?', answer: '…' })           // 'too_short'
 */
import { got, optionError } from '../errors';
import { codePointLength } from '../quality/stats';

/** failure_reason of a pair with a column below its --min-chars. */
export const TOO_SHORT = 'too_short';
/** failure_reason of a pair with a column above its --max-chars. */
export const TOO_LONG = 'too_long';

/** Column → characters, in the order given (the order of the checks, never of the outcome). */
export type CharLimits = ReadonlyArray<readonly [string, number]>;

/**
 * `COLUMN=N,…` (the config file's map arrives as this text, lib/config-merge.ts):
 * distinct column names, N a whole number ≥ 1 (a minimum of 0 filters nothing, a
 * maximum of 0 everything). `key` names the option in messages.
 */
export function parseCharLimits(value: unknown, key: 'min-chars' | 'max-chars', option = `--${key}`): CharLimits {
  const bad = (why: string) => optionError(key, `${option} must be COLUMN=N,… (${why}), ${got(value)}`);
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || text.trim() === '') throw bad('a column name and a whole number of characters, e.g. answer=20');
  const limits: Array<[string, number]> = [];
  for (const part of text.split(',')) {
    const match = /^\s*([^\s=,]+)\s*=\s*([0-9]+)\s*$/.exec(part);
    if (!match) throw bad('a column name and a whole number of characters, e.g. answer=20');
    const chars = Number(match[2]);
    if (!Number.isSafeInteger(chars) || chars < 1) throw bad(`${match[1]}: at least 1 character`);
    if (limits.some(([column]) => column === match[1])) throw bad(`${match[1]} twice`);
    limits.push([match[1], chars]);
  }
  return limits;
}

/**
 * The limits against the preset's columns (a typo would filter nothing, silently)
 * and against each other (a minimum above the maximum would reject every pair).
 */
export function checkCharLimits(min: CharLimits | undefined, max: CharLimits | undefined, columns: readonly string[], preset: string): void {
  for (const [key, limits] of [['min-chars', min], ['max-chars', max]] as const) {
    for (const [column] of limits ?? []) {
      if (!columns.includes(column)) throw optionError(key, `--${key} names ${column}, which is no column of preset ${preset} (${columns.join(', ')}), ${got(column)}`);
    }
  }
  for (const [column, low] of min ?? []) {
    const high = max?.find(([name]) => name === column)?.[1];
    if (high !== undefined && low > high) throw optionError('min-chars', `--min-chars ${column}=${low} is above --max-chars ${column}=${high}: every pair would be rejected`, 'ERR_USAGE');
  }
}

/** The limits as the options hash and the effective config record them (`{question: 10}`), or undefined. */
export function charLimitsRecord(limits: CharLimits | undefined): Record<string, number> | undefined {
  return limits === undefined ? undefined : Object.fromEntries(limits);
}

/** The routing rule of both options: `too_short`, `too_long` or null (stays). */
export function charLimitRule(min: CharLimits | null, max: CharLimits | null): (row: Record<string, unknown>) => string | null {
  const over = (limits: CharLimits | null, fails: (length: number, limit: number) => boolean, row: Record<string, unknown>) => {
    if (limits === null) return false;
    for (const [column, limit] of limits) {
      const value = row[column];
      if (typeof value === 'string' && fails(codePointLength(value), limit)) return true;
    }
    return false;
  };
  return (row) => {
    if (over(min, (length, limit) => length < limit, row)) return TOO_SHORT;
    if (over(max, (length, limit) => length > limit, row)) return TOO_LONG;
    return null;
  };
}
