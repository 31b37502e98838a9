/**
 * --format kto and dpo end to end: the rows of every split equal an independent reference (a
 * few lines of plain mapping over the input records: labels, grouping by the normalized
 * question, best passed / worst rejected, ties to the earlier record, the first-seen prompt);
 * the same bytes with --workers 0 and 2 and after a SIGKILL mid-file and a resume (the dpo
 * index rebuilt from its log); report.json's `preference` section; HF `datasets` loads both
 * with the declared features (test/hf-load.py, text and conversational forms) and
 * LLaMA-Factory's entries hold each split whole.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dataFiles, runExport } from './export-runner';
import { ROOT, internalRecord, planFor, readJson, runCli, seeded, thrown } from './helpers';
import { makeSplitAssigner, parseSplitSpec } from '../lib/dataset/split';

const SPLIT = 'train=0.7,test=0.3';

/** Questions asked again in other spellings (case, spaces, a full-width letter NFKC folds), answers repeated, scores tied. */
function preferenceLines(count: number, seed: number): string[] {
  const random = seeded(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const q = Math.floor(random() * random() * 80);
    const variant = Math.floor(random() * 4);
    const base = `Hur ofta ska dos ${q} av läkemedlet ges?`;
    const question = variant === 1 ? base.toUpperCase() : variant === 2 ? `  hur  ofta ska dos ${q} av läkemedlet ges? ` : variant === 3 ? base.replace('H', 'Ｈ') : base;
    const passed = random() < 0.6;
    lines.push(
      JSON.stringify(
        internalRecord({
          question,
          answer: `Svar ${Math.floor(random() * 4)} på fråga ${q}: högst ${q % 5} gånger per dygn.`,
          score: [0.5, 0.6, 0.7, 0.8, 0.9][Math.floor(random() * 5)],
          passed,
          ...(passed ? {} : { failure_reason: 'vag' }),
        }),
      ),
    );
  }
  return lines;
}

interface InputRecord {
  question: string;
  answer: string;
  validation: { composite_score: number; passed: boolean };
}

/** The reference: per split the kto and dpo lines, from the records alone (dedup exact: later copies of a passed pair left out). */
function reference(lines: string[]): { kto: Record<string, string>; dpo: Record<string, string>; summary: Record<string, number> } {
  const spec = parseSplitSpec(SPLIT);
  const assign = makeSplitAssigner(spec, 42);
  const normalize = (text: string) => text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  const kto: Record<string, string> = { train: '', test: '' };
  const keptPassed = new Set<string>();
  type Pick = { score: number; answer: string } | null;
  const groups = new Map<string, { split: string; prompt: string; chosen: Pick; rejected: Pick }>();
  let left = 0;
  for (const line of lines) {
    const record = JSON.parse(line) as InputRecord;
    const { question, answer } = record;
    const { passed, composite_score: score } = record.validation;
    if (passed) {
      const pair = `${normalize(question)}\u0000${normalize(answer)}`;
      if (keptPassed.has(pair)) {
        left++;
        continue;
      }
      keptPassed.add(pair);
    }
    const split = spec.names[assign(question)];
    kto[split] += `${JSON.stringify({ prompt: question, completion: ` ${answer}`, label: passed })}\n`;
    const key = normalize(question);
    if (!groups.has(key)) groups.set(key, { split, prompt: question, chosen: null, rejected: null });
    const group = groups.get(key)!;
    if (passed && (group.chosen === null || score > group.chosen.score)) group.chosen = { score, answer };
    if (!passed && (group.rejected === null || score < group.rejected.score)) group.rejected = { score, answer };
  }
  const dpo: Record<string, string> = { train: '', test: '' };
  let pairs = 0;
  for (const group of groups.values()) {
    if (group.chosen === null || group.rejected === null) continue;
    pairs++;
    dpo[group.split] += `${JSON.stringify({ prompt: group.prompt, chosen: ` ${group.chosen.answer}`, rejected: ` ${group.rejected.answer}` })}\n`;
  }
  return { kto, dpo, summary: { questions: groups.size, pairs, without_both: groups.size - pairs, duplicates_left_out: left } };
}

async function shard(out: string, config: string, split: string): Promise<string> {
  return fs.readFile(path.join(out, config, `${split}-00000-of-00001.jsonl`), 'utf8').catch(() => '');
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-preference-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('kto and dpo rows equal the reference in every split, with --workers 0 and 2, and after a kill and a resume', async () => {
  const input = path.join(dir, 'qa.jsonl');
  // 2 000 lines, a checkpoint every 100: a kill lands inside the input with committed dpo log lines.
  const lines = preferenceLines(2000, 7);
  await fs.writeFile(input, `${lines.join('\n')}\n`);
  const args = { inputs: [input], format: 'jsonl,kto,dpo', split: SPLIT, dedup: 'exact', checkpointLines: 100 };
  // Every run's folder is named `out` (the card's title and load path): their bytes compare whole.
  const whole = path.join(dir, 'whole', 'out');
  expect(await runExport({ ...args, out: whole })).toMatchObject({ code: 0, stderr: '' });
  const expected = reference(lines);
  for (const split of ['train', 'test']) {
    expect(await shard(whole, 'kto', split)).toBe(expected.kto[split]);
    expect(await shard(whole, 'dpo', split)).toBe(expected.dpo[split]);
  }
  // The reference is not trivial: both kinds of question, ties, copies left out.
  expect(expected.summary.pairs).toBeGreaterThan(20);
  expect(expected.summary.without_both).toBeGreaterThan(0);
  expect(expected.summary.duplicates_left_out).toBeGreaterThan(0);
  const report = await readJson(path.join(whole, 'report.json'));
  expect(report.preference).toMatchObject({
    formats: ['kto', 'dpo'],
    pairs: { duplicates_left_out: expected.summary.duplicates_left_out },
    dpo: { questions: expected.summary.questions, pairs: expected.summary.pairs, without_both: expected.summary.without_both },
  });
  const info = await readJson(path.join(whole, 'dataset_info.json'));
  expect(info.qa_kto_train).toEqual({ file_name: 'kto/train-00000-of-00001.jsonl', formatting: 'alpaca', columns: { prompt: 'prompt', response: 'completion', kto_tag: 'label' } });
  expect(info.qa_dpo_test).toEqual({ file_name: 'dpo/test-00000-of-00001.jsonl', formatting: 'alpaca', ranking: true, columns: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' } });

  const workers = path.join(dir, 'workers', 'out');
  expect(await runExport({ ...args, out: workers, workers: 2 })).toMatchObject({ code: 0, stderr: '' });
  expect(await dataFiles(workers)).toEqual(await dataFiles(whole));

  // Killed once a checkpoint inside the input holds committed dpo log lines; the resume replays them.
  const killed = path.join(dir, 'killed', 'out');
  const first = await runExport({ ...args, out: killed }, { killAtCheckpointIn: killed });
  expect(first.signal).toBe('SIGKILL');
  const checkpoint = await readJson(path.join(killed, '.qa-hf-checkpoint.json'));
  expect(checkpoint.position.offset).toBeGreaterThan(0);
  expect(checkpoint.preference.log_bytes).toBeGreaterThan(0);
  // That resume is killed in turn after the dpo rows went to their shards, before the finalizing checkpoint (one run
  // fewer than a fresh run to crash there): the last resume writes them again, the same.
  expect(await runExport({ ...args, out: killed }, { env: { QA_HF_CRASH_AT: 'after-preference-rows' } })).toMatchObject({ signal: 'SIGKILL' });
  expect((await fs.readdir(path.join(killed, 'dpo'))).sort()).toEqual(['.test-00000.jsonl.partial.open', '.train-00000.jsonl.partial.open']);
  expect(await runExport({ ...args, out: killed })).toMatchObject({ code: 0 });
  expect(await dataFiles(killed)).toEqual(await dataFiles(whole));
  await expect(fs.access(path.join(killed, '.qa-hf-preference.partial'))).rejects.toThrow();
}, 240_000);

// In-process: the plan refuses it (an ERR_USAGE: one line, exit 2, as every usage error).
test('kto and dpo refuse a split key other than the question', () => {
  const input = path.join(ROOT, 'samples', 'qa_mixed.jsonl');
  for (const format of ['kto', 'dpo']) {
    const error = thrown(() => planFor('export', { inputs: [input], out: path.join(dir, 'refused'), format, split: SPLIT, splitKey: 'source' }));
    expect([error.code, error.message]).toEqual(['ERR_USAGE', `--format ${format} splits by the question (a prompt never sits in two splits), so --split-key must be question, got "source"`]);
  }
});

/** The Python to run test/hf-load.py with (QA_HF_PYTHON, else python3), or why there is none. */
function findPython(): { python: string } | { reason: string } {
  const candidate = process.env.QA_HF_PYTHON || 'python3';
  const probe = spawnSync(candidate, ['-c', 'import datasets'], { encoding: 'utf8' });
  return probe.status === 0 ? { python: candidate } : { reason: `${candidate} cannot import datasets; set QA_HF_PYTHON to a Python with HF datasets` };
}
const found = findPython();
if ('reason' in found) console.warn(`test/preference-export.test.ts: datasets load skipped: ${found.reason}`);
const withPython = 'python' in found ? test : test.skip;

withPython('HF datasets loads kto and dpo with their declared features, as text and as conversations; LLaMA-Factory reads the text form', async () => {
  const input = path.join(dir, 'load.jsonl');
  await fs.writeFile(input, `${preferenceLines(300, 11).join('\n')}\n`);
  const text = path.join(dir, 'text');
  const chat = path.join(dir, 'chat');
  expect(await runExport({ inputs: [input], out: text, format: 'jsonl,kto,dpo', split: SPLIT })).toMatchObject({ code: 0, stderr: '' });
  expect(await runExport({ inputs: [input], out: chat, format: 'kto,dpo', split: SPLIT, systemPrompt: 'Du svarar på frågor om läkemedel.' })).toMatchObject({ code: 0, stderr: '' });
  const chatRow = JSON.parse((await shard(chat, 'dpo', 'train')).split('\n')[0]);
  expect(Object.keys(chatRow)).toEqual(['prompt', 'chosen', 'rejected']);
  expect(chatRow.prompt[0]).toEqual({ role: 'system', content: 'Du svarar på frågor om läkemedel.' });
  expect(chatRow.chosen).toEqual([{ role: 'assistant', content: expect.any(String) }]);
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn((found as { python: string }).python, [path.join(ROOT, 'test/hf-load.py'), text, chat], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  expect([result.code, result.code === 0 ? '' : result.stderr.trim().split('\n').pop()]).toEqual([0, '']);
  // text: default, rejected, kto, dpo (2 splits each) and 4 LLaMA-Factory datasets; chat: kto, dpo, no LLaMA-Factory entry.
  expect(result.stdout.split('\n').filter((line) => line.startsWith('ok: '))).toEqual(['ok: 4 configs, 8 splits, 4 LLaMA-Factory datasets', 'ok: 2 configs, 4 splits, 0 LLaMA-Factory datasets']);
}, 240_000);

// One run: the empty dpo beside kto, which (with dpo) declares no rejected config; the card of kto and dpo that hold
// rows, beside jsonl's rejected configs, is the first test's export (below, its README).
test('the card says what is there: an empty dpo is called empty, and with kto and dpo alone no rejected config is claimed', async () => {
  const input = path.join(ROOT, 'samples', 'qa_passed.jsonl'); // every pair passed: no question has both kinds
  const out = path.join(dir, 'card-kto-dpo');
  const run = await runCli(['export', input, '--out', out, '--format', 'kto,dpo', '--quiet']);
  expect(run.code).toBe(0);
  expect(await fs.readFile(path.join(out, 'README.md'), 'utf8')).toContain(
    'in `kto`, `dpo` (empty: no question had both a passed and a rejected answer). Pairs that failed validation have no config of their own (`kto` holds them with `label` false);',
  );
  expect(await fs.readFile(path.join(dir, 'whole', 'out', 'README.md'), 'utf8')).toContain('in `jsonl`, `kto`, `dpo`. Pairs that failed validation are in the `rejected` configs');
});
