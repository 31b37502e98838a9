/**
 * dataset-sink — the last stage of an export, either layout: writes every routed
 * entry where the plan and the router (streams/router.ts) sent it, one pass
 * writing every format. It only writes: channels and splits are decided upstream.
 *
 * Input: routed Batches (createProcessingStages with rows kept, then createRouter). Per entry:
 *   a fixed channel (plan.fixed: errors always; pairs and rejected in the simple
 *            layout) → its fixed file (qa_errors.jsonl, …): the processor's JSONL
 *            bytes as they are when the batch is written whole and nothing moved,
 *            else the same rows written here
 *   blank, not_sampled (--target-samples) → counted only
 *   pairs, rejected → one shard writer per (format, split, channel), created on
 *            its first row, so an empty split gets no shard.
 *   segmented → each of its rows (Entry.segments) as a pair or rejected row above.
 * Text formats go through a ShardRoller and an AtomicFile per shard (`.partial.open`
 * while written, `.partial` once full; gzip/zstd: one member/frame per checkpoint
 * interval, lib/io/compressors.ts);
 * Parquet through a ParquetShardWriter, which decides its rollover after each row
 * group. `DatasetWriters` holds all of them and their checkpoint state.
 *
 * Checkpoints fall at fixed input positions: after every `checkpointLines` input
 * lines, counted over all inputs. There every Parquet writer ends a row group and
 * every compressed output ends its gzip member or zstd frame, so these flush points must not depend on
 * timing or chunking for a resumed run to write the same bytes. A batch is cut
 * there: `onCommit(part, true)` sees its first part once everything is flushed,
 * `onCommit(rest, false)` the remainder once written. Each commit is reported
 * once: a file's end that adds no line is merged into the part before it (as in
 * streams/sink.ts), so a part without a checkpoint is reported when the next
 * batch arrives or the stream ends.
 * Errors: I/O failures (ERR_IO, ERR_NO_SPACE); a batch cut by fail-fast ends the
 * stream with ERR_FAIL_FAST after its lines are written.
 *
 *   const writers = await DatasetWriters.open({ out, plan, preset, fixed: { errors } });
 *   await runChain([source, ...stages, createRouter({ plan }), createDatasetSink({ writers, linesDone: 0, checkpointLines, onCommit })]);
 *   await writers.finish();
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { AtomicFile } from '../lib/io/atomic-file';
import { type MemberCompressor, openMember } from '../lib/io/compressors';
import type { OutputTarget } from '../lib/target';
import { type Batch, type Entry, type Row, onlyClosesFile } from '../lib/batch';
import { type ErrorContext, QaHfError, toQaHfError } from '../lib/errors';
import type { FormatName } from '../lib/formats';
import { makeCsvFormatter } from '../lib/csv-format';
import { makeLineFormatter } from '../lib/line-formats';
import { makeCustomFormatter } from '../lib/custom-format';
import {
  type HubOutput,
  type HubOutputState,
  type HubState,
  emptyOutputState,
  hubOutput,
  outputKey,
  parquetCompression,
  planFormats,
  parseOutputKey,
  shardDonePath,
  shardOpenPath,
  stratumOf,
  writesRejected,
} from '../lib/outputs';
import type { HubPlan, FixedChannel } from '../lib/export-plan';
import { LOW_TIER } from '../lib/quality-plan';
import { makeRowWriter } from '../lib/jsonl';
import { ParquetShardWriter } from '../lib/parquet';
import type { Preset } from '../lib/presets';
import { BELOW_MIN_SCORE } from '../lib/route';
import { ERROR_COLUMNS, outputBytes } from '../lib/serialize';
import { ShardRoller } from '../lib/shards';
import { SplitTracker } from '../lib/split';
import { BATCH_HIGH_WATER_MARK } from './batch-stage';

/** Text is handed to a shard file (or its compressor) in pieces of about this size: few syscalls, bounded memory per output. */
const WRITE_BUFFER_BYTES = 256 << 10;
interface OutputContext {
  out: string;
  plan: HubPlan;
  preset: Preset;
}

/** The shards of one (format, channel, split). */
abstract class ShardOutput {
  readonly state: HubOutputState;
  protected file: AtomicFile | null = null;

  constructor(
    protected readonly context: OutputContext,
    readonly output: HubOutput,
    state?: HubOutputState,
  ) {
    this.state = state ?? emptyOutputState(output.key);
  }

  protected columns() {
    return this.output.channel === 'pairs' ? this.context.preset.pairColumns : this.context.preset.rejectedColumns;
  }

  protected donePath(index: number): string {
    return path.join(this.context.out, shardDonePath(this.output, index));
  }

  protected openPath(index: number): string {
    return path.join(this.context.out, shardOpenPath(this.output, index));
  }

  protected async createShard(): Promise<AtomicFile> {
    await fs.mkdir(path.join(this.context.out, this.output.directory), { recursive: true });
    this.file = await AtomicFile.open(this.donePath(this.state.done), { tempPath: this.openPath(this.state.done) });
    this.state.open = { bytes: 0, records: 0 };
    return this.file;
  }

  /**
   * Reopens the open shard at its checkpointed length. A shard finished after the
   * checkpoint (renamed to `.partial`) is taken back first. False when the file
   * does not fit the checkpoint.
   */
  async reopen(): Promise<boolean> {
    for (let i = 0; i < this.state.done; i++) {
      if (!(await exists(this.donePath(i)))) return false;
    }
    const open = this.state.open;
    if (!open) return true;
    const openPath = this.openPath(this.state.done);
    if (!(await exists(openPath)) && (await exists(this.donePath(this.state.done)))) {
      await fs.rename(this.donePath(this.state.done), openPath);
    }
    try {
      this.file = await AtomicFile.open(this.donePath(this.state.done), { tempPath: openPath, keepBytes: open.bytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || /fewer than/.test((err as Error).message)) return false;
      throw toQaHfError(err);
    }
    return true;
  }

  /** Commits the open shard under its `.partial` name. */
  protected async commitShard(): Promise<void> {
    const file = this.file!;
    await file.commit();
    this.state.doneRecords.push(this.state.open!.records);
    this.state.doneBytes.push(file.bytes);
    this.state.done++;
    this.state.open = null;
    this.file = null;
  }

  /** Writes a row; `where` is its input line (file, line, byte offset), for a custom format's errors. */
  abstract write(row: Row, where: ErrorContext): Promise<void>;
  /** At a checkpoint: everything written so far in the file, in a state that can be resumed. */
  abstract flush(): Promise<void>;
  /** At the end: the open shard finished and committed. */
  abstract finish(): Promise<void>;

  async sync(): Promise<void> {
    if (this.file) await this.file.sync();
  }

  /** The checkpoint state: valid right after flush(). */
  snapshot(): HubOutputState {
    if (this.state.open && this.file) this.state.open.bytes = this.file.bytes;
    return structuredClone(this.state);
  }

  async abort(): Promise<void> {
    if (this.file) await this.file.abort(false);
    this.file = null;
  }
}

/** jsonl, csv and the chat formats: lines, optionally gzip or zstd. */
class TextOutput extends ShardOutput {
  private readonly line: (row: Row, where: ErrorContext) => string;
  private readonly header: string;
  private readonly roller: ShardRoller;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private member: MemberCompressor | null = null;

  constructor(context: OutputContext, output: HubOutput, state?: HubOutputState) {
    super(context, output, state);
    const options = { columns: this.columns(), systemPrompt: context.plan.systemPrompt };
    if (output.custom) {
      // A custom format module's rows, checked (lib/custom-format.ts); its errors name the input line.
      const custom = context.plan.custom.find((format) => format.name === output.format);
      if (custom === undefined || !('row' in custom)) throw new Error(`internal: custom format ${output.format} was not loaded`);
      const format = makeCustomFormatter(custom);
      this.line = (row, where) => `${format(row, where)}\n`;
      this.header = '';
    } else if (output.format === 'csv') {
      const csv = makeCsvFormatter(options);
      this.line = csv.row;
      this.header = csv.header;
    } else {
      const format = makeLineFormatter(output.format as FormatName, options);
      this.line = (row) => `${format(row)}\n`;
      this.header = '';
    }
    const rollerOptions = { maxBytes: context.plan.maxShardBytes, headerBytes: Buffer.byteLength(this.header) };
    this.roller = this.state.roller ? ShardRoller.restore(rollerOptions, this.state.roller) : new ShardRoller(rollerOptions);
  }

  async write(row: Row, where: ErrorContext): Promise<void> {
    const bytes = Buffer.from(this.line(row, where), 'utf8');
    if (this.roller.add(bytes.length)) await this.finish();
    if (!this.file) {
      await this.createShard();
      if (this.header) this.push(Buffer.from(this.header, 'utf8'));
    }
    this.push(bytes);
    this.state.open!.records++;
    this.state.numExamples++;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) await this.drain();
  }

  private push(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    this.state.numBytes += bytes.length;
  }

  /** Hands the buffered text to the file (through the compressor when compressed). */
  private async drain(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const bytes = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.output.compression) return this.file!.write(bytes);
    this.member ??= openMember(this.output.compression, this.file!);
    await this.member.write(bytes);
  }

  async flush(): Promise<void> {
    if (!this.file) return;
    await this.drain();
    if (this.member) await this.member.end();
    this.member = null;
  }

  async finish(): Promise<void> {
    if (!this.file) return;
    await this.flush();
    await this.commitShard();
  }

  override snapshot(): HubOutputState {
    this.state.roller = this.roller.snapshot();
    return super.snapshot();
  }

  override async abort(): Promise<void> {
    this.member?.destroy();
    this.member = null;
    await super.abort();
  }
}

/** Parquet: row groups, rollover decided after each one. */
class ParquetOutput extends ShardOutput {
  private shard: ParquetShardWriter | null = null;

  private shardOptions() {
    const plan = this.context.plan;
    return { columns: this.columns(), rowGroupRows: plan.rowGroupRows, rowGroupBytes: plan.rowGroupBytes, compression: parquetCompression(plan) };
  }

  override async reopen(): Promise<boolean> {
    if (!(await super.reopen())) return false;
    const open = this.state.open;
    if (open && this.file) this.shard = await ParquetShardWriter.resume(this.file, this.shardOptions(), open.parquet!);
    return true;
  }

  async write(row: Row): Promise<void> {
    if (!this.shard) this.shard = await ParquetShardWriter.create(await this.createShard(), this.shardOptions());
    const groups = this.shard.rowGroupCount;
    await this.shard.write([row]);
    this.state.open!.records++;
    this.state.numExamples++;
    if (this.shard.rowGroupCount !== groups) await this.rollIfFull();
  }

  private async rollIfFull(): Promise<void> {
    if (this.shard && this.shard.shouldRollOver(this.context.plan.maxShardBytes)) await this.finish();
  }

  async flush(): Promise<void> {
    if (!this.shard) return;
    await this.shard.flush();
    await this.rollIfFull();
  }

  async finish(): Promise<void> {
    if (!this.shard) return;
    this.state.numBytes += await this.shard.finish();
    this.shard = null;
    await this.commitShard();
  }

  override snapshot(): HubOutputState {
    if (this.shard && this.state.open) this.state.open.parquet = this.shard.checkpoint();
    return super.snapshot();
  }

  override async abort(): Promise<void> {
    this.shard = null;
    await super.abort();
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

export interface DatasetWritersOptions {
  out: string;
  plan: HubPlan;
  preset: Preset;
  /** The fixed-name files of the plan (`plan.fixed`: qa_errors.jsonl; the simple layout's pairs and rejected too), owned by the caller. */
  fixed: Partial<Record<FixedChannel, OutputTarget>>;
  /** A checkpoint's state to continue from; absent for a fresh start. */
  state?: HubState;
}

/** Every writer of an export (fixed files and shards) and the split tracker; plain state for checkpoints. */
export class DatasetWriters {
  private readonly outputs = new Map<string, ShardOutput>();
  private readonly tracker: SplitTracker;
  /** JSONL rows of the fixed files: the serializer's writers, so a row written here has the processor's bytes. */
  private readonly fixedRow: Record<FixedChannel, (row: Row) => string>;
  private belowMinScore: number;
  /** The plan's formats, built-in and custom (lib/hub.ts planFormats). */
  private readonly formats: string[];

  private constructor(private readonly options: DatasetWritersOptions) {
    const { plan, state, preset } = options;
    this.tracker = state ? SplitTracker.restore(plan.spec, state.tracker) : new SplitTracker(plan.spec);
    this.belowMinScore = state?.belowMinScore ?? 0;
    this.formats = planFormats(plan);
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
      const { format, channel, split, tier } = parseOutputKey(key);
      const spec = hubOutput(this.options.plan, format, channel, split, tier);
      const context = { out: this.options.out, plan: this.options.plan, preset: this.options.preset };
      output = format === 'parquet' ? new ParquetOutput(context, spec, state) : new TextOutput(context, spec, state);
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
  async writePart(batch: Batch, from: number, to: number): Promise<void> {
    const plan = this.options.plan;
    const fixed = this.options.fixed;
    const entries = batch.entries;
    const serialized = batch.output !== null ? outputBytes(batch.output) : null;
    const whole = from === 0 && to === entries.length && serialized !== null && plan.fixed.every((channel) => serialized[channel] !== undefined);
    const rows: Partial<Record<FixedChannel, string[]>> = {};
    const writeRow = async (channel: 'pairs' | 'rejected', row: Row, split: number, entry: Entry): Promise<void> => {
      if (channel === 'rejected' && plan.minScore !== undefined && row.failure_reason === BELOW_MIN_SCORE) this.belowMinScore++;
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
   * a passed pair to its tier's configs (routing decided it: lib/quality.ts).
   */
  private async writeShards(channel: 'pairs' | 'rejected', row: Row, split: number, entry: Entry, where: ErrorContext): Promise<void> {
    const plan = this.options.plan;
    if (channel === 'pairs') this.tracker.add(split, stratumOf(row, plan.stratifyBy));
    const splitName = plan.spec.names[split];
    const tier = channel === 'pairs' && plan.quality.tiers ? (entry.quality?.tier ?? LOW_TIER) : null;
    for (const format of this.formats) {
      if (channel === 'rejected' && !writesRejected(format)) continue;
      await this.outputFor(outputKey(format, channel, splitName, tier)).write(row, where);
    }
  }

  /** At a checkpoint: row groups, gzip members and zstd frames end, buffers reach the files. */
  async flush(): Promise<void> {
    for (const output of this.outputs.values()) await output.flush();
  }

  /** fsync of every open shard (finished ones were synced by their commit). */
  async sync(): Promise<void> {
    for (const output of this.outputs.values()) await output.sync();
  }

  /** The state of this moment, right after flush(). */
  snapshot(): HubState {
    return {
      outputs: [...this.outputs.values()].map((output) => output.snapshot()),
      tracker: this.tracker.snapshot(),
      belowMinScore: this.belowMinScore,
    };
  }

  /** At the end of the input: every open shard finished and committed. */
  async finish(): Promise<HubState> {
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
  onCommit: (part: Batch, checkpoint: boolean) => Promise<void>;
}

/** The part of `batch` holding entries [from, to), with the position just after it. */
function partOf(batch: Batch, from: number, to: number): Batch {
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

export function createDatasetSink(options: DatasetSinkOptions): Writable {
  const { writers, checkpointLines, onCommit } = options;
  if (!Number.isSafeInteger(checkpointLines) || checkpointLines < 1) {
    throw new QaHfError('ERR_OPTION', `checkpointLines must be a positive integer, got ${JSON.stringify(checkpointLines)}`);
  }
  let lines = options.linesDone;
  /** The last part, written but not yet reported (see the header). */
  let pending: Batch | null = null;
  const reportPending = async (): Promise<void> => {
    const part = pending;
    pending = null;
    if (part) await onCommit(part, false);
  };
  return new Writable({
    objectMode: true,
    highWaterMark: BATCH_HIGH_WATER_MARK,
    write(batch: Batch, _encoding, callback) {
      (async () => {
        if (pending && onlyClosesFile(pending, batch)) {
          pending = { ...pending, fileEnd: true };
          return reportPending();
        }
        await reportPending();
        const entries = batch.entries;
        let from = 0;
        // The fixed positions inside this batch cut it into parts; most batches have none.
        for (let i = 0; i < entries.length; i++) {
          if (++lines % checkpointLines !== 0) continue;
          await writers.writePart(batch, from, i + 1);
          await writers.flush();
          await onCommit(partOf(batch, from, i + 1), true);
          from = i + 1;
        }
        if (from < entries.length) await writers.writePart(batch, from, entries.length);
        if (from < entries.length || entries.length === 0) {
          const rest = partOf(batch, from, entries.length);
          if (rest.fileEnd || rest.stop) await onCommit(rest, false);
          else pending = rest;
        }
        if (batch.stop) {
          const { line, offset, code, message } = batch.stop;
          throw new QaHfError('ERR_FAIL_FAST', `${code}: ${message}`, { file: batch.file, line, byteOffset: offset });
        }
      })().then(() => callback(), (err) => callback(toQaHfError(err)));
    },
    final(callback) {
      reportPending().then(() => callback(), (err) => callback(toQaHfError(err)));
    },
  });
}

/** The dead-letter row of an error entry (lib/serialize.ts ERROR_COLUMNS). */
function errorRow(file: string, entry: Entry): Row {
  return { file, line: entry.line, offset: entry.offset, code: entry.errorCode, error: entry.errorMessage, raw: entry.text };
}
