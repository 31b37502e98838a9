/**
 * Output targets (lib/io/output-target.ts) through the sink and the CLI: a device, a
 * FIFO and a socket are written through and stay what they are; a symlink (a chain,
 * a dangling one) is followed and stays a link; a directory, a missing parent or an
 * unwritable place is refused before any input is read; stale temp files of dead
 * runs are swept. Device nodes are made with mknod in a temp folder (never /dev).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { Batch } from '../lib/batch';
import { NODE_FILE_SYSTEM, type FileSystem } from '../lib/io/atomic-file';
import { checkOutputTarget, planOutput } from '../lib/io/output-target';
import { createSink } from '../streams/sink';
import { runChain } from '../streams/chain';
import { CLI, ROOT, listFiles, runCli } from './helpers';

/** mknod needs root (CAP_MKNOD); without it those tests are declared skipped, never passed empty. */
const asRoot = process.getuid?.() === 0;
const rootTest = asRoot ? test : test.skip;

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-targets-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const ERRORS = ['{"line":1}\n', '{"line":2}\n'];

function batches(): Batch[] {
  return ERRORS.map((errors) => ({ file: 'f', entries: [], endOffset: 0, endLine: 0, fileEnd: false, output: { pairs: '', rejected: '', errors }, stop: null }));
}

async function sinkTo(target: string, fs: FileSystem = NODE_FILE_SYSTEM): Promise<void> {
  await runChain([Readable.from(batches(), { objectMode: true }), createSink({ outputs: { errors: target }, fs })]);
}

function mknod(file: string, major: number, minor: number): void {
  const made = spawnSync('mknod', [file, 'c', String(major), String(minor)], { encoding: 'utf8' });
  expect(made.stderr).toBe('');
}

function mkfifo(file: string): void {
  const made = spawnSync('mkfifo', [file], { encoding: 'utf8' });
  expect(made.stderr).toBe('');
}

/** Records every path the file layer opens. */
function recordingFs(opened: string[]): FileSystem {
  return { ...NODE_FILE_SYSTEM, open: (file, flags, mode) => (opened.push(file), NODE_FILE_SYSTEM.open(file, flags, mode)) };
}

describe('sink: what a path output is', () => {
  rootTest('a character device (mknod 1 3, a null device) is written through and stays that device', async () => {
    const node = path.join(dir, 'null');
    mknod(node, 1, 3);
    const before = await fs.lstat(node);
    await sinkTo(node);
    const after = await fs.lstat(node);
    expect(after.isCharacterDevice()).toBe(true);
    expect([after.ino, after.rdev]).toEqual([before.ino, before.rdev]);
    expect(await listFiles(dir)).toEqual(['null']);
  });

  rootTest('a device that fails (mknod 1 7, a full device): ERR_NO_SPACE naming it, the device stays', async () => {
    const node = path.join(dir, 'full');
    mknod(node, 1, 7);
    await expect(sinkTo(node)).rejects.toMatchObject({ code: 'ERR_NO_SPACE', file: node, message: 'cannot write output: no space left on device (ENOSPC)' });
    expect((await fs.lstat(node)).isCharacterDevice()).toBe(true);
    expect(await listFiles(dir)).toEqual(['full']);
  });

  test('a FIFO is written through to its reader, byte for byte, and stays a FIFO', async () => {
    const fifo = path.join(dir, 'fifo');
    mkfifo(fifo);
    const chunks: Buffer[] = [];
    const reader = createReadStream(fifo);
    reader.on('data', (chunk) => chunks.push(chunk as Buffer));
    const read = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    await sinkTo(fifo);
    await read;
    expect(Buffer.concat(chunks).toString('utf8')).toBe(ERRORS.join(''));
    expect((await fs.lstat(fifo)).isFIFO()).toBe(true);
    expect(await listFiles(dir)).toEqual(['fifo']);
  });

  test('a Unix socket is connected to and written through, and stays a socket', async () => {
    const socketPath = path.join(dir, 'sock');
    const received: Buffer[] = [];
    let ended!: () => void;
    const gotAll = new Promise<void>((resolve) => (ended = resolve));
    const server = net.createServer((connection) => {
      connection.on('data', (chunk) => received.push(chunk));
      connection.on('end', () => ended());
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await sinkTo(socketPath);
      await gotAll;
      expect((await fs.lstat(socketPath)).isSocket()).toBe(true);
    } finally {
      server.close(); // node removes the socket file here
    }
    expect(Buffer.concat(received).toString('utf8')).toBe(ERRORS.join(''));
  });

  test('a symlink is followed: its target is replaced atomically, the link stays a link', async () => {
    const real = path.join(dir, 'real.jsonl');
    const link = path.join(dir, 'link.jsonl');
    await fs.writeFile(real, 'old\n');
    await fs.symlink('real.jsonl', link);
    await sinkTo(link);
    expect(await fs.readlink(link)).toBe('real.jsonl');
    expect(await fs.readFile(real, 'utf8')).toBe(ERRORS.join(''));
    expect(await listFiles(dir)).toEqual(['link.jsonl', 'real.jsonl']);
  });

  test('a chain of links: the temp file is made beside the file at the end of the chain', async () => {
    await fs.mkdir(path.join(dir, 'data'));
    const real = path.join(dir, 'data', 'real.jsonl');
    await fs.writeFile(real, 'old\n');
    await fs.symlink('data/real.jsonl', path.join(dir, 'second'));
    await fs.symlink('second', path.join(dir, 'first'));
    const opened: string[] = [];
    await sinkTo(path.join(dir, 'first'), recordingFs(opened));
    expect(opened.filter((file) => file.endsWith('.tmp'))).toEqual([path.join(dir, 'data', `.real.jsonl.${process.pid}.tmp`)]);
    expect(await fs.readlink(path.join(dir, 'first'))).toBe('second');
    expect(await fs.readlink(path.join(dir, 'second'))).toBe('data/real.jsonl');
    expect(await fs.readFile(real, 'utf8')).toBe(ERRORS.join(''));
    expect(await listFiles(dir)).toEqual(['data/real.jsonl', 'first', 'second']);
  });

  test('a dangling link creates the file it points to (as `>` in a shell), and stays a link', async () => {
    const link = path.join(dir, 'link');
    await fs.symlink('made.jsonl', link);
    await sinkTo(link);
    expect(await fs.readlink(link)).toBe('made.jsonl');
    expect(await fs.readFile(path.join(dir, 'made.jsonl'), 'utf8')).toBe(ERRORS.join(''));
  });

  test('a link to a device is written through: the device and the link stay', async () => {
    // A FIFO stands for any device here, so that this runs without root too.
    const fifo = path.join(dir, 'fifo');
    mkfifo(fifo);
    await fs.symlink('fifo', path.join(dir, 'link'));
    const reader = createReadStream(fifo);
    const chunks: Buffer[] = [];
    reader.on('data', (chunk) => chunks.push(chunk as Buffer));
    const read = new Promise<void>((resolve) => reader.on('close', () => resolve()));
    await sinkTo(path.join(dir, 'link'));
    await read;
    expect(Buffer.concat(chunks).toString('utf8')).toBe(ERRORS.join(''));
    expect((await fs.lstat(path.join(dir, 'link'))).isSymbolicLink()).toBe(true);
    expect((await fs.lstat(fifo)).isFIFO()).toBe(true);
  });

  test('temp files of dead qa-hf runs for the same file are swept; live, foreign and other ones stay', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const names = [`.e.jsonl.${dead}.tmp`, `.e.jsonl.${process.ppid}.tmp`, `.other.jsonl.${dead}.tmp`, `.e.jsonl.x${dead}.tmp`, `e.jsonl.${dead}.tmp`];
    for (const name of names) await fs.writeFile(path.join(dir, name), 'left\n');
    await sinkTo(path.join(dir, 'e.jsonl'));
    expect(await listFiles(dir)).toEqual([...names.slice(1), 'e.jsonl'].sort());
  });
});

describe('checkOutputTarget: refused before anything is read', () => {
  test.each([
    ['a directory', (d: string) => d, (d: string) => `--errors ${d} is a directory, not a file`],
    ['a path ending in /', (d: string) => `${d}/new/`, (d: string) => `--errors ${d}/new/ names a directory (it ends in /), not a file`],
    ['a missing parent', (d: string) => `${d}/missing/e.jsonl`, (d: string) => `--errors ${d}/missing/e.jsonl: directory ${d}/missing does not exist`],
    ['a parent that is a file', (d: string) => `${d}/file/e.jsonl`, (d: string) => `--errors ${d}/file/e.jsonl: ${d}/file is not a directory`],
    ['a link to a missing folder', (d: string) => `${d}/dangling`, (d: string) => `--errors ${d}/dangling: directory ${d}/nowhere does not exist`],
  ])('%s: ERR_USAGE naming the path as typed', async (_what, target, message) => {
    await fs.writeFile(path.join(dir, 'file'), '');
    await fs.symlink('nowhere/e.jsonl', path.join(dir, 'dangling'));
    await expect(checkOutputTarget(target(dir), { label: '--errors' })).rejects.toMatchObject({ code: 'ERR_USAGE', message: message(dir) });
  });

  test('a read-only place (EROFS from the file layer): ERR_IO, one line', async () => {
    const readOnly: FileSystem = {
      ...NODE_FILE_SYSTEM,
      access: async () => {
        throw Object.assign(new Error('EROFS: read-only file system, access'), { code: 'EROFS' });
      },
    };
    const target = path.join(dir, 'e.jsonl');
    await expect(checkOutputTarget(target, { label: '--errors', fs: readOnly })).rejects.toMatchObject({
      code: 'ERR_IO',
      message: `--errors ${target} cannot be written: read-only file system (EROFS)`,
    });
  });

  test.each([
    ['a new path', 'atomic', 'new.jsonl'],
    ['a regular file', 'atomic', 'file'],
    ['a FIFO', 'streamed', 'fifo'],
  ])('%s is planned %s', async (_what, kind, name) => {
    await fs.writeFile(path.join(dir, 'file'), '');
    mkfifo(path.join(dir, 'fifo'));
    expect((await planOutput(path.join(dir, name))).kind).toBe(kind);
  });
});

describe('qa-hf pipe mode: output targets end to end', () => {
  const INPUT = path.join(ROOT, 'samples', 'qa_dirty.jsonl');

  rootTest('--errors and --rejected on device nodes: written through, the nodes stay devices', async () => {
    mknod(path.join(dir, 'null'), 1, 3);
    const result = await runCli([INPUT, '--errors', path.join(dir, 'null'), '--rejected', path.join(dir, 'null'), '-q']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((await fs.lstat(path.join(dir, 'null'))).isCharacterDevice()).toBe(true);
    expect(await listFiles(dir)).toEqual(['null']);
  });

  test('--errors through a symlink: the link stays, its target holds the dead letter', async () => {
    await fs.writeFile(path.join(dir, 'real.jsonl'), 'old\n');
    await fs.symlink('real.jsonl', path.join(dir, 'link'));
    const result = await runCli([INPUT, '--errors', path.join(dir, 'link'), '-q']);
    expect(result.code).toBe(0);
    expect(await fs.readlink(path.join(dir, 'link'))).toBe('real.jsonl');
    expect(await fs.readFile(path.join(dir, 'real.jsonl'), 'utf8')).toMatch(/^\{"file":".*qa_dirty\.jsonl","line":\d+,"offset":\d+,"code":"ERR_/);
  });

  /** Runs the CLI under bash, so redirections (`> file`, `3> file`, a pipe) are the shell's own. */
  function shell(script: string): { code: number | null; stderr: string } {
    const run = spawnSync('bash', ['-o', 'pipefail', '-c', script], { cwd: dir, encoding: 'utf8', env: { ...process.env, CLI, INPUT } });
    return { code: run.status, stderr: run.stderr };
  }

  test('--errors /dev/stderr and /dev/fd/3: written through the descriptor; the pairs on stdout are intact', async () => {
    expect(shell('node "$CLI" "$INPUT" -q > pairs.ref').code).toBe(0);
    expect(shell('node "$CLI" "$INPUT" -q --errors e.ref > /dev/null').code).toBe(0);
    const viaStderr = shell('node "$CLI" "$INPUT" -q --errors /dev/stderr > pairs.a 2> errors.a');
    expect(viaStderr.code).toBe(0);
    const viaFd = shell('node "$CLI" "$INPUT" -q --errors /dev/fd/3 3> errors.b | cat > pairs.b');
    expect(viaFd.code).toBe(0);
    const reference = { pairs: await fs.readFile(path.join(dir, 'pairs.ref')), errors: await fs.readFile(path.join(dir, 'e.ref')) };
    expect(reference.errors.length).toBeGreaterThan(0);
    for (const suffix of ['a', 'b']) {
      expect(await fs.readFile(path.join(dir, `pairs.${suffix}`))).toEqual(reference.pairs);
      expect(await fs.readFile(path.join(dir, `errors.${suffix}`))).toEqual(reference.errors);
    }
    expect(await listFiles(dir)).toEqual(['e.ref', 'errors.a', 'errors.b', 'pairs.a', 'pairs.b', 'pairs.ref']);
  });

  test.each([
    ['/dev/stdout into a file', '--rejected /dev/stdout > pairs'],
    ['/dev/stdout into a pipe', '--rejected /dev/stdout | cat > pairs'],
    ['a link to /dev/stdout', '--errors out-link > pairs'],
    ['/dev/fd/3 duplicated from stdout', '--errors /dev/fd/3 > pairs 3>&1'],
  ])('%s: refused, one line, exit 2, stdout untouched', async (_what, tail) => {
    await fs.symlink('/dev/stdout', path.join(dir, 'out-link'));
    await fs.writeFile(path.join(dir, 'pairs'), 'kept\n');
    const result = shell(`node "$CLI" "$INPUT" ${tail}`);
    expect(result.stderr).toMatch(/^qa-hf: ERR_USAGE: --(rejected|errors) \S+ is standard output, where the pairs go; name a file\n$/);
    expect(result.code).toBe(2);
    // `> pairs` truncated it (the shell's doing); qa-hf wrote nothing into it.
    expect(await fs.readFile(path.join(dir, 'pairs'), 'utf8')).toBe('');
    expect((await fs.lstat(path.join(dir, 'out-link'))).isSymbolicLink()).toBe(true);
  });

  test('an output linked to an input is refused: the input is never replaced', async () => {
    const input = path.join(dir, 'in.jsonl');
    await fs.copyFile(INPUT, input);
    await fs.symlink('in.jsonl', path.join(dir, 'link'));
    const result = await runCli([input, '--errors', path.join(dir, 'link')]);
    expect(result.stderr).toBe(`qa-hf: ERR_USAGE: --errors ${path.join(dir, 'link')} is also an input\n`);
    expect(result.code).toBe(2);
    expect(await fs.readFile(input)).toEqual(await fs.readFile(INPUT));
  });

  test.each([
    ['--rejected some-dir/', ['--rejected', 'some-dir/'], 'ERR_USAGE: --rejected some-dir/ is a directory, not a file'],
    ['--rejected some-dir', ['--rejected', 'some-dir'], 'ERR_USAGE: --rejected some-dir is a directory, not a file'],
    ['--errors missing/dir/e.jsonl', ['--errors', 'missing/dir/e.jsonl'], 'ERR_USAGE: --errors missing/dir/e.jsonl: directory missing/dir does not exist'],
    ['--errors file/e.jsonl', ['--errors', 'file/e.jsonl'], 'ERR_USAGE: --errors file/e.jsonl: file is not a directory'],
  ])('%s: one line naming the path as typed, exit 2, nothing read or written', async (_what, args, message) => {
    await fs.mkdir(path.join(dir, 'some-dir'));
    await fs.writeFile(path.join(dir, 'file'), '');
    const before = await listFiles(dir);
    // A valid --rejected beside the bad one would be created if the run went on.
    const extra = args[0] === '--errors' ? ['--rejected', 'r.jsonl'] : ['--errors', 'e.jsonl'];
    const result = await runCli([INPUT, ...extra, ...args], undefined, { cwd: dir });
    expect(result.stderr).toBe(`qa-hf: ${message}\n`);
    expect(result.stdout.length).toBe(0);
    expect(result.code).toBe(2);
    expect(await listFiles(dir)).toEqual(before);
  });

  test('an unwritable folder (as an unprivileged user): ERR_IO, exit 1, one line, nothing written', async () => {
    const locked = path.join(dir, 'locked');
    await fs.mkdir(locked);
    await fs.chmod(locked, 0o555);
    await fs.chmod(dir, 0o755);
    // root ignores permissions: run as nobody then.
    const asUser = asRoot ? { uid: 65534, gid: 65534 } : {};
    const result = spawnSync(process.execPath, [CLI, INPUT, '--errors', 'locked/e.jsonl'], { ...asUser, cwd: dir, encoding: 'utf8' });
    expect(result.stderr).toBe('qa-hf: ERR_IO: --errors locked/e.jsonl cannot be written: permission denied (EACCES)\n');
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
    expect(await listFiles(dir)).toEqual([]);
  });
});
