/**
 * Issue 20 end to end (the spawned CLI): --min-chars / --max-chars (part 2) and
 * split leaks as a gate (part 6): rejected rows and their failure_reason against an
 * independent count made here from the input, report.json's metrics, --fail-on,
 * the config file, byte identity across --workers 0/2 and across SIGKILL/resume.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { internalRecord, listFiles, readJson, runCli, runCliKilledAtCheckpoint, seeded, statsWithoutRun } from './helpers';

const WORDS = 'feber huvudvärk patient läkare behandling dos tablett dag vecka sjukhus vård 🩺 blodtryck hjärta'.split(' ');

let dir: string;
let inputs: string[];
/** The records as written, in input order. */
const records: Array<Record<string, any>> = [];
/** The planted duplicates: indexes into `records`. */
const copies: Array<{ copy: number; original: number }> = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-trainer-'));
  const random = seeded(20);
  const text = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' ');
  const files: string[][] = [[], []];
  for (let i = 0; i < 2400; i++) {
    // Questions of 1–6 words, answers of 1–60: some below and some above the limits; 🩺 is one code point, two UTF-16 units.
    const erfarenhet = `år ${i % 23}`;
    let record = internalRecord({ question: `${text(1 + Math.floor(random() * 6))} (${i})?`, answer: text(1 + Math.floor(random() * 60)), erfarenhet, score: Math.round(random() * 1000) / 1000, passed: random() < 0.85 });
    // Copies of earlier records, spelled differently (exact duplicates after normalization) and by
    // another persona: with --split-key persona about half land in another split than their first.
    // Trailing spaces, as many as copies before: two copies of one record differ as written (the reference tells them apart).
    if (i > 50 && i % 37 === 0) {
      const original = (i * 7) % 50;
      record = { ...records[original], question: ` ${String(records[original].question).toUpperCase()}${' '.repeat(copies.length + 1)}`, persona: { roll: 'läkare', erfarenhet: `kopia ${i}` } };
      copies.push({ copy: i, original });
    }
    records.push(record);
    files[i < 1200 ? 0 : 1].push(JSON.stringify(record));
  }
  inputs = [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')];
  await Promise.all(inputs.map((input, i) => fs.writeFile(input, `${files[i].join('\n')}\n`)));
});

afterAll(async () => {
  if (process.env.KEEP_TEST_DIR === undefined) await fs.rm(dir, { recursive: true, force: true });
});

const jsonl = async (file: string) => (await fs.readFile(file, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, any>);
/** Characters as the issue defines them: code points of the value as written (the reference, apart from lib/quality/stats.ts). */
const chars = (value: string) => Array.from(value).length;

async function snapshot(out: string): Promise<{ files: Map<string, Buffer>; stats: unknown }> {
  const files = new Map<string, Buffer>();
  for (const name of await listFiles(out)) if (name !== 'manifest.json' && name !== 'stats.json') files.set(name, await fs.readFile(path.join(out, name)));
  return { files, stats: await statsWithoutRun(out) };
}

function expectSame(actual: Awaited<ReturnType<typeof snapshot>>, expected: Awaited<ReturnType<typeof snapshot>>): void {
  expect([...actual.files.keys()]).toEqual([...expected.files.keys()]);
  for (const [name, bytes] of actual.files) expect([name, bytes.equals(expected.files.get(name)!)]).toEqual([name, true]);
  expect(actual.stats).toEqual(expected.stats);
}

/** Exports into `name/dataset` (the card's and report.html's title is the folder's name: the same in every run compared). */
async function exportTo(name: string, args: string[], code = 0): Promise<string> {
  const out = path.join(dir, name, 'dataset');
  const result = await runCli(['export', ...inputs, '--out', out, '-q', ...args]);
  expect([result.code, code === 0 ? result.stderr : '']).toEqual([code, '']);
  return out;
}

describe('--min-chars / --max-chars', () => {
  const LIMITS = ['--min-chars', 'question=12,answer=40', '--max-chars', 'answer=300'];

  test('pairs outside the limits go to rejected as too_short / too_long, as counted from the input; metrics in report.json', async () => {
    const out = await exportTo('limits', LIMITS);
    const passed = records.filter((record) => record.validation.passed);
    const short = passed.filter((record) => chars(record.question) < 12 || chars(record.answer) < 40);
    const long = passed.filter((record) => !short.includes(record) && chars(record.answer) > 300);
    expect(short.length).toBeGreaterThan(100);
    expect(long.length).toBeGreaterThan(100);
    // Answers whose UTF-16 length is over the limit while their code points are not: they must stay.
    expect(passed.some((record) => record.answer.length > 300 && chars(record.answer) <= 300 && chars(record.question) >= 12 && chars(record.answer) >= 40)).toBe(true);
    const rejected = await jsonl(path.join(out, 'qa_rejected.jsonl'));
    const pairs = await jsonl(path.join(out, 'qa_pairs.jsonl'));
    expect(rejected.filter((row) => row.failure_reason === 'too_short').map((row) => row.question + row.answer)).toEqual(short.map((record) => record.question + record.answer));
    expect(rejected.filter((row) => row.failure_reason === 'too_long').map((row) => row.question + row.answer)).toEqual(long.map((record) => record.question + record.answer));
    expect(pairs).toHaveLength(passed.length - short.length - long.length);
    const report = await readJson(path.join(out, 'report.json'));
    expect([report.metrics.too_short, report.metrics.too_long]).toEqual([short.length, long.length]);
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('--fail-on too_short>N gates (exit 4, every file written); the config file gives the flags\' bytes', async () => {
    const gated = path.join(dir, 'gated');
    const result = await runCli(['export', ...inputs, '--out', gated, ...LIMITS, '--fail-on', 'too_short>3,too_long>100000']);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^qa-hf: threshold breached: too_short>3 \(value \d+\)$/m);
    expect(result.stderr).not.toMatch(/too_long>100000/);
    const flags = await snapshot(await exportTo('limits-flags', LIMITS));
    const workdir = path.join(dir, 'config');
    await fs.mkdir(workdir);
    await fs.writeFile(path.join(workdir, 'qa-hf.yaml'), 'min-chars:\n  question: 12\n  answer: 40\nmax-chars: {answer: 300}\n');
    const out = path.join(dir, 'limits-config', 'dataset');
    const fromFile = await runCli(['export', ...inputs, '--out', out, '-q'], undefined, { cwd: workdir });
    expect([fromFile.code, fromFile.stderr]).toEqual([0, '']);
    const config = await snapshot(out);
    expect([...config.files.keys()]).toEqual([...flags.files.keys()]);
    for (const name of ['qa_pairs.jsonl', 'qa_rejected.jsonl', 'report.json']) expect([name, config.files.get(name)!.equals(flags.files.get(name)!)]).toEqual([name, true]);
  });

  test('a rule on a filter that is off, a column of no mapping: one line, exit 2', async () => {
    const off = await runCli(['export', ...inputs, '--out', path.join(dir, 'off'), '--fail-on', 'too_long>0']);
    expect([off.code, off.stderr]).toEqual([2, 'qa-hf: ERR_OPTION: --fail-on too_long>0: too_long is not measured without --max-chars\n']);
    const typo = await runCli(['export', ...inputs, '--out', path.join(dir, 'typo'), '--min-chars', 'answr=3']);
    expect([typo.code, typo.stderr]).toEqual([2, 'qa-hf: ERR_OPTION: --min-chars names answr, which is no column of preset qa-internal (question, answer, source, persona, validation_score), got "answr"\n']);
  });

  test('qa-hf report counts them as export does', async () => {
    const out = path.join(dir, 'report-only');
    const result = await runCli(['report', ...inputs, '--out', out, '-q', ...LIMITS]);
    expect(result.code).toBe(0);
    const exported = await readJson(path.join(dir, 'limits', 'dataset', 'report.json'));
    expect((await readJson(path.join(out, 'report.json'))).metrics).toEqual(exported.metrics);
  });

  const HUB = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '300', ...LIMITS];

  test('--workers 0 and 2 write the same bytes', async () => {
    const zero = await snapshot(await exportTo('limits-w0', [...HUB, '--workers', '0']));
    const two = await snapshot(await exportTo('limits-w2', [...HUB, '--workers', '2']));
    expectSame(two, zero);
  });

  test.each([
    ['simple', ['--checkpoint-bytes', '20000', ...LIMITS]],
    ['hub', HUB],
  ])('%s layout: SIGKILLed mid-file, then resumed: the bytes of an uninterrupted run', async (layout, args) => {
    const reference = await snapshot(await exportTo(`limits-ref-${layout}`, args));
    const out = path.join(dir, `limits-killed-${layout}`, 'dataset');
    const command = ['export', ...inputs, '--out', out, '-q', ...args];
    expect(await runCliKilledAtCheckpoint(command, out, true)).toBe('SIGKILL');
    const resumed = await runCli(command);
    expect(resumed.code).toBe(0);
    expectSame(await snapshot(out), reference);
  });
});

describe('split leaks (--fail-on leaks)', () => {
  const SPLIT = ['--format', 'jsonl', '--split', 'train=0.5,test=0.5', '--split-key', 'persona'];

  test('duplicates whose first record sits in another split: counted as the written splits show, listed, gated', async () => {
    const out = await exportTo('leaks', SPLIT);
    // Where each pair was written, from the files (the reference, apart from the dedup index).
    const splitOf = new Map<string, string>();
    for (const split of ['train', 'test']) {
      for (const name of (await listFiles(out, 'jsonl')).filter((file) => file.startsWith(`jsonl/${split}-`))) {
        for (const row of await jsonl(path.join(out, name))) splitOf.set(`${row.question}\u0000${row.answer}`, split);
      }
    }
    const key = (record: Record<string, any>) => `${record.question}\u0000${record.answer}`;
    const passed = copies.filter(({ original }) => records[original].validation.passed);
    const leaks = passed.filter(({ copy, original }) => splitOf.get(key(records[copy])) !== splitOf.get(key(records[original])));
    expect(passed.every(({ copy, original }) => splitOf.has(key(records[copy])) && splitOf.has(key(records[original])))).toBe(true);
    expect(leaks.length).toBeGreaterThan(3);
    expect(leaks.length).toBeLessThan(passed.length);
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.metrics.leaks).toBe(leaks.length);
    expect(report.duplicates.leak_examples).toHaveLength(Math.min(10, leaks.length));
    for (const example of report.duplicates.leak_examples) expect(example.duplicate.split).not.toBe(example.kept.split);
    // Lines per input of 1200 records.
    expect(report.duplicates.leak_examples[0].duplicate.line).toBe((leaks[0].copy % 1200) + 1);
    expect(await fs.readFile(path.join(out, 'report.html'), 'utf8')).toContain('leak_examples');

    const gated = await runCli(['export', ...inputs, '--out', path.join(dir, 'leaks-gated'), ...SPLIT, '--fail-on', 'leaks>0']);
    expect(gated.code).toBe(4);
    expect(gated.stderr).toContain(`qa-hf: threshold breached: leaks>0 (value ${leaks.length})\n`);
    // One split: nothing can leak, the gate passes.
    const one = await runCli(['export', ...inputs, '--out', path.join(dir, 'leaks-one'), '-q', '--fail-on', 'leaks>0']);
    expect([one.code, one.stderr]).toEqual([0, '']);
  });
});
