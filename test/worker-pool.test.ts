/**
 * The worker pool against the in-process processor. Its workers run the compiled
 * dist/streams/worker.js (built by `npm test` before jest runs).
 */
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Batch } from '../lib/batch';
import { outputBytes } from '../lib/dataset/serialize';
import { createProcessingStages, defaultWorkerCount, runChain, WORKERS_FROM_BYTES } from '../streams/chain';
import { createFileSource } from '../streams/file-source';
import { createWorkerPool, MAX_TASKS_PER_WORKER } from '../streams/worker-pool';
import { ROOT, collectBatches, recordLines } from './helpers';

const BAD = ['not json', '[1,2]', '{"question":"x"}', '', '{"question":"\\u00e5","answer":"a","persona":{"roll":"r","erfarenhet":"e"},"validation":{"composite_score":2,"passed":true}}'];

/** Seeded records with a bad line every 97 lines and a missing final newline. */
function corpus(count: number): Buffer {
  const lines = recordLines(count, 21).map((line, i) => (i % 97 === 5 ? BAD[i % BAD.length] : line));
  return Buffer.from(lines.join('\n'));
}

/** What a chain of stages makes of `bytes` fed in chunks: per-output bytes and the routing of every line. */
async function outcome(stages: NodeJS.ReadWriteStream[], bytes: Buffer, chunk: number) {
  const batches = await collectBatches(stages, bytes, chunk);
  const joined = (name: 'pairs' | 'rejected' | 'errors') => Buffer.concat(batches.map((b) => outputBytes(b.output!)[name]));
  return {
    pairs: joined('pairs'),
    rejected: joined('rejected'),
    errors: joined('errors'),
    routing: batches.flatMap((b) => b.entries.map((e) => [e.line, e.offset, e.channel, e.errorCode, e.errorMessage, e.text, e.row])),
    ends: batches.map((b) => [b.endLine, b.endOffset, b.fileEnd, b.stop]),
  };
}

describe('worker pool', () => {
  const bytes = corpus(3000);

  test.each([
    [1, false, false],
    [2, false, false],
    [3, true, false],
    [2, false, true],
    [2, true, true],
  ])('%i workers (keepRows %s, failFast %s): the same bytes, routing and batches, in order', async (workers, keepRows, failFast) => {
    const options = { keepRows, failFast };
    const chunk = 7919; // many batches, lines cut across chunks
    const expected = await outcome(createProcessingStages({ ...options, workers: 0 }), bytes, chunk);
    const pooled = await outcome(createProcessingStages({ ...options, workers }), bytes, chunk);
    expect(pooled.ends).toEqual(expected.ends);
    expect(pooled.routing).toEqual(expected.routing);
    for (const name of ['pairs', 'rejected', 'errors'] as const) expect(pooled[name].equals(expected[name])).toBe(true);
    expect(expected.ends.length).toBeGreaterThan(100);
    expect(expected.errors.length + expected.pairs.length).toBeGreaterThan(0);
  });

  test.each([0, 2])('serialize [errors], %i workers: pairs and rejected are not serialized; the same errors bytes and routing as serializing all', async (workers) => {
    const chunk = 7919;
    const all = await collectBatches(createProcessingStages({ workers: 0 }), bytes, chunk);
    const some = await collectBatches(createProcessingStages({ workers, serialize: ['errors'] }), bytes, chunk);
    const routing = (batches: Batch[]) => batches.flatMap((b) => b.entries.map((e) => [e.line, e.offset, e.channel, e.errorCode, e.text, e.row]));
    expect(routing(some)).toEqual(routing(all));
    expect(some.every((b) => Object.keys(outputBytes(b.output!)).join() === 'errors')).toBe(true);
    const errors = (batches: Batch[]) => Buffer.concat(batches.map((b) => outputBytes(b.output!).errors));
    expect(errors(some).equals(errors(all))).toBe(true);
    expect(errors(all).length).toBeGreaterThan(0);
  });

  test('samples through a pool give the expected bytes', async () => {
    for (const name of ['qa_dirty', 'qa_mixed']) {
      const chunks: Record<string, Buffer[]> = { pairs: [], rejected: [], errors: [] };
      const collect = new Writable({
        objectMode: true,
        write(batch: Batch, _encoding, callback) {
          for (const [output, bytes] of Object.entries(outputBytes(batch.output!))) chunks[output].push(bytes);
          callback();
        },
      });
      // The expected files name the input as the CLI was given it: relative to the repository.
      const input = path.relative(process.cwd(), path.join(ROOT, 'samples', `${name}.jsonl`));
      await runChain([createFileSource([input], { chunkBytes: 64 }), ...createProcessingStages({ workers: 2, keepRows: false }), collect]);
      for (const output of ['pairs', 'rejected', 'errors']) {
        const expected = await fs.readFile(path.join(ROOT, 'samples', 'expected', `${name}.${output}.jsonl`));
        expect(Buffer.concat(chunks[output]).toString('utf8')).toBe(expected.toString('utf8'));
      }
    }
  });

  test('at most MAX_TASKS_PER_WORKER batches per worker are out while the consumer stalls', async () => {
    let pulled = 0;
    const source = new Readable({
      objectMode: true,
      highWaterMark: 1,
      read() {
        // Finite, so a pool that ignores its bound fails the assertion below rather than the heap.
        if (++pulled > 2000) this.push(null);
        else this.push(Buffer.from(`${recordLines(10, pulled).join('\n')}\n`));
      },
    });
    const workers = 2;
    const pool = createWorkerPool({ workers });
    let received = 0;
    const stalled = new Writable({ objectMode: true, highWaterMark: 1, write: () => void received++ });
    const done = runChain([source, pool, stalled]).catch((err: Error) => err);
    // Until the first batch is through and the pool is full (no fixed sleep: the workers start slowly
    // on a loaded machine), then a while longer, for a pool that ignores its bound to show it.
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    for (let i = 0; i < 600 && (received === 0 || pulled < workers * MAX_TASKS_PER_WORKER); i++) await sleep(50);
    await sleep(500);
    // The pool holds at most `workers × MAX_TASKS_PER_WORKER`; the rest is stream buffers (a few per stage).
    expect(received).toBe(1);
    expect(pulled).toBeLessThan(workers * MAX_TASKS_PER_WORKER + 12);
    expect(pulled).toBeGreaterThanOrEqual(workers * MAX_TASKS_PER_WORKER);
    pool.destroy(new Error('test over'));
    expect(await done).toEqual(new Error('test over'));
  });

  test('an error a worker replies with fails the stream with its code, file and offset', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-pool-'));
    const workerScript = path.join(dir, 'refuse.js');
    const dist = path.join(ROOT, 'dist', 'lib');
    await fs.writeFile(
      workerScript,
      `const { parentPort } = require('node:worker_threads');
       const { toRemote } = require(${JSON.stringify(path.join(dist, 'worker-task.js'))});
       const { QaHfError } = require(${JSON.stringify(path.join(dist, 'errors.js'))});
       parentPort.on('message', ({ seq }) => parentPort.postMessage({ seq, error: toRemote(new QaHfError('ERR_INPUT', 'boom', { file: 'f', byteOffset: 7 })) }));`,
    );
    const sink = new Writable({ objectMode: true, write: (_b, _e, cb) => cb() });
    const chain = runChain([Readable.from([corpus(50)]), createWorkerPool({ workers: 2, workerScript }), sink]);
    await expect(chain).rejects.toMatchObject({ name: 'QaHfError', code: 'ERR_INPUT', message: 'boom', file: 'f', byteOffset: 7 });
    await fs.rm(dir, { recursive: true });
  });

  test.each([
    ['exits', 'process.exit(3)', /worker thread 1 exited unexpectedly with code 3/],
    ['throws', 'throw new Error("boom")', /worker thread 1 failed: boom/],
  ])('a worker that %s fails the stream with the reason, never a hang', async (_what, code, reason) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-pool-'));
    const workerScript = path.join(dir, 'crash.js');
    await fs.writeFile(workerScript, code);
    const sink = new Writable({ objectMode: true, write: (_b, _e, cb) => cb() });
    const chain = runChain([Readable.from([corpus(50)]), createWorkerPool({ workers: 1, workerScript }), sink]);
    await expect(chain).rejects.toThrow(reason);
    await fs.rm(dir, { recursive: true });
  });

  test('bad options are refused up front with what was given', () => {
    expect(() => createWorkerPool({ workers: 0 })).toThrow('option workers must be an integer from 1 to 64, got 0');
    expect(() => createWorkerPool({ workers: 1.5 })).toThrow('got 1.5');
    expect(() => createProcessingStages({ workers: -1 })).toThrow('option workers must be an integer from 0 to 64, got -1');
    expect(() => createWorkerPool({ workers: 1, preset: 'nope' })).toThrow(/unknown preset/);
  });

  test.each([
    ['ends', ''],
    ['is destroyed midway', 'stages[0].once("data", () => stages[0].destroy(new Error("stop")));'],
  ])('the process exits once a pool %s (its workers are terminated)', async (_what, extra) => {
    const script = `
      const { Readable, Writable } = require('node:stream');
      const { createProcessingStages, runChain } = require('./dist/streams/chain');
      const lines = Array.from({ length: 20000 }, (_, i) => JSON.stringify({ question: 'q' + i, answer: 'a', persona: { roll: 'r', erfarenhet: 'e' }, validation: { composite_score: 0.5, passed: true } }));
      const stages = createProcessingStages({ workers: 2, keepRows: false });
      ${extra}
      let n = 0;
      runChain([Readable.from([Buffer.from(lines.join('\\n'))]), ...stages, new Writable({ objectMode: true, write: (b, e, cb) => (n += b.entries.length, cb()) })])
        .then(() => console.log('done', n), (err) => console.log('failed', err.message));
    `;
    const child = spawn(process.execPath, ['-e', script], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(stdout).toMatch(extra ? /failed stop/ : /done 20000/);
  });

  test.each([
    [null, 8, 0], // a pipe on stdin: size unknown
    [WORKERS_FROM_BYTES - 1, 8, 0],
    [WORKERS_FROM_BYTES, 1, 0],
    [WORKERS_FROM_BYTES, 2, 2],
    [WORKERS_FROM_BYTES * 10, 3, 3],
    [WORKERS_FROM_BYTES * 10, 16, 4],
  ])('the default worker count for %s input bytes on %i cores is %i', (bytes, cores, expected) => {
    expect(defaultWorkerCount(bytes, cores)).toBe(expected);
  });
});
