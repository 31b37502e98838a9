/**
 * discover — which files an export reads, in which order.
 *
 * A file argument is taken as is (a FIFO or `/dev/fd/N` too; `-` is standard
 * input); a directory stands for every file below it that matches the glob
 * (default `**\/*.{jsonl,jsonl.gz,jsonl.zst}`), in sorted relative-path order, so
 * the same tree always gives the same order (and so the same output bytes).
 * Symbolic links are followed (lib/walk.ts); a file reached twice through links
 * is read once, under its first path in that order. A link whose target is
 * missing is an error naming it. The output directory is never read as input,
 * even when it lies inside an input directory.
 *
 * An `s3://bucket/prefix/` URL is a directory of objects: every key below it
 * whose rest matches the glob, sorted by key bytes (lib/io/s3.ts listObjects).
 * `s3://bucket/key` names that object when it exists, else the prefix `key/`.
 *
 *   await discoverInputs(['qa/'], { glob: 'runs/**\/qa_*.jsonl', exclude: 'dist/' })
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { QaHfError, inputError } from '../errors';
import { walkFiles } from './walk';
import { isS3Url, objectUrl, parseS3Url, prefixOf } from '../s3-url';
import { headObject, listObjects } from './s3';
// --glob's default (JSON Lines, plain or compressed) is declared with the option.
import { DEFAULT_GLOB } from '../option-table';


export interface DiscoverOptions {
  glob?: string;
  /** A directory whose files are never inputs (the output directory). */
  exclude?: string;
}

export async function discoverInputs(args: readonly string[], options: DiscoverOptions = {}): Promise<string[]> {
  const glob = options.glob ?? DEFAULT_GLOB;
  const isMatch = picomatch(glob, { dot: false });
  const files: string[] = [];
  const seen = new Set<string>();
  const identities = new Set<string>();
  for (const arg of args) {
    if (arg === '-') {
      if (process.stdin.isTTY) throw new QaHfError('ERR_USAGE', 'input - is standard input, which is a terminal here: pipe JSONL into qa-hf (see --help)');
      if (seen.has('-')) throw new QaHfError('ERR_USAGE', 'input is named twice', { file: arg });
      seen.add('-');
      files.push(arg);
      continue;
    }
    if (isS3Url(arg)) {
      for (const url of await discoverObjects(arg, glob, isMatch)) {
        if (seen.has(url)) throw new QaHfError('ERR_USAGE', 'input is named twice', { file: url });
        seen.add(url);
        files.push(url);
      }
      continue;
    }
    let stat;
    try {
      stat = await fs.stat(arg);
    } catch (err) {
      throw inputError(err, arg);
    }
    if (!stat.isDirectory()) {
      const key = path.resolve(arg);
      const identity = `${stat.dev}:${stat.ino}`;
      if (seen.has(key) || identities.has(identity)) throw new QaHfError('ERR_USAGE', 'input is named twice', { file: arg });
      seen.add(key);
      identities.add(identity);
      files.push(arg);
      continue;
    }
    const found = (await walkFiles(arg, { exclude: options.exclude })).filter((entry) => isMatch(entry.relative));
    if (found.length === 0) {
      throw new QaHfError('ERR_INPUT', `no file matches ${glob} in this directory`, { file: arg });
    }
    for (const entry of found) {
      const file = path.join(arg, entry.relative);
      if (entry.broken) throw new QaHfError('ERR_INPUT', 'cannot read input: it is a symbolic link whose target is missing', { file });
      const key = path.resolve(file);
      if (seen.has(key)) throw new QaHfError('ERR_USAGE', 'input is named twice', { file });
      seen.add(key);
      // One file reached through several links is read once.
      const target = await fs.stat(file);
      const identity = `${target.dev}:${target.ino}`;
      if (identities.has(identity)) continue;
      identities.add(identity);
      files.push(file);
    }
  }
  return files;
}

/** The objects an s3:// argument stands for (see the header). */
async function discoverObjects(arg: string, glob: string, isMatch: (relative: string) => boolean): Promise<string[]> {
  const { bucket, key } = parseS3Url(arg);
  if (key !== '' && !key.endsWith('/') && (await headObject(arg))) return [arg];
  const { prefix } = prefixOf(arg);
  const found = (await listObjects(bucket, prefix)).filter((object) => !object.key.endsWith('/') && isMatch(object.key.slice(prefix.length)));
  if (found.length === 0) throw new QaHfError('ERR_INPUT', `no object matches ${glob} under this prefix`, { file: arg });
  return found.map((object) => objectUrl(bucket, object.key));
}
