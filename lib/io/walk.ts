/**
 * walk — the one directory walker: the files below a directory, links followed.
 *
 * Used by discovery (lib/discover.ts: which files an export reads), by verify
 * (lib/manifest.ts: which files of an export folder its manifest does not list)
 * and, with `literal`, by the output-folder check (lib/out-dir-fs.ts).
 * Symbolic links are followed, to files and to directories; a directory is
 * walked once however many links lead to it (by device and inode), so a link to
 * an ancestor (a cycle) or two links to one folder cannot repeat or loop. Entries
 * are visited in sorted byte order, so the path under which a folder reached
 * twice is listed does not depend on the machine. Special files (FIFOs, sockets,
 * devices) met in a walk are left out: reading one could block forever.
 *
 * With `skipExports` (discovery), a folder below the root that holds a qa-hf
 * export — a complete or interrupted one, or a rank (lib/dataset/out-dir.ts
 * EXPORT_MARKERS, told by the marker's content) — is not entered: it is listed
 * once, with `export` set to the marker found, for the caller to say so. An
 * earlier export inside an input folder is then never read as input. The root
 * itself is walked whatever it holds (verify walks an export's own folder).
 *
 *   await walkFiles('qa/', { exclude: 'dist/' })  // [{ relative: 'a.jsonl' }, { relative: 'runs/b.jsonl' }, …]
 */
import { type Dirent, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { QaHfError, toQaHfError } from '../errors';
import { EXPORT_MARKERS, isExportMarker } from '../dataset/out-dir';

export interface WalkEntry {
  /** Path below the root, with forward slashes. */
  relative: string;
  /** A symbolic link whose target is missing (or loops): listed so the caller can name it. */
  broken?: true;
  /** With `skipExports`: a folder not entered because it holds a qa-hf export; the marker file found (`manifest.json`). */
  export?: string;
}

export interface WalkOptions {
  /** A directory never entered (an export's output folder inside an input folder). */
  exclude?: string | null;
  /** Leave out files and folders whose name starts with a dot. */
  skipHidden?: boolean;
  /**
   * List what is there, links and special files included, without following a
   * link: an export's own folder, where a link or a FIFO is a foreign entry too.
   */
  literal?: boolean;
  /** Do not enter a folder below the root that holds a qa-hf export (see the header); list it with `export`. */
  skipExports?: boolean;
}

/** The files below `root`, sorted by their relative path's bytes. */
export async function walkFiles(root: string, options: WalkOptions = {}): Promise<WalkEntry[]> {
  const excluded = options.exclude ? await directoryId(options.exclude) : null;
  const excludedPath = options.exclude ? path.resolve(options.exclude) : null;
  const rootId = await directoryId(root);
  const visited = new Set<string>(rootId ? [rootId] : []);
  const out: WalkEntry[] = [];
  const pending = [''];
  while (pending.length > 0) {
    const relativeDir = pending.pop()!;
    const absoluteDir = path.join(root, relativeDir);
    let entries;
    try {
      entries = await fs.readdir(absoluteDir, { withFileTypes: true });
    } catch (err) {
      throw new QaHfError('ERR_INPUT', `cannot list directory: ${toQaHfError(err).message}`, { file: absoluteDir });
    }
    if (options.skipExports && relativeDir !== '') {
      const marker = await exportMarkerIn(absoluteDir, entries);
      if (marker !== null) {
        out.push({ relative: relativeDir, export: marker });
        continue;
      }
    }
    const directories: string[] = [];
    for (const entry of entries.sort((a, b) => compareBytes(a.name, b.name))) {
      if (options.skipHidden && entry.name.startsWith('.')) continue;
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      const absolute = path.join(root, relative);
      if (options.literal && !entry.isDirectory()) {
        out.push({ relative });
        continue;
      }
      let stat: Stats | null = null;
      if (entry.isSymbolicLink()) {
        stat = await fs.stat(absolute).catch(() => null);
        if (!stat) {
          out.push({ relative, broken: true });
          continue;
        }
      }
      if (stat ? stat.isFile() : entry.isFile()) {
        out.push({ relative });
      } else if (stat ? stat.isDirectory() : entry.isDirectory()) {
        stat ??= await fs.stat(absolute);
        const id = `${stat.dev}:${stat.ino}`;
        if (visited.has(id) || id === excluded || path.resolve(absolute) === excludedPath) continue;
        visited.add(id);
        directories.push(relative);
      }
    }
    // Depth first, in sorted order: the stack takes them reversed.
    pending.push(...directories.reverse());
  }
  return out.sort((a, b) => compareBytes(a.relative, b.relative));
}

/** The first marker file in `dir` whose content is qa-hf's (lib/dataset/out-dir.ts EXPORT_MARKERS), or null. */
async function exportMarkerIn(dir: string, entries: readonly Dirent[]): Promise<string | null> {
  for (const entry of entries) {
    if (!Object.hasOwn(EXPORT_MARKERS, entry.name)) continue;
    const text = await fs.readFile(path.join(dir, entry.name), 'utf8').catch(() => null);
    if (text !== null && isExportMarker(entry.name, text)) return entry.name;
  }
  return null;
}

async function directoryId(dir: string): Promise<string | null> {
  const stat = await fs.stat(dir).catch(() => null);
  return stat?.isDirectory() ? `${stat.dev}:${stat.ino}` : null;
}

/** Sort by UTF-8 bytes, not locale: the order must not depend on the machine. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
