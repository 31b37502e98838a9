/**
 * Ranks at the CLI: the rank read from each scheduler's variables and recorded;
 * bad ranks are one usage line (exit 2); the merge refuses a missing rank, ranks of
 * other options and a folder without ranks (one line, exit 1); the simple layout
 * merged equals a single export, also with more ranks than a small corpus has lines.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnCliWithoutScheduler, listFiles, readJson, recordLines, runCli, statsWithoutRun } from './helpers';

let root: string;

/** The CLI in `root`, with no scheduler variables but those given. */
function cli(args: string[], env: Record<string, string> = {}) {
  return spawnCliWithoutScheduler(root, args, env).done;
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-rank-cli-'));
  await fs.mkdir(path.join(root, 'in'));
  const lines = recordLines(300, 5);
  lines.splice(10, 0, '', '{oops', '{"question":"x"}');
  await fs.writeFile(path.join(root, 'in/a.jsonl'), `${lines.join('\n')}\n`);
  await fs.writeFile(path.join(root, 'tiny.jsonl'), `${recordLines(2, 6).join('\n')}\n`);
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

// Each scheduler's variables and each bad rank are resolveRank's, tested in-process (test/rank.test.ts);
// here one of each goes through the CLI: printed, recorded, one usage line.
describe('the rank from the scheduler', () => {
  test.each([
    ['slurm', { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '2', SLURM_ARRAY_TASK_COUNT: '2' }, [], 1, 'SLURM_ARRAY_TASK_ID=3 − SLURM_ARRAY_TASK_MIN=2'],
  ])('%s: printed and recorded in rank.json', async (source, env, flags, rank, from) => {
    const out = `env-${source}`;
    const run = await cli(['export', 'in', '--out', out, ...flags], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`qa-hf: rank ${rank} of 2 (from ${from}): writing ${out}/ranks/rank-0000${rank}\n`);
    const marker = await readJson(path.join(root, out, `ranks/rank-0000${rank}/rank.json`));
    expect([marker.rank, marker.world_size, marker.source, marker.from]).toEqual([rank, 2, source, from]);
  });

  test('a dry run inside a job array task is no rank: it counts the whole export, writes nothing', async () => {
    const run = await cli(['export', 'in', '--out', 'dry', '--dry-run'], { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('rank');
    expect(await listFiles(path.join(root, 'dry')).catch(() => [])).toEqual([]);
  });

  test.each([
    ['an Indexed Job without --world-size', [], { JOB_COMPLETION_INDEX: '0' }, "qa-hf: ERR_USAGE: JOB_COMPLETION_INDEX=0 (a Kubernetes Indexed Job) needs --world-size N, the Job's completions\n"],
    ['--dry-run with --rank', ['--rank', '0', '--world-size', '2', '--dry-run'], {}, 'qa-hf: ERR_USAGE: --dry-run cannot run as a rank (rank 0 from --rank 0 --world-size 2): run it without ranks\n'],
    ['--fail-fast in a rank', ['--rank', '0', '--world-size', '2', '--fail-fast'], {}, 'qa-hf: ERR_USAGE: --fail-fast cannot be used by a rank (rank 0 of 2 (from --rank 0 --world-size 2)): run the ranks without it and read qa_errors.jsonl after the merge\n'],
  ])('%s: one line, exit 2, nothing written', async (_name, flags, env, message) => {
    const run = await cli(['export', 'in', '--out', 'bad', ...flags], env);
    expect([run.code, run.stderr]).toEqual([2, message]);
    expect(await listFiles(path.join(root, 'bad')).catch(() => [])).toEqual([]);
  });
});

describe('merge', () => {
  test('refuses a folder without ranks, a missing rank and a rank of other options; merges once they agree', async () => {
    const none = await cli(['merge', 'in']);
    expect([none.code, none.stderr]).toEqual([1, 'qa-hf: ERR_INPUT: no ranks folder in in: run the ranks first (qa-hf export … --out in --rank R --world-size N)\n']);
    for (const rank of [0, 2]) expect((await cli(['export', 'in', '--out', 'm/out', '--rank', String(rank), '--world-size', '3', '-q'])).code).toBe(0);
    const missing = await cli(['merge', 'm/out']);
    expect([missing.code, missing.stderr]).toEqual([1, 'qa-hf: ERR_INPUT: rank 1 of 3 is not complete in m/out/ranks (no rank.json): run it, then merge again\n']);
    expect((await cli(['export', 'in', '--out', 'm/out', '--rank', '1', '--world-size', '3', '--max-line-bytes', '5MiB', '-q'])).code).toBe(0);
    const mismatched = await cli(['merge', 'm/out']);
    expect([mismatched.code, mismatched.stderr]).toEqual([
      1,
      'qa-hf: ERR_INPUT: ranks in m/out/ranks do not belong to one export: rank 1 (other options), against rank 0; rerun those ranks with the same command and --restart\n',
    ]);
    expect(await listFiles(path.join(root, 'm/out'))).toEqual(expect.not.arrayContaining(['manifest.json']));
    // A rerun with other options than the completed rank's is refused, --restart redoes it.
    const other = await cli(['export', 'in', '--out', 'm/out', '--rank', '1', '--world-size', '3', '-q']);
    expect([other.code, other.stderr]).toEqual([1, 'qa-hf: ERR_CHECKPOINT_MISMATCH: m/out/ranks/rank-00001 holds a rank completed with other options, inputs or tool version; run with --restart to redo it\n']);
    expect((await cli(['export', 'in', '--out', 'm/out', '--rank', '1', '--world-size', '3', '--restart', '-q'])).code).toBe(0);
    expect((await cli(['merge', 'm/out', '-q'])).code).toBe(0);
    expect((await cli(['export', 'in', '--out', 's/out', '-q'])).code).toBe(0);
    await expectSameExport('s/out', 'm/out');
  });

  test('more ranks than lines: the empty ranks are complete too, the merge equals a single export', async () => {
    const runs = await Promise.all([0, 1, 2, 3].map((rank) => cli(['export', 'tiny.jsonl', '--out', 'tm/out', '--rank', String(rank), '--world-size', '4', '-q'])));
    expect(runs.map((run) => run.code)).toEqual([0, 0, 0, 0]);
    const ranges = await Promise.all([0, 1, 2, 3].map(async (rank) => (await readJson(path.join(root, `tm/out/ranks/rank-0000${rank}/rank.json`))).ranges.length));
    expect(ranges.filter((n) => n === 0).length).toBe(2); // two lines: two ranks have nothing
    expect((await cli(['merge', 'tm/out', '-q'])).code).toBe(0);
    expect((await cli(['export', 'tiny.jsonl', '--out', 'ts/out', '-q'])).code).toBe(0);
    await expectSameExport('ts/out', 'tm/out');
    expect((await cli(['verify', 'tm/out', '-q'])).code).toBe(0);
  });
});

test('--merge: a rank merges once every rank is complete, the others say which are missing', async () => {
  const first = await cli(['export', 'tiny.jsonl', '--out', 'gm/out', '--rank', '0', '--world-size', '2', '--merge']);
  expect(first.code).toBe(0);
  expect(first.stderr).toContain('qa-hf: --merge: rank 1 not complete yet; the last rank to finish merges (or run qa-hf merge gm/out)\n');
  await expect(fs.access(path.join(root, 'gm/out/manifest.json'))).rejects.toThrow();
  const last = await cli(['export', 'tiny.jsonl', '--out', 'gm/out', '--rank', '1', '--world-size', '2', '--merge']);
  expect(last.code).toBe(0);
  expect(last.stderr).toContain('qa-hf: merging 2 ranks of gm/out\n');
  expect((await cli(['verify', 'gm/out', '-q'])).code).toBe(0);
  const single = await cli(['export', 'tiny.jsonl', '--out', 'gm/single', '--merge']);
  expect([single.code, single.stderr]).toEqual([2, 'qa-hf: ERR_USAGE: --merge is for a rank (--rank R --world-size N, or a scheduler index): a single export needs no merge\n']);
});

async function expectSameExport(single: string, merged: string): Promise<void> {
  const files = await listFiles(path.join(root, single));
  expect((await listFiles(path.join(root, merged))).filter((file) => !file.startsWith('ranks/'))).toEqual(files);
  expect(files).toEqual(expect.arrayContaining(['qa_pairs.jsonl', 'qa_rejected.jsonl', 'qa_errors.jsonl']));
  for (const file of files.filter((name) => name !== 'manifest.json' && name !== 'stats.json')) {
    const [a, b] = await Promise.all([fs.readFile(path.join(root, single, file)), fs.readFile(path.join(root, merged, file))]);
    expect([file, a.equals(b)]).toEqual([file, true]);
  }
  expect(await statsWithoutRun(path.join(root, merged))).toEqual(await statsWithoutRun(path.join(root, single)));
}

test('merge --help names the export command as typed (no literal $0)', async () => {
  const help = await runCli(['merge', '--help']);
  expect(help.code).toBe(0);
  expect(help.stdout.toString('utf8')).toContain('after every rank of `qa-hf export qa/ --out dist/ --rank R --world-size N` is');
  expect(help.stdout.toString('utf8')).not.toContain('`$0');
});

describe('a damaged rank', () => {
  // Two complete ranks of tiny.jsonl, run once: one copy for each test's damage.
  beforeAll(async () => {
    for (const rank of [0, 1]) expect((await cli(['export', 'tiny.jsonl', '--out', 'damaged', '--rank', String(rank), '--world-size', '2', '-q'])).code).toBe(0);
    await fs.cp(path.join(root, 'damaged'), path.join(root, 'tampered'), { recursive: true });
  });

test('a damaged rank.json is named as such by the merge, not reported as a missing rank', async () => {
  const marker = path.join(root, 'damaged/ranks/rank-00001/rank.json');
  await fs.writeFile(marker, '{"format":"qa-hf-ra');
  const merged = await cli(['merge', 'damaged']);
  expect([merged.code, merged.stderr]).toEqual([1, `qa-hf: ERR_INPUT: ${path.join('damaged/ranks/rank-00001/rank.json')} is not this rank's completion marker (damaged or from another rank): rerun that rank with --restart, then merge\n`]);
  expect(await fs.readdir(path.join(root, 'damaged'))).toEqual(['ranks']);
});

test('a changed byte in a rank\'s entries.jsonl is refused by the merge (its sha256 is in rank.json), not merged into the outputs', async () => {
  // Rank 0's: tiny.jsonl's two lines are both in its share.
  const entries = path.join(root, 'tampered/ranks/rank-00000/entries.jsonl');
  const bytes = await fs.readFile(entries);
  const at = bytes.indexOf('"answer":"') + 12; // a letter of an answer
  expect(at).toBeGreaterThan(12);
  bytes[at] = bytes[at] === 0x61 ? 0x62 : 0x61;
  await fs.writeFile(entries, bytes);
  const merged = await cli(['merge', 'tampered']);
  expect([merged.code, merged.stderr]).toEqual([1, `qa-hf: ERR_INPUT: ${path.join('tampered/ranks/rank-00000/entries.jsonl')} differs from its rank.json (sha256): rerun rank 0 with --restart, then merge\n`]);
  expect(await fs.readdir(path.join(root, 'tampered'))).toEqual(['ranks']);
  // Rerun with --restart, the merge goes through.
  expect((await cli(['export', 'tiny.jsonl', '--out', 'tampered', '--rank', '0', '--world-size', '2', '-q', '--restart'])).code).toBe(0);
  expect((await cli(['merge', 'tampered', '-q'])).code).toBe(0);
});
});
