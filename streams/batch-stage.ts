/**
 * batch-stage — the shared plumbing of the batch → batch stages: a through2
 * object-mode Transform that applies a pure function to each batch and passes a
 * thrown error to the callback (never throwing inside `transform`).
 */
import through2 from 'through2';
import type { Transform } from 'node:stream';
import type { Batch } from '../lib/batch';

/**
 * Batches buffered per stage side. A batch is one input chunk (~256 KiB of text
 * and its parsed form), so a small bound keeps a whole chain to tens of MB.
 */
export const BATCH_HIGH_WATER_MARK = 2;

export function batchStage(work: (batch: Batch) => Batch): Transform {
  const options = { objectMode: true, highWaterMark: BATCH_HIGH_WATER_MARK };
  return through2(options, function transform(batch: Batch, _encoding, callback) {
    let result: Batch;
    try {
      result = work(batch);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, result);
  });
}
