/**
 * plan-options — the export options as the CLI and the config file give them
 * (`HubArgs`, text where a user typed text), whether they ask for the Hub layout,
 * and the checks that take more than a line: the config's `formats` map (built-in
 * names and custom format modules) and --compress / --compress-level. Pure; the
 * plan (lib/dataset/plan.ts) calls them.
 *
 *   wantsHubLayout({ format: 'jsonl' })                       // false: the simple layout
 *   formatsMap({ parquet: {}, mine: { module: './m.mjs' } })  // { builtIn: ['parquet'], custom: [{ name: 'mine', module: './m.mjs' }], wantsHub: true }
 */
import { CODEC_LEVELS, type Codec } from '../input/compression';
import { got, optionError } from '../errors';
import { FORMATS, type FormatName, isFormatName } from './formats';
import type { CustomFormatSpec } from './custom-format';
import type { QualityArgs } from '../quality/plan';

/** The HF-hub options of `qa-hf export`, as the CLI parsed them (strings where a user typed text). */
export interface HubArgs extends QualityArgs {
  format?: string;
  split?: string;
  seed?: unknown;
  splitKey?: string;
  stratifyBy?: string;
  /** --partition-by COLUMN, --max-partitions N: a config of the passed pairs per value (lib/dataset/partition.ts). */
  partitionBy?: string;
  maxPartitions?: unknown;
  maxShardSize?: unknown;
  compress?: string;
  compressLevel?: unknown;
  minScore?: unknown;
  systemPrompt?: unknown;
  checkpointLines?: unknown;
  /** --target-samples N: keep a deterministic sample of N passed pairs (lib/scale/sample.ts); either layout. */
  targetSamples?: unknown;
  /** --min-chars, --max-chars: `COLUMN=N,…` (lib/dataset/length-filters.ts); either layout. */
  minChars?: unknown;
  maxChars?: unknown;
  /** --max-tokens N: the rendered conversation's token budget (needs --tokenizer FOLDER); either layout. */
  maxTokens?: unknown;
  /**
   * The config's `formats` map (plain data): name → `{}` for a built-in format
   * (added to `format`'s list; a `format` given too replaces the built-in names),
   * or `{ module: path }` for a custom format module (lib/dataset/custom-format.ts).
   */
  formats?: unknown;
}

/** --compress: none, or the codec of the text formats (zstd also Parquet's codec, inside the file). */
export type Compression = 'none' | Codec;

/** True when these options ask for the Hub layout. */
export function wantsHubLayout(args: HubArgs): boolean {
  const onlyJsonl = args.format === undefined || args.format.split(',').every((name) => name.trim() === 'jsonl');
  // `--compress none` asks for no compression, which the simple layout already is: not a layout switch.
  const compress = args.compress === undefined || args.compress.trim() === 'none' ? undefined : args.compress;
  return !onlyJsonl || formatsMap(args.formats).wantsHub || [args.split, compress, args.maxShardSize, args.minScore, args.tiers, args.partitionBy].some((value) => value !== undefined);
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
    throw optionError('formats', `option formats must map format names to {} or {module: path}, ${got(value)}`);
  }
  const builtIn: FormatName[] = [];
  const custom: CustomFormatSpec[] = [];
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw optionError('formats', `option formats.${name} must be {} (a built-in format) or {module: path}, ${got(entry)}`);
    }
    const keys = Object.keys(entry);
    const module = (entry as { module?: unknown }).module;
    if (keys.some((key) => key !== 'module')) throw optionError('formats', `option formats.${name} takes only module, ${got(entry)}`);
    if (module === undefined) {
      if (!isFormatName(name)) throw optionError('formats', `option formats.${name} is not a built-in format (${Object.keys(FORMATS).join(', ')}); a custom one needs {module: path}, ${got(entry)}`);
      builtIn.push(name);
      continue;
    }
    if (typeof module !== 'string' || module === '') throw optionError('formats', `option formats.${name}.module must be a file path, ${got(module)}`);
    if (isFormatName(name) || name === 'default' || name === 'rejected' || !CUSTOM_NAME.test(name)) {
      throw optionError('formats', `option formats.${name}: a custom format needs a name of its own (letters, digits, _ and -; not a built-in format, default or rejected), ${got(name)}`);
    }
    custom.push({ name, module });
  }
  custom.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { builtIn, custom, wantsHub: custom.length > 0 || builtIn.some((name) => name !== 'jsonl') };
}

/** The codec names --compress takes. */
const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'zstd'];

/**
 * --compress and --compress-level. gzip compresses the text formats; Parquet stays
 * snappy inside (a gzip codec inside Parquet decodes slowly and gains little), so
 * gzip needs a text format. zstd compresses the text formats as `.zst` frames and
 * is the codec inside Parquet. Never an outer compressor around a Parquet file.
 */
export function compressionOptions(args: HubArgs, formats: readonly FormatName[]): { compression: Compression; compressionLevel?: number } {
  const compression = (args.compress ?? 'none').trim() as Compression;
  if (!COMPRESSIONS.includes(compression)) {
    throw optionError('compress', `--compress must be gzip, zstd or none, ${got(args.compress)}`);
  }
  if (compression === 'none') {
    if (args.compressLevel !== undefined) throw optionError('compress-level', `--compress-level needs --compress gzip or zstd, ${got(args.compressLevel)}`, 'ERR_USAGE');
    return { compression };
  }
  if (compression === 'gzip' && !formats.some((format) => FORMATS[format].compressible) && formatsMap(args.formats).custom.length === 0) {
    throw optionError('compress', `--compress gzip applies to jsonl, csv, messages, alpaca, sharegpt and prompt-completion; parquet is compressed inside (snappy, or --compress zstd), ${got(args.format)}`, 'ERR_USAGE');
  }
  const levels = CODEC_LEVELS[compression];
  if (args.compressLevel === undefined) return { compression, compressionLevel: levels.default };
  const raw = args.compressLevel;
  const level = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof level !== 'number' || !Number.isSafeInteger(level) || level < levels.min || level > levels.max) {
    throw optionError('compress-level', `--compress-level must be an integer from ${levels.min} to ${levels.max} for ${compression}, ${got(raw)}`);
  }
  return { compression, compressionLevel: level };
}
