/**
 * tokenizer — loads a HuggingFace tokenizer.json (--tokenizer FILE) for the
 * report's token lengths, through @huggingface/tokenizers (a tokenizer_config.json
 * beside it is read too when present); or a model folder (--tokenizer FOLDER:
 * tokenizer.json and tokenizer_config.json, whose chat_template renders each row's
 * conversation, lib/quality/chat-tokens.ts). Its sha256 (a folder's: of both files)
 * goes into the options hash: the same tokens, or no resume.
 *
 *   const { countTokens, sha256 } = await loadTokenizer('tokenizer.json', '--tokenizer');
 *   countTokens('Vad innebär NEWS2?') // 7 (without special tokens)
 *   (await loadTokenizer('models/qwen/', '--tokenizer')).chat // { tokenizer, config }: the model's files as data
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '@huggingface/tokenizers';
import { optionError, toQaHfError } from '../errors';
import { chatTemplateOf } from '../quality/chat-tokens';

export interface LoadedTokenizer {
  countTokens: (text: string) => number;
  sha256: string;
  /** A model folder's files as data, for the chat template's token counts; null for a tokenizer.json file. */
  chat: { tokenizer: Record<string, unknown>; config: Record<string, unknown> } | null;
}

export async function loadTokenizer(given: string, option = '--tokenizer'): Promise<LoadedTokenizer> {
  const folder = await fs
    .stat(given)
    .then((stat) => stat.isDirectory())
    .catch(() => false);
  const file = folder ? path.join(given, 'tokenizer.json') : given;
  let configText: string | null = null;
  if (folder) {
    configText = await fs.readFile(path.join(given, 'tokenizer_config.json'), 'utf8').catch(() => null);
    if (configText === null) throw optionError('tokenizer', `${option} ${given} is a folder without tokenizer_config.json (a model folder holds tokenizer.json and tokenizer_config.json with its chat_template)`);
  }
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw optionError('tokenizer', `${option} ${file}: ${toQaHfError(err).message.replace(`: ${file}`, '')}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw optionError('tokenizer', `${option} ${file} is not JSON (a HuggingFace tokenizer.json)`);
  }
  let config: Record<string, unknown>;
  if (configText !== null) {
    try {
      config = JSON.parse(configText) as Record<string, unknown>;
    } catch {
      throw optionError('tokenizer', `${option} ${given}: tokenizer_config.json is not JSON`);
    }
    if (chatTemplateOf(config) === null) throw optionError('tokenizer', `${option} ${given}: tokenizer_config.json has no chat_template (a string, or a list with one named default)`);
  } else {
    config = await fs
      .readFile(path.join(path.dirname(file), 'tokenizer_config.json'), 'utf8')
      .then((read) => JSON.parse(read) as Record<string, unknown>)
      .catch(() => ({}));
  }
  let tokenizer: Tokenizer;
  // Loaded only when --tokenizer is given.
  const { Tokenizer: TokenizerClass } = await import('@huggingface/tokenizers');
  try {
    if (json === null || typeof json !== 'object' || !('model' in json)) throw new Error('no "model"');
    tokenizer = new TokenizerClass(json, config);
    tokenizer.encode('a', { add_special_tokens: false });
  } catch (err) {
    throw optionError('tokenizer', `${option} ${file} is not a usable HuggingFace tokenizer.json (${(err as Error).message.split('\n')[0]})`);
  }
  // A folder's hash covers both files (the template decides the counts); a file's stays the sha256 of its bytes.
  const hash = createHash('sha256').update(text);
  if (configText !== null) hash.update('\u0000').update(configText);
  return {
    countTokens: (value) => tokenizer.encode(value, { add_special_tokens: false }).ids.length,
    sha256: hash.digest('hex'),
    chat: configText === null ? null : { tokenizer: json as Record<string, unknown>, config },
  };
}
