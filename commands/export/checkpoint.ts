/**
 * export/checkpoint — when an export records a checkpoint, what it records, and
 * the resume check of a run that finds one.
 *
 * When (lib/checkpoint-policy.ts checkpointDue, one policy for both layouts): at every fixed input
 * position, every `plan.checkpointLines` input lines counted over all inputs (the
 * dataset sink cuts a batch there and flushes every writer); in a flush-neutral
 * plan (no gzip, no Parquet: lib/dataset/plan.ts flushNeutral, e.g. the simple layout) also
 * after any committed part once CHECKPOINT_BYTES of input or CHECKPOINT_MS have
 * passed, and where a stop (a signal, fail-fast's cut) falls. Where such a plan
 * checkpoints cannot show in its bytes; in any other plan a flush point ends a
 * gzip member or a Parquet row group, so only the fixed positions may be one.
 * There a stop (a signal) runs on to the next fixed position only when it is near
 * (STOP_WAIT_LINES, STOP_WAIT_MS); otherwise the run stops at once without a new
 * checkpoint: the last one stands and a resume cuts the outputs back to it, as after
 * a kill, so the stop costs at most the lines since that checkpoint.
 *
 * What: the input position, each fixed file's committed length and records, the
 * shard writers' state, the tally, stats and quality report's state, the quality counts and the
 * committed length of the dedup log (a side file, `.qa-hf-dedup.partial`, synced with the
 * outputs: see export/session.ts), the input fingerprints up to the
 * position; written atomically (lib/io/checkpoint.ts) once the outputs are fsynced.
 */
import { promises as fs } from 'node:fs';
import {
  type Checkpoint,
  type CheckpointInput,
  CHECKPOINT_VERSION,
  checkpointPath,
  mismatchError,
  readCheckpoint,
  resumeProblem,
  writeCheckpoint,
} from '../../lib/io/checkpoint';
import type { ExportPlan } from '../../lib/dataset/plan';
import type { HubState } from '../../lib/dataset/outputs';
import type { InputHasher } from '../../lib/io/fingerprint';
import { type InputInfo, absoluteInput, startedStream } from '../../lib/io/inputs';
import { StatsAccumulator, emptyStatsState } from '../../lib/quality/stats';
import { type ReportAccumulator, emptyReportState } from '../../lib/quality/report';
import { emptyQualityState } from '../../lib/quality/counts';
import { Tally } from '../../lib/tally';
import { inputName } from '../../streams/file-source';
import { TOOL_VERSION } from '../version';
import { type OutDirClaim, type WritingArgs, note } from './files';

const EMPTY_STATS = emptyStatsState();

/** A fresh run's state: nothing read, nothing written. */
export function freshCheckpoint(inputs: readonly string[], plan: ExportPlan, optionsHash: string, claim: OutDirClaim, cwd?: string): Checkpoint {
  return {
    format: 'qa-hf-checkpoint',
    version: CHECKPOINT_VERSION,
    tool_version: TOOL_VERSION,
    options_hash: optionsHash,
    inputs: inputs.map((file): CheckpointInput => ({ path: absoluteInput(file, cwd), fingerprint: null, sha256: null })),
    position: { input: 0, offset: 0, line: 0 },
    outputs: Object.fromEntries(plan.fixed.map((name) => [name, { bytes: 0, records: 0 }])),
    tally: new Tally().toJSON(),
    stats: new StatsAccumulator().state,
    report: emptyReportState(),
    quality: emptyQualityState(plan.quality),
    finalizing: false,
    elapsed_ms: 0,
    runs: 0,
    owns: claim.owns,
    replaces: claim.replaces,
  };
}

/**
 * The checkpoint to resume from, or null to start fresh (none, --restart, or a
 * damaged one, which is noted). A checkpoint of other inputs, options or tool
 * version is refused (ERR_CHECKPOINT_MISMATCH). `hashers` end primed to each
 * input's checkpointed offset.
 */
export async function loadResumeState(
  args: WritingArgs,
  inputs: readonly string[],
  infos: readonly InputInfo[],
  optionsHash: string,
  hashers: InputHasher[],
): Promise<Checkpoint | null> {
  const out = args.out;
  if (args.restart) {
    await fs.rm(checkpointPath(out), { force: true });
    return null;
  }
  const found = await readCheckpoint(out);
  if (found.kind === 'damaged') note(args, `the checkpoint in ${out} is unusable (${found.reason}); starting over`);
  if (found.kind !== 'ok') return null;
  const stream = startedStream(found.checkpoint.position, [...infos]);
  if (stream !== null) {
    throw mismatchError(out, `input ${inputName(inputs[stream])} was read as a stream (stdin or a pipe), which cannot be read again from where it stopped`);
  }
  const problem = await resumeProblem(found.checkpoint, {
    toolVersion: TOOL_VERSION,
    optionsHash,
    inputs: inputs.map((file) => absoluteInput(file, args.inputCwd)),
    hashers,
    wholeInputs: infos.map((info) => info.compressed),
  });
  if (problem) throw mismatchError(out, problem);
  return found.checkpoint;
}

/** What a checkpoint copies from the session at the moment it is taken, and what makes the outputs durable up to it. */
export interface CheckpointSources {
  tally: Tally;
  stats: StatsAccumulator;
  report: ReportAccumulator;
  /** The writers' state as of this checkpoint (streams/dataset-sink.ts DatasetCommit), when it changed. */
  hub?: HubState;
  /** Starts the fsyncs that cover at least what the copy counts (the sink's, the dedup log's); awaited before the write. */
  synced: () => Promise<unknown>;
}

/** Records checkpoints of one run: at most one in flight, its failure rethrown by the next call. */
export class Checkpointer {
  private lastCheckpointAt = Date.now();
  private pending: Promise<void> | null = null;
  private failure: unknown = null;
  /** Length of each input read to its end in this run (its fingerprint covers all of it). */
  readonly inputEnds = new Map<number, number>();

  constructor(
    private readonly out: string,
    private readonly state: Checkpoint,
    private readonly inputInfo: readonly InputInfo[],
    /** Per input, the running sha256 of its bytes consumed so far (advanced by each checkpoint). */
    private readonly hashers: InputHasher[],
    /**
     * May a checkpoint's fsyncs and write run while batches keep flowing? Only when
     * no file is committed mid-stream (no shard limit: the simple layout); otherwise
     * a shard synced by the checkpoint could be committed and closed under it.
     */
    readonly background: boolean,
  ) {}

  msSinceCheckpoint(): number {
    return Date.now() - this.lastCheckpointAt;
  }

  /** The run time of this moment (for stats.json): earlier runs' and this one's up to now. */
  elapsedMs(): number {
    return this.state.elapsed_ms + this.msSinceCheckpoint();
  }

  /**
   * Records the state of this moment once the outputs are durable. The state is
   * copied now; the fsyncs and the write run in the background when allowed
   * (fsync covers at least the bytes the copy counts), unless `wait`.
   */
  async record(sources: CheckpointSources, wait = false): Promise<void> {
    await this.settle();
    const state = this.state;
    if (sources.hub && !state.finalizing) state.hub = sources.hub;
    // The stats (the bulk: a count per source document) come as a fresh copy; the rest is cloned.
    const snapshot: Checkpoint = {
      ...structuredClone({ ...state, tally: sources.tally.toJSON(), stats: EMPTY_STATS, report: undefined }),
      stats: sources.stats.state,
      report: sources.report.state,
    };
    state.elapsed_ms += Date.now() - this.lastCheckpointAt;
    snapshot.elapsed_ms = state.elapsed_ms;
    this.lastCheckpointAt = Date.now();
    this.pending = this.write(snapshot, sources.synced).catch((err) => {
      this.failure = err;
    });
    if (wait || !this.background) await this.settle();
  }

  /** Waits for the checkpoint in flight; rethrows its failure. */
  async settle(): Promise<void> {
    if (this.pending) await this.pending;
    this.pending = null;
    if (this.failure) throw this.failure;
  }

  private async write(snapshot: Checkpoint, synced: () => Promise<unknown>): Promise<void> {
    await synced();
    await this.fingerprintInputs(snapshot);
    await writeCheckpoint(this.out, snapshot);
  }

  /**
   * Hashes every input on from where the last checkpoint left it to where this one
   * stands: an input finished in this run to its end (once), the current one to the offset.
   */
  private async fingerprintInputs(snapshot: Checkpoint): Promise<void> {
    const { position } = snapshot;
    for (let i = 0; i <= Math.min(position.input, this.inputInfo.length - 1); i++) {
      const info = this.inputInfo[i];
      if (info.stream) continue; // nothing to read again: a resume past a stream is refused (startedStream)
      // A compressed input's offsets count decompressed bytes: its fingerprint is the whole raw file.
      const end = info.compressed ? info.size : i < position.input ? this.inputEnds.get(i) : position.offset;
      if (end === undefined) continue; // finished in an earlier run: its whole fingerprint is in the state
      const print = await this.hashers[i].advanceTo(end);
      snapshot.inputs[i].fingerprint = print;
      if (i < position.input) {
        this.state.inputs[i].fingerprint = print;
        this.inputEnds.delete(i);
      }
    }
  }
}
