/** Shared test helpers: a seeded PRNG, record builders and a CLI runner. */
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Batch } from '../lib/batch';
import type { QaHfError } from '../lib/errors';
import type { OutputTarget } from '../lib/target';
import { mulberry32 } from '../bench/generate';
import { runChain } from '../streams/chain';
import type { Config } from '../lib/config';
import type { ConfigCommand } from '../lib/option-table';
import { type RunPlan, planRun } from '../lib/plan';
import { readPlanFiles } from '../lib/io/plan-files';

export const ROOT = path.resolve(__dirname, '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

/** mulberry32, the bench generator's seeded PRNG: reproducible fixtures. */
export const seeded = mulberry32;

/** The error a function throws (fails the test when it does not throw). */
export function thrown(fn: () => unknown): QaHfError {
  try {
    fn();
  } catch (err) {
    return err as QaHfError;
  }
  throw new Error('expected a throw');
}

export interface RecordOverrides {
  question?: unknown;
  answer?: unknown;
  source_document?: unknown;
  roll?: unknown;
  erfarenhet?: unknown;
  score?: unknown;
  passed?: unknown;
  failure_reason?: unknown;
}

/** One record of the internal format, as an object. */
export function internalRecord(o: RecordOverrides = {}): Record<string, unknown> {
  const record: Record<string, unknown> = {
    question: o.question ?? 'Hur ofta ska blodtrycket kontrolleras?',
    answer: o.answer ?? 'Enligt riktlinjen var fjärde timme för stabila patienter.',
  };
  if (o.source_document !== undefined) record.source_document = o.source_document;
  record.persona = { roll: o.roll ?? 'sjuksköterska', erfarenhet: o.erfarenhet ?? 'erfaren' };
  const validation: Record<string, unknown> = { composite_score: o.score ?? 0.92, passed: o.passed ?? true };
  if (o.failure_reason !== undefined) validation.failure_reason = o.failure_reason;
  record.validation = validation;
  return record;
}

const WORDS = ['patient', 'läkemedel', 'sköterska', 'vårdplan', 'överläkare', 'blodtryck', 'smärta', 'åtgärd', '🩺', 'dos', 'Ärende'];

/** A seeded mix of passed, rejected and scores that are whole numbers, as JSONL lines. */
export function recordLines(count: number, seed: number): string[] {
  const random = seeded(seed);
  const pick = () => WORDS[Math.floor(random() * WORDS.length)];
  const text = (n: number) => Array.from({ length: n }, pick).join(' ');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const passed = random() < 0.8;
    const score = random() < 0.1 ? 1 : Math.round(random() * 1000) / 1000;
    lines.push(
      JSON.stringify(
        internalRecord({
          question: `${text(3 + Math.floor(random() * 8))}?`,
          answer: text(5 + Math.floor(random() * 30)),
          source_document: random() < 0.9 ? `dok/${i % 7}.pdf` : undefined,
          score,
          passed,
          failure_reason: passed ? undefined : random() < 0.5 ? 'för vag' : undefined,
        }),
      ),
    );
  }
  return lines;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built CLI with optional stdin bytes. */
export function runCli(args: string[], input?: Buffer | string, options: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => undefined); // the CLI may exit before reading everything
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Feeds `bytes` to a stage in chunks of `size` bytes and collects the batches it emits. */
export async function collectBatches(stages: NodeJS.ReadWriteStream[], bytes: Buffer, size: number): Promise<Batch[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  const batches: Batch[] = [];
  const collect = new Writable({
    objectMode: true,
    write(batch: Batch, _encoding, callback) {
      batches.push(batch);
      callback();
    },
  });
  await runChain([Readable.from(chunks, { objectMode: true }), ...(stages as never[]), collect]);
  return batches;
}

/** Runs the CLI and SIGKILLs it after `delayMs`: its exit code, or null when the kill landed. */
export function runCliKilledAfter(args: string[], delayMs: number): Promise<number | null> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: 'ignore' });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Every file below `root`, hidden ones included, as sorted relative paths with forward slashes. */
export async function listFiles(root: string, under = ''): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await fs.readdir(path.join(root, under), { withFileTypes: true })) {
    const relative = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory()) names.push(...(await listFiles(root, relative)));
    else names.push(relative);
  }
  return names.sort();
}

export async function readJson(file: string): Promise<Record<string, any>> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

/** stats.json without `run` (timings), which differs between any two runs. */
export async function statsWithoutRun(out: string): Promise<unknown> {
  const stats = await readJson(path.join(out, 'stats.json'));
  delete stats.run;
  return stats;
}

/**
 * Runs an export (`args`, writing to `out`) and SIGKILLs it once a checkpoint
 * exists, with `midFile` once one records a position inside an input; the signal it ended by.
 */
export async function runCliKilledAtCheckpoint(args: string[], out: string, midFile = false): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: 'ignore' });
  const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  for (let i = 0; i < 1000; i++) {
    const text = await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8').catch(() => null);
    if (text && (!midFile || JSON.parse(text).position.offset > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  return closed;
}

/** An OutputTarget in memory: collects what a writer hands to it. */
export class MemorySink implements OutputTarget {
  readonly chunks: Buffer[] = [];
  async write(bytes: Buffer): Promise<void> {
    this.chunks.push(Buffer.from(bytes));
  }
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Lines that try every way byte text could differ from decoded text. */
export function trickyLines(count: number, seed: number): string[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const pieces = ['vård', 'ÅÄÖ', '”citat”', '–', '😀', '👩‍⚕️', 'a/b', '\\/', '\\"', '\\\\', '\\n', '\\t', '\\b', '\\f',
    '\\u00e5', '\\u00E5', '\\u0041', '\\u001f', '\\ud83d\\ude00', '\\ud800', '\\\\u00e5', '\u2028', '\u00a0', '\x7f', 'é', '中文', ' '];
  const text = () => Array.from({ length: Math.floor(random() * 5) }, () => pick(pieces)).join('');
  const literal = () => `"${text()}"`;
  const space = () => pick(['', '', ' ', '\t', ' \r ']);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const fields: string[] = [];
    const add = (key: string, value: string) => fields.push(`${space()}"${key}"${space()}:${space()}${value}`);
    add(pick(['question', 'question', 'question', '\\u0071uestion']), random() < 0.95 ? literal() : '1');
    add('answer', literal());
    if (random() < 0.5) add('source_document', literal());
    if (random() < 0.2) add('question', literal()); // a duplicate: the last wins
    if (random() < 0.1) add('__proto__', literal());
    if (random() < 0.1) add('fråga', literal());
    add('persona', `{"roll":${literal()},"erfarenhet":${literal()}${random() < 0.2 ? `,"roll":${literal()}` : ''}}`);
    const validation = () =>
      `{"composite_score":${pick(['0', '1', '0.5', '1e0', '-0', '0.8666666666666667', '2', '"x"'])},"passed":${pick(['true', 'false'])}` +
      `${random() < 0.5 ? `,"failure_reason":${literal()}` : ''}}`;
    add('validation', validation());
    if (random() < 0.15) add('validation', validation());
    if (random() < 0.3) add('extra', pick(['[1,{"a":"]}"},"\\"]"]', '{"q":{"r":"}"}}', 'null', literal()]));
    lines.push(`${space()}{${fields.join(',')}}${space()}`);
  }
  return lines;
}

/** A seeded SQuAD-shaped corpus with unanswerable, broken and Swedish records. */
export function squadLines(count: number, seed: number): string[] {
  const random = seeded(seed);
  const words = ['Stockholm', 'Mälaren', 'glukos', 'light', 'energy', 'Linné', 'Moon', 'år', '1969', 'ö'];
  const text = (n: number) => Array.from({ length: n }, () => words[Math.floor(random() * words.length)]).join(' ');
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    if (r < 0.02) lines.push('{"id":"broken",');
    else if (r < 0.04) lines.push(JSON.stringify({ id: `q${i}`, question: 'no context?', answers: { text: ['x'] } }));
    else {
      const answers = r < 0.07 ? [] : Array.from({ length: 1 + Math.floor(random() * 3) }, () => text(2));
      lines.push(JSON.stringify({ id: `q${i}`, title: text(1), context: text(40 + Math.floor(random() * 80)), question: `${text(6)}?`, answers: { text: answers, answer_start: answers.map(() => 0) } }));
    }
  }
  return lines;
}

/** The config tests' samples: copied into each working directory. */
export const CONFIG_SAMPLES = ['qa_mixed.jsonl', 'qa_dirty.jsonl'];

/** A fresh working directory `name` under `dir` holding the config samples and, when given, a qa-hf.yaml. */
export async function configWorkdir(dir: string, name: string, yaml?: string): Promise<string> {
  const cwd = path.join(dir, name);
  await fs.mkdir(cwd);
  for (const sample of CONFIG_SAMPLES) await fs.copyFile(path.join(ROOT, 'samples', sample), path.join(cwd, sample));
  if (yaml !== undefined) await fs.writeFile(path.join(cwd, 'qa-hf.yaml'), yaml);
  return cwd;
}

/** A CLI child's end: its exit code or signal, and what it wrote to stderr. */
export interface SchedulerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * The CLI as a child in `cwd` without the scheduler variables of the machine running
 * the tests (SLURM_*, AWS_BATCH_*, JOB_COMPLETION_INDEX: each would make an export a
 * rank) but those in `env`; `pid` to kill it.
 */
export function spawnCliWithoutScheduler(cwd: string, args: string[], env: Record<string, string> = {}): { done: Promise<SchedulerRun>; pid: number } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(SLURM_|AWS_BATCH_|JOB_COMPLETION_INDEX)/.test(key)));
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const done = new Promise<SchedulerRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  return { done, pid: child.pid! };
}

/** The plan of a command run in this process with these flags (yargs' camelCase keys) and config: what the CLI runs. */
export function planFor<C extends ConfigCommand>(command: C, given: object, config: Config | null = null): RunPlan<C> {
  const flags = given as Record<string, unknown>;
  const files = command === 'merge' || command === 'verify' ? { presets: {} } : readPlanFiles(flags, config);
  return planRun(command, flags, config, { vars: process.env, cwd: process.cwd() }, files);
}

/** Every file of an export but manifest.json (timings in stats.json's hash): name → bytes; stats.json without `run`. */
export async function snapshot(out: string): Promise<{ files: Map<string, Buffer>; stats: unknown }> {
  const files = new Map<string, Buffer>();
  for (const name of await listFiles(out)) if (name !== 'manifest.json' && name !== 'stats.json') files.set(name, await fs.readFile(path.join(out, name)));
  return { files, stats: await statsWithoutRun(out) };
}

/** Two exports' snapshots: the same files, byte for byte, and the same stats.json but its `run`. */
export function expectSame(actual: Awaited<ReturnType<typeof snapshot>>, expected: Awaited<ReturnType<typeof snapshot>>): void {
  expect([...actual.files.keys()]).toEqual([...expected.files.keys()]);
  for (const [name, bytes] of actual.files) expect([name, bytes.equals(expected.files.get(name)!)]).toEqual([name, true]);
  expect(actual.stats).toEqual(expected.stats);
}

/** A process's state letter from /proc (T: stopped), '' once it is gone. */
export function procState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}
