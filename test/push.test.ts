/**
 * qa-hf push against the local Hub stub (test/hub-stub.ts), through HuggingFace's
 * own client: the first push (one commit, every file read back with the manifest's
 * sha256), a push again (nothing sent, no commit), a push after a new export (only
 * the changed files sent, the stale shard deleted, the user's card text and files
 * kept), a moved parent (refused, nothing changed), an interrupted push resumed
 * (the large files not sent again), --dry-run, --pr, --create, and the one-line
 * failures (wrong token, missing repo, unreachable Hub) through the CLI.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { type PushArgs, type PushResult, pushCommand } from '../commands/push';
import { QaHfError } from '../lib/errors';
import { GENERATED_BEGIN, GENERATED_END } from '../lib/dataset/hub-push-card';
import type { Manifest } from '../lib/io/manifest';
import { type HubStub, startHubStub } from './hub-stub';
import { CLI, ROOT, recordLines, runCli } from './helpers';

const TOKEN = 'hf_stub_write_token';
const REPO = 'me/qa';
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let stub: HubStub;
let work: string;
/** An export in small shards, and one of the same records and 20 more in larger shards (fewer of them). */
let base: string;
let grown: string;
const BASE_LINES = recordLines(400, 1);

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-push-'));
  [base, grown] = await Promise.all([exportOf('base', BASE_LINES, '40kB'), exportOf('grown', [...BASE_LINES, ...recordLines(20, 4)], '400kB')]);
});

beforeEach(async () => {
  stub = await startHubStub();
});

afterEach(async () => {
  await stub.close();
});

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

/** An export of `lines` into a new folder (the Hub layout, small shards so there are several). */
async function exportOf(name: string, lines: string[], shardSize = '40kB'): Promise<string> {
  const file = path.join(work, `${name}.jsonl`);
  await fs.writeFile(file, `${lines.join('\n')}\n`);
  const out = path.join(work, name);
  const run = await runCli(['export', file, '--out', out, '--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--max-shard-size', shardSize, '-q']);
  if (run.code !== 0) throw new Error(run.stderr);
  return out;
}

const notes: string[] = [];
const printed: string[] = [];
/** Every URL the client fetched (through the fetch every call is given). */
const fetched: string[] = [];
const recordingFetch: typeof fetch = (url, init) => {
  fetched.push(String(url));
  return fetch(url, init);
};

function push(dir: string, extra: Partial<PushArgs> = {}, env: NodeJS.ProcessEnv = { HF_TOKEN: TOKEN }): Promise<PushResult> {
  notes.length = 0;
  fetched.length = 0;
  printed.length = 0;
  return pushCommand(
    { dir, repo: REPO, hubUrl: stub.url, quiet: false, ...extra },
    { env, note: (line) => notes.push(line), out: (line) => printed.push(line), fetch: recordingFetch },
  );
}

async function manifestOf(dir: string): Promise<Manifest> {
  return JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** Every file the manifest lists, and the manifest, read back from the stub: the sha256 the manifest says. */
async function expectRepoHolds(dir: string, ref = 'main'): Promise<void> {
  const pushed = stub.read(REPO, 'manifest.json', ref);
  expect(pushed).not.toBeNull();
  const manifest = JSON.parse(pushed!.toString('utf8')) as Manifest;
  for (const file of manifest.outputs) {
    const bytes = stub.read(REPO, file.path, ref);
    expect([file.path, bytes === null ? null : sha256(bytes), bytes?.length]).toEqual([file.path, file.sha256, file.bytes]);
  }
  // The export's own manifest lists the same files (the card aside when it was merged with the repo's).
  const local = await manifestOf(dir);
  expect(manifest.outputs.map((file) => file.path)).toEqual(local.outputs.map((file) => file.path));
  for (const file of local.outputs.filter((entry) => entry.path !== 'README.md')) {
    expect(manifest.outputs.find((entry) => entry.path === file.path)?.sha256).toBe(file.sha256);
  }
}

test('a first push: one commit with every file of the manifest, read back with its sha256; parquet through LFS, .gitattributes the Hub’s', async () => {
  const dir = base;
  stub.createRepo(REPO, { files: { LICENSE: 'MIT License\n' } });
  const parent = stub.head(REPO);
  const result = await push(dir);
  expect(stub.commits).toBe(1);
  expect(result.parentCommit).toBe(parent);
  expect(result.commit?.oid).toBe(stub.head(REPO));
  await expectRepoHolds(dir);
  // What the folder holds and the repo has on its own: nothing else.
  const local = await manifestOf(dir);
  expect(stub.files(REPO)).toEqual([...local.outputs.map((file) => file.path), '.gitattributes', 'LICENSE', 'manifest.json'].sort());
  // The shards went through LFS (a .parquet by the Hub's pattern); the card inline.
  const parquet = local.outputs.filter((file) => file.path.endsWith('.parquet'));
  expect(parquet.length).toBeGreaterThan(0);
  expect(stub.lfsUploads.sort()).toEqual(expect.arrayContaining(parquet.map((file) => file.sha256)));
  expect(result.plan.keep.map((file) => file.path)).toEqual(['.gitattributes', 'LICENSE']);
  expect(notes.at(-1)).toMatch(/^pushed .* commit [0-9a-f]{7}; \d+ files \(.*\), \d+ unchanged, 2 of the repo's own kept$/);
  // Every call was given the stub's URL (none went to the public Hub) and the fetch: the stub saw each one.
  expect(fetched.length).toBeGreaterThan(4);
  expect(fetched.filter((url) => !url.startsWith(`${stub.url}/`))).toEqual([]);
  expect(stub.requests.length).toBe(fetched.length);
  expect(stub.requests.filter((request) => !request.path.startsWith('/lfs-upload/')).every((request) => request.auth === `Bearer ${TOKEN}`)).toBe(true);
});

test('a push again: nothing sent, no commit made', async () => {
  const dir = base;
  stub.createRepo(REPO);
  await push(dir);
  const head = stub.head(REPO);
  const sent = stub.uploadedBytes;
  const result = await push(dir);
  expect(stub.commits).toBe(1);
  expect(stub.head(REPO)).toBe(head);
  expect(stub.uploadedBytes).toBe(sent);
  expect(result.plan.upload).toEqual([]);
  expect(result.commit).toBeUndefined();
  expect(notes.at(-1)).toMatch(/holds this export already at main \([0-9a-f]{7}\): nothing to push, no commit made$/);
});

test('a push after a new export: only the changed files sent, the stale shard deleted, the user’s card text and files kept', async () => {
  const before = base;
  stub.createRepo(REPO);
  await push(before);
  // The user edits the card on the Hub (a paragraph after the generated part, a key in the YAML) and adds an image.
  const card = stub.read(REPO, 'README.md')!.toString('utf8');
  expect(card).toContain(GENERATED_BEGIN);
  const edited = card.replace(/^---\n/, '---\nannotations_creators:\n- expert-generated\n').replace(/\n$/, '\n\n## Citation\n\nPlease cite our paper.\n');
  stub.commitDirect(REPO, { 'README.md': edited, 'images/plot.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]) });

  // The new export: the same records and a few more, in larger shards (fewer of them).
  const after = grown;
  const oldFiles = (await manifestOf(before)).outputs;
  const newFiles = (await manifestOf(after)).outputs;
  const stale = oldFiles.filter((file) => !newFiles.some((other) => other.path === file.path)).map((file) => file.path);
  expect(stale.length).toBeGreaterThan(0);

  const uploadsBefore = stub.lfsUploads.length;
  const result = await push(after);
  expect(stub.commits).toBe(2);
  await expectRepoHolds(after);
  // Only what differs went up: unchanged files are not in the commit.
  const changed = newFiles.filter((file) => oldFiles.find((other) => other.path === file.path)?.sha256 !== file.sha256).map((file) => file.path);
  expect(result.plan.upload.map((file) => file.path).sort()).toEqual([...changed, 'README.md', 'manifest.json'].filter((p, i, all) => all.indexOf(p) === i).sort());
  expect(stub.lfsUploads.length - uploadsBefore).toBe(newFiles.filter((file) => file.path.endsWith('.parquet') && changed.includes(file.path)).length);
  expect(result.plan.delete.map((file) => file.path).sort()).toEqual(stale.sort());
  for (const file of stale) expect(stub.read(REPO, file)).toBeNull();
  expect(stub.read(REPO, 'images/plot.png')).not.toBeNull();
  // The card: the new generated part, the user's paragraph and key kept.
  const merged = stub.read(REPO, 'README.md')!.toString('utf8');
  expect(merged).toContain('## Citation\n\nPlease cite our paper.\n');
  expect(merged).toContain('annotations_creators:\n- expert-generated\n');
  expect(merged.split(GENERATED_END).length).toBe(2);
  const newCard = await fs.readFile(path.join(after, 'README.md'), 'utf8');
  const generated = newCard.slice(newCard.indexOf(GENERATED_BEGIN), newCard.indexOf(GENERATED_END));
  // …with its loading instructions naming the repo, not the folder the export was made in.
  expect(generated).toContain('ds = load_dataset("grown")\n');
  expect(merged).toContain(generated.replaceAll('load_dataset("grown"', `load_dataset("${REPO}"`).replaceAll('"grown/', `"hf://datasets/${REPO}/`));
  // And a push again changes nothing: the merge is stable.
  await push(after);
  expect(stub.commits).toBe(2);
});

test('a moved parent: the commit is refused (412) with one line, and the repo keeps the other commit', async () => {
  const dir = base;
  stub.createRepo(REPO);
  // Someone commits between the push's read of the branch and its commit.
  const realFetch = globalThis.fetch;
  let moved = '';
  const racing: typeof fetch = async (url, init) => {
    if (String(url).includes('/commit/') && moved === '') moved = stub.commitDirect(REPO, { 'NOTES.md': 'theirs\n' });
    return realFetch(url, init);
  };
  const error = await pushCommand({ dir, repo: REPO, hubUrl: stub.url, quiet: true }, { env: { HF_TOKEN: TOKEN }, fetch: racing }).catch((err: unknown) => err as QaHfError);
  expect(error).toBeInstanceOf(QaHfError);
  expect((error as QaHfError).toLine()).toMatch(/^ERR_HUB: http:\/\/127\.0\.0\.1:\d+\/datasets\/me\/qa: branch main moved past [0-9a-f]{7} while this push ran \(412\): nothing was changed; run the push again to push onto the new revision$/);
  expect(stub.head(REPO)).toBe(moved);
  expect(stub.commits).toBe(0);
  expect(stub.read(REPO, 'manifest.json')).toBeNull();
});

test('an interrupted push resumes: the large files the Hub holds are not sent again', async () => {
  const dir = base;
  stub.createRepo(REPO);
  stub.failNextCommit = 500;
  const error = await push(dir).catch((err: unknown) => err as QaHfError);
  expect((error as QaHfError).toLine()).toMatch(/the Hub failed \(500\) while committing: try again later; a rerun uploads only what the Hub lacks$/);
  expect(stub.commits).toBe(0);
  const lfsBytes = stub.uploadedBytes;
  expect(lfsBytes).toBeGreaterThan(0);
  const uploads = stub.lfsUploads.length;
  const result = await push(dir);
  expect(stub.commits).toBe(1);
  expect(stub.lfsUploads.length).toBe(uploads);
  expect(result.heldByHub.sort()).toEqual((await manifestOf(dir)).outputs.filter((file) => file.path.endsWith('.parquet')).map((file) => file.path).sort());
  // The second run sent only the small files, inline in the commit.
  const small = result.plan.upload.filter((file) => !file.path.endsWith('.parquet')).reduce((sum, file) => sum + file.bytes, 0);
  expect(stub.uploadedBytes - lfsBytes).toBe(small);
  expect(notes.at(-1)).toMatch(/of which \d+ the Hub held already \(.* not sent again\)/);
  await expectRepoHolds(dir);
});

test('--dry-run names every path it would upload, delete and keep, with sizes; sends nothing', async () => {
  const dir = base;
  // manifest.json of another tool: the files it lists are not qa-hf's to delete.
  stub.createRepo(REPO, { files: { LICENSE: 'MIT\n', 'jsonl/train-00009-of-00010.jsonl': '{}\n', 'manifest.json': '{"outputs":[{"path":"LICENSE"}]}' } });
  const requests = stub.requests.length;
  const result = await push(dir, { dryRun: true });
  expect(stub.commits).toBe(0);
  expect(stub.requests.slice(requests).every((request) => request.method === 'GET')).toBe(true);
  const local = await manifestOf(dir);
  expect(printed[0]).toBe(`push --dry-run: ${dir} → ${stub.url}/datasets/me/qa@main (${stub.head(REPO).slice(0, 7)})`);
  for (const file of local.outputs) expect(printed).toContainEqual(expect.stringMatching(new RegExp(`^upload +[\\d.]+ k?B  ${file.path.replace(/\./g, '\\.')}$`)));
  expect(printed).toContainEqual('delete          3 B  jsonl/train-00009-of-00010.jsonl');
  expect(printed).toContainEqual('keep            4 B  LICENSE');
  expect(printed.at(-1)).toMatch(/^\d+ files to upload \(.*\), 0 unchanged, 1 to delete, 2 of the repo's own kept; nothing was sent$/);
  expect(printed).toContainEqual(expect.stringMatching(/^upload +[\d.]+ k?B {2}manifest\.json$/));
  expect(result.plan.delete.map((file) => file.path)).toEqual(['jsonl/train-00009-of-00010.jsonl']);
});

test('--create makes a missing repo (--private: private); without it, one line; --pr opens a pull request', async () => {
  const dir = base;
  const missing = await push(dir).catch((err: unknown) => err as QaHfError);
  expect((missing as QaHfError).toLine()).toBe(`ERR_HUB: ${stub.url}/datasets/me/qa does not exist (or the token may not read it): add --create to create it, or check --repo and --hub-url`);
  await push(dir, { create: true, private: true });
  expect(stub.repos.get(REPO)?.private).toBe(true);
  expect(notes[0]).toBe(`created private dataset repo datasets/me/qa on ${stub.url}`);
  await expectRepoHolds(dir);
  // A new export as a pull request: main stays, refs/pr/1 holds it.
  const main = stub.head(REPO);
  const next = grown;
  const result = await push(next, { pr: true });
  expect(stub.head(REPO)).toBe(main);
  expect(result.pullRequestUrl).toBe(`${stub.url}/datasets/me/qa/discussions/1`);
  await expectRepoHolds(next, 'refs/pr/1');
});

test('--progress: a bar of the bytes uploaded, as the export draws it (log lines off a terminal), none with -q', async () => {
  stub.createRepo(REPO);
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let drawn = '';
  stream.on('data', (chunk: Buffer) => (drawn += chunk.toString('utf8')));
  const result = await pushCommand({ dir: base, repo: REPO, hubUrl: stub.url, progress: true }, { env: { HF_TOKEN: TOKEN }, stream, note: () => undefined });
  const total = result.plan.upload.reduce((sum, file) => sum + file.bytes, 0);
  const lines = drawn.trim().split('\n');
  expect(lines[0]).toMatch(/^qa-hf ░+ 0% \| 0\.0 kB of [\d.]+ kB/);
  expect(lines.at(-1)).toMatch(new RegExp(`^qa-hf █+ 100% \\| ${(total / 1e3).toFixed(1)} kB of ${(total / 1e3).toFixed(1)} kB \\| `));
  expect(drawn).not.toMatch(/pair/);
  drawn = '';
  stub.commitDirect(REPO, { 'NOTES.md': 'x\n' });
  await pushCommand({ dir: grown, repo: REPO, hubUrl: stub.url, progress: true, quiet: true }, { env: { HF_TOKEN: TOKEN }, stream, note: () => undefined });
  expect(drawn).toBe('');
});

test('a token that may only read: one line (403), nothing committed', async () => {
  stub.createRepo(REPO);
  const error = (await push(base, {}, { HF_TOKEN: 'hf_stub_read_token' }).catch((err: unknown) => err)) as QaHfError;
  expect(error.toLine()).toBe(`ERR_HUB: ${stub.url}/datasets/me/qa: the token may not write here (403) while committing: use a token with write access to me (a fine-grained token needs write on this repo)`);
  expect(stub.commits).toBe(0);
});

test('a folder that differs from its manifest is refused (exit 3) before anything is sent; an interrupted export too', async () => {
  const dir = path.join(work, 'tampered');
  await fs.cp(base, dir, { recursive: true });
  stub.createRepo(REPO);
  const manifest = await manifestOf(dir);
  await fs.appendFile(path.join(dir, manifest.outputs[0].path), 'x');
  const error = (await push(dir).catch((err: unknown) => err)) as QaHfError;
  expect(error.code).toBe('ERR_VERIFY');
  expect(notes).toEqual([`push: output ${manifest.outputs[0].path}: ${manifest.outputs[0].bytes + 1} bytes, expected ${manifest.outputs[0].bytes}, sha256 differs`]);
  expect(stub.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  await fs.writeFile(path.join(dir, '.qa-hf-checkpoint.json'), '{}');
  expect(((await push(dir).catch((err: unknown) => err)) as QaHfError).toLine()).toBe(`ERR_INPUT: an export into ${dir} was interrupted: run it again to finish it (or --restart), then push`);
});

/** A loopback URL nothing listens on (a port just closed). */
async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** `qa-hf push ARGS` with an environment of its own (HF_TOKEN, HF_ENDPOINT). */
function runPush(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return runCommand(['push', ...args], env);
}

/** The CLI with an environment of its own. */
function runCommand(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

test('the CLI: one line per failure with what to do; --hub-url wins over HF_ENDPOINT; --token-file', async () => {
  const dir = base;
  stub.createRepo(REPO);
  const wrong = await runPush([dir, '--repo', REPO, '--hub-url', stub.url], { HF_TOKEN: 'hf_wrong' });
  expect([wrong.code, wrong.stderr]).toEqual([1, `qa-hf: ERR_HUB: ${stub.url}/datasets/me/qa: the token was refused (401) while reading the repo: it is invalid or expired; give a valid one in HF_TOKEN or --token-file\n`]);
  const none = await runPush([dir, '--repo', REPO, '--hub-url', stub.url], {});
  expect([none.code, none.stderr]).toEqual([2, 'qa-hf: ERR_USAGE: push needs a Hugging Face token with write access: set HF_TOKEN, or give --token-file FILE (never on the command line, where ps shows it)\n']);
  const closed = await closedPort();
  const unreachable = await runPush([dir, '--repo', REPO, '--hub-url', closed], { HF_TOKEN: TOKEN });
  expect([unreachable.code, unreachable.stderr]).toEqual([1, `qa-hf: ERR_HUB: cannot reach ${closed} while reading the repo (ECONNREFUSED): check the network, or the Hub's URL (--hub-url, HF_ENDPOINT); a rerun uploads only what the Hub lacks\n`]);
  const noFlag = await runPush([dir, '--repo', REPO, '--token', TOKEN], {});
  expect([noFlag.code, noFlag.stderr]).toEqual([2, 'qa-hf: ERR_USAGE: push takes no --token (ps would show it): set HF_TOKEN, or give --token-file FILE (see --help)\n']);
  // --hub-url over HF_ENDPOINT (which points nowhere), the token from a file.
  const tokenFile = path.join(work, 'token');
  await fs.writeFile(tokenFile, `${TOKEN}\n`);
  const ok = await runPush([dir, '--repo', REPO, '--hub-url', stub.url, '--token-file', tokenFile], { HF_ENDPOINT: closed });
  expect([ok.code, ok.stderr]).toEqual([0, expect.stringMatching(/^qa-hf: pushed .* commit [0-9a-f]{7}; /)]);
  // HF_ENDPOINT alone is taken too.
  const again = await runPush([dir, '--repo', REPO, '--dry-run'], { HF_ENDPOINT: stub.url });
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/nothing was sent \(and a push would make no commit\)\n$/);
});

test('an export run again into a folder whose card a user edited keeps the user’s text (and the rerun verifies)', async () => {
  const dir = path.join(work, 'rerun');
  await fs.cp(base, dir, { recursive: true });
  const card = await fs.readFile(path.join(dir, 'README.md'), 'utf8');
  await fs.writeFile(path.join(dir, 'README.md'), card.replace(/^---\n/, '---\nlicense: mit\n').replace(GENERATED_END, `${GENERATED_END}\n\nWritten by hand.`));
  const input = path.join(work, 'grown.jsonl');
  const run = await runCli(['export', input, '--out', dir, '--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--max-shard-size', '400kB', '-q']);
  expect(run.stderr).toBe('');
  const rerun = await fs.readFile(path.join(dir, 'README.md'), 'utf8');
  expect(rerun).toContain(`${GENERATED_END}\n\nWritten by hand.\n`);
  expect(rerun).toContain('\nlicense: mit\n');
  // The generated part is the new export's: the same as an export of the same input into a new folder.
  const fresh = await fs.readFile(path.join(grown, 'README.md'), 'utf8');
  const generated = (text: string) => text.slice(text.indexOf(GENERATED_BEGIN), text.indexOf(GENERATED_END));
  expect(generated(rerun).replace(/\brerun\b/g, 'grown')).toBe(generated(fresh));
  expect((await runCli(['verify', dir, '--no-inputs'])).code).toBe(0);
});

test('export --out hf://datasets/OWNER/NAME: staged, pushed, the card loads the repo id; a missing token or repo costs one line and no export', async () => {
  const input = path.join(work, 'base.jsonl');
  const args = ['export', input, '--out', `hf://datasets/${REPO}`, '--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--max-shard-size', '40kB'];
  const stage = path.join(work, 'stage');
  const missing = await runCommand([...args, '--stage-dir', stage], { HF_TOKEN: TOKEN, HF_ENDPOINT: stub.url });
  expect([missing.code, missing.stderr]).toEqual([1, expect.stringMatching(/^qa-hf: ERR_HUB: http:\/\/127\.0\.0\.1:\d+\/datasets\/me\/qa does not exist .*\n$/)]);
  expect(await fs.readdir(stage).catch(() => [])).toEqual([]);
  stub.createRepo(REPO);
  const noToken = await runCommand(args, { HF_ENDPOINT: stub.url });
  expect([noToken.code, noToken.stderr]).toEqual([2, `qa-hf: ERR_USAGE: --out hf://datasets/${REPO} needs a Hugging Face token with write access: set HF_TOKEN\n`]);
  const ok = await runCommand([...args, '--stage-dir', stage], { HF_TOKEN: TOKEN, HF_ENDPOINT: stub.url });
  expect([ok.code, ok.stderr]).toEqual([0, expect.stringMatching(/qa-hf: pushed .* commit [0-9a-f]{7}; /)]);
  expect(stub.commits).toBe(1);
  expect(await fs.readdir(stage)).toEqual([]);
  const card = stub.read(REPO, 'README.md')!.toString('utf8');
  expect(card).toContain(`load_dataset("${REPO}")`);
  const pushed = JSON.parse(stub.read(REPO, 'manifest.json')!.toString('utf8')) as Manifest;
  for (const file of pushed.outputs) expect([file.path, sha256(stub.read(REPO, file.path)!)]).toEqual([file.path, file.sha256]);
  // The data is the local export's, byte for byte.
  const local = await manifestOf(base);
  for (const file of local.outputs.filter((entry) => /\.(jsonl|parquet)$/.test(entry.path))) {
    expect(pushed.outputs.find((entry) => entry.path === file.path)?.sha256).toBe(file.sha256);
  }
});

test('--config: the repo, the Hub, the branch and the commit title from the file, a flag over it; the card pushed loads the repo as an export to hf:// writes it', async () => {
  const input = path.join(work, 'base.jsonl');
  const args = ['--format', 'jsonl,parquet,messages', '--split', 'train=0.8,test=0.2', '--max-shard-size', '40kB'];
  // The reference: the card an export to hf://datasets/me/qa renders for the repo (loadPath the repo id, data files under hf://).
  stub.createRepo(REPO);
  const staged = await runCommand(['export', input, '--out', `hf://datasets/${REPO}`, ...args, '--stage-dir', path.join(work, 'stage-config'), '-q'], { HF_TOKEN: TOKEN, HF_ENDPOINT: stub.url });
  expect([staged.code, staged.stderr]).toEqual([0, '']);
  const reference = stub.read(REPO, 'README.md')!.toString('utf8');
  expect(reference).toContain(`load_dataset("${REPO}", "messages")`);
  // The same export into a folder of the repo's name (the card's title), pushed to a fresh Hub with the options in a config file.
  const dir = path.join(work, 'plain', 'qa');
  const exported = await runCli(['export', input, '--out', dir, ...args, '-q']);
  expect(exported.code).toBe(0);
  expect(await fs.readFile(path.join(dir, 'README.md'), 'utf8')).toContain('ds = load_dataset("qa", "messages")');
  const other = await startHubStub();
  try {
    other.createRepo(REPO);
    const config = path.join(work, 'push.yaml');
    await fs.writeFile(config, `repo: ${REPO}\nhub-url: ${other.url}\nbranch: main\nmessage: From the config file\nformat: [jsonl]\n`);
    const pushed = await runPush([dir, '--config', config, '-q'], { HF_TOKEN: TOKEN, HF_ENDPOINT: stub.url });
    expect([pushed.code, pushed.stderr]).toEqual([0, '']);
    expect(other.commits).toBe(1);
    expect(other.repos.get(REPO)!.commits.get(other.head(REPO))!.title).toBe('From the config file');
    expect(other.read(REPO, 'README.md')!.toString('utf8')).toBe(reference);
    // The pushed manifest lists the card sent, so the repo verifies as the folder does.
    const manifest = JSON.parse(other.read(REPO, 'manifest.json')!.toString('utf8')) as Manifest;
    expect(manifest.outputs.find((file) => file.path === 'README.md')?.sha256).toBe(sha256(Buffer.from(reference)));
    // A flag over the file's value.
    const flag = await runPush([dir, '--config', config, '--branch', 'dev'], { HF_TOKEN: TOKEN });
    expect([flag.code, flag.stderr]).toEqual([1, `qa-hf: ERR_HUB: ${other.url}/datasets/${REPO} has no branch dev: create it on the Hub first, or leave out --branch\n`]);
  } finally {
    await other.close();
  }
});
