/**
 * Nothing usable out is not a success (lib/usable.ts): a run, or an input of a
 * multi-input run, whose every non-blank line is an error ends with
 * ERR_UNUSABLE_INPUT (exit 5) after every file is written — export (verify
 * passes), its dry run, `qa-hf report` (in-process) and pipe mode (the CLI, once).
 * Exit 5 wins over a breached --fail-on rule (exit 4).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportCommand } from '../commands/export';
import { reportCommand } from '../commands/quality-report';
import type { QaHfError } from '../lib/errors';
import { verifyManifest } from '../lib/io/manifest';
import { EXPORT_DEFAULTS } from './export-runner';
import { ROOT, readJson, runCli, planFor } from './helpers';

let dir: string;
let input: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-unusable-'));
  input = path.join(dir, 'in');
  await fs.mkdir(input);
  await fs.copyFile(path.join(ROOT, 'samples/qa_mixed.jsonl'), path.join(input, 'a.jsonl'));
  // SQuAD rows read with the default preset: a wrong --preset, every line ERR_SCHEMA (and one ERR_JSON_PARSE).
  await fs.copyFile(path.join(ROOT, 'samples/squad_mixed.jsonl'), path.join(input, 'b.jsonl'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const rejection = (promise: Promise<unknown>) => promise.then(() => null, (err: QaHfError) => err);

const B_CAUSE = '33 non-blank lines are errors, 32 of them ERR_SCHEMA (the first: answer is required): the records do not fit preset qa-internal; check --preset / the mapping';

test('export: one input gave nothing usable: exit 5 after every file is written; verify passes; stats.json counts it per input', async () => {
  const out = path.join(dir, 'dist');
  const err = await rejection(exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [input], out })));
  expect(err?.code).toBe('ERR_UNUSABLE_INPUT');
  expect(err?.message).toBe(`1 of 2 inputs gave nothing usable: ${path.join(input, 'b.jsonl')} (ERR_SCHEMA 32); every file is written (${out})`);
  expect(await verifyManifest(out)).toEqual([]);
  const stats = await readJson(path.join(out, 'stats.json'));
  expect(stats.inputs.map((file: { pairs: number; errors: number }) => [file.pairs, file.errors])).toEqual([[2, 0], [0, 33]]);
  expect((await fs.readFile(path.join(out, 'qa_pairs.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2);
});

test('export: exit 5 wins over a breached --fail-on rule (exit 4), whose line is still printed', async () => {
  const out = path.join(dir, 'gate');
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const err = await rejection(exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [path.join(input, 'b.jsonl')], out, failOn: 'pass_rate<0.5' })));
    expect(err?.code).toBe('ERR_UNUSABLE_INPUT');
    expect(err?.toLine()).toBe(`${path.join(input, 'b.jsonl')}: ERR_UNUSABLE_INPUT: nothing usable: all ${B_CAUSE}`);
  } finally {
    spy.mockRestore();
  }
  expect(written).toContain('qa-hf: threshold breached: pass_rate<0.5 (value 0)\n');
  expect(await verifyManifest(out)).toEqual([]);
});

test('export --dry-run ends as the real run would', async () => {
  const err = await rejection(exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [input], dryRun: true })));
  expect(err?.message).toBe(`1 of 2 inputs gave nothing usable: ${path.join(input, 'b.jsonl')} (ERR_SCHEMA 32); nothing written (dry run)`);
  // The right preset for each: nothing to say.
  await expect(exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [path.join(input, 'a.jsonl')], dryRun: true }))).resolves.toMatchObject({ pairs: 2 });
});

test('qa-hf report: exit 5 once the report is written', async () => {
  const out = path.join(dir, 'report');
  const err = await rejection(reportCommand(planFor('report', { inputs: [path.join(input, 'b.jsonl')], out, quiet: true, preset: 'qa-internal', maxLineBytes: 10 << 20 })));
  expect(err?.toLine()).toBe(`${path.join(input, 'b.jsonl')}: ERR_UNUSABLE_INPUT: nothing usable: all ${B_CAUSE}`);
  expect((await readJson(path.join(out, 'report.json'))).counts.errors).toBe(33);
});

test('pipe mode (CLI): the other inputs are written, the summary names the unusable one, exit 5; blank lines alone are fine', async () => {
  const blank = path.join(dir, 'blank.jsonl');
  await fs.writeFile(blank, '\n\n');
  const result = await runCli([path.join(input, 'a.jsonl'), path.join(input, 'b.jsonl'), blank, '--errors', path.join(dir, 'pipe-errors.jsonl')]);
  expect(result.code).toBe(5);
  expect(result.stdout.toString()).toBe(await fs.readFile(path.join(ROOT, 'samples/expected/qa_mixed.pairs.jsonl'), 'utf8'));
  const b = path.join(input, 'b.jsonl');
  expect(result.stderr.split('\n').slice(2)).toEqual([
    `qa-hf: ${b} gave nothing usable: all ${B_CAUSE}`,
    `qa-hf: ERR_UNUSABLE_INPUT: 1 of 3 inputs gave nothing usable: ${b} (ERR_SCHEMA 32); the other inputs' rows are written`,
    '',
  ]);
});
