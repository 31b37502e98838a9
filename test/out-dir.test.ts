/**
 * The output folder (README "The output folder"): inputs are never inside it, it
 * must be empty or hold one qa-hf export, a replaced export leaves nothing behind,
 * foreign files are refused or kept with --force, a read-only --out says so.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classifyFiles, filesToRemove, isWithin, isWorkFile, parentDirs } from '../lib/dataset/out-dir';
import { prepareOutDir, refuseInputFolders, refuseInputsInOut } from '../lib/io/out-dir-fs';
import { QaHfError } from '../lib/errors';
import { verifyManifest } from '../lib/io/manifest';
import { CLI, listFiles, readJson, recordLines, runCli } from './helpers';

let dir: string;
let qa: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-outdir-'));
  qa = path.join(dir, 'qa');
  await fs.mkdir(qa);
  await fs.writeFile(path.join(qa, 'a.jsonl'), `${recordLines(300, 5).join('\n')}\n{"bad\n`);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function fresh(name: string): Promise<string> {
  return fs.mkdtemp(path.join(dir, `${name}-`));
}

describe('ownership rules (pure)', () => {
  test.each([
    ['.qa-hf.lock', true],
    ['.qa-hf.lock.123.abc.tmp', true],
    ['.qa-hf-checkpoint.json', true],
    ['.qa_pairs.jsonl.partial', true],
    ['.stats.json.tmp', true],
    ['jsonl/.train-00000.jsonl.partial.open', true],
    ['notes.txt', false],
    ['sub/.x.partial', false],
    ['jsonl/train-00000-of-00001.jsonl', false],
    ['ranks/rank-00002/entries.jsonl', true], // a spread export's ranks: the merge's input
    ['ranks/rank-00002/.entries.jsonl.partial', true],
    ['ranks/notes.txt', false],
    ['other/ranks/rank-00002/rank.json', false],
  ])('isWorkFile(%j) is %s', (file, expected) => {
    expect(isWorkFile(file)).toBe(expected);
  });

  test('a manifest owns its outputs and itself; a checkpoint its files, shard folders and replaced files', () => {
    const files = ['README.md', 'jsonl/train-00000-of-00001.jsonl', 'manifest.json', 'notes.txt', 'old.jsonl', 'qa_pairs.jsonl', 'csv/my.csv'];
    expect(classifyFiles(files, { manifest: ['qa_pairs.jsonl'], checkpoint: null })).toEqual({
      owned: ['manifest.json', 'qa_pairs.jsonl'],
      foreign: ['README.md', 'csv/my.csv', 'jsonl/train-00000-of-00001.jsonl', 'notes.txt', 'old.jsonl'],
    });
    expect(
      classifyFiles(files, { manifest: null, checkpoint: { owns: { files: ['README.md'], shard_dirs: ['jsonl', 'csv'] }, replaces: ['old.jsonl'] } }),
    ).toEqual({ owned: ['README.md', 'jsonl/train-00000-of-00001.jsonl', 'old.jsonl'], foreign: ['csv/my.csv', 'manifest.json', 'notes.txt', 'qa_pairs.jsonl'] });
  });

  test('what a replace removes, and the folders it may empty (deepest first)', () => {
    expect(filesToRemove(['qa_pairs.jsonl', 'stats.json', 'jsonl/a.jsonl', '.qa-hf-checkpoint.json'], ['stats.json'])).toEqual(['qa_pairs.jsonl', 'jsonl/a.jsonl']);
    expect(parentDirs(['rejected/jsonl/a', 'jsonl/b', 'top'])).toEqual(['rejected/jsonl', 'jsonl', 'rejected']);
    expect([isWithin('/a/b', '/a'), isWithin('/a', '/a'), isWithin('/ab', '/a'), isWithin('/a/..b', '/a')]).toEqual([true, true, false, true]);
  });
});

describe('inputs and the output folder', () => {
  test.each([
    ['the input file inside --out', (d: string) => ({ input: path.join(d, 'clob', 'qa_pairs.jsonl'), out: path.join(d, 'clob') })],
    ['--out given with ./ and ..', (d: string) => ({ input: path.join(d, 'clob', 'qa_pairs.jsonl'), out: `${path.join(d, 'clob')}/./../clob/` })],
    ['--out through a symlink', (d: string) => ({ input: path.join(d, 'clob', 'qa_pairs.jsonl'), out: path.join(d, 'link') })],
    ['the input through a symlink into --out', (d: string) => ({ input: path.join(d, 'input-link.jsonl'), out: path.join(d, 'clob') })],
  ])('%s: refused naming the input (in-process: lib/io/out-dir-fs.ts refuseInputsInOut; the first end to end: exit 2), which stays untouched', async (name, layout) => {
    const d = await fresh('clob');
    await fs.mkdir(path.join(d, 'clob'));
    const original = await fs.readFile(path.join(qa, 'a.jsonl'));
    await fs.writeFile(path.join(d, 'clob', 'qa_pairs.jsonl'), original);
    await fs.symlink(path.join(d, 'clob'), path.join(d, 'link'));
    await fs.symlink(path.join(d, 'clob', 'qa_pairs.jsonl'), path.join(d, 'input-link.jsonl'));
    const { input, out } = layout(d);
    const line = `${input}: ERR_USAGE: an input cannot lie inside the output folder ${out}: the export would write over it`;
    expect(await refusal(() => refuseInputsInOut([input], out))).toBe(line);
    if (name === 'the input file inside --out') {
      const result = await runCli(['export', input, '--out', out]);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`qa-hf: ${line}\n`);
    }
    expect((await fs.readFile(path.join(d, 'clob', 'qa_pairs.jsonl'))).equals(original)).toBe(true);
    expect(await listFiles(path.join(d, 'clob'))).toEqual(['qa_pairs.jsonl']);
  });

  test.each([['qa/'], ['qa/./'], ['qa-link']])('the input folder as --out (%s): "the output folder cannot be an input folder" (in-process; qa/ end to end: exit 2)', async (out) => {
    await fs.symlink(qa, path.join(dir, 'qa-link')).catch(() => undefined);
    const line = 'qa/: ERR_USAGE: the output folder cannot be an input folder; choose another --out';
    expect(await refusal(() => refuseInputFolders([path.join(dir, 'qa/')], path.join(dir, out)))).toBe(line.replace(/^qa\//, path.join(dir, 'qa/')));
    if (out === 'qa/') {
      const result = await runCli(['export', 'qa/', '--out', out], undefined, { cwd: dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`qa-hf: ${line}\n`);
    }
    expect(await fs.readdir(qa)).toEqual(['a.jsonl']);
  });
});

/** The one line an async check's QaHfError says (as the CLI prints it after "qa-hf: "). */
async function refusal(check: () => Promise<void>): Promise<string> {
  const err = await check().then(
    () => null,
    (thrownError: unknown) => thrownError,
  );
  if (!(err instanceof QaHfError)) throw new Error(`expected a QaHfError, got ${String(err)}`);
  return err.toLine();
}

/** Runs an export that must succeed, then verify's check on its folder, in-process (lib/io/manifest.ts verifyManifest, what `qa-hf verify` runs). */
async function exportOk(out: string, ...options: string[]): Promise<void> {
  const result = await runCli(['export', qa, '--out', out, '-q', ...options]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  expect(await verifyManifest(out)).toEqual([]);
}

const SIMPLE = ['manifest.json', 'qa_errors.jsonl', 'qa_pairs.jsonl', 'qa_rejected.jsonl', 'report.html', 'report.json', 'stats.json'];
const HUB_JSONL = [
  'README.md',
  'jsonl/test-00000-of-00001.jsonl',
  'jsonl/train-00000-of-00001.jsonl',
  'manifest.json',
  'qa_errors.jsonl',
  'rejected/jsonl/test-00000-of-00001.jsonl',
  'rejected/jsonl/train-00000-of-00001.jsonl',
  'report.html',
  'report.json',
  'stats.json',
];
const HUB_CSV = HUB_JSONL.map((file) => file.replace(/jsonl\/(.*)\.jsonl$/, 'csv/$1.csv'));
const HUB_ZST = HUB_JSONL.map((file) => file.replace(/\.jsonl$/, '.jsonl.zst').replace('qa_errors.jsonl.zst', 'qa_errors.jsonl'));
const HUB_GZ = HUB_ZST.map((file) => file.replace(/\.zst$/, '.gz'));
const SPLIT = ['--split', 'train=0.5,test=0.5'];

describe('a previous export is replaced whole', () => {
  // One folder through a chain of exports, each replacing the one before: a step starts where the step above ended.
  let out: string;
  beforeAll(async () => {
    out = await fresh('replace');
    const result = await runCli(['export', qa, '--out', out, '-q']);
    expect(result.code).toBe(0);
  });

  test.each([
    ['simple → Hub', SIMPLE, ['--format', 'jsonl', ...SPLIT], HUB_JSONL],
    ['Hub → csv only', HUB_JSONL, ['--format', 'csv', ...SPLIT], HUB_CSV],
    ['Hub → simple', HUB_CSV, [], SIMPLE],
    ['simple → zstd Hub', SIMPLE, ['--format', 'jsonl', ...SPLIT, '--compress', 'zstd'], HUB_ZST],
    ['zstd Hub → gzip Hub', HUB_ZST, ['--format', 'jsonl', ...SPLIT, '--compress', 'gzip'], HUB_GZ],
  ])('%s: exactly the new export remains and verify passes', async (_name, firstFiles, second, secondFiles) => {
    expect(await listFiles(out)).toEqual(firstFiles);
    await exportOk(out, ...second);
    expect(await listFiles(out)).toEqual(secondFiles);
    // Emptied folders of the old export are gone too.
    const folders = new Set(firstFiles.filter((file) => file.includes('/')).map((file) => file.split('/')[0]));
    for (const folder of folders) if (!secondFiles.some((file) => file.startsWith(`${folder}/`))) await expect(fs.access(path.join(out, folder))).rejects.toThrow();
  });

  // A kill inside finalize after the new manifest, the rerun completing the replace of an earlier Hub export:
  // test/export.test.ts ('simple layout: a kill during the final step (after-manifest) …'), same bytes as an uninterrupted run.

  test('an interrupted export, then other options with --restart: one export remains', async () => {
    const out = await fresh('interrupted');
    const killed = spawnSync(process.execPath, [CLI, 'export', qa, '--out', out, '-q', '--format', 'jsonl', ...SPLIT], {
      env: { ...process.env, QA_HF_CRASH_AT: 'after-shard-names' },
    });
    expect(killed.signal).toBe('SIGKILL');
    const refused = await runCli(['export', qa, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the options differ from the interrupted run; run again with --restart/);
    await exportOk(out, '--restart');
    expect(await listFiles(out)).toEqual(SIMPLE);
  });
});

describe('foreign files', () => {
  test('user files (README.md, a name the Hub card uses, and notes.txt) are refused, exit 2, naming them; with --force they are kept byte for byte', async () => {
    const names = ['README.md', 'notes.txt'];
    const out = await fresh('foreign');
    for (const name of names) await fs.writeFile(path.join(out, name), `my own words in ${name}\n`);
    const refused = await runCli(['export', qa, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `qa-hf: ERR_USAGE: --out ${out} holds files that are not from a qa-hf export (README.md, notes.txt); choose an empty folder, or pass --force to write beside them\n`,
    );
    expect(await listFiles(out)).toEqual(names);
    const forced = await runCli(['export', qa, '--out', out, '--force', '-q']);
    expect(forced.code).toBe(0);
    for (const name of names) expect(await fs.readFile(path.join(out, name), 'utf8')).toBe(`my own words in ${name}\n`);
    expect(await listFiles(out)).toEqual([...SIMPLE, ...names].sort());
    // The manifest names the kept files as the user's, so verify passes right after the run.
    expect((await readJson(path.join(out, 'manifest.json'))).kept).toEqual(names);
    const verified = await runCli(['verify', out]);
    expect(verified.stderr).toBe(`qa-hf: ${out}: every file matches manifest.json\n`);
    expect(verified.code).toBe(0);
    // A file added afterwards is still reported (verify's check, in-process).
    await fs.writeFile(path.join(out, 'later.txt'), 'x');
    expect(await verifyManifest(out)).toEqual(['output later.txt: not in the manifest']);
  });

  test('the first three foreign files are named, the rest counted', async () => {
    const out = await fresh('many');
    for (const name of ['a', 'b', 'c', 'd', 'e']) await fs.writeFile(path.join(out, name), '');
    const refused = await runCli(['export', qa, '--out', out]);
    expect(refused.stderr).toMatch(/\(a, b, c and 2 more\)/);
    expect(refused.code).toBe(2);
  });

  test('with --force, a foreign README.md that the Hub card collides with is replaced, and said so', async () => {
    const out = await fresh('collide');
    await fs.writeFile(path.join(out, 'README.md'), 'mine\n');
    await fs.writeFile(path.join(out, 'keep.txt'), 'kept\n');
    const forced = await runCli(['export', qa, '--out', out, '--force', '--format', 'jsonl', ...SPLIT]);
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain(`qa-hf: --force: README.md in ${out} will be replaced by this export's files\n`);
    expect(await fs.readFile(path.join(out, 'README.md'), 'utf8')).toMatch(/^---\n/);
    expect(await fs.readFile(path.join(out, 'keep.txt'), 'utf8')).toBe('kept\n');
  });
});

describe('a read-only --out', () => {
  test('says read-only, not ENOENT (injected: mkdir fails with ENOENT as on a read-only mount)', async () => {
    expect.assertions(1);
    const enoent = Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    const erofs = Object.assign(new Error('EROFS'), { code: 'EROFS' });
    const mkdir = jest.spyOn(fs, 'mkdir').mockRejectedValue(enoent);
    const access = jest.spyOn(fs, 'access').mockRejectedValue(erofs);
    try {
      await expect(prepareOutDir(path.join(dir, 'ro', 'out'))).rejects.toThrow(`cannot use output directory ${path.join(dir, 'ro', 'out')}: read-only file system (EROFS)`);
    } finally {
      mkdir.mockRestore();
      access.mockRestore();
    }
  });

  // A real read-only mount needs root; without it this test is reported as skipped, never passed.
  const asRoot = process.getuid?.() === 0 ? test : test.skip;
  asRoot('on a real read-only tmpfs: one line, exit 1, "read-only file system"', async () => {
    const mount = path.join(dir, 'ro-mount');
    await fs.mkdir(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount]);
    expect(mounted.status).toBe(0);
    try {
      for (const out of [path.join(mount, 'new', 'out'), mount]) {
        const result = await runCli(['export', qa, '--out', out]);
        expect(result.stderr).toBe(`qa-hf: ERR_IO: cannot use output directory ${out}: read-only file system: ${mount} (EROFS)\n`);
        expect(result.code).toBe(1);
      }
    } finally {
      spawnSync('umount', [mount]);
    }
  });
});

