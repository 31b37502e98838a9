/**
 * Bad options and a verify of something that is no export: one clear line and the
 * documented exit code. Messages built in-process (yargs' failures, a command's
 * slip, --out checks, a full disk, the report's options) are tested in-process.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildParser, main } from '../cli';
import { exportDataset } from '../commands/export';
import { prepareReport } from '../commands/quality-report';
import { QaHfError } from '../lib/errors';
import { NO_SPACE_STEP_RESUME, missingValueMessage, nextVersion, unknownCommand, usageMessage } from '../lib/messages';
import { ROOT, runCli } from './helpers';

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

describe('messages that say what to do (in-process)', () => {
  const SAMPLE = path.join(ROOT, 'samples', 'qa_mixed.jsonl');

  /** What main() writes to stderr and the exit code it sets. */
  async function mainOf(argv: string[]): Promise<{ code: number | undefined; stderr: string }> {
    const written: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await main(argv);
      return { code: process.exitCode as number | undefined, stderr: written.join('') };
    } finally {
      spy.mockRestore();
      process.exitCode = undefined;
    }
  }

  test('a slip of a command name: unknown command, did you mean …, exit 2 (not "Unknown argument: out")', async () => {
    expect(await mainOf(['expor', 'in.jsonl', '--out', path.join(dir, 'never')])).toEqual({
      code: 2,
      stderr: 'qa-hf: ERR_USAGE: unknown command "expor"; did you mean qa-hf export? (see --help)\n',
    });
    expect(unknownCommand('mrege', ['export', 'merge'], false)).toBe('unknown command "mrege"; did you mean qa-hf merge? (see --help)');
    // A file of that name is pipe mode's input; a word like no command is left to pipe mode too.
    expect(unknownCommand('expor', ['export'], true)).toBeNull();
    expect(unknownCommand('qa.jsonl', ['export', 'presets', 'report', 'merge', 'verify'], false)).toBeNull();
    expect(unknownCommand('ex', ['export'], false)).toBeNull();
  });

  test.each([
    [['export', '--version'], '--version needs a value, e.g. --version 1.0.0 (see --help)'],
    [['export', 'in.jsonl', '--out'], '--out needs a value, e.g. --out dist/ (see --help)'],
    [['export', 'in.jsonl', '--format'], '--format needs a value, e.g. --format jsonl,parquet (see --help)'],
    [['export', 'in.jsonl', '--split', '--out', 'x'], '--split needs a value, e.g. --split train=0.9,test=0.1 (see --help)'],
    [['in.jsonl', '--rejected'], '--rejected needs a value, e.g. --rejected rejected.jsonl (see --help)'],
    [['report', 'in.jsonl', '--fail-on'], '--fail-on needs a value, e.g. --fail-on "pii>0,pass_rate<0.6" (see --help)'],
    [['export', 'in.jsonl', '--checkpoint-ms'], '--checkpoint-ms needs a value after it (see --help)'],
  ])('%j: a value is expected, with an example (not "Not enough arguments following")', async (argv, message) => {
    // yargs throws the .fail handler's error out of parseAsync itself: async turns it into a rejection.
    await expect((async () => buildParser(argv).parseAsync())()).rejects.toThrow(new QaHfError('ERR_USAGE', message));
  });

  test.each([
    [['in.jsonl', '--out', 'dist'], '--out is not an option of pipe mode (qa-hf FILE…); it is one of qa-hf export, qa-hf report (see --help)'],
    [['in.jsonl', '--format', 'parquet'], '--format is not an option of pipe mode (qa-hf FILE…); it is one of qa-hf export (see --help)'],
    [['export', 'in.jsonl', '--out', 'o', '--rejected', 'r.jsonl'], '--rejected is not an option of qa-hf export; it is one of pipe mode (see --help)'],
    [['export', 'in.jsonl', '--out', 'o', '--fromat', 'parquet'], 'unknown option --fromat of qa-hf export; did you mean --format? (see --help)'],
    [['in.jsonl', '--bogus'], 'Unknown argument: bogus (see --help)'],
  ])('%j: an option of another command says which command takes it', async (argv, message) => {
    await expect((async () => buildParser(argv).parseAsync())()).rejects.toThrow(new QaHfError('ERR_USAGE', message));
  });

  test('other yargs failures keep their words; an option without an example still says a value is expected', () => {
    expect(usageMessage('Unknown argument: foo')).toBe('Unknown argument: foo (see --help)');
    expect(missingValueMessage('no-such-option')).toBe('--no-such-option needs a value after it');
  });

  test('--out naming a file: --out must be a folder (also when that file is the input)', async () => {
    const file = path.join(dir, 'pairs.jsonl');
    await fs.copyFile(SAMPLE, file);
    const message = `--out ${file} is a file, but --out must be a folder: the export writes its files into it (e.g. --out dist/)`;
    await expect(exportDataset({ inputs: [file], out: file })).rejects.toThrow(new QaHfError('ERR_USAGE', message));
    await expect(exportDataset({ inputs: [SAMPLE], out: file })).rejects.toThrow(new QaHfError('ERR_USAGE', message));
  });

  test('--out holding versions qa-hf wrote is a versions folder: say so and how to add one', async () => {
    const out = path.join(dir, 'vers');
    await exportDataset({ inputs: [SAMPLE], out, version: '1.0.0' });
    await exportDataset({ inputs: [SAMPLE], out, version: '1.2.0' });
    await expect(exportDataset({ inputs: [SAMPLE], out })).rejects.toThrow(
      new QaHfError('ERR_USAGE', `--out ${out} is a versions folder (v1.0.0/, v1.2.0/: qa-hf exports written with --version); add a version with --version, e.g. --version 1.2.1, or choose another --out`),
    );
    // A file of someone else's beside them: foreign files, as before.
    await fs.writeFile(path.join(out, 'notes.txt'), 'mine\n');
    await expect(exportDataset({ inputs: [SAMPLE], out })).rejects.toThrow(/holds files that are not from a qa-hf export \(notes\.txt, /);
    expect(nextVersion(['v1.10.0', 'v1.9.3', 'v2.0.0-rc.1'])).toBe('2.0.1');
  });

  test('a full disk: ERR_NO_SPACE says to free space, then run again to resume', async () => {
    const out = path.join(dir, 'full');
    const realOpen = fs.open.bind(fs);
    // Every write into the export folder fails as on a full disk.
    const spy = jest.spyOn(fs, 'open').mockImplementation(async (...args: Parameters<typeof fs.open>) => {
      const handle = await realOpen(...args);
      if (!String(args[0]).startsWith(out)) return handle;
      const enospc = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' }));
      return new Proxy(handle, { get: (target, key) => (key === 'write' ? enospc : Reflect.get(target, key, target)) });
    });
    try {
      const error = await exportDataset({ inputs: [SAMPLE], out }).then(
        () => null,
        (err: QaHfError) => err,
      );
      expect(error).toBeInstanceOf(QaHfError);
      expect([error?.code, error?.message]).toEqual(['ERR_NO_SPACE', `cannot write output: no space left on device (ENOSPC); ${NO_SPACE_STEP_RESUME}`]);
      expect(NO_SPACE_STEP_RESUME).toBe('free space, then run the same command again to resume');
    } finally {
      spy.mockRestore();
    }
  });

  test('a --fail-on rule on language_mismatch with --language off names --language', async () => {
    await expect(prepareReport({ language: 'off', failOn: 'language_mismatch>0' }, 'cli')).rejects.toThrow(
      new QaHfError(
        'ERR_OPTION',
        "--fail-on language_mismatch>0: language_mismatch is not measured with --language off; set --language to the answers' language (e.g. --language sv) or drop the rule",
      ),
    );
  });
});
