/** Discovery and the one directory walker: links followed, cycles walked once, verify's file list. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type SkippedExport, discoverInputs, skippedExportsNote } from '../lib/io/discover';
import type { QaHfError } from '../lib/errors';
import { listFiles } from '../lib/io/manifest';
import { walkFiles } from '../lib/io/walk';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-discover-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function tree(files: Record<string, string>, links: Record<string, string> = {}): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.writeFile(path.join(dir, name), text);
  }
  for (const [name, target] of Object.entries(links)) {
    await fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await fs.symlink(target, path.join(dir, name));
  }
}

test('links to files and to folders outside the tree are followed', async () => {
  const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-outside-'));
  try {
    await fs.writeFile(path.join(outside, 'x.jsonl'), '{}\n');
    await fs.mkdir(path.join(outside, 'runs'));
    await fs.writeFile(path.join(outside, 'runs', 'y.jsonl'), '{}\n');
    await tree({ 'in/a.jsonl': '{}\n' }, { 'in/b.jsonl': path.join(outside, 'x.jsonl'), 'in/linked': path.join(outside, 'runs') });
    const input = path.join(dir, 'in');
    expect(await discoverInputs([input])).toEqual(['a.jsonl', 'b.jsonl', 'linked/y.jsonl'].map((name) => path.join(input, name)));
  } finally {
    await fs.rm(outside, { recursive: true, force: true });
  }
});

test('a link cycle is walked once; a file reached twice through links is read once, under its first path', async () => {
  await tree({ 'in/a/one.jsonl': '{}\n', 'in/b/two.jsonl': '{}\n' }, { 'in/a/up': '..', 'in/b/again.jsonl': '../a/one.jsonl', 'in/c': 'b' });
  const input = path.join(dir, 'in');
  expect(await discoverInputs([input])).toEqual(['a/one.jsonl', 'b/two.jsonl'].map((name) => path.join(input, name)));
  expect((await walkFiles(input)).map((entry) => entry.relative)).toEqual(['a/one.jsonl', 'b/again.jsonl', 'b/two.jsonl']);
});

test('a link whose target is missing is ERR_INPUT naming it', async () => {
  expect.assertions(1);
  await tree({ 'in/a.jsonl': '{}\n' }, { 'in/gone.jsonl': 'nowhere.jsonl' });
  await discoverInputs([path.join(dir, 'in')]).catch((err: QaHfError) =>
    expect(err.toLine()).toBe(`${path.join(dir, 'in', 'gone.jsonl')}: ERR_INPUT: cannot read input: it is a symbolic link whose target is missing`),
  );
});

test('the default glob takes .jsonl, .jsonl.gz and .jsonl.zst; `-` passes as stdin', async () => {
  await tree({ 'in/a.jsonl': '', 'in/b.jsonl.gz': '', 'in/c.jsonl.zst': '', 'in/d.jsonl.bz2': '', 'in/e.json': '', 'in/.hidden.jsonl': '' });
  const input = path.join(dir, 'in');
  expect(await discoverInputs([input, '-'])).toEqual([...['a.jsonl', 'b.jsonl.gz', 'c.jsonl.zst'].map((name) => path.join(input, name)), '-']);
  await expect(discoverInputs(['-', '-'])).rejects.toThrow('input is named twice');
});

test('a file named twice is said by the arguments as typed: a folder named twice is the folder, not a file in it', async () => {
  await tree({ 'in/a.jsonl': '{}\n' });
  const [folder, file] = [path.join(dir, 'in'), path.join(dir, 'in', 'a.jsonl')];
  const line = (args: string[]) => discoverInputs(args).then(() => 'no error', (err: QaHfError) => err.toLine());
  expect(await line([file, file])).toBe(`${file}: ERR_USAGE: input is named twice`);
  expect(await line([folder, folder])).toBe(`${folder}: ERR_USAGE: input folder is named twice`);
  expect(await line([folder, file])).toBe(`${file}: ERR_USAGE: input is named twice: ${folder}, named before it, holds it too`);
  expect(await line([file, folder])).toBe(`${folder}: ERR_USAGE: input is named twice: ${file} in it was named before (${file})`);
});

test('the output folder is never walked, also when a link leads to it', async () => {
  await tree({ 'in/a.jsonl': '{}\n', 'out/qa_pairs.jsonl': '{}\n' }, { 'in/results': '../out' });
  expect(await discoverInputs([path.join(dir, 'in')], { exclude: path.join(dir, 'out') })).toEqual([path.join(dir, 'in', 'a.jsonl')]);
});

test("verify's file list uses the same walker: linked files count, hidden ones and special files do not", async () => {
  await tree({ 'out/a.jsonl': '', 'out/.partial': '', 'out/.hidden/x': '', 'out/sub/b.csv': '' }, { 'out/link.jsonl': 'a.jsonl' });
  const { execFileSync } = await import('node:child_process');
  execFileSync('mkfifo', [path.join(dir, 'out', 'fifo')]);
  expect(await listFiles(path.join(dir, 'out'))).toEqual(['a.jsonl', 'link.jsonl', 'sub/b.csv']);
});

describe('a folder that holds a qa-hf export is not searched (an earlier export inside an input folder)', () => {
  const MANIFEST = JSON.stringify({ format: 'qa-hf-manifest', version: 1, outputs: [] });
  const CHECKPOINT = JSON.stringify({ format: 'qa-hf-checkpoint', version: 2 });
  const RANK = JSON.stringify({ format: 'qa-hf-rank', version: 1 });

  test('a complete export, an interrupted one, a rank and the versions of a versions folder are skipped and reported once', async () => {
    await tree({
      'in/a.jsonl': '{}\n',
      'in/dist/manifest.json': MANIFEST,
      'in/dist/qa_pairs.jsonl': '{}\n',
      'in/dist/v1.0.0/manifest.json': MANIFEST, // inside a skipped folder: not reported on its own
      'in/half/.qa-hf-checkpoint.json': CHECKPOINT,
      'in/half/qa_errors.jsonl': '{}\n',
      'in/spread/ranks/rank-00000/rank.json': RANK,
      'in/spread/ranks/rank-00000/entries.jsonl': '{}\n',
      'in/spread/ranks/rank-00001/.qa-hf-rank-checkpoint.json': JSON.stringify({ format: 'qa-hf-rank-checkpoint' }),
      'in/spread/ranks/rank-00001/x.jsonl': '{}\n',
      'in/releases/v1.0.0/manifest.json': MANIFEST,
      'in/releases/v1.0.0/jsonl/train-00000-of-00001.jsonl': '{}\n',
      'in/releases/v1.1.0/.qa-hf-checkpoint.json': CHECKPOINT,
      'in/releases/v1.1.0/qa_errors.jsonl': '{}\n',
      'in/releases/notes.jsonl': '{}\n',
    });
    const input = path.join(dir, 'in');
    const reported: Array<readonly SkippedExport[]> = [];
    const found = await discoverInputs([input], { onSkippedExports: (skipped) => reported.push(skipped) });
    expect(found).toEqual(['a.jsonl', 'releases/notes.jsonl'].map((name) => path.join(input, name)));
    expect(reported).toEqual([
      [
        { folder: path.join(input, 'dist'), marker: 'manifest.json' },
        { folder: path.join(input, 'half'), marker: '.qa-hf-checkpoint.json' },
        { folder: path.join(input, 'releases/v1.0.0'), marker: 'manifest.json' },
        { folder: path.join(input, 'releases/v1.1.0'), marker: '.qa-hf-checkpoint.json' },
        { folder: path.join(input, 'spread/ranks/rank-00000'), marker: 'rank.json' },
        { folder: path.join(input, 'spread/ranks/rank-00001'), marker: '.qa-hf-rank-checkpoint.json' },
      ],
    ]);
    expect(skippedExportsNote(reported[0])).toBe(
      `skipped 6 folders that hold qa-hf exports, not read as input: ${path.join(input, 'dist')} (manifest.json), ${path.join(input, 'half')} (.qa-hf-checkpoint.json), ${path.join(input, 'releases/v1.0.0')} (manifest.json) and 3 more; name a file there to read it`,
    );
  });

  test("a manifest.json qa-hf did not write marks nothing: that folder is searched, and nothing is reported", async () => {
    await tree({ 'in/mine/manifest.json': '{"format":"my-own","files":["x.jsonl"]}', 'in/mine/x.jsonl': '{}\n', 'in/other/manifest.json': 'not json', 'in/other/y.jsonl': '{}\n' });
    const input = path.join(dir, 'in');
    const onSkippedExports = jest.fn();
    expect(await discoverInputs([input], { onSkippedExports })).toEqual(['mine/x.jsonl', 'other/y.jsonl'].map((name) => path.join(input, name)));
    expect(onSkippedExports).not.toHaveBeenCalled();
  });

  test('a file named explicitly is read, and a folder named explicitly is searched, whatever export it belongs to', async () => {
    await tree({ 'in/dist/manifest.json': MANIFEST, 'in/dist/qa_pairs.jsonl': '{}\n', 'in/dist/sub/b.jsonl': '{}\n' });
    const dist = path.join(dir, 'in', 'dist');
    expect(await discoverInputs([path.join(dist, 'qa_pairs.jsonl')])).toEqual([path.join(dist, 'qa_pairs.jsonl')]);
    expect(await discoverInputs([dist])).toEqual([path.join(dist, 'qa_pairs.jsonl'), path.join(dist, 'sub/b.jsonl')]);
  });

  test('an input folder that holds nothing else says so', async () => {
    expect.assertions(1);
    await tree({ 'in/dist/manifest.json': MANIFEST, 'in/dist/qa_pairs.jsonl': '{}\n' });
    const input = path.join(dir, 'in');
    await discoverInputs([input]).catch((err: QaHfError) =>
      expect(err.toLine()).toBe(`${input}: ERR_INPUT: no file matches **/*.{jsonl,jsonl.gz,jsonl.zst} in this directory outside the qa-hf exports it holds (${path.join(input, 'dist')})`),
    );
  });

  test("verify's walk of an export folder and the output-folder check still list the export's own files", async () => {
    await tree({ 'dist/manifest.json': MANIFEST, 'dist/qa_pairs.jsonl': '{}\n', 'dist/v1.0.0/manifest.json': MANIFEST, 'dist/v1.0.0/qa_pairs.jsonl': '{}\n' });
    const dist = path.join(dir, 'dist');
    expect(await listFiles(dist)).toEqual(['manifest.json', 'qa_pairs.jsonl', 'v1.0.0/manifest.json', 'v1.0.0/qa_pairs.jsonl']);
    expect((await walkFiles(dist, { literal: true })).map((entry) => entry.relative)).toEqual(['manifest.json', 'qa_pairs.jsonl', 'v1.0.0/manifest.json', 'v1.0.0/qa_pairs.jsonl']);
  });
});
