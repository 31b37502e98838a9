/**
 * formats — the output formats of `qa-hf export`: the FORMATS table (per format its
 * file extension, whether it is compressible and written for rejected rows, the HF
 * builder that loads it and the features the dataset card declares), the --format
 * list, the system prompt option and the config folder names. How a flat row becomes
 * each format: lib/dataset/line-formats.ts (jsonl and the chat formats), lib/dataset/csv-format.ts,
 * lib/dataset/parquet.ts.
 *
 *   parseFormatList('parquet,jsonl')         // ['jsonl', 'parquet']: canonical order
 *   FORMATS.csv.extension                    // 'csv'
 *   configDirectory('jsonl', 'rejected')     // 'rejected/jsonl'
 */
import { got, optionError } from '../errors';
import type { Column, ColumnType } from '../columns';
import type { PairChannel } from '../input/presets';

export type FormatName = 'jsonl' | 'parquet' | 'csv' | 'messages' | 'alpaca' | 'sharegpt' | 'prompt-completion' | 'kto' | 'dpo';

/** A feature as the dataset card's YAML `dataset_info.features` lists it. */
export type Feature = { name: string; dtype: HfDtype } | { name: string; list: Feature[] } | { name: string; sequence: HfDtype };
export type HfDtype = 'string' | 'float64' | 'int64' | 'bool';

export interface FormatOptions {
  /** The flat columns of the channel being written (the preset's pair or rejected columns). */
  columns: readonly Column[];
  /** `--system-prompt`; absent means no system message / field at all. */
  systemPrompt?: string;
  /**
   * Rows hold byte texts (a string's UTF-8 bytes as latin1, one character per
   * byte) instead of strings: the line is then the byte text of the line, to be
   * written with latin1. Every format here decides only on ASCII characters, so
   * only the system prompt, a constant, needs converting.
   */
  byteText?: boolean;
}

export interface FormatSpec {
  name: FormatName;
  /** File extension without dot, before any `.gz`. */
  extension: 'jsonl' | 'parquet' | 'csv';
  /** HF `datasets` packaged builder that loads the files. */
  builder: 'json' | 'csv' | 'parquet';
  /** Whether `--compress gzip` applies (Parquet compresses inside: snappy). */
  compressible: boolean;
  /** Whether the rejected channel is written in this format (chat formats are training data: pairs only). */
  rejected: boolean;
  /** LLaMA-Factory `formatting` when the format is one it reads natively. */
  llamaFactory?: 'alpaca' | 'sharegpt';
  /** One line of prose for the dataset card. */
  summary: string;
  /** What a row of its pairs config holds, for the card's table (default: passed pairs). */
  rows?: string;
  /** The features of one output row. */
  features(options: FormatOptions): Feature[];
}

const DTYPES: Record<Exclude<ColumnType, 'list<string>'>, HfDtype> = { string: 'string', float: 'float64', int: 'int64', bool: 'bool' };

/** A flat column's feature: a list<string> column is `sequence: string`. */
function flatFeature(column: Column): Feature {
  return column.type === 'list<string>' ? { name: column.name, sequence: 'string' } : { name: column.name, dtype: DTYPES[column.type] };
}

function flatFeatures(options: FormatOptions): Feature[] {
  return options.columns.map(flatFeature);
}

/** CSV has no lists: a list<string> column is its JSON text, a string. */
function csvFeatures(options: FormatOptions): Feature[] {
  return options.columns.map((column) => (column.type === 'list<string>' ? { name: column.name, dtype: 'string' } : flatFeature(column)));
}

function withSystem(features: Feature[], options: FormatOptions, always = false): Feature[] {
  return options.systemPrompt === undefined && !always ? features : [...features, { name: 'system', dtype: 'string' }];
}

/**
 * Whether the preference formats (kto, dpo) write conversations (lists of role/content
 * turns) rather than text: with a system prompt (text has no place for it) or when the
 * input is a conversation (lib/dataset/preference.ts).
 */
export function conversationalPreference(options: Pick<FormatOptions, 'columns' | 'systemPrompt'>): boolean {
  return options.systemPrompt !== undefined || hasConversation(options.columns);
}

const TURNS: Feature[] = [
  { name: 'role', dtype: 'string' },
  { name: 'content', dtype: 'string' },
];

/** A preference row's text field: a string, or a list of turns in the conversational form. */
function preferenceField(name: string, options: FormatOptions): Feature {
  return conversationalPreference(options) ? { name, list: TURNS } : { name, dtype: 'string' };
}

/** Whether the rows carry a conversation column (CONVERSATION_FIELD, JSON text). */
export function hasConversation(columns: readonly Column[]): boolean {
  return columns.some((column) => column.name === CONVERSATION_FIELD && column.type === 'string');
}

/** In canonical order: `parseFormatList` returns formats in this order whatever the CLI order. */
export const FORMATS: Readonly<Record<FormatName, FormatSpec>> = {
  jsonl: {
    name: 'jsonl',
    extension: 'jsonl',
    builder: 'json',
    compressible: true,
    rejected: true,
    summary: 'flat rows as JSON Lines, one column per field',
    features: flatFeatures,
  },
  parquet: {
    name: 'parquet',
    extension: 'parquet',
    builder: 'parquet',
    compressible: false,
    rejected: true,
    summary: 'the same flat rows as Parquet (snappy), HF features in the file metadata',
    features: flatFeatures,
  },
  csv: {
    name: 'csv',
    extension: 'csv',
    builder: 'csv',
    compressible: true,
    rejected: true,
    summary: 'the same flat rows as RFC 4180 CSV with a header row',
    features: csvFeatures,
  },
  messages: {
    name: 'messages',
    extension: 'jsonl',
    builder: 'json',
    compressible: true,
    rejected: false,
    summary: 'OpenAI / TRL chat format: a `messages` list of role/content turns',
    features: () => [{ name: 'messages', list: [{ name: 'role', dtype: 'string' }, { name: 'content', dtype: 'string' }] }],
  },
  alpaca: {
    name: 'alpaca',
    extension: 'jsonl',
    builder: 'json',
    compressible: true,
    rejected: false,
    llamaFactory: 'alpaca',
    summary: 'Alpaca instruction format (instruction, input, output), as LLaMA-Factory reads it',
    features: (options) =>
      withSystem(
        [
          { name: 'instruction', dtype: 'string' },
          { name: 'input', dtype: 'string' },
          { name: 'output', dtype: 'string' },
        ],
        options,
      ),
  },
  sharegpt: {
    name: 'sharegpt',
    extension: 'jsonl',
    builder: 'json',
    compressible: true,
    rejected: false,
    llamaFactory: 'sharegpt',
    summary: 'ShareGPT conversations (from/value turns), as LLaMA-Factory reads it',
    // With a conversation column every row has `system` (a conversation's own system turn, else the prompt, else "").
    features: (options) =>
      withSystem([{ name: 'conversations', list: [{ name: 'from', dtype: 'string' }, { name: 'value', dtype: 'string' }] }], options, hasConversation(options.columns)),
  },
  'prompt-completion': {
    name: 'prompt-completion',
    extension: 'jsonl',
    builder: 'json',
    compressible: true,
    rejected: false,
    summary: "TRL's prompt–completion format (standard: prompt and completion as text; the completion begins with a space, TRL's separator)",
    features: () => [
      { name: 'prompt', dtype: 'string' },
      { name: 'completion', dtype: 'string' },
    ],
  },
  kto: {
    name: 'kto',
    extension: 'jsonl',
    builder: 'json',
    compressible: true,
    rejected: false,
    summary: "TRL's unpaired preference format for KTO: every pair, passed or rejected, with `label` true when it passed",
    rows: 'passed (label true) and rejected (label false) pairs',
    features: (options) => [preferenceField('prompt', options), preferenceField('completion', options), { name: 'label', dtype: 'bool' }],
  },
  dpo: {
    name: 'dpo',
    extension: 'jsonl',
    builder: 'json',
    compressible: true,
    rejected: false,
    summary: "TRL's preference format for DPO: per question the best-scored passed answer (`chosen`) and the worst-scored rejected one (`rejected`)",
    rows: 'one per question with a passed and a rejected answer',
    features: (options) => [preferenceField('prompt', options), preferenceField('chosen', options), preferenceField('rejected', options)],
  },
};

/** The preference formats: made of passed and rejected pairs, one config each (no rejected config, no tiers). */
export const PREFERENCE_FORMATS: readonly FormatName[] = ['kto', 'dpo'];

export function isPreferenceFormat(format: string): boolean {
  return (PREFERENCE_FORMATS as readonly string[]).includes(format);
}

/** The formats that need question and answer columns (and read context, and --system-prompt). */
export const CHAT_FORMATS: readonly FormatName[] = ['messages', 'alpaca', 'sharegpt', 'prompt-completion', 'kto', 'dpo'];

export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

export function isFormatName(name: string): name is FormatName {
  return Object.prototype.hasOwnProperty.call(FORMATS, name);
}

/** `--format jsonl,parquet,…` → distinct names in canonical FORMATS order. */
export function parseFormatList(text: unknown): FormatName[] {
  if (typeof text !== 'string' || text.trim() === '') {
    throw optionError('format', `--format expects a comma-separated list of ${FORMAT_NAMES.join(', ')}, ${got(text)}`);
  }
  const wanted = new Set<FormatName>();
  for (const part of text.split(',')) {
    const name = part.trim();
    if (!isFormatName(name)) {
      throw optionError('format', `--format ${JSON.stringify(name)} is not one of ${FORMAT_NAMES.join(', ')}, ${got(text)}`);
    }
    if (wanted.has(name)) throw optionError('format', `--format lists ${name} twice, ${got(text)}`);
    wanted.add(name);
  }
  return FORMAT_NAMES.filter((name) => wanted.has(name));
}

/** `--system-prompt`: absent, or a non-empty string. */
export function normalizeSystemPrompt(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw optionError('system-prompt', `--system-prompt must be non-empty text, ${got(value)}`);
  }
  return value;
}

/**
 * HF config name of a (format, channel): the flat jsonl pairs are `default`, as HF
 * expects; a custom format's is its name. With --tiers the pairs of a tier are
 * `tier_NAME` (jsonl), `tier_NAME_parquet`, …; with --partition-by the pairs of a
 * partition are its name (jsonl: `persona_nurse`), `persona_nurse_parquet`, …
 */
export function configName(format: string, channel: PairChannel, tier: string | null = null, partition: string | null = null): string {
  if (channel === 'pairs' && partition !== null) return format === 'jsonl' ? partition : `${partition}_${format}`;
  if (channel === 'pairs' && tier !== null) return format === 'jsonl' ? `tier_${tier}` : `tier_${tier}_${format}`;
  if (channel === 'pairs') return format === 'jsonl' ? 'default' : format;
  return format === 'jsonl' ? 'rejected' : `rejected_${format}`;
}

/** The folder of --partition-by's configs: one folder per partition in it, so the output's top level stays short. */
export const PARTITIONS_DIR = 'partitions';

/** Folder (relative to --out) of a (format, channel): `jsonl/`, `rejected/jsonl/`, a tier's `tier_high/jsonl/`, a partition's `partitions/persona_nurse/jsonl/`, … */
export function configDirectory(format: string, channel: PairChannel, tier: string | null = null, partition: string | null = null): string {
  if (channel === 'pairs' && partition !== null) return `${PARTITIONS_DIR}/${partition}/${format}`;
  if (channel === 'pairs' && tier !== null) return `tier_${tier}/${format}`;
  return channel === 'pairs' ? format : `rejected/${format}`;
}

/**
 * A conversation column (the `messages` preset writes the whole chat as JSON text in
 * `messages`): when the rows have it, the messages and sharegpt formats write every
 * turn of it, not only the first question and answer.
 */
export const CONVERSATION_FIELD = 'messages';
