/**
 * worker-pool — splits and processes lines on worker threads, handing the batches
 * on in input order: the line splitter and the batch processor in one stage.
 *
 * Input: what the line splitter takes (Buffers of one file, or FileChunks from
 * file-source). Output: the Batches the line splitter and the in-process processor
 * (lib/processor.ts: processBatch) would make, one per input chunk that completes
 * a line or closes a file, with the same entries and output bytes.
 *
 * The main thread does no per-line work on the bytes: it cuts each chunk after its
 * last newline (LineCutter, lib/input/lines.ts: the bytes after it are carried over,
 * copied, at most maxLineBytes + 1 of them) and sends the piece to the least busy
 * worker, its memory transferred when the chunk owns it (FileChunk.detachable);
 * the worker scans it into lines, parses, validates, maps and serializes
 * (runChunkTask) and transfers the output bytes back. The main thread takes the
 * results in order, numbers their lines (a worker numbers from 1 within its piece)
 * and writes the dead-letter rows, which carry the line number.
 * Backpressure: at most MAX_TASKS_PER_WORKER × workers pieces are out (sent, or
 * back but waiting for an earlier one); the next chunk is taken only when one is
 * handed on, so memory stays bounded however large the input.
 * Errors: a piece that throws in a worker fails the stream with that error; a
 * worker that crashes or exits fails it with the reason, never a hang. Workers
 * start with the first chunk and are terminated when the stream ends or is
 * destroyed, so they never keep the process alive.
 *
 * The workers run a dedicated entry, streams/worker.ts (compiled: dist/streams/worker.js),
 * which the main thread never imports. Loaded from TypeScript sources (ts-jest), the
 * pool uses that file in dist/, which `npm test` builds first.
 *
 *   runChain([createFileSource(files), createWorkerPool({ workers: 2 }), createSink(…)])
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { canUseByteText } from '../lib/input/byte-text';
import { got, optionError } from '../lib/errors';
import { makeRowWriter } from '../lib/dataset/jsonl';
import { LineCutter, type LinePiece } from '../lib/input/line-carry';
import { type LineScannerOptions, normalizeScannerOptions } from '../lib/input/lines';
import { compileSchema } from '../lib/input/schema';
import { ERROR_COLUMNS } from '../lib/dataset/serialize';
import { type BatchContextOptions, checkBatchOptions } from '../lib/processor';
import { batchFromResult, type ChunkResult, fromRemote, toChunkTask, type WorkerOptions, type WorkerReply } from '../lib/worker-task';
import { BATCH_HIGH_WATER_MARK } from './batch-stage';
import type { FileChunk } from './file-source';
import { MAX_WORKERS } from '../lib/options';

/**
 * Pieces out per worker: one being processed and one queued, so a worker never
 * waits for the main thread between pieces. More only adds memory.
 */
export const MAX_TASKS_PER_WORKER = 2;

/**
 * Young generation of each worker's V8 heap, in MB. V8's default (up to 3 × 16 MB
 * semi-spaces per isolate) is made for one heap per process; at 12, 2 workers on
 * the 520 MB bench corpus peaked at 167 MB RSS instead of 229, for the same CPU
 * time (4.08 s user against 3.99; at 6, scavenges cost 20 % more).
 */
const WORKER_YOUNG_GENERATION_MB = 12;

/** More workers than this is a typo, not a machine: lib/options.ts, the one option normalizer, owns the bound. */
export { MAX_WORKERS };

export interface WorkerPoolOptions extends BatchContextOptions, LineScannerOptions {
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

/** What the main thread keeps of a piece it sent: its file, and where numbering restarts. */
interface Sent {
  file: string;
  /** Lines of the file before this piece, when the piece starts a file (or a resumed read). */
  startLine: number | undefined;
}

export function createWorkerPool(options: WorkerPoolOptions): Transform {
  // workers: threads to start.
  const workers = options.workers;
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw optionError('workers', `option workers must be an integer from 1 to ${MAX_WORKERS}, ${got(workers)}`);
  }
  // The scanning options as the line splitter checks them, the rest as the
  // in-process processor does. A given schema is compiled here too, so a bad one
  // fails now; the preset's own is known to compile (and each worker compiles it anyway).
  const scanDefaults = normalizeScannerOptions(options);
  const { preset, keepRows, serialize, segmenter } = checkBatchOptions(options);
  if (options.schema !== undefined) compileSchema(options.schema);
  // Byte text unless the caller says otherwise: only when rows are not kept and it is safe (lib/input/byte-text.ts); segmentation reads characters.
  const byteText = options.byteText ?? (!keepRows && segmenter === null && canUseByteText(preset, options.schema ?? preset.schema));
  const workerOptions: WorkerOptions = {
    preset: options.preset,
    mapping: options.mapping,
    schema: options.schema,
    // Plain data: each worker compiles its own segmenter (makeBatchContext).
    segment: options.segment,
    facts: options.facts,
    redactErrors: options.redactErrors,
    failFast: options.failFast,
    keepRows: options.keepRows,
    keepTexts: options.keepTexts,
    serialize,
    maxLineBytes: scanDefaults.maxLineBytes,
    byteText,
  };
  // The dead-letter rows are written here (they carry the line number), when wanted.
  const writeErrors = serialize.includes('errors') ? makeRowWriter(ERROR_COLUMNS) : null;
  const script = options.workerScript ?? workerScript();
  const limit = workers * MAX_TASKS_PER_WORKER;

  const slots: Slot[] = [];
  /** Pieces sent, by sequence number, until their result is handed on. */
  const sent = new Map<number, Sent>();
  /** Results waiting for an earlier one. */
  const ready = new Map<number, ChunkResult>();
  let nextSeq = 0;
  let nextOut = 0;
  let waiting: TransformCallback | null = null;
  let flushed: TransformCallback | null = null;
  let closing = false;

  // The file being cut, as the line splitter tracks its scanner.
  let cutter: LineCutter | null = null;
  let cutterFile = scanDefaults.file;
  let cutterEnded = false;
  let startLine: number | undefined;
  /** Lines of the current output file handed on so far (results are numbered in order). */
  let lineBase = 0;

  function start(stream: Transform): void {
    for (let index = 0; index < workers; index++) {
      const worker = new Worker(script, { workerData: { options: workerOptions }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
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

  function begin(file: string, startOffset: number, firstLine: number): void {
    cutter = new LineCutter(scanDefaults.maxLineBytes, startOffset);
    cutterFile = file;
    cutterEnded = false;
    startLine = firstLine;
  }

  function dispatch(stream: Transform, piece: LinePiece | null, detachable: boolean): void {
    if (piece === null) return; // no newline yet: the bytes are carried
    if (slots.length === 0) start(stream); // workers start with the first piece
    // The least busy worker; ties go to the first.
    let slot = slots[0];
    for (const candidate of slots) if (candidate.busy < slot.busy) slot = candidate;
    const seq = nextSeq++;
    const { task, transfer } = toChunkTask(cutterFile, piece, detachable);
    sent.set(seq, { file: cutterFile, startLine });
    startLine = undefined;
    slot.busy++;
    slot.worker.postMessage({ seq, task }, transfer);
  }

  function onReply(stream: Transform, slot: Slot, reply: WorkerReply): void {
    if (closing) return;
    slot.busy--;
    if ('error' in reply) {
      fail(stream, fromRemote(reply.error));
      return;
    }
    ready.set(reply.seq, reply.result);
    try {
      while (ready.has(nextOut)) {
        const result = ready.get(nextOut)!;
        const piece = sent.get(nextOut)!;
        ready.delete(nextOut);
        sent.delete(nextOut);
        nextOut++;
        if (piece.startLine !== undefined) lineBase = piece.startLine;
        const batch = batchFromResult(piece.file, lineBase, result, writeErrors);
        lineBase += result.lines;
        stream.push(batch);
      }
    } catch (err) {
      fail(stream, err as Error);
      return;
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
    transform(chunk: Buffer | string | FileChunk, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        if (Buffer.isBuffer(chunk) || typeof chunk === 'string') {
          if (!cutter) begin(scanDefaults.file, scanDefaults.startOffset, scanDefaults.startLine);
          dispatch(this, cutter!.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)), false);
        } else {
          if (!cutter || cutterEnded || cutterFile !== chunk.file || chunk.start) {
            if (cutter && !cutterEnded) dispatch(this, cutter.end(), false);
            begin(chunk.file, chunk.start?.offset ?? 0, chunk.start?.line ?? 0);
          }
          if (chunk.data.length > 0) dispatch(this, cutter!.push(chunk.data), chunk.detachable === true);
          if (chunk.end) {
            dispatch(this, cutter!.end(), false);
            cutterEnded = true;
          }
        }
      } catch (err) {
        callback(err as Error);
        return;
      }
      if (nextSeq - nextOut < limit) callback();
      else waiting = callback;
    },
    flush(callback: TransformCallback) {
      try {
        if (cutter && !cutterEnded) {
          dispatch(this, cutter.end(), false);
          cutterEnded = true;
        }
      } catch (err) {
        callback(err as Error);
        return;
      }
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
