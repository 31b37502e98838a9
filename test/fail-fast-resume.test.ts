/**
 * Continuing after --fail-fast (README "Continuing after --fail-fast"): fix the bad
 * line, run again with or without --fail-fast, and the export resumes at the bad
 * line and ends byte-identical to a clean run of the fixed input, in the simple
 * and the Hub layout. A byte changed before the checkpoint is refused, naming the
 * line and --restart.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PrefixHasher, prefixChange } from '../lib/io/fingerprint';
import { verifyManifest } from '../lib/io/manifest';
import { internalRecord, listFiles, recordLines, runCli, statsWithoutRun } from './helpers';

const BAD_LINE = 700; // 1-based
const HUB = ['--format', 'jsonl,csv', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '100'];
/** Parquet row groups end at flush points: this plan is not flush-neutral (lib/dataset/plan.ts flushNeutral). */
const HUB_PARQUET = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '100'];

let dir: string;
let lines: string[];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-failfast-'));
  lines = recordLines(900, 11);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const dirtyText = () => lines.map((line, i) => (i === BAD_LINE - 1 ? '{"question": "cut off' : line)).join('\n') + '\n';
// The fix is longer than the bad line: everything after it moves.
const fixed = () => lines.map((line, i) => (i === BAD_LINE - 1 ? JSON.stringify(internalRecord({ question: 'Lagad fråga, nu mycket längre än förut?' })) : line)).join('\n') + '\n';

/** Every file of an export with its bytes; stats.json without timings, manifest.json without created_at. */
async function snapshot(out: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of await listFiles(out)) {
    if (name === 'stats.json') files[name] = JSON.stringify(await statsWithoutRun(out));
    else if (name === 'manifest.json') {
      const manifest = JSON.parse(await fs.readFile(path.join(out, name), 'utf8'));
      delete manifest.created_at;
      manifest.outputs = manifest.outputs.filter((file: { path: string }) => file.path !== 'stats.json');
      files[name] = JSON.stringify(manifest);
    } else files[name] = (await fs.readFile(path.join(out, name))).toString('base64');
  }
  return files;
}

/** The two ways to rerun: with --fail-fast or without (fail-fast is no identity option, so either resumes). */
const WITH = ['with --fail-fast', ['--fail-fast']] as [string, string[]];
const WITHOUT = ['without --fail-fast', []] as [string, string[]];

// Whether the rerun has --fail-fast does not depend on the layout: both ways in the simple layout, one each in the Hub layouts.
describe.each([
  ['simple layout', [] as string[], BAD_LINE - 1, [WITH, WITHOUT]],
  ['Hub layout, flush-neutral', HUB, BAD_LINE - 1, [WITH]],
  ['Hub layout with parquet', HUB_PARQUET, 600, [WITHOUT]],
])('after --fail-fast (%s)', (_name, layout, checkpointLine, reruns) => {
  const simple = layout.length === 0;
  /** A layout's folder: dirty/qa.jsonl, and clean/qa.jsonl (the fixed input) with its export in clean/0/out. */
  let root: Promise<string> | undefined;
  function layoutDir(): Promise<string> {
    root ??= fs.mkdtemp(path.join(dir, 'layout-'));
    return root;
  }

  /** The clean run of the fixed input, shared by the reruns: its folder, once written. */
  let cleanRun: Promise<string> | undefined;
  function cleanOut(): Promise<string> {
    cleanRun ??= (async () => {
      const clean = path.join(await layoutDir(), 'clean');
      await fs.mkdir(clean);
      await fs.writeFile(path.join(clean, 'qa.jsonl'), fixed());
      const out = path.join(clean, '0', 'out');
      expect((await runCli(['export', path.join(clean, 'qa.jsonl'), '--out', out, ...layout])).code).toBe(0);
      return out;
    })();
    return cleanRun;
  }

  /**
   * One --fail-fast run of the dirty input into dirty/0/out, copied to dirty/1/out, … for each rerun (the
   * checkpoint names the input by its absolute path: it stays where it is). Every folder has the clean run's
   * shape (RUN/out beside RUN/../qa.jsonl), so paths relative to --out and the card's title agree.
   */
  let stoppedRun: Promise<{ input: string; outs: string[]; stopped: { code: number | null; stderr: string } }> | undefined;
  function stopped(): Promise<{ input: string; outs: string[]; stopped: { code: number | null; stderr: string } }> {
    stoppedRun ??= (async () => {
      const dirty = path.join(await layoutDir(), 'dirty');
      await fs.mkdir(dirty);
      const input = path.join(dirty, 'qa.jsonl');
      await fs.writeFile(input, dirtyText());
      // In the simple layout one more copy, for the refused rerun of a changed input.
      const outs = [...reruns.map(([how]) => how), ...(simple ? ['changed'] : [])].map((_rerun, i) => path.join(dirty, String(i), 'out'));
      const result = await runCli(['export', input, '--out', outs[0], '--fail-fast', ...layout]);
      for (const out of outs.slice(1)) await fs.cp(outs[0], out, { recursive: true });
      return { input, outs, stopped: result };
    })();
    return stoppedRun;
  }

  test('--fail-fast stops at the bad line, exit 1; the checkpoint lies before it', async () => {
    const { outs, stopped: result } = await stopped();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`qa.jsonl:${BAD_LINE} (offset `);
    const checkpoint = JSON.parse(await fs.readFile(path.join(outs[0], '.qa-hf-checkpoint.json'), 'utf8'));
    // A flush-neutral plan checkpoints at the bad line itself, and has not written it; one with Parquet at its last fixed point before it.
    expect(checkpoint.position.line).toBe(checkpointLine);
    expect(checkpoint.outputs.errors.records).toBe(0);
  });

  test.each(reruns.map((rerun, i) => [...rerun, i] as const))('fix the line, rerun %s: resumed, byte-identical to a clean run of the fixed input', async (_how, rerunFlags, i) => {
    const { input, outs } = await stopped();
    const out = outs[i];
    await fs.writeFile(input, fixed()); // the same fix for every rerun
    const resumed = await runCli(['export', input, '--out', out, ...rerunFlags, ...layout]);
    expect(resumed.stderr).toMatch(/resuming the interrupted export/);
    expect(resumed.code).toBe(0);

    const got = await snapshot(out);
    expect(Object.keys(got).length).toBeGreaterThan(3);
    expect(got).toEqual(await snapshot(await cleanOut()));
    // verify's check, in-process (lib/io/manifest.ts verifyManifest).
    expect(await verifyManifest(out)).toEqual([]);
  });

  // Its own copy of the stopped run, and its own text of the input: each rerun above writes the fixed text first.
  if (simple) test('a byte changed before the checkpoint is refused, naming the line and --restart', async () => {
    const { input, outs } = await stopped();
    const out = outs[outs.length - 1];
    const text = fixed().replace('{"question":"', '{"question":"Ny '); // line 1 changes too
    expect(text).not.toBe(fixed());
    await fs.writeFile(input, text);
    const refused = await runCli(['export', input, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `qa-hf: ERR_CHECKPOINT_MISMATCH: cannot resume the interrupted export in ${out}: bytes before line ${BAD_LINE} of ${input} changed; run again with --restart to start over\n`,
    );
    // That --restart then starts over: test/export.test.ts ('an input edited between runs …').
  });
});

describe('prefix fingerprints', () => {
  test('advancing in steps gives the hash of the whole prefix; a change after it does not matter, one before does', async () => {
    const file = path.join(dir, 'prefix.txt');
    await fs.writeFile(file, 'abcdefghij');
    const hasher = new PrefixHasher(file);
    await hasher.advanceTo(3);
    const print = await hasher.advanceTo(6);
    expect(print).toEqual(await new PrefixHasher(file).advanceTo(6));
    await fs.writeFile(file, 'abcdefXYZXYZ');
    expect(await prefixChange(file, print, { whole: false, line: 4 })).toBeNull();
    await fs.writeFile(file, 'abcDefXYZ');
    expect(await prefixChange(file, print, { whole: false, line: 4 })).toBe(`bytes before line 5 of ${file} changed`);
    await fs.writeFile(file, 'abc');
    expect(await prefixChange(file, print, { whole: false, line: 4 })).toBe(`bytes before line 5 of ${file} changed (it is now 3 bytes, shorter than the 6 read)`);
  });

  test('an input read to its end may not grow', async () => {
    const file = path.join(dir, 'whole.txt');
    await fs.writeFile(file, 'abcdef');
    const print = await new PrefixHasher(file).advanceTo(6);
    await fs.appendFile(file, 'g');
    expect(await prefixChange(file, print, { whole: true, line: 0 })).toBe(`${file}, read to its end by the interrupted run, changed (it grew from 6 to 7 bytes)`);
  });
});
