/**
 * line-formats — how a flat row becomes one line of the JSON formats of `qa-hf export`.
 *
 * Input: a flat HF row as the preset maps it (question, answer, source, persona,
 * validation_score[, failure_reason]). Output per format:
 *
 *   jsonl     the flat row, keys in column order, floats as floats (lib/jsonl)
 *   messages  {"messages":[{"role":"system","content":S}?,{"role":"user","content":U},
 *             {"role":"assistant","content":A}]}                 OpenAI / TRL chat
 *   alpaca    {"instruction":Q,"input":C,"output":A[,"system":S]}  LLaMA-Factory alpaca
 *   sharegpt  {"conversations":[{"from":"human","value":U},{"from":"gpt","value":A}]
 *             [,"system":S]}                                    LLaMA-Factory sharegpt
 *   prompt-completion {"prompt":P,"completion":" "+A}           TRL prompt–completion (standard)
 * (csv: lib/dataset/csv-format.ts; parquet: lib/dataset/parquet.ts.)
 *
 * Rows with a conversation column (`messages`, JSON text of role/content turns, as
 * the messages preset writes it) go to messages and sharegpt with every turn.
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
 *   const line = makeLineFormatter('messages', { columns: QA_INTERNAL.pairColumns, systemPrompt: 'Du är…' });
 *   line({ question: 'Hur?', answer: 'Så.', … }) // '{"messages":[{"role":"system",…}]}'
 */
import type { Row } from '../batch';
import { QaHfError, got, optionError } from '../errors';
import type { Column } from '../columns';
import { makeRowWriter } from './jsonl';
import { type FormatName, type FormatOptions, hasConversation, normalizeSystemPrompt, CONVERSATION_FIELD } from './formats';

export type LineFormatter = (row: Row) => string;

/** The field names the chat formats read from a flat row. */
export const PROMPT_FIELD = 'question';
export const RESPONSE_FIELD = 'answer';
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
export function userText(row: Row, withContext: boolean): string {
  if (!withContext) return raw(row, PROMPT_FIELD);
  const context = raw(row, CONTEXT_FIELD);
  return context === '' ? raw(row, PROMPT_FIELD) : `${context}${CONTEXT_SEPARATOR}${raw(row, PROMPT_FIELD)}`;
}

export interface Turn {
  role: string;
  content: string;
}

/** The turns of a conversation column's JSON text, or null when it is not a list of {role, content} strings. */
export function conversationOf(row: Row, byteText: boolean): Turn[] | null {
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
    case 'kto':
    case 'dpo':
      throw new QaHfError('ERR_USAGE', `${format} is not a row format: its lines are made of several rows (lib/dataset/preference.ts)`);
  }
}

/** A chat format needs string columns question and answer: ERR_OPTION naming what the mapping has. */
export function requireChatColumns(format: FormatName, columns: readonly Column[]): void {
  for (const field of [PROMPT_FIELD, RESPONSE_FIELD]) {
    if (!columns.some((column) => column.name === field && column.type === 'string')) {
      throw optionError('format', `--format ${format} needs string columns question and answer (a chat format: one question, one answer per row); the mapping has no ${field}, ${got(columns.map((c) => c.name))}`,
      );
    }
  }
}

/**
 * The conversation of a row as the messages format writes it (the system prompt first
 * unless the conversation has a system turn; the user's turn with its context): what a
 * chat template renders (lib/quality/chat-tokens.ts). Null when the row has no string
 * question and answer and no conversation column (a mapping without a chat).
 */
export function chatTurns(row: Row, columns: readonly Column[], systemPrompt: string | null): Turn[] | null {
  const turns = hasConversation(columns) ? conversationOf(row, false) : null;
  if (turns !== null) return systemPrompt !== null && !turns.some((turn) => turn.role === 'system') ? [{ role: 'system', content: systemPrompt }, ...turns] : turns;
  if (typeof row[PROMPT_FIELD] !== 'string' || typeof row[RESPONSE_FIELD] !== 'string') return null;
  const withContext = columns.some((column) => column.name === CONTEXT_FIELD && column.type === 'string') && typeof row[CONTEXT_FIELD] === 'string';
  const first = [
    { role: 'user', content: userText(row, withContext) },
    { role: 'assistant', content: raw(row, RESPONSE_FIELD) },
  ];
  return systemPrompt === null ? first : [{ role: 'system', content: systemPrompt }, ...first];
}
