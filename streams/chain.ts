/**
 * chain — the one place stages are put together and joined: `buildChain(plan, { source, sink })`
 * lays out source → processing → router → (serializer) → sink → (checkpoint) from a ChainPlan,
 * and runs them with pump, promisified, so an error in any stage destroys them all and
 * rejects once (no `.pipe()` chains anywhere). Every command's chain is built here: pipe
 * mode, export, its dry run and sampling pass, `qa-hf report` and a rank. `runChain`, the
 * bare join, stays exported for library users who lay out their own stages.
 *
 *   await buildChain({ processing: {}, route: null }, { source: createFileSource(files), sink: createSink({ outputs }) }).run();
 *   await runChain([createFileSource(files), ...createProcessingStages(), createSink({ outputs })]);
 *
 * Processing is two stages: the line splitter, then the batch processor
 * (lib/worker-task.ts: parse → validate → map → serialize in one pass over the
 * batch), in-process or, with `workers`, on a pool of worker threads. The four
 * separate stages (createJsonParser, …) remain for composing other chains; one
 * pass saves their per-batch hand-offs and lets lines stay byte text throughout.
 */
import pump from 'pump';
import type { Readable, Stream, Transform, Writable } from 'node:stream';
import { canUseByteText } from '../lib/input/byte-text';
import { withPresetMapping } from '../lib/io/presets';
import type { MappingSpec } from '../lib/input/mapping';
import { type BatchContextOptions, checkBatchOptions, makeBatchContext, processBatch } from '../lib/processor';
import { batchStage } from './batch-stage';
import { createLineSplitter } from './line-splitter';
import { workersOption } from '../lib/options';
import { createWorkerPool } from './worker-pool';
import { type RouterOptions, createRouter } from './router';
import { type SerializerOptions, createSerializer } from './serializer';

export function runChain(stages: Stream[]): Promise<void> {
  return new Promise((resolve, reject) => {
    pump(stages as unknown as pump.Stream[], (err?: Error) => (err ? reject(err) : resolve()));
  });
}

/**
 * Worker threads createProcessingStages starts when not told: none. A library
 * caller knows its input; the pipe mode picks a count per run with
 * defaultWorkerCount. Export keeps 0: --workers 2 holds ~1.6× the memory (rows cross
 * back as objects, a heap per worker) and pays only on a large corpus with idle cores
 * (1.2–1.6× on the quiet 2-core bench machine, no faster or slower when it is shared;
 * README, export options).
 */
export const DEFAULT_WORKERS = 0;

/**
 * Input bytes from which workers pay off. Each worker starts in ~0.3 s of CPU
 * (modules, schema compile) before its first piece; on the 2-core bench machine
 * (bench/README.md) 2 workers were level with the main thread alone at 16 MB
 * (slower) to 66 MB, and ahead from there on (1.5–1.8× at 130–520 MB).
 */
export const WORKERS_FROM_BYTES = 64 << 20;

/**
 * More workers than this gain nothing in pipe mode: past it the main thread
 * (read, order, write; ~20 % of one core at 2 workers) and the disk bound the run.
 */
export const MAX_DEFAULT_WORKERS = 4;

/**
 * The worker count the CLI uses without --workers: min(cores, MAX_DEFAULT_WORKERS)
 * when the input is known to hold at least WORKERS_FROM_BYTES, else 0 (the main
 * thread). `inputBytes` null: unknown (a pipe on stdin), taken as small, since a
 * short interactive run would pay the start-up for nothing; --workers says otherwise.
 */
export function defaultWorkerCount(inputBytes: number | null, cores: number): number {
  if (inputBytes === null || inputBytes < WORKERS_FROM_BYTES || cores < 2) return 0;
  return Math.min(cores, MAX_DEFAULT_WORKERS);
}

/**
 * The processing stages' options: the preset, mapping, schema and run control here, and
 * what the processor itself takes (keepRows, keepTexts, serialize, segment, facts,
 * redactErrors), declared once in lib/processor.ts BatchContextOptions.
 */
export interface ProcessingOptions extends Pick<BatchContextOptions, 'keepRows' | 'keepTexts' | 'serialize' | 'segment' | 'facts' | 'redactErrors'> {
  preset?: string;
  /** A declarative mapping (lib/input/mapping.ts) used instead of the preset's own; a shipped mapped preset's is filled in. */
  mapping?: MappingSpec;
  /** JSON Schema object replacing the preset's. */
  schema?: object;
  maxLineBytes?: number;
  failFast?: boolean;
  /** Worker threads for the processing; 0 processes in the main thread. Default DEFAULT_WORKERS (0). */
  workers?: number;
}

/** Splitter → processor (in-process or a worker pool), options checked up front. */
export function createProcessingStages(given: ProcessingOptions = {}): Transform[] {
  // A shipped mapped preset (`squad`, …) travels as its mapping, compiled in each worker.
  const mapped = withPresetMapping(given);
  // The facts leave the language to the report, which detects on a thread of its own (lib/io/language-thread.ts):
  // neither this thread nor a worker loads tinyld (~40 MB and ~0.3 s of CPU each) for the ~1 % of answers sampled.
  const options = mapped.facts === undefined ? mapped : { ...mapped, facts: { ...mapped.facts, detect: false } };
  // Checked by the one normalizer (lib/options.ts); workers: 0 means the main thread does the work.
  const workers = workersOption(options.workers, 'library', DEFAULT_WORKERS);
  const { preset, keepRows, segmenter } = checkBatchOptions(options);
  // Segmentation reads characters (regular expressions, offsets): never byte text.
  const byteText = !keepRows && segmenter === null && canUseByteText(preset, options.schema ?? preset.schema);
  if (workers > 0) {
    // The pool splits the lines too, on its threads.
    const { schema, failFast, maxLineBytes, serialize, segment, facts, keepTexts, redactErrors } = options;
    return [createWorkerPool({ workers, preset: options.preset, mapping: options.mapping, schema, failFast, keepRows, keepTexts, maxLineBytes, byteText, serialize, segment, facts, redactErrors })];
  }
  const splitter = createLineSplitter({ maxLineBytes: options.maxLineBytes, byteText });
  const context = makeBatchContext(options);
  return [splitter, batchStage((batch) => processBatch(batch, context))];
}

/**
 * What a chain does between its source and its sink; each part absent is a stage left out.
 * (A run's plan, commands/, says which: the export's, its dry run's, a rank's, …)
 */
export interface ChainPlan {
  /**
   * The processing stages' options (createProcessingStages), or null when the source
   * gives processed Batches already (a merge: the ranks' lines, streams/rank-replay.ts).
   */
  processing: ProcessingOptions | null;
  /** The router (streams/router.ts: min-score, splits, quality rules, sample), or null: the processor's channels as they are (a rank: routed at the merge). */
  route: RouterOptions | null;
  /** After the router, batches it moved rows of are serialized again for a byte sink (pipe mode with quality rules). */
  reserialize?: SerializerOptions;
}

/** The ends of a chain: where its input comes from and where it goes. */
export interface ChainEnds {
  /** Input chunks (createFileSource), or processed Batches when the plan has no processing. */
  source: Readable;
  /** The last writing stage: a sink (streams/sink.ts, streams/dataset-sink.ts, or a caller's Writable). */
  sink: Writable;
  /** After a resumable sink, the stage its commits go to (streams/checkpoint.ts). */
  checkpoint?: Writable;
}

/** A chain laid out, ready to run once. */
export interface Chain {
  readonly stages: readonly Stream[];
  run(): Promise<void>;
}

/** The one composition of stages (see the header). Options are checked now, before any stream moves. */
export function buildChain(plan: ChainPlan, ends: ChainEnds): Chain {
  const stages: Stream[] = [ends.source];
  if (plan.processing !== null) stages.push(...createProcessingStages(plan.processing));
  if (plan.route !== null) stages.push(createRouter(plan.route));
  if (plan.reserialize) stages.push(createSerializer({ ...plan.reserialize, onlyUnserialized: true }));
  stages.push(ends.sink);
  if (ends.checkpoint) stages.push(ends.checkpoint);
  return { stages, run: () => runChain(stages) };
}
