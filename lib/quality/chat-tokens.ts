/**
 * chat-tokens — a row's conversation rendered with the model's chat template and
 * counted in the model's tokens (issue 20 part 1: --tokenizer MODEL_FOLDER,
 * --max-tokens N). Pure: the tokenizer.json and tokenizer_config.json come as data
 * (read by lib/io/tokenizer.ts), so each worker builds its own counter from the same
 * spec and every thread counts alike.
 *
 * As `transformers` does it: `apply_chat_template(messages, tokenize=False,
 * add_generation_prompt=False)` — the template (HuggingFace's own JavaScript Jinja,
 * @huggingface/jinja, with trim_blocks and lstrip_blocks as transformers sets them)
 * rendered with `messages`, `add_generation_prompt` false and the special tokens
 * tokenizer_config.json names (`bos_token`, `eos_token`, …, a string or an AddedToken's
 * `content`) — then `tokenizer(text, add_special_tokens=False)`: the tokens of the
 * rendered text, no special token added again. The conversation is the messages
 * format's (lib/dataset/line-formats.ts chatTurns): system prompt, user, assistant.
 *
 *   const counter = new ChatTokenCounter(spec);
 *   counter.count({ question: 'Vad är feber?', answer: 'Över 38 grader.' }) // { tokens: 23 } or { error: 'System role not supported' }
 */
import type { Row } from '../batch';
import type { Column } from '../columns';
import { chatTurns } from '../dataset/line-formats';

/** The shares of rows over these token counts are in the report (common context lengths). */
export const TOKEN_THRESHOLDS = [512, 1024, 2048, 4096] as const;

/** The model's files as data (plain JSON, so it crosses to workers) and the conversation's shape. */
export interface ChatTokensSpec {
  /** tokenizer.json, parsed. */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json, parsed: its chat_template and special tokens. */
  config: Record<string, unknown>;
  /** The preset's columns (a conversation column, a context column). */
  columns: Column[];
  /** --system-prompt, or null. */
  systemPrompt: string | null;
}

/** The special tokens transformers passes to a template (PreTrainedTokenizerBase.SPECIAL_TOKENS_ATTRIBUTES). */
const SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;

/** A rendered conversation's tokens, or the template's own message when it refused the row. */
export type ChatCount = { tokens: number } | { error: string };

/** The template of tokenizer_config.json: a string, or a list of named ones (the `default`). Null when there is none. */
export function chatTemplateOf(config: Record<string, unknown>): string | null {
  const template = config.chat_template;
  if (typeof template === 'string') return template;
  if (Array.isArray(template)) {
    const named = template.find((item) => (item as { name?: unknown }).name === 'default') as { template?: unknown } | undefined;
    return typeof named?.template === 'string' ? named.template : null;
  }
  return null;
}

interface Encoder {
  encode(text: string, options: { add_special_tokens: boolean }): { ids: number[] };
}
interface Renderer {
  render(items: Record<string, unknown>): string;
}

export class ChatTokenCounter {
  private readonly encoder: Encoder;
  private readonly template: Renderer;
  private readonly context: Record<string, unknown>;

  constructor(readonly spec: ChatTokensSpec) {
    const template = chatTemplateOf(spec.config);
    if (template === null) throw new Error('internal: a chat token counter needs a chat_template (lib/io/tokenizer.ts checks it)');
    // Loaded on first use (CommonJS builds of both): a run without a model folder never pays for them.
    /* eslint-disable @typescript-eslint/no-require-imports -- synchronous, in a worker or the main thread */
    const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: new (json: object, config: object) => Encoder };
    const { Template } = require('@huggingface/jinja') as { Template: new (text: string) => Renderer };
    /* eslint-enable @typescript-eslint/no-require-imports */
    this.encoder = new Tokenizer(spec.tokenizer, spec.config);
    this.template = new Template(template);
    const context: Record<string, unknown> = { add_generation_prompt: false };
    for (const name of SPECIAL_TOKENS) {
      const value = spec.config[name];
      const content = typeof value === 'string' ? value : typeof (value as { content?: unknown } | null)?.content === 'string' ? (value as { content: string }).content : null;
      if (content !== null) context[name] = content;
    }
    this.context = context;
  }

  /** The text the template makes of the row's conversation (throws the template's error). Null: the row has no conversation. */
  render(row: Row): string | null {
    const messages = chatTurns(row, this.spec.columns, this.spec.systemPrompt);
    if (messages === null) return null;
    return this.template.render({ ...this.context, messages });
  }

  /** The tokens of the rendered conversation; null when the row has none. */
  count(row: Row): ChatCount | null {
    let text: string | null;
    try {
      text = this.render(row);
    } catch (err) {
      return { error: (err instanceof Error ? err.message : String(err)).split('\n')[0] };
    }
    if (text === null) return null;
    return { tokens: this.encoder.encode(text, { add_special_tokens: false }).ids.length };
  }
}
