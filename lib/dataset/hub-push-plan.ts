/**
 * hub-push-plan — what `qa-hf push` sends: the export's files against the files of
 * the repo's revision that was read. Pure: no I/O, no client.
 *
 * Input: the export's files (manifest.json `outputs` and the manifest itself: path,
 * bytes, sha256, and the git blob SHA-1 where it was needed), the repo's tree at the
 * revision (path, size, `oid`, `lfs`), and the paths the repo's own manifest.json
 * listed (the outputs of the export pushed before). Output: four lists of paths,
 * each file in exactly one:
 *   upload     the export's files the revision lacks or holds with other contents
 *   unchanged  the export's files the revision holds with the same contents (left out
 *              of the commit, which changes only what it names)
 *   delete     the repo's files qa-hf owned that the new export does not have: those
 *              the repo's manifest listed, and any under a folder of the export's
 *              shards (a shard count that shrank, `train-00001-of-00002.parquet`)
 *   keep       the repo's other files (a LICENSE, images, `.gitattributes`)
 *
 * Contents are compared as the Hub reports them: an LFS file's `lfs.oid` is the
 * sha256 of its contents, so it is compared with the manifest's sha256; a regular
 * file's `oid` is its git blob SHA-1 (`sha1("blob " + size + "\0" + bytes)`), compared
 * with the local file's (lib/io/hub-files.ts gitBlobSha1); comparing it with a sha256
 * would call every regular file changed.
 *
 *   planPush(local, remote, ['README.md', 'jsonl/train-00000-of-00002.jsonl'])
 *   // { upload: [...], unchanged: [...], delete: ['jsonl/train-00001-of-00002.jsonl'], keep: ['LICENSE'] }
 */

export interface LocalFile {
  path: string;
  bytes: number;
  sha256: string;
  /** Its git blob SHA-1: needed where the repo holds a regular (non-LFS) file of that path and size. */
  gitSha1?: string;
}

/** A file of the repo's tree (the client's ListFileEntry, files only). */
export interface RemoteFile {
  path: string;
  size: number;
  /** The git object id: for a regular file the blob SHA-1 of its contents, for an LFS file that of its pointer. */
  oid?: string;
  lfs?: { oid: string; size: number };
}

export interface PushPlan {
  upload: LocalFile[];
  unchanged: LocalFile[];
  delete: RemoteFile[];
  keep: RemoteFile[];
}

/** The folders of the export's shards (`parquet`, `rejected/jsonl`): a file of the repo under one is qa-hf's. */
export function shardFolders(local: readonly LocalFile[]): string[] {
  const folders = new Set<string>();
  for (const file of local) {
    const slash = file.path.lastIndexOf('/');
    if (slash > 0) folders.add(file.path.slice(0, slash));
  }
  return [...folders].sort();
}

/** Whether the repo's file holds exactly `file`'s contents, by the hash the Hub reports for it. */
export function sameContents(file: LocalFile, remote: RemoteFile): boolean {
  if (remote.lfs) return remote.lfs.oid === file.sha256 && remote.lfs.size === file.bytes;
  return remote.size === file.bytes && file.gitSha1 !== undefined && remote.oid === file.gitSha1;
}

/** Whether the git blob SHA-1 of `file` is needed to compare it with the repo's: a regular file of the same size. */
export function needsGitSha1(file: LocalFile, remote: RemoteFile | undefined): boolean {
  return remote !== undefined && remote.lfs === undefined && remote.size === file.bytes;
}

/**
 * The plan of a push (see the header). `remoteOwned`: the paths the repo's own
 * manifest.json listed as outputs (empty when it has none).
 */
export function planPush(local: readonly LocalFile[], remote: readonly RemoteFile[], remoteOwned: readonly string[]): PushPlan {
  const byPath = new Map(remote.map((file) => [file.path, file]));
  const localPaths = new Set(local.map((file) => file.path));
  const owned = new Set(remoteOwned);
  const folders = shardFolders(local);
  const underFolder = (path: string) => folders.some((folder) => path.startsWith(`${folder}/`));
  const plan: PushPlan = { upload: [], unchanged: [], delete: [], keep: [] };
  for (const file of local) {
    const there = byPath.get(file.path);
    (there !== undefined && sameContents(file, there) ? plan.unchanged : plan.upload).push(file);
  }
  for (const file of remote) {
    if (localPaths.has(file.path)) continue;
    (owned.has(file.path) || underFolder(file.path) ? plan.delete : plan.keep).push(file);
  }
  const byName = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  plan.upload.sort(byName);
  plan.unchanged.sort(byName);
  plan.delete.sort(byName);
  plan.keep.sort(byName);
  return plan;
}

/** Whether a plan changes the repo: a push with nothing to upload or delete makes no commit. */
export function changesRepo(plan: PushPlan): boolean {
  return plan.upload.length > 0 || plan.delete.length > 0;
}
