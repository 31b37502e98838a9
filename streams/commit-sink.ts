/**
 * commit-sink — the one end of every chain: writes each routed batch with a
 * SinkWriter and reports every commit once, in input order. What it writes with is
 * the writer's business (streams/sink.ts: JSONL files and streams; streams/dataset-sink.ts:
 * the fixed files and the shards of an export; a rank's entries.jsonl); what a commit
 * is, when it is reported and how fail-fast ends a run is written here, once.
 *
 * Input: routed Batches. Per batch the writer writes its entries; with fixed positions
 * (`fixedEvery`: every N input lines counted over all inputs, from `linesDone`) the
 * batch is cut there, the writer flushes (row groups, gzip members end: these points
 * must not depend on timing or chunking for a resumed run to write the same bytes)
 * and the part is committed with `atFixedPosition`.
 * Commits: each written part is reported once, after it is written and before the
 * next one is. A file's end that adds no line (its last chunk ended on a line break)
 * is the same commit as the part before it, so that part is reported once, with
 * `fileEnd` set, not twice at the same offset; hence a part is reported when the next
 * batch arrives or the stream ends. A report is `onCommit(part, atFixedPosition)` or,
 * with `downstream`, the writer's `describe(part, …)` pushed to the next stage (a
 * checkpoint: streams/checkpoint.ts), after the writer's `end()` its last value.
 * Durable points (`durableAt`, a checkpoint policy): after each committed part the
 * policy is asked; where it says so the writer flushes (if not at a fixed position
 * already) and fsyncs (`sync`, in the background with `syncInBackground`), and the
 * commit goes downstream with that fsync and the writer's state as of it. Where the
 * policy (or fail-fast) stops the run, the commit says so and the sink writes nothing
 * more: the next stage records what is durable and ends the run. Nothing downstream
 * is ever called back: decisions flow one way.
 * Errors: the writer's (I/O: ERR_IO, ERR_NO_SPACE); a batch cut by fail-fast ends the
 * stream with ERR_FAIL_FAST after its lines are written and committed (with
 * `downstream`, the stage that takes the commit ends it: streams/checkpoint.ts).
 *
 *   createCommitSink({ writer, fixedEvery: plan.checkpointLines, linesDone: 0, onCommit })
 */
import { Transform, Writable } from 'node:stream';
import { type Batch, onlyClosesFile } from '../lib/batch';
import { CheckpointClock } from '../lib/checkpoint-policy';
import { QaHfError, optionError, toQaHfError } from '../lib/errors';
import { BATCH_HIGH_WATER_MARK } from './batch-stage';

/** What a sink writes with. */
export interface SinkWriter<C = unknown> {
  /** Opens the outputs, before the first batch. */
  open?(): Promise<void>;
  /** Writes entries [from, to) of a routed batch (the whole batch unless a fixed position cuts it). */
  write(batch: Batch, from: number, to: number): Promise<void>;
  /** At a fixed position: what is written so far reaches the files in a state a resume continues. */
  flush?(): Promise<void>;
  /** At the end, every commit reported: closes the outputs; with `downstream`, the last value pushed. */
  end?(): Promise<C | void>;
  /** Failed or interrupted: the outputs closed (a resumable one kept for the next run). */
  abort?(): Promise<void>;
  /** With a durable policy: fsync of everything written so far. */
  sync?(): Promise<void>;
  /** With `downstream`: what a commit is pushed as (lengths, position, the state of a durable point, …). */
  describe?(part: Batch, atFixedPosition: boolean, durable: Durable | null, stop: boolean): C;
}

/** A durable point: the fsync covering at least everything committed up to it (awaited by whoever records it). */
export interface Durable {
  synced: Promise<void>;
}

/** What a durable policy weighs about the part just committed. */
export interface DurableFacts {
  /** The part ends at a fixed input position (the writer flushed there). */
  atFixedPosition: boolean;
  /** The part ends where fail-fast cut the input. */
  failFastCut: boolean;
  /** Input lines from the end of this part to the next fixed position (Infinity without fixed positions). */
  linesToFixedPosition: number;
  /** Input bytes committed since the last durable point. */
  bytesSinceDurable: number;
  msSinceDurable: number;
}

/** A policy's answer: make this commit durable; end the run after it (without `record`: on the last durable one). */
export type DurablePolicy = (facts: DurableFacts) => { record: boolean; stop: boolean };

export interface CommitSinkOptions {
  writer: SinkWriter;
  /** Input lines between fixed positions (a plan's checkpointLines); absent: none, batches are written whole. */
  fixedEvery?: number;
  /** Input lines of all inputs before this run's first one (from a checkpoint). */
  linesDone?: number;
  /** Called with each committed part, before the next one is written. */
  onCommit?: (part: Batch, atFixedPosition: boolean) => void | Promise<void>;
  /** Push each commit (writer.describe) to the next stage: the sink is then a Transform. */
  downstream?: boolean;
  /** With `downstream`: where commits are made durable (see the header). */
  durableAt?: DurablePolicy;
  /** A durable point's fsync may run while the next batches are written (no file is committed and closed mid-stream). */
  syncInBackground?: boolean;
  /** The input position this run starts at (a resume's), for the bytes since the last durable point. */
  start?: { file: string; offset: number };
}

/** The part of `batch` holding entries [from, to), with the position just after it. */
export function partOf(batch: Batch, from: number, to: number): Batch {
  const entries = batch.entries;
  if (from === 0 && to === entries.length) return batch;
  const whole = to === entries.length;
  return {
    ...batch,
    entries: entries.slice(from, to),
    endOffset: whole ? batch.endOffset : entries[to].offset,
    endLine: whole ? batch.endLine : entries[to - 1].line,
    fileEnd: whole && batch.fileEnd,
    stop: whole ? batch.stop : null,
  };
}

/** The error that ends a run at fail-fast's cut, placed at the bad line. */
export function failFastError(batch: Pick<Batch, 'file' | 'stop'>): QaHfError {
  const { line, offset, code, message } = batch.stop!;
  return new QaHfError('ERR_FAIL_FAST', `${code}: ${message}`, { file: batch.file, line, byteOffset: offset });
}

export function createCommitSink(options: CommitSinkOptions & { downstream: true }): Transform;
export function createCommitSink(options: CommitSinkOptions): Writable;
export function createCommitSink(options: CommitSinkOptions): Writable | Transform {
  const { writer, fixedEvery, onCommit } = options;
  if (fixedEvery !== undefined && (!Number.isSafeInteger(fixedEvery) || fixedEvery < 1)) {
    throw optionError('checkpointLines', `checkpointLines must be a positive integer, got ${JSON.stringify(fixedEvery)}`);
  }
  const downstream = options.downstream === true;
  const durableAt = options.durableAt;
  if (durableAt && !downstream) throw new Error('internal: a durable policy needs a downstream stage to record it');
  let push: (value: unknown) => void = () => undefined;
  let lines = options.linesDone ?? 0;
  /** The last part, written but not yet reported (see the header). */
  let pending: Batch | null = null;
  /** Set once a commit ended the run: later batches are not written. */
  let stopped = false;
  /** The input bytes and time since the last durable point. */
  const clock = new CheckpointClock(options.start);
  const durablePoint = async (part: Batch, atFixedPosition: boolean): Promise<{ durable: Durable | null; stop: boolean }> => {
    clock.advance(part.file, part.endOffset, part.fileEnd);
    if (!durableAt) return { durable: null, stop: part.stop !== null };
    const due = durableAt({
      atFixedPosition,
      failFastCut: part.stop !== null,
      linesToFixedPosition: fixedEvery === undefined ? Number.POSITIVE_INFINITY : fixedEvery - (lines % fixedEvery),
      bytesSinceDurable: clock.bytesSince,
      msSinceDurable: clock.msSince(),
    });
    const stop = due.stop || part.stop !== null;
    if (!due.record) return { durable: null, stop };
    if (!atFixedPosition) await writer.flush?.(); // at a fixed position the writer flushed already
    const synced = writer.sync!();
    // Kept from an unhandled rejection until whoever records it awaits it.
    synced.catch(() => undefined);
    if (!options.syncInBackground) await synced;
    clock.reset();
    return { durable: { synced }, stop };
  };
  const report = async (part: Batch, atFixedPosition: boolean): Promise<void> => {
    if (onCommit) await onCommit(part, atFixedPosition);
    if (!downstream) return;
    const { durable, stop } = await durablePoint(part, atFixedPosition);
    push(writer.describe!(part, atFixedPosition, durable, stop));
    if (stop) stopped = true;
  };
  const reportPending = async (): Promise<void> => {
    const part = pending;
    pending = null;
    if (part) await report(part, false);
  };
  const write = async (batch: Batch): Promise<void> => {
    if (stopped) return;
    if (pending && onlyClosesFile(pending, batch)) {
      pending = { ...pending, fileEnd: true };
      return reportPending();
    }
    await reportPending();
    const entries = batch.entries;
    let from = 0;
    // The fixed positions inside this batch cut it into parts; most batches have none.
    if (fixedEvery !== undefined) {
      for (let i = 0; i < entries.length; i++) {
        if (++lines % fixedEvery !== 0) continue;
        await writer.write(batch, from, i + 1);
        await writer.flush?.();
        await report(partOf(batch, from, i + 1), true);
        from = i + 1;
        if (stopped) return; // a stop the policy took at this fixed position
      }
    }
    // The rest (an entry-less batch too: a writer may have bytes to write for it, a file end to report).
    if (from < entries.length || entries.length === 0) {
      await writer.write(batch, from, entries.length);
      const rest = partOf(batch, from, entries.length);
      if (rest.fileEnd || rest.stop) await report(rest, false);
      else pending = rest;
    }
    // Downstream, the stage that takes the commit ends the run, once it has recorded it.
    if (batch.stop && !downstream) throw failFastError(batch);
  };
  /** Set once the writer ended: a destroy after that (autoDestroy) aborts nothing. */
  let ended = false;
  const final = async (): Promise<void> => {
    await reportPending();
    if (stopped) return;
    const closing = await writer.end?.();
    ended = true;
    if (downstream && closing !== undefined) push(closing);
  };
  /** The write (or end) under way: a destroy waits for it before the writer aborts, so no write races the close. */
  let working: Promise<void> = Promise.resolve();
  const done = (callback: (error?: Error | null) => void) => (promise: Promise<void>) => {
    working = promise.catch(() => undefined);
    promise.then(
      () => callback(),
      (err) => callback(toQaHfError(err)),
    );
  };
  const common = {
    objectMode: true,
    highWaterMark: BATCH_HIGH_WATER_MARK,
    construct: (callback: (error?: Error | null) => void) => done(callback)(writer.open?.() ?? Promise.resolve()),
    destroy: (error: Error | null, callback: (error?: Error | null) => void) => {
      // Failed or interrupted (pump destroys the other stages without an error): no partial file may appear under a final name.
      working.then(() => (ended ? undefined : writer.abort?.())).then(
        () => callback(error),
        () => callback(error),
      );
    },
  };
  if (downstream) {
    const stream = new Transform({
      ...common,
      transform: (batch: Batch, _encoding, callback) => done(callback)(write(batch)),
      flush: (callback) => done(callback)(final()),
    });
    push = (value) => void stream.push(value);
    return stream;
  }
  return new Writable({
    ...common,
    write: (batch: Batch, _encoding, callback) => done(callback)(write(batch)),
    final: (callback) => done(callback)(final()),
  });
}
