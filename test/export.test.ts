/**
 * qa-hf export and verify, end to end in child processes: layout, atomicity,
 * resume after SIGKILL at random moments, damaged checkpoints, changed inputs,
 * verify after a flipped byte, ENOSPC and EACCES.
 */
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateRecords } from '../bench/generate';
import { CLI, ROOT, listFiles, runCli, runCliKilledAfter, runCliKilledAtCheckpoint, seeded, statsWithoutRun } from './helpers';

const DATA_FILES = ['qa_pairs.jsonl', 'qa_rejected.jsonl', 'qa_errors.jsonl'];
/** Frequent checkpoints so that kills land between many of them. */
const FAST_CHECKPOINTS = ['--checkpoint-bytes', '262144', '--checkpoint-ms', '20'];

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
  // ~4 MB per file: large enough that kills land mid-file, small enough for CI.
  await writeCorpusFile(path.join(corpus, 'b', 'qa_2.jsonl'), 3000, 2);
  await writeCorpusFile(path.join(corpus, 'a', 'qa_1.jsonl'), 3000, 1);
  await writeCorpusFile(path.join(corpus, 'c.jsonl'), 3000, 3);
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
    expect(c.lines).toBeGreaterThan(9000);
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

  test('SIGKILL at random moments, then resume: byte-identical outputs and a passing verify', async () => {
    const out = path.join(dir, 'killed');
    const random = seeded(20261122);
    // Four kills at random moments prove the point (with at least one after a checkpoint inside
    // a file: the loop goes on until one lands there); the kill at each checkpoint kind and at
    // each step of the final one are the tests below and in the hub, worker and resume suites.
    const kills = Number(process.env.QA_HF_KILLS ?? 4);
    let killedMidRun = 0;
    let resumedMidFile = 0;
    // Kill at random moments until `kills` kills landed mid-run, at least one of them after a
    // checkpoint inside a file (under load a run spends longer starting, so a kill can land
    // before the first checkpoint). A run that finishes first must have produced the reference
    // bytes; the next one then starts over.
    for (let attempt = 0; (killedMidRun < kills || resumedMidFile === 0) && attempt < kills * 4; attempt++) {
      const exitCode = await runCliKilledAfter(['export', corpus, '--out', out, ...FAST_CHECKPOINTS], 30 + Math.floor(random() * reference.ms));
      if (exitCode === 0) {
        for (const name of DATA_FILES) expect((await fs.readFile(path.join(out, name))).equals(reference.files[name])).toBe(true);
        continue;
      }
      expect(exitCode).toBeNull(); // killed, not failed
      killedMidRun++;
      const checkpoint = await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8').catch(() => null);
      if (checkpoint && JSON.parse(checkpoint).position.offset > 0) resumedMidFile++;
      // A reader never sees a partial file under a final name.
      for (const name of DATA_FILES) {
        const final = await fs.readFile(path.join(out, name)).catch(() => null);
        if (final) expect(final.equals(reference.files[name])).toBe(true);
      }
    }
    expect(killedMidRun).toBeGreaterThanOrEqual(kills);
    expect(resumedMidFile).toBeGreaterThanOrEqual(1);
    const last = await runCli(['export', corpus, '--out', out]);
    expect(last.code).toBe(0);
    const files = await readAll(out);
    for (const name of DATA_FILES) expect(files[name].equals(reference.files[name])).toBe(true);
    expect(await statsWithoutRun(out)).toEqual(await statsWithoutRun(reference.out));
    expect(await hidden(out)).toEqual([]);
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  /** Every file below `out` (relative path → bytes), hidden ones included. */
  async function tree(out: string): Promise<Map<string, Buffer>> {
    const files = new Map<string, Buffer>();
    for (const name of await listFiles(out)) files.set(name, await fs.readFile(path.join(out, name)));
    return files;
  }

  const HUB = ['--format', 'jsonl,parquet,csv,alpaca', '--split', 'train=0.8,test=0.2', '--compress', 'gzip', '--checkpoint-lines', '2000'];

  /** The final step does not depend on the input's size: two small files (~800 kB) in a folder of their own. */
  let smallCorpus: Promise<string> | undefined;
  function finalStepInput(): Promise<string> {
    smallCorpus ??= (async () => {
      const small = path.join(dir, 'final-input');
      await writeCorpusFile(path.join(small, 'a.jsonl'), 300, 11);
      await writeCorpusFile(path.join(small, 'b.jsonl'), 300, 12);
      return small;
    })();
    return smallCorpus;
  }
  const finalReferences: Record<string, Promise<number | null>> = {};

  test.each([
    ['simple', 'finalize-start'],
    ['simple', 'after-first-rename'],
    ['simple', 'after-stats'],
    ['simple', 'after-manifest'],
    ['hub', 'after-shard-names'],
    ['hub', 'after-first-rename'],
    ['hub', 'after-manifest'],
  ])('%s layout: a kill during the final step (%s) is finished by the next run, same bytes', async (layout, point) => {
    const extra = layout === 'hub' ? HUB : [];
    const input = await finalStepInput();
    // The card names its folder and stats name inputs relative to it: same name, same depth.
    // One reference export per layout, shared by its crash points.
    const referenceOut = path.join(dir, 'final-ref', `final-${layout}`);
    const out = path.join(dir, `final-crash-${point}`, `final-${layout}`);
    finalReferences[layout] ??= runCli(['export', input, '--out', referenceOut, ...extra]).then((result) => result.code);
    expect(await finalReferences[layout]).toBe(0);
    const crashed = spawnSync(process.execPath, [CLI, 'export', input, '--out', out, ...extra], {
      env: { ...process.env, QA_HF_CRASH_AT: point },
      encoding: 'utf8',
    });
    expect(crashed.signal).toBe('SIGKILL');
    const rerun = await runCli(['export', input, '--out', out, ...extra]);
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toMatch(/resuming the interrupted export .* at its final step/);
    const [want, got] = [await tree(referenceOut), await tree(out)];
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [file, bytes] of want) {
      if (file === 'manifest.json' || file === 'stats.json') continue;
      expect([file, got.get(file)!.equals(bytes)]).toEqual([file, true]);
    }
    expect(await statsWithoutRun(out)).toEqual(await statsWithoutRun(referenceOut));
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('SIGINT stops cleanly with exit 130 and a resumable state', async () => {
    const out = path.join(dir, 'interrupted');
    const checkpointFile = path.join(out, '.qa-hf-checkpoint.json');
    const child = spawn(process.execPath, [CLI, 'export', corpus, '--out', out, ...FAST_CHECKPOINTS], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const closed = new Promise((resolve) => child.on('close', resolve));
    // Freeze the run as soon as its first checkpoint exists, so the signal cannot
    // lose a race with the end of the run: the checkpoint then lies in the first of
    // three ~4 MB inputs, and SIGINT, sent while frozen, is handled on SIGCONT.
    let first: { position: { input: number; offset: number } } | null = null;
    for (let i = 0; i < 5000 && !first; i++) {
      const text = await fs.readFile(checkpointFile, 'utf8').catch(() => null);
      if (text) {
        child.kill('SIGSTOP');
        first = JSON.parse(await fs.readFile(checkpointFile, 'utf8'));
      } else await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(first?.position.input).toBe(0);
    child.kill('SIGINT');
    child.kill('SIGCONT');
    expect(await closed).toBe(130);
    expect(stderr).toMatch(/^qa-hf: ERR_INTERRUPTED: stopped by SIGINT; run the same command again to resume$/m);
    // Stopped mid-run: a checkpoint short of the end, no final data file, the partial files kept.
    const last = JSON.parse(await fs.readFile(checkpointFile, 'utf8'));
    expect(last).toMatchObject({ finalizing: false });
    expect(last.position.input).toBeLessThan(3);
    for (const name of DATA_FILES) await expect(fs.access(path.join(out, name))).rejects.toThrow();
    const resumed = await runCli(['export', corpus, '--out', out]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/resuming the interrupted export/);
    for (const name of DATA_FILES) expect((await fs.readFile(path.join(out, name))).equals(reference.files[name])).toBe(true);
    expect(await statsWithoutRun(out)).toEqual(await statsWithoutRun(reference.out));
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  /** Runs an export and kills it once a checkpoint with progress exists. */
  async function interruptedRun(out: string, input = corpus): Promise<void> {
    await runCliKilledAtCheckpoint(['export', input, '--out', out, ...FAST_CHECKPOINTS], out, true);
    await fs.access(path.join(out, '.qa-hf-checkpoint.json'));
  }

  test.each([
    ['truncated', (text: string) => text.slice(0, Math.floor(text.length / 2))],
    ['corrupted', (text: string) => text.replace(/"offset":\d+/, '"offset":"x"')],
    ['emptied', () => ''],
  ])('a %s checkpoint is reported and survived: the run starts over, same bytes', async (_name, damage) => {
    // The small corpus of the final-step tests (checkpoints inside its files too), its reference
    // export shared: a damaged checkpoint does not depend on the input's size.
    const input = await finalStepInput();
    const referenceOut = path.join(dir, 'final-ref', 'final-simple');
    finalReferences.simple ??= runCli(['export', input, '--out', referenceOut]).then((result) => result.code);
    expect(await finalReferences.simple).toBe(0);
    const out = path.join(dir, `damaged-${_name}`, 'final-simple');
    await interruptedRun(out, input);
    const file = path.join(out, '.qa-hf-checkpoint.json');
    await fs.writeFile(file, damage(await fs.readFile(file, 'utf8')));
    const result = await runCli(['export', input, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/the checkpoint in .* is unusable \(.*\); starting over/);
    for (const name of DATA_FILES) expect([name, (await fs.readFile(path.join(out, name))).equals(await fs.readFile(path.join(referenceOut, name)))]).toEqual([name, true]);
  });

  test('an input edited between runs is detected and named; --restart starts over', async () => {
    const input = path.join(dir, 'edited-input');
    await fs.cp(corpus, input, { recursive: true });
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
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('changed options are refused, naming --restart', async () => {
    const out = path.join(dir, 'options');
    await interruptedRun(out);
    const result = await runCli(['export', corpus, '--out', out, '--max-line-bytes', '5000000']);
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
    const result = await runCli(['export', corpus, '--out', path.join(corpus, 'out'), '--quiet']);
    expect(result.code).toBe(0);
    const again = await runCli(['export', corpus, '--out', path.join(corpus, 'out'), '--quiet']);
    expect(again.code).toBe(0);
    expect((await fs.readFile(path.join(corpus, 'out', 'qa_pairs.jsonl'))).equals(reference.files['qa_pairs.jsonl'])).toBe(true);
    await fs.rm(path.join(corpus, 'out'), { recursive: true });
  });

  test.each([
    [['export', 'no/such/dir', '--out', 'x'], /^qa-hf: no\/such\/dir: ERR_INPUT: cannot read input: no such file or directory \(ENOENT\)\n$/, 1],
    [['export', '.ci', '--out', 'x'], /^qa-hf: \.ci: ERR_INPUT: no file matches \*\*\/\*\.\{jsonl,jsonl\.gz,jsonl\.zst\} in this directory\n$/, 1],
    [['export', 'samples'], /^qa-hf: ERR_USAGE: export needs --out DIR \(only --dry-run goes without it\)\n$/, 2],
    [['export', 'samples', '--out', 'package.json'], /^qa-hf: ERR_USAGE: --out package\.json is a file, but --out must be a folder: the export writes its files into it \(e\.g\. --out dist\/\)\n$/, 2],
  ])('%j: one line, exit %s', async (args, message, code) => {
    const result = await runCli(args as string[]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(code);
  });

  // A real full disk needs a tmpfs mount, so root; without root the test is declared skipped
  // (never passed empty), and test/fault-injection.test.ts covers ENOSPC in-process everywhere.
  (process.getuid?.() === 0 ? test : test.skip)('a full disk (ENOSPC): one line, exit 1, no final file; resumes once there is room', async () => {
    const mount = path.join(dir, 'tiny');
    await fs.mkdir(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount], { encoding: 'utf8' });
    expect(mounted.stderr).toBe('');
    expect(mounted.status).toBe(0);
    try {
      const out = path.join(mount, 'out');
      const result = await runCli(['export', corpus, '--out', out, ...FAST_CHECKPOINTS]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^qa-hf: (\S+: )?ERR_NO_SPACE: (cannot write output: )?no space left on device \(ENOSPC\); free space, then run the same command again to resume$/m);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      for (const name of DATA_FILES) await expect(fs.access(path.join(out, name))).rejects.toThrow();
      spawnSync('mount', ['-o', 'remount,size=64m', mount]);
      const resumed = await runCli(['export', corpus, '--out', out]);
      expect(resumed.code).toBe(0);
      for (const name of DATA_FILES) expect((await fs.readFile(path.join(out, name))).equals(reference.files[name])).toBe(true);
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
