/**
 * worker — the entry a worker thread of the pool (streams/worker-pool.ts) runs, and
 * nothing else: the main thread never imports it.
 *
 * Input: `workerData.options` (WorkerOptions: the batch context and how to scan),
 * then one message per piece of a file, `{ seq, task }` (lib/worker-task.ts:
 * toChunkTask), its bytes transferred. Output: one WorkerReply per task, in the
 * order received: the piece scanned into lines, parsed, validated, mapped and
 * serialized (runChunkTask), the output bytes transferred rather than copied; a
 * task that throws replies with the error (toRemote), so the pool fails the stream.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkTask, runChunkTask, toRemote, type WorkerOptions, type WorkerReply } from '../lib/worker-task';
import { makeBatchContext } from '../lib/processor';

/** One context, then one reply per task, in the order received. */
function serve(port: NonNullable<typeof parentPort>, options: WorkerOptions): void {
  const context = makeBatchContext(options);
  const scan = { maxLineBytes: options.maxLineBytes, byteText: options.byteText };
  port.on('message', ({ seq, task }: { seq: number; task: ChunkTask }) => {
    let reply: WorkerReply;
    let transfer: ArrayBuffer[] = [];
    try {
      const processed = runChunkTask(task, context, scan);
      reply = { seq, result: processed.result };
      transfer = processed.transfer;
    } catch (err) {
      reply = { seq, error: toRemote(err) };
    }
    port.postMessage(reply, transfer);
  });
}

if (parentPort === null) throw new Error('streams/worker.js is the entry of a worker-pool thread; it does not run on the main thread');
serve(parentPort, (workerData as { options: WorkerOptions }).options);
