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
 * even when it lies inside an input directory; nor is any folder below an input
 * directory that holds a qa-hf export (an earlier one's manifest.json, an
 * interrupted one's checkpoint, a rank: lib/io/walk.ts `skipExports`), so
 * `export . --out dist2` after `export . --out dist` does not read dist/ again.
 * Those folders are handed to `onSkippedExports` once, for the command to say so.
 * A file named explicitly is read wherever it lies.
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
import { headObject, listObjects, readObjectText } from './s3';
import { EXPORT_MARKERS, isExportMarker } from '../dataset/out-dir';
// --glob's default (JSON Lines, plain or compressed) is declared with the option.
import { DEFAULT_GLOB } from '../option-table';


export interface DiscoverOptions {
  glob?: string;
  /** A directory whose files are never inputs (the output directory). */
  exclude?: string;
  /** Called once, when folders holding a qa-hf export were skipped: their paths as found (`qa/dist`). */
  onSkippedExports?: (folders: readonly SkippedExport[]) => void;
}

/** A folder directory search did not enter: it holds a qa-hf export. */
export interface SkippedExport {
  folder: string;
  /** The marker file that tells (`manifest.json`, `.qa-hf-checkpoint.json`, `rank.json`, …). */
  marker: string;
}

export async function discoverInputs(args: readonly string[], options: DiscoverOptions = {}): Promise<string[]> {
  const glob = options.glob ?? DEFAULT_GLOB;
  const isMatch = picomatch(glob, { dot: false });
  const files: string[] = [];
  /** Each file found so far (resolved path, or URL) and the argument that named it. */
  const seen = new Map<string, string>();
  const identities = new Set<string>();
  const skipped: SkippedExport[] = [];
  for (const arg of args) {
    if (arg === '-') {
      if (process.stdin.isTTY) throw new QaHfError('ERR_USAGE', 'input - is standard input, which is a terminal here: pipe JSONL into qa-hf (see --help)');
      if (seen.has('-')) throw new QaHfError('ERR_USAGE', 'input is named twice', { file: arg });
      seen.set('-', arg);
      files.push(arg);
      continue;
    }
    if (isS3Url(arg)) {
      for (const url of await discoverObjects(arg, glob, isMatch, skipped)) {
        if (seen.has(url)) throw namedTwice(arg, url, seen.get(url)!);
        seen.set(url, arg);
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
      if (seen.has(key)) throw namedTwice(arg, arg, seen.get(key)!);
      if (identities.has(identity)) throw new QaHfError('ERR_USAGE', 'input is named twice', { file: arg });
      seen.set(key, arg);
      identities.add(identity);
      files.push(arg);
      continue;
    }
    const walked = await walkFiles(arg, { exclude: options.exclude, skipExports: true });
    const exports = walked.filter((entry) => entry.export !== undefined).map((entry) => ({ folder: path.join(arg, entry.relative), marker: entry.export! }));
    skipped.push(...exports);
    const found = walked.filter((entry) => entry.export === undefined && isMatch(entry.relative));
    if (found.length === 0) {
      const besides = exports.length === 0 ? '' : ` outside the qa-hf exports it holds (${exports.map((skip) => skip.folder).join(', ')})`;
      throw new QaHfError('ERR_INPUT', `no file matches ${glob} in this directory${besides}`, { file: arg });
    }
    for (const entry of found) {
      const file = path.join(arg, entry.relative);
      if (entry.broken) throw new QaHfError('ERR_INPUT', 'cannot read input: it is a symbolic link whose target is missing', { file });
      const key = path.resolve(file);
      if (seen.has(key)) throw namedTwice(arg, file, seen.get(key)!);
      seen.set(key, arg);
      // One file reached through several links is read once.
      const target = await fs.stat(file);
      const identity = `${target.dev}:${target.ino}`;
      if (identities.has(identity)) continue;
      identities.add(identity);
      files.push(file);
    }
  }
  if (skipped.length > 0) options.onSkippedExports?.(skipped);
  return files;
}

/** A file named twice, said by the arguments as typed: a folder named twice is named, not a file in it. */
function namedTwice(arg: string, file: string, before: string): QaHfError {
  if (file === arg && before === arg) return new QaHfError('ERR_USAGE', 'input is named twice', { file: arg });
  if (arg === before) return new QaHfError('ERR_USAGE', 'input folder is named twice', { file: arg });
  if (file === arg) return new QaHfError('ERR_USAGE', `input is named twice: ${before}, named before it, holds it too`, { file: arg });
  return new QaHfError('ERR_USAGE', `input is named twice: ${file} in it was named before (${before})`, { file: arg });
}

/** How many skipped folders the note names. */
const NAMED_FOLDERS = 3;

/** The one line that says which folders were skipped: `skipped qa/dist (a qa-hf export: its manifest.json); …`. */
export function skippedExportsNote(skipped: readonly SkippedExport[]): string {
  const named = skipped.slice(0, NAMED_FOLDERS).map(({ folder, marker }) => `${folder} (${marker})`).join(', ');
  const more = skipped.length > NAMED_FOLDERS ? ` and ${skipped.length - NAMED_FOLDERS} more` : '';
  const what = skipped.length === 1 ? 'a folder that holds a qa-hf export' : `${skipped.length} folders that hold qa-hf exports`;
  return `skipped ${what}, not read as input: ${named}${more}; name a file there to read it`;
}

/**
 * The objects an s3:// argument stands for (see the header). A prefix below it
 * that holds a qa-hf export (a marker object with qa-hf's content, as a folder
 * does) is left out and added to `skipped`.
 */
async function discoverObjects(arg: string, glob: string, isMatch: (relative: string) => boolean, skipped: SkippedExport[]): Promise<string[]> {
  const { bucket, key } = parseS3Url(arg);
  if (key !== '' && !key.endsWith('/') && (await headObject(arg))) return [arg];
  const { prefix } = prefixOf(arg);
  const listed = (await listObjects(bucket, prefix)).filter((object) => !object.key.endsWith('/'));
  // Marker objects below the prefix (not at it: the prefix was named), shallowest first, so an export nested in a skipped one is not read.
  const markers = listed
    .map((object) => ({ key: object.key, folder: object.key.slice(0, object.key.lastIndexOf('/') + 1) }))
    .filter(({ key, folder }) => folder.length > prefix.length && Object.hasOwn(EXPORT_MARKERS, key.slice(folder.length)))
    .sort((a, b) => a.folder.length - b.folder.length);
  const exports: string[] = [];
  for (const { key, folder } of markers) {
    if (exports.some((below) => folder.startsWith(below))) continue;
    const text = await readObjectText(objectUrl(bucket, key));
    if (text !== null && isExportMarker(key.slice(folder.length), text)) {
      exports.push(folder);
      skipped.push({ folder: objectUrl(bucket, folder.slice(0, -1)), marker: key.slice(folder.length) });
    }
  }
  const found = listed.filter((object) => !exports.some((below) => object.key.startsWith(below)) && isMatch(object.key.slice(prefix.length)));
  if (found.length === 0) throw new QaHfError('ERR_INPUT', `no object matches ${glob} under this prefix`, { file: arg });
  return found.map((object) => objectUrl(bucket, object.key));
}
