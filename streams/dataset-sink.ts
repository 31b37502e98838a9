/**
 * dataset-sink — the last stage of an export, either layout: writes every routed
 * entry where the plan and the router (streams/router.ts) sent it, one pass
 * writing every format. It only writes: channels, splits and tiers are decided upstream.
 * Commits, fixed positions and fail-fast are the one sink's (streams/commit-sink.ts);
 * `DatasetWriters` is what it writes with.
 *
 * Input: routed Batches (createProcessingStages with rows kept, then createRouter). Per entry:
 *   a fixed channel (plan.fixed: errors always; pairs and rejected in the simple
 *            layout) → its fixed file (qa_errors.jsonl, …): the processor's JSONL
 *            bytes as they are when the batch is written whole and nothing moved,
 *            else the same rows written here
 *   blank, not_sampled (--target-samples) → counted only
 *   pairs, rejected → one shard writer per (format, split, channel), created on
 *            its first row, so an empty split gets no shard (streams/shard-outputs.ts);
 *            with --tiers or --partition-by, per tier or partition of the pairs too
 *            (a partition's configs start at its first row, up to --max-partitions).
 *   segmented → each of its rows (Entry.segments) as a pair or rejected row above.
 *
 * Checkpoints fall at fixed input positions: after every `checkpointLines` input
 * lines, counted over all inputs. There every Parquet writer ends a row group and
 * every compressed output ends its gzip member or zstd frame, so these flush points must not depend on
 * timing or chunking for a resumed run to write the same bytes. A batch is cut
 * there: `onCommit(part, true)` sees its first part once everything is flushed,
 * `onCommit(rest, false)` the remainder once written.
 * Errors: I/O failures (ERR_IO, ERR_NO_SPACE); a batch cut by fail-fast ends the
 * stream with ERR_FAIL_FAST after its lines are written.
 *
 *   const writers = await DatasetWriters.open({ out, plan, preset, fixed: { errors } });
 *   await buildChain({ processing, route: { plan } }, { source, sink: createDatasetSink({ writers, linesDone: 0, checkpointLines, onCommit }) }).run();
 *   await writers.finish();
 */
import type { Transform, Writable } from 'node:stream';
import type { OutputTarget } from '../lib/target';
import type { Batch, Entry, Row } from '../lib/batch';
import type { ErrorContext } from '../lib/errors';
import { type HubOutputState, type WritersState, hubOutput, outputKey, parseOutputKey, planFormats, stratumOf, writesRejected } from '../lib/dataset/outputs';
import type { HubPlan, FixedChannel } from '../lib/dataset/plan';
import { makeRowWriter } from '../lib/dataset/jsonl';
import type { Preset } from '../lib/input/presets';
import { ERROR_COLUMNS, outputBytes } from '../lib/dataset/serialize';
import { SplitTracker } from '../lib/dataset/split';
import { type Durable, type DurablePolicy, type SinkWriter, createCommitSink } from './commit-sink';
import { type ShardOutput, shardOutput, textShardOutput } from './shard-outputs';
import { isPreferencePair } from '../lib/dataset/preference';
import { partitionValueText } from '../lib/dataset/partition';
import { QaHfError } from '../lib/errors';

/** A fixed file: any OutputTarget; an AtomicFile also says its length and syncs. */
export type FixedTarget = OutputTarget & { readonly bytes?: number; sync?(): Promise<void> };

/**
 * What the dataset sink hands the export's checkpoint stage after each committed part
 * (commands/export/checkpoint.ts): the part, each fixed file's length up to it and, at a
 * durable point, the shard writers' state as of it and the fsync covering it.
 */
export interface DatasetCommit {
  part: Batch;
  atFixedPosition: boolean;
  /** Bytes of each fixed file that tells its length, up to and including this part. */
  fixedBytes: Partial<Record<FixedChannel, number>>;
  /** Made durable here: the writers' state (shards, split tracker) and the fsync of every output. */
  durable: { hub: WritersState; synced: Promise<void> } | null;
  /** The run ends after this part: fail-fast's cut, or a stop the policy took (without `durable`: on the last durable one). */
  stop: boolean;
}

export interface DatasetWritersOptions {
  out: string;
  plan: HubPlan;
  preset: Preset;
  /**
   * The fixed-name files of the plan (`plan.fixed`: qa_errors.jsonl; the simple layout's
   * pairs and rejected too), owned by the caller; their lengths go into each commit and
   * they are fsynced at durable points when they tell their length and can be synced (AtomicFile).
   */
  fixed: Partial<Record<FixedChannel, FixedTarget>>;
  /** A checkpoint's state to continue from; absent for a fresh start. */
  state?: WritersState;
}

/** Every writer of an export (fixed files and shards) and the split tracker; plain state for checkpoints. */
export class DatasetWriters implements SinkWriter<DatasetCommit> {
  private readonly outputs = new Map<string, ShardOutput>();
  private readonly tracker: SplitTracker;
  /** JSONL rows of the fixed files: the serializer's writers, so a row written here has the processor's bytes. */
  private readonly fixedRow: Record<FixedChannel, (row: Row) => string>;
  /** The plan's formats, built-in and custom (lib/dataset/outputs.ts planFormats). */
  private readonly formats: string[];
  /** --partition-by: each partition written so far, by name, with the value of its first row (the card shows it). */
  private readonly partitions: Map<string, string>;

  private constructor(private readonly options: DatasetWritersOptions) {
    const { plan, state, preset } = options;
    this.tracker = state ? SplitTracker.restore(plan.spec, state.tracker) : new SplitTracker(plan.spec);
    this.formats = planFormats(plan);
    this.partitions = new Map(state?.partitions ?? []);
    this.fixedRow = { pairs: makeRowWriter(preset.pairColumns), rejected: makeRowWriter(preset.rejectedColumns), errors: makeRowWriter(ERROR_COLUMNS) };
  }

  /** Opens the writers: fresh, or every open shard at its checkpointed length. Null when the files do not fit the state. */
  static async open(options: DatasetWritersOptions): Promise<DatasetWriters | null> {
    const writers = new DatasetWriters(options);
    for (const state of options.state?.outputs ?? []) {
      const output = writers.outputFor(state.key, state);
      if (!(await output.reopen())) {
        await writers.abort();
        return null;
      }
    }
    return writers;
  }

  private outputFor(key: string, state?: HubOutputState): ShardOutput {
    let output = this.outputs.get(key);
    if (!output) {
      const { format, channel, split, tier, partition } = parseOutputKey(key);
      const spec = hubOutput(this.options.plan, format, channel, split, tier, partition);
      output = shardOutput({ out: this.options.out, plan: this.options.plan, preset: this.options.preset }, spec, state);
      this.outputs.set(key, output);
    }
    return output;
  }

  /**
   * Writes entries [from, to) of a routed batch where the router sent them. The
   * fixed files get the processor's bytes as they are when the part is the whole
   * batch, nothing was moved (`output` kept) and the processor serialized every
   * fixed channel (its `serialize` option); otherwise their rows are written here
   * with the same writers, one write per file per part.
   */
  async write(batch: Batch, from: number, to: number): Promise<void> {
    const plan = this.options.plan;
    const fixed = this.options.fixed;
    const entries = batch.entries;
    const serialized = batch.output !== null ? outputBytes(batch.output) : null;
    const whole = from === 0 && to === entries.length && serialized !== null && plan.fixed.every((channel) => serialized[channel] !== undefined);
    const rows: Partial<Record<FixedChannel, string[]>> = {};
    const writeRow = async (channel: 'pairs' | 'rejected', row: Row, split: number, entry: Entry): Promise<void> => {
      if (fixed[channel]) {
        if (!whole) (rows[channel] ??= []).push(`${this.fixedRow[channel](row)}\n`);
      } else {
        await this.writeShards(channel, row, split, entry, { file: batch.file, line: entry.line, byteOffset: entry.offset });
      }
    };
    for (let i = from; i < to; i++) {
      const entry = entries[i];
      const channel = entry.channel;
      if (channel === 'blank' || channel === 'not_sampled' || channel === null) continue;
      if (channel === 'segmented') {
        // A segmented line's rows, in order: all of them are in this part (parts are cut between lines).
        for (const segment of entry.segments!) await writeRow(segment.channel, segment.row, segment.split, entry);
        continue;
      }
      if (channel === 'errors') {
        if (fixed.errors && !whole) (rows.errors ??= []).push(`${this.fixedRow.errors(errorRow(batch.file, entry))}\n`);
        continue; // a plan always has the dead letter among its fixed files
      }
      await writeRow(channel, entry.row!, entry.split, entry);
    }
    const bytes = whole ? serialized : null;
    for (const channel of plan.fixed) {
      const target = fixed[channel];
      if (!target) continue;
      const data = bytes ? bytes[channel] : rows[channel] ? Buffer.from(rows[channel]!.join(''), 'utf8') : null;
      if (data && data.length > 0) await target.write(data);
    }
  }

  /**
   * A pair or rejected row to the shards of its split, one per format; with --tiers
   * a passed pair to its tier's configs (`entry.tier`: routing decided it, lib/dataset/route.ts).
   */
  private async writeShards(channel: 'pairs' | 'rejected', row: Row, split: number, entry: Entry, where: ErrorContext): Promise<void> {
    const plan = this.options.plan;
    if (channel === 'pairs') this.tracker.add(split, stratumOf(row, plan.stratifyBy));
    const splitName = plan.spec.names[split];
    const tier = channel === 'pairs' ? entry.tier : null;
    const partition = channel === 'pairs' ? entry.partition : null;
    if (partition !== null && !this.partitions.has(partition)) this.addPartition(partition, row, where);
    for (const format of this.formats) {
      if (format === 'dpo') continue; // written whole at the end (writePreferencePairs)
      if (format === 'kto') {
        // Passed and rejected pairs in one config, labelled (lib/dataset/preference.ts).
        const passed = channel === 'pairs';
        if (isPreferencePair(row, passed)) await this.outputFor(outputKey(format, 'pairs', splitName)).write(row, where, passed);
        continue;
      }
      if (channel === 'rejected' && !writesRejected(format)) continue;
      // kto and dpo stay one config each: a question's answers sit together whatever their partition.
      await this.outputFor(outputKey(format, channel, splitName, tier, partition)).write(row, where);
    }
  }

  /**
   * A partition's first row: its configs are made from here on, up to --max-partitions
   * (a column with more values ends the run here, naming the row that is one too many).
   */
  private addPartition(partition: string, row: Row, where: ErrorContext): void {
    const { partitionBy, maxPartitions } = this.options.plan;
    if (this.partitions.size >= maxPartitions!) {
      throw new QaHfError(
        'ERR_OPTION',
        `--partition-by ${partitionBy}: the column has more than --max-partitions ${maxPartitions} values (at least ${this.partitions.size + 1}: ` +
          `this row's ${JSON.stringify(partitionValueText(row[partitionBy!]))} is one more); pass a larger --max-partitions, or partition by a column with fewer values`,
        { ...where, option: 'partition-by' },
      );
    }
    this.partitions.set(partition, partitionValueText(row[partitionBy!]));
  }

  /** At the end of the input, before finish(): the dpo rows (lib/dataset/preference.ts PreferenceIndex.pairs), each to its split. */
  async writePreferencePairs(pairs: Iterable<{ split: number; line: string }>): Promise<void> {
    const names = this.options.plan.spec.names;
    for (const { split, line } of pairs) await textShardOutput(this.outputFor(outputKey('dpo', 'pairs', names[split]))).writeLine(`${line}\n`);
  }

  /** At a checkpoint: row groups, gzip members and zstd frames end, buffers reach the files. */
  async flush(): Promise<void> {
    for (const output of this.outputs.values()) await output.flush();
  }

  /** fsync of the fixed files and every open shard (finished ones were synced by their commit). */
  async sync(): Promise<void> {
    for (const channel of this.options.plan.fixed) await this.options.fixed[channel]?.sync?.();
    for (const output of this.outputs.values()) await output.sync();
  }

  /** The commit of `part`, just written (see DatasetCommit); the state is taken now, right after a durable point's flush. */
  describe(part: Batch, atFixedPosition: boolean, durable: Durable | null, stop: boolean): DatasetCommit {
    const fixedBytes: DatasetCommit['fixedBytes'] = {};
    for (const channel of this.options.plan.fixed) {
      const bytes = this.options.fixed[channel]?.bytes;
      if (bytes !== undefined) fixedBytes[channel] = bytes;
    }
    return { part, atFixedPosition, fixedBytes, durable: durable && { hub: this.snapshot(), synced: durable.synced }, stop };
  }

  /** The state of this moment, right after flush(). */
  snapshot(): WritersState {
    return {
      outputs: [...this.outputs.values()].map((output) => output.snapshot()),
      tracker: this.tracker.snapshot(),
      // Only with --partition-by: the state of other exports stays as it was.
      ...(this.options.plan.partitionBy !== undefined ? { partitions: [...this.partitions] } : {}),
    };
  }

  /** At the end of the input: every open shard finished and committed. */
  async finish(): Promise<WritersState> {
    for (const output of this.outputs.values()) await output.finish();
    return this.snapshot();
  }

  async abort(): Promise<void> {
    await Promise.all([...this.outputs.values()].map((output) => output.abort()));
  }
}

export interface DatasetSinkOptions {
  writers: DatasetWriters;
  /** Input lines of all inputs before this run's first one (from the checkpoint's tally). */
  linesDone: number;
  /** Lines between checkpoints (HubPlan.checkpointLines). */
  checkpointLines: number;
  /** Called with each written part of a batch; `checkpoint` when the part ends at a checkpoint position. */
  onCommit?: (part: Batch, checkpoint: boolean) => Promise<void>;
}

/** The dataset sink whose commits go downstream (DatasetCommit), to the export's checkpoint stage. */
export interface DurableDatasetSinkOptions extends Omit<DatasetSinkOptions, 'onCommit'> {
  /** Where commits are made durable (streams/checkpoint.ts checkpointPolicy). */
  durableAt: DurablePolicy;
  /** May a durable point's fsyncs run while the next batches are written? Only when no shard is committed mid-stream. */
  syncInBackground: boolean;
  /** The input (its name) and offset this run starts at. */
  start: { file: string; offset: number };
}

export function createDatasetSink(options: DurableDatasetSinkOptions): Transform;
export function createDatasetSink(options: DatasetSinkOptions): Writable;
export function createDatasetSink(options: DatasetSinkOptions | DurableDatasetSinkOptions): Writable | Transform {
  const common = { writer: options.writers, fixedEvery: options.checkpointLines, linesDone: options.linesDone };
  if ('durableAt' in options) return createCommitSink({ ...common, downstream: true, durableAt: options.durableAt, syncInBackground: options.syncInBackground, start: options.start });
  return createCommitSink({ ...common, onCommit: options.onCommit });
}

/** The dead-letter row of an error entry (lib/dataset/serialize.ts ERROR_COLUMNS). */
function errorRow(file: string, entry: Entry): Row {
  return { file, line: entry.line, offset: entry.offset, code: entry.errorCode, error: entry.errorMessage, raw: entry.text };
}
