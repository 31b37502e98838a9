/**
 * export/publish — `qa-hf export … --out s3://bucket/prefix`: the export runs as a
 * local one into a staging folder (lib/io/s3-export.ts stageDirFor: the same
 * folder for the same URL, so a killed run resumes from its checkpoint there),
 * then the finished folder is uploaded, manifest.json last (publishDir), and the
 * staging folder removed. A run killed during the upload is finished by the next:
 * the export is done again in the staging folder (the same bytes; stats.json's
 * timings aside) and only what differs from the objects already there is uploaded.
 *
 * A rank (`--rank R`, or a scheduler's index) runs in its own staging folder
 * (rankStageDirFor), then uploads its `ranks/rank-RRRRR/` folder, rank.json (its
 * commit marker) last, and removes the folder (rankToObjectStore). A rank whose
 * rank.json is in S3 already is complete: with the same options and inputs a rerun
 * does nothing and says so (the marker is put in the staging folder, where the
 * rank's own check reads it); with others it is refused (--restart redoes it).
 *
 * The credentials and the bucket are checked first: wrong ones cost one line and
 * write nothing, locally or remotely.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AFTER_WRITE_CODES, QaHfError, type RunErrorCode } from '../../lib/errors';
import { type S3Prefix, urlUnder } from '../../lib/s3-url';
import { checkBucket, deleteObject, readObjectText } from '../../lib/io/s3';
import { type ExportRunPlan, stagedExport } from '../../lib/plan';
import { publishDir, publishRank, rankStageDirFor, stageDirFor } from '../../lib/io/s3-export';
import { writeFileAtomic } from '../../lib/io/atomic-file';
import { type RankInfo, rankDirName } from '../../lib/scale/rank';
import { type Counts, count } from '../../lib/tally';
import { crashPoint, note } from './files';
import { RANK_MARKER } from './rank';

/** Runs `exportLocal` with the plan staged in the staging folder of the prefix `at`, then publishes it there. */
export async function exportToObjectStore(plan: ExportRunPlan, at: S3Prefix, exportLocal: (staged: ExportRunPlan) => Promise<Counts>): Promise<Counts> {
  const { args } = plan;
  const url = at.url;
  await checkBucket(at.bucket, url);
  const stage = stageDirFor(at, args.stageDir);
  return publishStaged(stage, at, args.force, () => exportLocal(stagedExport(plan, stage)), (result) => {
    const kept = result.kept.length > 0 ? `; ${count(result.kept.length, 'other object')} under the prefix kept` : '';
    note(args, `uploaded to ${url}: ${count(result.uploaded.length, 'object')} (${result.skipped.length} already there), manifest.json last${kept}`);
  });
}

/**
 * Runs `runLocal` (an export or a merge into the staging folder `stage`), then
 * publishes `stage` to `url` (lib/io/s3-export.ts publishDir, manifest.json last)
 * and removes the staging folder; `done` reports the upload. A --fail-on breach
 * (ERR_THRESHOLD, exit 4) or an input that gave nothing usable (ERR_UNUSABLE_INPUT,
 * exit 5) comes after every file is written: the dataset is published, then the
 * gate says no.
 */
export async function publishStaged<T>(
  stage: string,
  at: S3Prefix,
  force: boolean | undefined,
  runLocal: () => Promise<T>,
  done: (result: Awaited<ReturnType<typeof publishDir>>) => void,
): Promise<T> {
  let gate: QaHfError | null = null;
  const counts = await runLocal().catch((err: unknown) => {
    if (!(err instanceof QaHfError && AFTER_WRITE_CODES.includes(err.code as RunErrorCode))) throw err;
    gate = err;
    return null;
  });
  crashPoint('before-upload');
  let first = true;
  const result = await publishDir(stage, at, {
    force,
    onUploaded: () => {
      if (first) crashPoint('after-first-upload');
      first = false;
    },
  });
  await fs.rm(path.dirname(stage), { recursive: true, force: true });
  done(result);
  if (gate) throw gate;
  return counts as T;
}

/** Runs rank `rank` of an export to the prefix `at` with `exportLocal` in the rank's staging folder, then uploads the rank. */
export async function rankToObjectStore(plan: ExportRunPlan, at: S3Prefix, rank: RankInfo, exportLocal: (staged: ExportRunPlan) => Promise<Counts>): Promise<Counts> {
  const { args } = plan;
  const url = at.url;
  await checkBucket(at.bucket, url);
  const stage = rankStageDirFor(at, rank.rank, args.stageDir);
  const rankDir = rankDirName(rank.rank);
  const localMarker = path.join(stage, rankDir, RANK_MARKER);
  const markerUrl = urlUnder(at, `${rankDir}/${RANK_MARKER}`);
  const staged = stagedExport(plan, stage);
  // --restart: the marker is withdrawn first, so no merge takes the old marker with new entries.
  if (args.restart) await deleteObject(markerUrl);
  const remoteMarker = args.restart ? null : await readObjectText(markerUrl);
  if (remoteMarker !== null) {
    // Complete in S3: the rank's own check compares it with this run (nothing to do, or refused).
    await fs.mkdir(path.dirname(localMarker), { recursive: true });
    await writeFileAtomic(localMarker, remoteMarker, { tempPath: `${localMarker}.tmp` });
    try {
      return await exportLocal(staged);
    } finally {
      await fs.rm(path.dirname(stage), { recursive: true, force: true });
    }
  }
  // Complete here but not in S3 (killed during the upload): the marker goes and the rank is done again (the same bytes).
  await fs.rm(localMarker, { force: true });
  const counts = await exportLocal(staged);
  crashPoint('before-upload');
  let first = true;
  const result = await publishRank(stage, rankDir, at, RANK_MARKER, {
    onUploaded: () => {
      if (first) crashPoint('after-first-upload');
      first = false;
    },
  });
  await fs.rm(path.dirname(stage), { recursive: true, force: true });
  note(args, `uploaded rank ${rank.rank} to ${url.replace(/\/+$/, '')}/${rankDir}: ${count(result.uploaded.length, 'object')} (${result.skipped.length} already there), ${RANK_MARKER} last`);
  return counts;
}
