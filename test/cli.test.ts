/** End to end: the built CLI in a child process, as a user runs it. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { CLI, ROOT, recordLines, runCli } from './helpers';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-cli-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const GOOD = '{"question":"Vad?","answer":"Så här.","persona":{"roll":"läkare","erfarenhet":"AT"},"validation":{"composite_score":1,"passed":true}}';
const GOOD_ROW = '{"question":"Vad?","answer":"Så här.","source":"","persona":"läkare/AT","validation_score":1.0}\n';

interface Summary {
  lines: number;
  pairs: number;
  rejected: number;
  errors: number;
  blank: number;
}

function summaryOf(stderr: string): Summary {
  const match = /(\d+) lines? read: (\d+) pairs?, (\d+) rejected, (\d+) errors?.*, (\d+) blank/.exec(stderr);
  if (!match) throw new Error(`no summary in: ${stderr}`);
  const [lines, pairs, rejected, errors, blank] = match.slice(1).map(Number);
  return { lines, pairs, rejected, errors, blank };
}

function expectBalanced(summary: Summary): void {
  expect(summary.pairs + summary.rejected + summary.errors + summary.blank).toBe(summary.lines);
}

const NO_STACK = /\n\s+at |node:internal|TypeError|ReferenceError/;

/** The same mapping written independently of lib/, to check bytes at scale. */
function oracle(line: string): { channel: 'pairs' | 'rejected'; text: string } {
  const r = JSON.parse(line);
  const score = Number.isInteger(r.validation.composite_score) ? `${r.validation.composite_score}.0` : `${r.validation.composite_score}`;
  let text = `{"question":${JSON.stringify(r.question)},"answer":${JSON.stringify(r.answer)},"source":${JSON.stringify(r.source_document ?? '')},"persona":${JSON.stringify(`${r.persona.roll}/${r.persona.erfarenhet}`)},"validation_score":${score}`;
  if (r.validation.passed) return { channel: 'pairs', text: `${text}}\n` };
  text += `,"failure_reason":${JSON.stringify(r.validation.failure_reason ?? '')}}\n`;
  return { channel: 'rejected', text };
}

describe('qa-hf pipe mode', () => {
  test('stdin to stdout, UTF-8 as is, floats as floats, summary on stderr', async () => {
    const result = await runCli([], `${GOOD}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8')).toBe(GOOD_ROW);
    expect(result.stderr).toBe('qa-hf: 1 line read: 1 pair, 0 rejected, 0 errors, 0 blank\n');
  });

  test('5 000 seeded records: every byte as the independent mapping says, across several files in order', async () => {
    const lines = recordLines(5000, 7);
    const a = path.join(dir, 'a.jsonl');
    const b = path.join(dir, 'b.jsonl');
    await fs.writeFile(a, `${lines.slice(0, 3000).join('\n')}\n`);
    await fs.writeFile(b, `${lines.slice(3000).join('\r\n')}\r\n`);
    const rejectedPath = path.join(dir, 'rej.jsonl');
    const result = await runCli([a, b, '--rejected', rejectedPath]);
    expect(result.code).toBe(0);
    const expected = lines.map(oracle);
    expect(result.stdout.toString('utf8')).toBe(expected.filter((e) => e.channel === 'pairs').map((e) => e.text).join(''));
    expect(await fs.readFile(rejectedPath, 'utf8')).toBe(expected.filter((e) => e.channel === 'rejected').map((e) => e.text).join(''));
    expect(result.stdout.includes('\\u00')).toBe(false);
    const summary = summaryOf(result.stderr);
    expect(summary).toEqual({ lines: 5000, pairs: expected.filter((e) => e.channel === 'pairs').length, rejected: expected.filter((e) => e.channel === 'rejected').length, errors: 0, blank: 0 });
  });

  test('--workers 2 writes the same bytes as the main thread, on every channel', async () => {
    const input = path.join(dir, 'workers.jsonl');
    const lines = recordLines(3000, 11);
    lines.splice(100, 0, 'not json', '[1]', '{"question":"\\ud800"}', '');
    await fs.writeFile(input, `${lines.join('\n')}\n`);
    const run = async (workers: string) => {
      const rejected = path.join(dir, `w${workers}-rej.jsonl`);
      const errors = path.join(dir, `w${workers}-err.jsonl`);
      const result = await runCli([input, '--workers', workers, '--rejected', rejected, '--errors', errors]);
      expect(result.code).toBe(0);
      return [result.stdout, await fs.readFile(rejected), await fs.readFile(errors), Buffer.from(result.stderr)];
    };
    const [inProcess, pooled] = [await run('0'), await run('2')];
    pooled.forEach((bytes, i) => expect(bytes.equals(inProcess[i])).toBe(true));
    expect(inProcess[2].toString().split('\n')).toHaveLength(4);
  });

  test('- reads stdin among files', async () => {
    const a = path.join(dir, 'one.jsonl');
    await fs.writeFile(a, `${GOOD}\n`);
    const result = await runCli([a, '-'], `${GOOD}\n`);
    expect(result.stdout.toString('utf8')).toBe(GOOD_ROW + GOOD_ROW);
  });

  test('without --rejected, rejected pairs are counted and named in the summary', async () => {
    const result = await runCli([], `${GOOD.replace('"passed":true', '"passed":false')}\n`);
    expect(result.stdout.length).toBe(0);
    expect(result.stderr).toMatch(/1 rejected pair was not written \(use --rejected FILE/);
  });

  test('--quiet prints nothing on stderr', async () => {
    const result = await runCli(['--quiet'], `${GOOD}\nbad\n`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  test('warnings without --errors are capped, then counted', async () => {
    const result = await runCli([], 'x\n'.repeat(25));
    expect(result.stderr.match(/warning:/g)).toHaveLength(10);
    expect(result.stderr).toMatch(/15 more bad lines not shown/);
    expect(summaryOf(result.stderr).errors).toBe(25);
  });

  const BAD_INPUTS: Array<[string, Buffer, string]> = [
    ['not JSON', Buffer.from('hello world\n'), 'ERR_JSON_PARSE'],
    ['a truncated last line', Buffer.from('{"question":"Va'), 'ERR_TRUNCATED_LINE'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), 'ERR_INVALID_UTF8'],
    ['NaN', Buffer.from(`${GOOD.replace('1,', 'NaN,')}\n`), 'ERR_JSON_PARSE'],
    ['100 000-deep nesting', Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), 'ERR_NOT_OBJECT'],
    ['an array instead of an object', Buffer.from(`[${GOOD}]\n`), 'ERR_NOT_OBJECT'],
    ['binary garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), 'ERR_INVALID_UTF8'],
    ['a 12 MB line', Buffer.from(`{"question":"${'å'.repeat(6_000_000)}"}\n`), 'ERR_LINE_TOO_LONG'],
  ];

  test.each(BAD_INPUTS)('%s: a dead-letter record, exit 0, nothing lost; --fail-fast exits 1 naming the line', async (_name, bad, code) => {
    const input = Buffer.concat([Buffer.from(`${GOOD}\n`), bad, Buffer.from(bad[bad.length - 1] === 0x0a ? `${GOOD}\n` : '')]);
    const errorsPath = path.join(dir, `errors-${code}.jsonl`);
    const result = await runCli(['--errors', errorsPath], input);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toMatch(NO_STACK);
    const summary = summaryOf(result.stderr);
    expectBalanced(summary);
    expect(summary.errors).toBeGreaterThanOrEqual(1);
    const records = (await fs.readFile(errorsPath, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ file: '<stdin>', line: 2, offset: Buffer.byteLength(`${GOOD}\n`), code });
    expect(Object.keys(records[0])).toEqual(['file', 'line', 'offset', 'code', 'error', 'raw']);
    expect(result.stdout.toString('utf8').startsWith(GOOD_ROW)).toBe(true);

    const failFast = await runCli(['--fail-fast'], input);
    expect(failFast.code).toBe(1);
    expect(failFast.stderr).toMatch(new RegExp(`<stdin>:2 \\(offset ${Buffer.byteLength(`${GOOD}\n`)}\\): ERR_FAIL_FAST: ${code}`));
    expect(failFast.stderr).not.toMatch(NO_STACK);
    expect(failFast.stdout.toString('utf8')).toBe(GOOD_ROW);
  });

  test('a 10 MB valid record passes whole (the limit is 10 MiB)', async () => {
    const answer = 'ö'.repeat(5_000_000);
    const record = GOOD.replace('Så här.', answer);
    const result = await runCli(['--quiet'], `${record}\n`);
    expect(result.code).toBe(0);
    expect(result.stdout.toString('utf8')).toBe(GOOD_ROW.replace('Så här.', answer));
  });

  test('empty input: nothing out, zero counts, exit 0', async () => {
    const result = await runCli([], '');
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(0);
    expect(summaryOf(result.stderr)).toEqual({ lines: 0, pairs: 0, rejected: 0, errors: 0, blank: 0 });
  });

  test('blank lines and a BOM are tolerated and counted', async () => {
    const result = await runCli([], `\ufeff${GOOD}\r\n\r\n   \n${GOOD}\n`);
    expect(result.stdout.toString('utf8')).toBe(GOOD_ROW + GOOD_ROW);
    expect(summaryOf(result.stderr)).toEqual({ lines: 4, pairs: 2, rejected: 0, errors: 0, blank: 2 });
  });

  test.each([
    [['--bogus'], /ERR_USAGE: Unknown argument: bogus/],
    [['--rejected'], /ERR_USAGE: --rejected needs a value, e.g. --rejected rejected.jsonl \(see --help\)/],
    [['--preset', 'nope'], /ERR_USAGE: --preset must be one of qa-internal, flat-qa, squad, documents, messages, segments, got "nope"/],
    [['x.jsonl', 'x.jsonl'], /ERR_USAGE: input x.jsonl is listed twice/],
    [['--workers', '-1'], /ERR_USAGE: --workers must be an integer from 0 to 64, got "-1"/],
  ])('usage error %j: one line, exit 2', async (args, message) => {
    const result = await runCli(args, '');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(NO_STACK);
  });

  test('a missing input: one line naming it, exit 1, nothing on stdout', async () => {
    const result = await runCli(['no/such.jsonl']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('qa-hf: no/such.jsonl: ERR_INPUT: cannot read input: no such file or directory (ENOENT)\n');
  });

  test('an --errors file in a missing directory: one line naming it, exit 2, before any input is read', async () => {
    const errors = path.join(dir, 'missing-dir', 'e.jsonl');
    const result = await runCli(['--errors', errors], `${GOOD}\n`);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`qa-hf: ERR_USAGE: --errors ${errors}: directory ${path.dirname(errors)} does not exist\n`);
    expect(result.stdout.length).toBe(0);
  });

  test('--rejected and --errors appear atomically and only on success', async () => {
    const rejectedPath = path.join(dir, 'fail-rej.jsonl');
    const result = await runCli(['--rejected', rejectedPath, '--fail-fast'], `${GOOD.replace('"passed":true', '"passed":false')}\nbad\n`);
    expect(result.code).toBe(1);
    await expect(fs.access(rejectedPath)).rejects.toThrow();
    expect((await fs.readdir(dir)).filter((name) => name.includes('.tmp'))).toEqual([]);
  });

  test('| head -n 1 ends quietly (EPIPE)', async () => {
    // ~1.6 MB of rows: many times a pipe's buffer (64 kB), so the CLI is still writing when head goes away.
    const big = path.join(dir, 'big.jsonl');
    await fs.writeFile(big, `${recordLines(5000, 3).join('\n')}\n`);
    const shell = spawnSync('bash', ['-c', `node "${CLI}" "${big}" | head -n 1 > /dev/null; echo "status=\${PIPESTATUS[0]}"`], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(shell.stdout.trim()).toBe('status=0');
    expect(shell.stderr).toBe('');
  });

  // --version printing the version: the bin test at the end of this file (the same output, from dist/cli.js run as a program).
  test('--help lists every option', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const option of ['--rejected', '--errors', '--fail-fast', '--quiet', '--preset', '--max-line-bytes', '--debug']) {
      expect(help.stdout.toString()).toContain(option);
    }
  });
});

// `npx qa-hf` itself: test/install.test.ts (in a copy of the clone: its npm install builds dist/ anew).
test('the build leaves dist/cli.js executable, so the bin runs after `npm run build` or `npm test` too (tsc writes it 0644)', async () => {
  expect((await fs.stat(CLI)).mode & 0o111).toBe(0o111);
  const result = spawnSync(CLI, ['--version'], { cwd: ROOT, encoding: 'utf8' });
  expect([result.status, result.stdout.trim()]).toEqual([0, JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')).version]);
});
