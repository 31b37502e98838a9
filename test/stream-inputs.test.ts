/** The CLI reads stdin, FIFOs and process substitution (`<(…)`), in pipe mode and export. */
import { execFileSync, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CLI, ROOT, readJson, recordLines, runCli } from './helpers';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-streams-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const TEXT = recordLines(300, 5).join('\n') + '\nnot json\n';
const OUTPUTS = ['qa_pairs.jsonl', 'qa_rejected.jsonl', 'qa_errors.jsonl'];

/** Runs `script` under bash (for `<(…)`), the CLI as $CLI: exit code, stdout, stderr. */
function bash(script: string): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, CLI: `${process.execPath} ${CLI}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
}

/** The outputs are equal byte for byte, but for the input's name in the dead letter. */
async function sameOutputs(a: string, b: string, names: [string, string]): Promise<void> {
  for (const name of OUTPUTS) {
    const mine = (await fs.readFile(path.join(a, name), 'utf8')).split(JSON.stringify(names[0])).join(JSON.stringify(names[1]));
    expect(mine).toBe(await fs.readFile(path.join(b, name), 'utf8'));
  }
  expect((await fs.readFile(path.join(b, 'qa_errors.jsonl'), 'utf8')).split('\n')).toHaveLength(2);
}

describe('pipe mode', () => {
  test('process substitution <(cat file) and a FIFO give the bytes of the file', async () => {
    const file = path.join(dir, 'qa.jsonl');
    await fs.writeFile(file, TEXT);
    const reference = await runCli([file]);
    expect(reference.stdout.length).toBeGreaterThan(1000);
    const substituted = await bash(`$CLI <(cat '${file}')`);
    expect(substituted.stderr).not.toMatch(/ESPIPE|ERR_INPUT/);
    expect(substituted.code).toBe(0);
    expect(substituted.stdout.equals(reference.stdout)).toBe(true);
    const fifo = path.join(dir, 'in.fifo');
    execFileSync('mkfifo', [fifo]);
    const viaFifo = await bash(`cat '${file}' > '${fifo}' & $CLI '${fifo}'; wait`);
    expect(viaFifo.code).toBe(0);
    expect(viaFifo.stdout.equals(reference.stdout)).toBe(true);
  });
});

describe('export', () => {
  test('from stdin (`-`): the outputs of the file; a note that it cannot resume; manifest keeps its sha256; verify skips it and says so', async () => {
    const file = path.join(dir, 'qa.jsonl');
    await fs.writeFile(file, TEXT);
    const reference = path.join(dir, 'reference');
    expect((await runCli(['export', file, '--out', reference, '-q'])).code).toBe(0);
    const out = path.join(dir, 'out');
    const result = await runCli(['export', '-', '--out', out], TEXT);
    expect(result.stderr).not.toMatch(/ERR_INPUT/);
    expect(result.code).toBe(0);
    expect(result.stderr.split('\n')[0]).toBe(
      'qa-hf: note: <stdin> is read as a stream (stdin or a pipe): if this export is interrupted it cannot resume; run it again with --restart',
    );
    await sameOutputs(out, reference, ['<stdin>', file]);
    const manifest = await readJson(path.join(out, 'manifest.json'));
    const sha256 = execFileSync('sha256sum', [file]).toString().split(' ')[0];
    expect(manifest.inputs).toEqual([{ path: '-', bytes: Buffer.byteLength(TEXT), sha256, stream: true }]);
    const verify = await runCli(['verify', out]);
    expect(verify.code).toBe(0);
    expect(verify.stderr).toContain('qa-hf: verify: input -: not checked (it was read from standard input or a pipe; its sha256 was recorded while streaming)');
  });

  test('from process substitution <(cat file): the outputs of the file', async () => {
    const file = path.join(dir, 'qa.jsonl');
    await fs.writeFile(file, TEXT);
    const reference = path.join(dir, 'reference');
    expect((await runCli(['export', file, '--out', reference, '-q'])).code).toBe(0);
    const out = path.join(dir, 'out');
    const result = await bash(`$CLI export <(cat '${file}') --out '${out}'`);
    expect(result.stderr).toMatch(/^qa-hf: note: \/dev\/fd\/\d+ is read as a stream/);
    expect(result.code).toBe(0);
    await sameOutputs(out, reference, [/\/dev\/fd\/\d+/.exec(result.stderr)![0], file]);
  });

  test('interrupted while reading stdin: the rerun is refused naming <stdin> and --restart; --restart starts over', async () => {
    const text = recordLines(4000, 3).join('\n') + '\n';
    const out = path.join(dir, 'out');
    const child = spawn(process.execPath, [CLI, 'export', '-', '--out', out, '--checkpoint-bytes', '1', '-q'], { cwd: ROOT, stdio: ['pipe', 'ignore', 'ignore'] });
    const closed = new Promise((resolve) => child.on('close', resolve));
    child.stdin.on('error', () => undefined);
    child.stdin.write(text.slice(0, text.length >> 1)); // the rest never comes: the run waits mid-stream
    let offset = 0;
    for (let i = 0; i < 2000 && offset === 0; i++) {
      const checkpoint = await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8').catch(() => null);
      offset = checkpoint ? JSON.parse(checkpoint).position.offset : 0;
      if (offset === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGKILL');
    await closed;
    expect(offset).toBeGreaterThan(0);
    const rerun = await runCli(['export', '-', '--out', out, '-q'], text);
    expect(rerun.code).toBe(1);
    expect(rerun.stderr).toBe(
      `qa-hf: ERR_CHECKPOINT_MISMATCH: cannot resume the interrupted export in ${out}: input <stdin> was read as a stream (stdin or a pipe), which cannot be read again from where it stopped; run again with --restart to start over\n`,
    );
    const restarted = await runCli(['export', '-', '--out', out, '--restart', '-q'], text);
    expect(restarted.code).toBe(0);
    expect((await readJson(path.join(out, 'manifest.json'))).inputs[0].bytes).toBe(Buffer.byteLength(text));
  });
});
