/**
 * push — `qa-hf push DIR --repo OWNER/NAME`: publishes a finished export to a
 * dataset repo of the Hugging Face Hub in one commit, with HuggingFace's own client
 * (lib/io/hub-client.ts).
 *
 *   1. DIR must be a finished export whose files match its manifest.json (verify,
 *      inputs aside: a difference is exit 3); an interrupted export or a rank's
 *      folder is refused (exit 1).
 *   2. The branch's head is read; that commit is the push's `parentCommit`, so a
 *      change made to the branch meanwhile fails the commit (412) instead of being
 *      overwritten. --create creates a missing repo (--private: as a private one).
 *   3. The plan (lib/dataset/hub-push-plan.ts): every file the manifest lists and the
 *      manifest, against the repo's files at that commit, by the hash the Hub
 *      reports; qa-hf's files the export no longer has are deleted, the others kept.
 *      The card loads the repo, not the folder the export was made in, and keeps the
 *      text a user wrote on the Hub (lib/dataset/hub-push-card.ts); when that makes
 *      README.md differ from the export's, the manifest sent lists the card sent, so
 *      the repo verifies as a folder does.
 *   4. One commit (or --pr, a pull request) with what changed; none when nothing did.
 *      The client asks the Hub which large files it holds already (by sha256) and
 *      uploads only the others: a push interrupted after its uploads sends no byte
 *      of them again.
 * --dry-run prints the plan (upload, unchanged, delete, keep, with sizes) on stdout
 * and sends nothing. The token comes from HF_TOKEN or --token-file, never a flag; the
 * other options also from the config file (lib/plan.ts planRun('push', …)).
 *
 *   await pushCommand({ dir: 'dist', repo: 'me/qa', dryRun: false, quiet: false, … })
 */
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { CommitOperation } from '@huggingface/hub';
import { QaHfError } from '../lib/errors';
import type { PushRunArgs } from '../lib/plan';
import { type LocalFile, type PushPlan, type RemoteFile, changesRepo, needsGitSha1, planPush } from '../lib/dataset/hub-push-plan';
import { GENERATED_BEGIN, cardForRepo, markGenerated, mergeCard } from '../lib/dataset/hub-push-card';
import { localLoadPath } from '../lib/dataset/card-configs';
import { MANIFEST_FILE, MANIFEST_FORMAT, type Manifest, verifyManifest } from '../lib/io/manifest';
import { CHECKPOINT_FILE } from '../lib/io/checkpoint';
import { fileBlob, gitBlobSha1, gitBlobSha1Of, sha256Bytes } from '../lib/io/hub-files';
import {
  type HubTarget,
  commitToHub,
  createDatasetRepo,
  hubTarget,
  hubUrlOf,
  listRepoFiles,
  readRepoText,
  readRevision,
} from '../lib/io/hub-client';
import { count } from '../lib/tally';
import { Progress, progressEnabled } from './progress';
import { TOOL_VERSION } from './version';

const CARD_FILE = 'README.md';
const RANK_MARKER = 'rank.json';
const DEFAULT_BRANCH = 'main';

/** The push's arguments: the flags over the config file (lib/plan.ts planRun). */
export type PushArgs = PushRunArgs;

export interface PushRuntime {
  /** HF_TOKEN, HF_ENDPOINT: default process.env. */
  env?: NodeJS.ProcessEnv;
  /** For tests: the fetch of every client call. */
  fetch?: typeof fetch;
  /** Where the dry run's plan goes (default stdout) and the notes go (default stderr). */
  out?: (line: string) => void;
  note?: (line: string) => void;
  stream?: NodeJS.WriteStream;
}

/** What a push did: the commit (absent when nothing changed or on --dry-run) and the plan. */
export interface PushResult {
  plan: PushPlan;
  parentCommit: string | null;
  commit?: { oid: string; url: string };
  pullRequestUrl?: string;
  /** The large files the Hub held already (their upload skipped by content hash). */
  heldByHub: string[];
}

/** A file the push may send: on disk, or made here (a merged card, the manifest that lists it). */
type SendFile = LocalFile & ({ file: string } | { content: Buffer });

export async function pushCommand(args: PushArgs, runtime: PushRuntime = {}): Promise<PushResult> {
  const env = runtime.env ?? process.env;
  const note = runtime.note ?? ((line: string) => process.stderr.write(`qa-hf: ${line}\n`));
  const say = (line: string) => {
    if (!args.quiet) note(line);
  };
  const out = runtime.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (args.repo === undefined) throw new QaHfError('ERR_USAGE', 'push needs --repo OWNER/NAME (or repo: in the config file): the dataset repo on the Hub');
  const branch = args.branch ?? DEFAULT_BRANCH;
  const hubUrl = hubUrlOf(args.hubUrl, env);
  const accessToken = await readToken(args.tokenFile, env);
  const target = hubTarget({ repo: args.repo, hubUrl, ...(accessToken === undefined ? {} : { accessToken }), ...(runtime.fetch ? { fetch: runtime.fetch } : {}) });
  if (accessToken === undefined && !args.dryRun) {
    throw new QaHfError('ERR_USAGE', 'push needs a Hugging Face token with write access: set HF_TOKEN, or give --token-file FILE (never on the command line, where ps shows it)');
  }

  const manifest = await finishedExport(args.dir, note);
  const repoLabel = `datasets/${target.repo.name}`;

  // The revision read: the commit the push is made against.
  let head = await readRevision(target, branch);
  if (head === 'no-branch') {
    throw new QaHfError('ERR_HUB', `${hubUrl}/${repoLabel} has no branch ${branch}: create it on the Hub first, or leave out --branch`);
  }
  if (head === 'no-repo') {
    if (!args.create) {
      throw new QaHfError('ERR_HUB', `${hubUrl}/${repoLabel} does not exist (or the token may not read it): add --create to create it${accessToken === undefined ? ', and set HF_TOKEN' : ''}, or check --repo and --hub-url`);
    }
    if (branch !== DEFAULT_BRANCH) throw new QaHfError('ERR_USAGE', `--create makes a repo with the branch ${DEFAULT_BRANCH} only; leave out --branch ${branch}`);
    if (!args.dryRun) {
      await createDatasetRepo(target, Boolean(args.private));
      say(`created ${args.private ? 'private ' : ''}dataset repo ${repoLabel} on ${hubUrl}`);
      head = await readRevision(target, branch);
      if (typeof head === 'string') throw new QaHfError('ERR_HUB', `${hubUrl}/${repoLabel} was created but cannot be read back: run the push again`);
    }
  } else if (args.private && !head.private) {
    say(`--private applies when --create makes the repo; ${repoLabel} exists and is public (change it in its settings)`);
  }
  const parentCommit = typeof head === 'string' ? null : head.sha;

  const remote = parentCommit === null ? [] : await listRepoFiles(target, parentCommit);
  const remoteManifest = parentCommit !== null && remote.some((file) => file.path === MANIFEST_FILE) ? parseManifest(await readRepoText(target, parentCommit, MANIFEST_FILE)) : null;
  const local = await localFiles(args.dir, manifest, target, parentCommit, remote, remoteManifest);
  const plan = planPush(local, remote, remoteManifest?.outputs.map((file) => file.path) ?? []);

  const where = `${repoLabel}@${branch}${parentCommit === null ? ' (new repo)' : ` (${parentCommit.slice(0, 7)})`}`;
  if (args.dryRun) {
    printPlan(plan, `${args.dir} → ${hubUrl}/${where}`, out);
    return { plan, parentCommit, heldByHub: [] };
  }
  if (!changesRepo(plan)) {
    say(`${repoLabel} on ${hubUrl} holds this export already at ${branch} (${parentCommit!.slice(0, 7)}): nothing to push, no commit made`);
    return { plan, parentCommit, heldByHub: [] };
  }
  return commitPlan(args, target, plan, parentCommit!, branch, manifest, say, runtime.stream);
}

/**
 * Before an export to `hf://datasets/OWNER/NAME` runs: the token (HF_TOKEN) and the
 * repo and its main branch must be there, so a wrong one costs one line and no export.
 * Returns the Hub's URL (HF_ENDPOINT, else the public Hub).
 */
export async function checkPushTarget(repo: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const hubUrl = hubUrlOf(undefined, env);
  const accessToken = await readToken(undefined, env);
  if (accessToken === undefined) throw new QaHfError('ERR_USAGE', `--out hf://datasets/${repo} needs a Hugging Face token with write access: set HF_TOKEN`);
  const target = hubTarget({ repo, hubUrl, accessToken });
  const head = await readRevision(target, DEFAULT_BRANCH);
  if (head === 'no-repo') throw new QaHfError('ERR_HUB', `${hubUrl}/datasets/${target.repo.name} does not exist (or the token may not read it): create it (qa-hf push DIR --repo ${target.repo.name} --create), or check the name and HF_ENDPOINT`);
  if (head === 'no-branch') throw new QaHfError('ERR_HUB', `${hubUrl}/datasets/${target.repo.name} has no branch ${DEFAULT_BRANCH}: export to a folder and qa-hf push it with --branch`);
  return hubUrl;
}

/** HF_TOKEN, else the first line of --token-file; none is undefined (a dry run may read a public repo). */
async function readToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(tokenFile, 'utf8');
    } catch (err) {
      throw new QaHfError('ERR_INPUT', `cannot read --token-file ${tokenFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    const token = text.split(/\r?\n/)[0].trim();
    if (token === '') throw new QaHfError('ERR_USAGE', `--token-file ${tokenFile} is empty: put the token on its first line`);
    return token;
  }
  const token = env.HF_TOKEN?.trim();
  return token ? token : undefined;
}

/** The manifest of DIR, once DIR is known to be a finished export whose files match it. */
async function finishedExport(dir: string, note: (line: string) => void): Promise<Manifest> {
  if (existsSync(path.join(dir, RANK_MARKER))) {
    throw new QaHfError('ERR_INPUT', `${dir} is one rank's share of an export, not a dataset: run qa-hf merge on the ranks' --out, then push that folder`);
  }
  if (existsSync(path.join(dir, CHECKPOINT_FILE))) {
    throw new QaHfError('ERR_INPUT', `an export into ${dir} was interrupted: run it again to finish it (or --restart), then push`);
  }
  if (!existsSync(path.join(dir, MANIFEST_FILE)) && existsSync(path.join(dir, 'ranks'))) {
    throw new QaHfError('ERR_INPUT', `${dir} holds ranks but no merged export: run qa-hf merge ${dir}, then push`);
  }
  const problems = await verifyManifest(dir, { inputs: false });
  if (problems.length > 0) {
    for (const problem of problems) note(`push: ${problem}`);
    throw new QaHfError('ERR_VERIFY', `${count(problems.length, 'difference')} from ${path.join(dir, MANIFEST_FILE)}: nothing was pushed (qa-hf verify ${dir} lists them; export again to repair)`);
  }
  return JSON.parse(await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
}

/** The repo's manifest.json when it is qa-hf's (another tool's lists no file qa-hf may delete). */
function parseManifest(text: string | null): Manifest | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Manifest;
    return value && value.format === MANIFEST_FORMAT && Array.isArray(value.outputs) ? value : null;
  } catch {
    return null;
  }
}

/**
 * The files to send, as the plan compares them: the manifest's outputs, the card
 * merged with the repo's, and the manifest (listing the merged card when it differs).
 */
async function localFiles(
  dir: string,
  manifest: Manifest,
  target: HubTarget,
  parentCommit: string | null,
  remote: readonly RemoteFile[],
  remoteManifest: Manifest | null,
): Promise<SendFile[]> {
  const byPath = new Map(remote.map((file) => [file.path, file]));
  const files: SendFile[] = [];
  let outputs = manifest.outputs;
  for (const output of manifest.outputs) {
    if (output.path === CARD_FILE) {
      const card = await cardToSend(dir, manifest, target, parentCommit !== null && byPath.has(CARD_FILE) ? parentCommit : null, remoteManifest);
      if (card !== null) {
        const entry = { path: CARD_FILE, bytes: card.length, sha256: sha256Bytes(card) };
        outputs = outputs.map((file) => (file.path === CARD_FILE ? { ...file, bytes: entry.bytes, sha256: entry.sha256 } : file));
        files.push({ ...entry, gitSha1: gitBlobSha1Of(card), content: card });
        continue;
      }
    }
    const file = path.join(dir, output.path);
    const send: SendFile = { path: output.path, bytes: output.bytes, sha256: output.sha256, file };
    if (needsGitSha1(send, byPath.get(output.path))) send.gitSha1 = await gitBlobSha1(file);
    files.push(send);
  }
  const manifestBytes = outputs === manifest.outputs
    ? await fs.readFile(path.join(dir, MANIFEST_FILE))
    : Buffer.from(`${JSON.stringify({ ...manifest, outputs }, null, 2)}\n`);
  files.push({ path: MANIFEST_FILE, bytes: manifestBytes.length, sha256: sha256Bytes(manifestBytes), gitSha1: gitBlobSha1Of(manifestBytes), content: manifestBytes });
  return files;
}

/**
 * The card to send, or null when the export's goes as it is: its loading instructions
 * naming the repo (lib/dataset/hub-push-card.ts cardForRepo: a card made in a folder loads
 * the folder), merged with the repo's README.md when the repo has one (`parentCommit`).
 */
async function cardToSend(dir: string, manifest: Manifest, target: HubTarget, parentCommit: string | null, remoteManifest: Manifest | null): Promise<Buffer | null> {
  const onDisk = await fs.readFile(path.join(dir, CARD_FILE), 'utf8');
  // The name the export loaded the folder by: FOLDER, or OUT/FOLDER for a version (commands/export/finalize.ts).
  const folder = path.basename(path.resolve(dir));
  const named = manifest.dataset_version === undefined ? folder : `${path.basename(path.dirname(path.resolve(dir)))}/${folder}`;
  const exported = cardForRepo(onDisk, target.repo.name, localLoadPath(named));
  const asIs = (card: string) => (card === onDisk ? null : Buffer.from(card));
  const existing = parentCommit === null ? null : await readRepoText(target, parentCommit, CARD_FILE);
  if (existing === null || existing === exported) return asIs(exported);
  // qa-hf's card as it wrote it last time (unedited): replaced whole, even from a version without the markers.
  const before = remoteManifest?.outputs.find((file) => file.path === CARD_FILE);
  const ownedBefore = before !== undefined && before.sha256 === sha256Bytes(Buffer.from(existing));
  const generated = exported.includes(GENERATED_BEGIN) ? exported : markGenerated(exported);
  return asIs(mergeCard(existing, generated, { ownedBefore }));
}

function size(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

const total = (files: ReadonlyArray<{ bytes?: number; size?: number }>) => files.reduce((sum, file) => sum + (file.bytes ?? file.size ?? 0), 0);

/** --dry-run: every path with what would happen to it and its size, then the sums. */
function printPlan(plan: PushPlan, heading: string, out: (line: string) => void): void {
  out(`push --dry-run: ${heading}`);
  const row = (what: string, bytes: number, file: string) => out(`${what.padEnd(9)} ${size(bytes).padStart(9)}  ${file}`);
  for (const file of plan.upload) row('upload', file.bytes, file.path);
  for (const file of plan.unchanged) row('unchanged', file.bytes, file.path);
  for (const file of plan.delete) row('delete', file.size, file.path);
  for (const file of plan.keep) row('keep', file.size, file.path);
  out(
    `${count(plan.upload.length, 'file')} to upload (${size(total(plan.upload))}), ${plan.unchanged.length} unchanged, ` +
      `${plan.delete.length} to delete, ${plan.keep.length} of the repo's own kept; nothing was sent` +
      (changesRepo(plan) ? '' : ' (and a push would make no commit)'),
  );
}

async function commitPlan(
  args: PushArgs,
  target: HubTarget,
  plan: PushPlan,
  parentCommit: string,
  branch: string,
  manifest: Manifest,
  say: (line: string) => void,
  stream: NodeJS.WriteStream | undefined,
): Promise<PushResult> {
  const operations: CommitOperation[] = [];
  for (const file of plan.upload as SendFile[]) {
    const content = 'content' in file ? new Blob([file.content]) : await fileBlob(file.file);
    operations.push({ operation: 'addOrUpdate', path: file.path, content });
  }
  for (const file of plan.delete) operations.push({ operation: 'delete', path: file.path });
  const version = manifest.dataset_version === undefined ? '' : ` ${manifest.dataset_version}`;
  const title = args.message ?? `qa-hf push: dataset${version} (${count(plan.upload.length, 'file')} changed${plan.delete.length ? `, ${plan.delete.length} deleted` : ''})`;
  const description = `Exported by qa-hf ${manifest.tool?.version ?? TOOL_VERSION} (options ${String(manifest.options_hash).slice(0, 12)}); pushed by qa-hf ${TOOL_VERSION}.`;

  const totalBytes = total(plan.upload);
  const sizes = new Map(plan.upload.map((file) => [file.path, file.bytes]));
  const done = new Map<string, number>();
  const started = new Set<string>();
  const heldByHub: string[] = [];
  const progress = new Progress(totalBytes, 0, progressEnabled({ progress: args.progress, quiet: Boolean(args.quiet) }, stream ?? process.stderr), stream, false);
  let phase = '';
  const iterator = commitToHub(target, { title, description, branch, parentCommit, pullRequest: Boolean(args.pr), operations });
  let step;
  try {
    for (step = await iterator.next(); !step.done; step = await iterator.next()) {
      const event = step.value;
      if (event.event === 'phase') {
        phase = event.phase;
        // The commit carries the small files: their bytes are sent now.
        if (phase === 'committing') for (const file of plan.upload) if (!done.has(file.path)) done.set(file.path, file.bytes);
      } else if (event.state === 'uploading') {
        // An upload's first event at 1 is a file the Hub holds already (the LFS batch named no upload for it).
        if (event.progress >= 1 && !started.has(event.path) && phase === 'uploadingLargeFiles') heldByHub.push(event.path);
        started.add(event.path);
        done.set(event.path, Math.round((sizes.get(event.path) ?? 0) * Math.min(1, event.progress)));
      }
      progress.update([...done.values()].reduce((a, b) => a + b, 0));
    }
  } finally {
    progress.stop();
  }
  const output = step.value;
  const oid = output?.commit.oid ?? '';
  const sentBytes = totalBytes - total(plan.upload.filter((file) => heldByHub.includes(file.path)));
  const parts = [
    `${count(plan.upload.length, 'file')} (${size(totalBytes)})${heldByHub.length ? `, of which ${heldByHub.length} the Hub held already (${size(totalBytes - sentBytes)} not sent again)` : ''}`,
    ...(plan.delete.length ? [`${plan.delete.length} deleted`] : []),
    `${plan.unchanged.length} unchanged`,
    ...(plan.keep.length ? [`${plan.keep.length} of the repo's own kept`] : []),
  ];
  if (output?.pullRequestUrl) say(`opened a pull request on ${target.repo.name}: ${output.pullRequestUrl} (commit ${oid.slice(0, 7)}; ${parts.join(', ')})`);
  else say(`pushed ${args.dir} to ${target.hubUrl}/datasets/${target.repo.name}@${branch}: commit ${oid.slice(0, 7)}; ${parts.join(', ')}`);
  return {
    plan,
    parentCommit,
    ...(output ? { commit: output.commit } : {}),
    ...(output?.pullRequestUrl ? { pullRequestUrl: output.pullRequestUrl } : {}),
    heldByHub,
  };
}
