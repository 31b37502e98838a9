/**
 * io/shares — the file side of a rank's share (lib/scale/shares.ts decides): the sizes
 * of the inputs and the line starts near the cuts, read from the files (an s3://
 * object by a ranged GET that stops at the first newline).
 *
 *   const ranges = await rankShares(inputs, infos, 3, 1); // rank 1 of 3
 */
import { promises as fs } from 'node:fs';
import { inputError } from '../errors';
import { isS3Url } from '../s3-url';
import { objectChunks } from './s3';
import { type LineStartQuery, type ShareFile, type ShareRange, lineStartQueries, queryKey, shareRanges } from '../scale/shares';
import type { InputInfo } from './inputs';

/** Read size of the search for the next newline: a line longer than this takes several reads. */
const SCAN_BYTES = 64 << 10;
const NEWLINE = 0x0a;

/** The first line start at or after `from` (0 < from): just past the first newline at or after `from − 1`; `size` when none. */
export async function lineStartAtOrAfter(file: string, from: number, size: number): Promise<number> {
  if (isS3Url(file)) return objectLineStartAtOrAfter(file, from, size);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    throw inputError(err, file);
  }
  try {
    const buffer = Buffer.allocUnsafe(SCAN_BYTES);
    for (let at = from - 1; at < size; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(SCAN_BYTES, size - at), at);
      if (bytesRead === 0) break;
      const found = buffer.subarray(0, bytesRead).indexOf(NEWLINE);
      if (found >= 0) return Math.min(at + found + 1, size);
      at += bytesRead;
    }
    return size;
  } catch (err) {
    throw inputError(err, file);
  } finally {
    await handle.close();
  }
}

/** lineStartAtOrAfter of an s3:// object: one ranged GET from `from − 1`, read only until the first newline. */
async function objectLineStartAtOrAfter(url: string, from: number, size: number): Promise<number> {
  let at = from - 1;
  for await (const chunk of objectChunks(url, { from: at, size })) {
    const found = chunk.indexOf(NEWLINE);
    if (found >= 0) return Math.min(at + found + 1, size);
    at += chunk.length;
  }
  return size;
}

/** The ranges of rank `rank` of `worldSize` over `inputs` (sorted, as export discovers them). */
export async function rankShares(inputs: readonly string[], infos: readonly InputInfo[], worldSize: number, rank: number): Promise<ShareRange[]> {
  const files: ShareFile[] = infos.map((info) => ({ size: info.size, compressed: info.compressed }));
  const starts = new Map<string, number>();
  const queries: LineStartQuery[] = lineStartQueries(files, worldSize, [rank, rank + 1]);
  for (const query of queries) starts.set(queryKey(query), await lineStartAtOrAfter(inputs[query.input], query.from, files[query.input].size));
  return shareRanges(files, worldSize, rank, starts);
}
