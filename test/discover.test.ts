/** Discovery and the one directory walker: links followed, cycles walked once, verify's file list. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { discoverInputs } from '../lib/io/discover';
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
