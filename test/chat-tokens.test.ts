/**
 * The chat template's token counts (lib/quality/chat-tokens.ts) against the golden
 * counts of test/fixtures/chat-model/golden.json, which make.py computed with the
 * Python reference (HuggingFace `tokenizers` and `jinja2`, rendering as transformers'
 * apply_chat_template does), never with qa-hf. And the same counts wherever they are
 * made: the processor's facts (a worker's) or routing itself (a merge's rows).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ChatTokenCounter, type ChatTokensSpec, chatTemplateOf } from '../lib/quality/chat-tokens';
import { FactFinder } from '../lib/quality/facts';
import { applyRoute, makeRouter } from '../lib/dataset/route';
import { parseSplitSpec } from '../lib/dataset/split';
import { QA_INTERNAL } from '../lib/input/presets';
import { newEntry } from '../lib/batch';
import { QaHfError } from '../lib/errors';
import { ROOT } from './helpers';

const DIR = path.join(ROOT, 'test', 'fixtures', 'chat-model');
const json = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Record<string, any>;
const golden = json('golden.json');
const records = readFileSync(path.join(DIR, 'rows.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, any>);
/** The rows as the qa-internal preset maps them (the columns a template reads). */
const rows = records.map((record) => ({ question: record.question, answer: record.answer, source: '', persona: 'sjuksköterska/erfaren', validation_score: record.validation.composite_score }));
const spec = (systemPrompt: string | null, config = 'tokenizer_config.json'): ChatTokensSpec => ({
  tokenizer: json('tokenizer.json'),
  config: json(config),
  columns: [...QA_INTERNAL.pairColumns],
  systemPrompt,
});

describe('the rendered conversation’s tokens equal the Python reference’s', () => {
  test('the first row renders to the same text', () => {
    expect(new ChatTokenCounter(spec(null)).render(rows[0])).toBe(golden.first_rendered);
  });

  test.each([
    ['without a system prompt', null, 'tokens'],
    ['with --system-prompt', golden.system_prompt as string, 'tokens_with_system'],
  ])('every row, %s', (_name, systemPrompt, key) => {
    const counter = new ChatTokenCounter(spec(systemPrompt));
    expect(rows.map((row) => counter.count(row))).toEqual(golden.rows.map((row: Record<string, number>) => ({ tokens: row[key] })));
    // The fixture spans the report's thresholds: some over 512 and 1024.
    expect(golden.rows.filter((row: Record<string, number>) => row[key] > 1024).length).toBeGreaterThan(0);
  });

  test('a template that refuses a system turn: its own message', () => {
    const counter = new ChatTokenCounter(spec('Du är en vårdassistent.', 'no-system/tokenizer_config.json'));
    expect(counter.count(rows[0])).toEqual({ error: golden.no_system_error });
    expect(new ChatTokenCounter(spec(null, 'no-system/tokenizer_config.json')).count(rows[0])).toEqual({ tokens: golden.rows[0].tokens });
  });

  test('chat_template: a string, a named list, or none', () => {
    expect(chatTemplateOf({ chat_template: 'x' })).toBe('x');
    expect(chatTemplateOf({ chat_template: [{ name: 'tool_use', template: 't' }, { name: 'default', template: 'd' }] })).toBe('d');
    expect(chatTemplateOf({})).toBeNull();
  });
});

describe('routing: --max-tokens and a refusal, from facts or counted there', () => {
  const plan = (systemPrompt: string | null, config?: string) => ({ spec: parseSplitSpec('train=1'), seed: 42, key: 'question', maxTokens: 100, chat: spec(systemPrompt, config) });

  test.each([
    ['the processor’s facts', true],
    ['no facts (a merge’s rows)', false],
  ])('%s: too_many_tokens exactly for the rows over 100 tokens', (_name, withFacts) => {
    const route = makeRouter(plan(null));
    const finder = new FactFinder({ pii: 'report', near: false, language: null, report: false, chat: spec(null) });
    const reasons = rows.map((row, i) => {
      const entry = newEntry(i + 1, 0, '');
      entry.channel = 'pairs';
      entry.row = row;
      if (withFacts) entry.facts = finder.find(entry);
      applyRoute(entry, route(entry, 'rows.jsonl'));
      return entry.reason;
    });
    expect(reasons).toEqual(golden.rows.map((row: Record<string, number>) => (row.tokens > 100 ? 'too_many_tokens' : null)));
  });

  test.each([true, false])('the first row the template refuses ends the run, naming its file and line (facts: %s)', (withFacts) => {
    const route = makeRouter(plan('System.', 'no-system/tokenizer_config.json'));
    const finder = new FactFinder({ pii: 'report', near: false, language: null, report: false, chat: spec('System.', 'no-system/tokenizer_config.json') });
    const entry = newEntry(7, 0, '');
    entry.channel = 'rejected';
    entry.row = rows[3];
    if (withFacts) entry.facts = finder.find(entry);
    expect.assertions(2);
    try {
      route(entry, 'rows.jsonl');
    } catch (err) {
      expect(err).toBeInstanceOf(QaHfError);
      expect((err as QaHfError).toLine()).toBe(`rows.jsonl:7: ERR_CHAT_TEMPLATE: the chat template refused this row: ${golden.no_system_error}`);
    }
  });
});
