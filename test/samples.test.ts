/**
 * Every file in samples/ runs through the CLI and must give the expected bytes.
 * A sample named `<preset>_….jsonl` runs with `--preset <preset>` (squad_mixed →
 * squad); the others (qa_…) with the default.
 */
import { promises as fs, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRESET_NAMES } from '../lib/presets';
import { ROOT, runCli } from './helpers';

/** `--preset NAME` for a sample named after a preset, else nothing. */
function presetArgs(name: string): string[] {
  const preset = PRESET_NAMES.find((candidate) => name.startsWith(`${candidate}_`));
  return preset === undefined ? [] : ['--preset', preset];
}

const SAMPLES = readdirSync(path.join(ROOT, 'samples'))
  .filter((name) => name.endsWith('.jsonl'))
  .map((name) => name.replace(/\.jsonl$/, ''));

test('there are samples', () => {
  expect(SAMPLES).toEqual(expect.arrayContaining(['qa_passed', 'qa_mixed', 'qa_dirty', 'flat-qa_mixed', 'squad_mixed', 'documents_mixed', 'messages_mixed']));
  expect(presetArgs('squad_mixed')).toEqual(['--preset', 'squad']);
  expect(presetArgs('qa_mixed')).toEqual([]);
});

test.each(SAMPLES)('samples/%s.jsonl gives samples/expected/%s.* byte for byte', async (name) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-sample-'));
  const rejected = path.join(dir, 'rejected.jsonl');
  const errors = path.join(dir, 'errors.jsonl');
  const result = await runCli([`samples/${name}.jsonl`, ...presetArgs(name), '--rejected', rejected, '--errors', errors]);
  const expected = (suffix: string) => fs.readFile(path.join(ROOT, 'samples', 'expected', `${name}.${suffix}`));
  expect(result.code).toBe(0);
  expect(result.stdout.equals(await expected('pairs.jsonl'))).toBe(true);
  expect((await fs.readFile(rejected)).equals(await expected('rejected.jsonl'))).toBe(true);
  expect((await fs.readFile(errors)).equals(await expected('errors.jsonl'))).toBe(true);
  expect(result.stderr).toBe((await expected('summary.txt')).toString('utf8'));
  await fs.rm(dir, { recursive: true });
});
