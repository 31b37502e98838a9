/**
 * chain — the one place stages are joined: pump, promisified, so an error in any
 * stage destroys them all and rejects once (no `.pipe()` chains anywhere).
 *
 *   await runChain([createFileSource(files), ...createProcessingStages(), createSink({ outputs })]);
 *
 * Processing is two stages: the line splitter, then the batch processor
 * (lib/worker-task.ts: parse → validate → map → serialize in one pass over the
 * batch), in-process or, with `workers`, on a pool of worker threads. The four
 * separate stages (createJsonParser, …) remain for composing other chains; one
 * pass saves their per-batch hand-offs and lets lines stay byte text throughout.
 */
import pump from 'pump';
import type { Stream, Transform } from 'node:stream';
import { canUseByteText } from '../lib/byte-text';
import { checkBatchOptions, makeBatchContext, processBatch } from '../lib/worker-task';
import { batchStage } from './batch-stage';
import { createLineSplitter } from './line-splitter';
import { workersOption } from '../lib/options';
import { createWorkerPool } from './worker-pool';

export function runChain(stages: Stream[]): Promise<void> {
  return new Promise((resolve, reject) => {
    pump(stages as unknown as pump.Stream[], (err?: Error) => (err ? reject(err) : resolve()));
  });
}

/**
 * Worker threads a CLI should start by default: none. On the 2-vCPU bench machine
 * (pipe mode, keepRows false) 2 workers gave 150 MB/s against 120 in-process on
 * the 400k corpus, but nothing on the 100k one: each worker starts in ~0.2 s
 * (modules, schema compile), the main thread still reads, splits, copies lines to
 * the workers and writes (about a third of the work), and peak RSS grows from
 * ~130 to ~270 MB. So the pool is opt-in: `workers: 2` for large inputs.
 */
export const DEFAULT_WORKERS = 0;

export interface ProcessingOptions {
  preset?: string;
  /** JSON Schema object replacing the preset's. */
  schema?: object;
  maxLineBytes?: number;
  failFast?: boolean;
  /** Worker threads for the processing; 0 processes in the main thread. Default 0. */
  workers?: number;
  /**
   * Keep `row` and `text` of pairs and rejected entries for whoever reads them
   * after the sink (stats, other formats). Default true. The pipe mode, which only
   * counts them, passes false: lines then stay raw bytes from splitter to sink
   * (lib/byte-text.ts), about twice as fast, with the same output bytes.
   */
  keepRows?: boolean;
}

/** Splitter → processor (in-process or a worker pool), options checked up front. */
export function createProcessingStages(options: ProcessingOptions = {}): Transform[] {
  // Checked by the one normalizer (lib/options.ts); workers: 0 means the main thread does the work.
  const workers = workersOption(options.workers, 'library', DEFAULT_WORKERS);
  const { preset, keepRows } = checkBatchOptions(options);
  const byteText = !keepRows && canUseByteText(preset, options.schema ?? preset.schema);
  const splitter = createLineSplitter({ maxLineBytes: options.maxLineBytes, byteText });
  if (workers > 0) {
    const { schema, failFast } = options;
    return [splitter, createWorkerPool({ workers, preset: options.preset, schema, failFast, keepRows })];
  }
  const context = makeBatchContext(options);
  return [splitter, batchStage((batch) => processBatch(batch, context))];
}
