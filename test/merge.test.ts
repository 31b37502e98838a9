/**
 * Ranks and merge end to end (CLI): 3 ranks as parallel processes on a dirty corpus
 * (blank lines, bad JSON, invalid records, duplicates, CRLF, an empty and a gzip
 * file, one file big enough to be cut across all ranks), one SIGKILLed after a
 * checkpoint mid-share and rerun (refused while a byte it read before the checkpoint is
 * edited), then `qa-hf merge`, against a single-machine
 * export in the Hub layout: every file byte-identical (the card and report name the
 * folder, so both are `…/out`), Parquet rows equal as DuckDB reads them, stats equal
 * but for `run`, verify passes; a killed merge resumes to the same bytes.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { useDuckDb } from './duckdb';
import { spawnCliWithoutScheduler, listFiles, readJson, recordLines, runCli, runCliKilledAtCheckpoint, statsWithoutRun } from './helpers';

const OPTIONS = ['--format', 'jsonl,parquet,csv', '--split', 'train=0.8,test=0.2', '--dedup', 'exact', '--checkpoint-lines', '700'];
const { query } = useDuckDb();

let root: string;

/** The CLI in `root`, with no scheduler variables but those given. */
function cli(args: string[], env: Record<string, string> = {}) {
  return spawnCliWithoutScheduler(root, args, env);
}

/** The dirty corpus: a big file cut across ranks, CRLF with an unterminated last line, an empty file, a gzip file. */
async function writeCorpus(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  const records = recordLines(3000, 11);
  const big: string[] = [];
  records.forEach((line, i) => {
    big.push(line);
    if (i % 97 === 0) big.push('');
    if (i % 89 === 0) big.push('{"question": "trasig');
    if (i % 83 === 0) big.push('{"question":"Utan svar?"}');
    if (i % 61 === 0) big.push(records[Math.floor(i / 2)]); // an exact duplicate of an earlier line
    if (i % 250 === 0) big.push('   ');
  });
  await fs.writeFile(path.join(dir, 'a.jsonl'), `\ufeff${big.join('\n')}\n`);
  await fs.writeFile(path.join(dir, 'b.jsonl'), `${recordLines(40, 12).join('\r\n')}\r\n\r\n[1,2]\r\n${records[5]}`);
  await fs.writeFile(path.join(dir, 'c.jsonl'), '');
  await fs.writeFile(path.join(dir, 'd.jsonl.gz'), gzipSync(`${recordLines(60, 13).join('\n')}\n{bad\n${records[7]}\n`));
}

async function sameFiles(expectedDir: string, actualDir: string): Promise<string[]> {
  const files = (await listFiles(expectedDir)).filter((file) => !file.startsWith('ranks/'));
  expect((await listFiles(actualDir)).filter((file) => !file.startsWith('ranks/'))).toEqual(files);
  const differ: string[] = [];
  for (const file of files) {
    if (file === 'manifest.json' || file === 'stats.json') continue;
    const [a, b] = await Promise.all([fs.readFile(path.join(expectedDir, file)), fs.readFile(path.join(actualDir, file))]);
    if (!a.equals(b)) differ.push(file);
  }
  return differ;
}

/** manifest.json without what differs between two runs (created_at, stats.json's bytes). */
async function manifestCore(dir: string): Promise<unknown> {
  const manifest = await readJson(path.join(dir, 'manifest.json'));
  return { ...manifest, created_at: null, outputs: manifest.outputs.filter((output: { path: string }) => output.path !== 'stats.json') };
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-merge-'));
  await writeCorpus(path.join(root, 'in'));
  const single = await runCli(['export', 'in', '--out', 'single/out', '-q', ...OPTIONS], undefined, { cwd: root });
  expect(single.code).toBe(0);
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

test('3 parallel ranks, one killed mid-share and rerun, merged: the single export, byte for byte', async () => {
  const out = 'multi/out';
  const rank1 = path.join(root, out, 'ranks/rank-00001');
  // Rank 1 from Slurm's variables (--array=4-6), stopped at its first checkpoint mid-share, then SIGKILLed.
  const slurm = { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '4', SLURM_ARRAY_TASK_COUNT: '3' };
  const killed = cli(['export', 'in', '--out', out, ...OPTIONS, '--checkpoint-bytes', '65536'], { ...slurm, QA_HF_PAUSE_AT: 'rank-checkpoint' });
  const others = [0, 2].map((rank) => cli(['export', 'in', '--out', out, ...OPTIONS, '--rank', String(rank), '--world-size', '3']).done);
  let checkpoint: { entries_bytes: number; position: { offset: number } } | null = null;
  for (let i = 0; i < 2000 && !(checkpoint && checkpoint.entries_bytes > 0); i++) {
    checkpoint = JSON.parse((await fs.readFile(path.join(rank1, '.qa-hf-rank-checkpoint.json'), 'utf8').catch(() => 'null')) as string);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  process.kill(killed.pid, 'SIGKILL');
  expect((await killed.done).signal).toBe('SIGKILL');
  expect(checkpoint!.entries_bytes).toBeGreaterThan(0);
  await expect(fs.access(path.join(rank1, 'rank.json'))).rejects.toThrow(); // killed before completing
  for (const run of await Promise.all(others)) expect([run.code, run.stderr]).toEqual([0, expect.stringContaining('processed')]);

  // Merging now names the missing rank.
  const early = await cli(['merge', out]).done;
  expect([early.code, early.stderr]).toEqual([1, `qa-hf: ERR_INPUT: rank 1 of 3 is not complete in ${out}/ranks (no rank.json): run it, then merge again\n`]);

  // A byte of the share read before the checkpoint, edited in place: the resume refuses (the rank would vouch for bytes it never read).
  const last = JSON.parse(await fs.readFile(path.join(rank1, '.qa-hf-rank-checkpoint.json'), 'utf8')) as { planned: Array<{ input: number; start: number }>; position: { range: number; offset: number } };
  const reading = last.planned[last.position.range];
  const input = path.join(root, 'in', ['a.jsonl', 'b.jsonl', 'c.jsonl', 'd.jsonl.gz'][reading.input]);
  const original = await fs.readFile(input);
  const edited = Buffer.from(original);
  edited[reading.start + 9] ^= 0x01;
  await fs.writeFile(input, edited);
  const refused = await cli(['export', 'in', '--out', out, ...OPTIONS, '--checkpoint-bytes', '65536', '-q'], slurm).done;
  const name = path.relative(root, input);
  expect([refused.code, refused.stderr]).toEqual([1, `qa-hf: ERR_CHECKPOINT_MISMATCH: cannot resume the interrupted rank in ${out}/ranks/rank-00001: bytes ${reading.start}–${last.position.offset} of ${name}, read by the interrupted rank, changed; run with --restart to start it over\n`]);
  await fs.writeFile(input, original);

  const rerun = await cli(['export', 'in', '--out', out, ...OPTIONS, '--checkpoint-bytes', '65536'], slurm).done;
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toContain('rank 1 of 3 (from SLURM_ARRAY_TASK_ID=5 − SLURM_ARRAY_TASK_MIN=4): writing');
  expect(rerun.stderr).toContain('resuming the interrupted rank at in/a.jsonl byte ');
  const marker = await readJson(path.join(rank1, 'rank.json'));
  expect([marker.rank, marker.world_size, marker.source]).toEqual([1, 3, 'slurm']);
  // The big file is cut across all three ranks.
  const ranks = await Promise.all([0, 1, 2].map((rank) => readJson(path.join(root, out, `ranks/rank-0000${rank}/rank.json`))));
  expect(ranks.map((rank) => rank.ranges.some((range: { input: number }) => range.input === 0))).toEqual([true, true, true]);

  // The resumed rank's intermediate equals an uninterrupted run's.
  expect((await cli(['export', 'in', '--out', 'ref/out', ...OPTIONS, '--rank', '1', '--world-size', '3', '-q']).done).code).toBe(0);
  const entries = (dir: string) => fs.readFile(path.join(root, dir, 'ranks/rank-00001/entries.jsonl'));
  expect((await entries(out)).equals(await entries('ref/out'))).toBe(true);

  // A rerun of a complete rank does nothing and says so.
  const before = await fs.stat(path.join(root, out, 'ranks/rank-00000/entries.jsonl'));
  const again = await cli(['export', 'in', '--out', out, ...OPTIONS, '--rank', '0', '--world-size', '3']).done;
  expect([again.code, again.stderr]).toEqual([0, `qa-hf: rank 0 of 3 (from --rank 0 --world-size 3): already complete in ${out}/ranks/rank-00000; nothing to do\n`]);
  expect((await fs.stat(path.join(root, out, 'ranks/rank-00000/entries.jsonl'))).mtimeMs).toBe(before.mtimeMs);

  // The merge, killed at a checkpoint inside an input, then run again (from another working directory).
  expect(await runCliKilledAtCheckpoint(['merge', path.join(root, out), '-q'], path.join(root, out), true)).toBe('SIGKILL');
  const merged = await runCli(['merge', path.join(root, out)]);
  expect(merged.code).toBe(0);
  expect(merged.stderr).toContain('resuming the interrupted export');
  const single = path.join(root, 'single/out');
  const multi = path.join(root, out);
  expect(await sameFiles(single, multi)).toEqual([]);
  expect(await statsWithoutRun(multi)).toEqual(await statsWithoutRun(single));
  expect(await manifestCore(multi)).toEqual(await manifestCore(single));
  const errors = (await fs.readFile(path.join(multi, 'qa_errors.jsonl'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line));
  expect(errors.length).toBeGreaterThan(60);
  expect(errors.some((error) => error.file === 'in/a.jsonl' && error.line > 2000)).toBe(true); // numbered in the whole file, not in a rank's range
  // The corpus has what the comparison is about: blank lines, and duplicates decided across ranks.
  const stats = await readJson(path.join(multi, 'stats.json'));
  expect(stats.counts.blank).toBeGreaterThan(30);
  expect(stats.quality.duplicates.exact.records).toBeGreaterThan(30);
  for (const split of ['train', 'test']) {
    const rows = (dir: string) => query(`SELECT * FROM read_parquet('${dir}/parquet/${split}-*.parquet')`);
    const [a, b] = await Promise.all([rows(single), rows(multi)]);
    expect(a.length).toBeGreaterThan(100);
    expect(b).toEqual(a);
  }
  const verify = await runCli(['verify', multi]);
  expect([verify.code, verify.stderr]).toEqual([0, `qa-hf: ${multi}: every file matches manifest.json\n`]);
});

test('--target-samples with ranks: the merge keeps the global N, as a single export does', async () => {
  const SAMPLE = ['--format', 'jsonl', '--split', 'train=0.8,test=0.2', '--dedup', 'exact', '--target-samples', '500'];
  expect((await runCli(['export', 'in', '--out', 'sample-single/out', '-q', ...SAMPLE], undefined, { cwd: root })).code).toBe(0);
  // Two ranks: each holds a part of the sample, the merge keeps the global 500.
  const ranks = await Promise.all([0, 1].map((rank) => cli(['export', 'in', '--out', 'sample-multi/out', '-q', ...SAMPLE, '--rank', String(rank), '--world-size', '2']).done));
  for (const run of ranks) expect([run.code, run.stderr]).toEqual([0, '']);
  const merged = await runCli(['merge', path.join(root, 'sample-multi/out'), '-q']);
  expect([merged.code, merged.stderr]).toEqual([0, '']);
  const single = path.join(root, 'sample-single/out');
  const multi = path.join(root, 'sample-multi/out');
  expect(await sameFiles(single, multi)).toEqual([]);
  expect(await statsWithoutRun(multi)).toEqual(await statsWithoutRun(single));
  const stats = await readJson(path.join(multi, 'stats.json'));
  // 500 of the passed pairs kept over all ranks, the rest counted, not written.
  expect(stats.sample.kept).toBe(500);
  expect(stats.counts.not_sampled).toBeGreaterThan(1000);
  const written = (await Promise.all((await listFiles(multi)).filter((file) => file.startsWith('jsonl/')).map((file) => fs.readFile(path.join(multi, file), 'utf8')))).join('').split('\n').filter(Boolean);
  expect(written.length).toBe(500);
});

test('ranks with --version: --merge in each rank (or qa-hf merge OUT/v1.0.0) writes OUT/v1.0.0, the single versioned export; a second merge is refused', async () => {
  const version = ['--version', '1.0.0', ...OPTIONS];
  // A small corpus of its own: the version folders and --merge are the point here, the byte identity over the dirty corpus is the first test's.
  await fs.mkdir(path.join(root, 'vin'));
  await fs.writeFile(path.join(root, 'vin/a.jsonl'), `${recordLines(300, 41).join('\n')}\n{broken\n`);
  expect((await runCli(['export', 'vin', '--out', 'vsingle/out', '-q', ...version], undefined, { cwd: root })).code).toBe(0);
  const runs = [];
  for (const rank of [0, 1]) runs.push(await cli(['export', 'vin', '--out', 'vmulti/out', ...version, '--rank', String(rank), '--world-size', '2', '--merge']).done);
  expect(runs.map((run) => run.code)).toEqual([0, 0]);
  expect(runs[0].stderr).toContain('qa-hf: --merge: rank 1 not complete yet; the last rank to finish merges (or run qa-hf merge vmulti/out/v1.0.0)\n');
  expect(runs[1].stderr).toContain('qa-hf: merging 2 ranks of vmulti/out/v1.0.0\n');
  expect((await fs.readdir(path.join(root, 'vmulti/out'))).sort()).toEqual(['v1.0.0']);
  const single = path.join(root, 'vsingle/out/v1.0.0');
  const multi = path.join(root, 'vmulti/out/v1.0.0');
  expect(await sameFiles(single, multi)).toEqual([]);
  expect(await manifestCore(multi)).toEqual(await manifestCore(single));
  const again = await cli(['merge', 'vmulti/out/v1.0.0']).done;
  expect([again.code, again.stderr.split('\n').slice(-2)]).toEqual([2, ['qa-hf: ERR_USAGE: version 1.0.0 is already complete in vmulti/out/v1.0.0 (its manifest.json): a finished version is never overwritten; choose another --version', '']]);
});

test('a merge run from another working directory than the ranks (no process.chdir): the bytes of a merge in theirs; an input grown after the ranks ran: the merge refuses (one line, exit 1, nothing written) instead of hashing lines no output holds', async () => {
  await fs.mkdir(path.join(root, 'elsewhere/in'), { recursive: true });
  const lines = recordLines(300, 31);
  await fs.writeFile(path.join(root, 'elsewhere/in/a.jsonl'), `${lines.join('\n')}\n{broken\n${lines[3]}\n`);
  await fs.writeFile(path.join(root, 'elsewhere/in/b.jsonl.gz'), gzipSync(`${recordLines(30, 32).join('\n')}\n[1]\n`));
  // The same ranks (copies: their inputs named relative to their --out, all at the same depth) merged in their working
  // directory (root), and from the repository's (runCli's default); the card and report name the folder, so both are `…/out`.
  for (const rank of [0, 1]) expect((await cli(['export', 'elsewhere/in', '--out', 'elsewhere/here/out', ...OPTIONS, '--rank', String(rank), '--world-size', '2', '-q']).done).code).toBe(0);
  for (const copy of ['there', 'grown']) await fs.cp(path.join(root, 'elsewhere/here/out'), path.join(root, `elsewhere/${copy}/out`), { recursive: true });
  const here = await cli(['merge', 'elsewhere/here/out', '-q']).done;
  const there = await runCli(['merge', path.join(root, 'elsewhere/there/out'), '-q']);
  expect([here.code, there.code, there.stderr]).toEqual([0, 0, '']);
  const [a, b] = [path.join(root, 'elsewhere/here/out'), path.join(root, 'elsewhere/there/out')];
  expect(await sameFiles(a, b)).toEqual([]);
  expect(await statsWithoutRun(b)).toEqual(await statsWithoutRun(a));
  expect(await manifestCore(b)).toEqual(await manifestCore(a));
  const manifest = await readJson(path.join(b, 'manifest.json'));
  expect(manifest.inputs.map((input: { path: string }) => input.path)).toEqual(['../../in/a.jsonl', '../../in/b.jsonl.gz']);
  const errors = (await fs.readFile(path.join(b, 'qa_errors.jsonl'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line).file);
  expect(new Set(errors)).toEqual(new Set(['elsewhere/in/a.jsonl', 'elsewhere/in/b.jsonl.gz']));

  // An input grown after the ranks ran: the third copy's merge refuses.
  await fs.appendFile(path.join(root, 'elsewhere/in/a.jsonl'), `${lines[0]}\n`);
  const grown = await cli(['merge', 'elsewhere/grown/out']).done;
  expect([grown.code, grown.stderr]).toEqual([1, 'qa-hf: ERR_CHECKPOINT_MISMATCH: the inputs changed since the ranks of elsewhere/grown/out ran (a name or a size differs): rerun every rank with --restart, then merge\n']);
  expect(await fs.readdir(path.join(root, 'elsewhere/grown/out'))).toEqual(['ranks']);
});
