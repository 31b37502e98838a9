/**
 * The dependency rules of `npm run lint` (.dependency-cruiser.cjs) can fail: each
 * forbidden import in a temp fixture is reported under its rule and fails the run;
 * the same fixture without them passes.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers';

const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

/**
 * A tree that keeps every rule: lib → lib/io is the only way down it does not take;
 * the parts (lib/input → lib/quality → lib/dataset, and lib/scale) are put together
 * by lib/processor.ts, which reads lib/options.ts.
 */
const CLEAN: Record<string, string> = {
  'cli.ts': "import { run } from './commands/run';\nrun();\n",
  'commands/run.ts': "import { stage } from '../streams/stage';\nexport const run = (): number => stage();\n",
  'streams/stage.ts': "import { pure } from '../lib/pure';\nimport { io } from '../lib/io/file';\nimport { processor } from '../lib/processor';\nexport const stage = (): number => pure() + io() + processor();\n",
  'lib/pure.ts': "import type { Shape } from './shape';\nexport const pure = (): number => ({ n: 1 } as Shape).n;\n",
  'lib/shape.ts': 'export interface Shape { n: number }\n',
  'lib/io/file.ts': "import { statSync } from 'node:fs';\nimport { pure } from '../pure';\nexport const io = (): number => statSync('.').size + pure();\n",
  'lib/options.ts': 'export const option = 1;\n',
  'lib/processor.ts': "import { option } from './options';\nimport { write } from './dataset/write';\nexport const processor = (): number => option + write();\n",
  'lib/input/read.ts': "import type { Shape } from '../shape';\nexport const read = (): number => ({ n: 1 } as Shape).n;\n",
  'lib/quality/check.ts': "import { read } from '../input/read';\nexport const check = (): boolean => read() > 0;\n",
  'lib/scale/rank.ts': 'export const rank = (): number => 0;\n',
  'lib/dataset/write.ts': "import { read } from '../input/read';\nimport { check } from '../quality/check';\nimport { rank } from '../scale/rank';\nexport const write = (): number => (check() ? read() : rank());\n",
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

/**
 * Every forbidden import below at once, in one fixture (one depcruise run, ~2 s, instead of
 * one per import): each must be reported under its rule, and the run must fail.
 * lib/shape.ts takes three of them, all `import type`.
 */
const DIRTY: Record<string, string> = {
  'lib/shape.ts':
    "import type { pure } from './pure';\nimport type { stage } from '../streams/stage';\nimport type { io } from './io/file';\n" +
    'export interface Shape { n: number; f?: typeof pure; g?: typeof stage; h?: typeof io }\n',
  'lib/io/file.ts': "import { run } from '../../commands/run';\nexport const io = (): number => run();\n",
  'lib/dataset/write.ts': "import { io } from '../io/file';\nexport const write = (): number => io();\n",
  'lib/input/read.ts': "import { rank } from '../scale/rank';\nexport const read = (): number => rank();\n",
  'lib/quality/check.ts': "import { rank } from '../scale/rank';\nexport const check = (): boolean => rank() > 0;\n",
  'lib/scale/rank.ts': "import { option } from '../options';\nexport const rank = (): number => option;\n",
  'streams/stage.ts': "import { run } from '../commands/run';\nexport const stage = (): number => 1;\nexport const again = run;\n",
};

describe('each forbidden import fails the run under its rule', () => {
  /** The violations depcruise reports, one per entry: `rule: from → … → to` (a cycle's lines joined). */
  let violations: string[];
  let code: number;

  beforeAll(async () => {
    const dir = await fixture({ ...CLEAN, ...DIRTY });
    const result = await cruise(dir);
    await fs.rm(dir, { recursive: true });
    code = result.code;
    violations = result.output.split(/^\s*error /m).slice(1).map((entry) => entry.split('\n\n')[0].replace(/\s*\n\s*/g, ' ').trim());
  });

  test('the run fails', () => {
    expect(code).not.toBe(0);
  });

  test.each([
    // lib/shape.ts imports only types: a cycle through it is a type-only cycle.
    ['no-circular', 'a type-only cycle', /^no-circular: .*lib\/shape\.ts/],
    ['lib-not-upward', 'lib imports a stage', 'lib-not-upward: lib/shape.ts → streams/stage.ts'],
    ['lib-not-upward', 'lib imports a command', 'lib-not-upward: lib/io/file.ts → commands/run.ts'],
    ['pure-lib-not-io', 'pure lib imports lib/io', 'pure-lib-not-io: lib/shape.ts → lib/io/file.ts'],
    ['pure-lib-not-io', 'a part of lib imports lib/io', 'pure-lib-not-io: lib/dataset/write.ts → lib/io/file.ts'],
    ['input-first', 'lib/input imports lib/scale', 'input-first: lib/input/read.ts → lib/scale/rank.ts'],
    ['quality-not-scale', 'lib/quality imports lib/scale', 'quality-not-scale: lib/quality/check.ts → lib/scale/rank.ts'],
    ['parts-not-composition', 'a part imports the options', 'parts-not-composition: lib/scale/rank.ts → lib/options.ts'],
    ['streams-not-commands', 'a stage imports a command', 'streams-not-commands: streams/stage.ts → commands/run.ts'],
  ])('%s: %s', (_rule, _what, violation) => {
    expect(violations).toContainEqual(typeof violation === 'string' ? violation : expect.stringMatching(violation));
  });
});
