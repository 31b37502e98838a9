/**
 * qa-hf export and verify, end to end in child processes: layout, atomicity,
 * resume after SIGKILL at a checkpoint and at random moments, a kill at each step of
 * the final one (one of them while replacing an earlier export), damaged checkpoints,
 * changed inputs, verify after a flipped byte, ENOSPC and EACCES. (SIGINT and SIGTERM:
 * test/signals.test.ts.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateRecords } from '../bench/generate';
import { discoverInputs } from '../lib/io/discover';
import { verifyManifest } from '../lib/io/manifest';
import type { QaHfError } from '../lib/errors';
import { CLI, ROOT, listFiles, procState, runCli, runCliKilledAfter, runCliKilledAtCheckpoint, seeded, statsWithoutRun } from './helpers';

const DATA_FILES = ['qa_pairs.jsonl', 'qa_rejected.jsonl', 'qa_errors.jsonl'];
/** Frequent checkpoints so that kills land between many of them (several inside each input). */
const FAST_CHECKPOINTS = ['--checkpoint-bytes', '65536', '--checkpoint-ms', '20'];

let dir: string;
let corpus: string;

async function writeCorpusFile(file: string, records: number, seed: number): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const lines = [...generateRecords(records, seed, { badLineRate: 0.02 })];
  await fs.writeFile(file, `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-export-'));
  corpus = path.join(dir, 'qa');
  // ~650 kB per file (three 256 KiB reads, a checkpoint every 64 KiB with FAST_CHECKPOINTS): kills land mid-file.
  await writeCorpusFile(path.join(corpus, 'b', 'qa_2.jsonl'), 500, 2);
  await writeCorpusFile(path.join(corpus, 'a', 'qa_1.jsonl'), 500, 1);
  await writeCorpusFile(path.join(corpus, 'c.jsonl'), 500, 3);
  await fs.writeFile(path.join(corpus, 'notes.txt'), 'not an input\n');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function readAll(out: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const name of DATA_FILES) files[name] = await fs.readFile(path.join(out, name));
  return files;
}



async function hidden(out: string): Promise<string[]> {
  return (await fs.readdir(out)).filter((name) => name.startsWith('.'));
}

let reference: { out: string; files: Record<string, Buffer>; ms: number };

describe('qa-hf export', () => {
  beforeAll(async () => {
    const out = path.join(dir, 'reference');
    const started = Date.now();
    const result = await runCli(['export', corpus, '--out', out]);
    expect(result.stderr).toMatch(/wrote /);
    expect(result.code).toBe(0);
    reference = { out, files: await readAll(out), ms: Date.now() - started };
  });

  test('layout: data files, stats.json, the report and manifest.json; nothing hidden left; inputs in sorted path order', async () => {
    expect((await fs.readdir(reference.out)).sort()).toEqual([...DATA_FILES, 'manifest.json', 'report.html', 'report.json', 'stats.json'].sort());
    const manifest = JSON.parse(await fs.readFile(path.join(reference.out, 'manifest.json'), 'utf8'));
    expect(manifest.inputs.map((input: { path: string }) => input.path)).toEqual(['../qa/a/qa_1.jsonl', '../qa/b/qa_2.jsonl', '../qa/c.jsonl']);
    expect(manifest.outputs.map((o: { path: string }) => o.path)).toEqual([...DATA_FILES, 'stats.json', 'report.json', 'report.html']);
    expect(manifest).toMatchObject({ tool: { name: 'qa-hf' }, node: process.version, options: { preset: 'qa-internal' } });
    const stats = JSON.parse(await fs.readFile(path.join(reference.out, 'stats.json'), 'utf8'));
    const c = stats.counts;
    expect(c.lines).toBe(c.pairs + c.rejected + c.errors + c.blank);
    expect(c.lines).toBeGreaterThan(1500);
    expect(c.errors).toBeGreaterThan(0);
    const records = (name: string) => reference.files[name].toString('utf8').split('\n').length - 1;
    expect([records('qa_pairs.jsonl'), records('qa_rejected.jsonl'), records('qa_errors.jsonl')]).toEqual([c.pairs, c.rejected, c.errors]);
    expect(Object.values(stats.records_per_persona).reduce((n: number, v) => n + (v as { pairs: number }).pairs, 0)).toBe(c.pairs);
    const verify = await runCli(['verify', reference.out]);
    expect(verify.code).toBe(0);
  });

  test('the export equals pipe mode over the same files, byte for byte', async () => {
    const files = ['a/qa_1.jsonl', 'b/qa_2.jsonl', 'c.jsonl'].map((f) => path.join(corpus, f));
    const pipe = await runCli([...files, '--quiet']);
    expect(pipe.stdout.equals(reference.files['qa_pairs.jsonl'])).toBe(true);
  });

  test('SIGKILL at a checkpoint inside a file and at random moments, then resume: byte-identical outputs and a passing verify', async () => {
    const out = path.join(dir, 'killed');
    // First a kill once a checkpoint inside a file is recorded (so the resumes below start mid-file),
    // then two kills at random moments prove the point; the kill at each step of the final one is the
    // test below, the kill at each checkpoint kind the hub, worker and resume suites'.
    expect(await runCliKilledAtCheckpoint(['export', corpus, '--out', out, ...FAST_CHECKPOINTS], out, true)).toBe('SIGKILL');
    expect(JSON.parse(await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8')).position.offset).toBeGreaterThan(0);
    for (const name of DATA_FILES) await expect(fs.access(path.join(out, name))).rejects.toThrow();
    const random = seeded(20261122);
    const kills = Number(process.env.QA_HF_KILLS ?? 2);
    let killedMidRun = 0;
    // A run that finishes before its kill must have produced the reference bytes; the next one then starts over.
    for (let attempt = 0; killedMidRun < kills && attempt < kills * 4; attempt++) {
      const exitCode = await runCliKilledAfter(['export', corpus, '--out', out, ...FAST_CHECKPOINTS], 30 + Math.floor(random() * reference.ms));
      if (exitCode === 0) {
        for (const name of DATA_FILES) expect((await fs.readFile(path.join(out, name))).equals(reference.files[name])).toBe(true);
        continue;
      }
      expect(exitCode).toBeNull(); // killed, not failed
      killedMidRun++;
      // A reader never sees a partial file under a final name.
      for (const name of DATA_FILES) {
        const final = await fs.readFile(path.join(out, name)).catch(() => null);
        if (final) expect(final.equals(reference.files[name])).toBe(true);
      }
    }
    expect(killedMidRun).toBeGreaterThanOrEqual(kills);
    const last = await runCli(['export', corpus, '--out', out]);
    expect(last.code).toBe(0);
    const files = await readAll(out);
    for (const name of DATA_FILES) expect(files[name].equals(reference.files[name])).toBe(true);
    expect(await statsWithoutRun(out)).toEqual(await statsWithoutRun(reference.out));
    expect(await hidden(out)).toEqual([]);
    expect(await verifyManifest(out)).toEqual([]); // verify's check, in-process (the CLI's: the layout test)
  });

  /** Every file below `out` (relative path → bytes), hidden ones included. */
  async function tree(out: string): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    for (const name of await listFiles(out)) files.set(name, await fs.readFile(path.join(out, name)));
    return files;
  }

  const HUB = ['--format', 'jsonl,parquet,csv,alpaca', '--split', 'train=0.8,test=0.2', '--compress', 'gzip', '--checkpoint-lines', '2000'];

  /** The final step does not depend on the input's size: two small files (~150 kB) in a folder of their own. */
  let smallCorpus: Promise<string> | undefined;
  function finalStepInput(): Promise<string> {
    smallCorpus ??= (async () => {
      const small = path.join(dir, 'final-input');
      await writeCorpusFile(path.join(small, 'a.jsonl'), 60, 11);
      await writeCorpusFile(path.join(small, 'b.jsonl'), 60, 12);
      return small;
    })();
    return smallCorpus;
  }
  /** One reference export per layout of the small input, shared by its crash points and the damaged checkpoints. */
  const finalReferences: Record<string, Promise<string>> = {};
  function finalReference(layout: 'simple' | 'hub'): Promise<string> {
    finalReferences[layout] ??= (async () => {
      // The card names its folder and stats name inputs relative to it: same name, same depth for every run.
      const referenceOut = path.join(dir, 'final-ref', `final-${layout}`);
      const result = await runCli(['export', await finalStepInput(), '--out', referenceOut, ...(layout === 'hub' ? HUB : [])]);
      expect(result.code).toBe(0);
      return referenceOut;
    })();
    return finalReferences[layout];
  }

  test.each([
    ['simple', 'finalize-start'],
    ['simple', 'after-first-rename'],
    ['simple', 'after-stats'],
    ['simple', 'after-manifest'],
    ['hub', 'after-shard-names'],
    ['hub', 'after-first-rename'],
    ['hub', 'after-manifest'],
  ] as const)('%s layout: a kill during the final step (%s) is finished by the next run, same bytes', async (layout, point) => {
    const extra = layout === 'hub' ? HUB : [];
    const input = await finalStepInput();
    const referenceOut = await finalReference(layout);
    const out = path.join(dir, `final-crash-${point}`, `final-${layout}`);
    // The simple export after its new manifest replaces an earlier Hub export: the rerun also completes the replace.
    const replacing = layout === 'simple' && point === 'after-manifest';
    if (replacing) await fs.cp(await finalReference('hub'), out, { recursive: true });
    const crashed = spawnSync(process.execPath, [CLI, 'export', input, '--out', out, ...extra], {
      env: { ...process.env, QA_HF_CRASH_AT: point },
      encoding: 'utf8',
    });
    expect(crashed.signal).toBe('SIGKILL');
    if (replacing) expect(await listFiles(out)).toEqual(expect.arrayContaining(['README.md', 'jsonl/train-00000-of-00001.jsonl.gz', 'qa_pairs.jsonl', '.qa-hf-checkpoint.json']));
    const rerun = await runCli(['export', input, '--out', out, ...extra]);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(/resuming the interrupted export .* at its final step/);
    // Every file, hidden ones included: nothing of the earlier export or of the run is left.
    const [want, got] = [await tree(referenceOut), await tree(out)];
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [file, bytes] of want) {
      if (file === 'manifest.json' || file === 'stats.json') continue;
      expect([file, got.get(file)!.equals(bytes)]).toEqual([file, true]);
    }
    expect(await statsWithoutRun(out)).toEqual(await statsWithoutRun(referenceOut));
    // verify's check, in-process (lib/io/manifest.ts verifyManifest; the CLI's exit codes: the layout and verify tests).
    expect(await verifyManifest(out)).toEqual([]);
  });

  // SIGINT (and SIGTERM) against an export, its exit 130, the checkpoint it leaves and the resume: test/signals.test.ts, end to end.

  /** Runs an export and kills it once a checkpoint with progress exists. */
  async function interruptedRun(out: string, input = corpus): Promise<void> {
    await runCliKilledAtCheckpoint(['export', input, '--out', out, ...FAST_CHECKPOINTS], out, true);
    await fs.access(path.join(out, '.qa-hf-checkpoint.json'));
  }

  /**
   * One interrupted export of the small input, shared by the damaged-checkpoint and changed-options tests (each
   * works on a copy): it stops itself at its first commit (QA_HF_PAUSE_AT), with partial files written, and is
   * SIGKILLed there, so no kill races the end of the run.
   */
  let interrupted: Promise<string> | undefined;
  function interruptedExport(): Promise<string> {
    interrupted ??= (async () => {
      const out = path.join(dir, 'interrupted-run', 'final-simple');
      const child = spawn(process.execPath, [CLI, 'export', await finalStepInput(), '--out', out], { stdio: 'ignore', env: { ...process.env, QA_HF_PAUSE_AT: 'first-commit' } });
      const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
      for (let i = 0; i < 1000 && procState(child.pid!) !== 'T'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(procState(child.pid!)).toBe('T');
      child.kill('SIGKILL');
      expect(await closed).toBe('SIGKILL');
      expect((await hidden(out)).sort()).toEqual(expect.arrayContaining(['.qa-hf-checkpoint.json', '.qa_pairs.jsonl.partial']));
      expect((await fs.stat(path.join(out, '.qa_pairs.jsonl.partial'))).size).toBeGreaterThan(0);
      return out;
    })();
    return interrupted;
  }

  /** A copy of the interrupted export's folder (the checkpoint names its inputs by absolute path: they stay where they are). */
  async function copyOfInterrupted(name: string): Promise<string> {
    const out = path.join(dir, name, 'final-simple');
    await fs.cp(await interruptedExport(), out, { recursive: true });
    return out;
  }

  test.each([
    ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['corrupted', (text: string) => text.replace(/"offset":\d+/, '"offset":"x"')],
    ['emptied', () => ''],
  ])('a %s checkpoint is reported and survived: the run starts over, same bytes', async (_name, damage) => {
    // A damaged checkpoint does not depend on the input's size: the small input of the final-step tests, its reference shared.
    const out = await copyOfInterrupted(`damaged-${_name}`);
    const file = path.join(out, '.qa-hf-checkpoint.json');
    await fs.writeFile(file, damage(await fs.readFile(file, 'utf8')));
    const result = await runCli(['export', await finalStepInput(), '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/the checkpoint in .* is unusable \(.*\); starting over/);
    const referenceOut = await finalReference('simple');
    for (const name of DATA_FILES) expect([name, (await fs.readFile(path.join(out, name))).equals(await fs.readFile(path.join(referenceOut, name)))]).toEqual([name, true]);
  });

  test('an input edited between runs is detected and named; --restart starts over', async () => {
    // One input of the corpus, a/qa_1.jsonl, is enough: the kill lands inside it.
    const input = path.join(dir, 'edited-input');
    await fs.cp(path.join(corpus, 'a'), path.join(input, 'a'), { recursive: true });
    const out = path.join(dir, 'edited');
    const edited = path.join(input, 'a', 'qa_1.jsonl');
    const mtime = new Date('2026-01-01T00:00:00Z');
    await fs.utimes(edited, mtime, mtime);
    await interruptedRun(out, input);
    const bytes = await fs.readFile(edited);
    bytes[100] = bytes[100] === 0x61 ? 0x62 : 0x61; // same size: only the content changes
    await fs.writeFile(edited, bytes);
    await fs.utimes(edited, mtime, mtime); // and even the same mtime
    const refused = await runCli(['export', input, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_CHECKPOINT_MISMATCH: .*(bytes before line \d+ of .*a\/qa_1\.jsonl|a\/qa_1\.jsonl, read to its end by the interrupted run,) changed; run again with --restart/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const restarted = await runCli(['export', input, '--out', out, '--restart']);
    expect(restarted.code).toBe(0);
    expect(await verifyManifest(out)).toEqual([]); // verify's check, in-process (the CLI's: the layout test)
  });

  test('changed options are refused, naming --restart', async () => {
    const out = await copyOfInterrupted('options');
    const result = await runCli(['export', await finalStepInput(), '--out', out, '--max-line-bytes', '5000000']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the options differ from the interrupted run; run again with --restart/);
  });

  test('verify fails after one flipped byte, naming the file (exit 3)', async () => {
    const out = path.join(dir, 'flipped');
    await fs.cp(reference.out, out, { recursive: true });
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    manifest.inputs = manifest.inputs.map((input: { path: string }) => ({ ...input, path: path.join('..', 'reference', input.path) }));
    const target = path.join(out, 'qa_rejected.jsonl');
    const bytes = await fs.readFile(target);
    bytes[bytes.length >> 1] ^= 0x01;
    await fs.writeFile(target, bytes);
    const result = await runCli(['verify', out, '--no-inputs']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/verify: output qa_rejected\.jsonl: sha256 differs/);
    expect(result.stderr).toMatch(/ERR_VERIFY: 1 difference from/);
  });

  test('verify notices a missing, extra or cut file', async () => {
    const out = path.join(dir, 'tampered');
    await fs.cp(reference.out, out, { recursive: true });
    await fs.rm(path.join(out, 'qa_errors.jsonl'));
    await fs.writeFile(path.join(out, 'extra.jsonl'), '{}\n');
    await fs.truncate(path.join(out, 'qa_pairs.jsonl'), 10);
    const result = await runCli(['verify', out, '--no-inputs']);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/output qa_errors\.jsonl: missing/);
    expect(result.stderr).toMatch(/output extra\.jsonl: not in the manifest/);
    expect(result.stderr).toMatch(/output qa_pairs\.jsonl: 10 bytes, expected \d+, 0 records, expected \d+, sha256 differs/);
  });

  test('--fail-fast stops with exit 1 at the first bad line and leaves a resumable state', async () => {
    const out = path.join(dir, 'failfast');
    const result = await runCli(['export', corpus, '--out', out, '--fail-fast']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/qa_1\.jsonl:\d+ \(offset \d+\): ERR_FAIL_FAST: ERR_/);
    const checkpoint = JSON.parse(await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8'));
    expect(checkpoint.position.offset).toBeGreaterThan(0);
    for (const name of DATA_FILES) await expect(fs.access(path.join(out, name))).rejects.toThrow();
    const again = await runCli(['export', corpus, '--out', out, '--fail-fast']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/resuming the interrupted export/);
    expect(again.stderr.match(/ERR_FAIL_FAST.*/)![0]).toBe(result.stderr.match(/ERR_FAIL_FAST.*/)![0]);
  });

  test('--dry-run validates and counts, writes nothing', async () => {
    const out = path.join(dir, 'dry');
    const result = await runCli(['export', corpus, '--out', out, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/dry run: 3 inputs checked, nothing written/);
    await expect(fs.access(out)).rejects.toThrow();
  });

  test('--glob picks files below a directory', async () => {
    const out = path.join(dir, 'glob');
    const result = await runCli(['export', corpus, '--glob', 'b/**/qa_*.jsonl', '--out', out]);
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.inputs.map((i: { path: string }) => i.path)).toEqual(['../qa/b/qa_2.jsonl']);
  });

  test('an output directory inside the input directory is never read as input', async () => {
    // An earlier export already in it (a copy of the reference): its .jsonl files lie below the input folder.
    const out = path.join(corpus, 'out');
    await fs.cp(reference.out, out, { recursive: true });
    const again = await runCli(['export', corpus, '--out', out, '--quiet']);
    expect(again.code).toBe(0);
    expect((await fs.readFile(path.join(out, 'qa_pairs.jsonl'))).equals(reference.files['qa_pairs.jsonl'])).toBe(true);
    const manifest = JSON.parse(await fs.readFile(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.inputs.map((input: { path: string }) => input.path)).toEqual(['../a/qa_1.jsonl', '../b/qa_2.jsonl', '../c.jsonl']);
    await fs.rm(out, { recursive: true });
  });

  // Usage errors end to end, one line and exit 2: `export` without --out in test/dry-run.test.ts, --out naming a
  // file in test/new-user.test.ts (in-process: test/plan.test.ts, test/messages.test.ts).
  test('a missing input: one line, exit 1', async () => {
    const result = await runCli(['export', 'no/such/dir', '--out', 'x']);
    expect(result.stderr).toMatch(/^qa-hf: no\/such\/dir: ERR_INPUT: cannot read input: no such file or directory \(ENOENT\)\n$/);
    expect(result.code).toBe(1);
  });

  test('a folder without inputs: ERR_INPUT naming it (in-process: lib/io/discover.ts; the exit code of ERR_INPUT is the test above\'s)', async () => {
    expect.assertions(1);
    await discoverInputs(['.ci']).catch((err: QaHfError) => expect(err.toLine()).toBe('.ci: ERR_INPUT: no file matches **/*.{jsonl,jsonl.gz,jsonl.zst} in this directory'));
  });

  // A real full disk needs a tmpfs mount, so root; without root the test is declared skipped
  // (never passed empty), and test/fault-injection.test.ts covers ENOSPC in-process everywhere.
  (process.getuid?.() === 0 ? test : test.skip)('a full disk (ENOSPC): one line, exit 1, no final file; resumes once there is room', async () => {
    const mount = path.join(dir, 'tiny');
    await fs.mkdir(mount);
    // The small input of the final-step tests (~130 kB of pairs) and its reference: 64 kB fill up.
    const input = await finalStepInput();
    const referenceOut = await finalReference('simple');
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount], { encoding: 'utf8' });
    expect(mounted.stderr).toBe('');
    expect(mounted.status).toBe(0);
    try {
      const out = path.join(mount, 'out');
      const result = await runCli(['export', input, '--out', out, ...FAST_CHECKPOINTS]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^qa-hf: (\S+: )?ERR_NO_SPACE: (cannot write output: )?no space left on device \(ENOSPC\); free space, then run the same command again to resume$/m);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      for (const name of DATA_FILES) await expect(fs.access(path.join(out, name))).rejects.toThrow();
      spawnSync('mount', ['-o', 'remount,size=64m', mount]);
      const resumed = await runCli(['export', input, '--out', out]);
      expect(resumed.code).toBe(0);
      for (const name of DATA_FILES) expect([name, (await fs.readFile(path.join(out, name))).equals(await fs.readFile(path.join(referenceOut, name)))]).toEqual([name, true]);
    } finally {
      spawnSync('umount', [mount]);
    }
  });

  test('an output directory that cannot be written (EACCES): one line, exit 1', async () => {
    const locked = path.join(dir, 'locked');
    await fs.mkdir(locked);
    await fs.chmod(locked, 0o555);
    await fs.chmod(dir, 0o755);
    // root ignores permissions: run the export as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = spawnSync(process.execPath, [CLI, 'export', path.join(ROOT, 'samples'), '--out', path.join(locked, 'out')], {
      ...asUser,
      encoding: 'utf8',
      cwd: os.tmpdir(),
    });
    expect(result.stderr).toMatch(/^qa-hf: ERR_IO: cannot use output directory .*locked\/out: permission denied/);
    expect(result.status).toBe(1);
  });
});
