/**
 * The corpus and helpers of the --target-samples end-to-end tests
 * (sample-export.test.ts, sample-resume.test.ts): two seeded inputs with rejected
 * pairs, bad lines, blank lines, repeated questions and exact duplicate records.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { internalRecord, listFiles, runCli, seeded } from './helpers';

/** The sample size of the tests. */
export const N = 250;

/** The temp folder, the inputs and their lines, set by `useSampleCorpus` before the tests run. */
export const corpusState = { dir: '', inputs: [] as string[], lines: [] as string[][] };

/** A corpus of `count` lines: ~10 % rejected, bad lines, blank lines, repeated questions and records. */
export function corpus(count: number, seed: number): string[] {
  const random = seeded(seed);
  const made: string[] = [];
  const questions: string[] = [];
  const records: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 173 === 50) made.push('{"question": broken');
    else if (i % 211 === 7) made.push('');
    else if (i > 20 && random() < 0.03) made.push(records[Math.floor(random() * records.length)]); // an exact duplicate
    else {
      const question = i > 20 && random() < 0.04 ? questions[Math.floor(random() * questions.length)] : `Fråga ${seed}-${i}: ${Math.floor(random() * 1e9)}?`;
      questions.push(question);
      records.push(JSON.stringify(internalRecord({ question, answer: `Svar ${i} ${'på svenska '.repeat(3 + Math.floor(random() * 10))}`, score: Math.round(random() * 1000) / 1000, passed: random() < 0.9 })));
      made.push(records[records.length - 1]);
    }
  }
  return made;
}

/** Makes the corpus before a test file's tests and removes it after. */
export function useSampleCorpus(): void {
  beforeAll(async () => {
    corpusState.dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-sample-'));
    corpusState.lines = [corpus(900, 1), corpus(900, 2)];
    corpusState.inputs = [path.join(corpusState.dir, 'a.jsonl'), path.join(corpusState.dir, 'b.jsonl')];
    await Promise.all(corpusState.inputs.map((input, i) => fs.writeFile(input, `${corpusState.lines[i].join('\n')}\n`)));
  });
  afterAll(async () => {
    await fs.rm(corpusState.dir, { recursive: true, force: true });
  });
}

/** Exports into `dir/name/dataset` (one folder name for all: the card's title is it). */
export async function exportTo(name: string, args: string[], files = corpusState.inputs): Promise<string> {
  const out = path.join(corpusState.dir, name, 'dataset');
  const result = await runCli(['export', ...files, '--out', out, '-q', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return out;
}

/** Every file but manifest.json and stats.json (timings): name → bytes. */
export async function dataFiles(out: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await listFiles(out)) if (name !== 'manifest.json' && name !== 'stats.json') files.set(name, await fs.readFile(path.join(out, name)));
  return files;
}

export function expectSameFiles(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()]).toEqual([...expected.keys()]);
  for (const [name, bytes] of actual) expect([name, bytes.equals(expected.get(name)!)]).toEqual([name, true]);
}

/** The passed pairs of the corpus (input index, line, question), in input order. */
export function passedPairs(corpora: string[][]): Array<{ input: number; line: number; question: string; text: string }> {
  const pairs: Array<{ input: number; line: number; question: string; text: string }> = [];
  corpora.forEach((fileLines, input) =>
    fileLines.forEach((text, i) => {
      if (text === '' || text.startsWith('{"question": broken')) return;
      const record = JSON.parse(text) as { question: string; validation: { passed: boolean } };
      if (record.validation.passed) pairs.push({ input, line: i + 1, question: record.question, text });
    }),
  );
  return pairs;
}

export function jsonlRows(bytes: Buffer): Array<Record<string, unknown>> {
  return bytes.toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

