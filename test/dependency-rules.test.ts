/**
 * The dependency rules of `npm run lint` (.dependency-cruiser.cjs) can fail: each
 * forbidden import in a temp fixture is reported under its rule and fails the run;
 * the same fixture without it passes.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers';

const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

/** A tree that keeps every rule: lib → lib/io is the only way down it does not take. */
const CLEAN: Record<string, string> = {
  'cli.ts': "import { run } from './commands/run';\nrun();\n",
  'commands/run.ts': "import { stage } from '../streams/stage';\nexport const run = (): number => stage();\n",
  'streams/stage.ts': "import { pure } from '../lib/pure';\nimport { io } from '../lib/io/file';\nexport const stage = (): number => pure() + io();\n",
  'lib/pure.ts': "import type { Shape } from './shape';\nexport const pure = (): number => ({ n: 1 } as Shape).n;\n",
  'lib/shape.ts': 'export interface Shape { n: number }\n',
  'lib/io/file.ts': "import { statSync } from 'node:fs';\nimport { pure } from '../pure';\nexport const io = (): number => statSync('.').size + pure();\n",
};

function cruise(dir: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(DEPCRUISE, ['--config', CONFIG, 'cli.ts', 'commands', 'streams', 'lib'], { cwd: dir }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, output: stdout + stderr });
    });
  });
}

async function fixture(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-deps-'));
  for (const [file, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await fs.writeFile(path.join(dir, file), text);
  }
  return dir;
}

test('the clean fixture passes', async () => {
  const dir = await fixture(CLEAN);
  const result = await cruise(dir);
  await fs.rm(dir, { recursive: true });
  expect(result).toEqual({ code: 0, output: expect.stringContaining('no dependency violations found') });
});

test.each([
  ['no-circular', 'a type-only cycle', 'lib/shape.ts', "import type { pure } from './pure';\nexport interface Shape { n: number; f?: typeof pure }\n"],
  ['lib-not-upward', 'lib imports a stage', 'lib/shape.ts', "import type { stage } from '../streams/stage';\nexport interface Shape { n: number; f?: typeof stage }\n"],
  ['lib-not-upward', 'lib imports a command', 'lib/io/file.ts', "import { run } from '../../commands/run';\nexport const io = (): number => run();\n"],
  ['pure-lib-not-io', 'pure lib imports lib/io', 'lib/shape.ts', "import type { io } from './io/file';\nexport interface Shape { n: number; f?: typeof io }\n"],
  ['streams-not-commands', 'a stage imports a command', 'streams/stage.ts', "import { run } from '../commands/run';\nexport const stage = (): number => 1;\nexport const again = run;\n"],
])('%s fails the run: %s', async (rule, _what, file, text) => {
  const dir = await fixture({ ...CLEAN, [file]: text });
  const result = await cruise(dir);
  await fs.rm(dir, { recursive: true });
  expect(result.code).not.toBe(0);
  expect(result.output).toContain(`error ${rule}:`);
});
