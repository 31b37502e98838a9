/**
 * sink — writes serialized batches to their outputs, the last stage of a chain.
 *
 * Input: Batch with `output`, written as the bytes the serializer made (see
 * outputBytes in lib/dataset/serialize.ts). Each output name (`pairs`, `rejected`, `errors`)
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
 * With `commits: true` the sink is resumable (see SinkOptions.commits): chain it
 * into createCheckpoint (streams/checkpoint.ts).
 *
 *   createSink({ pairs: process.stdout, rejected: 'rejected.jsonl', errors: 'errors.jsonl' })
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Transform, Writable } from 'node:stream';
import { AtomicFile, type FileSystem, isShortOrMissing, syncDirectory } from '../lib/io/atomic-file';
import type { OutputTarget } from '../lib/target';
import { openOutputTarget, type OpenOutputTarget } from '../lib/io/output-target';
import type { Batch } from '../lib/batch';
import { QaHfError, optionError } from '../lib/errors';
import { outputBytes } from '../lib/dataset/serialize';
import { type SinkWriter, createCommitSink } from './commit-sink';

export type SinkTarget = string | NodeJS.WritableStream | OutputTarget;

export interface SinkOptions {
  /** Target per output name; outputs without one are counted, not written. */
  outputs: Record<string, SinkTarget | undefined>;
  /** Called after a batch is written to every target, before the next one. */
  onCommit?: (batch: Batch) => void | Promise<void>;
  /** The file layer of path outputs; default node's `fs.promises` (tests inject faults). */
  fs?: FileSystem;
  /**
   * Resumable: every output a file path, written under a fixed temp name
   * (`.name.partial`, kept when the run fails or is killed), and the stream a
   * Transform that pushes a SinkCommit after each commit, for streams/checkpoint.ts.
   * The final renames are left to the last commit's `finish`.
   */
  commits?: boolean;
  /** With `commits`: continue the outputs from a checkpoint (their temp files cut back to its lengths). */
  resume?: SinkResume | null;
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

/**
 * What a resumable sink (`commits: true`) hands downstream after each commit, for
 * streams/checkpoint.ts: the input position committed and every output's length.
 */
export interface SinkCommit {
  /** The input (as given to the file source) and the position just past its last committed line. */
  file: string;
  offset: number;
  line: number;
  fileEnd: boolean;
  /** Bytes written per output name, up to and including this commit. */
  outputs: Record<string, number>;
  /** Fail-fast cut the input here: the checkpoint stage records this commit, then ends the run with ERR_FAIL_FAST. */
  stop?: Batch['stop'];
  /** Makes at least those bytes durable (fsync of every output). */
  sync(): Promise<void>;
  /** On the last commit only: every input consumed; renames the outputs to their final names. */
  finish?: () => Promise<void>;
}

/** Where a resumable sink starts: the outputs' committed lengths (streams/checkpoint.ts loadResumePoint). */
export interface SinkResume {
  outputs: Record<string, number>;
  /** The previous run consumed everything: only the renames may be left. */
  complete: boolean;
}

/** A resumable output's temp file: fixed (not per process), so the next run finds it: `dir/.name.partial`. */
export function resumableTempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.partial`);
}

/** Renames a resumable output's temp file to its final name if that is still to be done. */
async function finishResumable(file: string): Promise<void> {
  try {
    await fs.rename(resumableTempPath(file), file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await fs.access(file); // renamed by a run killed just after: the final file must be there
  }
  await syncDirectory(path.dirname(file));
}

/** The JSONL outputs of a sink: files, streams, a caller's targets; resumable files with `commits`. */
class OutputsWriter implements SinkWriter<SinkCommit> {
  private readonly owned: OpenOutputTarget[] = [];
  private readonly targets = new Map<string, OutputTarget>();
  /** Resumable mode: the outputs as AtomicFiles with fixed temp names, by name and final path. */
  private readonly resumable = new Map<string, { file: AtomicFile | null; path: string }>();
  /** Set once end() has synced and closed the outputs: every commit's bytes are durable from then on. */
  private closed = false;

  constructor(private readonly options: SinkOptions) {}

  async open(): Promise<void> {
    const { options, resumable, targets } = this;
    for (const [name, target] of Object.entries(options.outputs)) {
      if (target === undefined) continue;
      if (options.commits) {
        const file = target as string;
        const keepBytes = options.resume ? (options.resume.outputs[name] ?? 0) : undefined;
        if (options.resume?.complete) {
          resumable.set(name, { file: null, path: file });
          continue;
        }
        const opened = await AtomicFile.open(file, { tempPath: resumableTempPath(file), keepBytes }).catch((err: unknown) => {
          if (keepBytes !== undefined && isShortOrMissing(err)) {
            throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${resumableTempPath(file)} does not match the checkpoint (missing or cut short); remove the checkpoint to start over`);
          }
          throw err;
        });
        resumable.set(name, { file: opened, path: file });
        targets.set(name, opened);
      } else if (typeof target === 'string') {
        const file = await openOutputTarget(target, { fs: options.fs });
        this.owned.push(file);
        targets.set(name, file);
      } else {
        targets.set(name, isOutputTarget(target) ? target : new StreamTarget(target));
      }
    }
  }

  async write(batch: Batch): Promise<void> {
    const output = batch.output;
    // A batch whose entries a router moved has no serialized output: only a counting sink (no targets) takes it.
    if (!output && this.targets.size > 0) throw new Error(`a batch of ${batch.file} reached the sink unserialized`);
    // The serializer's bytes as they are; texts set by other code are encoded here.
    for (const [name, bytes] of Object.entries(output ? outputBytes(output) : {})) {
      const target = this.targets.get(name);
      if (target && bytes !== undefined && bytes.length > 0) await target.write(bytes);
    }
  }

  private lengths(): Record<string, number> {
    return Object.fromEntries([...this.resumable].map(([name, output]) => [name, output.file?.bytes ?? this.options.resume?.outputs[name] ?? 0]));
  }

  private readonly syncOutputs = async (): Promise<void> => {
    if (this.closed) return;
    for (const output of this.resumable.values()) await output.file?.sync();
  };

  describe(batch: Batch): SinkCommit {
    const commit: SinkCommit = { file: batch.file, offset: batch.endOffset, line: batch.endLine, fileEnd: batch.fileEnd, outputs: this.lengths(), sync: this.syncOutputs };
    if (batch.stop) commit.stop = batch.stop;
    return commit;
  }

  async end(): Promise<SinkCommit | void> {
    for (const file of this.owned) await file.finish();
    if (!this.options.commits) return;
    // Resumable: the renames wait for the checkpoint stage, which first records that everything is written.
    await this.syncOutputs();
    this.closed = true;
    for (const output of this.resumable.values()) {
      if (output.file) await output.file.abort(false); // closed, kept under its temp name
    }
    const finish = async () => {
      for (const output of this.resumable.values()) await finishResumable(output.path);
    };
    return { file: '', offset: 0, line: 0, fileEnd: true, outputs: this.lengths(), sync: async () => undefined, finish };
  }

  async abort(): Promise<void> {
    // No partial file may appear under a final name; a resumable one keeps its temp file for the next run.
    const closing = [...this.owned.map((file) => file.abort()), ...[...this.resumable.values()].map((output) => output.file?.abort(false))];
    await Promise.all(closing).catch(() => undefined);
  }
}

export function createSink(options: SinkOptions & { commits: true }): Transform;
export function createSink(options: SinkOptions): Writable;
export function createSink(options: SinkOptions): Writable | Transform {
  if (options.commits) {
    for (const [name, target] of Object.entries(options.outputs)) {
      if (target !== undefined && typeof target !== 'string') {
        throw optionError('outputs', `a resumable sink (commits: true) writes files named by path; output ${name} is not one, got ${JSON.stringify(String(target))}`);
      }
    }
  }
  const writer = new OutputsWriter(options);
  if (options.commits) return createCommitSink({ writer, onCommit: options.onCommit, downstream: true });
  return createCommitSink({ writer, onCommit: options.onCommit });
}
