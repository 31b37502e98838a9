/**
 * qa-hf export in the Hub layout, killed and resumed, in child processes: SIGKILL at a
 * checkpoint inside a file and at random moments, then resume, gives byte-identical files for a
 * multi-format, split run with gzip and with zstd (gzip members and zstd frames end at
 * checkpoints); a resume with another hub option is refused, and --restart writes the bytes of
 * an uninterrupted run. (Split from test/hub-export.test.ts so the two jest workers share the
 * Hub layout's time.)
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listFiles, readJson, runCli, runCliKilledAfter, runCliKilledAtCheckpoint, seeded, statsWithoutRun } from './helpers';
import { ALL_FORMATS, SPLIT, corpusLines } from './hub-corpus';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-hub-resume-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function snapshotFiles(out: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await listFiles(out)) if (name !== 'manifest.json' && name !== 'stats.json') files.set(name, await fs.readFile(path.join(out, name)));
  return files;
}

// gzip members and zstd frames (and zstd-coded Parquet) end at checkpoints: a resume appends the same bytes.
describe.each(['gzip', 'zstd'])('resume, --compress %s', (codec) => {
  // 40KB shards: three train shards per text format; a checkpoint every 100 lines: three inside a.jsonl.
  const KILL_ARGS = ['--format', ALL_FORMATS, '--split', SPLIT, '--compress', codec, '--max-shard-size', '40KB', '--min-score', '0.2', '--checkpoint-lines', '100'];
  let kcorpus: string;
  let reference: { out: string; ms: number; files: Map<string, Buffer> };

  beforeAll(async () => {
    kcorpus = path.join(dir, `kill-input-${codec}`);
    await fs.mkdir(kcorpus);
    // 600 records (626 lines with the copies and bad lines): shards that roll over and checkpoints
    // inside both files; a run's cost (and a kill loop's) grows with the corpus.
    const lines = corpusLines(600, 11);
    await fs.writeFile(path.join(kcorpus, 'a.jsonl'), `${lines.slice(0, 375).join('\n')}\n`);
    await fs.writeFile(path.join(kcorpus, 'b.jsonl'), `${lines.slice(375).join('\n')}\n`);
    const out = path.join(dir, `kill-reference-${codec}`, 'dataset');
    const started = Date.now();
    const result = await runCli(['export', kcorpus, '--out', out, ...KILL_ARGS]);
    expect(result.code).toBe(0);
    reference = { out, ms: Date.now() - started, files: await snapshotFiles(out) };
  });

  /** A reader never sees a partial file under a final name: every visible data file is the reference's. */
  async function expectOnlyFinishedFiles(out: string): Promise<void> {
    for (const name of await listFiles(out).catch(() => [] as string[])) {
      if (name.split('/').some((part) => part.startsWith('.')) || name === 'manifest.json' || name === 'stats.json') continue;
      expect([name, (await fs.readFile(path.join(out, name))).equals(reference.files.get(name)!)]).toEqual([name, true]);
    }
  }

  test(`SIGKILL at a checkpoint inside a file${codec === 'gzip' ? ', then at random moments' : ''}, then resume: every file byte-identical${codec === 'zstd' ? ', verify passes; a resume with another hub option (--compress-level) is refused, naming --restart; --restart writes the bytes of an uninterrupted run' : ''}`, async () => {
    const extension = codec === 'gzip' ? '.gz' : '.zst';
    expect([...reference.files.keys()].filter((name) => /^(jsonl|csv|messages)\//.test(name)).every((name) => name.endsWith(extension))).toBe(true);
    expect([...reference.files.keys()].filter((name) => name.startsWith('jsonl/train-')).length).toBeGreaterThan(1);
    const out = path.join(dir, `killed-${codec}`, 'dataset');
    const args = ['export', kcorpus, '--out', out, ...KILL_ARGS];
    // First a kill once a checkpoint records a position inside an input (a member or frame open mid-file).
    expect(await runCliKilledAtCheckpoint(args, out, true)).toBe('SIGKILL');
    expect((await readJson(path.join(out, '.qa-hf-checkpoint.json'))).position.offset).toBeGreaterThan(0);
    await expectOnlyFinishedFiles(out);

    // Once, with zstd's own option: that every option of the output's identity changes the options
    // hash is test/option-table.test.ts's (in-process), that a changed hash is refused test/export.test.ts's.
    // The refused run leaves the interrupted state as it was: the resumes below go on from it.
    if (codec === 'zstd') {
      const restartOut = path.join(dir, `restarted-${codec}`, 'dataset');
      await fs.cp(path.dirname(out), path.dirname(restartOut), { recursive: true });
      const refused = await runCli([...args, '--compress-level', '4']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/ERR_CHECKPOINT_MISMATCH: .*the options differ from the interrupted run; run again with --restart/);
      // The same interrupted state, copied before the refused run: --restart starts over.
      const restarted = await runCli(['export', kcorpus, '--out', restartOut, ...KILL_ARGS, '--restart']);
      expect(restarted.code).toBe(0);
      expect(await snapshotFiles(restartOut)).toEqual(reference.files);
    }

    // Then, with gzip, two kills at random moments of the resumed runs (a member cut by a kill is rewritten
    // whole). The codecs share that loop: a resume cuts every file back to its checkpointed length whatever
    // its codec, and each codec's resume from a checkpoint inside a file is the kill above; the kill at each
    // checkpoint kind is test/export.test.ts's and the resume suites'.
    const random = seeded(20261123);
    const kills = codec === 'gzip' ? Number(process.env.QA_HF_KILLS ?? 2) : 0;
    let killedMidRun = 0;
    for (let attempt = 0; killedMidRun < kills && attempt < kills * 4; attempt++) {
      // Within the first 60 % of an uninterrupted run's time: a resumed run has less to do, a later kill would miss it.
      const exitCode = await runCliKilledAfter(args, 30 + Math.floor(random() * reference.ms * 0.6));
      if (exitCode === 0) {
        expect(await snapshotFiles(out)).toEqual(reference.files);
        continue;
      }
      expect(exitCode).toBeNull();
      killedMidRun++;
      await expectOnlyFinishedFiles(out);
    }
    expect(killedMidRun).toBeGreaterThanOrEqual(kills);
    const last = await runCli(args);
    expect(last.code).toBe(0);
    const files = await snapshotFiles(out);
    expect([...files.keys()]).toEqual([...reference.files.keys()]);
    for (const [name, bytes] of files) expect([name, bytes.equals(reference.files.get(name)!)]).toEqual([name, true]);
    expect(await statsWithoutRun(out)).toEqual(await statsWithoutRun(reference.out));
    // manifest.json: the same outputs (stats.json differs in `run` only, checked above).
    const outputs = async (root: string) => (await readJson(path.join(root, 'manifest.json'))).outputs.filter((o: { path: string }) => o.path !== 'stats.json');
    expect(await outputs(out)).toEqual(await outputs(reference.out));
    // The outputs' sha256 and sizes are the reference's (above): verify once, with zstd.
    if (codec === 'zstd') expect((await runCli(['verify', out])).code).toBe(0);
  }, 300_000); // bounded kills; slower when the other suites share the 2 cores
});
