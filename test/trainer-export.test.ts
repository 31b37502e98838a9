/**
 * Issue 20 end to end (the spawned CLI): --min-chars / --max-chars (part 2), split
 * leaks as a gate (part 6) and token budgets with a model's chat template (part 1):
 * rejected rows and their failure_reason against an independent count (made here from
 * the input; the tokens: test/fixtures/chat-model/golden.json, from the Python
 * reference), report.json's metrics, --fail-on, the config file, byte identity across
 * --workers 0/2 and across SIGKILL/resume, a template that refuses the data.
 */
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, type RunResult, internalRecord, listFiles, planFor, readJson, runCli, runCliKilledAtCheckpoint, seeded, snapshot, expectSame, thrown } from './helpers';

/** Records per input (two inputs): ~475 kB each, so the simple layout has a checkpoint inside each (input is read in 256 KiB chunks). */
const PER_INPUT = 1200;
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
  for (let i = 0; i < 2 * PER_INPUT; i++) {
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
    files[i < PER_INPUT ? 0 : 1].push(JSON.stringify(record));
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


/** Exports into `name/dataset` (the card's and report.html's title is the folder's name: the same in every run compared). */
async function exportTo(name: string, args: string[], code = 0): Promise<string> {
  const out = path.join(dir, name, 'dataset');
  const result = await runCli(['export', ...inputs, '--out', out, '-q', ...args]);
  expect([result.code, code === 0 ? result.stderr : '']).toEqual([code, '']);
  return out;
}

const LIMITS = ['--min-chars', 'question=12,answer=40', '--max-chars', 'answer=300'];
/** The limits export (simple layout) also gates; its leaks>0 passes with one split (nothing can leak): 'split leaks' below. */
const GATE = ['--fail-on', 'too_short>3,too_long>100000,leaks>0'];
const limits = () => path.join(dir, 'limits', 'dataset');
let limitsExport: Promise<RunResult> | undefined;
/**
 * One export with the limits and the gate, shared: the rows, metrics, gate and verify are checked on it; pipe mode,
 * the config file, qa-hf report, the simple layout's kill and the one-split leaks gate compare with it or read it.
 */
const limitsRun = () => (limitsExport ??= runCli(['export', ...inputs, '--out', limits(), '-q', ...LIMITS, ...GATE]));

describe('--min-chars / --max-chars', () => {
  beforeAll(async () => {
    await limitsRun();
  });

  test('pairs outside the limits go to rejected as too_short / too_long, as counted from the input; metrics in report.json; --fail-on too_short>N gates (exit 4, every file written)', async () => {
    const run = await limitsRun();
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^qa-hf: threshold breached: too_short>3 \(value \d+\)$/m);
    expect(run.stderr).not.toMatch(/too_long>100000/);
    const out = limits();
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

  test('pipe mode takes them too: standard output and --rejected hold the bytes of the export\'s qa_pairs.jsonl and qa_rejected.jsonl', async () => {
    const out = path.join(dir, 'limits', 'dataset');
    await fs.access(path.join(out, 'qa_pairs.jsonl')); // written by the test above
    const rejected = path.join(dir, 'pipe-limits-rejected.jsonl');
    const result = await runCli([...inputs, '-q', '--rejected', rejected, ...LIMITS]);
    expect([result.code, result.stderr.toString()]).toEqual([0, '']);
    expect(result.stdout.equals(await fs.readFile(path.join(out, 'qa_pairs.jsonl')))).toBe(true);
    expect((await fs.readFile(rejected)).equals(await fs.readFile(path.join(out, 'qa_rejected.jsonl')))).toBe(true);
  });

  test('the config file gives the flags\' bytes', async () => {
    const flags = await snapshot(limits());
    const workdir = path.join(dir, 'config');
    await fs.mkdir(workdir);
    await fs.writeFile(path.join(workdir, 'qa-hf.yaml'), 'min-chars:\n  question: 12\n  answer: 40\nmax-chars: {answer: 300}\nfail-on: [too_short>3, too_long>100000, leaks>0]\n');
    const out = path.join(dir, 'limits-config', 'dataset');
    const fromFile = await runCli(['export', ...inputs, '--out', out, '-q'], undefined, { cwd: workdir });
    expect(fromFile.code).toBe(4);
    const config = await snapshot(out);
    expect([...config.files.keys()]).toEqual([...flags.files.keys()]);
    for (const name of ['qa_pairs.jsonl', 'qa_rejected.jsonl', 'report.json']) expect([name, config.files.get(name)!.equals(flags.files.get(name)!)]).toEqual([name, true]);
  });

  test('a rule on a filter that is off: one line, exit 2; a column of no mapping: refused by the plan', async () => {
    const off = await runCli(['export', ...inputs, '--out', path.join(dir, 'off'), '--fail-on', 'too_long>0']);
    expect([off.code, off.stderr]).toEqual([2, 'qa-hf: ERR_OPTION: --fail-on too_long>0: too_long is not measured without --max-chars\n']);
    // In-process: the plan refuses it (an ERR_OPTION: one line, exit 2, as the run above shows for its error).
    const typo = thrown(() => planFor('export', { inputs, out: path.join(dir, 'typo'), minChars: 'answr=3' }));
    expect([typo.code, typo.message]).toEqual(['ERR_OPTION', '--min-chars names answr, which is no column of preset qa-internal (question, answer, source, persona, validation_score), got "answr"']);
  });

  test('qa-hf report counts them as export does', async () => {
    const out = path.join(dir, 'report-only');
    const result = await runCli(['report', ...inputs, '--out', out, '-q', ...LIMITS]);
    expect(result.code).toBe(0);
    const exported = await readJson(path.join(dir, 'limits', 'dataset', 'report.json'));
    expect((await readJson(path.join(out, 'report.json'))).metrics).toEqual(exported.metrics);
  });

  const HUB = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '200', ...LIMITS];
  /** The Hub-layout export with --workers 0: the reference of --workers 2 and of the killed run. */
  let hubZero: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    hubZero = await snapshot(await exportTo('limits-w0', [...HUB, '--workers', '0']));
  });

  test('--workers 0 and 2 write the same bytes', async () => {
    const two = await snapshot(await exportTo('limits-w2', [...HUB, '--workers', '2']));
    expectSame(two, hubZero);
  });

  // The simple layout's reference is the gated limits export (--checkpoint-bytes moves checkpoints, no byte).
  test.each([
    ['simple', ['--checkpoint-bytes', '20000', ...LIMITS, ...GATE], 4],
    ['hub', [...HUB, '--workers', '0'], 0],
  ])('%s layout: SIGKILLed mid-file, then resumed: the bytes of an uninterrupted run', async (layout, args, code) => {
    const reference = layout === 'hub' ? hubZero : await snapshot(limits());
    const out = path.join(dir, `limits-killed-${layout}`, 'dataset');
    const command = ['export', ...inputs, '--out', out, '-q', ...args];
    expect(await runCliKilledAtCheckpoint(command, out, true)).toBe('SIGKILL');
    const resumed = await runCli(command);
    expect(resumed.code).toBe(code);
    expectSame(await snapshot(out), reference);
  });
});

describe('split leaks (--fail-on leaks)', () => {
  const SPLIT = ['--format', 'jsonl', '--split', 'train=0.5,test=0.5', '--split-key', 'persona'];

  test('duplicates whose first record sits in another split: counted as the written splits show, listed, gated', async () => {
    // Gated in the same run: exit 4, every file written.
    const out = path.join(dir, 'leaks', 'dataset');
    const gated = await runCli(['export', ...inputs, '--out', out, '-q', ...SPLIT, '--fail-on', 'leaks>0']);
    expect(gated.code).toBe(4);
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
    // Lines per input of PER_INPUT records.
    expect(report.duplicates.leak_examples[0].duplicate.line).toBe((leaks[0].copy % PER_INPUT) + 1);
    expect(await fs.readFile(path.join(out, 'report.html'), 'utf8')).toContain('<h3>leak examples</h3>');
    expect(gated.stderr).toContain(`qa-hf: threshold breached: leaks>0 (value ${leaks.length})\n`);
  });

  test('one split (the limits export above): nothing can leak, its leaks>0 rule passes', async () => {
    const run = await limitsRun();
    expect(run.stderr).not.toMatch(/leaks>0/);
    expect(run.stderr).toMatch(/ERR_THRESHOLD: 1 of 3 --fail-on rules breached/);
    expect((await readJson(path.join(limits(), 'report.json'))).metrics.leaks).toBe(0);
  });
});

describe('token budgets: --tokenizer MODEL_FOLDER, --max-tokens', () => {
  const MODEL = path.join(ROOT, 'test', 'fixtures', 'chat-model');
  const golden = JSON.parse(readFileSync(path.join(MODEL, 'golden.json'), 'utf8')) as { system_prompt: string; no_system_error: string; rows: Array<{ tokens: number; tokens_with_system: number }> };
  const fixture = readFileSync(path.join(MODEL, 'rows.jsonl'), 'utf8').trim().split('\n');
  /** The fixture 10 times over (600 lines: checkpoints every 100 lines, so a kill can land mid-file); golden row i is line i % 60. */
  let many: string;
  const TIMES = 10;
  const passed = fixture.map((line) => (JSON.parse(line) as Record<string, any>).validation.passed as boolean);
  const HUB = ['--format', 'jsonl,messages', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '100'];
  const BUDGET = [...HUB, '--max-tokens', '300'];
  /** --max-tokens 300 (--workers 0, the default), no system prompt: its own test below, and the reference of --workers 2, the config file, the kill and qa-hf report. */
  let budget: string;
  beforeAll(async () => {
    many = path.join(dir, 'chat-rows.jsonl');
    await fs.writeFile(many, `${Array.from({ length: TIMES }, () => fixture.join('\n')).join('\n')}\n`);
    budget = await tokenExport('tokens-tokens', [...BUDGET, '--workers', '0']);
  });

  async function tokenExport(name: string, args: string[]): Promise<string> {
    const out = path.join(dir, name, 'dataset');
    const result = await runCli(['export', many, '--out', out, '-q', '--tokenizer', MODEL, ...args]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    return out;
  }

  test.each([
    ['without a system prompt', null, 'tokens'],
    ['with --system-prompt', ['--system-prompt', 'Du är en vårdassistent.'], 'tokens_with_system'],
  ] as const)('%s: too_many_tokens exactly for the passed pairs over N by the Python reference’s counts; the report’s token lengths', async (name, extra, key) => {
    const out = extra === null ? budget : await tokenExport(`tokens-${key}`, [...BUDGET, ...extra]);
    const over = golden.rows.filter((row, i) => passed[i] && row[key] > 300).length;
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.metrics.too_many_tokens).toBe(over * TIMES);
    const rejected: Array<Record<string, any>> = [];
    for (const file of (await listFiles(out, 'rejected')).filter((file) => file.includes('/jsonl/'))) rejected.push(...(await jsonl(path.join(out, file))));
    expect(rejected.filter((row) => row.failure_reason === 'too_many_tokens')).toHaveLength(over * TIMES);
    // Every written pair within the budget, every row measured; shares over 512 … 4096 of the pairs: 0 here.
    const groups = report.groups as Array<Record<string, any>>;
    for (const group of groups) expect(group.conversation_tokens.count).toBe(group.records);
    for (const group of groups.filter((g) => g.channel === 'pairs')) {
      expect(group.conversation_tokens.max).toBeLessThanOrEqual(300);
      expect(group.conversation_tokens.share_over).toEqual({ 512: 0, 1024: 0, 2048: 0, 4096: 0 });
    }
    const all = golden.rows.map((row) => row[key]);
    expect(Math.max(...groups.map((g) => g.conversation_tokens.max))).toBe(Math.max(...all));
    expect(Math.min(...groups.map((g) => g.conversation_tokens.min))).toBe(Math.min(...all));
    // The rejected rows over 1024, as a share of each group, from the reference's counts.
    const long = groups.filter((g) => g.channel === 'rejected').reduce((sum, g) => sum + Math.round(g.conversation_tokens.share_over['1024'] * g.records), 0);
    expect(long).toBe(golden.rows.filter((row) => row[key] > 1024).length * TIMES);
    expect(await fs.readFile(path.join(out, 'report.html'), 'utf8')).toContain('Conversation tokens (chat template)');
    void name;
  });

  test('--workers 0 and 2 write the same bytes; the config file (paths relative to it) gives the flags’ bytes', async () => {
    const zero = await snapshot(budget);
    const two = await snapshot(await tokenExport('tokens-w2', [...BUDGET, '--workers', '2']));
    expectSame(two, zero);
    const workdir = path.join(dir, 'tokens-config');
    await fs.mkdir(workdir, { recursive: true });
    await fs.writeFile(path.join(workdir, 'qa-hf.yaml'), `tokenizer: ${path.relative(workdir, MODEL)}\nmax-tokens: 300\n`);
    const out = path.join(workdir, 'dataset');
    const result = await runCli(['export', many, '--out', out, '-q', ...HUB], undefined, { cwd: workdir });
    expect([result.code, result.stderr]).toEqual([0, '']);
    const config = await snapshot(out);
    for (const [file, bytes] of zero.files) if (file !== 'README.md') expect([file, bytes.equals(config.files.get(file)!)]).toEqual([file, true]);
  });

  test('SIGKILLed mid-file, then resumed: the bytes of an uninterrupted run', async () => {
    const reference = await snapshot(budget);
    const out = path.join(dir, 'tokens-killed', 'dataset');
    const command = ['export', many, '--out', out, '-q', '--tokenizer', MODEL, ...BUDGET, '--workers', '0'];
    expect(await runCliKilledAtCheckpoint(command, out, true)).toBe('SIGKILL');
    const resumed = await runCli(command);
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);
    expectSame(await snapshot(out), reference);
  });

  test.each(['0', '2'])('a template that refuses the data: exit 1, one line with its message and the first row’s file:line (--workers %s)', async (workers) => {
    const input = path.join(dir, 'chat-one.jsonl');
    await fs.writeFile(input, `${fixture.slice(0, 5).join('\n')}\n`);
    const result = await runCli(['export', input, '--out', path.join(dir, `refused-${workers}`), '--tokenizer', path.join(MODEL, 'no-system'), '--format', 'messages', '--system-prompt', 'Hej.', '--workers', workers]);
    expect([result.code, result.stderr]).toEqual([1, `qa-hf: ${input}:1: ERR_CHAT_TEMPLATE: the chat template refused this row: ${golden.no_system_error}\n`]);
  });

  test('qa-hf report counts and measures as export does', async () => {
    const out = path.join(dir, 'tokens-report');
    const result = await runCli(['report', many, '--out', out, '-q', '--tokenizer', MODEL, '--max-tokens', '300', '--split', 'train=0.8,test=0.2']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const exported = await readJson(path.join(budget, 'report.json'));
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.metrics).toEqual(exported.metrics);
    expect(report.groups.map((group: Record<string, unknown>) => group.conversation_tokens)).toEqual(exported.groups.map((group: Record<string, unknown>) => group.conversation_tokens));
  });

  test('pipe mode: --report with a shipped mapped preset (a conversation column), with and without a model folder', async () => {
    const input = path.join(dir, 'conversations.jsonl');
    const turns = [{ role: 'user', content: 'Vad är feber?' }, { role: 'assistant', content: 'Över 38 grader.' }];
    await fs.writeFile(input, `${JSON.stringify({ messages: turns })}\n${JSON.stringify({ messages: [{ role: 'system', content: 'Du är en vårdassistent.' }, ...turns] })}\n`);
    const plain = await runCli([input, '-q', '--preset', 'messages', '--report', path.join(dir, 'pipe-plain')]);
    expect([plain.code, plain.stderr]).toEqual([0, '']);
    const counted = await runCli([input, '-q', '--preset', 'messages', '--tokenizer', MODEL, '--report', path.join(dir, 'pipe-tokens')]);
    expect([counted.code, counted.stderr]).toEqual([0, '']);
    const report = await readJson(path.join(dir, 'pipe-tokens', 'report.json'));
    expect(report.groups[0].conversation_tokens).toMatchObject({ count: 2 });
    const refused = await runCli([input, '-q', '--preset', 'messages', '--tokenizer', path.join(MODEL, 'no-system'), '--report', path.join(dir, 'pipe-refused')]);
    expect([refused.code, refused.stderr]).toEqual([1, `qa-hf: ${input}:2: ERR_CHAT_TEMPLATE: the chat template refused this row: ${golden.no_system_error}\n`]);
  });

  test('--max-tokens without a model folder, a folder without tokenizer_config.json: one line, exit 2', async () => {
    const none = await runCli(['export', many, '--out', path.join(dir, 'tokens-none'), '--max-tokens', '300']);
    expect([none.code, none.stderr]).toEqual([2, 'qa-hf: ERR_USAGE: --max-tokens 300 needs --tokenizer MODEL_FOLDER (tokenizer.json and tokenizer_config.json with its chat_template); none is given\n']);
    const empty = path.join(dir, 'no-config');
    await fs.mkdir(empty, { recursive: true });
    const folder = await runCli(['export', many, '--out', path.join(dir, 'tokens-folder'), '--tokenizer', empty]);
    expect([folder.code, folder.stderr]).toEqual([2, `qa-hf: ERR_OPTION: --tokenizer ${empty} is a folder without tokenizer_config.json (a model folder holds tokenizer.json and tokenizer_config.json with its chat_template)\n`]);
  });
});
