/**
 * The README's library example, as a user copies it: compiled with the TypeScript
 * compiler API in a CommonJS and in an ES module project against the built package
 * (its `exports` point to dist/, so run `npx tsc -p tsconfig.json` first), then run.
 */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { ROOT } from './helpers';

/** The first ```ts block after the README's "## Library" heading. */
async function libraryExample(): Promise<string> {
  const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Library\n'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('no ```ts block in the Library section of README.md');
  return match[1];
}

/** Compiles `file` with `options`: the diagnostics as text lines (empty when it compiles). */
function compile(file: string, options: ts.CompilerOptions): string[] {
  const program = ts.createProgram([file], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    skipLibCheck: true,
    ...options,
  });
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map(
    (d) => `TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
  );
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-readme-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A project folder that has qa-hf installed (a link to this package) and the example's inputs. */
async function project(name: string, packageJson: Record<string, unknown>): Promise<string> {
  const root = path.join(dir, name);
  await fs.mkdir(path.join(root, 'node_modules'), { recursive: true });
  await fs.symlink(ROOT, path.join(root, 'node_modules', 'qa-hf'), 'dir');
  await fs.writeFile(path.join(root, 'package.json'), JSON.stringify({ name, private: true, ...packageJson }));
  await fs.mkdir(path.join(root, 'qa'));
  await fs.copyFile(path.join(ROOT, 'samples/qa_mixed.jsonl'), path.join(root, 'qa/a.jsonl'));
  await fs.copyFile(path.join(ROOT, 'samples/qa_dirty.jsonl'), path.join(root, 'qa/b.jsonl'));
  return root;
}

const expected = (file: string) => fs.readFile(path.join(ROOT, 'samples/expected', file), 'utf8');

test.each([
  ['CommonJS', {}, { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, ignoreDeprecations: '6.0' }, 'js'],
  ['ES module', { type: 'module' }, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }, 'js'],
] as const)('in a %s project the example compiles and runs on the samples', async (name, packageJson, options, extension) => {
  const root = await project(name.replace(/\W/g, ''), packageJson);
  const source = path.join(root, 'example.ts');
  await fs.writeFile(source, await libraryExample());
  expect(compile(source, { ...options, outDir: path.join(root, 'out'), rootDir: root })).toEqual([]);
  const run = spawnSync(process.execPath, [path.join(root, 'out', `example.${extension}`)], { cwd: root, encoding: 'utf8' });
  expect(run.status).toBe(0);
  // onCommit: once per commit, offsets rising, the last one at the end of each file.
  // (qa_mixed ends on a line break: one commit; qa_dirty's last line has none: a second one for it.)
  const size = async (file: string) => (await fs.stat(path.join(root, file))).size;
  expect(run.stderr).toBe(`qa/a.jsonl ${await size('qa/a.jsonl')}\nqa/b.jsonl 1883\nqa/b.jsonl ${await size('qa/b.jsonl')}\n`);
  expect(run.stdout).toBe((await expected('qa_mixed.pairs.jsonl')) + (await expected('qa_dirty.pairs.jsonl')));
  expect(await fs.readFile(path.join(root, 'rejected.jsonl'), 'utf8')).toBe((await expected('qa_mixed.rejected.jsonl')) + (await expected('qa_dirty.rejected.jsonl')));
  const errors = (await fs.readFile(path.join(root, 'errors.jsonl'), 'utf8')).trim().split('\n');
  expect(errors.map((line) => JSON.parse(line).file)).toEqual(Array(10).fill('qa/b.jsonl'));
});

test('top-level await, as the README had it, does not compile in a CommonJS project (what the test above guards)', async () => {
  const root = await project('toplevel', {});
  const source = path.join(root, 'toplevel.ts');
  await fs.writeFile(source, "import { runChain } from 'qa-hf';\nawait runChain([]);\n");
  const diagnostics = compile(source, { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, ignoreDeprecations: '6.0', noEmit: true });
  expect(diagnostics.join('\n')).toMatch(/TS1378|TS1375|top-level 'await'/);
});
