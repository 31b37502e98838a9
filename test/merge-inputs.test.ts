/**
 * A merge records only inputs it exported (issue 16, item 5): each rank records the
 * sha256 of the bytes of its share as it read them (rank.json `ranges[].sha256`), and
 * the merge reads every input once, checks each rank's range against it and refuses an
 * input edited in place since (same name, same size), naming it, before anything is
 * written; the manifest's input hashes are those of the checked bytes. In-process:
 * exportCommand runs the ranks, mergeCommand the merge.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { exportCommand, type ExportArgs } from '../commands/export';
import { mergeCommand } from '../commands/export/merge';
import type { QaHfError } from '../lib/errors';
import { verifyManifest } from '../lib/io/manifest';
import { listFiles, readJson, recordLines, planFor } from './helpers';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let dir: string;
let plain: string;
let packed: string;

function rankArgs(out: string, rank: number): ExportArgs {
  const args = { inputs: [plain, packed], out, rank: String(rank), worldSize: '2', format: 'jsonl,csv', split: 'train=0.8,test=0.2', failFast: false, dryRun: false, restart: false, quiet: true, maxLineBytes: 1 << 20, preset: 'qa-internal' };
  return args as unknown as ExportArgs;
}

/** Runs both ranks into a fresh folder; returns it. */
async function ranks(name: string): Promise<string> {
  const out = path.join(dir, name);
  for (const rank of [0, 1]) await exportCommand(planFor('export', rankArgs(out, rank)));
  return out;
}

/** Flips one byte of `file` at `at` (its size unchanged), as an edit in place would; returns how to undo it. */
async function flip(file: string, at: number): Promise<() => Promise<void>> {
  const bytes = await fs.readFile(file);
  const edited = Buffer.from(bytes);
  edited[at] ^= 0x01;
  await fs.writeFile(file, edited);
  return () => fs.writeFile(file, bytes);
}

const refusal = (out: string) => mergeCommand(planFor('merge', { dir: out, quiet: true })).then(() => null, (err: QaHfError) => err);

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-merge-inputs-'));
  plain = path.join(dir, 'in', 'a.jsonl');
  packed = path.join(dir, 'in', 'b.jsonl.gz');
  await fs.mkdir(path.dirname(plain));
  await fs.writeFile(plain, `${recordLines(600, 3).join('\n')}\n`);
  await fs.writeFile(packed, gzipSync(`${recordLines(40, 4).join('\n')}\n`));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

test('each rank records the sha256 of the bytes of its share (a compressed input: its whole file)', async () => {
  const out = await ranks('recorded');
  const markers = await Promise.all([0, 1].map((rank) => readJson(path.join(out, `ranks/rank-0000${rank}/rank.json`))));
  const bytes = await fs.readFile(plain);
  const ranges = markers.flatMap((marker) => marker.ranges);
  expect(ranges.map((range: { input: number }) => range.input)).toEqual([0, 0, 1]); // a.jsonl cut between the ranks
  for (const range of ranges.filter((r: { input: number }) => r.input === 0)) expect(range.sha256).toBe(sha256(bytes.subarray(range.start, range.end)));
  expect(ranges[2].sha256).toBe(sha256(await fs.readFile(packed)));
});

test.each([
  ['rank 1\'s share of a.jsonl', 'plain', 1],
  ['rank 0\'s share of a.jsonl', 'plain', 0],
  ['the gzip input', 'packed', null],
] as const)('%s edited in place, size kept: the merge refuses, naming the file; nothing written; undone, it merges and records the bytes exported', async (_name, which, rank) => {
  const out = await ranks(`edited-${which}-${rank}`);
  const file = which === 'plain' ? plain : packed;
  let at = 40;
  let range: { start: number; end: number } | null = null;
  if (rank !== null) {
    range = (await readJson(path.join(out, `ranks/rank-0000${rank}/rank.json`))).ranges[0];
    at = range!.start + 17;
  }
  const undo = await flip(file, at);
  try {
    const refused = await refusal(out);
    const where = range ? ` (bytes ${range.start}–${range.end}, rank ${rank}'s share)` : '';
    expect([refused?.code, refused?.message]).toEqual([
      'ERR_CHECKPOINT_MISMATCH',
      `${file} changed since the ranks read it${where}: the dataset would not hold what the manifest records; rerun every rank with --restart, then merge`,
    ]);
    expect((await listFiles(out)).filter((name) => !name.startsWith('ranks/'))).toEqual([]);
  } finally {
    await undo();
  }
  await mergeCommand(planFor('merge', { dir: out, quiet: true }));
  const manifest = await readJson(path.join(out, 'manifest.json'));
  expect(manifest.inputs.map((input: { sha256: string; bytes: number }) => [input.sha256, input.bytes])).toEqual(
    await Promise.all([plain, packed].map(async (input) => [sha256(await fs.readFile(input)), (await fs.stat(input)).size])),
  );
  expect(await verifyManifest(out, { inputs: true, onSkip: () => undefined })).toEqual([]);
});
