/**
 * s3:// inputs and outputs against a real S3 server (s3rver, started here on a
 * free port): export and pipe mode from S3, export to S3 with manifest.json last,
 * verify s3://, a SIGKILL mid-upload and mid-read, a changed object, wrong
 * credentials. Every CLI run is the built dist/cli.js with the S3 environment.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { configureS3, headObject, listObjects, putText, readObjectText, uploadFile } from '../lib/io/s3';
import { stageDirFor } from '../lib/io/s3-export';
import { parseS3Prefix } from '../lib/s3-url';
import { CLI, ROOT, internalRecord, listFiles, recordLines, statsWithoutRun } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (options: Record<string, unknown>) => { run(): Promise<{ port: number }>; close(): Promise<void> };

const BUCKET = 'qa-bucket';
const HUB = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--compress', 'gzip'];
const FAST_CHECKPOINTS = ['--checkpoint-bytes', '20000', '--checkpoint-ms', '5'];

let server: InstanceType<typeof S3rver>;
let tmp: string;
let local: string; // the inputs as local files
const savedEnv = { ...process.env };

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/**
 * helpers.ts runCliKilledAtCheckpoint with this environment (a child spawned
 * without `env` gets the process's, not the test's): SIGKILLed once a checkpoint inside an input exists.
 */
async function killedMidFile(args: string[], out: string): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env }, stdio: 'ignore' });
  const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
  for (let i = 0; i < 2000; i++) {
    const text = await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8').catch(() => null);
    if (text && JSON.parse(text).position.offset > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  return closed;
}

const url = (key: string) => `s3://${BUCKET}/${key}`;

async function objectBytes(key: string): Promise<string> {
  return (await readObjectText(url(key))) ?? '<missing>';
}

/** Every object under `prefix` (relative keys, sorted). */
async function objectKeys(prefix: string): Promise<string[]> {
  return (await listObjects(BUCKET, prefix)).map((object) => object.key.slice(prefix.length));
}

/** The files of a local export that a run writes the same bytes of wherever it runs (stats.json: without its timings). */
async function comparableFiles(dir: string): Promise<string[]> {
  return (await listFiles(dir)).filter((file) => !['manifest.json', 'stats.json'].includes(file));
}

async function expectObjectsEqualExport(prefix: string, dir: string): Promise<void> {
  const files = await comparableFiles(dir);
  expect((await objectKeys(prefix)).sort()).toEqual([...files, 'manifest.json', 'stats.json'].sort());
  for (const file of files) expect([file, await objectBytes(`${prefix}${file}`)]).toEqual([file, await fs.readFile(path.join(dir, file), 'utf8')]);
  // stats.json: the same but for timings and the inputs' names (relative to the working directory, not to a folder).
  const stats = JSON.parse(await objectBytes(`${prefix}stats.json`));
  const reference = (await statsWithoutRun(dir)) as typeof stats;
  delete stats.run;
  expect(stats.inputs.map((file: { path: string }) => file.path)).toEqual(['a.jsonl', 'c.jsonl', 'sub/b.jsonl.gz'].map((name) => path.relative(ROOT, path.join(local, name))));
  for (const file of [...stats.inputs, ...reference.inputs]) delete file.path;
  expect(stats).toEqual(reference);
}

function expectOneLine(result: Run, start: string): void {
  expect(result.stderr).toMatch(new RegExp(`^${start.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[^\n]*\n$`));
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-s3-'));
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(tmp, 'server'), configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  // The spawned CLI inherits these; so does this process's client (lib/io/s3.ts).
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
  });
  configureS3({});
  // Inputs: a plain file, a gzip file in a sub-folder, a file with bad lines; the same bytes locally and in S3.
  local = path.join(tmp, 'in');
  await fs.mkdir(path.join(local, 'sub'), { recursive: true });
  const files: Record<string, Buffer> = {
    'a.jsonl': Buffer.from(`${recordLines(1000, 1).join('\n')}\n`),
    'sub/b.jsonl.gz': gzipSync(`${recordLines(500, 2).join('\n')}\n`),
    'c.jsonl': Buffer.from(`${recordLines(200, 3).join('\n')}\n{"question": broken\n\n[1]\n`),
    'notes.txt': Buffer.from('not an input\n'),
    // Big enough that a run is killed inside it (~1.2 MB: a checkpoint every 20 kB).
    '../big/a.jsonl': Buffer.from(`${recordLines(3000, 4).join('\n')}\n`),
  };
  await fs.mkdir(path.join(tmp, 'big'));
  for (const [name, bytes] of Object.entries(files)) {
    await fs.writeFile(path.join(local, name), bytes);
    await uploadFile(path.join(local, name), url(path.posix.normalize(`in/${name}`)), {});
  }
});

afterAll(async () => {
  // A refused upload leaves its staging folder for the next run: this test's go with it.
  for (const prefix of ['out/ds1', 'out/foreign', 'out/denied']) await fs.rm(path.dirname(stageDirFor(parseS3Prefix(url(prefix)))), { recursive: true, force: true });
  await server?.close();
  configureS3({});
  process.env = savedEnv;
  await fs.rm(tmp, { recursive: true, force: true });
});

/**
 * The local files' export in the Hub layout, run once: the reference of the export from S3 and of the export to S3
 * (named ds1, as the prefix out/ds1 is: the card's title is the folder's name).
 */
let diskExport: Promise<string> | null = null;
function localReference(): Promise<string> {
  diskExport ??= (async () => {
    const out = path.join(tmp, 'from-disk', 'ds1');
    const result = await run(['export', `${local}/`, '--out', out, ...HUB, '-q']);
    expect([result.code, result.stderr]).toEqual([0, '']);
    return out;
  })();
  return diskExport;
}

test('export from an S3 prefix gives the bytes an export of the same local files gives', async () => {
  const fromS3 = path.join(tmp, 'from-s3', 'ds1');
  const s3Run = await run(['export', url('in/'), '--out', fromS3, ...HUB, '-q']);
  expect([s3Run.code, s3Run.stderr]).toEqual([0, '']);
  const fromDisk = await localReference();
  const files = await comparableFiles(fromDisk);
  expect(files).toContain('jsonl/train-00000-of-00001.jsonl.gz');
  expect(await comparableFiles(fromS3)).toEqual(files);
  for (const file of files) {
    // The dead letter names the input: the URL where the local run names the path.
    const bytes = (await fs.readFile(path.join(fromS3, file))).toString('latin1').split(url('in/')).join(`${local}/`);
    expect([file, bytes]).toEqual([file, (await fs.readFile(path.join(fromDisk, file))).toString('latin1')]);
  }
  const manifest = JSON.parse(await fs.readFile(path.join(fromS3, 'manifest.json'), 'utf8'));
  expect(manifest.inputs.map((input: { path: string }) => input.path)).toEqual([url('in/a.jsonl'), url('in/c.jsonl'), url('in/sub/b.jsonl.gz')]);
  // verify hashes the S3 inputs again.
  const verified = await run(['verify', fromS3]);
  expect([verified.code, verified.stderr]).toEqual([0, `qa-hf: ${fromS3}: every file matches manifest.json\n`]);
});

// A missing object in pipe mode, one line: the --s3-url-style path run of the unreachable-endpoint test below.
test('pipe mode reads a gzip object as it reads the file', async () => {
  // gzip is told by its bytes, as for a file (the plain object: the export test above).
  const fromS3 = await run([url('in/sub/b.jsonl.gz'), '-q']);
  const fromDisk = await run([path.join(local, 'sub/b.jsonl.gz'), '-q']);
  expect([fromS3.code, fromS3.stderr]).toEqual([0, '']);
  expect(fromS3.stdout.length).toBeGreaterThan(1000);
  expect(fromS3.stdout.equals(fromDisk.stdout)).toBe(true);
});

test('export to S3: objects equal a local export, verify s3:// passes; killed mid-upload, the earlier manifest is withdrawn first and the rerun finishes', async () => {
  // A committed export under the prefix, then another seed over it (the default: the local reference's).
  const first = await run(['export', `${local}/`, '--out', url('out/ds1'), ...HUB, '--seed', '7', '-q']);
  expect([first.code, first.stderr]).toEqual([0, '']);
  const earlier = await headObject(url('out/ds1/manifest.json'));
  expect(earlier).not.toBeNull();
  // The staging folder goes once the upload is committed.
  await expect(fs.stat(path.dirname(stageDirFor(parseS3Prefix(url('out/ds1')))))).rejects.toMatchObject({ code: 'ENOENT' });

  const reference = await localReference(); // the same folder name: the card's title
  const killed = await run(['export', `${local}/`, '--out', url('out/ds1'), ...HUB, '-q'], { QA_HF_CRASH_AT: 'after-first-upload' });
  expect(killed.signal).toBe('SIGKILL');
  // One object of the new export is there, and no manifest vouches for a mix of the two.
  expect(await headObject(url('out/ds1/manifest.json'))).toBeNull();
  const rerun = await run(['export', `${local}/`, '--out', url('out/ds1'), ...HUB, '-q']);
  expect([rerun.code, rerun.stderr]).toEqual([0, '']);
  await expectObjectsEqualExport('out/ds1/', reference);
  const verified = await run(['verify', url('out/ds1'), '--no-inputs']);
  expect([verified.code, verified.stderr]).toEqual([0, `qa-hf: ${url('out/ds1')}: every file matches manifest.json\n`]);

  // A changed object is a difference verify names; an object of nobody's is one too.
  await putText(url('out/ds1/README.md'), 'edited\n', 'text/markdown');
  await putText(url('out/ds1/extra.txt'), 'mine\n', 'text/plain');
  const differs = await run(['verify', url('out/ds1'), '--no-inputs']);
  expect(differs.code).toBe(3);
  expect(differs.stderr.split('\n').filter((line) => line.startsWith('qa-hf: verify: '))).toEqual([
    expect.stringMatching(/^qa-hf: verify: output README\.md: 7 bytes, expected \d+, sha256 differs$/),
    'qa-hf: verify: output extra.txt: not in the manifest',
  ]);
});

test('a foreign object where an output goes is refused before anything is written; with --force replaced, other foreign objects kept and listed', async () => {
  await putText(url('out/foreign/qa_pairs.jsonl'), 'someone else\n', 'text/plain');
  await putText(url('out/foreign/notes.txt'), 'mine\n', 'text/plain');
  const refused = await run(['export', path.join(local, 'c.jsonl'), '--out', url('out/foreign'), '-q']);
  expect(refused.code).toBe(2);
  expectOneLine(refused, `qa-hf: ERR_USAGE: --out ${url('out/foreign')} holds objects of no qa-hf export that this export would replace: qa_pairs.jsonl; use --force to replace them`);
  expect(await objectKeys('out/foreign/')).toEqual(['notes.txt', 'qa_pairs.jsonl']);
  expect(await objectBytes('out/foreign/qa_pairs.jsonl')).toBe('someone else\n');
  // Only passed pairs: qa_rejected.jsonl and qa_errors.jsonl are empty objects, uploaded and verified too.
  const passed = path.join(tmp, 'passed.jsonl');
  await fs.writeFile(passed, `${JSON.stringify(internalRecord())}\n${JSON.stringify(internalRecord({ question: 'Och sedan?' }))}\n`);
  expect((await run(['export', passed, '--out', url('out/foreign'), '--force', '-q'])).code).toBe(0);
  expect((await headObject(url('out/foreign/qa_errors.jsonl')))!.size).toBe(0);
  expect(await objectBytes('out/foreign/notes.txt')).toBe('mine\n');
  expect(JSON.parse(await objectBytes('out/foreign/manifest.json')).kept).toEqual(['notes.txt']);
  expect((await run(['verify', url('out/foreign'), '--no-inputs'])).code).toBe(0);
});

test('--version to S3: the export goes to PREFIX/vX.Y.Z/ with the version in the manifest and the card; a finished version is kept: exporting it again or to PREFIX/v1.0.0 is refused, one to PREFIX leaves PREFIX/v1.0.0 whole', async () => {
  const args = ['export', path.join(local, 'c.jsonl'), '--out', url('out/vers'), ...HUB, '--version', '1.0.0', '-q'];
  const version = await run(args);
  expect([version.code, version.stderr]).toEqual([0, '']);
  const versionKeys = await objectKeys('out/vers/v1.0.0/');
  expect(versionKeys).toContain('jsonl/train-00000-of-00001.jsonl.gz');
  expect(JSON.parse(await objectBytes('out/vers/v1.0.0/manifest.json')).dataset_version).toBe('1.0.0');
  expect(await objectBytes('out/vers/v1.0.0/README.md')).toContain('version: 1.0.0');
  expect((await objectKeys('out/vers/')).every((key) => key.startsWith('v1.0.0/'))).toBe(true);
  const manifest = await objectBytes('out/vers/v1.0.0/manifest.json');
  // The same export again is refused: the version is complete.
  const again = await run(args);
  expect(again.code).toBe(2);
  expectOneLine(again, `qa-hf: ERR_USAGE: version 1.0.0 is already complete in ${url('out/vers/v1.0.0')}`);
  // An export pointed at the version's prefix itself is refused as a rerun of the version is.
  const direct = await run(['export', path.join(local, 'a.jsonl'), '--out', url('out/vers/v1.0.0'), '-q']);
  expect(direct.code).toBe(2);
  expectOneLine(direct, `qa-hf: ERR_USAGE: --out ${url('out/vers/v1.0.0')} holds the finished version 1.0.0 (its manifest.json): a finished version is never overwritten`);
  expect(await objectBytes('out/vers/v1.0.0/manifest.json')).toBe(manifest);
  const above = await run(['export', path.join(local, 'a.jsonl'), '--out', url('out/vers'), '-q']);
  expect([above.code, above.stderr]).toEqual([0, '']);
  expect(await objectKeys('out/vers/v1.0.0/')).toEqual(versionKeys);
  expect(JSON.parse(await objectBytes('out/vers/manifest.json')).kept).toEqual(versionKeys.map((key) => `v1.0.0/${key}`));
  for (const prefix of ['out/vers/v1.0.0', 'out/vers']) {
    const verified = await run(['verify', url(prefix), '--no-inputs']);
    expect([prefix, verified.code, verified.stderr]).toEqual([prefix, 0, `qa-hf: ${url(prefix)}: every file matches manifest.json\n`]);
  }
});

test('a run killed mid-object resumes there by a ranged GET with the same bytes; a changed object (ETag) refuses the resume', async () => {
  const whole = path.join(tmp, 'whole');
  expect((await run(['export', url('big/a.jsonl'), '--out', whole, '-q'])).code).toBe(0);
  const out = path.join(tmp, 'resumed');
  expect(await killedMidFile(['export', url('big/a.jsonl'), '--out', out, ...FAST_CHECKPOINTS, '-q'], out)).toBe('SIGKILL');
  const checkpoint = JSON.parse(await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8'));
  expect(checkpoint.position.offset).toBeGreaterThan(0);
  expect(checkpoint.inputs[0].fingerprint.etag).toBe((await headObject(url('big/a.jsonl')))!.etag);
  const changed = path.join(tmp, 'changed');
  await fs.cp(out, changed, { recursive: true });
  const resumed = await run(['export', url('big/a.jsonl'), '--out', out, ...FAST_CHECKPOINTS]);
  expect(resumed.code).toBe(0);
  expect(resumed.stderr).toMatch(/^qa-hf: resuming the interrupted export in .* at s3:\/\/qa-bucket\/big\/a\.jsonl line \d+ \(byte [1-9]\d*\)\n/);
  for (const file of ['qa_pairs.jsonl', 'qa_rejected.jsonl', 'qa_errors.jsonl']) {
    expect([file, await fs.readFile(path.join(out, file), 'utf8')]).toEqual([file, await fs.readFile(path.join(whole, file), 'utf8')]);
  }

  // The same interrupted state, then the object is replaced: the resume is refused in one line naming --restart.
  await uploadFile(path.join(local, 'c.jsonl'), url('big/a.jsonl'), {});
  const refused = await run(['export', url('big/a.jsonl'), '--out', changed, '-q']);
  expect(refused.code).toBe(1);
  expectOneLine(refused, `qa-hf: ERR_CHECKPOINT_MISMATCH: cannot resume the interrupted export in ${changed}: ${url('big/a.jsonl')} changed since the interrupted run read it (its ETag is now `);
  expect(refused.stderr).toMatch(/run again with --restart to start over\n$/);
});

test.each([
  ['an input', (out: string) => ['export', url('in/'), '--out', out]],
  ['an output', () => ['export', `${local}/`, '--out', url('out/denied')]],
  ['verify', () => ['verify', url('out/ds1')]],
  ['pipe mode', () => [url('in/c.jsonl')]],
])('wrong credentials for %s: one line, exit 1, nothing written', async (_name, args) => {
  const out = path.join(tmp, 'denied', 'ds');
  const result = await run(args(out), { AWS_ACCESS_KEY_ID: 'WRONG', AWS_SECRET_ACCESS_KEY: 'WRONG' });
  expect([result.code, result.stdout.length]).toEqual([1, 0]);
  expectOneLine(result, 'qa-hf: ERR_S3: s3://qa-bucket/');
  expect(result.stderr).toMatch(/the credentials were refused \(InvalidAccessKeyId\): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(or AWS_PROFILE\)\n$/);
  await expect(fs.stat(path.join(tmp, 'denied'))).rejects.toMatchObject({ code: 'ENOENT' });
  await expect(fs.stat(path.dirname(stageDirFor(parseS3Prefix(url('out/denied')))))).rejects.toMatchObject({ code: 'ENOENT' });
  expect(await objectKeys('out/denied/')).toEqual([]);
});

test('an unreachable endpoint, a missing bucket and --s3-url-style vhost (flag or config file) to a host without bucket names are one line each, never a stack trace', async () => {
  const unreachable = await run([url('in/c.jsonl')], { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' });
  expect(unreachable.code).toBe(1);
  expectOneLine(unreachable, `qa-hf: ERR_S3: ${url('in/c.jsonl')}: cannot reach http://127.0.0.1:9 (ECONNREFUSED)`);
  // --s3-url-style vhost puts the bucket in the host name: qa-bucket.localhost, which no resolver knows.
  const byName = { AWS_ENDPOINT_URL_S3: process.env.AWS_ENDPOINT_URL_S3!.replace('127.0.0.1', 'localhost'), AWS_MAX_ATTEMPTS: '1' };
  const pathStyle = await run([url('in/none.jsonl'), '--s3-url-style', 'path'], byName);
  expectOneLine(pathStyle, `qa-hf: ERR_S3: ${url('in/none.jsonl')}: no such object`);
  const vhost = await run([url('in/none.jsonl'), '--s3-url-style', 'vhost'], byName);
  expectOneLine(vhost, `qa-hf: ERR_S3: ${url('in/none.jsonl')}: cannot reach ${byName.AWS_ENDPOINT_URL_S3} (ENOTFOUND)`);
  // The config file's s3-url-style does what the flag does (the S3 client is configured before the file is read, then again).
  const styleFile = path.join(tmp, 'vhost.yaml');
  await fs.writeFile(styleFile, 's3-url-style: vhost\n');
  const vhostFromFile = await run([url('in/none.jsonl'), '--config', styleFile], byName);
  expectOneLine(vhostFromFile, `qa-hf: ERR_S3: ${url('in/none.jsonl')}: cannot reach ${byName.AWS_ENDPOINT_URL_S3} (ENOTFOUND)`);
  const noBucket = await run(['export', 's3://no-such-bucket/in/', '--out', path.join(tmp, 'nb')]);
  expect(noBucket.code).toBe(1);
  expectOneLine(noBucket, 'qa-hf: ERR_S3: s3://no-such-bucket/in/: no such bucket "no-such-bucket"');
});
