/**
 * An earlier export inside an input folder is not read as input (lib/io/walk.ts
 * skipExports): `export in --out in/dist`, then `export in --out in/dist2`, gives
 * the same counts as the inputs alone; so does a rank's folder of a spread
 * export, and of an s3:// prefix. The markers discovery looks for are the ones
 * the writers write.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exportCommand } from '../commands/export';
import { MARKER_FORMAT, RANK_CHECKPOINT, RANK_CHECKPOINT_FORMAT, RANK_MARKER } from '../commands/export/rank';
import { CHECKPOINT_FILE, CHECKPOINT_FORMAT } from '../lib/io/checkpoint';
import { MANIFEST_FILE, MANIFEST_FORMAT } from '../lib/io/manifest';
import { type SkippedExport, discoverInputs } from '../lib/io/discover';
import { putText } from '../lib/io/s3';
import { EXPORT_MARKERS } from '../lib/dataset/out-dir';
import { EXPORT_DEFAULTS } from './export-runner';
import { ROOT, readJson, planFor } from './helpers';
import { startS3Server } from './s3-server';

let dir: string;
let input: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-earlier-'));
  input = path.join(dir, 'in');
  await fs.mkdir(path.join(input, 'sub'), { recursive: true });
  await fs.copyFile(path.join(ROOT, 'samples/qa_mixed.jsonl'), path.join(input, 'a.jsonl'));
  await fs.copyFile(path.join(ROOT, 'samples/qa_python.jsonl'), path.join(input, 'sub/b.jsonl'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('the markers directory search looks for are the ones qa-hf writes, by name and format', () => {
  expect(EXPORT_MARKERS).toEqual({
    [MANIFEST_FILE]: MANIFEST_FORMAT,
    [CHECKPOINT_FILE]: CHECKPOINT_FORMAT,
    [RANK_MARKER]: MARKER_FORMAT,
    [RANK_CHECKPOINT]: RANK_CHECKPOINT_FORMAT,
  });
});

test('an export, a second one beside it and a rank inside the input folder: each later run counts the inputs alone, and says once what it skipped', async () => {
  const run = (out: string, extra: Record<string, unknown> = {}) => exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [input], out, ...extra }));
  const first = await run(path.join(input, 'dist'));
  expect(first).toMatchObject({ lines: 11, pairs: 4, rejected: 5, errors: 2 });
  // A rank of a spread export, in the input folder too (its entries.jsonl matches the glob).
  await run(path.join(input, 'spread'), { rank: '0', worldSize: '2' });
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  let second;
  try {
    second = await run(path.join(input, 'dist2'), { quiet: false });
  } finally {
    spy.mockRestore();
  }
  expect(second).toEqual(first);
  const stats = await readJson(path.join(input, 'dist2', 'stats.json'));
  expect(stats.inputs.map((file: { path: string }) => file.path)).toEqual(['../a.jsonl', '../sub/b.jsonl']);
  expect(written.filter((line) => line.includes('skipped'))).toEqual([
    `qa-hf: skipped 2 folders that hold qa-hf exports, not read as input: ${path.join(input, 'dist')} (manifest.json), ${path.join(input, 'spread/ranks/rank-00000')} (rank.json); name a file there to read it\n`,
  ]);
  // Under --quiet nothing is said, and the counts are the same.
  await expect(run(path.join(dir, 'third'))).resolves.toEqual(first);
});

test('an s3:// prefix: a prefix below it that holds an export is skipped, one with a manifest.json of nobody is read', async () => {
  const server = await startS3Server(path.join(dir, 's3'), ['qa-bucket']);
  try {
    const objects: Record<string, string> = {
      'corpus/a.jsonl': '{}\n',
      'corpus/dist/manifest.json': JSON.stringify({ format: 'qa-hf-manifest', version: 1 }),
      'corpus/dist/qa_pairs.jsonl': '{}\n',
      'corpus/dist/v1.0.0/manifest.json': JSON.stringify({ format: 'qa-hf-manifest', version: 1 }),
      'corpus/mine/manifest.json': '{"files": []}',
      'corpus/mine/x.jsonl': '{}\n',
    };
    for (const [key, text] of Object.entries(objects)) await putText(`s3://qa-bucket/${key}`, text);
    const reported: Array<readonly SkippedExport[]> = [];
    expect(await discoverInputs(['s3://qa-bucket/corpus/'], { onSkippedExports: (skipped) => reported.push(skipped) })).toEqual([
      's3://qa-bucket/corpus/a.jsonl',
      's3://qa-bucket/corpus/mine/x.jsonl',
    ]);
    expect(reported).toEqual([[{ folder: 's3://qa-bucket/corpus/dist', marker: 'manifest.json' }]]);
  } finally {
    await server.close();
  }
});
