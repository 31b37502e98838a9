/**
 * option-table — every option of every command, declared once (pure data). One row
 * per option: its name (the CLI's long name, and by the one spelling rule its key in
 * the config file), type, default, help text, the commands that take it, whether it
 * decides the output (and where the options hash records it) or is run control, the
 * JSON schema of its value in the config file, and its check (the normalizer the
 * CLI, the config file and the library share).
 *
 * Derived from it: the yargs options of each command (cli.ts `declareOptions`), the
 * options part of the config file's schema (lib/config-schema.ts), the keys each
 * command reads from the file, their defaults and the effective config's keys
 * (lib/config.ts), and the effective config's values in the options hash
 * (commands/export/index.ts `normalizedSettings`, from `settled`).
 *
 *   rowsOf('report').map((row) => row.name)   // ['config', 'fail-fast', 'quiet', …, 'min-score']
 *   configKey('card-task-categories')          // ['card', 'task_categories']
 */
import { DEFAULT_MAX_LINE_BYTES } from './input/lines';
import { DEFAULT_PRESET, PRESET_NAMES } from './input/presets';
import { type OptionStyle, booleanOption, maxLineBytesOption, normalizeReportOptions, optionName, positiveNumberOption, presetOption, versionOption, workersOption } from './options';
import { DEDUP_MODES, PII_MODES, decontaminateFields, decontaminateFiles, decontaminateNgram, normalizeQualityPlan, parseTiers } from './quality/plan';
import { parseThresholds } from './quality/thresholds';
import { normalizeSeed, parseSplitSpec } from './dataset/split';
import { normalizeSystemPrompt, parseFormatList } from './dataset/formats';
import { parseByteSize } from './dataset/shards';
import { targetSamplesOption } from './scale/sample';
import { DEFAULT_MAX_PARTITIONS } from './dataset/partition';
import { charLimitsRecord, parseCharLimits } from './dataset/length-filters';
import { S3_URL_STYLES, s3UrlStyleOption } from './s3-url';
import type { ExportPlan } from './dataset/plan';

/** The file looked for in the working directory when no --config is given. */
export const CONFIG_FILE = 'qa-hf.yaml';
/** JSON Lines, plain or compressed (compression is told by the bytes, lib/input/compression.ts): what --glob takes by default. */
export const DEFAULT_GLOB = '**/*.{jsonl,jsonl.gz,jsonl.zst}';

/** The commands (`pipe` is `qa-hf [FILE…]`). */
export const COMMANDS = ['pipe', 'export', 'report', 'merge', 'verify', 'presets', 'push'] as const;
export type CommandName = (typeof COMMANDS)[number];
/** The commands that read the config file (`--config FILE`, else ./qa-hf.yaml); presets has no option of its own. */
export const CONFIG_COMMANDS = ['pipe', 'export', 'report', 'merge', 'verify', 'push'] as const;
export type ConfigCommand = (typeof CONFIG_COMMANDS)[number];

/**
 * Where an option that decides the output bytes shows in the options hash's record
 * (manifest.json `options`): `config` is the effective config (`options.config`),
 * which names the keys the config file took before issue 16; the others are the
 * record's own parts (`hub` the plan's, `quality` the quality rules', …).
 */
export type RecordPart = 'inputs' | 'glob' | 'preset' | 'max_line_bytes' | 'report' | 'hub' | 'quality' | 'sample' | 'version' | 'filters' | 'config';

/**
 * How the file's value becomes the command line's: `path`/`paths` resolve against the
 * config file's folder; `list` is a list or the CLI's comma text; `map` a map of name to
 * number or the CLI's `name=value,…`; `size` bytes or a size with a unit, normalized at once.
 */
export type FileShape = 'value' | 'path' | 'paths' | 'list' | 'map' | 'size';

/** A key of the config file: its value's JSON schema (none for a field of a hand-written section, lib/config-schema.ts). */
export interface FileKey {
  schema?: Record<string, unknown>;
  shape?: FileShape;
  /** Commands that take the flag but leave the file's key alone, and why. */
  ignoredBy?: { commands: readonly CommandName[]; why: string };
}

export interface OptionRow {
  /** The CLI's long name (`--min-score`); its config key by the one spelling rule (configKey). */
  name: string;
  type: 'string' | 'boolean' | 'number';
  /** A positional of the command (`export [inputs..]`); `array` takes several. */
  positional?: 'one' | 'array';
  /** A value, as the message of the flag typed without one shows it (`--version needs a value, e.g. --version 1.0.0`). */
  example?: string;
  /** Help text; `describeIn` where a command says it otherwise. */
  describe: string;
  describeIn?: Partial<Record<CommandName, string>>;
  /**
   * The default. Where the file may set the option it is filled after the merge
   * (lib/config.ts), never a yargs default (a default would hide the file's value).
   */
  default?: unknown;
  /** The default as --help shows it, when not String(default). */
  defaultDescription?: string;
  commands: readonly CommandName[];
  /** Declared once on the top level, so every command takes it. */
  global?: true;
  alias?: string;
  hidden?: true;
  group?: string;
  /** Decides the output bytes: the parts of the options hash's record it changes; absent: run control or where data goes. */
  identity?: readonly RecordPart[];
  /** Its value in the effective config, as the normalizers made it (`identity` has `config`; not the card's fields). */
  settled?: (plan: ExportPlan, args: { preset: string; maxLineBytes: number }) => unknown;
  /** Its key in the config file, or why it is for the command line only. */
  file: FileKey | { cliOnly: string };
  /** The check of the value alone (the normalizers call it too); others are checked in context by the command's normalizer. */
  check?: (value: unknown, style: OptionStyle) => unknown;
  /** yargs runs the check while parsing (the value becomes the checked one): a bad value is one line naming the option. */
  parseCheck?: true;
}

const PROCESSING = ['pipe', 'export', 'report'] as const;
const CARD_GROUP = 'Dataset card (Hub layout; also card: in the config file):';
const boolean = (key: string) => (value: unknown, style: OptionStyle) => booleanOption(key, value, false, style);
const positiveNumber = (key: string) => (value: unknown, style: OptionStyle) => positiveNumberOption(key, value, style);
const SIZE = { type: ['integer', 'string'], minimum: 1, minLength: 1 };
const TEXT = { type: 'string', minLength: 1 };
const SWITCH = { type: 'boolean' };
const RATIO_MAP = (exclusive: boolean) => ({
  type: ['object', 'string'],
  minProperties: 1,
  minLength: 1,
  additionalProperties: { type: 'number', ...(exclusive ? { exclusiveMinimum: 0 } : { minimum: 0 }), maximum: 1 },
});
const CHAR_MAP = { type: ['object', 'string'], minProperties: 1, minLength: 1, additionalProperties: { type: 'integer', minimum: 1 } };
const SEMVER = '^v?(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';

/** Every option, in the order --help lists them (and the effective config names them). */
export const OPTION_TABLE: readonly OptionRow[] = [
  { name: 'config', example: 'qa-hf.yaml', type: 'string', commands: CONFIG_COMMANDS, file: { cliOnly: 'it names the config file' },
    describe: `options and mapping from a YAML file (default: ${CONFIG_FILE} in the working directory, if there); flags override it` },
  { name: 'fail-fast', type: 'boolean', commands: PROCESSING, default: false, file: { schema: SWITCH }, check: boolean('failFast'),
    describe: 'stop at the first bad line with exit code 1' },
  { name: 'quiet', alias: 'q', type: 'boolean', commands: CONFIG_COMMANDS, default: false, file: { schema: SWITCH }, check: boolean('quiet'),
    describe: 'no summary or warnings on stderr', describeIn: { verify: 'print only differences' } },
  { name: 'preset', example: 'squad', type: 'string', commands: PROCESSING, default: DEFAULT_PRESET, identity: ['preset', 'config'], settled: (_plan, args) => args.preset,
    file: { schema: TEXT }, check: presetOption, parseCheck: true,
    describe: `input format and mapping (presets/NAME.yaml; list them with qa-hf presets): ${PRESET_NAMES.join(', ')}` },
  { name: 'workers', example: '2', type: 'string', commands: PROCESSING, file: { schema: { type: 'integer', minimum: 0, maximum: 64 } }, check: workersOption, parseCheck: true,
    defaultDescription: 'pipe mode: min(cores, 4) for inputs of 64 MiB or more, else 0; export: 0 (workers hold ~1.6× the memory and pay only on a large corpus with idle cores: 1.2–1.6× faster on a quiet 2-core machine, no faster on a shared one)',
    describe: 'worker threads for splitting, parsing, mapping and serializing (0: the main thread)' },
  { name: 'max-line-bytes', example: '1MiB', type: 'string', commands: PROCESSING, default: DEFAULT_MAX_LINE_BYTES, defaultDescription: `${DEFAULT_MAX_LINE_BYTES / 1048576}MiB`,
    identity: ['max_line_bytes', 'config'], settled: (_plan, args) => args.maxLineBytes, file: { schema: SIZE, shape: 'size' }, check: maxLineBytesOption, parseCheck: true,
    describe: 'longest line accepted, in bytes or with a unit (1MiB, 500KB); longer ones are ERR_LINE_TOO_LONG' },
  { name: 'fail-on', example: '"pii>0,pass_rate<0.6"', type: 'string', commands: PROCESSING, check: (value, style) => parseThresholds(value, optionName('failOn', style)),
    file: { schema: { type: ['string', 'array'], minLength: 1, minItems: 1, items: TEXT }, shape: 'list' },
    describe: 'release gate: rules like "pii>0,duplicates>0.01,pass_rate<0.6"; a breached rule means exit 4 (all files still written)' },
  { name: 'language', example: 'sv', type: 'string', commands: PROCESSING, identity: ['report'], file: { schema: TEXT }, check: (value, style) => normalizeReportOptions({ language: value }, style).language,
    describe: 'language the answers should be in (ISO 639-1, default sv), or off' },
  { name: 'tokenizer', example: 'tokenizer.json', type: 'string', commands: PROCESSING, identity: ['report'], file: { schema: TEXT, shape: 'path' }, check: (value, style) => normalizeReportOptions({ tokenizer: value }, style).tokenizer,
    describe: 'a HuggingFace tokenizer.json (the report adds lengths in tokens), or a model folder (tokenizer.json, tokenizer_config.json): each conversation rendered with its chat_template and counted' },
  { name: 'pii', example: 'redact', type: 'string', commands: PROCESSING, identity: ['quality'], file: { schema: { enum: [...PII_MODES] } }, check: (value, style) => normalizeQualityPlan({ pii: value }, style).pii,
    describe: 'personal data (personnummer, email, phone, iban, card, ip): report (count, the default), redact ([PHONE], …) or reject' },
  { name: 'dedup', example: 'exact', type: 'string', commands: PROCESSING, identity: ['quality'], file: { schema: { enum: [...DEDUP_MODES] } }, check: (value, style) => normalizeQualityPlan({ dedup: value }, style).dedup,
    describe: 'duplicate pairs: off (count exact ones, the default), exact or near (moved to rejected)' },
  { name: 'near-threshold', example: '0.8', type: 'string', commands: PROCESSING, identity: ['quality'], file: { schema: { type: 'number', exclusiveMinimum: 0, maximum: 1 } },
    check: (value, style) => normalizeQualityPlan({ dedup: 'near', nearThreshold: value }, style).nearThreshold,
    describe: 'estimated Jaccard similarity from which --dedup near calls two pairs near duplicates (default 0.8)' },
  { name: 'tiers', example: 'high=0.85,medium=0.7', type: 'string', commands: PROCESSING, identity: ['quality'], check: parseTiers,
    file: { schema: RATIO_MAP(false), shape: 'map', ignoredBy: { commands: ['pipe'], why: 'pipe mode takes --tiers only to refuse it (each tier is a config of a dataset folder)' } },
    describe: 'passed pairs by validation_score into configs tier_NAME, e.g. high=0.85,medium=0.7 (the rest: tier_low)' },
  { name: 'decontaminate', example: 'mmlu_test.jsonl', type: 'string', commands: PROCESSING, identity: ['quality'],
    file: { schema: { type: ['string', 'array'], minLength: 1, minItems: 1, items: TEXT }, shape: 'paths' }, check: decontaminateFiles,
    describe: 'an evaluation set (JSON Lines or Parquet; repeat for several): pairs sharing an n-gram of words with it go to rejected ("contaminated")' },
  { name: 'decontaminate-ngram', example: '13', type: 'string', commands: PROCESSING, identity: ['quality'], file: { schema: { type: 'integer', minimum: 1, maximum: 1000 } },
    check: decontaminateNgram,
    describe: 'words in an n-gram for --decontaminate (default 13, as GPT-3 and lm-evaluation-harness)' },
  { name: 'decontaminate-fields', example: 'question,choices', type: 'string', commands: PROCESSING, identity: ['quality'],
    file: { schema: { type: ['string', 'array'], minLength: 1, minItems: 1, items: TEXT }, shape: 'list' },
    check: decontaminateFields,
    describe: 'the evaluation records\' fields read by --decontaminate (default: every string)' },
  // Pipe mode.
  { name: 'files', type: 'string', positional: 'array', commands: ['pipe'], default: [], describe: 'input JSONL files (default: stdin)',
    file: { cliOnly: 'pipe mode reads standard input unless files are named on the command line (the file\u2019s inputs: are export\u2019s and report\u2019s)' } },
  { name: 'rejected', example: 'rejected.jsonl', type: 'string', commands: ['pipe'], file: { schema: TEXT, shape: 'path' }, describe: 'write rejected pairs (validation.passed false) to FILE' },
  { name: 'errors', example: 'errors.jsonl', type: 'string', commands: ['pipe'], file: { schema: TEXT, shape: 'path' }, describe: 'write bad lines (dead letter, with file, line, offset) to FILE' },
  { name: 'report', example: 'report/', type: 'string', commands: ['pipe'], file: { schema: TEXT, shape: 'path' }, describe: 'write the quality report (report.json, report.html) into folder DIR' },
  // Export (and report).
  { name: 'inputs', type: 'string', positional: 'array', commands: ['export', 'report'], identity: ['inputs'],
    file: { schema: { type: ['string', 'array'], minLength: 1, minItems: 1, items: TEXT }, shape: 'paths' },
    describe: 'JSONL files, or directories searched with --glob (or inputs: in the config file)' },
  { name: 'out', example: 'dist/', type: 'string', commands: ['export'], file: { schema: TEXT, shape: 'path' },
    describe: 'output directory: empty, or holding a previous qa-hf export (required unless --dry-run); or s3://bucket/prefix, or hf://datasets/OWNER/NAME (staged, then pushed to the Hub)' },
  { name: 'out', example: 'qa-report/', type: 'string', commands: ['report'], file: { cliOnly: 'the file\u2019s out: is export\u2019s output folder; the report\u2019s folder is named on the command line' },
    describe: 'folder for report.json and report.html (created; not an export folder)' },
  { name: 'force', type: 'boolean', commands: ['export'], default: false, file: { schema: SWITCH }, check: boolean('force'),
    describe: 'write into an --out that holds other files (kept, unless an output has their name)' },
  { name: 'stage-dir', example: '/tmp/qa-hf-stage', type: 'string', commands: ['export'], file: { schema: TEXT, shape: 'path' },
    describe: '--out s3://… or hf://…: stage the export under DIR before the upload (default: the temp folder)' },
  { name: 'glob', example: "'**/*.jsonl'", type: 'string', commands: ['export', 'report'], identity: ['glob'], file: { schema: TEXT },
    describe: `files to take from input directories (default ${DEFAULT_GLOB})` },
  { name: 'dry-run', type: 'boolean', commands: ['export', 'push'], default: false, file: { schema: SWITCH }, check: boolean('dryRun'),
    describe: 'validate and count as the real run would (--out not needed), write nothing',
    describeIn: { push: 'list every path it would upload, leave unchanged, delete and keep, with sizes; send nothing (no token needed for a public repo)' } },
  { name: 'restart', type: 'boolean', commands: ['export', 'merge'], default: false, file: { schema: SWITCH }, check: boolean('restart'),
    describe: 'discard an interrupted run and start over', describeIn: { merge: 'discard an interrupted merge and start it over' } },
  { name: 'progress', type: 'boolean', commands: ['export', 'merge', 'push'], file: { schema: SWITCH }, check: boolean('progress'),
    describe: 'progress bar on stderr (default: when stderr is a terminal)' },
  { name: 'rank', example: '0', type: 'string', commands: ['export'], file: { schema: { type: 'integer', minimum: 0 } },
    describe: 'run one share of the export (0…N−1) into OUT/ranks/; default from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX; then qa-hf merge OUT' },
  { name: 'world-size', example: '4', type: 'string', commands: ['export'], file: { schema: { type: 'integer', minimum: 1 } },
    describe: 'the number of ranks N (default from SLURM_ARRAY_TASK_COUNT, AWS_BATCH_JOB_ARRAY_SIZE)' },
  { name: 'merge', type: 'boolean', commands: ['export'], file: { schema: SWITCH }, describe: 'after this rank: merge, if every rank is complete (else say which are not)' },
  // For tests and the bench: the checkpoint caps and interval.
  { name: 'checkpoint-bytes', type: 'number', hidden: true, commands: ['export'], file: { schema: { type: 'number', exclusiveMinimum: 0 } }, check: positiveNumber('checkpointBytes'),
    describe: 'bytes between the checkpoints of a plan whose flush points change no byte' },
  { name: 'checkpoint-ms', type: 'number', hidden: true, commands: ['export'], file: { schema: { type: 'number', exclusiveMinimum: 0 } }, check: positiveNumber('checkpointMs'),
    describe: 'milliseconds between the checkpoints of a plan whose flush points change no byte' },
  { name: 'checkpoint-lines', type: 'string', hidden: true, commands: ['export'], identity: ['hub'], file: { schema: { type: 'integer', minimum: 1 } },
    describe: 'input lines between the fixed checkpoint positions (where gzip members and Parquet row groups end)' },
  // The Hub layout (lib/dataset/plan.ts normalizeExportPlan).
  { name: 'format', example: 'jsonl,parquet', type: 'string', commands: ['export'], identity: ['hub', 'config'], settled: (plan) => plan.formats, check: parseFormatList,
    file: { schema: { type: ['array', 'string'], minItems: 1, minLength: 1, items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_-]*$' } }, shape: 'list' },
    describe: 'comma-separated output formats: jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion, kto, dpo (default jsonl)' },
  { name: 'split', example: 'train=0.9,test=0.1', type: 'string', commands: ['export', 'report'], identity: ['hub', 'config'], check: parseSplitSpec, file: { schema: RATIO_MAP(true), shape: 'map' },
    settled: (plan) => Object.fromEntries(plan.spec.names.map((name, i) => [name, plan.spec.ratios[i]])),
    describe: 'splits and ratios, e.g. train=0.8,validation=0.1,test=0.1', describeIn: { report: 'splits and ratios, as export takes them' } },
  { name: 'seed', example: '42', type: 'string', commands: ['export', 'report'], identity: ['hub', 'config'], settled: (plan) => plan.seed, check: normalizeSeed,
    file: { schema: { type: 'integer', minimum: 0, maximum: 4294967295 } }, describe: 'seed of the split hash (default 42)' },
  { name: 'split-key', example: 'question', type: 'string', commands: ['export', 'report'], identity: ['hub', 'config'], settled: (plan) => plan.key, file: { schema: TEXT },
    describe: 'column hashed for the split (default question, else the mapping\u2019s first column)', describeIn: { report: 'column hashed for the split (default question)' } },
  { name: 'stratify-by', example: 'persona', type: 'string', commands: ['export'], identity: ['hub', 'config'], settled: (plan) => plan.stratifyBy, file: { schema: TEXT },
    describe: 'column whose values get a ratio report per value' },
  { name: 'partition-by', example: 'persona', type: 'string', commands: ['export'], identity: ['hub', 'config'], settled: (plan) => plan.partitionBy, file: { schema: TEXT },
    describe: 'one config of the passed pairs per value of this column (e.g. persona_sjukskoterska_erfaren), in every format; the rejected pairs stay one config' },
  { name: 'max-partitions', example: '100', type: 'string', commands: ['export'], defaultDescription: String(DEFAULT_MAX_PARTITIONS), file: { schema: { type: 'integer', minimum: 1 } },
    describe: 'most configs --partition-by may make; a column with more values ends the run with one line naming the count' },
  { name: 'max-shard-size', example: '500MB', type: 'string', commands: ['export'], identity: ['hub', 'config'], settled: (plan) => plan.maxShardBytes, file: { schema: SIZE },
    check: (value) => parseByteSize(value), describe: 'bytes per shard before the next, e.g. 500MB (default)' },
  { name: 'compress', example: 'gzip', type: 'string', commands: ['export'], identity: ['hub', 'config'], settled: (plan) => plan.compression, file: { schema: { enum: ['none', 'gzip', 'zstd'] } },
    describe: 'compress the text formats: gzip (.gz), zstd (.zst, also the codec inside parquet) or none (the default; parquet stays snappy inside)' },
  { name: 'compress-level', example: '6', type: 'string', commands: ['export'], identity: ['hub', 'config'], settled: (plan) => plan.compressionLevel, file: { schema: { type: 'integer', minimum: 1 } },
    describe: 'level of --compress: gzip 1-9 (default 6), zstd 1-19 (default 3)' },
  { name: 'min-score', example: '0.7', type: 'string', commands: ['export', 'report'], identity: ['hub', 'config'], settled: (plan) => plan.minScore, file: { schema: { type: 'number', minimum: 0, maximum: 1 } },
    describe: 'pairs with validation_score below it go to rejected', describeIn: { report: 'pairs with validation_score below it count as rejected' } },
  { name: 'min-chars', example: 'question=10,answer=20', type: 'string', commands: PROCESSING, identity: ['filters', 'config'], settled: (plan) => charLimitsRecord(plan.minChars),
    file: { schema: CHAR_MAP, shape: 'map' }, check: (value) => parseCharLimits(value, 'min-chars'),
    describe: 'pairs with a column shorter than N characters (code points, as written) go to rejected with failure_reason too_short, e.g. question=10,answer=20',
    describeIn: { report: 'pairs with a column shorter than N characters count as rejected (too_short)' } },
  { name: 'max-chars', example: 'answer=8000', type: 'string', commands: PROCESSING, identity: ['filters', 'config'], settled: (plan) => charLimitsRecord(plan.maxChars),
    file: { schema: CHAR_MAP, shape: 'map' }, check: (value) => parseCharLimits(value, 'max-chars'),
    describe: 'pairs with a column longer than N characters go to rejected with failure_reason too_long, e.g. answer=8000',
    describeIn: { report: 'pairs with a column longer than N characters count as rejected (too_long)' } },
  { name: 'max-tokens', example: '1024', type: 'string', commands: ['export', 'report'], identity: ['filters', 'config'], settled: (plan) => plan.maxTokens,
    file: { schema: { type: 'integer', minimum: 1 } },
    describe: "pairs whose conversation, rendered with the --tokenizer model folder's chat template, is longer than N tokens go to rejected with failure_reason too_many_tokens",
    describeIn: { report: 'pairs whose rendered conversation is longer than N tokens count as rejected (too_many_tokens)' } },
  { name: 'system-prompt', example: '"You answer questions about healthcare."', type: 'string', commands: ['export'], identity: ['hub', 'config'], settled: (plan) => plan.systemPrompt, file: { schema: { type: 'string' } },
    check: normalizeSystemPrompt, describe: 'system message of the messages, alpaca and sharegpt formats (prompt-completion: before the prompt; kto, dpo: conversational rows)' },
  // Here --version names the dataset's version; `qa-hf --version` still prints qa-hf's.
  { name: 'version', example: '1.0.0', type: 'string', commands: ['export'], identity: ['version'], check: versionOption,
    // Its own description: a bad value's message says what is expected.
    file: { schema: { description: 'export --version: a semantic version such as 1.0.0; the export goes to out/v1.0.0/', type: 'string', pattern: SEMVER } },
    describe: "the dataset's version, e.g. 1.0.0: written to OUT/v1.0.0/, recorded in manifest.json and the card; a finished version is never overwritten" },
  { name: 'target-samples', example: '10000', type: 'string', commands: ['export'], identity: ['sample'], file: { schema: { type: 'integer', minimum: 1 } }, check: targetSamplesOption,
    describe: 'keep a deterministic sample of N passed pairs (smallest hash of the split key and seed; the rest counted as not_sampled); reads the inputs twice' },
  // The card's fields: in the file, the fields of card: (lib/config-schema.ts).
  { name: 'card-name', example: '"Swedish healthcare QA"', type: 'string', commands: ['export'], group: CARD_GROUP, identity: ['config'], file: {},
    describe: "the dataset card's title and pretty_name (default: the --out folder's name)" },
  { name: 'card-description', example: '"Question-answer pairs for …"', type: 'string', commands: ['export'], group: CARD_GROUP, identity: ['config'], file: {}, describe: "the dataset card's first paragraph" },
  { name: 'card-license', example: 'cc-by-4.0', type: 'string', commands: ['export'], group: CARD_GROUP, identity: ['config'], file: {},
    describe: 'license id in the card header: mit, apache-2.0, cc-by-4.0, other, …' },
  { name: 'card-language', example: 'sv', type: 'string', commands: ['export'], group: CARD_GROUP, identity: ['config'], file: {},
    describe: 'comma-separated language codes in the card header, e.g. sv,en' },
  { name: 'card-tags', example: 'medical,swedish', type: 'string', commands: ['export'], group: CARD_GROUP, identity: ['config'], file: {}, describe: 'comma-separated tags in the card header' },
  { name: 'card-task-categories', example: 'question-answering', type: 'string', commands: ['export'], group: CARD_GROUP, identity: ['config'], file: {},
    describe: 'comma-separated task categories in the card header (default question-answering,text-generation)' },
  // Merge and verify.
  { name: 'dir', type: 'string', positional: 'one', commands: ['merge', 'verify', 'push'], file: { cliOnly: 'the folder a merge, verify or push works on is named on the command line' },
    describe: 'the --out of the ranks (a folder, or s3://bucket/prefix)',
    describeIn: { verify: 'an export output directory', push: 'the folder of a finished export: the files its manifest.json lists, and the manifest, are pushed' } },
  { name: 'inputs', type: 'boolean', commands: ['verify'], default: true, file: { cliOnly: 'the file\u2019s inputs: are export\u2019s and report\u2019s inputs' },
    describe: 'also check the inputs (--no-inputs to skip)' },
  // Push (commands/push.ts): the repo and how to commit, from the flags or the config file; the token comes from HF_TOKEN or --token-file, never a flag or the file.
  { name: 'repo', example: 'me/qa-corpus', type: 'string', commands: ['push'], file: { schema: TEXT },
    describe: 'the dataset repo OWNER/NAME on the Hub (required: here or as repo: in the config file)' },
  { name: 'branch', example: 'main', type: 'string', commands: ['push'], file: { schema: TEXT },
    describe: 'the branch to commit to (default main; it must exist)' },
  { name: 'pr', type: 'boolean', commands: ['push'], default: false, file: { schema: SWITCH },
    describe: 'open a pull request with the commit instead of committing to the branch' },
  { name: 'create', type: 'boolean', commands: ['push'], default: false, file: { schema: SWITCH },
    describe: 'create the dataset repo when it is missing' },
  { name: 'private', type: 'boolean', commands: ['push'], default: false, file: { schema: SWITCH },
    describe: 'with --create: create the repo private' },
  { name: 'message', example: '"Add the March corpus"', type: 'string', commands: ['push'], file: { schema: TEXT },
    describe: 'the commit title (default: qa-hf push: dataset VERSION (N files changed, M deleted))' },
  { name: 'token-file', example: '~/.cache/huggingface/token', type: 'string', commands: ['push'], file: { cliOnly: 'a token and where it is are kept out of a config file, which gets shared' },
    describe: 'read the Hub token from the first line of FILE (default: the HF_TOKEN variable); there is no --token, which ps would show' },
  { name: 'hub-url', example: 'https://hub.example.org', type: 'string', commands: ['push'], file: { schema: TEXT },
    describe: 'the Hub to push to (default: HF_ENDPOINT, else https://huggingface.co); every request goes there' },
  { name: 'name', type: 'string', positional: 'one', commands: ['presets'], file: { cliOnly: 'presets reads no config file' }, describe: "a preset whose YAML to print" },
  // Every command.
  { name: 'debug', type: 'boolean', global: true, commands: COMMANDS, default: false, describe: 'print stack traces of failures',
    file: { cliOnly: 'read before anything else, so the config file\u2019s own errors can show their stack' } },
  { name: 's3-url-style', example: 'path', type: 'string', global: true, commands: COMMANDS, file: { schema: { enum: [...S3_URL_STYLES] } }, check: (value) => s3UrlStyleOption(value), parseCheck: true,
    describe: 's3:// URLs: bucket in the path or in the host name (default: path with AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else vhost)' },
];

/** The rows of a command, in table order (the globals included). */
export function rowsOf(command: CommandName): OptionRow[] {
  return OPTION_TABLE.filter((row) => row.commands.includes(command));
}

/** The help text of a row for a command. */
export function describeFor(row: OptionRow, command: CommandName): string {
  return row.describeIn?.[command] ?? row.describe;
}

/**
 * The one spelling rule: an option's key in the config file is its long name, as
 * --help spells it without the dashes; the --card-* flags are the fields of `card:`
 * (`--card-task-categories` → `card.task_categories`, as the Hub's card names them).
 */
export function configKey(name: string): [string] | ['card', string] {
  return name.startsWith('card-') ? ['card', name.slice('card-'.length).replace(/-/g, '_')] : [name];
}

/** The file's key of a row, or null when the row is for the command line only. */
export function fileKeyOf(row: OptionRow): FileKey | null {
  return 'cliOnly' in row.file ? null : row.file;
}

/** The rows a command reads from the config file (none for presets). */
export function fileRowsOf(command: CommandName): OptionRow[] {
  if (!(CONFIG_COMMANDS as readonly string[]).includes(command)) return [];
  return rowsOf(command).filter((row) => {
    const file = fileKeyOf(row);
    return file !== null && !(file.ignoredBy?.commands.includes(command) ?? false);
  });
}

/** `max-line-bytes` → `maxLineBytes`: the key yargs (and so every command's arguments) use. */
export function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}
