/**
 * --partition-by end to end: each partition's files hold exactly the rows an unpartitioned
 * export of the same corpus writes for that value, in the same order, in every format (the
 * reference: that export's lines grouped by a few lines of plain naming); the same bytes with
 * --workers 0 and 2 and after a SIGKILL mid-file and a resume (partitions that first appear
 * after the checkpoint included); the card's partition lines and default config; the config
 * file's `partition_by` and `max_partitions`, and a column with too many values refused in one
 * line. (HF datasets loading a partitioned export is test/hf-load.test.ts's.)
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dataFiles, runExport } from './export-runner';
import { internalRecord, listFiles, readJson, runCli } from './helpers';

const ROLES = ['sjuksköterska', 'Sjuksköterska', 'läkare', 'undersköterska', 'fysioterapeut', 'ST-läkare'];
/** Roles that appear only in the last quarter: their partitions start after the killed run's checkpoint. */
const LATE_ROLES = ['barnmorska', 'kurator'];
const COUNT = 1500;
const ARGS = { format: 'jsonl,parquet,alpaca', split: 'train=0.8,test=0.2', checkpointLines: '300' };

let dir: string;
let input: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-partition-'));
  input = path.join(dir, 'qa.jsonl');
  const lines = Array.from({ length: COUNT }, (_, i) =>
    JSON.stringify(
      internalRecord({
        question: `Fråga ${i}: hur ofta ska dosen ${i % 97} ges till patient ${i}?`,
        answer: `Svar ${i}: högst ${i % 5} gånger per dygn.`,
        roll: i >= (COUNT * 3) / 4 && i % 3 === 0 ? LATE_ROLES[i % 2] : ROLES[i % ROLES.length],
        erfarenhet: i % 7 === 0 ? 'ny' : 'erfaren',
        score: 0.5 + (i % 5) * 0.1,
        passed: i % 10 !== 0,
        ...(i % 10 === 0 ? { failure_reason: 'vag' } : {}),
      }),
    ),
  );
  await fs.writeFile(input, `${lines.join('\n')}\n`);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** The reference's naming, a few lines of plain mapping: accents off, lowercase, other runs `_`. */
function referenceName(value: string): string {
  const slug = value.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return `persona_${slug}`;
}

async function lines(file: string): Promise<string[]> {
  return (await fs.readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
}

test('each partition holds the unpartitioned export rows of its value, in order; the same bytes with workers and after a kill; the card lists them', async () => {
  const whole = path.join(dir, 'whole', 'out');
  expect(await runExport({ inputs: [input], out: whole, ...ARGS, partitionBy: 'persona' })).toMatchObject({ code: 0, stderr: '' });
  const plain = path.join(dir, 'plain', 'out');
  expect(await runExport({ inputs: [input], out: plain, ...ARGS })).toMatchObject({ code: 0, stderr: '' });

  // The unpartitioned export's jsonl and alpaca lines, grouped by the reference's name of the row's persona.
  const expected = new Map<string, string[]>();
  for (const split of ['train', 'test']) {
    const rows = await lines(path.join(plain, 'jsonl', `${split}-00000-of-00001.jsonl`));
    const alpaca = await lines(path.join(plain, 'alpaca', `${split}-00000-of-00001.jsonl`));
    expect(alpaca.length).toBe(rows.length);
    rows.forEach((line, i) => {
      const name = referenceName(JSON.parse(line).persona);
      for (const [format, text] of [['jsonl', line], ['alpaca', alpaca[i]]]) {
        const key = `partitions/${name}/${format}/${split}-00000-of-00001.jsonl`;
        expected.set(key, [...(expected.get(key) ?? []), text]);
      }
    });
  }
  const files = await listFiles(whole);
  const written = files.filter((name) => name.startsWith('partitions/') && name.endsWith('.jsonl'));
  expect(written.sort()).toEqual([...expected.keys()].sort());
  for (const name of written) expect([name, await lines(path.join(whole, name))]).toEqual([name, expected.get(name)]);
  // Two spellings of sjuksköterska share one config; the late roles have theirs; Parquet beside each.
  const partitions = [...new Set(written.map((name) => name.split('/')[1]))].sort();
  expect(partitions).toContain('persona_sjukskoterska_erfaren');
  expect(partitions).toContain('persona_barnmorska_erfaren');
  expect(partitions.every((name) => files.some((file) => file.startsWith(`partitions/${name}/parquet/`)))).toBe(true);
  // The rejected rows stay one config; no unpartitioned pairs folder.
  expect(files).toContain('rejected/jsonl/train-00000-of-00001.jsonl');
  expect(files.some((name) => name.startsWith('jsonl/'))).toBe(false);

  // The card: one line per partition with its rows, the largest the default config.
  const card = await fs.readFile(path.join(whole, 'README.md'), 'utf8');
  const rowsOf = (name: string) => [...expected].filter(([key]) => key.startsWith(`partitions/${name}/jsonl/`)).reduce((n, [, rows]) => n + rows.length, 0);
  const largest = [...partitions].sort((a, b) => rowsOf(b) - rowsOf(a) || (a < b ? -1 : 1))[0];
  expect(card).toMatch(new RegExp(`config_name: ${largest}\\n  default: true`));
  for (const name of partitions) {
    const count = rowsOf(name).toLocaleString('en-US');
    expect(card).toMatch(new RegExp(`^- \`${name}\`(?: \\(the default config\\))?: ${count} rows? \\(`, 'm'));
  }
  const info = await readJson(path.join(whole, 'dataset_info.json'));
  expect(Object.keys(info)).toContain(`qa_${largest}_alpaca_train`);

  const workers = path.join(dir, 'workers', 'out');
  expect(await runExport({ inputs: [input], out: workers, ...ARGS, partitionBy: 'persona', workers: 2 })).toMatchObject({ code: 0, stderr: '' });
  expect(await dataFiles(workers)).toEqual(await dataFiles(whole));

  // Killed once a checkpoint inside the input is recorded: its state names the partitions so far.
  const killed = path.join(dir, 'killed', 'out');
  const first = await runExport({ inputs: [input], out: killed, ...ARGS, partitionBy: 'persona' }, { killAtCheckpointIn: killed });
  expect(first.signal).toBe('SIGKILL');
  const checkpoint = JSON.parse(await fs.readFile(path.join(killed, '.qa-hf-checkpoint.json'), 'utf8'));
  const named = (checkpoint.hub.partitions as [string, string][]).map(([name]) => name);
  expect(named).toContain('persona_sjukskoterska_erfaren');
  // Killed at its first checkpoints (every 300 lines), before the late roles' first line: their partitions start after it.
  if (checkpoint.position.line < (COUNT * 3) / 4) expect(named).not.toContain('persona_barnmorska_erfaren');
  expect(await runExport({ inputs: [input], out: killed, ...ARGS, partitionBy: 'persona' })).toMatchObject({ code: 0 });
  expect(await dataFiles(killed)).toEqual(await dataFiles(whole));
  expect((await runCli(['verify', killed])).code).toBe(0);
}, 120_000);

test('the config file takes partition-by and max-partitions; a column with more values ends the run in one line', async () => {
  const config = path.join(dir, 'qa-hf.yaml');
  // `question` has a value per record: far more than 5 (line 1 is rejected, so line 7 holds the sixth pair).
  await fs.writeFile(config, 'format: jsonl\npartition-by: question\nmax-partitions: 5\n');
  const out = path.join(dir, 'capped');
  const run = await runCli(['export', input, '--out', out, '--config', config]);
  expect(run.code).toBe(2);
  const stderr = run.stderr.toString();
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^qa-hf: .*qa\.jsonl:7 \(offset 1340\): ERR_OPTION: --partition-by question: the column has more than --max-partitions 5 values \(at least 6: this row's "Fråga 6: .*" is one more\); pass a larger --max-partitions/);
});
