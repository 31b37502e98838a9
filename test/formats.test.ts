import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useDuckDb } from './duckdb';
import type { Row } from '../lib/batch';
import {
  CHAT_FORMATS,
  FORMATS,
  FORMAT_NAMES,
  isPreferenceFormat,
  type FormatName,
  configDirectory,
  configName,
  normalizeSystemPrompt,
  parseFormatList,
} from '../lib/dataset/formats';
import { CSV_RECORD_DELIMITER, makeCsvFormatter } from '../lib/dataset/csv-format';
import { makeLineFormatter } from '../lib/dataset/line-formats';
import { normalizeExportPlan } from '../lib/dataset/plan';
import { type Preset, QA_INTERNAL } from '../lib/input/presets';
import { seeded, thrown } from './helpers';

const PAIRS = { columns: QA_INTERNAL.pairColumns };
const REJECTED = { columns: QA_INTERNAL.rejectedColumns };
const SYSTEM = 'Du är en vänlig "sjuksköterska".';

const ROW: Row = {
  question: 'Hur ofta?',
  answer: 'Var 4:e timme.',
  source: 'dok/1.pdf',
  persona: 'sjuksköterska/erfaren',
  validation_score: 1,
};

let dir: string;
const { query } = useDuckDb();
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-formats-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function types(source: string): Promise<Record<string, string>> {
  const rows = await query(`DESCRIBE SELECT * FROM ${source}`);
  return Object.fromEntries(rows.map((row) => [row.column_name as string, row.column_type as string]));
}

/** Seeded rows with the characters that break naive writers. */
function trickyRows(count: number, seed: number): Row[] {
  const random = seeded(seed);
  const pieces = ['åäö', 'ÅÄÖ', '🩺', '漢字', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rlf\r\n', 'tab\t', 'back\\slash', ' lead', 'trail ', '', '\u0001', 'é'];
  const text = () => Array.from({ length: 1 + Math.floor(random() * 4) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
  return Array.from({ length: count }, (_, i) => ({
    question: `${text()}?`,
    answer: text(),
    source: random() < 0.3 ? '' : `dok/${i % 7}.pdf`,
    persona: `${text()}/erfaren`,
    validation_score: random() < 0.2 ? 1 : Math.round(random() * 1000) / 1000,
  }));
}

describe('line formats: exact bytes', () => {
  test.each<[FormatName, string | undefined, string]>([
    [
      'jsonl',
      undefined,
      '{"question":"Hur ofta?","answer":"Var 4:e timme.","source":"dok/1.pdf","persona":"sjuksköterska/erfaren","validation_score":1.0}',
    ],
    ['messages', undefined, '{"messages":[{"role":"user","content":"Hur ofta?"},{"role":"assistant","content":"Var 4:e timme."}]}'],
    [
      'messages',
      SYSTEM,
      '{"messages":[{"role":"system","content":"Du är en vänlig \\"sjuksköterska\\"."},{"role":"user","content":"Hur ofta?"},{"role":"assistant","content":"Var 4:e timme."}]}',
    ],
    ['alpaca', undefined, '{"instruction":"Hur ofta?","input":"","output":"Var 4:e timme."}'],
    ['alpaca', SYSTEM, '{"instruction":"Hur ofta?","input":"","output":"Var 4:e timme.","system":"Du är en vänlig \\"sjuksköterska\\"."}'],
    ['sharegpt', undefined, '{"conversations":[{"from":"human","value":"Hur ofta?"},{"from":"gpt","value":"Var 4:e timme."}]}'],
    [
      'sharegpt',
      SYSTEM,
      '{"conversations":[{"from":"human","value":"Hur ofta?"},{"from":"gpt","value":"Var 4:e timme."}],"system":"Du är en vänlig \\"sjuksköterska\\"."}',
    ],
    // TRL's standard prompt–completion rows: the completion begins with the separator (a space).
    ['prompt-completion', undefined, '{"prompt":"Hur ofta?","completion":" Var 4:e timme."}'],
    ['prompt-completion', SYSTEM, '{"prompt":"Du är en vänlig \\"sjuksköterska\\".\\n\\nHur ofta?","completion":" Var 4:e timme."}'],
  ])('%s (system prompt %j)', (format, systemPrompt, line) => {
    expect(makeLineFormatter(format, { ...PAIRS, systemPrompt })(ROW)).toBe(line);
  });

  test('jsonl of a rejected pair keeps the column order and ends with failure_reason', () => {
    expect(makeLineFormatter('jsonl', REJECTED)({ ...ROW, validation_score: 0.25, failure_reason: 'för vag' })).toBe(
      '{"question":"Hur ofta?","answer":"Var 4:e timme.","source":"dok/1.pdf","persona":"sjuksköterska/erfaren","validation_score":0.25,"failure_reason":"för vag"}',
    );
  });

  test('UTF-8 is written as is; only quotes, backslashes and control characters are escaped', () => {
    const row = { ...ROW, question: 'Å🩺漢 "q" \\ \n\t\u0001\u007f\u2028', answer: '' };
    expect(makeLineFormatter('alpaca', PAIRS)(row)).toBe(
      '{"instruction":"Å🩺漢 \\"q\\" \\\\ \\n\\t\\u0001\u007f\u2028","input":"","output":""}',
    );
  });

  // kto and dpo lines are made of several rows (lib/dataset/preference.ts; test/preference.test.ts).
  test.each(FORMAT_NAMES.filter((name) => name !== 'parquet' && name !== 'csv' && !isPreferenceFormat(name)))('%s: every line parses back to the row', (format) => {
    const line = makeLineFormatter(format, { ...PAIRS, systemPrompt: SYSTEM });
    for (const row of trickyRows(300, 5)) {
      const parsed = JSON.parse(line(row));
      const [q, a] = [row.question, row.answer];
      const expected = {
        jsonl: row,
        messages: { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: q }, { role: 'assistant', content: a }] },
        alpaca: { instruction: q, input: '', output: a, system: SYSTEM },
        sharegpt: { conversations: [{ from: 'human', value: q }, { from: 'gpt', value: a }], system: SYSTEM },
        'prompt-completion': { prompt: `${SYSTEM}\n\n${q}`, completion: ` ${a}` },
      }[format as 'jsonl' | 'messages' | 'alpaca' | 'sharegpt' | 'prompt-completion'];
      expect(parsed).toEqual(expected);
    }
  });

  test.each<[FormatName, string]>([
    ['parquet', 'parquet is not a line format: use lib/parquet'],
    ['csv', 'csv is not a line format: use makeCsvFormatter'],
  ])('%s has no line formatter', (format, message) => {
    expect(thrown(() => makeLineFormatter(format, PAIRS)).message).toBe(message);
  });

  test.each(CHAT_FORMATS)('%s needs string question and answer columns', (format) => {
    const err = thrown(() => makeLineFormatter(format, { columns: [{ name: 'question', type: 'string' }] }));
    expect([err.code, err.message]).toEqual([
      'ERR_OPTION',
      `--format ${format} needs string columns question and answer (a chat format: one question, one answer per row); the mapping has no answer, got ["question"]`,
    ]);
  });

  test('a row without the prompt field is an internal error, not invalid JSON', () => {
    expect(() => makeLineFormatter('prompt-completion', PAIRS)({ answer: 'x' })).toThrow('internal: row field question is undefined, not a string');
    expect(() => makeLineFormatter('alpaca', PAIRS)({ answer: 'x' })).toThrow('internal: row field question is undefined, not a string');
  });
});

describe('csv', () => {
  const csv = makeCsvFormatter(PAIRS);

  test('header and records: CRLF, quoting of comma, quote, LF and CR, "" for empty, floats as floats', () => {
    expect(CSV_RECORD_DELIMITER).toBe('\r\n');
    expect(csv.header).toBe('question,answer,source,persona,validation_score\r\n');
    const rows = [
      ROW,
      { question: 'a,b', answer: 'say "hi"\nnext', source: '', persona: 'x\ry', validation_score: 0.5 },
      { question: 'åäö 🩺', answer: ' spaced ', source: 'dok', persona: 'p', validation_score: 0 },
    ];
    const expected =
      'Hur ofta?,Var 4:e timme.,dok/1.pdf,sjuksköterska/erfaren,1.0\r\n' +
      '"a,b","say ""hi""\nnext","","x\ry",0.5\r\n' +
      'åäö 🩺, spaced ,dok,p,0.0\r\n';
    expect(csv.rows(rows)).toBe(expected);
    expect(rows.map(csv.row).join('')).toBe(expected);
    expect(csv.rows([])).toBe('');
  });

  test('rejected columns get a failure_reason column', () => {
    const rejected = makeCsvFormatter(REJECTED);
    expect(rejected.header).toBe('question,answer,source,persona,validation_score,failure_reason\r\n');
    expect(rejected.row({ ...ROW, failure_reason: 'för vag' })).toBe('Hur ofta?,Var 4:e timme.,dok/1.pdf,sjuksköterska/erfaren,1.0,för vag\r\n');
  });

  test('DuckDB reads back every value, types VARCHAR and DOUBLE, empty strings as empty', async () => {
    const rows = trickyRows(2000, 9);
    const file = path.join(dir, 'train.csv');
    // Batches of 300 rows, as the export writes them.
    let text = csv.header;
    for (let i = 0; i < rows.length; i += 300) text += csv.rows(rows.slice(i, i + 300));
    await fs.writeFile(file, text);
    const source = `read_csv('${file}', header = true, allow_quoted_nulls = false, auto_detect = true)`;
    expect(await types(source)).toEqual({
      question: 'VARCHAR',
      answer: 'VARCHAR',
      source: 'VARCHAR',
      persona: 'VARCHAR',
      validation_score: 'DOUBLE',
    });
    expect(await query(`SELECT * FROM ${source}`)).toEqual(rows);
  });
});

describe('DuckDB reads the JSON line formats', () => {
  async function writeLines(format: FormatName, rows: Row[], systemPrompt?: string): Promise<string> {
    const file = path.join(dir, `${format}.jsonl`);
    const line = makeLineFormatter(format, { ...PAIRS, systemPrompt });
    await fs.writeFile(file, rows.map((row) => `${line(row)}\n`).join(''));
    return `read_json('${file}', format = 'newline_delimited')`;
  }

  test('jsonl: a score column of whole numbers is still DOUBLE (1 is written 1.0)', async () => {
    const rows = trickyRows(500, 3).map((row) => ({ ...row, validation_score: 1 }));
    const source = await writeLines('jsonl', rows);
    expect(await types(source)).toEqual({
      question: 'VARCHAR',
      answer: 'VARCHAR',
      source: 'VARCHAR',
      persona: 'VARCHAR',
      validation_score: 'DOUBLE',
    });
    expect(await query(`SELECT * FROM ${source}`)).toEqual(rows);
  });

  test.each<[FormatName, string | undefined, Record<string, string>]>([
    ['messages', undefined, { messages: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]' }],
    ['alpaca', SYSTEM, { instruction: 'VARCHAR', input: 'VARCHAR', output: 'VARCHAR', system: 'VARCHAR' }],
    ['sharegpt', SYSTEM, { conversations: 'STRUCT("from" VARCHAR, "value" VARCHAR)[]', system: 'VARCHAR' }],
    ['prompt-completion', SYSTEM, { prompt: 'VARCHAR', completion: 'VARCHAR' }],
  ])('%s: types and values', async (format, systemPrompt, expectedTypes) => {
    const rows = trickyRows(200, 4);
    const source = await writeLines(format, rows, systemPrompt);
    expect(await types(source)).toEqual(expectedTypes);
    const read = await query(`SELECT * FROM ${source}`);
    expect(read.length).toBe(rows.length);
    const line = makeLineFormatter(format, { ...PAIRS, systemPrompt });
    expect(read).toEqual(rows.map((row) => JSON.parse(line(row))));
  });
});

describe('context: a string column `context` goes before the question (alpaca: input)', () => {
  const WITH_CONTEXT = { columns: [...QA_INTERNAL.pairColumns, { name: 'context', type: 'string' as const }] };
  const CTX = { ...ROW, context: 'Patienten har "feber".' };
  test.each<[FormatName, string | undefined, string]>([
    [
      'messages',
      undefined,
      '{"messages":[{"role":"user","content":"Patienten har \\"feber\\".\\n\\nHur ofta?"},{"role":"assistant","content":"Var 4:e timme."}]}',
    ],
    ['alpaca', undefined, '{"instruction":"Hur ofta?","input":"Patienten har \\"feber\\".","output":"Var 4:e timme."}'],
    ['alpaca', SYSTEM, '{"instruction":"Hur ofta?","input":"Patienten har \\"feber\\".","output":"Var 4:e timme.","system":"Du är en vänlig \\"sjuksköterska\\"."}'],
    [
      'sharegpt',
      undefined,
      '{"conversations":[{"from":"human","value":"Patienten har \\"feber\\".\\n\\nHur ofta?"},{"from":"gpt","value":"Var 4:e timme."}]}',
    ],
    ['prompt-completion', undefined, '{"prompt":"Patienten har \\"feber\\".\\n\\nHur ofta?","completion":" Var 4:e timme."}'],
    [
      'prompt-completion',
      SYSTEM,
      '{"prompt":"Du är en vänlig \\"sjuksköterska\\".\\n\\nPatienten har \\"feber\\".\\n\\nHur ofta?","completion":" Var 4:e timme."}',
    ],
  ])('%s (system prompt %j)', (format, systemPrompt, line) => {
    expect(makeLineFormatter(format, { ...WITH_CONTEXT, systemPrompt })(CTX)).toBe(line);
  });

  test.each(CHAT_FORMATS.filter((name) => !isPreferenceFormat(name)))('%s: an empty context leaves the row as without one', (format) => {
    expect(makeLineFormatter(format, WITH_CONTEXT)({ ...ROW, context: '' })).toBe(makeLineFormatter(format, PAIRS)(ROW));
  });

  test('a context column that is not a string is not read', () => {
    const columns = [...QA_INTERNAL.pairColumns, { name: 'context', type: 'int' as const }];
    expect(makeLineFormatter('messages', { columns })({ ...ROW, context: 3 })).toBe(makeLineFormatter('messages', PAIRS)(ROW));
  });
});

describe('rows of byte texts (UTF-8 bytes as latin1) give the byte text of the output', () => {
  const latin1 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  const asBytes = (row: Row): Row => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? latin1(v) : v]));

  test.each(['jsonl', 'messages', 'alpaca', 'sharegpt', 'prompt-completion'] as FormatName[])('%s, with a non-ASCII system prompt', (format) => {
    const text = makeLineFormatter(format, { ...PAIRS, systemPrompt: SYSTEM });
    const bytes = makeLineFormatter(format, { ...PAIRS, systemPrompt: SYSTEM, byteText: true });
    const rows = trickyRows(300, 12);
    const expected = Buffer.from(rows.map((row) => `${text(row)}\n`).join(''), 'utf8');
    expect(Buffer.from(rows.map((row) => `${bytes(asBytes(row))}\n`).join(''), 'latin1').equals(expected)).toBe(true);
  });

  test('csv', () => {
    const csv = makeCsvFormatter({ ...PAIRS, byteText: true });
    const rows = trickyRows(300, 13);
    const expected = Buffer.from(csv.header + csv.rows(rows), 'utf8');
    expect(Buffer.from(csv.header + csv.rows(rows.map(asBytes)), 'latin1').equals(expected)).toBe(true);
  });
});

describe('parseFormatList', () => {
  test.each([
    ['sharegpt,jsonl', ['jsonl', 'sharegpt']],
    ['jsonl,parquet,csv,messages,alpaca,sharegpt', ['jsonl', 'parquet', 'csv', 'messages', 'alpaca', 'sharegpt']],
    ['prompt-completion,jsonl', ['jsonl', 'prompt-completion']],
    [' csv , parquet ', ['parquet', 'csv']],
  ])('%j → canonical order', (text, names) => expect(parseFormatList(text)).toEqual(names));

  test.each([
    ['', '--format expects a comma-separated list of jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion, kto, dpo, got ""'],
    [undefined, '--format expects a comma-separated list of jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion, kto, dpo, got undefined'],
    ['jsonl,xml', '--format "xml" is not one of jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion, kto, dpo, got "jsonl,xml"'],
    ['jsonl,jsonl', '--format lists jsonl twice, got "jsonl,jsonl"'],
    ['JSONL', '--format "JSONL" is not one of jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion, kto, dpo, got "JSONL"'],
  ])('rejects %j', (text, message) => {
    const err = thrown(() => parseFormatList(text));
    expect([err.code, err.message]).toEqual(['ERR_OPTION', message]);
  });
});

describe('options and the FORMATS table', () => {
  test.each([[''], ['   '], [42]])('--system-prompt %j is rejected', (value) => {
    const err = thrown(() => normalizeSystemPrompt(value));
    expect([err.code, err.message]).toEqual(['ERR_OPTION', `--system-prompt must be non-empty text, got ${JSON.stringify(value)}`]);
  });

  test('extensions, builders and what applies to which format', () => {
    expect(
      FORMAT_NAMES.map((name) => {
        const spec = FORMATS[name];
        return [name, spec.extension, spec.builder, spec.compressible, spec.rejected, spec.llamaFactory ?? null];
      }),
    ).toEqual([
      ['jsonl', 'jsonl', 'json', true, true, null],
      ['parquet', 'parquet', 'parquet', false, true, null],
      ['csv', 'csv', 'csv', true, true, null],
      ['messages', 'jsonl', 'json', true, false, null],
      ['alpaca', 'jsonl', 'json', true, false, 'alpaca'],
      ['sharegpt', 'jsonl', 'json', true, false, 'sharegpt'],
      ['prompt-completion', 'jsonl', 'json', true, false, null],
      ['kto', 'jsonl', 'json', true, false, null],
      ['dpo', 'jsonl', 'json', true, false, null],
    ]);
  });

  test('features per format, with and without a system prompt', () => {
    const flat = [
      { name: 'question', dtype: 'string' },
      { name: 'answer', dtype: 'string' },
      { name: 'source', dtype: 'string' },
      { name: 'persona', dtype: 'string' },
      { name: 'validation_score', dtype: 'float64' },
    ];
    expect(FORMATS.jsonl.features(PAIRS)).toEqual(flat);
    expect(FORMATS.parquet.features(REJECTED)).toEqual([...flat, { name: 'failure_reason', dtype: 'string' }]);
    expect(FORMATS.csv.features({ columns: [{ name: 'n', type: 'int' }, { name: 'ok', type: 'bool' }] })).toEqual([
      { name: 'n', dtype: 'int64' },
      { name: 'ok', dtype: 'bool' },
    ]);
    expect(FORMATS.messages.features({ ...PAIRS, systemPrompt: SYSTEM })).toEqual([
      { name: 'messages', list: [{ name: 'role', dtype: 'string' }, { name: 'content', dtype: 'string' }] },
    ]);
    expect(FORMATS.alpaca.features(PAIRS).map((f) => f.name)).toEqual(['instruction', 'input', 'output']);
    expect(FORMATS.alpaca.features({ ...PAIRS, systemPrompt: SYSTEM }).map((f) => f.name)).toEqual(['instruction', 'input', 'output', 'system']);
    expect(FORMATS.sharegpt.features({ ...PAIRS, systemPrompt: SYSTEM })).toEqual([
      { name: 'conversations', list: [{ name: 'from', dtype: 'string' }, { name: 'value', dtype: 'string' }] },
      { name: 'system', dtype: 'string' },
    ]);
    expect(FORMATS['prompt-completion'].features({ ...PAIRS, systemPrompt: SYSTEM })).toEqual([
      { name: 'prompt', dtype: 'string' },
      { name: 'completion', dtype: 'string' },
    ]);
  });

  test.each<[FormatName, 'pairs' | 'rejected', string, string]>([
    ['jsonl', 'pairs', 'default', 'jsonl'],
    ['parquet', 'pairs', 'parquet', 'parquet'],
    ['messages', 'pairs', 'messages', 'messages'],
    ['prompt-completion', 'pairs', 'prompt-completion', 'prompt-completion'],
    ['jsonl', 'rejected', 'rejected', 'rejected/jsonl'],
    ['csv', 'rejected', 'rejected_csv', 'rejected/csv'],
  ])('%s %s → config %s in %s/', (format, channel, name, directory) => {
    expect([configName(format, channel), configDirectory(format, channel)]).toEqual([name, directory]);
  });
});

describe('a chat format without question and answer columns is refused at start-up', () => {
  const DOCUMENTS: Preset = { ...QA_INTERNAL, name: 'documents', pairColumns: [{ name: 'id', type: 'string' }, { name: 'text', type: 'string' }] };
  test.each(CHAT_FORMATS)('--format jsonl,%s', (format) => {
    const err = thrown(() => normalizeExportPlan({ format: `jsonl,${format}` }, DOCUMENTS));
    expect([err.code, err.message]).toEqual([
      'ERR_OPTION',
      `--format ${format} needs string columns question and answer (a chat format: one question, one answer per row); the mapping has no question, got ["id","text"]`,
    ]);
  });

  test('the flat formats take any columns', () => {
    expect(normalizeExportPlan({ format: 'jsonl,parquet,csv', splitKey: 'id' }, DOCUMENTS).formats).toEqual(['jsonl', 'parquet', 'csv']);
  });
});

describe('a conversation column (the messages preset): messages and sharegpt write every turn', () => {
  const columns = [
    { name: 'question', type: 'string' as const },
    { name: 'answer', type: 'string' as const },
    { name: 'messages', type: 'string' as const },
  ];
  const chat = [
    { role: 'system', content: 'Var kort.' },
    { role: 'user', content: 'Hej?' },
    { role: 'assistant', content: 'Hej!' },
    { role: 'user', content: 'Dos?' },
    { role: 'tool', content: '5 mg' },
    { role: 'assistant', content: '5 mg, två gånger.' },
  ];
  const row: Row = { question: 'Hej?', answer: 'Hej!', messages: JSON.stringify(chat) };
  const plain: Row = { question: 'Å?', answer: 'Ä.', messages: JSON.stringify(chat.slice(1, 3)) };
  const notAChat: Row = { question: 'Q', answer: 'A', messages: 'not json' };

  test('messages: the turns as they are; the system prompt only where the conversation has no system turn', () => {
    const line = makeLineFormatter('messages', { columns, systemPrompt: 'Du är en assistent.' });
    expect(line(row)).toBe(`{"messages":${JSON.stringify(chat)}}`);
    expect(line(plain)).toBe('{"messages":[{"role":"system","content":"Du är en assistent."},{"role":"user","content":"Hej?"},{"role":"assistant","content":"Hej!"}]}');
    expect(line(notAChat)).toBe('{"messages":[{"role":"system","content":"Du är en assistent."},{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}');
  });

  test('sharegpt: LLaMA-Factory roles, system in every row (one set of keys per file) and in the features', () => {
    const line = makeLineFormatter('sharegpt', { columns });
    expect(line(row)).toBe(
      '{"conversations":[{"from":"human","value":"Hej?"},{"from":"gpt","value":"Hej!"},{"from":"human","value":"Dos?"},{"from":"observation","value":"5 mg"},{"from":"gpt","value":"5 mg, två gånger."}],"system":"Var kort."}',
    );
    expect(line(plain)).toBe('{"conversations":[{"from":"human","value":"Hej?"},{"from":"gpt","value":"Hej!"}],"system":""}');
    expect(line(notAChat)).toBe('{"conversations":[{"from":"human","value":"Q"},{"from":"gpt","value":"A"}],"system":""}');
    expect(FORMATS.sharegpt.features({ columns }).map((feature) => feature.name)).toEqual(['conversations', 'system']);
  });

  test('byte text rows give the byte text of the same lines', () => {
    const toBytes = (value: string) => Buffer.from(value, 'utf8').toString('latin1');
    const bytes: Row = Object.fromEntries(Object.entries(row).map(([key, value]) => [key, toBytes(value as string)]));
    for (const format of ['messages', 'sharegpt'] as const) {
      expect(makeLineFormatter(format, { columns, byteText: true })(bytes)).toBe(toBytes(makeLineFormatter(format, { columns })(row)));
    }
  });
});
