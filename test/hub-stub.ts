/**
 * hub-stub — a small local Hugging Face Hub for the push tests: the endpoints
 * @huggingface/hub 2.17.5 calls for datasetInfo, repoExists, listFiles, createRepo,
 * commit (preupload, the LFS batch and the basic upload, the commit) and
 * downloadFile, as its source (src/lib/*.ts, src/types/api/*.ts) and the Hub's API
 * documentation describe them. Loopback only; no test reaches the internet.
 *
 * What the real Hub does that a stub easily gets wrong, done here as the Hub does:
 *   - a commit whose `parentCommit` is not the branch's head is refused with 412;
 *   - createRepo of an existing repo is 409;
 *   - a repo is created with a first commit holding `.gitattributes`, and a commit
 *     adding an LFS file no pattern covers adds its line there;
 *   - a listed regular file's `oid` is its git blob SHA-1; an LFS file's `oid` is its
 *     pointer's, and only `lfs.oid` is the sha256 of its contents;
 *   - the LFS batch answers `basic` transfer (the client falls back from xet), and
 *     an object the store holds gets no upload action;
 *   - a commit with no operation is made all the same (an empty commit);
 *   - unauthenticated reads of a missing or private repo are 401, a bad token 401, a
 *     read-only token's write 403.
 * The store counts what it received (`uploadedBytes`, `commits`, requests), so a
 * test can say what a push sent.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

interface TreeEntry {
  /** A regular file's bytes. */
  content?: Buffer;
  /** An LFS file: its sha256 and size (the bytes are in the LFS store). */
  lfs?: { oid: string; size: number };
}

interface Commit {
  oid: string;
  parent: string | null;
  title: string;
  tree: Map<string, TreeEntry>;
}

interface Repo {
  private: boolean;
  /** The repo's LFS storage: sha256 → bytes (the batch answers per repo). */
  lfs: Map<string, Buffer>;
  refs: Map<string, string>;
  commits: Map<string, Commit>;
  pullRequests: number;
}

export interface StubOptions {
  /** token → may write; others are refused (401). */
  tokens?: Record<string, 'write' | 'read'>;
}

export interface HubStub {
  url: string;
  repos: Map<string, Repo>;
  /** Bytes received by LFS uploads and, inline, in commits' regular files. */
  uploadedBytes: number;
  /** LFS objects uploaded (by oid). */
  lfsUploads: string[];
  /** Commits made through the commit endpoint (the repo's first one aside). */
  commits: number;
  requests: Array<{ method: string; path: string; auth: string | null }>;
  /** Fails the next commit call with this status (then serves normally). */
  failNextCommit: number | null;
  /** Makes a repo with a first commit (as createRepo does), optionally with files. */
  createRepo(name: string, options?: { private?: boolean; files?: Record<string, string | Buffer> }): void;
  /** Commits files directly to a branch (someone else's push): moves the branch. */
  commitDirect(name: string, files: Record<string, string | Buffer | null>, branch?: string): string;
  head(name: string, ref?: string): string;
  /** The bytes of a file at a ref. */
  read(name: string, path: string, ref?: string): Buffer | null;
  files(name: string, ref?: string): string[];
  close(): Promise<void>;
}

/** The Hub's default `.gitattributes` of a new dataset repo (a few of its patterns). */
const DEFAULT_GITATTRIBUTES = [
  '*.7z filter=lfs diff=lfs merge=lfs -text',
  '*.arrow filter=lfs diff=lfs merge=lfs -text',
  '*.bin filter=lfs diff=lfs merge=lfs -text',
  '*.gz filter=lfs diff=lfs merge=lfs -text',
  '*.parquet filter=lfs diff=lfs merge=lfs -text',
  '*.zst filter=lfs diff=lfs merge=lfs -text',
  '',
].join('\n');

/** The Hub sends files of 10 MB and more to LFS whatever their name. */
const LFS_MIN_BYTES = 10 * 1024 * 1024;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const gitSha1 = (bytes: Buffer) => createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
const pointer = (lfs: { oid: string; size: number }) => Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${lfs.oid}\nsize ${lfs.size}\n`);

function lfsPatterns(tree: Map<string, TreeEntry>): RegExp[] {
  const text = tree.get('.gitattributes')?.content?.toString('utf8') ?? '';
  return text
    .split('\n')
    .filter((line) => /\bfilter=lfs\b/.test(line))
    .map((line) => line.split(/\s+/)[0])
    .map((glob) => new RegExp(`(^|/)${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`));
}

export async function startHubStub(options: StubOptions = {}): Promise<HubStub> {
  const tokens = options.tokens ?? { hf_stub_write_token: 'write', hf_stub_read_token: 'read' };
  let counter = 0;
  const newOid = (seed: string) => createHash('sha1').update(`${seed}:${++counter}`).digest('hex');

  const stub = {
    url: '',
    repos: new Map<string, Repo>(),
    uploadedBytes: 0,
    lfsUploads: [] as string[],
    commits: 0,
    requests: [] as HubStub['requests'],
    failNextCommit: null as number | null,
  } as HubStub;

  function makeCommit(repo: Repo, parent: string | null, tree: Map<string, TreeEntry>, title: string): Commit {
    const commit: Commit = { oid: newOid(title), parent, title, tree };
    repo.commits.set(commit.oid, commit);
    return commit;
  }

  function resolve(repo: Repo, rev: string): Commit | null {
    const oid = repo.refs.get(rev) ?? (repo.commits.has(rev) ? rev : null);
    return oid === null ? null : repo.commits.get(oid)!;
  }

  stub.createRepo = (name, opts = {}) => {
    const repo: Repo = { private: Boolean(opts.private), lfs: new Map(), refs: new Map(), commits: new Map(), pullRequests: 0 };
    const tree = new Map<string, TreeEntry>([['.gitattributes', { content: Buffer.from(DEFAULT_GITATTRIBUTES) }]]);
    for (const [path, content] of Object.entries(opts.files ?? {})) tree.set(path, { content: Buffer.from(content) });
    repo.refs.set('main', makeCommit(repo, null, tree, 'initial commit').oid);
    stub.repos.set(name, repo);
  };
  stub.commitDirect = (name, files, branch = 'main') => {
    const repo = stub.repos.get(name)!;
    const head = resolve(repo, branch)!;
    const tree = new Map(head.tree);
    for (const [path, content] of Object.entries(files)) {
      if (content === null) tree.delete(path);
      else tree.set(path, { content: Buffer.from(content) });
    }
    const commit = makeCommit(repo, head.oid, tree, 'a direct commit');
    repo.refs.set(branch, commit.oid);
    return commit.oid;
  };
  stub.head = (name, ref = 'main') => stub.repos.get(name)!.refs.get(ref)!;
  stub.read = (name, path, ref = 'main') => {
    const repo = stub.repos.get(name);
    const entry = repo && resolve(repo, ref)?.tree.get(path);
    if (!entry) return null;
    return entry.lfs ? repo!.lfs.get(entry.lfs.oid) ?? null : entry.content!;
  };
  stub.files = (name, ref = 'main') => [...(resolve(stub.repos.get(name)!, ref)?.tree.keys() ?? [])].sort();

  function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }
  const fail = (res: http.ServerResponse, status: number, error: string, code?: string) => send(res, status, { error }, code ? { 'X-Error-Code': code } : {});

  /** The token's right, or a response already sent (401 for a token the stub does not know). */
  function rights(req: http.IncomingMessage, res: http.ServerResponse): 'write' | 'read' | 'none' | null {
    const auth = req.headers.authorization;
    if (auth === undefined) return 'none';
    const token = auth.replace(/^Bearer /, '');
    const right = tokens[token];
    if (right === undefined) {
      fail(res, 401, 'Invalid credentials in Authorization header');
      return null;
    }
    return right;
  }

  /** The repo a request may read, or null with the response sent (the Hub's 401 when unauthenticated, else 404). */
  function readable(name: string, right: 'write' | 'read' | 'none', res: http.ServerResponse): Repo | null {
    const repo = stub.repos.get(name);
    if (repo && (!repo.private || right !== 'none')) return repo;
    if (right === 'none') fail(res, 401, 'Repository not found', 'RepoNotFound');
    else fail(res, 404, 'Repository not found', 'RepoNotFound');
    return null;
  }

  function writable(name: string, right: 'write' | 'read' | 'none', res: http.ServerResponse): Repo | null {
    const repo = readable(name, right, res);
    if (repo === null) return null;
    if (right !== 'write') {
      fail(res, right === 'none' ? 401 : 403, right === 'none' ? 'Unauthorized' : 'You don\u2019t have the rights to write to this repo');
      return null;
    }
    return repo;
  }

  async function body(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  function listTree(commit: Commit, prefix: string, recursive: boolean): unknown[] {
    const entries: unknown[] = [];
    const directories = new Set<string>();
    for (const [path, entry] of [...commit.tree.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (prefix && !path.startsWith(`${prefix}/`)) continue;
      const rest = prefix ? path.slice(prefix.length + 1) : path;
      const parts = rest.split('/');
      for (let i = 1; i < parts.length; i++) {
        const dir = [prefix, ...parts.slice(0, i)].filter(Boolean).join('/');
        if (!directories.has(dir) && (recursive || i === 1)) {
          directories.add(dir);
          entries.push({ type: 'directory', oid: createHash('sha1').update(dir).digest('hex'), size: 0, path: dir });
        }
      }
      if (!recursive && parts.length > 1) continue;
      if (entry.lfs) {
        const bytes = pointer(entry.lfs);
        entries.push({ type: 'file', oid: gitSha1(bytes), size: entry.lfs.size, path, lfs: { oid: entry.lfs.oid, size: entry.lfs.size, pointerSize: bytes.length } });
      } else {
        entries.push({ type: 'file', oid: gitSha1(entry.content!), size: entry.content!.length, path });
      }
    }
    return entries;
  }

  async function commitEndpoint(req: http.IncomingMessage, res: http.ServerResponse, name: string, repo: Repo, branch: string, createPr: boolean): Promise<void> {
    const lines = (await body(req)).toString('utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { key: string; value: Record<string, unknown> });
    if (stub.failNextCommit !== null) {
      const status = stub.failNextCommit;
      stub.failNextCommit = null;
      fail(res, status, 'Internal Error - We\u2019re working hard to fix this as soon as possible!');
      return;
    }
    const header = lines.find((line) => line.key === 'header')?.value ?? {};
    const head = resolve(repo, branch);
    if (head === null) return fail(res, 404, `Invalid rev id: ${branch}`, 'RevisionNotFound');
    const parentCommit = header.parentCommit as string | undefined;
    let base = head;
    if (createPr) {
      if (parentCommit !== undefined) {
        const parent = repo.commits.get(parentCommit);
        if (!parent) return fail(res, 400, `Invalid parentCommit: ${parentCommit}`);
        base = parent;
      }
    } else if (parentCommit !== undefined && parentCommit !== head.oid) {
      return fail(res, 412, 'A commit has happened since. Please refresh and try again.');
    }
    const tree = new Map(base.tree);
    const patterns = lfsPatterns(tree);
    const addAttributes: string[] = [];
    for (const { key, value } of lines) {
      const path = value.path as string;
      if (key === 'file') {
        const content = Buffer.from(value.content as string, value.encoding === 'base64' ? 'base64' : 'utf8');
        stub.uploadedBytes += content.length;
        tree.set(path, { content });
      } else if (key === 'lfsFile') {
        const oid = value.oid as string;
        if (!repo.lfs.has(oid)) return fail(res, 400, `LFS object ${oid} for ${path} is not in storage`);
        tree.set(path, { lfs: { oid, size: Number(value.size) } });
        if (!patterns.some((pattern) => pattern.test(path))) addAttributes.push(`${path} filter=lfs diff=lfs merge=lfs -text`);
      } else if (key === 'deletedFile') {
        if (!tree.delete(path)) return fail(res, 404, `File ${path} does not exist`);
      }
    }
    if (addAttributes.length > 0) {
      const before = tree.get('.gitattributes')?.content?.toString('utf8') ?? '';
      tree.set('.gitattributes', { content: Buffer.from(`${before}${before.endsWith('\n') || before === '' ? '' : '\n'}${addAttributes.join('\n')}\n`) });
    }
    const commit = makeCommit(repo, base.oid, tree, String(header.summary ?? ''));
    stub.commits++;
    const result: Record<string, unknown> = { success: true, commitOid: commit.oid, commitUrl: `${stub.url}/datasets/${name}/commit/${commit.oid}`, hookOutput: '' };
    if (createPr) {
      const number = ++repo.pullRequests;
      repo.refs.set(`refs/pr/${number}`, commit.oid);
      result.pullRequestUrl = `${stub.url}/datasets/${name}/discussions/${number}`;
    } else {
      repo.refs.set(branch, commit.oid);
    }
    send(res, 200, result);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', stub.url);
    const path = decodeURIComponent(url.pathname);
    stub.requests.push({ method: req.method ?? 'GET', path, auth: req.headers.authorization ?? null });
    const right = rights(req, res);
    if (right === null) return;
    let match: RegExpMatchArray | null;

    if (req.method === 'PUT' && (match = path.match(/^\/lfs-upload\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/))) {
      const repo = stub.repos.get(match[1]);
      if (!repo) return fail(res, 404, 'Repository not found');
      const bytes = await body(req);
      if (sha256(bytes) !== match[2]) return fail(res, 400, 'the uploaded bytes do not have the sha256 of the object');
      stub.uploadedBytes += bytes.length;
      stub.lfsUploads.push(match[2]);
      repo.lfs.set(match[2], bytes);
      res.writeHead(200, { ETag: `"${match[1]}"` }).end();
      return;
    }
    if (req.method === 'POST' && path === '/api/repos/create') {
      if (right !== 'write') return fail(res, right === 'none' ? 401 : 403, 'You must be authenticated with a write token to create a repo');
      const request = JSON.parse((await body(req)).toString('utf8')) as { name: string; organization?: string; type: string; visibility?: string };
      if (request.type !== 'dataset') return fail(res, 400, `the stub makes dataset repos only, got ${request.type}`);
      const name = `${request.organization}/${request.name}`;
      if (stub.repos.has(name)) return fail(res, 409, 'You already created this dataset repo');
      stub.createRepo(name, { private: request.visibility === 'private' });
      return send(res, 200, { url: `${stub.url}/datasets/${name}`, id: name });
    }
    if (req.method === 'POST' && (match = path.match(/^\/datasets\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/))) {
      const repo = writable(match[1], right, res);
      if (!repo) return;
      const request = JSON.parse((await body(req)).toString('utf8')) as { objects: Array<{ oid: string; size: number }> };
      const objects = request.objects.map((object) =>
        repo.lfs.has(object.oid) ? { oid: object.oid, size: object.size } : { oid: object.oid, size: object.size, authenticated: true, actions: { upload: { href: `${stub.url}/lfs-upload/${match![1]}/${object.oid}`, expires_in: 3600 } } },
      );
      return send(res, 200, { transfer: 'basic', objects });
    }
    if ((match = path.match(/^\/api\/datasets\/([^/]+\/[^/]+)\/(preupload|commit)\/(.+)$/)) && req.method === 'POST') {
      const repo = writable(match[1], right, res);
      if (!repo) return;
      if (match[2] === 'commit') return commitEndpoint(req, res, match[1], repo, match[3], url.searchParams.get('create_pr') === '1');
      const head = resolve(repo, match[3]);
      if (!head) return fail(res, 404, `Invalid rev id: ${match[3]}`, 'RevisionNotFound');
      const request = JSON.parse((await body(req)).toString('utf8')) as { files: Array<{ path: string; size: number; sample: string }> };
      const patterns = lfsPatterns(head.tree);
      return send(res, 200, {
        files: request.files.map((file) => ({
          path: file.path,
          uploadMode: file.size >= LFS_MIN_BYTES || patterns.some((pattern) => pattern.test(file.path)) || Buffer.from(file.sample, 'base64').includes(0) ? 'lfs' : 'regular',
        })),
      });
    }
    if (req.method === 'GET' && (match = path.match(/^\/api\/datasets\/([^/]+\/[^/]+)\/revision\/(.+)$/))) {
      const repo = readable(match[1], right, res);
      if (!repo) return;
      const commit = resolve(repo, match[2]);
      if (!commit) return fail(res, 404, `Invalid rev id: ${match[2]}`, 'RevisionNotFound');
      return send(res, 200, { _id: match[1], id: match[1], private: repo.private, downloads: 0, likes: 0, gated: false, lastModified: new Date(0).toISOString(), sha: commit.oid });
    }
    if (req.method === 'GET' && (match = path.match(/^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/))) {
      const repo = readable(match[1], right, res);
      if (!repo) return;
      const commit = resolve(repo, match[2]);
      if (!commit) return fail(res, 404, `Invalid rev id: ${match[2]}`, 'RevisionNotFound');
      return send(res, 200, listTree(commit, match[3] ?? '', url.searchParams.get('recursive') === 'true'));
    }
    if (req.method === 'GET' && (match = path.match(/^\/api\/datasets\/([^/]+\/[^/]+)$/))) {
      const repo = readable(match[1], right, res);
      if (!repo) return;
      return send(res, 200, { _id: match[1], id: match[1], private: repo.private, likes: 0 });
    }
    if (req.method === 'GET' && (match = path.match(/^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/))) {
      const repo = readable(match[1], right, res);
      if (!repo) return;
      const commit = resolve(repo, match[2]);
      if (!commit) return fail(res, 404, `Invalid rev id: ${match[2]}`, 'RevisionNotFound');
      const entry = commit.tree.get(match[3]);
      if (!entry) return fail(res, 404, 'Entry not found', 'EntryNotFound');
      const bytes = entry.lfs ? repo.lfs.get(entry.lfs.oid)! : entry.content!;
      const etag = `"${entry.lfs ? entry.lfs.oid : gitSha1(bytes)}"`;
      const range = req.headers.range?.match(/^bytes=(\d+)-(\d+)$/);
      if (range) {
        const start = Number(range[1]);
        const end = Math.min(Number(range[2]), bytes.length - 1);
        const part = bytes.subarray(start, end + 1);
        res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, 'Content-Length': part.length, ETag: etag, 'Accept-Ranges': 'bytes' });
        res.end(part);
        return;
      }
      res.writeHead(200, { 'Content-Length': bytes.length, ETag: etag });
      res.end(bytes);
      return;
    }
    fail(res, 404, `the stub does not serve ${req.method} ${path}`);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) fail(res, 500, String(err));
    });
  });
  await new Promise<void>((resolvePromise) => server.listen(0, '127.0.0.1', resolvePromise));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () =>
    new Promise<void>((resolvePromise) => {
      server.closeAllConnections();
      server.close(() => resolvePromise());
    });
  return stub;
}
