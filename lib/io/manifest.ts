/**
 * manifest — what an export wrote and read, and the check that it still is so.
 *
 * manifest.json lists every output (path relative to the output directory, bytes,
 * records, sha256) and every input (path relative to the output directory, so the
 * pair can move together; bytes, sha256), the normalized options and their hash,
 * tool and Node versions, platform, the input directories' git commits, created_at.
 *
 *   const problems = await verifyManifest('dist/'); // [] when everything matches
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { QaHfError, toQaHfError } from '../errors';
import { hashJson } from '../canonical-json';
import { sha256File } from './fingerprint';
import { walkFiles } from './walk';
import { isRankFile } from '../scale/rank';
import { isS3Url } from '../s3-url';
import { headObject, sha256Object } from './s3';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'qa-hf-manifest';

export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
  /** Lines of a JSONL output; absent for files that are not row files. */
  records?: number;
  /**
   * An input read as a stream (stdin, a FIFO, `<(…)`): bytes and sha256 were
   * computed while it streamed by, and verify cannot read it again.
   */
  stream?: true;
}

export interface GitInfo {
  dir: string;
  commit: string;
  dirty: boolean;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  tool: { name: 'qa-hf'; version: string };
  /** The dataset's version (`qa-hf export --version`), when given. */
  dataset_version?: string;
  node: string;
  platform: string;
  created_at: string;
  options: Record<string, unknown>;
  options_hash: string;
  inputs: ManifestFile[];
  input_git: GitInfo[];
  outputs: ManifestFile[];
  /** Files in the folder that are not this export's (kept there by --force); verify leaves them be. */
  kept?: string[];
}

export interface ManifestParts {
  toolVersion: string;
  datasetVersion?: string;
  options: Record<string, unknown>;
  inputs: ManifestFile[];
  inputGit: GitInfo[];
  outputs: ManifestFile[];
  createdAt: Date;
  kept?: string[];
}

export function buildManifest(parts: ManifestParts): Manifest {
  return {
    format: MANIFEST_FORMAT,
    version: 1,
    tool: { name: 'qa-hf', version: parts.toolVersion },
    ...(parts.datasetVersion === undefined ? {} : { dataset_version: parts.datasetVersion }),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    created_at: parts.createdAt.toISOString(),
    options: parts.options,
    options_hash: hashJson(parts.options),
    inputs: parts.inputs,
    input_git: parts.inputGit,
    outputs: parts.outputs,
    // Only when there are any, so a plain export's manifest has no such key.
    ...(parts.kept && parts.kept.length > 0 ? { kept: parts.kept } : {}),
  };
}

/** The commit of a directory's git checkout, or null when it is none (or git is absent). */
export async function gitInfo(dir: string): Promise<GitInfo | null> {
  const git = (args: string[]) =>
    new Promise<string | null>((resolve) => {
      execFile('git', ['-C', dir, ...args], { timeout: 10_000 }, (err, stdout) => resolve(err ? null : stdout.trim()));
    });
  const commit = await git(['rev-parse', 'HEAD']);
  if (!commit) return null;
  const status = await git(['status', '--porcelain', '--', '.']);
  return { dir, commit, dirty: status !== null && status !== '' };
}

/** Relative to the manifest's directory, with forward slashes. */
export function relativeToDir(dir: string, file: string): string {
  return path.relative(dir, file).split(path.sep).join('/');
}

/**
 * Recomputes every file of the manifest in `dir`: the list of what differs.
 * A `dir` that is missing, not a directory or holds no manifest.json is no export
 * at all, so nothing could have been tampered with: ERR_INPUT (exit 1), not
 * ERR_VERIFY (exit 3, kept for an export whose files or manifest differ).
 */
export async function verifyManifest(
  dir: string,
  options: { inputs?: boolean; onSkip?: (message: string) => void } = {},
): Promise<string[]> {
  const stat = await fs.stat(dir).catch((err: NodeJS.ErrnoException) => err);
  if (stat instanceof Error) {
    const reason = stat.code === 'ENOENT' ? 'does not exist' : `cannot be read (${stat.code ?? stat.message})`;
    throw new QaHfError('ERR_INPUT', `${dir} ${reason}: give the output directory of a qa-hf export`);
  }
  if (!stat.isDirectory()) throw new QaHfError('ERR_INPUT', `${dir} is not a directory: give the output directory of a qa-hf export`);
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new QaHfError('ERR_INPUT', `no ${MANIFEST_FILE} in ${dir}: not a finished qa-hf export`);
    throw toQaHfError(err, 'ERR_INPUT');
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw new QaHfError('ERR_VERIFY', `${MANIFEST_FILE} in ${dir} is not valid JSON`);
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.outputs) || !Array.isArray(manifest.inputs)) {
    throw new QaHfError('ERR_VERIFY', `${MANIFEST_FILE} in ${dir} is not a qa-hf manifest`);
  }
  const problems: string[] = [];
  if (hashJson(manifest.options) !== manifest.options_hash) problems.push('manifest.json: options do not match options_hash');
  const groups: Array<[string, ManifestFile[]]> = [['output', manifest.outputs]];
  if (options.inputs !== false) groups.push(['input', manifest.inputs]);
  for (const [kind, files] of groups) {
    for (const file of files) {
      const skip = kind === 'input' ? await unreadableInput(dir, file) : null;
      if (skip) {
        options.onSkip?.(`input ${file.path}: not checked (${skip})`);
        continue;
      }
      const problem = await checkFile(dir, file);
      if (problem) problems.push(`${kind} ${file.path}: ${problem}`);
    }
  }
  const listed = new Set([...manifest.outputs.map((file) => file.path), ...(Array.isArray(manifest.kept) ? manifest.kept : [])]);
  for (const name of await listFiles(dir)) {
    // The ranks a merged export was made from (ranks/rank-NNNNN/) are its sources, not its outputs.
    if (!listed.has(name) && name !== MANIFEST_FILE && !isRankFile(name)) problems.push(`output ${name}: not in the manifest`);
  }
  return problems;
}

async function checkFile(dir: string, file: ManifestFile): Promise<string | null> {
  let actual;
  if (isS3Url(file.path)) {
    // An input read from S3: hashed again from there (a missing object is a difference, any other failure ERR_S3).
    if (!(await headObject(file.path))) return 'missing';
    actual = await sha256Object(file.path);
  } else {
    try {
      actual = await sha256File(path.join(dir, file.path));
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot be read (${(err as NodeJS.ErrnoException).code})`;
    }
  }
  return digestDifferences(actual, file);
}

/** What differs between a file's recomputed digest and its manifest entry, or null. */
export function digestDifferences(actual: { bytes: number; lines: number; sha256: string }, file: ManifestFile): string | null {
  const differences: string[] = [];
  if (actual.bytes !== file.bytes) differences.push(`${actual.bytes} bytes, expected ${file.bytes}`);
  if (file.records !== undefined && actual.lines !== file.records) differences.push(`${actual.lines} records, expected ${file.records}`);
  if (actual.sha256 !== file.sha256) differences.push('sha256 differs');
  return differences.length > 0 ? differences.join(', ') : null;
}

/**
 * Why an input cannot be hashed again, or null when it can: one read as a
 * stream, or a path that is no longer a regular file (opening a FIFO would block).
 */
async function unreadableInput(dir: string, file: ManifestFile): Promise<string | null> {
  if (file.stream) return 'it was read from standard input or a pipe; its sha256 was recorded while streaming';
  if (isS3Url(file.path)) return null;
  const stat = await fs.stat(path.join(dir, file.path)).catch(() => null);
  if (stat && !stat.isFile()) return 'it is not a regular file, so it cannot be read again';
  return null;
}

/** Files below `dir` (relative, forward slashes, links followed), hidden ones left out. */
export async function listFiles(dir: string): Promise<string[]> {
  return (await walkFiles(dir, { skipHidden: true })).map((entry) => entry.relative);
}
