/**
 * out-dir — who owns the files of an export's output folder (pure: no I/O).
 *
 * `--out` must be empty or hold one qa-hf export, complete or interrupted. A file
 * there is qa-hf's when
 *   - a complete export's manifest.json lists it (its `outputs`, plus manifest.json);
 *   - an interrupted export's checkpoint claims it: a name in `owns.files`, a shard
 *     name (`train-00000-of-00001.jsonl`, …) in a folder of `owns.shard_dirs` or under
 *     one of `owns.shard_roots`, or a
 *     file of an older export it is replacing (`replaces`);
 *   - it has one of qa-hf's own working names (lock, checkpoint, `.X.partial`,
 *     `.X.tmp`, hidden temp shards).
 * Anything else is foreign: the export refuses to start (unless --force, which keeps
 * every foreign file no output collides with). Files of a replaced export that the
 * new one does not write are removed only once the new export is complete.
 *
 *   const { foreign } = classifyFiles(files, { manifest: ['qa_pairs.jsonl'], checkpoint: null });
 *   if (foreign.length) throw foreignFilesError('dist', foreign);
 */
import * as path from 'node:path';
import { QaHfError } from '../errors';
import { isShardFile } from './outputs';
import { isRankFile } from '../scale/rank';

/** Fixed names an export writes at the top of --out (either layout). */
export const MANIFEST_NAME = 'manifest.json';
export const LOCK_NAME = '.qa-hf.lock';
export const CHECKPOINT_NAME = '.qa-hf-checkpoint.json';

/**
 * Files that mark a folder as qa-hf's, each with the `format` it holds: a complete
 * export (manifest.json), an interrupted one (its checkpoint), a rank of a spread
 * export (rank.json, or the rank's checkpoint). Told by their content, not their
 * name: a user's own manifest.json marks nothing. (A versions folder holds exports,
 * each marked.) Directory search skips such folders (lib/io/walk.ts).
 */
export const EXPORT_MARKERS: Readonly<Record<string, string>> = {
  [MANIFEST_NAME]: 'qa-hf-manifest',
  [CHECKPOINT_NAME]: 'qa-hf-checkpoint',
  'rank.json': 'qa-hf-rank',
  '.qa-hf-rank-checkpoint.json': 'qa-hf-rank-checkpoint',
};

/** True when `text`, the content of a file named `name`, is a marker qa-hf wrote (EXPORT_MARKERS). */
export function isExportMarker(name: string, text: string): boolean {
  if (!Object.hasOwn(EXPORT_MARKERS, name)) return false;
  try {
    const value = JSON.parse(text) as { format?: unknown } | null;
    return value !== null && typeof value === 'object' && value.format === EXPORT_MARKERS[name];
  } catch {
    return false;
  }
}

/** What a run claims in its checkpoint, so that a later run knows the files of an interrupted one. */
export interface Owns {
  /** Paths relative to --out, forward slashes. */
  files: string[];
  /** Folders whose shard-named files are the run's (`jsonl`, `rejected/csv`, …). */
  shard_dirs: string[];
  /** Folders whose shard-named files, at any depth, are the run's (--partition-by: `partitions`, whose folders come with the rows). */
  shard_roots?: string[];
}

/** The claims found in --out: a complete export's manifest outputs, an interrupted run's checkpoint. */
export interface PreviousExport {
  /** manifest.json `outputs` paths, or null when there is no (readable qa-hf) manifest. */
  manifest: string[] | null;
  /** The checkpoint's claims, or null when there is no checkpoint. */
  checkpoint: { owns: Owns; replaces: string[] } | null;
}

/** Names of qa-hf's working files: a killed run may leave them; they are never a user's. */
export function isWorkFile(relative: string): boolean {
  if (isRankFile(relative)) return true; // a spread export's ranks (lib/scale/rank.ts): what `qa-hf merge` reads
  const name = path.posix.basename(relative);
  const top = !relative.includes('/');
  if (top && (name === LOCK_NAME || name.startsWith(`${LOCK_NAME}.`))) return true;
  if (top && (name === CHECKPOINT_NAME || name === `${CHECKPOINT_NAME}.tmp`)) return true;
  if (top && /^\.[^/]+\.(?:partial|tmp)$/.test(name)) return true;
  return name.startsWith('.') && isShardFile(name);
}

/** True when `relative` is claimed by a run's `owns`. */
export function ownedBy(owns: Owns, relative: string): boolean {
  if (owns.files.includes(relative)) return true;
  const dir = path.posix.dirname(relative);
  if (!isShardFile(path.posix.basename(relative))) return false;
  return owns.shard_dirs.includes(dir) || (owns.shard_roots ?? []).some((root) => relative.startsWith(`${root}/`));
}

/** Splits the files of --out (relative paths) into qa-hf's and foreign ones, each sorted. */
export function classifyFiles(files: readonly string[], previous: PreviousExport): { owned: string[]; foreign: string[] } {
  const manifest = new Set(previous.manifest === null ? [] : [...previous.manifest, MANIFEST_NAME]);
  const replaces = new Set(previous.checkpoint?.replaces ?? []);
  const owned: string[] = [];
  const foreign: string[] = [];
  for (const file of [...files].sort()) {
    const ours =
      isWorkFile(file) ||
      manifest.has(file) ||
      replaces.has(file) ||
      (previous.checkpoint !== null && ownedBy(previous.checkpoint.owns, file));
    (ours ? owned : foreign).push(file);
  }
  return { owned, foreign };
}

/** How many foreign files a refusal names. */
const NAMED_FOREIGN = 3;

function listSome(files: readonly string[]): string {
  const named = files.slice(0, NAMED_FOREIGN).join(', ');
  return files.length > NAMED_FOREIGN ? `${named} and ${files.length - NAMED_FOREIGN} more` : named;
}

/** The refusal of a folder that holds files qa-hf did not write. */
export function foreignFilesError(out: string, foreign: readonly string[]): QaHfError {
  return new QaHfError(
    'ERR_USAGE',
    `--out ${out} holds files that are not from a qa-hf export (${listSome(foreign)}); choose an empty folder, or pass --force to write beside them`,
  );
}

/** With --force: the foreign files an output of this run will replace (the rest are kept). */
export function collisions(foreign: readonly string[], owns: Owns): string[] {
  return foreign.filter((file) => ownedBy(owns, file));
}

/** Files of replaced exports to remove once the new export is complete: those it did not write itself. */
export function filesToRemove(replaces: readonly string[], written: readonly string[]): string[] {
  const keep = new Set(written);
  return replaces.filter((file) => !keep.has(file) && !isWorkFile(file));
}

/** Parent folders of `files`, deepest first: emptied ones may go after a replace. */
export function parentDirs(files: readonly string[]): string[] {
  const dirs = new Set<string>();
  for (const file of files) {
    for (let dir = path.posix.dirname(file); dir !== '.'; dir = path.posix.dirname(dir)) dirs.add(dir);
  }
  return [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1));
}

/** True when `inner` is `outer` or lies below it (both absolute real paths). */
export function isWithin(inner: string, outer: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (relative.split(path.sep)[0] !== '..' && !path.isAbsolute(relative));
}
