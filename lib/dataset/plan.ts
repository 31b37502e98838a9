/**
 * plan — the plan of an export, either layout (`normalizeExportPlan`): every
 * option checked and made one value before any file is touched; a bad one is one
 * ERR_OPTION/ERR_USAGE line. The options as given and the checks that take more than
 * a line are in lib/dataset/plan-options.ts; what a plan writes is lib/dataset/outputs.ts. (The
 * min-score rule is routing: lib/dataset/route.ts.)
 *
 * The Hub layout is used when an option asks for it (a format other than jsonl,
 * --split, --compress gzip|zstd, --max-shard-size, --min-score; `--compress none` is no
 * compression, not a layout switch); otherwise an export's plan is the simple
 * layout (qa_pairs.jsonl, … in fixed files), written byte for byte as before. Options that only make
 * sense with it (--seed, --split-key, --stratify-by without --split;
 * --system-prompt without a chat format) are usage errors, not ignored.
 *
 *   const plan = normalizeExportPlan({ format: 'jsonl,parquet', split: 'train=0.9,test=0.1' }, QA_INTERNAL);
 *   plan.layout                          // 'hub'
 *   hubOptionsRecord(plan, library)      // what of it goes into the options hash
 */
import { got, optionError } from '../errors';
import { CHAT_FORMATS, type FormatName, isPreferenceFormat, normalizeSystemPrompt, parseFormatList } from './formats';
import { requireChatColumns } from './line-formats';
import type { CustomFormat, CustomFormatSpec } from './custom-format';
import { SCORE_COLUMN } from './route';
import { type QualityPlan, normalizeQualityPlan } from '../quality/plan';
import type { Preset } from '../input/presets';
import { DEFAULT_ROW_GROUP_BYTES, DEFAULT_ROW_GROUP_ROWS } from './parquet';
import { DEFAULT_MAX_SHARD_BYTES, parseByteSize } from './shards';
import { zstdLibrary } from './zstd';
import { targetSamplesOption } from '../scale/sample';
import { DEFAULT_MAX_PARTITIONS } from './partition';
import { DEFAULT_SPLIT_SPEC_TEXT, SPLIT_RULE, type SplitSpec, normalizeSeed, parseSplitSpec } from './split';
import { type HubArgs, type Compression, wantsHubLayout, formatsMap, compressionOptions } from './plan-options';
import type { RoutedMetric } from '../quality/thresholds';
import type { ChatTokensSpec } from '../quality/chat-tokens';
import { type CharLimits, charLimitsRecord, checkCharLimits, parseCharLimits } from './length-filters';

/** An export's plan (both layouts): the name the session uses. */
export type ExportPlan = HubPlan;

/** The files written whole under a fixed name, by channel: `qa_errors.jsonl` always, the simple layout's pairs and rejected too. */
export const FIXED_FILES = {
  pairs: 'qa_pairs.jsonl',
  rejected: 'qa_rejected.jsonl',
  errors: 'qa_errors.jsonl',
} as const;
export type FixedChannel = keyof typeof FIXED_FILES;

/**
 * The plan of an export, either layout. The simple layout is a plan like any
 * other: jsonl, one split, no shard limit, no compression, no card, and its pairs
 * and rejected rows in fixed files (`fixed`) instead of shards.
 */
export interface HubPlan {
  /** `simple`: qa_pairs.jsonl, qa_rejected.jsonl, qa_errors.jsonl; `hub`: shards per format and split, a dataset card. */
  layout: 'simple' | 'hub';
  /** Channels written to one file of a fixed name (FIXED_FILES), in this order; the others go to shards. */
  fixed: FixedChannel[];
  formats: FormatName[];
  /**
   * Custom format modules, by name (sorted): as normalized, their names and paths;
   * once the command has loaded them (lib/io/format-module.ts), the checked formats.
   */
  custom: ReadonlyArray<CustomFormatSpec | CustomFormat>;
  /** The --split text as normalized (`name=ratio,…`), part of the options hash. */
  splitText: string;
  spec: SplitSpec;
  seed: number;
  /** Flat-row column hashed for the split. */
  key: string;
  stratifyBy?: string;
  /** --partition-by: the column whose value names a passed pair's config (lib/dataset/partition.ts); absent: one config of pairs. */
  partitionBy?: string;
  /** --max-partitions: with partitionBy, the most configs it may make. */
  maxPartitions?: number;
  maxShardBytes: number;
  compression: Compression;
  /** --compress-level, or the codec's default; absent with `none`. */
  compressionLevel?: number;
  minScore?: number;
  systemPrompt?: string;
  /** Input lines between checkpoints (the only flush points, so bytes do not depend on timing). */
  checkpointLines: number;
  rowGroupRows: number;
  rowGroupBytes: number;
  /** --pii, --dedup, --near-threshold, --tiers (lib/quality/plan.ts); --tiers implies the Hub layout. */
  quality: QualityPlan;
  /** --target-samples: passed pairs to keep, by the bottom-k of `key` and `seed` (lib/scale/sample.ts); absent: all. */
  targetSamples?: number;
  /** --min-chars, --max-chars (lib/dataset/length-filters.ts): either layout; absent: no limit. */
  minChars?: CharLimits;
  maxChars?: CharLimits;
  /** --max-tokens: pairs whose conversation, rendered with the model's chat template, has more tokens go to rejected (needs --tokenizer FOLDER). */
  maxTokens?: number;
  /** The model folder of --tokenizer as data (lib/quality/chat-tokens.ts), filled by the command once it has read it; absent before and without one. */
  chat?: ChatTokensSpec;
}

/** Default --seed: any fixed number does; this one is what most HF examples use. */
export const DEFAULT_SEED = 42;
export const DEFAULT_SPLIT_KEY = 'question';
/**
 * Lines between the fixed checkpoint positions: 50 000 typical 1.3 kB records ≈ 65 MB
 * of input, about a second of work. Each position ends a Parquet row group and a
 * gzip/zstd member in every output, and the Parquet footer keeps every row group's
 * metadata until the shard closes, so the interval sets how many there are: at
 * 5000 lines a 1.6 M-record export held 320 row groups per file (a 10 % split's
 * of ~500 rows) and its live heap grew 27 → 68 MB; at 50 000 it stays flat.
 * Flush-neutral plans (the simple layout) also checkpoint every CHECKPOINT_BYTES
 * or CHECKPOINT_MS, so for them this interval rarely matters.
 */
export const DEFAULT_CHECKPOINT_LINES = 50_000;

/** The default --split-key: `question`, or the first column of a mapping without one (documents: `id`). */
export function defaultSplitKey(preset: Preset): string {
  const names = preset.pairColumns.map((column) => column.name);
  return names.includes(DEFAULT_SPLIT_KEY) || names.length === 0 ? DEFAULT_SPLIT_KEY : names[0];
}

function columnOption(key: string, value: unknown, preset: Preset): string {
  const names = preset.pairColumns.map((column) => column.name);
  if (typeof value !== 'string' || !names.includes(value)) {
    throw optionError(key, `--${key} must name an output column (${names.join(', ')}), ${got(value)}`);
  }
  return value;
}

/** --checkpoint-lines (hidden, for tests): input lines between fixed checkpoint positions, either layout. */
function checkpointLinesOf(args: HubArgs): number {
  return args.checkpointLines === undefined ? DEFAULT_CHECKPOINT_LINES : positiveInteger('checkpoint-lines', args.checkpointLines);
}

function positiveInteger(key: string, value: unknown): number {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw optionError(key, `--${key} must be a positive integer, ${got(value)}`);
  }
  return number;
}

/**
 * The plan of a Hub-layout export, or null for the simple layout. Every option is
 * checked here, before any file is touched; a bad one is one ERR_OPTION/ERR_USAGE line.
 */
export function normalizeHubOptions(args: HubArgs, preset: Preset): HubPlan | null {
  if (!wantsHubLayout(args)) {
    for (const [option, value] of [
      ['seed', args.seed],
      ['split-key', args.splitKey],
      ['stratify-by', args.stratifyBy],
    ] as const) {
      if (value !== undefined) throw optionError(option, `--${option} needs --split, ${got(value)}`, 'ERR_USAGE');
    }
    if (args.systemPrompt !== undefined) {
      throw optionError('system-prompt', `--system-prompt needs --format messages, alpaca, sharegpt, prompt-completion, kto or dpo, ${got(args.systemPrompt)}`, 'ERR_USAGE');
    }
    if (args.maxPartitions !== undefined) throw optionError('max-partitions', `--max-partitions needs --partition-by, ${got(args.maxPartitions)}`, 'ERR_USAGE');
    if (args.compress !== undefined) compressionOptions(args, ['jsonl']); // `none`: still checked, never silently taken
    else if (args.compressLevel !== undefined) throw optionError('compress-level', `--compress-level needs --compress gzip or zstd, ${got(args.compressLevel)}`, 'ERR_USAGE');
    return null;
  }

  // --format (or the built-in names of `formats`): canonical order, distinct; a chat format needs question and answer columns.
  // `formats`' custom modules: written beside them (a custom format alone writes no jsonl).
  const map = formatsMap(args.formats);
  const formats =
    args.format !== undefined ? parseFormatList(args.format) : map.builtIn.length > 0 ? parseFormatList(map.builtIn.join(',')) : map.custom.length > 0 ? [] : ['jsonl' as const];
  for (const format of formats) if (CHAT_FORMATS.includes(format)) requireChatColumns(format, preset.pairColumns);

  // --split, --seed, --split-key, --stratify-by: the split rule.
  const spec = parseSplitSpec(args.split ?? DEFAULT_SPLIT_SPEC_TEXT);
  const splitText = spec.names.map((name, i) => `${name}=${spec.ratios[i]}`).join(',');
  const seed = normalizeSeed(args.seed ?? DEFAULT_SEED);
  const key = columnOption('split-key', args.splitKey ?? defaultSplitKey(preset), preset);
  const stratifyBy = args.stratifyBy === undefined ? undefined : columnOption('stratify-by', args.stratifyBy, preset);
  const partitions = partitionOptions(args, preset, formats);

  // kto, dpo: rejected pairs need a question and an answer too, and a prompt must never sit in two splits.
  for (const format of formats.filter(isPreferenceFormat)) {
    requireChatColumns(format, preset.rejectedColumns);
    if (key !== DEFAULT_SPLIT_KEY) {
      throw optionError('split-key', `--format ${format} splits by the question (a prompt never sits in two splits), so --split-key must be ${DEFAULT_SPLIT_KEY}, ${got(key)}`, 'ERR_USAGE');
    }
  }

  // --max-shard-size: bytes per shard before the next one starts.
  const maxShardBytes = args.maxShardSize === undefined ? DEFAULT_MAX_SHARD_BYTES : parseByteSize(args.maxShardSize);

  // --compress, --compress-level: the text formats' codec (and Parquet's with zstd).
  const { compression, compressionLevel } = compressionOptions(args, formats);

  // --min-score: pairs scoring below it go to the rejected output.
  let minScore: number | undefined;
  if (args.minScore !== undefined) {
    minScore = typeof args.minScore === 'string' && args.minScore.trim() !== '' ? Number(args.minScore) : (args.minScore as number);
    if (typeof minScore !== 'number' || !Number.isFinite(minScore) || minScore < 0 || minScore > 1) {
      throw optionError('min-score', `--min-score must be a number from 0 to 1, ${got(args.minScore)}`);
    }
    if (!preset.pairColumns.some((column) => column.name === SCORE_COLUMN)) {
      throw optionError('min-score', `--min-score needs a ${SCORE_COLUMN} column, which preset ${preset.name} does not write`, 'ERR_USAGE');
    }
  }

  // --system-prompt: only the chat formats carry it.
  const systemPrompt = normalizeSystemPrompt(args.systemPrompt);
  if (systemPrompt !== undefined && !formats.some((format) => CHAT_FORMATS.includes(format))) {
    throw optionError('system-prompt', `--system-prompt needs --format messages, alpaca, sharegpt, prompt-completion, kto or dpo, ${got(args.format ?? 'jsonl')}`, 'ERR_USAGE');
  }

  const checkpointLines = checkpointLinesOf(args);

  // --pii, --dedup, --near-threshold, --tiers: the quality rules (routing).
  const quality = normalizeQualityPlan(args);
  if (quality.tiers && !preset.pairColumns.some((column) => column.name === SCORE_COLUMN)) {
    throw optionError('tiers', `--tiers needs a ${SCORE_COLUMN} column, which preset ${preset.name} does not write`, 'ERR_USAGE');
  }

  return {
    layout: 'hub',
    fixed: ['errors'],
    formats,
    custom: map.custom,
    splitText,
    spec,
    seed,
    key,
    stratifyBy,
    maxShardBytes,
    compression,
    compressionLevel,
    minScore,
    systemPrompt,
    checkpointLines,
    rowGroupRows: DEFAULT_ROW_GROUP_ROWS,
    rowGroupBytes: DEFAULT_ROW_GROUP_BYTES,
    quality,
    ...targetSamples(args),
    ...charLimits(args, preset),
    ...partitions,
  };
}

/** --partition-by, --max-partitions, only when given (other plans stay as they were). */
function partitionOptions(args: HubArgs, preset: Preset, formats: readonly FormatName[]): { partitionBy?: string; maxPartitions?: number } {
  if (args.partitionBy === undefined) {
    if (args.maxPartitions !== undefined) throw optionError('max-partitions', `--max-partitions needs --partition-by, ${got(args.maxPartitions)}`, 'ERR_USAGE');
    return {};
  }
  const partitionBy = columnOption('partition-by', args.partitionBy, preset);
  // A pair's config is its tier's or its partition's, not both.
  if (args.tiers !== undefined) throw optionError('partition-by', `--partition-by and --tiers both make configs of the passed pairs; use one, ${got(partitionBy)}`, 'ERR_USAGE');
  // kto and dpo hold a question's passed and rejected answers together: one config each, never partitioned.
  if (formats.length > 0 && formats.every(isPreferenceFormat)) {
    throw optionError('partition-by', `--partition-by makes configs of the passed pairs, which --format ${formats.join(',')} does not write alone; add a format such as jsonl, ${got(partitionBy)}`, 'ERR_USAGE');
  }
  const maxPartitions = args.maxPartitions === undefined ? DEFAULT_MAX_PARTITIONS : positiveInteger('max-partitions', args.maxPartitions);
  return { partitionBy, maxPartitions };
}

/** --min-chars, --max-chars, checked against the preset's columns, only when given: the export's and pipe mode's (commands/pipe.ts). */
export function charLimitOptions(args: Pick<HubArgs, 'minChars' | 'maxChars'>, preset: Preset): { minChars?: CharLimits; maxChars?: CharLimits } {
  const minChars = args.minChars === undefined ? undefined : parseCharLimits(args.minChars, 'min-chars');
  const maxChars = args.maxChars === undefined ? undefined : parseCharLimits(args.maxChars, 'max-chars');
  checkCharLimits(minChars, maxChars, preset.pairColumns.map((column) => column.name), preset.name);
  return { ...(minChars ? { minChars } : {}), ...(maxChars ? { maxChars } : {}) };
}

/** --min-chars, --max-chars, --max-tokens, only when given (other plans stay as they were). */
function charLimits(args: HubArgs, preset: Preset): { minChars?: CharLimits; maxChars?: CharLimits; maxTokens?: number } {
  const maxTokens = args.maxTokens === undefined ? undefined : positiveInteger('max-tokens', args.maxTokens);
  return { ...charLimitOptions(args, preset), ...(maxTokens !== undefined ? { maxTokens } : {}) };
}

/** --target-samples, only when given: other plans stay as they were. */
function targetSamples(args: HubArgs): { targetSamples?: number } {
  const target = targetSamplesOption(args.targetSamples);
  return target === undefined ? {} : { targetSamples: target };
}

/** The one split of the simple layout (named as `datasets` names a lone split). */
const SIMPLE_SPLIT = 'train=1';

/**
 * The plan of an export in either layout; every option checked here, before any
 * file is touched. The simple layout's plan: qa_pairs.jsonl, qa_rejected.jsonl and
 * qa_errors.jsonl under fixed names, one split, no shard limit, no card.
 */
export function normalizeExportPlan(args: HubArgs, preset: Preset): ExportPlan {
  const hub = normalizeHubOptions(args, preset);
  if (hub) return hub;
  const spec = parseSplitSpec(SIMPLE_SPLIT);
  return {
    layout: 'simple',
    fixed: ['pairs', 'rejected', 'errors'],
    formats: ['jsonl'],
    custom: [],
    splitText: SIMPLE_SPLIT,
    spec,
    seed: DEFAULT_SEED,
    // No split here, but --target-samples hashes this key (`question`, or a mapping's first column).
    key: defaultSplitKey(preset),
    maxShardBytes: Number.POSITIVE_INFINITY,
    compression: 'none',
    checkpointLines: checkpointLinesOf(args),
    rowGroupRows: DEFAULT_ROW_GROUP_ROWS,
    rowGroupBytes: DEFAULT_ROW_GROUP_BYTES,
    quality: normalizeQualityPlan(args),
    ...targetSamples(args),
    ...charLimits(args, preset),
  };
}

/**
 * True when ending a flush point changes no byte: no gzip member and no Parquet
 * row group ends there. Such a plan may also checkpoint at any batch end (on a
 * byte or time cap), since where a checkpoint falls cannot show in the output.
 */
export function flushNeutral(plan: ExportPlan): boolean {
  return plan.compression === 'none' && !plan.formats.includes('parquet');
}

/** What of the plan decides output bytes: goes into the options hash, so a resume with other options is refused. */
export function hubOptionsRecord(plan: HubPlan, parquetLibrary: string): Record<string, unknown> {
  // Level and encoder only when compressing: the record (and manifest.json) of a plain export stays as it was.
  const codec = plan.compression === 'none' ? {} : { compress_level: plan.compressionLevel, ...(plan.compression === 'zstd' ? { zstd_library: zstdLibrary() } : {}) };
  return {
    formats: plan.formats,
    // Custom formats only when there are some: the record (and manifest.json) of other exports stays as it was.
    ...(plan.custom.length > 0 ? { custom_formats: plan.custom.map((format) => ({ name: format.name, module: format.module, sha256: 'sha256' in format ? format.sha256 : null })) } : {}),
    split: plan.splitText,
    split_rule: SPLIT_RULE,
    seed: plan.seed,
    split_key: plan.key,
    stratify_by: plan.stratifyBy ?? null,
    // Only when given: the record (and manifest.json) of other exports stays as it was.
    ...(plan.partitionBy !== undefined ? { partition_by: plan.partitionBy } : {}),
    max_shard_bytes: plan.maxShardBytes,
    compress: plan.compression,
    ...codec,
    min_score: plan.minScore ?? null,
    system_prompt: plan.systemPrompt ?? null,
    checkpoint_lines: plan.checkpointLines,
    row_group_rows: plan.rowGroupRows,
    row_group_bytes: plan.rowGroupBytes,
    parquet_library: plan.formats.includes('parquet') ? parquetLibrary : null,
  };
}

/** The routing filters of a plan for the options hash (--min-chars, --max-chars), or null when none is set. */
export function filtersRecord(plan: ExportPlan): Record<string, unknown> | null {
  if (plan.minChars === undefined && plan.maxChars === undefined && plan.maxTokens === undefined) return null;
  return {
    min_chars: charLimitsRecord(plan.minChars) ?? null,
    max_chars: charLimitsRecord(plan.maxChars) ?? null,
    // Only when given: the record of a --min-chars export stays as it was.
    ...(plan.maxTokens !== undefined ? { max_tokens: plan.maxTokens } : {}),
  };
}

/** The routing filters of a plan whose counts are --fail-on metrics: too_short (--min-chars), too_long (--max-chars). */
export function routedMetrics(plan: Pick<ExportPlan, 'minChars' | 'maxChars' | 'maxTokens'>): RoutedMetric[] {
  const metrics: RoutedMetric[] = [];
  if (plan.minChars !== undefined) metrics.push('too_short');
  if (plan.maxChars !== undefined) metrics.push('too_long');
  if (plan.maxTokens !== undefined) metrics.push('too_many_tokens');
  return metrics;
}
