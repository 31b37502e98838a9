/**
 * out-dir-fs — the file-system side of an export's output folder (I/O; the rules
 * are in lib/dataset/out-dir.ts): real paths of inputs and --out, the folder's files and
 * the claims of a previous export, creating --out, and removing a replaced
 * export's files.
 *
 *   await refuseInputFolders(['qa/'], 'dist/');        // before discovery
 *   await refuseInputsInOut(inputs, 'dist/');           // after it
 *   const files = await listOutFiles('dist/');
 */
import { constants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { syncDirectory } from './atomic-file';
import { QaHfError, toQaHfError } from '../errors';
import { walkFiles } from './walk';
import { isS3Url } from '../s3-url';
import { CHECKPOINT_NAME, MANIFEST_NAME, type Owns, type PreviousExport, isWithin, parentDirs } from '../dataset/out-dir';

/** The real path of `file`, also when it (or its last parts) do not exist yet: links and `./` resolved. */
export async function realPathOf(file: string): Promise<string> {
  const absolute = path.resolve(file);
  const rest: string[] = [];
  for (let at = absolute; ; at = path.dirname(at)) {
    try {
      return path.join(await fs.realpath(at), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || path.dirname(at) === at) return absolute;
      rest.push(path.basename(at));
    }
  }
}

/** The refusal of an --out that is a file (`--out pairs.jsonl`): --out names the folder an export writes into. */
function fileOutError(out: string): QaHfError {
  return new QaHfError('ERR_USAGE', `--out ${out} is a file, but --out must be a folder: the export writes its files into it (e.g. --out dist/)`);
}

/** --out must not be a file; checked before anything else about it (an input that is that file would be named otherwise). */
export async function refuseFileOut(out: string): Promise<void> {
  const stat = await fs.stat(out).catch(() => null);
  if (stat && !stat.isDirectory()) throw fileOutError(out);
}

/** Input folders named on the command line must not be --out nor lie inside it (checked before discovery). */
export async function refuseInputFolders(args: readonly string[], out: string): Promise<void> {
  const realOut = await realPathOf(out);
  for (const arg of args) {
    const stat = await fs.stat(arg).catch(() => null);
    if (!stat?.isDirectory()) continue;
    const real = await realPathOf(arg);
    if (real === realOut) throw new QaHfError('ERR_USAGE', `the output folder cannot be an input folder; choose another --out`, { file: arg });
    if (isWithin(real, realOut)) throw new QaHfError('ERR_USAGE', `an input folder cannot lie inside the output folder ${out}`, { file: arg });
  }
}

/** No input may lie where the export writes: inside --out, by any path or link. */
export async function refuseInputsInOut(inputs: readonly string[], out: string): Promise<void> {
  const realOut = await realPathOf(out);
  for (const input of inputs) {
    if (input === '-' || isS3Url(input)) continue;
    // Both the file an input is and the entry naming it: a link inside --out would be replaced by an output.
    const entry = path.join(await realPathOf(path.dirname(input)), path.basename(input));
    if (isWithin(await realPathOf(input), realOut) || isWithin(entry, realOut)) {
      throw new QaHfError('ERR_USAGE', `an input cannot lie inside the output folder ${out}: the export would write over it`, { file: input });
    }
  }
}

/** Creates --out; a folder that cannot be written says why (read-only, permission), not a bare ENOENT. */
export async function prepareOutDir(out: string): Promise<void> {
  try {
    const stat = await fs.stat(out).catch(() => null);
    if (stat && !stat.isDirectory()) throw fileOutError(out);
    if (!stat) await makeDirectories(out);
    await fs.access(out, constants.W_OK);
  } catch (err) {
    if (err instanceof QaHfError) throw err;
    throw new QaHfError('ERR_IO', `cannot use output directory ${out}: ${toQaHfError(await whyNotWritable(out, err)).message}`);
  }
}

/**
 * mkdir -p, one level at a time from the nearest existing folder. Not
 * `fs.mkdir(…, { recursive: true })`: on a file system that answers ENOENT for
 * a folder it cannot hold (procfs: `--out /proc/x`), Node's recursive mkdir
 * retries forever; a plain mkdir fails at once.
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const stat = await fs.stat(at).catch(() => null);
    if (stat) {
      if (!stat.isDirectory()) throw new QaHfError('ERR_USAGE', `--out ${dir}: ${at} is not a directory`);
      break;
    }
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    await fs.mkdir(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err; // made meanwhile by another process: fine
    });
  }
}

/** The nearest existing folder at or above `out` tells why it cannot be written (EROFS, EACCES). */
async function whyNotWritable(out: string, err: unknown): Promise<unknown> {
  for (let at = path.resolve(out); ; at = path.dirname(at)) {
    const exists = await fs.stat(at).then(() => true, () => false);
    if (exists) return fs.access(at, constants.W_OK).then(() => err, (denied: NodeJS.ErrnoException) => denied);
    if (path.dirname(at) === at) return err;
  }
}

/** Every file below `out` (hidden too; links are files, never followed), relative with forward slashes. */
export async function listOutFiles(out: string): Promise<string[]> {
  return (await walkFiles(out, { literal: true })).map((entry) => entry.relative);
}

/** Reads the claims of a previous export in `out`; `legacyOwns` stands for a checkpoint written before runs recorded theirs. */
export async function readPreviousExport(out: string, legacyOwns: Owns): Promise<PreviousExport> {
  const manifest = (await readJson(path.join(out, MANIFEST_NAME))) as { format?: unknown; outputs?: Array<{ path?: unknown }> } | null;
  const outputs =
    manifest?.format === 'qa-hf-manifest' && Array.isArray(manifest.outputs)
      ? manifest.outputs.map((file) => file?.path).filter((file): file is string => typeof file === 'string')
      : null;
  const checkpoint = (await readJson(path.join(out, CHECKPOINT_NAME))) as { format?: unknown; owns?: Owns; replaces?: string[] } | null;
  const claims =
    checkpoint?.format === 'qa-hf-checkpoint'
      ? { owns: checkpoint.owns ?? legacyOwns, replaces: Array.isArray(checkpoint.replaces) ? checkpoint.replaces : [] }
      : null;
  return { manifest: outputs, checkpoint: claims };
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Removes files of a replaced export (gone already is fine), then the folders that became empty. */
export async function removeReplaced(out: string, files: readonly string[]): Promise<void> {
  if (files.length === 0) return;
  await Promise.all(files.map((file) => fs.rm(path.join(out, file), { force: true })));
  for (const dir of parentDirs(files)) {
    await fs.rmdir(path.join(out, dir)).catch(() => undefined); // ENOTEMPTY/ENOENT: it stays or is gone
  }
  await syncDirectory(out);
}

/**
 * True when `out` holds a finished export: a qa-hf manifest.json and no checkpoint
 * (a checkpoint beside a manifest is an export interrupted, possibly in its last step).
 */
/** The `dataset_version` of the completed export in `out` (exported with --version), else null. */
export async function completedVersion(out: string): Promise<string | null> {
  if (!(await isCompletedExport(out))) return null;
  const manifest = (await readJson(path.join(out, MANIFEST_NAME))) as { dataset_version?: unknown } | null;
  return typeof manifest?.dataset_version === 'string' ? manifest.dataset_version : null;
}

export async function isCompletedExport(out: string): Promise<boolean> {
  const manifest = (await readJson(path.join(out, MANIFEST_NAME))) as { format?: unknown } | null;
  if (manifest?.format !== 'qa-hf-manifest') return false;
  return !(await fs.stat(path.join(out, CHECKPOINT_NAME)).then(() => true, () => false));
}
