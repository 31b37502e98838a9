/** Bad options and a verify of something that is no export: one clear line and the documented exit code. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './helpers';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-messages-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const SIZE_HINT = 'must be a positive size such as 500MB, 1GiB or 1000000';

describe.each([
  ['pipe mode', (options: string[]) => [...options, 'samples/qa_mixed.jsonl']],
  ['export', (options: string[]) => ['export', 'samples/qa_mixed.jsonl', '--out', path.join(dir, 'never'), ...options]],
])('%s', (_mode, command) => {
  test.each([
    [['--preset', 'foo'], 'qa-hf: ERR_USAGE: --preset must be one of qa-internal, flat-qa, squad, documents, messages, segments, got "foo" (see --help)\n'],
    [['--preset', 'constructor'], 'qa-hf: ERR_USAGE: --preset must be one of qa-internal, flat-qa, squad, documents, messages, segments, got "constructor" (see --help)\n'],
    [['--max-line-bytes', 'abc'], `qa-hf: ERR_USAGE: --max-line-bytes ${SIZE_HINT}, got "abc" (see --help)\n`],
    [['--max-line-bytes', '0'], `qa-hf: ERR_USAGE: --max-line-bytes ${SIZE_HINT}, got "0" (see --help)\n`],
    [['--max-line-bytes', '-5'], `qa-hf: ERR_USAGE: --max-line-bytes ${SIZE_HINT}, got "-5" (see --help)\n`],
    [['--max-line-bytes', '1XB'], `qa-hf: ERR_USAGE: --max-line-bytes ${SIZE_HINT}, got "1XB" (see --help)\n`],
  ])('%j: exactly one line, exit 2, nothing written', async (options, stderr) => {
    const result = await runCli(command(options));
    expect(result).toMatchObject({ code: 2, stderr });
    expect(result.stdout.length).toBe(0);
    await expect(fs.access(path.join(dir, 'never'))).rejects.toThrow();
  });
});

test.each([
  ['1MiB', 0],
  ['1 KiB', 0],
  ['300B', 4],
  ['300', 4],
  ['200', 5],
])('--max-line-bytes %s is a size like --max-shard-size (%i lines over it)', async (size, tooLong) => {
  // qa_mixed.jsonl has five lines of 271 to 356 bytes.
  const result = await runCli(['--max-line-bytes', size, '--errors', path.join(dir, `e-${size}.jsonl`), 'samples/qa_mixed.jsonl']);
  // Every line too long: nothing usable (exit 5).
  expect(result.code).toBe(tooLong === 5 ? 5 : 0);
  const errors = (await fs.readFile(path.join(dir, `e-${size}.jsonl`), 'utf8')).split('\n').filter(Boolean);
  expect(errors.filter((line) => JSON.parse(line).code === 'ERR_LINE_TOO_LONG')).toHaveLength(tooLong);
});

describe('verify of something that is no export', () => {
  test('a missing directory: one line, exit 1 (not 3, which means a tampered export)', async () => {
    const missing = path.join(dir, 'missing-dir');
    const result = await runCli(['verify', `${missing}/`]);
    expect(result).toMatchObject({ code: 1, stderr: `qa-hf: ERR_INPUT: ${missing}/ does not exist: give the output directory of a qa-hf export\n` });
  });

  test('a directory without manifest.json: one line, exit 1', async () => {
    const empty = await fs.mkdtemp(path.join(dir, 'empty-'));
    const result = await runCli(['verify', empty]);
    expect(result).toMatchObject({ code: 1, stderr: `qa-hf: ERR_INPUT: no manifest.json in ${empty}: not a finished qa-hf export\n` });
  });

  test('a file: one line, exit 1', async () => {
    const result = await runCli(['verify', 'package.json']);
    expect(result).toMatchObject({ code: 1, stderr: 'qa-hf: ERR_INPUT: package.json is not a directory: give the output directory of a qa-hf export\n' });
  });

  test.each([
    ['not JSON', '{"format":', 'manifest.json in DIR is not valid JSON'],
    ['null', 'null', 'manifest.json in DIR is not a qa-hf manifest'],
  ])('a damaged manifest.json (%s) is a difference: one line, exit 3', async (_name, text, message) => {
    const damaged = await fs.mkdtemp(path.join(dir, 'damaged-'));
    await fs.writeFile(path.join(damaged, 'manifest.json'), text);
    const result = await runCli(['verify', damaged]);
    expect(result).toMatchObject({ code: 3, stderr: `qa-hf: ERR_VERIFY: ${message.replace('DIR', damaged)}\n` });
  });
});
