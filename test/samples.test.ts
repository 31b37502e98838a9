/** Every file in samples/ runs through the CLI and must give the expected bytes. */
import { promises as fs, readdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, runCli } from './helpers';

const SAMPLES = readdirSync(path.join(ROOT, 'samples'))
  .filter((name) => name.endsWith('.jsonl'))
  .map((name) => name.replace(/\.jsonl$/, ''));

test('there are samples', () => {
  expect(SAMPLES).toEqual(expect.arrayContaining(['qa_passed', 'qa_mixed', 'qa_dirty']));
});

test.each(SAMPLES)('samples/%s.jsonl gives samples/expected/%s.* byte for byte', async (name) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-sample-'));
  const rejected = path.join(dir, 'rejected.jsonl');
  const errors = path.join(dir, 'errors.jsonl');
  const result = await runCli([`samples/${name}.jsonl`, '--rejected', rejected, '--errors', errors]);
  const expected = (suffix: string) => fs.readFile(path.join(ROOT, 'samples', 'expected', `${name}.${suffix}`));
  expect(result.code).toBe(0);
  expect(result.stdout.equals(await expected('pairs.jsonl'))).toBe(true);
  expect((await fs.readFile(rejected)).equals(await expected('rejected.jsonl'))).toBe(true);
  expect((await fs.readFile(errors)).equals(await expected('errors.jsonl'))).toBe(true);
  expect(result.stderr).toBe((await expected('summary.txt')).toString('utf8'));
  await fs.rm(dir, { recursive: true });
});
