/**
 * s3-export — a finished export folder to an S3 prefix, manifest.json last, and
 * `verify` of such a prefix.
 *
 * An export to `--out s3://bucket/prefix` runs into a local staging folder
 * (`stageDirFor`: the same folder for the same URL and endpoint, so it holds the
 * checkpoint a killed run resumes from), then `publishDir` uploads it:
 *
 *   1. list the prefix; read the manifest.json there, if any (an earlier export);
 *   2. for each output, HEAD its key: an object with the same size and sha256
 *      (user metadata `qa-hf-sha256`, set by every upload) is skipped; an object
 *      that is neither ours (that metadata, or listed in the earlier manifest) is a
 *      foreign one and refused unless --force — all before anything is written;
 *   3. delete the earlier manifest.json (the commit marker is withdrawn before any
 *      object it vouches for changes);
 *   4. upload the rest (lib-storage: one PUT, or multipart for big files: an object
 *      appears under its key only complete), then delete objects of the earlier
 *      export this one did not write;
 *   5. PUT manifest.json: the commit marker. A reader that trusts the manifest never
 *      sees a partial export; a run killed anywhere in 1–5 is finished by the next.
 *
 * Objects under the prefix that are not qa-hf's are never deleted; they are listed
 * as `kept` in the manifest, as --force's kept files are in a folder. Objects under
 * `PREFIX/ranks/rank-NNNNN/` are the ranks' (the merge's input, as a local `ranks/`
 * folder is): never uploaded, deleted, kept or verified as outputs. Nor are those of
 * another export below the prefix (a sub-folder with its own manifest.json, such as
 * PREFIX/v1.0.0/): they are kept and listed.
 *
 * Ranks (`export … --out s3://… --rank R`): a rank runs in its own staging folder
 * (`rankStageDirFor`), then `publishRank` uploads its `ranks/rank-RRRRR/` folder,
 * rank.json (the rank's commit marker) last; the merge lists them (`listRanks`) and
 * downloads them (`downloadRank`) into the export's staging folder.
 *
 *   await publishDir('/tmp/qa-hf-stage-…/dist', 's3://corpus/dist/', { force: false });
 *   const problems = await verifyObjects('s3://corpus/dist/');   // [] when all match
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { QaHfError } from '../errors';
import { hashJson } from '../canonical-json';
import { type S3Prefix, isS3Url, objectUrl } from '../s3-url';
import { RANKS_DIR, isRankFile } from '../scale/rank';
import { sha256File } from './fingerprint';
import { MANIFEST_FILE, type Manifest, type ManifestFile, digestDifferences } from './manifest';
import { type ListedObject, customEndpoint, deleteObject, downloadFile, headObject, listObjects, putText, readObjectText, sha256Object, uploadFile } from './s3';

/** User metadata every uploaded output carries: its sha256, so a rerun skips what is already there. */
export const SHA256_METADATA = 'qa-hf-sha256';

/**
 * The staging folder of an export to the prefix `at`: `ROOT/qa-hf-stage-HASH/NAME`, HASH of
 * the endpoint and URL, NAME the prefix's last segment (the dataset card's title,
 * as a local export's folder name gives it). ROOT: --stage-dir, else the temp folder.
 */
export function stageDirFor(at: S3Prefix, stageRoot?: string): string {
  const hash = createHash('sha256').update(`${customEndpoint() ?? 'aws'}\n${at.url}`).digest('hex').slice(0, 16);
  return path.join(stageRoot ?? os.tmpdir(), `qa-hf-stage-${hash}`, at.name);
}

/**
 * The staging folder of rank `rank` of an export to `at`: `ROOT/qa-hf-stage-HASH-rank-RRRRR/NAME`,
 * its own, so ranks on one machine never remove each other's (nor the merge's) work.
 */
export function rankStageDirFor(at: S3Prefix, rank: number, stageRoot?: string): string {
  const stage = stageDirFor(at, stageRoot);
  return path.join(`${path.dirname(stage)}-rank-${String(rank).padStart(5, '0')}`, path.basename(stage));
}

/**
 * Uploads the finished rank folder `dir/rankDir` (`ranks/rank-RRRRR`) to the same
 * keys under `at`, its files in name order and `marker` (rank.json) last; hidden
 * files (checkpoint, lock) stay. An object already there with the same size and
 * sha256 is skipped (a rerun after a kill mid-upload). Returns the keys uploaded.
 */
export async function publishRank(dir: string, rankDir: string, at: S3Prefix, marker: string, options: Pick<PublishOptions, 'onUploaded'> = {}): Promise<{ uploaded: string[]; skipped: string[] }> {
  const { bucket, prefix } = at;
  const names = (await fs.readdir(path.join(dir, rankDir))).filter((name) => !name.startsWith('.') && name !== marker).sort();
  const uploaded: string[] = [];
  const skipped: string[] = [];
  for (const name of [...names, marker]) {
    const file = path.join(dir, rankDir, name);
    const key = `${prefix}${rankDir}/${name}`;
    const digest = await sha256File(file);
    const head = await headObject(objectUrl(bucket, key));
    if (head && head.size === digest.bytes && head.metadata[SHA256_METADATA] === digest.sha256) {
      skipped.push(key);
      continue;
    }
    await uploadFile(file, objectUrl(bucket, key), { [SHA256_METADATA]: digest.sha256 }, contentType(name));
    uploaded.push(key);
    options.onUploaded?.(key);
  }
  return { uploaded, skipped };
}

/** One rank folder under `PREFIX/ranks/`: its name (`rank-00002`), marker text (null: not complete) and objects. */
export interface RankObjects {
  name: string;
  marker: string | null;
  objects: ListedObject[];
}

/** The rank folders under `at` (`PREFIX/ranks/rank-NNNNN/`), by name; null when there is no `ranks/` at all. */
export async function listRanks(at: S3Prefix, marker: string): Promise<RankObjects[] | null> {
  const { bucket, prefix } = at;
  const listed = await listObjects(bucket, `${prefix}${RANKS_DIR}/`);
  if (listed.length === 0) return null;
  const byName = new Map<string, ListedObject[]>();
  for (const object of listed) {
    const relative = object.key.slice(prefix.length);
    if (!isRankFile(relative)) continue;
    const name = relative.split('/')[1];
    byName.set(name, [...(byName.get(name) ?? []), object]);
  }
  const ranks: RankObjects[] = [];
  for (const [name, objects] of [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const markerObject = objects.find((object) => object.key === `${prefix}${RANKS_DIR}/${name}/${marker}`);
    ranks.push({ name, marker: markerObject ? await readObjectText(objectUrl(bucket, markerObject.key)) : null, objects });
  }
  return ranks;
}

/**
 * Downloads a rank's objects into `dir/ranks/NAME/`, the marker last. A file already
 * there (a killed merge's) is kept when its size and sha256 are the object's (metadata).
 */
export async function downloadRank(at: S3Prefix, rank: RankObjects, dir: string, marker: string): Promise<number> {
  const { bucket, prefix } = at;
  const markerKey = `${prefix}${RANKS_DIR}/${rank.name}/${marker}`;
  const ordered = [...rank.objects.filter((object) => object.key !== markerKey), ...rank.objects.filter((object) => object.key === markerKey)];
  let downloaded = 0;
  for (const object of ordered) {
    const relative = object.key.slice(prefix.length);
    const head = await headObject(objectUrl(bucket, object.key));
    if (!head) throw new QaHfError('ERR_S3', `${objectUrl(bucket, object.key)}: the object went away during the merge`);
    const file = path.join(dir, ...relative.split('/'));
    const sha256 = head.metadata[SHA256_METADATA];
    const there = await fs.stat(file).then((stat) => stat.size, () => null);
    if (object.key !== markerKey && sha256 !== undefined && there === head.size && (await sha256File(file)).sha256 === sha256) continue;
    await downloadFile(objectUrl(bucket, object.key), file, head);
    downloaded++;
  }
  return downloaded;
}

export interface PublishOptions {
  /** Replace objects of no qa-hf export that have an output's key. */
  force?: boolean;
  /** After each uploaded object (test seam: a kill mid-upload). */
  onUploaded?: (key: string) => void;
}

export interface PublishResult {
  uploaded: string[];
  skipped: string[];
  /** Objects of an earlier export under the prefix that this one did not write, deleted. */
  removed: string[];
  /** Foreign objects left in place. */
  kept: string[];
}

function readManifestText(text: string | null): Manifest | null {
  if (text === null) return null;
  try {
    const manifest = JSON.parse(text) as Manifest;
    return Array.isArray(manifest?.outputs) ? manifest : null;
  } catch {
    return null;
  }
}

/** Uploads the finished export in `dir` under the prefix `at`, manifest.json last (see the header). */
export async function publishDir(dir: string, at: S3Prefix, options: PublishOptions = {}): Promise<PublishResult> {
  const { url, bucket, prefix } = at;
  const manifestText = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  const manifest = JSON.parse(manifestText) as Manifest;
  const keyOf = (relative: string) => `${prefix}${relative}`;
  const manifestKey = keyOf(MANIFEST_FILE);
  const existing = new Map((await listObjects(bucket, prefix)).map((object) => [object.key, object]));
  const earlier = existing.has(manifestKey) ? readManifestText(await readObjectText(objectUrl(bucket, manifestKey))) : null;
  const earlierOutputs = new Set((earlier?.outputs ?? []).map((file) => file.path));
  const outputs = new Set(manifest.outputs.map((file) => file.path));

  // Decide everything before writing anything.
  const uploads: ManifestFile[] = [];
  const skipped: string[] = [];
  const foreignCollisions: string[] = [];
  for (const file of manifest.outputs) {
    const object = existing.get(keyOf(file.path));
    if (!object) {
      uploads.push(file);
      continue;
    }
    const head = await headObject(objectUrl(bucket, object.key));
    const sha256 = head?.metadata[SHA256_METADATA];
    if (head && sha256 === file.sha256 && head.size === file.bytes) {
      skipped.push(file.path);
      continue;
    }
    if (head && sha256 === undefined && !earlierOutputs.has(file.path)) foreignCollisions.push(file.path);
    uploads.push(file);
  }
  if (foreignCollisions.length > 0 && !options.force) {
    throw new QaHfError(
      'ERR_USAGE',
      `--out ${url} holds objects of no qa-hf export that this export would replace: ${foreignCollisions.slice(0, 5).join(', ')}${foreignCollisions.length > 5 ? ', …' : ''}; use --force to replace them`,
    );
  }
  // The rest under the prefix: an earlier export's (listed in its manifest, or carrying our metadata) goes, a foreign one stays.
  // Another export below the prefix (a folder with its own manifest.json: a version, a dataset in a
  // bucket exported to as a whole) is never this one's: its objects carry our metadata too, but stay.
  const nested = nestedExportFolders([...existing.keys()].map((key) => key.slice(prefix.length)));
  const stale: string[] = [];
  const kept: string[] = [];
  for (const key of existing.keys()) {
    const relative = key.slice(prefix.length);
    if (key === manifestKey || outputs.has(relative) || isRankFile(relative)) continue;
    const ours = !nested.some((folder) => relative.startsWith(folder)) && (earlierOutputs.has(relative) || (await headObject(objectUrl(bucket, key)))?.metadata[SHA256_METADATA] !== undefined);
    (ours ? stale : kept).push(relative);
  }

  if (existing.has(manifestKey)) await deleteObject(objectUrl(bucket, manifestKey));
  for (const file of uploads) {
    await uploadFile(path.join(dir, file.path), objectUrl(bucket, keyOf(file.path)), { [SHA256_METADATA]: file.sha256 }, contentType(file.path));
    options.onUploaded?.(keyOf(file.path));
  }
  for (const relative of stale) await deleteObject(objectUrl(bucket, keyOf(relative)));
  const keptAll = [...new Set([...(manifest.kept ?? []), ...kept])].sort();
  const published: Manifest = { ...manifest };
  delete published.kept;
  if (keptAll.length > 0) published.kept = keptAll;
  await putText(objectUrl(bucket, manifestKey), `${JSON.stringify(published, null, 2)}\n`);
  return { uploaded: uploads.map((file) => file.path), skipped, removed: stale, kept };
}

/** The folders (relative, ending in '/') below a prefix that hold a manifest.json of their own: other exports. */
export function nestedExportFolders(relativeKeys: string[]): string[] {
  const suffix = `/${MANIFEST_FILE}`;
  return relativeKeys.filter((key) => key.endsWith(suffix)).map((key) => key.slice(0, key.length - MANIFEST_FILE.length));
}

function contentType(file: string): string | undefined {
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.jsonl')) return 'application/jsonl';
  if (file.endsWith('.md')) return 'text/markdown; charset=utf-8';
  if (file.endsWith('.html')) return 'text/html; charset=utf-8';
  if (file.endsWith('.csv')) return 'text/csv; charset=utf-8';
  if (file.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  return undefined;
}

/**
 * `qa-hf verify s3://…`: every object of the prefix's manifest.json downloaded and
 * hashed again; the list of what differs, in the words of a local verify. Inputs
 * read from S3 are checked too (with `inputs`); local ones cannot be from here.
 */
export async function verifyObjects(at: S3Prefix, options: { inputs?: boolean; onSkip?: (message: string) => void } = {}): Promise<string[]> {
  const { url, bucket, prefix } = at;
  const manifestUrl = objectUrl(bucket, `${prefix}${MANIFEST_FILE}`);
  const text = await readObjectText(manifestUrl);
  if (text === null) throw new QaHfError('ERR_INPUT', `no ${MANIFEST_FILE} in ${url}: not a finished qa-hf export`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(text) as Manifest;
  } catch {
    throw new QaHfError('ERR_VERIFY', `${MANIFEST_FILE} in ${url} is not valid JSON`);
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.format !== 'qa-hf-manifest' || !Array.isArray(manifest.outputs) || !Array.isArray(manifest.inputs)) {
    throw new QaHfError('ERR_VERIFY', `${MANIFEST_FILE} in ${url} is not a qa-hf manifest`);
  }
  const problems: string[] = [];
  if (hashJson(manifest.options) !== manifest.options_hash) problems.push('manifest.json: options do not match options_hash');
  const listed = new Map((await listObjects(bucket, prefix)).map((object) => [object.key.slice(prefix.length), object]));
  for (const file of manifest.outputs) {
    if (!listed.has(file.path)) {
      problems.push(`output ${file.path}: missing`);
      continue;
    }
    const problem = digestDifferences(await sha256Object(objectUrl(bucket, `${prefix}${file.path}`)), file);
    if (problem) problems.push(`output ${file.path}: ${problem}`);
  }
  if (options.inputs !== false) {
    for (const file of manifest.inputs) {
      if (!isS3Url(file.path)) {
        options.onSkip?.(`input ${file.path}: not checked (a local file of the machine that ran the export)`);
        continue;
      }
      const problem = (await headObject(file.path)) ? digestDifferences(await sha256Object(file.path), file) : 'missing';
      if (problem) problems.push(`input ${file.path}: ${problem}`);
    }
  }
  const known = new Set([...manifest.outputs.map((file) => file.path), ...(Array.isArray(manifest.kept) ? manifest.kept : []), MANIFEST_FILE]);
  for (const name of listed.keys()) if (!known.has(name) && !isRankFile(name)) problems.push(`output ${name}: not in the manifest`);
  return problems;
}
