/**
 * worker-pool — processes batches on worker threads and hands them on in input order.
 *
 * Input: Batches from the line splitter. Output: the same Batches, processed as
 * the in-process processor would (lib/worker-task.ts: parse, validate, map,
 * serialize), in the order they came in. Each worker runs processBatch on a copy
 * of the lines; the routing, changed texts, kept rows and output bytes come back,
 * the bytes transferred rather than copied.
 * Backpressure: at most MAX_BATCHES_PER_WORKER batches per worker are out (sent,
 * or back but waiting for an earlier one); the next input is taken only when one
 * is handed on, so memory stays bounded however large the input.
 * Errors: a batch that throws in a worker fails the stream with that error; a
 * worker that crashes or exits fails it with the reason, never a hang. Workers
 * start with the first batch and are terminated when the stream ends or is
 * destroyed, so they never keep the process alive.
 *
 * The workers run a dedicated entry, streams/worker.ts (compiled: dist/streams/worker.js),
 * which the main thread never imports. Loaded from TypeScript sources (ts-jest), the
 * pool uses that file in dist/, which `npm test` builds first.
 *
 *   runChain([createFileSource(files), createLineSplitter(), createWorkerPool({ workers: 2 }), createSink(…)])
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Batch } from '../lib/batch';
import { QaHfError, got } from '../lib/errors';
import { compileSchema } from '../lib/schema';
import { applyResult, type BatchContextOptions, checkBatchOptions, fromRemote, toTask, type WorkerReply } from '../lib/worker-task';
import { BATCH_HIGH_WATER_MARK } from './batch-stage';
import { MAX_WORKERS } from '../lib/options';

/**
 * Batches out per worker: one being processed and one queued, so a worker never
 * waits for the main thread between batches. More only adds memory.
 */
export const MAX_BATCHES_PER_WORKER = 2;

/** More workers than this is a typo, not a machine: lib/options.ts, the one option normalizer, owns the bound. */
export { MAX_WORKERS };

export interface WorkerPoolOptions extends BatchContextOptions {
  /** Worker threads, 1 … MAX_WORKERS. */
  workers: number;
  /** Script the workers run instead of streams/worker.js; for tests of crashing workers. */
  workerScript?: string;
}

interface Slot {
  worker: Worker;
  index: number;
  busy: number;
}

export function createWorkerPool(options: WorkerPoolOptions): Transform {
  // workers: threads to start.
  const workers = options.workers;
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new QaHfError('ERR_OPTION', `option workers must be an integer from 1 to ${MAX_WORKERS}, ${got(workers)}`);
  }
  // The rest as the in-process processor checks them. A given schema is compiled
  // here too, so a bad one fails now; the preset's own is known to compile (and
  // each worker compiles it anyway: ~65 ms saved on the main thread).
  checkBatchOptions(options);
  if (options.schema !== undefined) compileSchema(options.schema);
  const contextOptions: BatchContextOptions = {
    preset: options.preset,
    schema: options.schema,
    failFast: options.failFast,
    keepRows: options.keepRows,
  };
  const script = options.workerScript ?? workerScript();
  const limit = workers * MAX_BATCHES_PER_WORKER;

  const slots: Slot[] = [];
  /** Batches sent, by sequence number, until their result is applied. */
  const sent = new Map<number, Batch>();
  /** Processed batches waiting for an earlier one. */
  const ready = new Map<number, Batch>();
  let nextSeq = 0;
  let nextOut = 0;
  let waiting: TransformCallback | null = null;
  let flushed: TransformCallback | null = null;
  let closing = false;

  function start(stream: Transform): void {
    for (let index = 0; index < workers; index++) {
      const worker = new Worker(script, { workerData: { options: contextOptions } });
      const slot: Slot = { worker, index, busy: 0 };
      worker.on('message', (reply: WorkerReply) => onReply(stream, slot, reply));
      worker.on('error', (err: Error) => fail(stream, new Error(`worker thread ${index + 1} failed: ${err.message}`)));
      worker.on('messageerror', (err: Error) => fail(stream, new Error(`worker thread ${index + 1} sent a message that cannot be read: ${err.message}`)));
      worker.on('exit', (code: number) => {
        if (!closing) fail(stream, new Error(`worker thread ${index + 1} exited unexpectedly with code ${code}`));
      });
      slots.push(slot);
    }
  }

  function onReply(stream: Transform, slot: Slot, reply: WorkerReply): void {
    if (closing) return;
    slot.busy--;
    if ('error' in reply) {
      fail(stream, fromRemote(reply.error));
      return;
    }
    const batch = sent.get(reply.seq)!;
    sent.delete(reply.seq);
    try {
      applyResult(batch, reply.result);
    } catch (err) {
      fail(stream, err as Error);
      return;
    }
    ready.set(reply.seq, batch);
    while (ready.has(nextOut)) {
      const next = ready.get(nextOut)!;
      ready.delete(nextOut);
      nextOut++;
      stream.push(next);
    }
    if (waiting && nextSeq - nextOut < limit) {
      const callback = waiting;
      waiting = null;
      callback();
    }
    if (flushed && nextOut === nextSeq) finish(flushed);
  }

  function fail(stream: Transform, err: Error): void {
    if (closing) return;
    stream.destroy(err);
  }

  /** Terminates the workers (their exit is no failure then), then calls back. */
  function close(callback: () => void): void {
    closing = true;
    const all = slots.map((slot) => slot.worker.terminate());
    sent.clear();
    ready.clear();
    Promise.allSettled(all).then(callback, callback);
  }

  function finish(callback: TransformCallback): void {
    flushed = null;
    close(() => callback());
  }

  return new Transform({
    writableObjectMode: true,
    readableObjectMode: true,
    writableHighWaterMark: BATCH_HIGH_WATER_MARK,
    readableHighWaterMark: BATCH_HIGH_WATER_MARK,
    transform(batch: Batch, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        if (slots.length === 0) start(this); // workers start with the first batch
        // The least busy worker; ties go to the first.
        let slot = slots[0];
        for (const candidate of slots) if (candidate.busy < slot.busy) slot = candidate;
        const seq = nextSeq++;
        const { task, transfer } = toTask(batch);
        sent.set(seq, batch);
        slot.busy++;
        slot.worker.postMessage({ seq, task }, transfer);
      } catch (err) {
        callback(err as Error);
        return;
      }
      if (nextSeq - nextOut < limit) callback();
      else waiting = callback;
    },
    flush(callback: TransformCallback) {
      if (nextOut === nextSeq) finish(callback);
      else flushed = callback;
    },
    destroy(err: Error | null, callback: (err: Error | null) => void) {
      waiting = null;
      flushed = null;
      close(() => callback(err));
    },
  });
}

/**
 * The worker entry (streams/worker.ts) as compiled JavaScript: beside this file in
 * dist/, or, loaded from TypeScript sources (ts-jest), the built one in dist/.
 */
function workerScript(): string {
  const script = __filename.endsWith('.ts')
    ? path.resolve(__dirname, '..', 'dist', 'streams', 'worker.js')
    : path.join(__dirname, 'worker.js');
  if (!existsSync(script)) {
    throw new Error(`the worker pool needs its compiled script ${script}; run npm run build`);
  }
  return script;
}
