/**
 * worker — the entry a worker thread of the pool (streams/worker-pool.ts) runs, and
 * nothing else: the main thread never imports it.
 *
 * Input: `workerData.options` (BatchContextOptions), then one message per batch,
 * `{ seq, task }` (lib/worker-task.ts: toTask). Output: one WorkerReply per task, in
 * the order received, the output bytes transferred rather than copied; a batch that
 * throws replies with the error (toRemote), so the pool fails the stream with it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  type BatchContextOptions,
  type BatchTask,
  fromTask,
  makeBatchContext,
  processBatch,
  toRemote,
  toResult,
  type WorkerReply,
} from '../lib/worker-task';

/** One context, then one reply per task, in the order received. */
function serve(port: NonNullable<typeof parentPort>, options: BatchContextOptions): void {
  const context = makeBatchContext(options);
  port.on('message', ({ seq, task }: { seq: number; task: BatchTask }) => {
    let reply: WorkerReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const processed = toResult(processBatch(fromTask(task), context), task);
      reply = { seq, result: processed.result };
      transfer = processed.transfer;
    } catch (err) {
      reply = { seq, error: toRemote(err) };
    }
    port.postMessage(reply, transfer);
  });
}

if (parentPort === null) throw new Error('streams/worker.js is the entry of a worker-pool thread; it does not run on the main thread');
serve(parentPort, (workerData as { options: BatchContextOptions }).options);
