/**
 * export/merge — `qa-hf merge DIR`: assembles the export the ranks in DIR/ranks/
 * (export/rank.ts) processed, as one run would have written it.
 *
 * Checks that every rank 0…N−1 is complete (its rank.json) with the same options,
 * inputs and tool version (lib/scale/rank.ts planMerge: else one line naming the missing
 * or mismatched ranks, exit 1), then runs the export the ranks recorded with their
 * processed lines as its source (streams/rank-replay.ts), in rank order, which is
 * input order: the router (splits, min-score, the quality rules: duplicates are
 * decided here, in global input order, as in a single run), the dataset writers,
 * the checkpoints, stats, report, card and manifest are the single run's own
 * (export/session.ts). So every output holds the same rows in the same order, the
 * text formats are byte-identical, the dead letter names each bad line's file, line
 * and offset as a single run does, and a killed merge resumes like an export.
 * The merge reads the inputs only to hash them: they must be at the same paths as
 * the ranks read them, with the bytes the ranks read (checked before anything is
 * written; see checkInputBytes). Relative input paths are the ranks' (their working
 * directory is recorded in rank.json): a merge run elsewhere opens them from there
 * (ExportArgs.inputCwd, no process.chdir) and names them as the ranks did, so the
 * input names (in qa_errors.jsonl, stats.json, the report) are the ones a single run
 * there writes.
 *
 * `qa-hf merge s3://bucket/prefix` (ranks run with that --out): lists
 * `PREFIX/ranks/`, checks the markers as above (nothing written when they fail),
 * downloads the ranks' folders into the export's staging folder (lib/io/s3-export.ts
 * stageDirFor; a killed merge resumes there), merges there and publishes the
 * dataset under the prefix, manifest.json last (publishDir). The ranks' objects
 * stay, as a local merge keeps ranks/. With only s3:// inputs the merge needs no
 * working directory of the ranks' (their `cwd` only names local inputs).
 *
 *   await mergeCommand(planRun('merge', { dir: 'dist' }, null, env, files));
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { QaHfError, toQaHfError } from '../../lib/errors';
import { type InputBytesNow, type MergeInput, type RankMarker, RANKS_DIR, inputBytesChange, missingRanks, planMerge, rankDirName, segmentCuts } from '../../lib/scale/rank';
import { type Counts, count } from '../../lib/tally';
import { inputName } from '../../streams/file-source';
import { createRankReplay } from '../../streams/rank-replay';
import { type MergeRunPlan, planRankedExport, stagedMerge } from '../../lib/plan';
import { runExport } from './index';
import { RANK_ENTRIES, RANK_MARKER, inputsFingerprint, parseRankMarker, readRankMarker } from './rank';
import { type InputInfo, describeInputs, inputPath } from '../../lib/io/inputs';
import { hashRanges, sha256File } from '../../lib/io/fingerprint';
import { type S3Prefix, isS3Url, urlUnder } from '../../lib/s3-url';
import { checkBucket, headObject, sha256Object } from '../../lib/io/s3';
import { MANIFEST_FILE } from '../../lib/io/manifest';
import { downloadRank, listRanks, stageDirFor } from '../../lib/io/s3-export';
import { publishStaged } from './publish';
import { note } from './files';

/** The completed ranks' markers in DIR/ranks, by rank. */
async function findRanks(dir: string): Promise<Map<number, RankMarker>> {
  const ranksDir = path.join(dir, RANKS_DIR);
  let names: string[];
  try {
    names = await fs.readdir(ranksDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new QaHfError('ERR_INPUT', `no ${RANKS_DIR} folder in ${dir}: run the ranks first (qa-hf export … --out ${dir} --rank R --world-size N)`);
    throw toQaHfError(err);
  }
  const found = new Map<number, RankMarker>();
  for (const name of names.filter((entry) => /^rank-\d{5,}$/.test(entry)).sort()) {
    const marker = await readRankMarker(path.join(ranksDir, name));
    if (marker && path.posix.basename(rankDirName(marker.rank)) === name) found.set(marker.rank, marker);
    else if (await fs.stat(path.join(ranksDir, name, RANK_MARKER)).then(() => true, () => false)) {
      // There, but no marker of this rank (damaged, cut, or copied from another): not "missing".
      throw new QaHfError('ERR_INPUT', `${path.join(ranksDir, name, RANK_MARKER)} is not this rank's completion marker (damaged or from another rank): rerun that rank with --restart, then merge`);
    }
  }
  return found;
}

/** `--merge` before every rank is complete: says which are not; true when the merge must wait. */
function notYet(plan: MergeRunPlan, dir: string, found: ReadonlyMap<number, RankMarker>): boolean {
  const missing = missingRanks(found);
  if (!plan.whenComplete || missing === null || missing.length === 0) return false;
  const named = missing.length > 10 ? `${missing.slice(0, 10).join(', ')}, …` : missing.join(', ');
  if (!plan.quiet) process.stderr.write(`qa-hf: --merge: ${missing.length === 1 ? 'rank' : 'ranks'} ${named} not complete yet; the last rank to finish merges (or run qa-hf merge ${dir})\n`);
  return true;
}

/** `qa-hf merge s3://…`: the ranks under PREFIX/ranks/ checked, downloaded, merged in the staging folder, published (see the header). */
async function mergeObjectStore(plan: MergeRunPlan, at: S3Prefix): Promise<Counts | null> {
  const url = at.url;
  const where = `${url.replace(/\/+$/, '')}/${RANKS_DIR}`;
  await checkBucket(at.bucket, url);
  const listed = await listRanks(at, RANK_MARKER);
  if (listed === null) throw new QaHfError('ERR_INPUT', `no ${RANKS_DIR}/ under ${url}: run the ranks first (qa-hf export … --out ${url} --rank R --world-size N)`);
  const found = new Map<number, RankMarker>();
  for (const rank of listed) {
    const marker = rank.marker === null ? null : parseRankMarker(rank.marker);
    if (marker && path.posix.basename(rankDirName(marker.rank)) === rank.name) found.set(marker.rank, marker);
  }
  if (notYet(plan, url, found)) return null;
  planMerge(found, where);
  const first = found.get(0)!;
  // As an export to S3 with --version: a finished version is never overwritten.
  if (typeof first.args.version === 'string' && (await headObject(urlUnder(at, MANIFEST_FILE))) !== null) {
    throw new QaHfError('ERR_USAGE', `version ${first.args.version} is already complete in ${url} (its manifest.json): a finished version is never overwritten; choose another --version`);
  }
  const stage = stageDirFor(at, typeof first.args.stageDir === 'string' ? first.args.stageDir : undefined);
  // A killed merge's rank folders are reused; one of no rank listed now (an older world size) would be merged too: it goes.
  const names = new Set([...found.keys()].map((rank) => path.posix.basename(rankDirName(rank))));
  const staged = await fs.readdir(path.join(stage, RANKS_DIR)).catch(() => [] as string[]);
  for (const name of staged) if (!names.has(name)) await fs.rm(path.join(stage, RANKS_DIR, name), { recursive: true, force: true });
  let downloaded = 0;
  for (const rank of listed) if (found.has(Number(rank.name.slice('rank-'.length)))) downloaded += await downloadRank(at, rank, stage, RANK_MARKER);
  note(plan, `downloaded ${count(downloaded, 'object')} of ${count(found.size, 'rank')} from ${where} to ${stage}`);
  return publishStaged(stage, at, first.args.force === true, () => mergeLocal(stagedMerge(plan, stage), stage), (result) =>
    note(plan, `uploaded to ${url}: ${count(result.uploaded.length, 'object')} (${result.skipped.length} already there), manifest.json last; the ranks' objects under ${where} kept`),
  );
}

/**
 * The merge exports what the ranks read, and manifest.json must record the sha256 of
 * exactly those bytes. An input edited in place since (same name, same size) would
 * otherwise be hashed whole into the manifest while the dataset holds the old text,
 * and verify would pass. So every input is checked against what its ranks recorded
 * (lib/scale/rank.ts inputBytesChange), and refused, named, when it differs.
 *
 * Why the merge reads each input once more instead of making the whole-file sha256
 * from the ranks' hashes: SHA-256 cannot be composed from the hashes of its pieces
 * (each block is chained onto the state of all bytes before it), and a rank cannot
 * hand over that state without reading every byte before its share, which is what
 * ranks exist to avoid. A tree of range hashes would compose, but the manifest's
 * sha256 is the one `sha256sum` and verify compute. So the merge reads each local
 * input once, front to back (lib/io/fingerprint.ts hashRanges), hashing in the same
 * pass the whole file and each rank's byte range, compares the ranges with the ranks'
 * sha256, and only then takes the whole-file hash for the manifest: it is of bytes
 * equal to those the ranks read and exported. That one read is the read the manifest's
 * hash cost before (finalize hashed the inputs at the end), now made before anything
 * is written. An S3 object: its ETag must be the one every rank read (S3 replaces an
 * object whole, so the same ETag is the same bytes), and its sha256 is read under
 * that ETag (a GET with If-Match fails if it changed since).
 *
 * Returns the sha256 and size of every input by name, for the manifest.
 */
async function checkInputBytes(files: readonly string[], opened: readonly string[], inputs: readonly MergeInput[], infos: readonly InputInfo[]): Promise<Map<string, { sha256: string; bytes: number }>> {
  const digests = new Map<string, { sha256: string; bytes: number }>();
  for (const [i, file] of files.entries()) {
    const info = infos[i];
    let now: InputBytesNow;
    let digest: { sha256: string; bytes: number } | null = null;
    if (isS3Url(file)) now = { etag: info.etag ?? '' };
    else {
      const read = await hashRanges(opened[i], segmentCuts(inputs[i], info.compressed, info.size));
      // The whole-file hash must cover exactly the bytes the ranges cover: a file that grew while it was read, or ranges short of its end, are no such file.
      if (read.bytes !== info.size || (!info.compressed && inputs[i].end !== read.bytes)) {
        throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${file} changed since the ranks read it (it has ${read.bytes} bytes, the ranks read ${info.compressed ? info.size : inputs[i].end}): rerun every rank with --restart, then merge`);
      }
      now = { segments: read.ranges };
      digest = { sha256: read.sha256, bytes: read.bytes };
    }
    const change = inputBytesChange(file, inputs[i], now);
    if (change !== null) throw new QaHfError('ERR_CHECKPOINT_MISMATCH', change);
    if (digest === null) {
      const object = await sha256Object(file, { etag: info.etag, size: info.size });
      digest = { sha256: object.sha256, bytes: object.bytes };
    }
    digests.set(inputName(file), digest);
  }
  return digests;
}

/** `qa-hf merge DIR` (or export --merge): the ranks of the plan's folder, or prefix, merged into its dataset. */
export async function mergeCommand(plan: MergeRunPlan): Promise<Counts | null> {
  return plan.target.kind === 's3' ? mergeObjectStore(plan, plan.target.at) : mergeLocal(plan, plan.target.dir);
}

/** The merge of the ranks in the local folder `named` (DIR, or the staging folder of a merge on S3). */
async function mergeLocal(plan: MergeRunPlan, named: string): Promise<Counts | null> {
  const found = await findRanks(named);
  if (notYet(plan, named, found)) return null;
  const inputs = planMerge(found, path.join(named, RANKS_DIR));
  const first = found.get(0)!;
  const dir = named;
  // Only local inputs are named relative to the ranks' working directory (s3:// ones need none): a
  // merge run elsewhere opens them from there (the export's inputCwd), and names them as the ranks did.
  let cwd: string | undefined;
  if (path.resolve(first.cwd) !== process.cwd() && first.inputs.some((input) => !isS3Url(input))) {
    const there = await fs.stat(first.cwd).then((stat) => stat.isDirectory(), () => false);
    if (!there) throw new QaHfError('ERR_INPUT', `the ranks ran in ${first.cwd}, which is not a folder here: run the merge where the inputs are at the paths the ranks read`);
    cwd = path.resolve(first.cwd);
  }
  const opened = first.inputs.map((file) => inputPath(file, cwd));
  // The inputs must still be what the ranks read (names and sizes, as a rank's resume checks): an
  // input grown since would be hashed whole into the manifest while its new lines are in no output.
  // Named as the ranks named them: relative to their --out, or to their working directory with an --out s3://.
  const recorded = first.args as { inputBase?: unknown };
  const base = typeof recorded.inputBase === 'string' ? path.resolve(cwd ?? '', recorded.inputBase) : dir;
  const infos = await describeInputs(first.inputs, cwd);
  if (inputsFingerprint(base, opened, infos) !== first.inputs_fingerprint) {
    throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `the inputs changed since the ranks of ${dir} ran (a name or a size differs): rerun every rank with --restart, then merge`);
  }
  // Every rank's intermediate is what its rank.json vouches for (a changed byte would be merged into the outputs unseen).
  for (const [rank, marker] of found) {
    if (marker.entries_sha256 === undefined) continue;
    const file = path.join(dir, rankDirName(rank), RANK_ENTRIES);
    const actual = await sha256File(file).catch(() => null);
    if (actual === null || actual.sha256 !== marker.entries_sha256 || actual.bytes !== marker.entries_size) {
      const what = actual === null ? 'is missing' : actual.bytes !== marker.entries_size ? `has ${actual.bytes} bytes, its rank.json says ${marker.entries_size}` : 'differs from its rank.json (sha256)';
      throw new QaHfError('ERR_INPUT', `${path.join(dir, rankDirName(rank), RANK_ENTRIES)} ${what}: rerun rank ${rank} with --restart, then merge`);
    }
  }
  // … and the bytes the ranks read: their sha256 (an object's ETag) against the inputs now, one read; the manifest's hashes come from it.
  const digests = await checkInputBytes(first.inputs, opened, inputs, infos);
  if (!plan.quiet) process.stderr.write(`qa-hf: merging ${found.size} ${found.size === 1 ? 'rank' : 'ranks'} of ${dir}\n`);
  const replayInputs = inputs.map((input, i) => ({
    ...input,
    file: inputName(first.inputs[i]),
    entriesFile: (rank: number) => path.join(dir, rankDirName(rank), RANK_ENTRIES),
  }));
  // DIR is the version's folder already (the ranks ran in OUT/vVERSION/): the export adds none (planRankedExport).
  const exportPlan = planRankedExport(first.args, first.inputs, dir, plan, { presets: {} }, cwd);
  return runExport(exportPlan, {}, { inputs: first.inputs, replay: { source: (position) => createRankReplay(replayInputs, position), digests } });
}
