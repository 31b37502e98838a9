/**
 * What a new user met trying the output rules of issue 7 (one test each): an --out
 * that hangs or is a file, outputs that are standard input or a link into --out,
 * paths of this machine in the manifest, messages that name the wrong remedy.
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, ROOT, readJson, recordLines, runCli } from './helpers';

const SAMPLE = path.join(ROOT, 'samples', 'qa_dirty.jsonl');

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-new-user-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('--out', () => {
  test('on procfs (where recursive mkdir loops forever): one ERR_IO line, exit 1, at once', async () => {
    const started = Date.now();
    const result = await runCli(['export', SAMPLE, '--out', '/proc/qa-hf-no-such-dir', '-q']);
    expect(result.stderr).toBe('qa-hf: ERR_IO: cannot use output directory /proc/qa-hf-no-such-dir: no such file or directory: /proc/qa-hf-no-such-dir (ENOENT)\n');
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test.each([
    ['a regular file', 'f.jsonl', 'ERR_USAGE: --out {out} is a file, but --out must be a folder: the export writes its files into it (e.g. --out dist/)'],
    ['below a regular file', 'f.jsonl/sub', 'ERR_USAGE: --out {out}: {dir}/f.jsonl is not a directory'],
  ])('%s: a usage error, exit 2, the file untouched', async (_what, name, message) => {
    await fs.writeFile(path.join(dir, 'f.jsonl'), 'mine\n');
    const out = path.join(dir, name);
    const result = await runCli(['export', SAMPLE, '--out', out, '-q']);
    expect(result.stderr).toBe(`qa-hf: ${message.replace('{out}', out).replace('{dir}', dir)}\n`);
    expect(result.code).toBe(2);
    expect(await fs.readFile(path.join(dir, 'f.jsonl'), 'utf8')).toBe('mine\n');
  });

  test('an input named by a link inside --out is refused, also with --force; the link stays', async () => {
    await fs.mkdir(path.join(dir, 'clob'));
    await fs.mkdir(path.join(dir, 'out'));
    await fs.copyFile(SAMPLE, path.join(dir, 'clob', 'qa_pairs.jsonl'));
    await fs.symlink('../clob/qa_pairs.jsonl', path.join(dir, 'out', 'qa_pairs.jsonl'));
    const result = await runCli(['export', 'out/qa_pairs.jsonl', '--out', 'out/', '--force'], undefined, { cwd: dir });
    expect(result.stderr).toBe('qa-hf: out/qa_pairs.jsonl: ERR_USAGE: an input cannot lie inside the output folder out/: the export would write over it\n');
    expect(result.code).toBe(2);
    expect(await fs.readlink(path.join(dir, 'out', 'qa_pairs.jsonl'))).toBe('../clob/qa_pairs.jsonl');
    expect(await fs.readFile(path.join(dir, 'clob', 'qa_pairs.jsonl'))).toEqual(await fs.readFile(SAMPLE));
  });
});

describe('pipe mode: an output that is an input', () => {
  /** Runs the CLI with `stdin` read from `file`, as `qa-hf ARGS < file`. */
  async function withStdinFrom(file: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
    const input = await fs.open(file, 'r');
    try {
      const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: [input.fd, 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      return { code, stderr };
    } finally {
      await input.close();
    }
  }

  test.each([
    ['/dev/stdin', '/dev/stdin', 'is standard input, an input'],
    ['a link to the file stdin reads', 'link', 'is also an input'],
  ])('--errors %s is refused, exit 2, and the input stays as it was', async (_what, target, reason) => {
    const input = path.join(dir, 'in.jsonl');
    await fs.copyFile(SAMPLE, input);
    await fs.symlink('in.jsonl', path.join(dir, 'link'));
    const result = await withStdinFrom(input, ['--errors', target, '-q']);
    expect(result.stderr).toBe(`qa-hf: ERR_USAGE: --errors ${target} ${reason}\n`);
    expect(result.code).toBe(2);
    expect(await fs.readFile(input)).toEqual(await fs.readFile(SAMPLE));
  });
});

describe('manifest.json names no path of this machine', () => {
  test('input_git dir relative to --out; stdin as `-` in the options', async () => {
    const out = path.join(dir, 'out');
    expect((await runCli(['export', SAMPLE, '--out', out, '-q'])).code).toBe(0);
    const manifest = await readJson(path.join(out, 'manifest.json'));
    const paths = [...manifest.options.inputs, ...manifest.inputs.map((input: { path: string }) => input.path), ...manifest.input_git.map((git: { dir: string }) => git.dir)];
    expect(paths.length).toBeGreaterThan(1);
    for (const named of paths) expect(path.isAbsolute(named)).toBe(false);
    if (manifest.input_git.length > 0) expect(manifest.input_git[0].dir).toBe(path.relative(out, path.join(ROOT, 'samples')));
    const fromStdin = path.join(dir, 'stdin');
    expect((await runCli(['export', '-', '--out', fromStdin, '-q'], await fs.readFile(SAMPLE))).code).toBe(0);
    expect((await readJson(path.join(fromStdin, 'manifest.json'))).options.inputs).toEqual(['-']);
  });
});

describe('messages', () => {
  test('--rejected nodir/ (missing): names a directory by its trailing slash, not "is a directory"', async () => {
    const result = await runCli([SAMPLE, '--rejected', 'nodir/'], undefined, { cwd: dir });
    expect(result.stderr).toBe('qa-hf: ERR_USAGE: --rejected nodir/ names a directory (it ends in /), not a file\n');
    expect(result.code).toBe(2);
  });

  test('--workers abc says what was typed', async () => {
    const result = await runCli([SAMPLE, '--workers', 'abc']);
    expect(result.stderr).toBe('qa-hf: ERR_USAGE: --workers must be an integer from 0 to 64, got "abc" (see --help)\n');
    expect(result.code).toBe(2);
  });

  test('verify names DIR/manifest.json without a double slash', async () => {
    const out = path.join(dir, 'out');
    expect((await runCli(['export', SAMPLE, '--out', out, '-q'])).code).toBe(0);
    await fs.appendFile(path.join(out, 'qa_pairs.jsonl'), '\n');
    const result = await runCli(['verify', `${out}/`]);
    expect(result.stderr).toMatch(new RegExp(`ERR_VERIFY: 1 difference from ${out}/manifest\\.json\\n$`));
    expect(result.code).toBe(3);
  });

  test.each([
    ['qa_dirty.jsonl', '1 rejected pair was not written (use --rejected FILE to keep it)'],
    ['qa_mixed.jsonl', '3 rejected pairs were not written (use --rejected FILE to keep them)'],
  ])('%s: "%s"', async (sample, note) => {
    const result = await runCli([path.join(ROOT, 'samples', sample)]);
    expect(result.stderr).toContain(`qa-hf: ${note}\n`);
  });

  test('--progress to a file: small sizes in kB, no blank line before the summary', async () => {
    const result = await runCli(['export', SAMPLE, '--out', path.join(dir, 'out'), '--progress']);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/ kB of \d+\.\d kB /);
    expect(result.stderr).not.toMatch(/0\.0 MB of 0\.0 MB/);
    expect(result.stderr).not.toMatch(/\n\n/);
  });

  test('an export from stdin stopped by SIGINT says to start over with --restart, not to resume', async () => {
    const out = path.join(dir, 'out');
    const child = spawn(process.execPath, [CLI, 'export', '-', '--out', out, '-q', '--checkpoint-bytes', '1'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.on('error', () => undefined); // it stops reading once interrupted
    const lines = recordLines(4000, 7).map((line) => `${line}\n`).join('');
    child.stdin.write(lines);
    for (let i = 0; i < 2000 && !(await fs.stat(path.join(out, '.qa-hf-checkpoint.json')).catch(() => null)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.stdin.end(lines);
    expect(await closed).toBe(130);
    expect(stderr).toBe('qa-hf: ERR_INTERRUPTED: stopped by SIGINT; an export from a stream cannot resume: run it again with --restart\n');
  });
});
