/**
 * hub — the plan of an export, either layout (`normalizeExportPlan`; the Hub
 * layout's options: `qa-hf export --format … --split …`), and the pure pieces the
 * dataset sink and the export session share: the outputs of a plan, shard paths,
 * the checkpoint state of the outputs and the dataset card description. (The
 * min-score rule is routing: lib/route.ts.)
 *
 * The Hub layout is used when an option asks for it (a format other than jsonl,
 * --split, --compress gzip|zstd, --max-shard-size, --min-score; `--compress none` is no
 * compression, not a layout switch); otherwise an export's plan is the simple
 * layout (qa_pairs.jsonl, … in fixed files), written byte for byte as before. Options that only make
 * sense with it (--seed, --split-key, --stratify-by without --split;
 * --system-prompt without a chat format) are usage errors, not ignored.
 *
 *   const plan = normalizeHubOptions({ format: 'jsonl,parquet', split: 'train=0.9,test=0.1' }, QA_INTERNAL);
 *   hubOutputs(plan) // [{ format: 'jsonl', channel: 'pairs', split: 'train', key: 'jsonl/pairs/train' }, …]
 */
import { CODEC_LEVELS, type Codec, type CodecChoice } from './compression';
import { QaHfError, got } from './errors';
import {
  CHAT_FORMATS,
  FORMATS,
  type FormatName,
  configDirectory,
  normalizeSystemPrompt,
  isFormatName,
  parseFormatList,
  requireChatColumns,
} from './formats';
import type { CustomFormat, CustomFormatSpec } from './custom-format';
import type { Row } from './batch';
import { BELOW_MIN_SCORE, SCORE_COLUMN } from './route';
import { type QualityArgs, type QualityPlan, normalizeQualityPlan, tierNames } from './quality';
import type { CardConfig, CardDescription, CardFile, CardMeta } from './card';
import type { PairChannel, Preset } from './presets';
import type { ParquetShardState } from './parquet';
import { DEFAULT_ROW_GROUP_BYTES, DEFAULT_ROW_GROUP_ROWS } from './parquet';
import { DEFAULT_MAX_SHARD_BYTES, type ShardRollerState, parseByteSize, shardTempName } from './shards';
import { renderSplitReport } from './stats';
import { zstdLibrary } from './zstd';
import { targetSamplesOption } from './sample';
import {
  DEFAULT_SPLIT_SPEC_TEXT,
  SPLIT_RULE,
  type SplitSpec,
  type SplitTrackerReport,
  type SplitTrackerState,
  normalizeSeed,
  parseSplitSpec,
} from './split';

/** The HF-hub options of `qa-hf export`, as the CLI parsed them (strings where a user typed text). */
export interface HubArgs extends QualityArgs {
  format?: string;
  split?: string;
  seed?: unknown;
  splitKey?: string;
  stratifyBy?: string;
  maxShardSize?: unknown;
  compress?: string;
  compressLevel?: unknown;
  minScore?: unknown;
  systemPrompt?: unknown;
  checkpointLines?: unknown;
  /** --target-samples N: keep a deterministic sample of N passed pairs (lib/sample.ts); either layout. */
  targetSamples?: unknown;
  /**
   * The config's `formats` map (plain data): name → `{}` for a built-in format
   * (added to `format`'s list; a `format` given too replaces the built-in names),
   * or `{ module: path }` for a custom format module (lib/custom-format.ts).
   */
  formats?: unknown;
}

/** --compress: none, or the codec of the text formats (zstd also Parquet's codec, inside the file). */
export type Compression = 'none' | Codec;

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
  /** --pii, --dedup, --near-threshold, --tiers (lib/quality.ts); --tiers implies the Hub layout. */
  quality: QualityPlan;
  /** --target-samples: passed pairs to keep, by the bottom-k of `key` and `seed` (lib/sample.ts); absent: all. */
  targetSamples?: number;
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


/** True when these options ask for the Hub layout. */
export function wantsHubLayout(args: HubArgs): boolean {
  const onlyJsonl = args.format === undefined || args.format.split(',').every((name) => name.trim() === 'jsonl');
  // `--compress none` asks for no compression, which the simple layout already is: not a layout switch.
  const compress = args.compress === undefined || args.compress.trim() === 'none' ? undefined : args.compress;
  return !onlyJsonl || formatsMap(args.formats).wantsHub || [args.split, compress, args.maxShardSize, args.minScore, args.tiers].some((value) => value !== undefined);
}

/** Names a custom format may take: a config and folder name (no `/`), never a built-in's, `default` or `rejected`. */
const CUSTOM_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/**
 * The `formats` map: built-in names (`{}`) and custom modules (`{module}`), checked.
 * ERR_OPTION naming the key; `wantsHub`: anything but jsonl alone.
 */
export function formatsMap(value: unknown): { builtIn: FormatName[]; custom: CustomFormatSpec[]; wantsHub: boolean } {
  if (value === undefined) return { builtIn: [], custom: [], wantsHub: false };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new QaHfError('ERR_OPTION', `option formats must map format names to {} or {module: path}, ${got(value)}`);
  }
  const builtIn: FormatName[] = [];
  const custom: CustomFormatSpec[] = [];
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new QaHfError('ERR_OPTION', `option formats.${name} must be {} (a built-in format) or {module: path}, ${got(entry)}`);
    }
    const keys = Object.keys(entry);
    const module = (entry as { module?: unknown }).module;
    if (keys.some((key) => key !== 'module')) throw new QaHfError('ERR_OPTION', `option formats.${name} takes only module, ${got(entry)}`);
    if (module === undefined) {
      if (!isFormatName(name)) throw new QaHfError('ERR_OPTION', `option formats.${name} is not a built-in format (${Object.keys(FORMATS).join(', ')}); a custom one needs {module: path}, ${got(entry)}`);
      builtIn.push(name);
      continue;
    }
    if (typeof module !== 'string' || module === '') throw new QaHfError('ERR_OPTION', `option formats.${name}.module must be a file path, ${got(module)}`);
    if (isFormatName(name) || name === 'default' || name === 'rejected' || !CUSTOM_NAME.test(name)) {
      throw new QaHfError('ERR_OPTION', `option formats.${name}: a custom format needs a name of its own (letters, digits, _ and -; not a built-in format, default or rejected), ${got(name)}`);
    }
    custom.push({ name, module });
  }
  custom.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { builtIn, custom, wantsHub: custom.length > 0 || builtIn.some((name) => name !== 'jsonl') };
}

/** The codec names --compress takes. */
const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'zstd'];

/** The default --split-key: `question`, or the first column of a mapping without one (documents: `id`). */
export function defaultSplitKey(preset: Preset): string {
  const names = preset.pairColumns.map((column) => column.name);
  return names.includes(DEFAULT_SPLIT_KEY) || names.length === 0 ? DEFAULT_SPLIT_KEY : names[0];
}

function columnOption(option: string, value: unknown, preset: Preset): string {
  const names = preset.pairColumns.map((column) => column.name);
  if (typeof value !== 'string' || !names.includes(value)) {
    throw new QaHfError('ERR_OPTION', `${option} must name an output column (${names.join(', ')}), ${got(value)}`);
  }
  return value;
}

/** --checkpoint-lines (hidden, for tests): input lines between fixed checkpoint positions, either layout. */
function checkpointLinesOf(args: HubArgs): number {
  return args.checkpointLines === undefined ? DEFAULT_CHECKPOINT_LINES : positiveInteger('--checkpoint-lines', args.checkpointLines);
}

function positiveInteger(option: string, value: unknown): number {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 1) {
    throw new QaHfError('ERR_OPTION', `${option} must be a positive integer, ${got(value)}`);
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
      ['--seed', args.seed],
      ['--split-key', args.splitKey],
      ['--stratify-by', args.stratifyBy],
    ] as const) {
      if (value !== undefined) throw new QaHfError('ERR_USAGE', `${option} needs --split, ${got(value)}`);
    }
    if (args.systemPrompt !== undefined) {
      throw new QaHfError('ERR_USAGE', `--system-prompt needs --format messages, alpaca, sharegpt or prompt-completion, ${got(args.systemPrompt)}`);
    }
    if (args.compress !== undefined) compressionOptions(args, ['jsonl']); // `none`: still checked, never silently taken
    else if (args.compressLevel !== undefined) throw new QaHfError('ERR_USAGE', `--compress-level needs --compress gzip or zstd, ${got(args.compressLevel)}`);
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
  const key = columnOption('--split-key', args.splitKey ?? defaultSplitKey(preset), preset);
  const stratifyBy = args.stratifyBy === undefined ? undefined : columnOption('--stratify-by', args.stratifyBy, preset);

  // --max-shard-size: bytes per shard before the next one starts.
  const maxShardBytes = args.maxShardSize === undefined ? DEFAULT_MAX_SHARD_BYTES : parseByteSize(args.maxShardSize);

  // --compress, --compress-level: the text formats' codec (and Parquet's with zstd).
  const { compression, compressionLevel } = compressionOptions(args, formats);

  // --min-score: pairs scoring below it go to the rejected output.
  let minScore: number | undefined;
  if (args.minScore !== undefined) {
    minScore = typeof args.minScore === 'string' && args.minScore.trim() !== '' ? Number(args.minScore) : (args.minScore as number);
    if (typeof minScore !== 'number' || !Number.isFinite(minScore) || minScore < 0 || minScore > 1) {
      throw new QaHfError('ERR_OPTION', `--min-score must be a number from 0 to 1, ${got(args.minScore)}`);
    }
    if (!preset.pairColumns.some((column) => column.name === SCORE_COLUMN)) {
      throw new QaHfError('ERR_USAGE', `--min-score needs a ${SCORE_COLUMN} column, which preset ${preset.name} does not write`);
    }
  }

  // --system-prompt: only the chat formats carry it.
  const systemPrompt = normalizeSystemPrompt(args.systemPrompt);
  if (systemPrompt !== undefined && !formats.some((format) => CHAT_FORMATS.includes(format))) {
    throw new QaHfError('ERR_USAGE', `--system-prompt needs --format messages, alpaca, sharegpt or prompt-completion, ${got(args.format ?? 'jsonl')}`);
  }

  const checkpointLines = checkpointLinesOf(args);

  // --pii, --dedup, --near-threshold, --tiers: the quality rules (routing).
  const quality = normalizeQualityPlan(args);
  if (quality.tiers && !preset.pairColumns.some((column) => column.name === SCORE_COLUMN)) {
    throw new QaHfError('ERR_USAGE', `--tiers needs a ${SCORE_COLUMN} column, which preset ${preset.name} does not write`);
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
  };
}

/** --target-samples, only when given: other plans stay as they were. */
function targetSamples(args: HubArgs): { targetSamples?: number } {
  const target = targetSamplesOption(args.targetSamples);
  return target === undefined ? {} : { targetSamples: target };
}

/**
 * --compress and --compress-level. gzip compresses the text formats; Parquet stays
 * snappy inside (a gzip codec inside Parquet decodes slowly and gains little), so
 * gzip needs a text format. zstd compresses the text formats as `.zst` frames and
 * is the codec inside Parquet. Never an outer compressor around a Parquet file.
 */
function compressionOptions(args: HubArgs, formats: readonly FormatName[]): { compression: Compression; compressionLevel?: number } {
  const compression = (args.compress ?? 'none').trim() as Compression;
  if (!COMPRESSIONS.includes(compression)) {
    throw new QaHfError('ERR_OPTION', `--compress must be gzip, zstd or none, ${got(args.compress)}`);
  }
  if (compression === 'none') {
    if (args.compressLevel !== undefined) throw new QaHfError('ERR_USAGE', `--compress-level needs --compress gzip or zstd, ${got(args.compressLevel)}`);
    return { compression };
  }
  if (compression === 'gzip' && !formats.some((format) => FORMATS[format].compressible) && formatsMap(args.formats).custom.length === 0) {
    throw new QaHfError('ERR_USAGE', `--compress gzip applies to jsonl, csv, messages, alpaca, sharegpt and prompt-completion; parquet is compressed inside (snappy, or --compress zstd), ${got(args.format)}`);
  }
  const levels = CODEC_LEVELS[compression];
  if (args.compressLevel === undefined) return { compression, compressionLevel: levels.default };
  const raw = args.compressLevel;
  const level = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof level !== 'number' || !Number.isSafeInteger(level) || level < levels.min || level > levels.max) {
    throw new QaHfError('ERR_OPTION', `--compress-level must be an integer from ${levels.min} to ${levels.max} for ${compression}, ${got(raw)}`);
  }
  return { compression, compressionLevel: level };
}

/** The codec of the text formats' shards, or null when they are plain. */
export function textCompression(plan: HubPlan): CodecChoice | null {
  return plan.compression === 'none' ? null : { codec: plan.compression, level: plan.compressionLevel! };
}

/** The codec inside Parquet files: zstd with --compress zstd, else snappy (also with --compress gzip). */
export function parquetCompression(plan: HubPlan): { codec: 'SNAPPY' } | { codec: 'ZSTD'; level: number } {
  return plan.compression === 'zstd' ? { codec: 'ZSTD', level: plan.compressionLevel! } : { codec: 'SNAPPY' };
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

// ---------------------------------------------------------------------------
// Outputs

/** One output: the shards of one (format, channel, split). */
export interface HubOutput {
  /** A built-in format's name, or a custom format's (`custom`). */
  format: string;
  custom: boolean;
  channel: PairChannel;
  /** --tiers: the tier of these pairs (a config of its own); null otherwise. */
  tier: string | null;
  split: string;
  /** `jsonl/pairs/train`, a tier's `jsonl/tier_high/train`: the key of its checkpoint state. */
  key: string;
  /** Folder relative to --out: `jsonl`, `rejected/jsonl`, `tier_high/jsonl`, … */
  directory: string;
  extension: string;
  /** Text formats with --compress gzip|zstd: the codec of its members; null when plain (and for Parquet, compressed inside). */
  compression: CodecChoice | null;
}

/** What the outputs of a custom format are: JSONL (compressible), pairs only, like the chat formats. */
const CUSTOM_OUTPUT = { extension: 'jsonl', compressible: true, rejected: false } as const;

/** Whether a format (built-in or custom) is written for rejected rows. */
export function writesRejected(format: string): boolean {
  return isFormatName(format) ? FORMATS[format].rejected : CUSTOM_OUTPUT.rejected;
}

export function hubOutput(plan: HubPlan, format: string, channel: PairChannel, split: string, tier: string | null = null): HubOutput {
  const spec = isFormatName(format) ? FORMATS[format] : CUSTOM_OUTPUT;
  return {
    format,
    custom: !isFormatName(format),
    channel,
    tier,
    split,
    key: outputKey(format, channel, split, tier),
    directory: configDirectory(format, channel, tier),
    extension: spec.extension,
    compression: spec.compressible ? textCompression(plan) : null,
  };
}

/** The checkpoint key of an output: `jsonl/pairs/train`, `jsonl/rejected/train`, a tier's `jsonl/tier_high/train`. */
export function outputKey(format: string, channel: PairChannel, split: string, tier: string | null = null): string {
  return `${format}/${channel === 'pairs' && tier !== null ? `tier_${tier}` : channel}/${split}`;
}

/** The (format, channel, tier, split) of an output key (outputKey's inverse). */
export function parseOutputKey(key: string): { format: string; channel: PairChannel; tier: string | null; split: string } {
  const [format, middle, split] = key.split('/') as [string, string, string];
  if (middle.startsWith('tier_')) return { format, channel: 'pairs', tier: middle.slice('tier_'.length), split };
  return { format, channel: middle as PairChannel, tier: null, split };
}

/** The config groups of a format: its pairs (one per tier with --tiers), then rejected. */
function channelGroups(plan: HubPlan, format: string): Array<{ channel: PairChannel; tier: string | null }> {
  const tiers = tierNames(plan.quality);
  const groups: Array<{ channel: PairChannel; tier: string | null }> = tiers.length > 0 ? tiers.map((tier) => ({ channel: 'pairs' as const, tier })) : [{ channel: 'pairs', tier: null }];
  if (writesRejected(format)) groups.push({ channel: 'rejected', tier: null });
  return groups;
}

/** Every output the plan may write, formats in canonical order, then channel (tiers in order), then split. */
export function hubOutputs(plan: HubPlan): HubOutput[] {
  const outputs: HubOutput[] = [];
  for (const format of planFormats(plan)) {
    for (const { channel, tier } of channelGroups(plan, format)) {
      if (plan.fixed.includes(channel)) continue; // a fixed file, not shards
      for (const split of plan.spec.names) outputs.push(hubOutput(plan, format, channel, split, tier));
    }
  }
  return outputs;
}

/** Every format of the plan: the built-in ones in canonical order, then the custom ones by name. */
export function planFormats(plan: HubPlan): string[] {
  return [...plan.formats, ...plan.custom.map((format) => format.name)];
}

/** Config folders a plan can write to (for sweeping a fresh start). */
export function hubDirectories(plan: HubPlan): string[] {
  return [...new Set(hubOutputs(plan).map((output) => output.directory))];
}

/** A finished shard before the total is known: `jsonl/.train-00000.jsonl.partial`. */
export function shardDonePath(output: HubOutput, index: number): string {
  return `${output.directory}/${shardTempName(output.split, index, output.extension, output.compression?.codec)}`;
}

/** The shard being written: `jsonl/.train-00000.jsonl.partial.open` (pid-free, so a resume reopens it). */
export function shardOpenPath(output: HubOutput, index: number): string {
  return `${shardDonePath(output, index)}.open`;
}

/** Names a fresh start removes from a config folder: shards and temp shards of any split. */
const SHARD_FILE = /^\.?[A-Za-z0-9_]+-\d{5}(?:-of-\d{5})?\.(?:jsonl|parquet|csv)(?:\.gz|\.zst)?(?:\.partial(?:\.open)?)?$/;

export function isShardFile(name: string): boolean {
  return SHARD_FILE.test(name);
}

/** The stratum of a row: its --stratify-by value as text. */
export function stratumOf(row: Row, field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  const value = row[field];
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

// ---------------------------------------------------------------------------
// Checkpoint state

/** Per output, all a checkpoint needs to continue it byte for byte. */
export interface HubOutputState {
  key: string;
  /** Shards finished and committed under their `.partial` names. */
  done: number;
  /** Records per finished shard. */
  doneRecords: number[];
  /** Bytes on disk per finished shard. */
  doneBytes: number[];
  /** The open shard: its index is `done`, its committed length `bytes`. */
  open: { bytes: number; records: number; parquet?: ParquetShardState } | null;
  /** Text formats: the shard roller. */
  roller?: ShardRollerState;
  /** Card accumulators: exact counts. */
  numExamples: number;
  /** Uncompressed bytes written (text formats), file bytes (parquet). */
  numBytes: number;
}

export interface HubState {
  outputs: HubOutputState[];
  tracker: SplitTrackerState;
  /** Pairs moved to rejected by --min-score. */
  belowMinScore: number;
}

export function emptyOutputState(key: string): HubOutputState {
  return { key, done: 0, doneRecords: [], doneBytes: [], open: null, numExamples: 0, numBytes: 0 };
}

// ---------------------------------------------------------------------------
// Card

export interface FinalShard {
  /** Path relative to --out. */
  path: string;
  bytes: number;
  records: number;
}

/** The card's view of what was written: per config, per split, the final files. */
export function cardConfigs(plan: HubPlan, state: HubState, files: Map<string, FinalShard[]>): CardConfig[] {
  const configs: CardConfig[] = [];
  const byKey = new Map(state.outputs.map((output) => [output.key, output]));
  for (const format of planFormats(plan)) {
    const custom = plan.custom.find((item) => item.name === format);
    for (const { channel, tier } of channelGroups(plan, format)) {
      const splits = plan.spec.names.map((split) => {
        const output = hubOutput(plan, format, channel, split, tier);
        const written = byKey.get(output.key);
        const shards = files.get(output.key) ?? [];
        return {
          name: split,
          numExamples: written?.numExamples ?? 0,
          numBytes: written?.numBytes ?? 0,
          files: shards.map((shard): CardFile => ({ name: shard.path.slice(output.directory.length + 1), bytes: shard.bytes })),
        };
      });
      const inTier = tier !== null ? { tier } : {};
      if (custom === undefined) configs.push({ format: format as FormatName, channel, ...inTier, splits });
      else configs.push({ format, channel, ...inTier, splits, custom: { module: custom.module, columns: 'columns' in custom ? custom.columns : [] } });
    }
  }
  return configs;
}

export interface CardFacts {
  title: string;
  loadPath: string;
  preset: Preset;
  counts: { lines: number; pairs: number; rejected: number; errors: number; blank: number; notSampled?: number };
  report: SplitTrackerReport;
  /** --version: the dataset's version. */
  version?: string;
  /** The user's card metadata (config `card:`, --card-* flags). */
  card?: CardMeta;
}

/** What a dataset's rows are, by its columns: question–answer pairs, conversations, or records of the columns named. */
export function whatRowsAre(columns: readonly { name: string }[]): string {
  const names = columns.map((column) => column.name);
  if (names.includes('question') && names.includes('answer')) return 'Question–answer pairs';
  if (names.includes('messages')) return 'Conversations';
  return `Records (${names.map((name) => `\`${name}\``).join(', ')})`;
}

/** The CardDescription of a finished export. */
export function describeExport(plan: HubPlan, state: HubState, files: Map<string, FinalShard[]>, facts: CardFacts): CardDescription {
  const { counts } = facts;
  const rows: Array<Array<string | number>> = [
    ['input lines', counts.lines],
    ['pairs (passed)', counts.pairs],
    ['rejected', counts.rejected],
  ];
  if (plan.minScore !== undefined) rows.push([`of which below --min-score ${plan.minScore}`, state.belowMinScore]);
  if (plan.targetSamples !== undefined) rows.push([`passed pairs not sampled (--target-samples ${plan.targetSamples})`, counts.notSampled ?? 0]);
  rows.push(['bad lines (qa_errors.jsonl)', counts.errors], ['blank lines', counts.blank]);
  const formats = planFormats(plan).map((format) => `\`${format}\``).join(', ');
  const card = facts.card ?? {};
  const generated = [
    `${whatRowsAre(facts.preset.pairColumns)} exported by qa-hf (preset \`${facts.preset.name}\`) in ${formats}.`,
    `${whatRowsAre(facts.preset.pairColumns) === 'Question–answer pairs' ? 'Pairs' : 'Rows'} that failed validation are in the \`rejected\` configs, with \`failure_reason\`` +
      (plan.minScore !== undefined ? ` (\`${BELOW_MIN_SCORE}\` for pairs scoring below ${plan.minScore})` : '') +
      '; input lines that could not be read are listed in `qa_errors.jsonl` with file, line and byte offset.',
    ...(plan.targetSamples === undefined
      ? []
      : [`The passed pairs are a deterministic sample of at most ${plan.targetSamples}: those with the smallest hash of \`${plan.key}\` (seed ${plan.seed}), so the same corpus gives the same sample and a grown one keeps most of it.`]),
  ].join(' ');
  return {
    title: card.name ?? facts.title,
    ...(facts.version !== undefined ? { version: facts.version } : {}),
    summary: card.description === undefined ? generated : `${card.description.trim()}\n\n${generated}`,
    ...(card.language ? { language: card.language } : {}),
    ...(card.license ? { license: card.license } : {}),
    ...(card.task_categories ? { taskCategories: card.task_categories } : {}),
    ...(card.tags ? { tags: card.tags } : {}),
    loadPath: facts.loadPath,
    columns: { pairs: facts.preset.pairColumns, rejected: facts.preset.rejectedColumns },
    systemPrompt: plan.systemPrompt,
    configs: cardConfigs(plan, state, files),
    split: { spec: plan.spec, seed: plan.seed, key: plan.key, stratifyBy: plan.stratifyBy, report: facts.report },
    stats: { header: ['', 'records'], rows },
  };
}

/** The `split` section of stats.json: the rule and the achieved ratios (pairs). */
export function splitStats(plan: HubPlan, report: SplitTrackerReport): Record<string, unknown> {
  return {
    rule: SPLIT_RULE,
    seed: plan.seed,
    key: plan.key,
    stratify_by: plan.stratifyBy ?? null,
    note:
      'Splits come from a hash of the key, so a record never moves when the corpus grows and duplicates share a split. ' +
      'Stratification is measured, not enforced: every stratum gets the target ratios in expectation (binomial noise).',
    counted: 'pairs',
    ...renderSplitReport(report),
  };
}
