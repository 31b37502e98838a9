/**
 * checkpoint — the last stage of every resumable chain (the export in both layouts,
 * a rank, a library chain): takes each commit the sink reports, in order, and
 * records, atomically, how far the inputs are consumed and how long every output is.
 * When is decided by one policy (lib/checkpoint-policy.ts checkpointDue): the CLI's
 * sinks apply it (`checkpointPolicy` below: the sink flushes and fsyncs where it says,
 * and the commit comes down with that fsync); the library's JSONL sink hands every
 * commit down with its `sync`, and `createCheckpoint` applies the same policy here.
 *
 * The library's: input is SinkCommits from `createSink({ …, commits: true })`
 * (streams/sink.ts): after each commit the input position (file, byte offset, line)
 * and the bytes of every output. Every `everyBytes` of input or `everyMs` (whichever
 * comes first) it has the sink fsync its outputs, then writes the checkpoint (temp
 * file, fsync, rename: lib/io/checkpoint.ts). At the end it records the run complete,
 * lets the sink rename its outputs to their final names, and removes the checkpoint.
 * A run killed at any moment and started again with `loadResumePoint` continues from
 * the last checkpoint and writes the same bytes as an uninterrupted run: outputs are
 * cut back to the lengths recorded, inputs read on from the offset recorded.
 * (`qa-hf export` also fingerprints its inputs; this stage trusts that the inputs
 * did not change between the runs.)
 * Errors: ERR_CHECKPOINT_MISMATCH when the checkpoint names other inputs or is
 * damaged; I/O failures as the sink's.
 *
 *   const resume = await loadResumePoint('out/run.checkpoint', inputs);
 *   await runChain([
 *     createFileSource(resume?.inputs ?? inputs), ...createProcessingStages(),
 *     createSink({ outputs: { pairs: 'out/pairs.jsonl' }, commits: true, resume }),
 *     createCheckpoint({ path: 'out/run.checkpoint', inputs }),
 *   ]);
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { syncDirectory } from '../lib/io/atomic-file';
import { type ChainCheckpoint, readChainCheckpoint, writeChainCheckpoint } from '../lib/io/checkpoint';
import { QaHfError, got, toQaHfError, optionError } from '../lib/errors';
import type { InputSpec } from './file-source';
import type { SinkCommit, SinkResume } from './sink';
import { type DurablePolicy, failFastError } from './commit-sink';
import { type Caps, CHECKPOINT_BYTES, CHECKPOINT_MS, CheckpointClock, checkpointDue } from '../lib/checkpoint-policy';

/** Default cadence: at least every 8 MiB of input or 2 s, as `qa-hf export`. */
export const DEFAULT_CHECKPOINT_BYTES = CHECKPOINT_BYTES;
export const DEFAULT_CHECKPOINT_MS = CHECKPOINT_MS;

/** A signal's stop as the policy sees it (commands/signals.ts StopSignals). */
export interface StopState {
  readonly requested: unknown;
  readonly requestedAt: number;
}

/**
 * The policy as a sink applies it (streams/commit-sink.ts durableAt): the sink
 * reports its facts, a stop is read from `stop` at that moment.
 */
export function checkpointPolicy(flushNeutral: boolean, caps: Caps, stop?: StopState): DurablePolicy {
  return (facts) => {
    const stopRequested = stop !== undefined && stop.requested !== null;
    return checkpointDue(
      flushNeutral,
      {
        atFixedPosition: facts.atFixedPosition,
        failFastCut: facts.failFastCut,
        stopRequested,
        msSinceStop: stopRequested ? Date.now() - stop!.requestedAt : 0,
        linesToFixedPosition: facts.linesToFixedPosition,
        bytesSinceCheckpoint: facts.bytesSinceDurable,
        msSinceCheckpoint: facts.msSinceDurable,
      },
      caps,
    );
  };
}

export interface CheckpointOptions {
  /** The checkpoint file. */
  path: string;
  /** The inputs, exactly as given to the file source of a fresh run. */
  inputs: readonly string[];
  /** Input bytes between checkpoints; default 8 MiB. */
  everyBytes?: number;
  /** Milliseconds between checkpoints; default 2000. */
  everyMs?: number;
}

/** Where a run resumes: the inputs left (the first from its offset) and the sink's resume. */
export interface ResumePoint extends SinkResume {
  inputs: InputSpec[];
}

/**
 * The resume point recorded at `file`, or null when there is none (a fresh run).
 * A checkpoint of other inputs is refused.
 */
export async function loadResumePoint(file: string, inputs: readonly string[]): Promise<ResumePoint | null> {
  const checkpoint = await readChainCheckpoint(file);
  if (!checkpoint) return null;
  if (JSON.stringify(checkpoint.inputs) !== JSON.stringify(inputs)) {
    throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${file} was recorded for other inputs (${checkpoint.inputs.join(', ')}); remove it to start over`);
  }
  const { input, offset, line } = checkpoint.position;
  const left = checkpoint.complete ? [] : inputs.slice(input).map((name, i): InputSpec => ({ path: name, start: i === 0 && offset > 0 ? { offset, line } : undefined }));
  return { inputs: left, outputs: checkpoint.outputs, complete: checkpoint.complete };
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw optionError(name, `option ${name} must be a positive number, ${got(value)}`);
  return value;
}

/**
 * The checkpoint stage itself: takes each commit a resumable sink pushes, in order, one
 * at a time (`take` records what it must; its rejection fails the chain). A commit that
 * ends the run ends it here, after it is taken: `take` throws (fail-fast, a stop).
 * `qa-hf export` (commands/export/session.ts) and a rank (commands/export/rank.ts) take
 * their commits with it, recording their richer checkpoints; createCheckpoint below is the library's.
 */
export function createCheckpointStage<C>(take: (commit: C) => Promise<void>): Writable {
  return new Writable({
    objectMode: true,
    write(commit: C, _encoding, callback) {
      take(commit).then(
        () => callback(),
        (err) => callback(toQaHfError(err)),
      );
    },
  });
}

export function createCheckpoint(options: CheckpointOptions): Writable {
  const file = options.path;
  if (typeof file !== 'string' || file === '') throw optionError('path', `option path must name the checkpoint file, ${got(file)}`);
  const inputs = [...options.inputs];
  const policy = checkpointPolicy(true, { bytes: positive('everyBytes', options.everyBytes, DEFAULT_CHECKPOINT_BYTES), ms: positive('everyMs', options.everyMs, DEFAULT_CHECKPOINT_MS) });
  const index = new Map(inputs.map((name, i) => [name, i]));
  let state: ChainCheckpoint | null = null;
  let clock: CheckpointClock | null = null;

  const record = async (commit: SinkCommit, checkpoint: ChainCheckpoint): Promise<void> => {
    await commit.sync();
    await writeChainCheckpoint(file, checkpoint);
    clock!.reset();
  };

  const take = async (commit: SinkCommit): Promise<void> => {
    // The first commit of this run: continue the recorded position (or start at the beginning).
    state ??= (await readChainCheckpoint(file)) ?? {
      format: 'qa-hf-chain-checkpoint',
      version: 1,
      inputs,
      position: { input: 0, offset: 0, line: 0 },
      outputs: {},
      complete: false,
    };
    const from = state.position;
    clock ??= new CheckpointClock(from.input < inputs.length ? { file: inputs[from.input], offset: from.offset } : undefined);
    if (commit.finish) {
      await record(commit, { ...state, position: { input: inputs.length, offset: 0, line: 0 }, outputs: commit.outputs, complete: true });
      await commit.finish();
      await fs.rm(file, { force: true });
      await syncDirectory(path.dirname(path.resolve(file)));
      return;
    }
    const at = index.get(commit.file);
    if (at === undefined) throw new Error(`internal: a commit of ${commit.file}, which is not among the checkpoint's inputs`);
    clock.advance(commit.file, commit.offset, commit.fileEnd);
    state.position = commit.fileEnd ? { input: at + 1, offset: 0, line: 0 } : { input: at, offset: commit.offset, line: commit.line };
    state.outputs = commit.outputs;
    // The sinks' policy: the library's sink is flush-neutral (JSONL) with no fixed positions; no signals are watched here.
    const due = policy({ atFixedPosition: false, failFastCut: Boolean(commit.stop), linesToFixedPosition: Number.POSITIVE_INFINITY, bytesSinceDurable: clock.bytesSince, msSinceDurable: clock.msSince() });
    if (due.record) await record(commit, { ...state });
  };

  return createCheckpointStage(async (commit: SinkCommit) => {
    await take(commit);
    // Fail-fast's cut, recorded like any commit, ends the run (the sink writes nothing after it).
    if (commit.stop) throw failFastError({ file: commit.file, stop: commit.stop });
  });
}
