/**
 * Ranks and merge over S3 (a real S3 server: test/s3-server.ts): 3 ranks reading
 * s3:// inputs with `--out s3://…` as parallel processes (one SIGKILLed right after
 * its first upload, before its rank.json), `qa-hf merge s3://…` refusing the
 * missing rank, a rerun of a complete rank doing nothing (and one with other options
 * refused; one redone with them by --restart is a mismatch the merge refuses), the
 * killed rank rerun with `--merge`, then `qa-hf merge` again: the
 * objects equal a single-machine export of the same inputs in the Hub layout with
 * `--dedup exact` byte for byte (Parquet too; stats.json but for timings), `verify s3://`
 * passes with the ranks' objects still under `ranks/`.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { headObject, listObjects, objectChunks, uploadFile } from '../lib/io/s3';
import { rankStageDirFor, stageDirFor } from '../lib/io/s3-export';
import { parseS3Prefix } from '../lib/s3-url';
import { spawnCliWithoutScheduler, listFiles, readJson, recordLines, statsWithoutRun } from './helpers';
import { type S3Server, startS3Server } from './s3-server';

const BUCKET = 'qa-ranks';
const OPTIONS = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--dedup', 'exact'];
const OUT = `s3://${BUCKET}/out/ds`;
const INPUT = `s3://${BUCKET}/in/`;

let server: S3Server;
let root: string;

/** The CLI in `root`, without a scheduler's variables of the machine running the tests. */
function cli(args: string[], env: Record<string, string> = {}) {
  return spawnCliWithoutScheduler(root, args, env).done;
}

const rankArgs = (rank: number) => ['export', INPUT, '--out', OUT, ...OPTIONS, '--rank', String(rank), '--world-size', '3'];

async function objectKeys(prefix: string): Promise<string[]> {
  return (await listObjects(BUCKET, prefix)).map((object) => object.key.slice(prefix.length));
}

/** An object's bytes ('<missing>' when there is none). */
async function objectBytes(key: string): Promise<Buffer> {
  const head = await headObject(`s3://${BUCKET}/${key}`);
  if (!head) return Buffer.from('<missing>');
  const chunks: Buffer[] = [];
  for await (const chunk of objectChunks(`s3://${BUCKET}/${key}`, { from: 0, size: head.size })) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A dirty corpus: one big file cut across the ranks (blank lines, bad JSON, invalid records, duplicates), CRLF, an empty and a gzip file. */
async function writeCorpus(dir: string): Promise<void> {
  // 1 200 records (~0.5 MB): a share of the big file for each rank (the killed rank dies after an upload, not at a checkpoint).
  const records = recordLines(1200, 21);
  const big: string[] = [];
  records.forEach((line, i) => {
    big.push(line);
    if (i % 97 === 0) big.push('');
    if (i % 89 === 0) big.push('{"question": "trasig');
    if (i % 83 === 0) big.push('{"question":"Utan svar?"}');
    if (i % 61 === 0) big.push(records[Math.floor(i / 2)]);
  });
  const files: Record<string, Buffer> = {
    'a.jsonl': Buffer.from(`${big.join('\n')}\n`),
    'b.jsonl': Buffer.from(`${recordLines(40, 22).join('\r\n')}\r\n\r\n[1,2]\r\n${records[5]}`),
    'c.jsonl': Buffer.alloc(0),
    'd.jsonl.gz': gzipSync(`${recordLines(60, 23).join('\n')}\n{bad\n${records[7]}\n`),
  };
  await fs.mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) {
    await fs.writeFile(path.join(dir, name), bytes);
    await uploadFile(path.join(dir, name), `${INPUT}${name}`, {});
  }
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-s3-ranks-'));
  server = await startS3Server(path.join(root, 'server'), [BUCKET]);
  await writeCorpus(path.join(root, 'in'));
});

afterAll(async () => {
  for (const stage of [stageDirFor(parseS3Prefix(OUT)), ...[0, 1, 2].map((rank) => rankStageDirFor(parseS3Prefix(OUT), rank))]) await fs.rm(path.dirname(stage), { recursive: true, force: true });
  await server?.close();
  await fs.rm(root, { recursive: true, force: true });
});

test('3 ranks over S3 (one killed mid-upload, rerun with --merge), merged from S3: the objects of a single-machine export, verify passes', async () => {
  // The single-machine export of the same inputs, in a folder named as the prefix (the card's title).
  const singleRun = cli(['export', INPUT, '--out', 'single/ds', ...OPTIONS, '-q']);
  // Rank 1 is SIGKILLed after its first object (entries.jsonl), before its rank.json.
  const ranks = await Promise.all([cli(rankArgs(0)), cli(rankArgs(1), { QA_HF_CRASH_AT: 'after-first-upload' }), cli(rankArgs(2))]);
  expect((await singleRun).code).toBe(0);
  expect([ranks[1].signal, ranks[1].stderr]).toEqual(['SIGKILL', expect.stringMatching(/processed .*; run qa-hf merge s3:\/\/qa-ranks\/out\/ds once every rank is complete\n$/)]);
  for (const rank of [0, 2]) {
    expect(ranks[rank].code).toBe(0);
    expect(ranks[rank].stderr).toContain(`qa-hf: rank ${rank} of 3 (from --rank ${rank} --world-size 3): writing ${OUT}/ranks/rank-0000${rank} (staged in `);
    expect(ranks[rank].stderr).toMatch(new RegExp(`qa-hf: uploaded rank ${rank} to s3://qa-ranks/out/ds/ranks/rank-0000${rank}: 2 objects \\(0 already there\\), rank\\.json last\\n$`));
    // The rank's staging folder goes once its rank.json is up.
    await expect(fs.stat(path.dirname(rankStageDirFor(parseS3Prefix(OUT), rank)))).rejects.toMatchObject({ code: 'ENOENT' });
  }
  expect(await objectKeys('out/ds/')).toEqual(['ranks/rank-00000/entries.jsonl', 'ranks/rank-00000/rank.json', 'ranks/rank-00001/entries.jsonl', 'ranks/rank-00002/entries.jsonl', 'ranks/rank-00002/rank.json']);

  // The merge names the missing rank in one line and writes nothing, locally or remotely.
  const early = await cli(['merge', OUT]);
  expect([early.code, early.stderr]).toEqual([1, `qa-hf: ERR_INPUT: rank 1 of 3 is not complete in ${OUT}/ranks (no rank.json): run it, then merge again\n`]);
  expect((await objectKeys('out/ds/')).filter((key) => !key.startsWith('ranks/'))).toEqual([]);
  await expect(fs.stat(path.dirname(stageDirFor(parseS3Prefix(OUT))))).rejects.toMatchObject({ code: 'ENOENT' });

  // A rerun of a complete rank does nothing and says so (its objects untouched); its --merge waits for rank 1.
  const before = await headObject(`${OUT}/ranks/rank-00000/entries.jsonl`);
  const again = await cli([...rankArgs(0), '--merge']);
  expect([again.code, again.stderr]).toEqual([
    0,
    `qa-hf: rank 0 of 3 (from --rank 0 --world-size 3): already complete in ${OUT}/ranks/rank-00000; nothing to do\n` +
      `qa-hf: --merge: rank 1 not complete yet; the last rank to finish merges (or run qa-hf merge ${OUT})\n`,
  ]);
  expect(await headObject(`${OUT}/ranks/rank-00000/entries.jsonl`)).toEqual(before);
  await expect(fs.stat(path.dirname(rankStageDirFor(parseS3Prefix(OUT), 0)))).rejects.toMatchObject({ code: 'ENOENT' });

  // A rerun with other options is refused in one line, the rank's objects untouched.
  const other = await cli([...rankArgs(2), '--seed', '7']);
  expect([other.code, other.stderr]).toEqual([1, `qa-hf: ERR_CHECKPOINT_MISMATCH: ${OUT}/ranks/rank-00002 holds a rank completed with other options, inputs or tool version; run with --restart to redo it\n`]);
  await expect(fs.stat(path.dirname(rankStageDirFor(parseS3Prefix(OUT), 2)))).rejects.toMatchObject({ code: 'ENOENT' });

  // The killed rank, run again with --merge, completes (its entries.jsonl is already there with the same bytes), then merges.
  const rerun = await cli([...rankArgs(1), '--merge']);
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toMatch(/\nqa-hf: uploaded rank 1 to s3:\/\/qa-ranks\/out\/ds\/ranks\/rank-00001: 1 object \(1 already there\), rank\.json last\nqa-hf: downloaded 6 objects of 3 ranks /);
  expect(rerun.stderr).toMatch(/manifest\.json last; the ranks' objects under s3:\/\/qa-ranks\/out\/ds\/ranks kept\n$/);
  expect(await headObject(`${OUT}/manifest.json`)).not.toBeNull();
  const markers = await Promise.all([0, 1, 2].map(async (rank) => JSON.parse((await objectBytes(`out/ds/ranks/rank-0000${rank}/rank.json`)).toString())));
  expect(markers.map((marker) => [marker.rank, marker.world_size])).toEqual([[0, 3], [1, 3], [2, 3]]);
  expect(markers.every((marker) => marker.ranges.some((range: { input: number }) => range.input === 0))).toBe(true); // a.jsonl cut across all three

  // `qa-hf merge` over a merged prefix: the same dataset again.
  const merged = await cli(['merge', OUT]);
  expect(merged.code).toBe(0);
  expect(merged.stderr).toMatch(/qa-hf: downloaded 6 objects of 3 ranks from s3:\/\/qa-ranks\/out\/ds\/ranks to /);
  expect(merged.stderr).toMatch(/manifest\.json last; the ranks' objects under s3:\/\/qa-ranks\/out\/ds\/ranks kept\n$/);
  await expect(fs.stat(path.dirname(stageDirFor(parseS3Prefix(OUT))))).rejects.toMatchObject({ code: 'ENOENT' });

  // Every object (the ranks' apart, which stay) is the single export's file, byte for byte; stats.json but for its timings.
  const single = path.join(root, 'single/ds');
  const files = await listFiles(single);
  expect(files).toEqual(expect.arrayContaining(['README.md', 'jsonl/train-00000-of-00001.jsonl', 'parquet/test-00000-of-00001.parquet', 'qa_errors.jsonl']));
  const keys = await objectKeys('out/ds/');
  expect(keys.filter((key) => !key.startsWith('ranks/'))).toEqual(files);
  expect(keys.filter((key) => key.startsWith('ranks/'))).toHaveLength(6);
  const differ: string[] = [];
  for (const file of files.filter((name) => !['manifest.json', 'stats.json'].includes(name))) {
    if (!(await objectBytes(`out/ds/${file}`)).equals(await fs.readFile(path.join(single, file)))) differ.push(file);
  }
  expect(differ).toEqual([]);
  const stats = JSON.parse((await objectBytes('out/ds/stats.json')).toString());
  delete stats.run;
  expect(stats).toEqual(await statsWithoutRun(single));
  expect(stats.counts.blank).toBeGreaterThan(10);
  expect(stats.quality.duplicates.exact.records).toBeGreaterThan(15);
  const manifest = JSON.parse((await objectBytes('out/ds/manifest.json')).toString());
  const singleManifest = await readJson(path.join(single, 'manifest.json'));
  expect([manifest.options_hash, manifest.inputs]).toEqual([singleManifest.options_hash, singleManifest.inputs]);
  const errors = (await objectBytes('out/ds/qa_errors.jsonl')).toString().split('\n').filter(Boolean).map((line) => JSON.parse(line));
  // Numbered in the whole object (~1 270 lines), not a rank's range (~420 lines each).
  expect(errors.some((error) => error.file === `${INPUT}a.jsonl` && error.line > 900)).toBe(true);

  const verified = await cli(['verify', OUT]);
  expect([verified.code, verified.stderr]).toEqual([0, `qa-hf: ${OUT}: every file matches manifest.json\n`]);

  // A rank redone with other options (--restart): the merge refuses the mismatch in one line and changes nothing.
  const redone = await cli([...rankArgs(2), '--seed', '7', '--restart', '-q']);
  expect([redone.code, redone.stderr]).toEqual([0, '']);
  expect(JSON.parse((await objectBytes('out/ds/ranks/rank-00002/rank.json')).toString()).options_hash).not.toBe(markers[2].options_hash);
  const manifestBefore = await headObject(`${OUT}/manifest.json`);
  const mismatched = await cli(['merge', OUT]);
  expect([mismatched.code, mismatched.stderr]).toEqual([1, `qa-hf: ERR_INPUT: ranks in ${OUT}/ranks do not belong to one export: rank 2 (other options), against rank 0; rerun those ranks with the same command and --restart\n`]);
  expect(await headObject(`${OUT}/manifest.json`)).toEqual(manifestBefore);
});

test('--version with ranks over S3: the ranks and the dataset under PREFIX/vVERSION/, --merge finds them there; a finished version is not merged over', async () => {
  const out = `s3://${BUCKET}/vers`;
  const args = ['export', `${INPUT}b.jsonl`, '--out', out, '--version', '1.0.0', '--rank', '0', '--world-size', '1', '-q'];
  const done = await cli([...args, '--merge']);
  expect([done.code, done.stderr]).toEqual([0, '']);
  const keys = await objectKeys('vers/');
  expect(keys.filter((key) => key.startsWith('v1.0.0/ranks/'))).toEqual(['v1.0.0/ranks/rank-00000/entries.jsonl', 'v1.0.0/ranks/rank-00000/rank.json']);
  expect(keys).toEqual(expect.arrayContaining(['v1.0.0/manifest.json', 'v1.0.0/qa_pairs.jsonl']));
  expect(keys.filter((key) => !key.startsWith('v1.0.0/') || key.startsWith('v1.0.0/v1.0.0/'))).toEqual([]);
  expect(JSON.parse((await objectBytes('vers/v1.0.0/manifest.json')).toString()).options.version).toBe('1.0.0');
  const verified = await cli(['verify', `${out}/v1.0.0`]);
  expect([verified.code, verified.stderr]).toEqual([0, `qa-hf: ${out}/v1.0.0: every file matches manifest.json\n`]);
  const again = await cli(['merge', `${out}/v1.0.0`]);
  expect([again.code, again.stderr]).toEqual([2, `qa-hf: ERR_USAGE: version 1.0.0 is already complete in ${out}/v1.0.0 (its manifest.json): a finished version is never overwritten; choose another --version\n`]);
});
