/**
 * The README's resumable chain (Library → "A resumable chain"), as a user copies it:
 * compiled against the built package (run `npx tsc -p tsconfig.json` first), run
 * once uninterrupted, and run again in another folder where it is SIGKILLed
 * mid-run (once a checkpoint is on disk), then started again: the outputs are
 * byte-identical, the checkpoint and temp files are gone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { ROOT, recordLines } from './helpers';

/** The ```ts block after the README's "### A resumable chain" heading. */
async function resumableExample(): Promise<string> {
  const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### A resumable chain\n'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('no ```ts block in the "A resumable chain" section of README.md');
  return match[1];
}

let dir: string;
let script: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-resumable-'));
  await fs.mkdir(path.join(dir, 'node_modules'));
  await fs.symlink(ROOT, path.join(dir, 'node_modules', 'qa-hf'), 'dir');
  const source = path.join(dir, 'example.ts');
  await fs.writeFile(source, await resumableExample());
  const program = ts.createProgram([source], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    ignoreDeprecations: '6.0',
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    skipLibCheck: true,
    outDir: path.join(dir, 'build'),
    rootDir: dir,
  });
  const emitted = program.emit();
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(diagnostics).toEqual([]);
  script = path.join(dir, 'build', 'example.js');
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A project folder with the example's inputs: two files, bad lines among good ones, the last without a final newline. */
async function project(name: string): Promise<string> {
  const root = path.join(dir, name);
  await fs.mkdir(path.join(root, 'qa'), { recursive: true });
  await fs.mkdir(path.join(root, 'out'));
  const lines = recordLines(12000, 5).map((line, i) => (i % 997 === 0 ? '{"cut off' : line));
  await fs.writeFile(path.join(root, 'qa/a.jsonl'), lines.slice(0, 7000).join('\n') + '\n');
  await fs.writeFile(path.join(root, 'qa/b.jsonl'), lines.slice(7000).join('\n'));
  return root;
}

function start(root: string): ChildProcess {
  return spawn(process.execPath, [script], { cwd: root, env: { ...process.env, EVERY_BYTES: '65536' }, stdio: 'ignore' });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

async function outputs(root: string): Promise<Record<string, string>> {
  const names = (await fs.readdir(path.join(root, 'out'))).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, (await fs.readFile(path.join(root, 'out', name))).toString('base64')])));
}

test('killed mid-run (SIGKILL) and run again: the same bytes as an uninterrupted run; no checkpoint or temp file left', async () => {
  const clean = await project('clean');
  expect(await exited(start(clean))).toBe(0);
  const expected = await outputs(clean);
  expect(Object.keys(expected)).toEqual(['errors.jsonl', 'pairs.jsonl', 'rejected.jsonl']);

  const killed = await project('killed');
  const checkpoint = path.join(killed, 'out/run.checkpoint.json');
  const child = start(killed);
  const exit = exited(child);
  // Kill once a checkpoint is on disk and the run has gone on past it.
  for (let waited = 0; waited < 20000; waited += 5) {
    if (await fs.stat(checkpoint).then(() => true, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill('SIGKILL');
  expect(await exit).toBeNull();
  const recorded = JSON.parse(await fs.readFile(checkpoint, 'utf8'));
  expect(recorded.complete).toBe(false);
  expect(recorded.outputs.pairs).toBeGreaterThan(0);
  expect(await fs.stat(path.join(killed, 'out/pairs.jsonl')).then(() => true, () => false)).toBe(false); // no final name yet

  const rerun = spawnSync(process.execPath, [script], { cwd: killed, env: { ...process.env, EVERY_BYTES: '65536' }, encoding: 'utf8' });
  expect(rerun.stderr).toBe('');
  expect(rerun.status).toBe(0);
  expect(await outputs(killed)).toEqual(expected);
});

test('a checkpoint recorded for other inputs is refused in one line', async () => {
  const root = await project('other');
  await fs.writeFile(
    path.join(root, 'out/run.checkpoint.json'),
    JSON.stringify({ format: 'qa-hf-chain-checkpoint', version: 1, inputs: ['qa/c.jsonl'], position: { input: 0, offset: 0, line: 0 }, outputs: {}, complete: false }),
  );
  const run = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
  expect(run.status).toBe(1);
  expect(run.stderr).toBe('out/run.checkpoint.json was recorded for other inputs (qa/c.jsonl); remove it to start over\n');
});
