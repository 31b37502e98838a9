/**
 * qa-hf export in the Hub layout, killed and resumed, in child processes: SIGKILL at random
 * moments, then resume, gives byte-identical files for a multi-format, split run with gzip
 * and with zstd (gzip members and zstd frames end at checkpoints); a resume with another hub
 * option is refused. (Split from test/hub-export.test.ts so the two jest workers share the
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

// gzip members and zstd frames (and zstd-coded Parquet) end at checkpoints: a resume appends the same bytes.
describe.each(['gzip', 'zstd'])('resume, --compress %s', (codec) => {
  const KILL_ARGS = ['--format', ALL_FORMATS, '--split', SPLIT, '--compress', codec, '--max-shard-size', '150KB', '--min-score', '0.2', '--checkpoint-lines', '250'];
  let kcorpus: string;
  let reference: { out: string; ms: number; files: Map<string, Buffer> };

  async function snapshotFiles(out: string): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    for (const name of await listFiles(out)) if (name !== 'manifest.json' && name !== 'stats.json') files.set(name, await fs.readFile(path.join(out, name)));
    return files;
  }

  beforeAll(async () => {
    kcorpus = path.join(dir, `kill-input-${codec}`);
    await fs.mkdir(kcorpus);
    // 1 500 records: several 150KB shards per format and checkpoints inside both files (every 250
    // lines); a kill loop's cost is its runs' time until the kill, so it grows with the corpus.
    const lines = corpusLines(1500, 11);
    await fs.writeFile(path.join(kcorpus, 'a.jsonl'), `${lines.slice(0, 900).join('\n')}\n`);
    await fs.writeFile(path.join(kcorpus, 'b.jsonl'), `${lines.slice(900).join('\n')}\n`);
    const out = path.join(dir, `kill-reference-${codec}`, 'dataset');
    const started = Date.now();
    const result = await runCli(['export', kcorpus, '--out', out, ...KILL_ARGS]);
    expect(result.code).toBe(0);
    reference = { out, ms: Date.now() - started, files: await snapshotFiles(out) };
  });

  test('SIGKILL at random moments, then resume: every file byte-identical, verify passes', async () => {
    const out = path.join(dir, `killed-${codec}`, 'dataset');
    const random = seeded(20261123);
    // Three kills at random moments per codec prove the point (a member or frame cut by a kill is
    // rewritten whole), with at least one after a checkpoint inside a file; the kill at each
    // checkpoint kind is test/export.test.ts's and the resume suites'.
    const kills = Number(process.env.QA_HF_KILLS ?? 3);
    const extension = codec === 'gzip' ? '.gz' : '.zst';
    expect([...reference.files.keys()].filter((name) => /^(jsonl|csv|messages)\//.test(name)).every((name) => name.endsWith(extension))).toBe(true);
    let killedMidRun = 0;
    let resumedMidFile = 0;
    for (let attempt = 0; (killedMidRun < kills || resumedMidFile === 0) && attempt < kills * 4; attempt++) {
      const exitCode = await runCliKilledAfter(['export', kcorpus, '--out', out, ...KILL_ARGS], 30 + Math.floor(random() * reference.ms));
      if (exitCode === 0) {
        expect(await snapshotFiles(out)).toEqual(reference.files);
        continue;
      }
      expect(exitCode).toBeNull();
      killedMidRun++;
      const checkpoint = await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8').catch(() => null);
      if (checkpoint && JSON.parse(checkpoint).position.offset > 0) resumedMidFile++;
      // A reader never sees a partial file under a final name.
      for (const name of await listFiles(out).catch(() => [] as string[])) {
        if (name.split('/').some((part) => part.startsWith('.')) || name === 'manifest.json' || name === 'stats.json') continue;
        expect([name, (await fs.readFile(path.join(out, name))).equals(reference.files.get(name)!)]).toEqual([name, true]);
      }
    }
    expect(killedMidRun).toBeGreaterThanOrEqual(kills);
    expect(resumedMidFile).toBeGreaterThanOrEqual(1);
    const last = await runCli(['export', kcorpus, '--out', out, ...KILL_ARGS]);
    expect(last.code).toBe(0);
    const files = await snapshotFiles(out);
    expect([...files.keys()]).toEqual([...reference.files.keys()]);
    for (const [name, bytes] of files) expect([name, bytes.equals(reference.files.get(name)!)]).toEqual([name, true]);
    expect(await statsWithoutRun(out)).toEqual(await statsWithoutRun(reference.out));
    // manifest.json: the same outputs (stats.json differs in `run` only, checked above).
    const outputs = async (root: string) => (await readJson(path.join(root, 'manifest.json'))).outputs.filter((o: { path: string }) => o.path !== 'stats.json');
    expect(await outputs(out)).toEqual(await outputs(reference.out));
    expect((await runCli(['verify', out])).code).toBe(0);
  }, 300_000); // bounded kills; ~25 s alone, slower when the other suites share the 2 cores

  // Once, with zstd's own option: that every option of the output's identity changes the options
  // hash is test/option-table.test.ts's (in-process), that a changed hash is refused test/export.test.ts's.
  if (codec === 'zstd') test('a resume with another hub option (--compress-level) is refused, naming --restart; --restart writes the bytes of an uninterrupted run', async () => {
    const out = path.join(dir, `changed-${codec}`, 'dataset');
    await runCliKilledAtCheckpoint(['export', kcorpus, '--out', out, ...KILL_ARGS], out);
    const changed = [...KILL_ARGS, '--compress-level', '4'];
    const refused = await runCli(['export', kcorpus, '--out', out, ...changed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_CHECKPOINT_MISMATCH: .*the options differ from the interrupted run; run again with --restart/);
    const restarted = await runCli(['export', kcorpus, '--out', out, ...KILL_ARGS, '--restart']);
    expect(restarted.code).toBe(0);
    expect(await snapshotFiles(out)).toEqual(reference.files);
  });
});
