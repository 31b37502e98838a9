/**
 * How `qa-hf` reaches a user's shell, as the README's Quick start says: `npx qa-hf` in the
 * clone prints nothing but its output (no npm warning), and the README's `npm link …` line,
 * run as written into a scratch global folder, puts a `qa-hf` on PATH that runs from any
 * folder. The npm children get the environment of a user's shell: none of the npm_*
 * variables of the `npm test` running this file.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, readJson } from './helpers';

const run = promisify(execFile);
const USER_ENV = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));

let dir: string;
let version: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-install-'));
  version = (await readJson(path.join(ROOT, 'package.json'))).version;
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A copy of the clone without dist/ (node_modules linked), as after a fresh clone's install:
 * the first `npx qa-hf` in a folder installs it into npm's cache and runs `prepare`, a
 * build, which in ROOT would replace the dist/ that the suite's other test files run from
 * while they run. A cache of its own: the next run builds again, as a user's first does.
 */
async function cloneCopy(): Promise<string> {
  const copy = path.join(dir, 'clone');
  const skip = new Set(['node_modules', 'dist', '.git', '.venv-ci', 'coverage', 'test-output']);
  await fs.cp(ROOT, copy, { recursive: true, filter: (source) => !skip.has(path.relative(ROOT, source).split(path.sep)[0]) });
  await fs.symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

test('npx qa-hf --version in the clone: the version, and nothing on stderr', async () => {
  const copy = await cloneCopy();
  const result = await run('npx', ['qa-hf', '--version'], { cwd: copy, env: { ...USER_ENV, npm_config_cache: path.join(dir, 'npm-cache') } });
  expect(result.stdout).toBe(`${version}\n`);
  expect(result.stderr).toBe('');
});

test("the README's `npm link` line puts a qa-hf on PATH that runs from another folder", async () => {
  const readme = await fs.readFile(path.join(ROOT, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('\n## Quick start\n'), readme.indexOf('\n## CLI\n'));
  const line = /^npm (link\b[^#\n]*)/m.exec(quickStart);
  expect(line).not.toBeNull();
  const prefix = path.join(dir, 'global');
  // npm_config_prefix: the global folder of this test, not the machine's.
  await run('npm', line![1].trim().split(/\s+/), { cwd: ROOT, env: { ...USER_ENV, npm_config_prefix: prefix } });
  const env = { ...USER_ENV, PATH: `${path.join(prefix, 'bin')}${path.delimiter}${USER_ENV.PATH}` };
  const elsewhere = path.join(dir, 'elsewhere');
  await fs.mkdir(elsewhere);
  await fs.copyFile(path.join(ROOT, 'samples', 'squad_mixed.jsonl'), path.join(elsewhere, 'squad.jsonl'));
  expect((await run('qa-hf', ['--version'], { cwd: elsewhere, env })).stdout).toBe(`${version}\n`);
  // A run that reads the package's own files (presets/) through the link.
  const pairs = await run('qa-hf', ['--preset', 'squad', 'squad.jsonl'], { cwd: elsewhere, env });
  expect(pairs.stdout).toBe(await fs.readFile(path.join(ROOT, 'samples', 'expected', 'squad_mixed.pairs.jsonl'), 'utf8'));
});
