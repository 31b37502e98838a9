/**
 * tokenizer — loads a HuggingFace tokenizer.json (--tokenizer FILE) for the
 * report's token lengths, through @huggingface/tokenizers (a tokenizer_config.json
 * beside it is read too when present). Its sha256 goes into the options hash: the
 * same tokens, or no resume.
 *
 *   const { countTokens, sha256 } = await loadTokenizer('tokenizer.json', '--tokenizer');
 *   countTokens('Vad innebär NEWS2?') // 7 (without special tokens)
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Tokenizer } from '@huggingface/tokenizers';
import { QaHfError, toQaHfError } from '../errors';

export interface LoadedTokenizer {
  countTokens: (text: string) => number;
  sha256: string;
}

export async function loadTokenizer(file: string, option = '--tokenizer'): Promise<LoadedTokenizer> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new QaHfError('ERR_OPTION', `${option} ${file}: ${toQaHfError(err).message.replace(`: ${file}`, '')}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new QaHfError('ERR_OPTION', `${option} ${file} is not JSON (a HuggingFace tokenizer.json)`);
  }
  const config = await fs
    .readFile(path.join(path.dirname(file), 'tokenizer_config.json'), 'utf8')
    .then((configText) => JSON.parse(configText) as object)
    .catch(() => ({}));
  let tokenizer: Tokenizer;
  // Loaded only when --tokenizer is given.
  const { Tokenizer: TokenizerClass } = await import('@huggingface/tokenizers');
  try {
    if (json === null || typeof json !== 'object' || !('model' in json)) throw new Error('no "model"');
    tokenizer = new TokenizerClass(json, config);
    tokenizer.encode('a', { add_special_tokens: false });
  } catch (err) {
    throw new QaHfError('ERR_OPTION', `${option} ${file} is not a usable HuggingFace tokenizer.json (${(err as Error).message.split('\n')[0]})`);
  }
  return {
    countTokens: (value) => tokenizer.encode(value, { add_special_tokens: false }).ids.length,
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}
