/**
 * options — the one normalizer of the options of the CLI and the library (and,
 * next, the config file): each option checked in its own block, defaults filled
 * in, the caller's object never mutated. A bad value is one ERR_OPTION line that
 * names the option as its caller knows it — `--max-line-bytes` on the command
 * line, `option maxLineBytes` in the library — and ends with `got <value>`.
 *
 *   normalizeProcessingOptions({ workers: 2 })
 *   // { preset: 'qa-internal', maxLineBytes: 10485760, failFast: false, workers: 2, keepRows: true, serialize: ['pairs', 'rejected', 'errors'] }
 *   normalizeExportOptions(argv, 'cli').plan.layout // 'simple'
 */
import { got, optionError } from './errors';
import { type ExportPlan, normalizeExportPlan } from './dataset/plan';
import type { HubArgs } from './dataset/plan-options';
import { DEFAULT_MAX_LINE_BYTES } from './input/lines';
import { type MappingSpec, resolvePreset } from './input/mapping';
import { DEFAULT_PRESET, PRESET_NAMES, SEGMENTS } from './input/presets';
import { compileSegmenter, type SegmentSpec } from './input/segment';
import { isDefaultQualityPlan } from './quality/plan';
import { OUTPUT_NAMES, type OutputName } from './dataset/serialize';
import { parseByteSize } from './dataset/shards';
import { DEFAULT_LANGUAGE, DETECTABLE_LANGUAGES } from './quality/language';
import { type ThresholdRule, parseThresholds } from './quality/thresholds';

/** More workers than this is a typo, not a machine (each holds a V8 heap). */
export const MAX_WORKERS = 64;

/** Who names the options: the CLI (`--fail-fast`) or the library (`option failFast`). */
export type OptionStyle = 'cli' | 'library';

/** An option's name as its caller typed it. */
export function optionName(key: string, style: OptionStyle): string {
  return style === 'cli' ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : `option ${key}`;
}

/** `preset`: a shipped preset's name (presets/*.yaml). */
export function presetOption(value: unknown, style: OptionStyle = 'library'): string {
  if (value === undefined) return DEFAULT_PRESET;
  if (typeof value !== 'string' || !PRESET_NAMES.includes(value)) {
    throw optionError('preset', `${optionName('preset', style)} must be one of ${PRESET_NAMES.join(', ')}, ${got(value)}`);
  }
  return value;
}

/**
 * `mapping`: a declarative mapping (lib/input/mapping.ts), compiled here so a bad one
 * fails before any stream exists (ERR_CONFIG with the pointer of the bad node).
 * A shipped mapped preset's mapping is filled in by the caller (lib/io/presets.ts
 * withPresetMapping); `preset` then names it.
 */
export function mappingOption(value: unknown, preset: string, style: OptionStyle = 'library'): MappingSpec | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw optionError('mapping', `${optionName('mapping', style)} must be a mapping object, ${got(value)}`);
  }
  // A schema named by its path is read (and checked) where files are read (lib/io/presets.ts
  // loadMappingSchema, by the commands); the rest of the mapping is checked now.
  const spec = value as MappingSpec;
  resolvePreset({ preset, mapping: withoutSchemaPath(spec) });
  return spec;
}

/** A mapping whose schema is named by path, without it: what can be compiled before the file is read. */
function withoutSchemaPath(spec: MappingSpec): MappingSpec {
  return typeof spec.input?.schema === 'string' ? { ...spec, input: {} } : spec;
}

/** `workers`: threads of the worker pool, 0 (the main thread) … MAX_WORKERS. */
export function workersOption(value: unknown, style: OptionStyle = 'library', fallback = 0): number {
  if (value === undefined) return fallback;
  // The CLI passes the text as typed (a number type would turn `abc` into NaN, shown as null).
  const count = style === 'cli' && typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count > MAX_WORKERS) {
    throw optionError('workers', `${optionName('workers', style)} must be an integer from 0 to ${MAX_WORKERS}, ${got(value)}`);
  }
  return count;
}

/** A boolean option (`failFast`, `keepRows`, `byteText`, …). */
export function booleanOption(key: string, value: unknown, fallback: boolean, style: OptionStyle = 'library'): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw optionError(key, `${optionName(key, style)} must be a boolean, ${got(value)}`);
  return value;
}

/** A positive integer option (`maxLineBytes` in the library, checkpoint intervals). */
export function positiveIntegerOption(key: string, value: unknown, fallback: number, style: OptionStyle = 'library'): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw optionError(key, `${optionName(key, style)} must be a positive integer, ${got(value)}`);
  }
  return value;
}

/** A positive number option (the hidden checkpoint caps of the CLI: `--checkpoint-bytes 1e15`). */
export function positiveNumberOption(key: string, value: unknown, style: OptionStyle = 'library'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0)) throw optionError(key, `${optionName(key, style)} must be a positive number, ${got(value)}`);
  return value;
}

/**
 * `serialize`: the outputs whose JSONL bytes the processor writes into
 * `batch.output` (pairs, rejected, errors); default all three. A caller that never
 * writes an output's bytes leaves it out and saves its serializing: the Hub layout
 * writes its pairs and rejected rows to shards from `entry.row`, a dry run nothing.
 * Returned in OUTPUT_NAMES order.
 */
export function serializeOption(value: unknown, style: OptionStyle = 'library'): readonly OutputName[] {
  if (value === undefined) return OUTPUT_NAMES;
  const names: readonly unknown[] | null = Array.isArray(value) ? value : null;
  if (names === null || names.some((name) => !(OUTPUT_NAMES as readonly unknown[]).includes(name))) {
    throw optionError('serialize', `${optionName('serialize', style)} must be an array of ${OUTPUT_NAMES.join(', ')}, ${got(value)}`);
  }
  return OUTPUT_NAMES.filter((name) => names.includes(name));
}

/** `maxLineBytes`: the library takes an integer; the CLI also a size with a unit (`1MiB`). */
export function maxLineBytesOption(value: unknown, style: OptionStyle = 'library'): number {
  if (value === undefined) return DEFAULT_MAX_LINE_BYTES;
  if (style === 'cli') return parseByteSize(value, optionName('maxLineBytes', style), 'max-line-bytes');
  return positiveIntegerOption('maxLineBytes', value, DEFAULT_MAX_LINE_BYTES, style);
}

/** What the processing stages take (streams/chain.ts createProcessingStages). */
export interface ProcessingOptionsInput {
  preset?: unknown;
  mapping?: MappingSpec;
  schema?: object;
  maxLineBytes?: unknown;
  failFast?: unknown;
  workers?: unknown;
  keepRows?: unknown;
  serialize?: unknown;
  /** The config's `segment` section (lib/input/segment.ts SegmentSpec), plain data. */
  segment?: unknown;
}

/** The processing options as normalizeProcessingOptions makes them (streams/chain.ts `ProcessingOptions` is what the stages take). */
export interface NormalizedProcessingOptions {
  preset: string;
  /** Present for a mapped preset or a config's mapping: what the workers compile. */
  mapping?: MappingSpec;
  schema?: object;
  maxLineBytes: number;
  failFast: boolean;
  workers: number;
  keepRows: boolean;
  serialize: readonly OutputName[];
  segment?: SegmentSpec;
}

/** The processing options, checked and with their defaults; `options` is not changed. */
export function normalizeProcessingOptions(options: ProcessingOptionsInput = {}, style: OptionStyle = 'library'): NormalizedProcessingOptions {
  // segment: documents cut into records (lib/input/segment.ts); a bad spec or pattern is ERR_CONFIG with its pointer.
  const segment = options.segment === undefined ? undefined : (options.segment as SegmentSpec);
  if (segment !== undefined) compileSegmenter(segment);

  // preset: the input format and mapping (lib/input/presets.ts). Unnamed, a mapping is the
  // config's own (`config`); segments without a mapping are mapped by `segments`.
  const preset =
    options.preset !== undefined ? presetOption(options.preset, style) : options.mapping !== undefined ? 'config' : segment !== undefined ? SEGMENTS.name : DEFAULT_PRESET;

  // mapping: a config's mapping or a shipped mapped preset's, compiled (so checked) now.
  const mapping = mappingOption(options.mapping, preset, style);
  // Segments read by qa-internal's hand-written map would all fail: refused now, before any file is touched.
  if (segment !== undefined && mapping === undefined && preset === DEFAULT_PRESET) {
    throw optionError('segment', `option segment needs a mapping of segments (instruction, context, output, offset): preset ${SEGMENTS.name} or a mapping, got preset ${JSON.stringify(preset)}`);
  }

  // schema: a JSON Schema object replacing the preset's (compiled, and so checked, by the processor).
  const schema = options.schema;
  if (schema !== undefined && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw optionError('schema', `${optionName('schema', style)} must be a JSON Schema object, ${got(schema)}`);
  }

  // maxLineBytes: bounds the memory one line may take; longer lines are ERR_LINE_TOO_LONG.
  const maxLineBytes = maxLineBytesOption(options.maxLineBytes, style);

  // failFast: stop at the first bad line.
  const failFast = booleanOption('failFast', options.failFast, false, style);

  // workers: 0 processes in the main thread.
  const workers = workersOption(options.workers, style);

  // keepRows: rows kept after serializing (export reads them); the pipe mode passes false.
  const keepRows = booleanOption('keepRows', options.keepRows, true, style);

  // serialize: the outputs whose bytes are wanted (serializeOption).
  const serialize = serializeOption(options.serialize, style);

  const normalized: NormalizedProcessingOptions = { preset, maxLineBytes, failFast, workers, keepRows, serialize };
  if (mapping !== undefined) normalized.mapping = mapping;
  if (schema !== undefined) normalized.schema = schema;
  if (segment !== undefined) normalized.segment = segment;
  return normalized;
}

/** `qa-hf export`'s options as parsed (strings where a user typed text). */
export interface ExportOptionsInput extends HubArgs, ProcessingOptionsInput {
  inputs?: unknown;
  out?: unknown;
  force?: unknown;
  glob?: unknown;
  dryRun?: unknown;
  restart?: unknown;
  progress?: unknown;
  quiet?: unknown;
  checkpointBytes?: unknown;
  checkpointMs?: unknown;
  version?: unknown;
}

export interface ExportOptions extends NormalizedProcessingOptions {
  inputs: string[];
  out?: string;
  force: boolean;
  glob?: string;
  dryRun: boolean;
  restart: boolean;
  progress?: boolean;
  quiet: boolean;
  checkpointBytes?: number;
  checkpointMs?: number;
  /** --version: the dataset's version (`1.0.0`, no `v`); the export goes to `OUT/v1.0.0/`. */
  version?: string;
  /** The layout, formats, split, … (lib/dataset/plan.ts normalizeExportPlan). */
  plan: ExportPlan;
}

/** Export's options, checked and with their defaults, the plan included; `options` is not changed. */
export function normalizeExportOptions(options: ExportOptionsInput, style: OptionStyle = 'library'): ExportOptions {
  const processing = normalizeProcessingOptions(options, style);

  // inputs: files or directories, at least one.
  const inputs = options.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((input) => typeof input === 'string' && input !== '')) {
    throw optionError('inputs', `${optionName('inputs', style)} must name one or more files or directories, ${got(inputs)}`);
  }

  // out: the output folder; checked for presence by the command (only --dry-run goes without it).
  const out = options.out;
  if (out !== undefined && typeof out !== 'string') throw optionError('out', `${optionName('out', style)} must be a folder path, ${got(out)}`);

  // glob: which files to take from input folders.
  const glob = options.glob;
  if (glob !== undefined && (typeof glob !== 'string' || glob === '')) throw optionError('glob', `${optionName('glob', style)} must be a glob pattern, ${got(glob)}`);

  // force, dryRun, restart, quiet: switches; progress: undefined means "when stderr is a terminal".
  const force = booleanOption('force', options.force, false, style);
  const dryRun = booleanOption('dryRun', options.dryRun, false, style);
  const restart = booleanOption('restart', options.restart, false, style);
  const quiet = booleanOption('quiet', options.quiet, false, style);
  const progress = options.progress === undefined ? undefined : booleanOption('progress', options.progress, false, style);

  // checkpointBytes, checkpointMs (hidden, for tests and the bench): the cap of a flush-neutral plan.
  const checkpointBytes = positiveNumberOption('checkpointBytes', options.checkpointBytes, style);
  const checkpointMs = positiveNumberOption('checkpointMs', options.checkpointMs, style);

  // The Hub options (--format, --split, …, --checkpoint-lines) make the plan.
  const plan = normalizeExportPlan(options, resolvePreset(processing.mapping === undefined ? processing : { ...processing, mapping: withoutSchemaPath(processing.mapping) }));
  // Segmented documents' rows are routed by --min-score and the split only: the quality rules see whole entries.
  if (processing.segment !== undefined && !isDefaultQualityPlan(plan.quality)) {
    throw optionError('pii', `--pii redact/reject, --dedup and --tiers do not apply to segmented documents (segment:); export them without, or segment first and export the segments with --preset segments`);
  }
  // A segmented line's rows are written in the pairs' one config.
  if (processing.segment !== undefined && plan.partitionBy !== undefined) {
    throw optionError('partition-by', `--partition-by does not apply to segmented documents (segment:); segment first and export the segments with --preset segments, got ${JSON.stringify(plan.partitionBy)}`);
  }
  // --target-samples draws whole lines' pairs: a segmented line's rows are not sampled one by one.
  if (processing.segment !== undefined && plan.targetSamples !== undefined) {
    throw optionError('target-samples', `--target-samples does not apply to segmented documents (segment:); segment first and export the segments with --preset segments, got ${plan.targetSamples}`);
  }

  // version: the dataset's version, a folder of its own under out.
  const version = versionOption(options.version, style);

  return { ...processing, inputs: [...inputs], out, force, glob, dryRun, restart, progress, quiet, checkpointBytes, checkpointMs, ...(version === undefined ? {} : { version }), plan };
}

/** Semantic-version-like: MAJOR.MINOR.PATCH, an optional -pre-release and +build (semver.org's characters). */
const VERSION_TEXT = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/**
 * `version`: the dataset's version, `1.0.0` (a leading `v` is taken off: the folder
 * adds it). A semantic-version-like text, so it is also a safe folder name.
 */
export function versionOption(value: unknown, style: OptionStyle = 'library'): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim().replace(/^v/, '') : value;
  if (typeof text !== 'string' || !VERSION_TEXT.test(text)) {
    throw optionError('version', `${optionName('version', style)} must be a semantic version such as 1.0.0 or 2.1.0-rc.1, ${got(value)}`);
  }
  return text;
}

/** The folder of a dataset version under the output folder: `OUT/v1.0.0`. */
export function versionFolder(version: string): string {
  return `v${version}`;
}

/** The report's options (export, pipe mode with --report, `qa-hf report`). */
export interface ReportOptionsInput {
  language?: unknown;
  failOn?: unknown;
  tokenizer?: unknown;
}

export interface NormalizedReportOptions {
  /** ISO 639-1 code of the answers' language, or null (`off`): no language check. */
  language: string | null;
  failOn: ThresholdRule[];
  /** Path of a HuggingFace tokenizer.json (loaded by lib/io/tokenizer.ts), or null. */
  tokenizer: string | null;
}

/** The report's options checked, with defaults; `options` is not changed. */
export function normalizeReportOptions(options: ReportOptionsInput, style: OptionStyle = 'library'): NormalizedReportOptions {
  // language: an ISO 639-1 code tinyld knows, or "off".
  const language = options.language ?? DEFAULT_LANGUAGE;
  if (typeof language !== 'string' || (language !== 'off' && !DETECTABLE_LANGUAGES.includes(language))) {
    throw optionError('language', `${optionName('language', style)} must be an ISO 639-1 code the detector knows (sv, en, de, …) or off, ${got(language)}`);
  }

  // failOn: the release gate's rules (lib/quality/thresholds.ts).
  const failOn = parseThresholds(options.failOn, optionName('failOn', style));

  // tokenizer: a tokenizer.json path; read and checked by the command (I/O).
  const tokenizer = options.tokenizer;
  if (tokenizer !== undefined && (typeof tokenizer !== 'string' || tokenizer === '')) {
    throw optionError('tokenizer', `${optionName('tokenizer', style)} must be the path of a tokenizer.json, ${got(tokenizer)}`);
  }
  return { language: language === 'off' ? null : language, failOn, tokenizer: tokenizer ?? null };
}
