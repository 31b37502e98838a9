/**
 * plan — the options of the quality rules (--pii, --dedup, --near-threshold,
 * --tiers) checked into a QualityPlan (pure), what of it goes into the options hash,
 * and the tiers of a plan.
 *
 *   const plan = normalizeQualityPlan({ pii: 'redact', tiers: 'high=0.85,medium=0.7' });
 *   tierNames(plan)               // ['high', 'medium', 'low']
 *   tierOf(plan.tiers!, 0.8)      // 'medium'
 */
import { got, optionError } from '../errors';
import { DEFAULT_NEAR_THRESHOLD } from './dedup';
import { DEFAULT_NGRAM } from './contamination';

/** Who names the options (lib/options.ts OptionStyle; not imported: options imports this module through lib/dataset/plan.ts). */
type OptionStyle = 'cli' | 'library';

export const PII_MODES = ['report', 'redact', 'reject'] as const;
export type PiiMode = (typeof PII_MODES)[number];
export const DEDUP_MODES = ['off', 'exact', 'near'] as const;
export type DedupMode = (typeof DEDUP_MODES)[number];

/** The tier of passed pairs below every --tiers minimum. */
export const LOW_TIER = 'low';

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
  /** --decontaminate: the evaluation sets (read by lib/io/eval-sets.ts), the n-gram length and the fields read; null without. */
  decontaminate: Decontaminate | null;
}

export interface Decontaminate {
  files: string[];
  ngram: number;
  /** Top-level fields of an evaluation record read; null: every string. */
  fields: string[] | null;
}

/** failure_reason of a pair that shares an n-gram with an evaluation set. */
export const CONTAMINATED_REASON = 'contaminated';

export const DEFAULT_QUALITY_PLAN: QualityPlan = { pii: 'report', dedup: 'off', nearThreshold: DEFAULT_NEAR_THRESHOLD, tiers: null, decontaminate: null };

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
  const bad = (why: string) => optionError('tiers', `${option} must be NAME=MIN,… (${why}), ${got(value)}`);
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
      throw optionError('tiers', `${option} minimums must differ: ${tier.text} equals ${before.text}, so ${tier.name} would get no pair, ${got(value)}`);
    }
    if (tier.min > before.min) {
      const sorted = [...tiers].sort((a, b) => b.min - a.min).map((item) => item.text).join(',');
      throw optionError('tiers', `${option} must list the tiers from the highest minimum down (${tier.text} is above ${before.text}; sorted: ${sorted}), ${got(value)}`);
    }
  }
  return tiers.map((tier) => ({ name: tier.name, min: tier.min }));
}

function choice<T extends string>(key: string, value: unknown, choices: readonly T[], fallback: T, style: OptionStyle): T {
  if (value === undefined) return fallback;
  const text = typeof value === 'string' ? value.trim() : value;
  if (!choices.includes(text as T)) throw optionError(key, `${name(key, style)} must be one of ${choices.join(', ')}, ${got(value)}`);
  return text as T;
}

/** The quality options as typed (CLI strings or library values). */
export interface QualityArgs {
  pii?: unknown;
  dedup?: unknown;
  nearThreshold?: unknown;
  tiers?: unknown;
  decontaminate?: unknown;
  decontaminateNgram?: unknown;
  decontaminateFields?: unknown;
}

/** A list option: repeated flags (an array), a config file's list, or comma-separated text. */
function textList(key: string, value: unknown, style: OptionStyle, what: string, split: boolean): string[] {
  const items = (Array.isArray(value) ? value : [value]).flatMap((item) => (typeof item === 'string' && split ? item.split(',') : [item]));
  const list = items.map((item) => (typeof item === 'string' ? item.trim() : item));
  if (list.length === 0 || list.some((item) => typeof item !== 'string' || item === '')) throw optionError(key, `${name(key, style)} must be ${what}, ${got(value)}`);
  return list as string[];
}

/** --decontaminate FILE (repeatable), --decontaminate-ngram N, --decontaminate-fields A,B: checked; null without --decontaminate. */
export function normalizeDecontaminate(args: QualityArgs, style: OptionStyle = 'cli'): Decontaminate | null {
  if (args.decontaminate === undefined) {
    for (const key of ['decontaminateNgram', 'decontaminateFields'] as const) {
      if (args[key] !== undefined) throw optionError(key, `${name(key, style)} needs ${name('decontaminate', style)} FILE, ${got(args[key])}`, 'ERR_USAGE');
    }
    return null;
  }
  const files = decontaminateFiles(args.decontaminate, style);
  const ngram = args.decontaminateNgram === undefined ? DEFAULT_NGRAM : decontaminateNgram(args.decontaminateNgram, style);
  const fields = args.decontaminateFields === undefined ? null : decontaminateFields(args.decontaminateFields, style);
  return { files, ngram, fields };
}

/** --decontaminate's value alone: one path or several. */
export function decontaminateFiles(value: unknown, style: OptionStyle = 'cli'): string[] {
  return textList('decontaminate', value, style, 'the path of an evaluation set (JSON Lines or Parquet; repeat the option for several)', false);
}

/** --decontaminate-ngram's value alone: words in an n-gram, 1–1000. */
export function decontaminateNgram(raw: unknown, style: OptionStyle = 'cli'): number {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 1000) {
    throw optionError('decontaminateNgram', `${name('decontaminateNgram', style)} must be a whole number of words from 1 to 1000, ${got(raw)}`);
  }
  return value;
}

/** --decontaminate-fields' value alone: field names, a list or comma-separated text. */
export function decontaminateFields(value: unknown, style: OptionStyle = 'cli'): string[] {
  return textList('decontaminateFields', value, style, 'field names, e.g. question,choices', true);
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
      throw optionError('nearThreshold', `${name('nearThreshold', style)} must be a number above 0 and at most 1, ${got(raw)}`);
    }
    if (dedup !== 'near') throw optionError('nearThreshold', `${name('nearThreshold', style)} needs ${name('dedup', style)} near, ${got(raw)}`, 'ERR_USAGE');
    nearThreshold = value;
  }
  const tiers = args.tiers === undefined ? null : parseTiers(args.tiers, style);
  return { pii, dedup, nearThreshold, tiers, decontaminate: normalizeDecontaminate(args, style) };
}

/**
 * What of the quality plan decides output bytes (the options hash, manifest.json); `evalSha256`:
 * with --decontaminate, the evaluation sets' sha256s (what they hold, not where they are; the command reads them).
 */
export function qualityOptionsRecord(plan: QualityPlan, evalSha256: readonly string[] = []): Record<string, unknown> {
  return {
    pii: plan.pii,
    dedup: plan.dedup,
    near_threshold: plan.dedup === 'near' ? plan.nearThreshold : null,
    tiers: plan.tiers ? plan.tiers.map((tier) => `${tier.name}=${tier.min}`).join(',') : null,
    // Only with --decontaminate: other exports keep their options hash.
    ...(plan.decontaminate ? { decontaminate: { ngram: plan.decontaminate.ngram, fields: plan.decontaminate.fields, sha256: [...evalSha256] } } : {}),
  };
}

/** True when --pii writes no personal data (`redact`, `reject`): every row and bad line written is redacted. */
export function redactsPii(plan: QualityPlan): boolean {
  return plan.pii !== 'report';
}

/** True for --pii report --dedup off without --tiers: the rules only count. */
export function isDefaultQualityPlan(plan: QualityPlan): boolean {
  return plan.pii === 'report' && plan.dedup === 'off' && plan.tiers === null && plan.decontaminate === null;
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
