/**
 * export/publish — `qa-hf export … --out s3://bucket/prefix`: the export runs as a
 * local one into a staging folder (lib/io/s3-export.ts stageDirFor: the same
 * folder for the same URL, so a killed run resumes from its checkpoint there),
 * then the finished folder is uploaded, manifest.json last (publishDir), and the
 * staging folder removed. A run killed during the upload is finished by the next:
 * the export is done again in the staging folder (the same bytes; stats.json's
 * timings aside) and only what differs from the objects already there is uploaded.
 *
 * The credentials and the bucket are checked first: wrong ones cost one line and
 * write nothing, locally or remotely.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { QaHfError } from '../../lib/errors';
import { prefixOf } from '../../lib/s3-url';
import { checkBucket } from '../../lib/io/s3';
import { publishDir, stageDirFor } from '../../lib/io/s3-export';
import { type Counts, count } from '../../lib/tally';
import { type ExportArgs, crashPoint, note } from './files';

/** Runs `exportLocal` into the staging folder of `args.out` (an s3:// URL), then publishes it. */
export async function exportToObjectStore(args: ExportArgs & { out: string }, exportLocal: (args: ExportArgs) => Promise<Counts>): Promise<Counts> {
  const url = args.out;
  const { bucket } = prefixOf(url);
  await checkBucket(bucket, url);
  const stage = stageDirFor(url, args.stageDir);
  // A --fail-on breach comes after every file is written: the dataset is published, then the gate says no.
  let gate: QaHfError | null = null;
  const counts = await exportLocal({ ...args, out: stage, inputBase: args.inputBase ?? process.cwd() }).catch((err: unknown) => {
    if (!(err instanceof QaHfError && err.code === 'ERR_THRESHOLD')) throw err;
    gate = err;
    return null;
  });
  crashPoint('before-upload');
  let first = true;
  const result = await publishDir(stage, url, {
    force: args.force,
    onUploaded: () => {
      if (first) crashPoint('after-first-upload');
      first = false;
    },
  });
  await fs.rm(path.dirname(stage), { recursive: true, force: true });
  const kept = result.kept.length > 0 ? `; ${count(result.kept.length, 'other object')} under the prefix kept` : '';
  note(args, `uploaded to ${url}: ${count(result.uploaded.length, 'object')} (${result.skipped.length} already there), manifest.json last${kept}`);
  if (gate || !counts) throw gate;
  return counts;
}
