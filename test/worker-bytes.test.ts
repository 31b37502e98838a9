/**
 * Byte identity across worker counts: the pool (which cuts chunks after their last
 * newline on the main thread and splits lines on its workers) against the
 * in-process line splitter + processor, on the cases where a line boundary, a
 * chunk boundary and a rule of the splitter meet, fed in chunks of 1–9 bytes; and
 * the CLI on a dirty corpus of the bench generator with --workers 0, 1, 2 and 4.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { generateRecords } from '../bench/generate';
import type { Batch } from '../lib/batch';
import { outputBytes } from '../lib/dataset/serialize';
import { createProcessingStages, runChain } from '../streams/chain';
import { createFileSource } from '../streams/file-source';
import { collectBatches, recordLines, runCli } from './helpers';

/** Above every record line of recordLines (at most ~500 bytes), so only the long lines break it. */
const MAX_LINE_BYTES = 1000;

/** Every rule of the splitter once, with lines around it so each meets a chunk border somewhere. */
function edgeCases(): Buffer {
  const [a, b, c, d] = recordLines(4, 8);
  return Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]), // BOM at file start
    Buffer.from(`${a}\r\n`), // CRLF
    Buffer.from('\n   \n\t\r\n'), // blank lines
    Buffer.from('{"question":"h'),
    Buffer.from([0xc3, 0xa5, 0xff, 0xe2, 0x82]), // å, then invalid UTF-8 and a cut sequence
    Buffer.from('","answer":"x"}\n'),
    Buffer.from(`${b}\n`),
    Buffer.from(`{"question":"${'å'.repeat(MAX_LINE_BYTES)}","answer":"long"}\r\n`), // over-long, spans many chunks, CRLF
    Buffer.from(`${'x'.repeat(MAX_LINE_BYTES)}\r\n`), // exactly the limit, then CR
    Buffer.from(`${'y'.repeat(MAX_LINE_BYTES + 1)}\n`), // one over
    Buffer.from(`${c}\n`),
    Buffer.from('{"question":"\\u00e5\\ud83e","answer":"a","persona":{"roll":"r","erfarenhet":"e"},"validation":{"composite_score":1,"passed":true}}\n'),
    Buffer.from('not json\n[1,2]\n{"question":"x"}\n'),
    Buffer.from(d), // no final newline
  ]);
}

/** An over-long last line without a newline: the carry ends the file while skipping. */
function longLastLine(): Buffer {
  return Buffer.from(`${recordLines(1, 3)[0]}\n${'z'.repeat(MAX_LINE_BYTES * 2)}`);
}

interface Outcome {
  pairs: Buffer;
  rejected: Buffer;
  errors: Buffer;
  routing: unknown[];
  ends: unknown[];
}

function outcomeOf(batches: Batch[]): Outcome {
  const joined = (name: 'pairs' | 'rejected' | 'errors') => Buffer.concat(batches.map((batch) => outputBytes(batch.output!)[name]));
  return {
    pairs: joined('pairs'),
    rejected: joined('rejected'),
    errors: joined('errors'),
    routing: batches.flatMap((batch) => batch.entries.map((e) => [batch.file, e.line, e.offset, e.channel, e.errorCode, e.errorMessage, e.text, e.unterminated])),
    ends: batches.map((batch) => [batch.file, batch.endLine, batch.endOffset, batch.fileEnd, batch.stop]),
  };
}

/** Through a file source reading `chunkBytes` at a time: FileChunks whose memory the pool may transfer. */
async function fromFiles(files: string[], chunkBytes: number, workers: number, failFast: boolean): Promise<Outcome> {
  const batches: Batch[] = [];
  const collect = new Writable({ objectMode: true, write: (batch: Batch, _e, callback) => (batches.push(batch), callback()) });
  const stages = createProcessingStages({ workers, failFast, keepRows: false, maxLineBytes: MAX_LINE_BYTES });
  await runChain([createFileSource(files, { chunkBytes }), ...stages, collect]);
  return outcomeOf(batches);
}

function expectSame(actual: Outcome, expected: Outcome): void {
  expect(actual.ends).toEqual(expected.ends);
  expect(actual.routing).toEqual(expected.routing);
  for (const name of ['pairs', 'rejected', 'errors'] as const) expect(actual[name].toString('latin1')).toBe(expected[name].toString('latin1'));
}

describe('worker pool byte identity', () => {
  let dir: string;
  let files: string[];
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-worker-bytes-'));
    files = [path.join(dir, 'edge.jsonl'), path.join(dir, 'long-last.jsonl')];
    await fs.writeFile(files[0], edgeCases());
    await fs.writeFile(files[1], longLastLine());
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('the edge cases hold what they promise (bad lines of every kind, blanks, an unterminated last line)', async () => {
    const expected = await fromFiles(files, 1 << 16, 0, false);
    const codes = expected.routing.map((entry) => (entry as unknown[])[4]).filter((code) => code !== null);
    expect(new Set(codes)).toEqual(new Set(['ERR_INVALID_UTF8', 'ERR_LINE_TOO_LONG', 'ERR_LONE_SURROGATE', 'ERR_JSON_PARSE', 'ERR_NOT_OBJECT', 'ERR_SCHEMA']));
    expect(codes.filter((code) => code === 'ERR_LINE_TOO_LONG')).toHaveLength(3);
    expect(expected.routing.filter((entry) => (entry as unknown[])[3] === 'blank')).toHaveLength(3);
    expect(expected.routing.filter((entry) => (entry as unknown[])[7] === true)).toHaveLength(2);
    expect(expected.pairs.length).toBeGreaterThan(0);
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9])('chunks of %i bytes from files (transferred), 2 workers: the same bytes, routing and batches', async (chunkBytes) => {
    expectSame(await fromFiles(files, chunkBytes, 2, false), await fromFiles(files, chunkBytes, 0, false));
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8, 9])('chunks of %i bytes as Buffers (copied), 1 worker: the same bytes, routing and batches', async (chunkBytes) => {
    const bytes = edgeCases();
    const options = { keepRows: false, maxLineBytes: MAX_LINE_BYTES };
    const expected = outcomeOf(await collectBatches(createProcessingStages({ ...options, workers: 0 }), bytes, chunkBytes));
    expectSame(outcomeOf(await collectBatches(createProcessingStages({ ...options, workers: 1 }), bytes, chunkBytes)), expected);
  });

  test.each([2, 5, 9])('fail-fast, chunks of %i bytes, 2 workers: the same cuts', async (chunkBytes) => {
    // Without a sink to stop it, the chain goes on past each cut: every batch of both files is compared.
    const expected = await fromFiles(files, chunkBytes, 0, true);
    const badOffset = edgeCases().indexOf('{"question":"h');
    const firstCut = expected.ends.find((end) => (end as unknown[])[4] !== null);
    expect(firstCut).toEqual([files[0], 4, badOffset, false, { line: 5, offset: badOffset, code: 'ERR_INVALID_UTF8', message: 'line is not valid UTF-8 (byte 16 of the line)' }]);
    expectSame(await fromFiles(files, chunkBytes, 2, true), expected);
  });
});

describe('CLI byte identity across --workers on a dirty corpus', () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-worker-cli-'));
    input = path.join(dir, 'dirty.jsonl');
    // Malformed lines from the bench generator, an over-long line across several 256 KiB
    // reads, a BOM, CRLF and no final newline.
    const lines = [...generateRecords(1500, 11, { badLineRate: 0.05 })];
    lines[3] = `${lines[3]}\r`;
    lines.splice(700, 0, `{"question":"${'ö'.repeat(400_000)}"}`);
    await fs.writeFile(input, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\n'))]));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  async function run(workers: number, viaStdin: boolean) {
    const rejected = path.join(dir, `rejected-${workers}-${viaStdin}.jsonl`);
    const errors = path.join(dir, `errors-${workers}-${viaStdin}.jsonl`);
    const args = ['--quiet', '--workers', String(workers), '--max-line-bytes', '100000', '--rejected', rejected, '--errors', errors];
    const result = viaStdin ? await runCli([...args, '-'], await fs.readFile(input)) : await runCli([...args, input]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return { stdout: result.stdout, rejected: await fs.readFile(rejected), errors: await fs.readFile(errors) };
  }

  test('stdout, --rejected and --errors are the same bytes for --workers 0, 1, 2, 4, from a file and from stdin', async () => {
    const expected = await run(0, false);
    const errorRows = expected.errors.toString('utf8').trim().split('\n').map((row) => JSON.parse(row));
    expect(errorRows.length).toBeGreaterThan(40);
    expect(errorRows.some((row) => row.code === 'ERR_LINE_TOO_LONG' && row.line === 701)).toBe(true);
    expect(expected.rejected.length).toBeGreaterThan(0);
    for (const [workers, viaStdin] of [[1, false], [2, false], [4, false], [2, true]] as const) {
      const actual = await run(workers, viaStdin);
      const stdin = viaStdin ? (bytes: Buffer) => bytes.toString('utf8').replaceAll(JSON.stringify(input), '"<stdin>"') : (bytes: Buffer) => bytes.toString('utf8');
      expect(actual.stdout.equals(expected.stdout)).toBe(true);
      expect(actual.rejected.equals(expected.rejected)).toBe(true);
      expect(actual.errors.toString('utf8')).toBe(stdin(expected.errors));
    }
  });
});
