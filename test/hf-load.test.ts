/**
 * HF `datasets` loads a Hub export exactly as its card says (test/hf-load.py): every format,
 * tiers, several shards, a string column of digits (`source` "1000", "0042"); and every
 * LLaMA-Factory dataset of dataset_info.json holds exactly its config's split. A csv-only export
 * too (its csv config declared in the YAML). Needs a Python with `datasets`: QA_HF_PYTHON, else
 * `python3` when it imports datasets (.ci/run makes one); otherwise skipped, saying why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExport } from './export-runner';
import { ROOT, internalRecord } from './helpers';

/** The Python to run test/hf-load.py with, or why there is none. */
function findPython(): { python: string } | { reason: string } {
  const given = process.env.QA_HF_PYTHON;
  const candidate = given || 'python3';
  const probe = spawnSync(candidate, ['-c', 'import datasets'], { encoding: 'utf8' });
  if (probe.status === 0) return { python: candidate };
  const why = probe.error ? probe.error.message : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
  return { reason: `${given ? `QA_HF_PYTHON=${given}` : 'python3'} cannot import datasets (${why}); set QA_HF_PYTHON to a Python with HF datasets` };
}

const found = findPython();
if ('reason' in found) console.warn(`test/hf-load.test.ts skipped: ${found.reason}`);
const withPython = 'python' in found ? test : test.skip;

function runPython(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn((found as { python: string }).python, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-hf-load-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

withPython('every config and split loads as the card says, with the declared features and counts; LLaMA-Factory reads each split whole', async () => {
  const input = path.join(dir, 'qa.jsonl');
  // Sources that pandas would read as numbers (one with a leading zero); scores over every tier; some rejected.
  const lines = Array.from({ length: 60 }, (_, i) =>
    JSON.stringify(
      internalRecord({
        question: `Fråga ${i}: hur ofta ska dosen ${i} ges?`,
        // Four personas (two of them one config: they differ only in case) for the partitioned export.
        roll: ['sjuksköterska', 'läkare', 'Undersköterska', 'undersköterska'][i % 4],
        answer: `Vid behov, högst ${i} gånger.`,
        source_document: i === 7 ? '0042' : String(1000 + i),
        score: 0.4 + (i % 12) * 0.05,
        passed: i % 9 !== 0,
        ...(i % 9 === 0 ? { failure_reason: 'vag' } : {}),
      }),
    ),
  );
  await fs.writeFile(input, `${lines.join('\n')}\n`);
  const hub = path.join(dir, 'hub');
  // Named like a packaged builder of datasets: the card must load the folder (./csv), not the csv builder.
  const csv = path.join(dir, 'csv');
  const partitioned = path.join(dir, 'partitioned');
  const formats = 'jsonl,parquet,csv,messages,alpaca,sharegpt,prompt-completion';
  for (const [out, args] of [
    [hub, { format: formats, split: 'train=0.8,test=0.2', tiers: 'high=0.8,medium=0.6', maxShardSize: '1000' }],
    [csv, { format: 'csv', split: 'train=0.8,test=0.2' }],
    // --partition-by: a config per persona in each format, the largest the default.
    [partitioned, { format: 'jsonl,parquet,alpaca', split: 'train=0.8,test=0.2', partitionBy: 'persona' }],
  ] as const) {
    const run = await runExport({ inputs: [input], out, ...args });
    expect([run.code, run.stderr]).toEqual([0, '']);
  }
  const result = await runPython([path.join(ROOT, 'test/hf-load.py'), hub, csv, partitioned]);
  // On a failure, its last stderr line (hf-load: … or the Python error) shows why.
  expect([result.code, result.code === 0 ? '' : result.stderr.trim().split('\n').pop()]).toEqual([0, '']);
  const printed = result.stdout.split('\n');
  expect(printed.filter((line) => line.startsWith('ok: '))).toEqual([
    'ok: 24 configs, 48 splits, 12 LLaMA-Factory datasets',
    'ok: 2 configs, 4 splits, 0 LLaMA-Factory datasets',
    'ok: 11 configs, 19 splits, 5 LLaMA-Factory datasets',
  ]);
  // The default config (loaded without a name) is the largest partition: undersköterska's two spellings.
  expect(printed).toContain('default config: persona_underskoterska_erfaren');
  // Both ways LLaMA-Factory reads a split: one plain file, and several shards through the card.
  const ways = printed.filter((line) => line.startsWith('LLaMA-Factory ')).map((line) => /\((file_name|script_url)/.exec(line)![1]);
  expect([...new Set(ways)].sort()).toEqual(['file_name', 'script_url']);
}, 240_000);
