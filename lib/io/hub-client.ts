/**
 * hub-client — every call `qa-hf push` makes to a Hugging Face Hub, through
 * HuggingFace's own client (@huggingface/hub, its documented functions), and the
 * one line each failure becomes (ERR_HUB).
 *
 * Every call goes through a HubTarget and passes its `hubUrl`: the client ignores
 * HF_ENDPOINT and falls back to the public Hub on any call not given one, which
 * would send the token there. The repo is always `{ type: 'dataset', name }` (a
 * plain string would name a model repo). The client is loaded on first use, so the
 * other commands do not pay for it.
 *
 *   const target = hubTarget({ repo: 'me/qa', hubUrl: 'http://127.0.0.1:8080', accessToken });
 *   const head = await readRevision(target, 'main'); // { sha: '…' } | 'no-repo' | 'no-branch'
 */
import type { CommitOperation, CommitOutput, CommitProgressEvent, HubApiError } from '@huggingface/hub';
import { QaHfError } from '../errors';
import type { RemoteFile } from '../dataset/hub-push-plan';

/** The public Hub: what HF_ENDPOINT and --hub-url replace. */
export const PUBLIC_HUB_URL = 'https://huggingface.co';

export interface HubTarget {
  /** Where every call goes (no trailing slash). */
  hubUrl: string;
  repo: { type: 'dataset'; name: string };
  accessToken?: string;
  /** For tests: the fetch every call uses (default: the global one). */
  fetch?: typeof fetch;
}

type HubClient = typeof import('@huggingface/hub');
let client: HubClient | null = null;

async function hub(): Promise<HubClient> {
  client ??= await import('@huggingface/hub');
  return client;
}

/** `OWNER/NAME`, as the Hub names a dataset repo: one slash, no `datasets/` prefix (the type is said apart). */
export function datasetRepoName(repo: string): string {
  const name = repo.replace(/^datasets\//, '');
  if (!/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(name) || name.includes('..') || name.endsWith('.git')) {
    throw new QaHfError('ERR_USAGE', `--repo must be OWNER/NAME (a dataset repo of the Hub, e.g. me/qa-corpus), got ${JSON.stringify(repo)}`);
  }
  return name;
}

/** The Hub's URL: --hub-url, else HF_ENDPOINT, else the public Hub; checked to be an http(s) URL. */
export function hubUrlOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const given = flag ?? (env.HF_ENDPOINT || undefined);
  const value = (given ?? PUBLIC_HUB_URL).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new QaHfError('ERR_USAGE', `${flag !== undefined ? '--hub-url' : 'HF_ENDPOINT'} must be an http(s) URL, got ${JSON.stringify(given)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new QaHfError('ERR_USAGE', `${flag !== undefined ? '--hub-url' : 'HF_ENDPOINT'} must be an http(s) URL, got ${JSON.stringify(given)}`);
  }
  return value;
}

export function hubTarget(options: { repo: string; hubUrl: string; accessToken?: string; fetch?: typeof fetch }): HubTarget {
  return {
    hubUrl: options.hubUrl,
    repo: { type: 'dataset', name: datasetRepoName(options.repo) },
    ...(options.accessToken === undefined ? {} : { accessToken: options.accessToken }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
}

/** What every call of the client is given: the Hub's URL, the token, the fetch. */
function common(target: HubTarget): { hubUrl: string; accessToken?: string; fetch?: typeof fetch } {
  return {
    hubUrl: target.hubUrl,
    ...(target.accessToken === undefined ? {} : { accessToken: target.accessToken }),
    ...(target.fetch === undefined ? {} : { fetch: target.fetch }),
  };
}

function statusOf(err: unknown): number | null {
  return typeof err === 'object' && err !== null && typeof (err as HubApiError).statusCode === 'number' ? (err as HubApiError).statusCode : null;
}

/**
 * The head commit of `branch`: its sha, or why there is none ('no-repo': the repo
 * is missing, or private and the token may not read it; 'no-branch').
 */
export async function readRevision(target: HubTarget, branch: string): Promise<{ sha: string; private: boolean } | 'no-repo' | 'no-branch'> {
  const { datasetInfo, repoExists } = await hub();
  try {
    const info = await datasetInfo({ name: target.repo.name, revision: branch, additionalFields: ['sha'], ...common(target) });
    return { sha: String(info.sha), private: info.private };
  } catch (err) {
    const status = statusOf(err);
    // A 401 is a refused token when one was sent; without one, the repo is missing or private.
    if (status !== 404 && !(status === 401 && target.accessToken === undefined)) throw hubError(err, target, 'reading the repo');
    const exists = await repoExists({ repo: target.repo, ...common(target) }).catch((other: unknown) => {
      throw hubError(other, target, 'reading the repo');
    });
    return exists ? 'no-branch' : 'no-repo';
  }
}

/** Every file of the repo at `revision` (a commit sha), directories left out. */
export async function listRepoFiles(target: HubTarget, revision: string): Promise<RemoteFile[]> {
  const { listFiles } = await hub();
  const files: RemoteFile[] = [];
  try {
    for await (const entry of listFiles({ repo: target.repo, revision, recursive: true, ...common(target) })) {
      if (entry.type !== 'file') continue;
      files.push({
        path: entry.path,
        size: entry.size,
        ...(entry.oid === undefined ? {} : { oid: entry.oid }),
        ...(entry.lfs === undefined ? {} : { lfs: { oid: entry.lfs.oid, size: entry.lfs.size } }),
      });
    }
  } catch (err) {
    throw hubError(err, target, 'listing the repo');
  }
  return files;
}

/** A file of the repo at `revision` as text, or null when it has none. */
export async function readRepoText(target: HubTarget, revision: string, path: string): Promise<string | null> {
  const { downloadFile } = await hub();
  try {
    const blob = await downloadFile({ repo: target.repo, path, revision, ...common(target) });
    return blob === null ? null : await blob.text();
  } catch (err) {
    throw hubError(err, target, `reading ${path}`);
  }
}

/** Creates the dataset repo; one that exists already (409: created meanwhile) is no failure. */
export async function createDatasetRepo(target: HubTarget, isPrivate: boolean): Promise<void> {
  const { createRepo } = await hub();
  try {
    await createRepo({ repo: target.repo, visibility: isPrivate ? 'private' : 'public', ...common(target), accessToken: target.accessToken ?? '' });
  } catch (err) {
    if (statusOf(err) === 409) return;
    throw hubError(err, target, 'creating the repo');
  }
}

export interface CommitRequest {
  title: string;
  description?: string;
  branch: string;
  parentCommit: string;
  pullRequest: boolean;
  operations: CommitOperation[];
}

/** The commit, with the client's progress events (hashing, uploading, committing). */
export async function* commitToHub(target: HubTarget, request: CommitRequest): AsyncGenerator<CommitProgressEvent, CommitOutput | undefined> {
  const { commitIter } = await hub();
  try {
    return yield* commitIter({
      repo: target.repo,
      title: request.title,
      ...(request.description === undefined ? {} : { description: request.description }),
      branch: request.branch,
      parentCommit: request.parentCommit,
      isPullRequest: request.pullRequest,
      operations: request.operations,
      ...common(target),
    });
  } catch (err) {
    throw hubError(err, target, 'committing', request);
  }
}

/** A network failure's own code (ECONNREFUSED, ENOTFOUND, …) from fetch's `cause`. */
function networkCode(err: unknown): string | null {
  // Node's fetch (undici) says only `fetch failed` on its TypeError; the code is on its cause.
  if (!(err instanceof TypeError) || !/fetch failed/i.test(err.message)) return null;
  const cause = (err as TypeError & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? 'network error';
}

/** The one line a failed call becomes, with what to do (ERR_HUB, exit 1). */
export function hubError(err: unknown, target: HubTarget, doing: string, request?: Pick<CommitRequest, 'branch' | 'parentCommit'>): QaHfError {
  if (err instanceof QaHfError) return err;
  const repo = `datasets/${target.repo.name}`;
  const where = `${target.hubUrl}/${repo}`;
  const network = networkCode(err);
  if (network !== null) {
    return new QaHfError('ERR_HUB', `cannot reach ${target.hubUrl} while ${doing} (${network}): check the network, or the Hub's URL (--hub-url, HF_ENDPOINT); a rerun uploads only what the Hub lacks`);
  }
  const message = err instanceof Error ? err.message : String(err);
  // The Hub client's own check of a token has no code: its message is all there is to go by.
  if (err instanceof TypeError && /access token must start with/i.test(message)) {
    return new QaHfError('ERR_HUB', 'the token does not start with hf_, so it is no Hugging Face access token: give a User Access Token in HF_TOKEN or --token-file');
  }
  const status = statusOf(err);
  switch (status) {
    case 401:
      return new QaHfError('ERR_HUB', target.accessToken === undefined
        ? `${where}: the Hub asks for a token (401) while ${doing}: set HF_TOKEN, or give --token-file FILE`
        : `${where}: the token was refused (401) while ${doing}: it is invalid or expired; give a valid one in HF_TOKEN or --token-file`);
    case 403:
      return new QaHfError('ERR_HUB', `${where}: the token may not write here (403) while ${doing}: use a token with write access to ${target.repo.name.split('/')[0]} (a fine-grained token needs write on this repo)`);
    case 404:
      return new QaHfError('ERR_HUB', `${where}: not found (404) while ${doing}: check --repo and --hub-url, or create the repo with --create`);
    case 409:
    case 412:
      return new QaHfError('ERR_HUB', request
        ? `${where}: branch ${request.branch} moved past ${request.parentCommit.slice(0, 7)} while this push ran (${status}): nothing was changed; run the push again to push onto the new revision`
        : `${where}: conflict (${status}) while ${doing}: run the push again`);
    case 413:
      return new QaHfError('ERR_HUB', `${where}: the Hub refused a request as too large (413) while ${doing}: ${firstLine(message)}`);
    case 429:
      return new QaHfError('ERR_HUB', `${where}: too many requests (429) while ${doing}: wait a little and run the push again; it uploads only what the Hub lacks`);
    default:
      if (status !== null && status >= 500) {
        return new QaHfError('ERR_HUB', `${where}: the Hub failed (${status}) while ${doing}: try again later; a rerun uploads only what the Hub lacks`);
      }
      return new QaHfError('ERR_HUB', `${where}: ${doing} failed${status === null ? '' : ` (${status})`}: ${firstLine(message)}`);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, 300);
}
