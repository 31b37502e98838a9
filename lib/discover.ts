/**
 * discover — which files an export reads, in which order.
 *
 * A file argument is taken as is; a directory stands for every file below it that
 * matches the glob (default `**\/*.jsonl`), in sorted relative-path order, so the
 * same tree always gives the same order (and so the same output bytes). The output
 * directory is never read as input, even when it lies inside an input directory.
 *
 *   await discoverInputs(['qa/'], { glob: 'runs/**\/qa_*.jsonl', exclude: 'dist/' })
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import { QaHfError, inputError, toQaHfError } from './errors';

export const DEFAULT_GLOB = '**/*.jsonl';

export interface DiscoverOptions {
  glob?: string;
  /** A directory whose files are never inputs (the output directory). */
  exclude?: string;
}

export async function discoverInputs(args: readonly string[], options: DiscoverOptions = {}): Promise<string[]> {
  const glob = options.glob ?? DEFAULT_GLOB;
  const isMatch = picomatch(glob, { dot: false });
  const exclude = options.exclude ? path.resolve(options.exclude) : null;
  const files: string[] = [];
  for (const arg of args) {
    let stat;
    try {
      stat = await fs.stat(arg);
    } catch (err) {
      throw inputError(err, arg);
    }
    if (!stat.isDirectory()) {
      files.push(arg);
      continue;
    }
    const found = (await walk(arg, exclude))
      .filter((relative) => isMatch(relative))
      .sort(compareBytes)
      .map((relative) => path.join(arg, relative));
    if (found.length === 0) {
      throw new QaHfError('ERR_INPUT', `no file matches ${glob} in this directory`, { file: arg });
    }
    files.push(...found);
  }
  const seen = new Set<string>();
  for (const file of files) {
    const key = path.resolve(file);
    if (seen.has(key)) throw new QaHfError('ERR_USAGE', 'input is named twice', { file });
    seen.add(key);
  }
  return files;
}

/** Relative POSIX paths of the regular files below `root`, skipping `exclude`. */
async function walk(root: string, exclude: string | null): Promise<string[]> {
  const out: string[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const relativeDir = pending.pop()!;
    const absoluteDir = path.join(root, relativeDir);
    if (exclude !== null && path.resolve(absoluteDir) === exclude) continue;
    let entries;
    try {
      entries = await fs.readdir(absoluteDir, { withFileTypes: true });
    } catch (err) {
      throw new QaHfError('ERR_INPUT', `cannot list directory: ${toQaHfError(err).message}`, { file: absoluteDir });
    }
    for (const entry of entries) {
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) pending.push(relative);
      else if (entry.isFile()) out.push(relative);
    }
  }
  return out;
}

/** Sort by UTF-8 bytes, not locale: the order must not depend on the machine. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
