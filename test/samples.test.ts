/**
 * Every file in samples/ runs through the CLI and must give the expected bytes.
 * A sample named `<preset>_….jsonl` runs with `--preset <preset>` (squad_mixed →
 * squad); the others (qa_…) with the default.
 */
import { promises as fs, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRESET_NAMES } from '../lib/input/presets';
import { ROOT, runCli } from './helpers';

/** `--preset NAME` for a sample named after a preset, else nothing. */
function presetArgs(name: string): string[] {
  const preset = PRESET_NAMES.find((candidate) => name.startsWith(`${candidate}_`));
  return preset === undefined ? [] : ['--preset', preset];
}

const SAMPLES = readdirSync(path.join(ROOT, 'samples'))
  .filter((name) => name.endsWith('.jsonl'))
  .map((name) => name.replace(/\.jsonl$/, ''));

test('there are samples', () => {
  expect(SAMPLES).toEqual(expect.arrayContaining(['qa_passed', 'qa_mixed', 'qa_dirty', 'flat-qa_mixed', 'squad_mixed', 'documents_mixed', 'messages_mixed']));
  expect(presetArgs('squad_mixed')).toEqual(['--preset', 'squad']);
  expect(presetArgs('qa_mixed')).toEqual([]);
});

test.each(SAMPLES)('samples/%s.jsonl gives samples/expected/%s.* byte for byte', async (name) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-sample-'));
  const rejected = path.join(dir, 'rejected.jsonl');
  const errors = path.join(dir, 'errors.jsonl');
  const result = await runCli([`samples/${name}.jsonl`, ...presetArgs(name), '--rejected', rejected, '--errors', errors]);
  const expected = (suffix: string) => fs.readFile(path.join(ROOT, 'samples', 'expected', `${name}.${suffix}`));
  expect(result.code).toBe(0);
  expect(result.stdout.equals(await expected('pairs.jsonl'))).toBe(true);
  expect((await fs.readFile(rejected)).equals(await expected('rejected.jsonl'))).toBe(true);
  expect((await fs.readFile(errors)).equals(await expected('errors.jsonl'))).toBe(true);
  expect(result.stderr).toBe((await expected('summary.txt')).toString('utf8'));
  await fs.rm(dir, { recursive: true });
});

/**
 * The oracle above, samples/expected/, is written by the tool (samples/update.sh). So that it is
 * not the tool agreeing with itself, each expected file is checked here against a plain
 * reference: per preset, which records are usable (a hand-written check of the preset's schema)
 * and the row of one (a few lines of plain JSON mapping). Floats are written with a fraction
 * (`1` → `1.0`): the column stays a float column for a loader.
 */
type Json = any;
const text = (value: Json) => typeof value === 'string';
const filled = (value: Json) => typeof value === 'string' && value.length > 0;
const optional = (value: Json) => value === undefined || value === null || typeof value === 'string';
const isObject = (value: Json) => typeof value === 'object' && value !== null && !Array.isArray(value);
const first = (messages: Json[], role: string) => messages.find((message) => message.role === role)?.content;
/** A row as a JSONL line: JSON.stringify, but a float column (validation_score) with a fraction. */
const rowLine = (row: Json) =>
  `{${Object.entries(row).map(([key, value]) => `${JSON.stringify(key)}:${key === 'validation_score' && Number.isInteger(value) ? `${value}.0` : JSON.stringify(value)}`).join(',')}}\n`;
const REFERENCE: Record<string, { usable(r: Json): boolean; row(r: Json): Json; passed?(r: Json): boolean }> = {
  qa: {
    usable: (r) => filled(r.question) && filled(r.answer) && optional(r.source_document) && isObject(r.persona) && text(r.persona.roll) &&
      text(r.persona.erfarenhet) && isObject(r.validation) && typeof r.validation.composite_score === 'number' &&
      r.validation.composite_score >= 0 && r.validation.composite_score <= 1 && typeof r.validation.passed === 'boolean' && optional(r.validation.failure_reason),
    row: (r) => ({ question: r.question, answer: r.answer, source: r.source_document ?? '', persona: `${r.persona.roll}/${r.persona.erfarenhet}`, validation_score: r.validation.composite_score }),
    passed: (r) => r.validation.passed,
  },
  'flat-qa': {
    usable: (r) => filled(r.question) && filled(r.answer) && optional(r.source),
    row: (r) => ({ question: r.question, answer: r.answer, source: r.source ?? '' }),
  },
  squad: {
    usable: (r) => filled(r.context) && filled(r.question) && isObject(r.answers) && Array.isArray(r.answers.text) && r.answers.text.every(text) &&
      r.answers.text.length > 0 && optional(r.id) && optional(r.title),
    row: (r) => ({ question: r.question, answer: r.answers.text[0], context: r.context, answers: r.answers.text, title: r.title ?? '', id: r.id ?? '' }),
  },
  documents: {
    usable: (r) => filled(r.id) && filled(r.text) && (r.metadata === undefined || r.metadata === null || isObject(r.metadata)) &&
      ['source', 'language', 'url'].every((key) => optional(r.metadata?.[key])),
    row: (r) => ({ id: r.id, text: r.text, source: r.metadata?.source ?? '', language: r.metadata?.language ?? '', url: r.metadata?.url ?? '', metadata: JSON.stringify(r.metadata ?? {}) }),
  },
  messages: {
    usable: (r) => Array.isArray(r.messages) && r.messages.length > 0 &&
      r.messages.every((m: Json) => isObject(m) && ['system', 'user', 'assistant', 'tool'].includes(m.role) && text(m.content)) &&
      text(first(r.messages, 'user')) && text(first(r.messages, 'assistant')),
    row: (r) => ({ question: first(r.messages, 'user'), answer: first(r.messages, 'assistant'), system: first(r.messages, 'system') ?? '', turns: r.messages.length, messages: JSON.stringify(r.messages) }),
  },
};

/** A lone UTF-16 surrogate in any string of `value` (UTF-8 cannot encode it). */
function loneSurrogate(value: Json): boolean {
  if (typeof value === 'string') return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value);
  return typeof value === 'object' && value !== null && Object.values(value).some(loneSurrogate);
}

/** The sample's lines sorted by the reference: the rows of pairs and rejected, the line numbers of errors, the blank count. */
function referenceOutputs(name: string, bytes: Buffer) {
  const reference = REFERENCE[name.slice(0, name.lastIndexOf('_'))];
  const lines = bytes.toString('latin1').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out = { pairs: [] as string[], rejected: [] as string[], errors: [] as number[], blank: 0 };
  lines.forEach((latin1, index) => {
    const raw = Buffer.from(latin1, 'latin1');
    let line: string;
    try {
      line = new TextDecoder('utf-8', { fatal: true, ignoreBOM: index > 0 }).decode(raw).replace(/\r$/, '');
    } catch {
      return void out.errors.push(index + 1);
    }
    if (line.trim() === '') return void out.blank++;
    let record: Json;
    try {
      record = JSON.parse(line);
    } catch {
      return void out.errors.push(index + 1);
    }
    if (!isObject(record) || !reference.usable(record) || loneSurrogate(record)) return void out.errors.push(index + 1);
    const row = reference.row(record);
    if (reference.passed?.(record) ?? true) out.pairs.push(rowLine(row));
    else out.rejected.push(rowLine({ ...row, failure_reason: record.validation.failure_reason ?? '' }));
  });
  return out;
}

test.each(SAMPLES)('samples/expected/%s.* agree with a plain reference mapping of the sample', async (name) => {
  const expected = async (suffix: string) => (await fs.readFile(path.join(ROOT, 'samples', 'expected', `${name}.${suffix}`), 'utf8'));
  const want = referenceOutputs(name, await fs.readFile(path.join(ROOT, 'samples', `${name}.jsonl`)));
  const lines = (text: string) => text.split(/(?<=\n)/).filter((line) => line !== '');
  expect(lines(await expected('pairs.jsonl'))).toEqual(want.pairs);
  expect(lines(await expected('rejected.jsonl'))).toEqual(want.rejected);
  expect(lines(await expected('errors.jsonl')).map((line) => JSON.parse(line).line)).toEqual(want.errors);
  const counts = /(\d+) lines? read: (\d+) pairs?, (\d+) rejected, (\d+) errors?.*, (\d+) blank/.exec(await expected('summary.txt'))!.slice(1).map(Number);
  expect(counts).toEqual([want.pairs.length + want.rejected.length + want.errors.length + want.blank, want.pairs.length, want.rejected.length, want.errors.length, want.blank]);
  expect(want.pairs.length).toBeGreaterThan(0);
});
