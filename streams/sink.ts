/**
 * sink — writes serialized batches to their outputs, the last stage of a chain.
 *
 * Input: Batch with `output`, written as the bytes the serializer made (see
 * outputBytes in lib/serialize.ts). Each output name (`pairs`, `rejected`, `errors`)
 * maps to a path (opened by lib/io/output-target.ts: a regular file or new path is
 * written atomically — temp file, fsync, rename, directory fsync, on finish; removed
 * on failure —, a symlink is followed, a device or FIFO is written through), a
 * Writable such as stdout (written with backpressure, not ended), or an
 * OutputTarget the caller owns. An output with no target is counted only.
 * `onCommit` fires once per commit, after the batch is
 * written and before the next one is: a file's end that adds no line (its last
 * chunk ended on a line break) is the same commit as the batch before it, so that
 * batch is reported once, with `fileEnd` set, not twice at the same offset. (Hence
 * a batch is reported when the next one arrives or the stream ends.)
 * Errors: I/O failures (ERR_IO, ERR_NO_SPACE); a batch cut by fail-fast ends the
 * stream with ERR_FAIL_FAST after its lines are written.
 *
 *   createSink({ pairs: process.stdout, rejected: 'rejected.jsonl', errors: 'errors.jsonl' })
 */
import { Writable } from 'node:stream';
import type { FileSystem } from '../lib/io/atomic-file';
import type { OutputTarget } from '../lib/target';
import { openOutputTarget, type OpenOutputTarget } from '../lib/io/output-target';
import { type Batch, onlyClosesFile } from '../lib/batch';
import { QaHfError, toQaHfError } from '../lib/errors';
import { outputBytes } from '../lib/serialize';
import { BATCH_HIGH_WATER_MARK } from './batch-stage';

export type SinkTarget = string | NodeJS.WritableStream | OutputTarget;

export interface SinkOptions {
  /** Target per output name; outputs without one are counted, not written. */
  outputs: Record<string, SinkTarget | undefined>;
  /** Called after a batch is written to every target, before the next one. */
  onCommit?: (batch: Batch) => void | Promise<void>;
  /** The file layer of path outputs; default node's `fs.promises` (tests inject faults). */
  fs?: FileSystem;
}

/** Writes to a stream, waiting for 'drain' when it asks for it. */
class StreamTarget implements OutputTarget {
  constructor(private readonly stream: NodeJS.WritableStream) {}

  async write(bytes: Buffer): Promise<void> {
    const stream = this.stream as NodeJS.WritableStream & { destroyed?: boolean };
    if (stream.destroyed) throw closedError();
    if (stream.write(bytes)) return;
    // Wait for drain, but never hang on a stream that errors or closes instead.
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        stream.removeListener('drain', onDrain);
        stream.removeListener('error', done);
        stream.removeListener('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onClose = () => done(closedError());
      stream.on('drain', onDrain);
      stream.on('error', done);
      stream.on('close', onClose);
    });
  }
}

function closedError(): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error('output stream closed');
  err.code = 'EPIPE';
  return err;
}

function isOutputTarget(target: SinkTarget): target is OutputTarget {
  return typeof target === 'object' && !('pipe' in target) && typeof (target as OutputTarget).write === 'function';
}

export function createSink(options: SinkOptions): Writable {
  const owned: OpenOutputTarget[] = [];
  const targets = new Map<string, OutputTarget>();
  const onCommit = options.onCommit;
  /** Written, not yet reported: waits to see whether the next batch only closes its file. */
  let pending: Batch | null = null;
  const reportPending = async (): Promise<void> => {
    const batch = pending;
    pending = null;
    if (batch && onCommit) await onCommit(batch);
  };

  return new Writable({
    objectMode: true,
    highWaterMark: BATCH_HIGH_WATER_MARK,
    construct(callback) {
      (async () => {
        for (const [name, target] of Object.entries(options.outputs)) {
          if (target === undefined) continue;
          if (typeof target === 'string') {
            const file = await openOutputTarget(target, { fs: options.fs });
            owned.push(file);
            targets.set(name, file);
          } else {
            targets.set(name, isOutputTarget(target) ? target : new StreamTarget(target));
          }
        }
      })().then(() => callback(), (err) => callback(toQaHfError(err)));
    },
    write(batch: Batch, _encoding, callback) {
      (async () => {
        if (pending && onlyClosesFile(pending, batch)) {
          pending = { ...pending, fileEnd: true };
          return reportPending();
        }
        await reportPending();
        const output = batch.output;
        // A batch whose entries a router moved has no serialized output: only a counting sink (no targets) takes it.
        if (!output && targets.size > 0) throw new Error(`a batch of ${batch.file} reached the sink unserialized`);
        // The serializer's bytes as they are; texts set by other code are encoded here.
        for (const [name, bytes] of Object.entries(output ? outputBytes(output) : {})) {
          const target = targets.get(name);
          if (target && bytes.length > 0) await target.write(bytes);
        }
        if (onCommit && !batch.fileEnd && !batch.stop) pending = batch;
        else if (onCommit) await onCommit(batch);
        if (batch.stop) {
          const { line, offset, code, message } = batch.stop;
          throw new QaHfError('ERR_FAIL_FAST', `${code}: ${message}`, { file: batch.file, line, byteOffset: offset });
        }
      })().then(() => callback(), (err) => callback(toQaHfError(err)));
    },
    final(callback) {
      (async () => {
        await reportPending();
        for (const file of owned) await file.finish();
      })().then(() => callback(), (err) => callback(toQaHfError(err)));
    },
    destroy(error, callback) {
      // Failed or interrupted: no partial file may appear under a final name.
      Promise.all(owned.map((file) => file.abort())).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}
