/**
 * formats — the output formats of `qa-hf export` and how a flat row becomes each.
 *
 * Input: a flat HF row as the preset maps it (question, answer, source, persona,
 * validation_score[, failure_reason]). Output per format:
 *
 *   jsonl     the flat row, keys in column order, floats as floats (lib/jsonl)
 *   parquet   the flat row as a Parquet row (lib/parquet); no text line here
 *   csv       RFC 4180: CRLF records, header row, fields quoted when they hold
 *             a comma, quote, CR or LF, empty strings written "" (see CSV_OPTIONS)
 *   messages  {"messages":[{"role":"system","content":S}?,{"role":"user","content":U},
 *             {"role":"assistant","content":A}]}                 OpenAI / TRL chat
 *   alpaca    {"instruction":Q,"input":C,"output":A[,"system":S]}  LLaMA-Factory alpaca
 *   sharegpt  {"conversations":[{"from":"human","value":U},{"from":"gpt","value":A}]
 *             [,"system":S]}                                    LLaMA-Factory sharegpt
 *
 * Rows with a conversation column (`messages`, JSON text of role/content turns, as
 * the messages preset writes it) go to messages and sharegpt with every turn.
 *   prompt-completion {"prompt":P,"completion":" "+A}           TRL prompt–completion (standard)
 *
 * Q = `question`, A = `answer`, C = `context` (a string column of the row; '' when the
 * columns have none). U, the user's turn, is Q, or C + a blank line + Q when C is not
 * empty (the context first, as a reader meets it). P is U, preceded by S and a blank
 * line when a system prompt is given: TRL's standard prompt–completion rows are plain
 * text with no turns, so the prompt text is the only place a system prompt reaches the
 * model. The completion is A after one space (COMPLETION_SEPARATOR), TRL's convention.
 *
 * JSON text is exact: keys in the fixed order above, no spaces, strings as
 * JSON.stringify writes them (UTF-8 as is, only quotes, backslashes and control
 * characters escaped). Alpaca carries the system prompt too when one is given:
 * LLaMA-Factory's alpaca format has a `system` column, and dropping the prompt
 * silently from one format would make the formats disagree.
 *
 * The FORMATS table also says, per format, its file extension, the HF builder that
 * loads it and the features the dataset card declares.
 *
 *   const line = makeLineFormatter('messages', { columns: QA_INTERNAL.pairColumns, systemPrompt: 'Du är…' });
 *   line({ question: 'Hur?', answer: 'Så.', … }) // '{"messages":[{"role":"system",…}]}'
 */
import { stringify } from 'csv-stringify/sync';
import type { Row } from './batch';
import { QaHfError, got } from './errors';
import type { Column, ColumnType } from './columns';
import { formatFloat, makeRowWriter } from './jsonl';
import type { PairChannel } from './presets';

export type FormatName = 'jsonl' | 'parquet' | 'csv' | 'messages' | 'alpaca' | 'sharegpt' | 'prompt-completion';

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

/** Whether the rows carry a conversation column (CONVERSATION_FIELD, JSON text). */
function hasConversation(columns: readonly Column[]): boolean {
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
};

/** The formats that need question and answer columns (and read context, and --system-prompt). */
export const CHAT_FORMATS: readonly FormatName[] = ['messages', 'alpaca', 'sharegpt', 'prompt-completion'];

export const FORMAT_NAMES = Object.keys(FORMATS) as FormatName[];

export function isFormatName(name: string): name is FormatName {
  return Object.prototype.hasOwnProperty.call(FORMATS, name);
}

/** `--format jsonl,parquet,…` → distinct names in canonical FORMATS order. */
export function parseFormatList(text: unknown): FormatName[] {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new QaHfError('ERR_OPTION', `--format expects a comma-separated list of ${FORMAT_NAMES.join(', ')}, ${got(text)}`);
  }
  const wanted = new Set<FormatName>();
  for (const part of text.split(',')) {
    const name = part.trim();
    if (!isFormatName(name)) {
      throw new QaHfError('ERR_OPTION', `--format ${JSON.stringify(name)} is not one of ${FORMAT_NAMES.join(', ')}, ${got(text)}`);
    }
    if (wanted.has(name)) throw new QaHfError('ERR_OPTION', `--format lists ${name} twice, ${got(text)}`);
    wanted.add(name);
  }
  return FORMAT_NAMES.filter((name) => wanted.has(name));
}

/** `--system-prompt`: absent, or a non-empty string. */
export function normalizeSystemPrompt(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new QaHfError('ERR_OPTION', `--system-prompt must be non-empty text, ${got(value)}`);
  }
  return value;
}

/**
 * HF config name of a (format, channel): the flat jsonl pairs are `default`, as HF
 * expects; a custom format's is its name. With --tiers the pairs of a tier are
 * `tier_NAME` (jsonl), `tier_NAME_parquet`, …
 */
export function configName(format: string, channel: PairChannel, tier: string | null = null): string {
  if (channel === 'pairs' && tier !== null) return format === 'jsonl' ? `tier_${tier}` : `tier_${tier}_${format}`;
  if (channel === 'pairs') return format === 'jsonl' ? 'default' : format;
  return format === 'jsonl' ? 'rejected' : `rejected_${format}`;
}

/** Folder (relative to --out) of a (format, channel): `jsonl/`, `rejected/jsonl/`, a tier's `tier_high/jsonl/`, … */
export function configDirectory(format: string, channel: PairChannel, tier: string | null = null): string {
  if (channel === 'pairs' && tier !== null) return `tier_${tier}/${format}`;
  return channel === 'pairs' ? format : `rejected/${format}`;
}

export type LineFormatter = (row: Row) => string;

/** The field names the chat formats read from a flat row. */
const PROMPT_FIELD = 'question';
const RESPONSE_FIELD = 'answer';
/** Read when the columns have it (a string column): alpaca's input, before the question elsewhere. */
export const CONTEXT_FIELD = 'context';
/** Between the context (or the system prompt of prompt-completion) and the question: a blank line. */
export const CONTEXT_SEPARATOR = '\n\n';
/**
 * The start of every prompt-completion `completion`, before the answer. TRL's SFTTrainer
 * trains on `prompt + completion` joined as they are (trl/trainer/sft_trainer.py
 * tokenize_fn: `example["prompt"] + example["completion"]`, no separator added), and TRL's
 * dataset formats page writes standard rows with the separator at the completion's start
 * (`{"prompt": "The sky is", "completion": " blue."}`). There, not at the prompt's end: the
 * prompt's tokens must be a prefix of the joined text's (SFTTrainer tokenizes both and
 * warns of a mismatch), and a BPE tokenizer glues a space to the word after it.
 */
export const COMPLETION_SEPARATOR = ' ';

function raw(row: Row, field: string): string {
  const value = row[field];
  if (typeof value !== 'string') throw new TypeError(`internal: row field ${field} is ${typeof value}, not a string`);
  return value;
}

function text(row: Row, field: string): string {
  return JSON.stringify(raw(row, field));
}

/** The user's turn: the question, after the context and a blank line when there is one. */
function userText(row: Row, withContext: boolean): string {
  if (!withContext) return raw(row, PROMPT_FIELD);
  const context = raw(row, CONTEXT_FIELD);
  return context === '' ? raw(row, PROMPT_FIELD) : `${context}${CONTEXT_SEPARATOR}${raw(row, PROMPT_FIELD)}`;
}

/**
 * A conversation column (the `messages` preset writes the whole chat as JSON text in
 * `messages`): when the rows have it, the messages and sharegpt formats write every
 * turn of it, not only the first question and answer.
 */
export const CONVERSATION_FIELD = 'messages';

interface Turn {
  role: string;
  content: string;
}

/** The turns of a conversation column's JSON text, or null when it is not a list of {role, content} strings. */
function conversationOf(row: Row, byteText: boolean): Turn[] | null {
  const value = row[CONVERSATION_FIELD];
  if (typeof value !== 'string') return null;
  let turns: unknown;
  try {
    turns = JSON.parse(byteText ? Buffer.from(value, 'latin1').toString('utf8') : value);
  } catch {
    return null;
  }
  if (!Array.isArray(turns) || turns.length === 0) return null;
  const checked: Turn[] = [];
  for (const turn of turns) {
    const { role, content } = (turn ?? {}) as { role?: unknown; content?: unknown };
    if (typeof role !== 'string' || typeof content !== 'string') return null;
    checked.push({ role, content });
  }
  return checked;
}

/** JSON text as the rows hold it: byte text (UTF-8 bytes as latin1) when they do. */
function asRowText(json: string, byteText: boolean): string {
  return byteText ? Buffer.from(json, 'utf8').toString('latin1') : json;
}

/** LLaMA-Factory's sharegpt roles for OpenAI-style ones (`tool` results are observations). */
const SHAREGPT_ROLES: Readonly<Record<string, string>> = { user: 'human', assistant: 'gpt', tool: 'observation' };

/**
 * One JSON object (no newline) per flat row, for every format except parquet and csv.
 * Options are checked here, once, before any row.
 */
export function makeLineFormatter(format: FormatName, options: FormatOptions): LineFormatter {
  const systemPrompt = normalizeSystemPrompt(options.systemPrompt);
  const system =
    systemPrompt === undefined
      ? undefined
      : options.byteText
        ? Buffer.from(JSON.stringify(systemPrompt), 'utf8').toString('latin1')
        : JSON.stringify(systemPrompt);
  if (format !== 'jsonl') requireChatColumns(format, options.columns);
  const withContext = options.columns.some((column) => column.name === CONTEXT_FIELD && column.type === 'string');
  const withConversation = hasConversation(options.columns);
  const byteText = options.byteText === true;
  switch (format) {
    case 'jsonl':
      return makeRowWriter(options.columns);
    case 'messages': {
      const head =
        system === undefined ? '{"messages":[' : `{"messages":[{"role":"system","content":${system}},`;
      const firstTurn = (row: Row) =>
        `${head}{"role":"user","content":${JSON.stringify(userText(row, withContext))}},{"role":"assistant","content":${text(row, RESPONSE_FIELD)}}]}`;
      if (!withConversation) return firstTurn;
      // Every turn; the system prompt only where the conversation has no system turn of its own.
      return (row) => {
        const turns = conversationOf(row, byteText);
        if (turns === null) return firstTurn(row);
        const all = systemPrompt !== undefined && !turns.some((turn) => turn.role === 'system') ? [{ role: 'system', content: systemPrompt }, ...turns] : turns;
        return asRowText(JSON.stringify({ messages: all }), byteText);
      };
    }
    case 'alpaca': {
      const tail = system === undefined ? '}' : `,"system":${system}}`;
      const input = withContext ? (row: Row) => text(row, CONTEXT_FIELD) : () => '""';
      return (row) => `{"instruction":${text(row, PROMPT_FIELD)},"input":${input(row)},"output":${text(row, RESPONSE_FIELD)}${tail}`;
    }
    case 'sharegpt': {
      const tail = system === undefined ? '}' : `,"system":${system}}`;
      const firstTurn = (row: Row) =>
        `{"conversations":[{"from":"human","value":${JSON.stringify(userText(row, withContext))}},{"from":"gpt","value":${text(row, RESPONSE_FIELD)}}]${tail}`;
      if (!withConversation) return firstTurn;
      // Every turn, roles as LLaMA-Factory names them; `system` in every row (one set of keys per file):
      // the conversation's first system turn, else the system prompt, else "".
      return (row) => {
        const turns = conversationOf(row, byteText) ?? [
          { role: 'user', content: userText(row, withContext) },
          { role: 'assistant', content: raw(row, RESPONSE_FIELD) },
        ];
        const own = turns.find((turn) => turn.role === 'system')?.content ?? systemPrompt ?? '';
        const conversations = turns.filter((turn) => turn.role !== 'system').map((turn) => ({ from: SHAREGPT_ROLES[turn.role] ?? turn.role, value: turn.content }));
        return asRowText(JSON.stringify({ conversations, system: own }), byteText);
      };
    }
    case 'prompt-completion': {
      // The system prompt as text (byte text when the rows are), not as a JSON literal.
      const head =
        systemPrompt === undefined ? '' : `${options.byteText ? Buffer.from(systemPrompt, 'utf8').toString('latin1') : systemPrompt}${CONTEXT_SEPARATOR}`;
      return (row) => `{"prompt":${JSON.stringify(head + userText(row, withContext))},"completion":${JSON.stringify(COMPLETION_SEPARATOR + raw(row, RESPONSE_FIELD))}}`;
    }
    case 'parquet':
    case 'csv':
      throw new QaHfError('ERR_USAGE', `${format} is not a line format: use ${format === 'csv' ? 'makeCsvFormatter' : 'lib/parquet'}`);
  }
}

/** A chat format needs string columns question and answer: ERR_OPTION naming what the mapping has. */
export function requireChatColumns(format: FormatName, columns: readonly Column[]): void {
  for (const field of [PROMPT_FIELD, RESPONSE_FIELD]) {
    if (!columns.some((column) => column.name === field && column.type === 'string')) {
      throw new QaHfError(
        'ERR_OPTION',
        `--format ${format} needs string columns question and answer (a chat format: one question, one answer per row); the mapping has no ${field}, ${got(columns.map((c) => c.name))}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------
// CSV

/** RFC 4180 records end in CRLF. */
export const CSV_RECORD_DELIMITER = '\r\n';

/**
 * csv-stringify options: CRLF records; a field is quoted when it holds a comma, a
 * quote (doubled inside), CR or LF. `quote_record_delimiter` must be set: with an
 * explicit record delimiter csv-stringify 6 otherwise quotes only fields holding
 * the whole CRLF, and a bare LF or CR would end the record. Empty strings are
 * written `""`, the one spelling a
 * reader can tell from a missing value (DuckDB with allow_quoted_nulls=false reads
 * '' for it; HF's pandas reader needs keep_default_na=False, which the card sets).
 */
const CSV_OPTIONS = { record_delimiter: CSV_RECORD_DELIMITER, quote_record_delimiter: true, quoted_empty: true, eof: true } as const;

export interface CsvFormatter {
  /** The header record, CRLF included: the first bytes of every CSV shard. */
  readonly header: string;
  /** Records for a batch of rows, each ending in CRLF ('' for no rows). */
  rows(rows: readonly Row[]): string;
  /** One record, CRLF included: for the per-record rollover decision. */
  row(row: Row): string;
}

/**
 * CSV for flat rows: values written like the JSONL (floats as `1.0`, a list<string>
 * as its JSON text, since CSV has no lists), one header per
 * shard. Quoting looks only at ASCII characters, so rows of byte texts give the byte
 * text of the CSV (write it with latin1); `byteText` changes nothing here.
 */
export function makeCsvFormatter(options: FormatOptions): CsvFormatter {
  const columns = options.columns;
  const cells = columns.map((column): ((value: unknown) => string) => {
    switch (column.type) {
      case 'string':
        return (value) => value as string;
      case 'float':
        return (value) => formatFloat(value as number);
      case 'int':
        return (value) => String(Math.trunc(value as number));
      case 'bool':
        return (value) => (value ? 'true' : 'false');
      case 'list<string>':
        return (value) => JSON.stringify(value);
    }
  });
  const record = (row: Row): string[] => columns.map((column, i) => cells[i](row[column.name]));
  return {
    header: stringify([columns.map((column) => column.name)], CSV_OPTIONS),
    rows: (rows) => (rows.length === 0 ? '' : stringify(rows.map(record), CSV_OPTIONS)),
    row: (row) => stringify([record(row)], CSV_OPTIONS),
  };
}
