/**
 * shard-outputs — the shard writers of an export's Hub layout, one per (format,
 * channel, split[, tier]), used by streams/dataset-sink.ts's DatasetWriters.
 *
 * Text formats (jsonl, csv, the chat formats, custom modules) go through a
 * ShardRoller and an AtomicFile per shard (`.partial.open` while written,
 * `.partial` once full; gzip/zstd: one member/frame per checkpoint interval,
 * lib/io/compressors.ts); Parquet through a ParquetShardWriter, which decides its
 * rollover after each row group. Each keeps its state as plain data (HubOutputState)
 * for the checkpoint, and reopens at a checkpointed length on resume.
 * Errors: I/O failures as thrown by the files; a custom format's row errors.
 *
 *   const output = shardOutput({ out, plan, preset }, hubOutput(plan, 'jsonl', 'pairs', 'train', null));
 *   await output.write(row, where); await output.flush(); state = output.snapshot(); await output.finish();
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AtomicFile, isShortOrMissing } from '../lib/io/atomic-file';
import { type MemberCompressor, openMember } from '../lib/io/compressors';
import type { Row } from '../lib/batch';
import { type ErrorContext, toQaHfError } from '../lib/errors';
import type { FormatName } from '../lib/dataset/formats';
import { makeCsvFormatter } from '../lib/dataset/csv-format';
import { makeLineFormatter } from '../lib/dataset/line-formats';
import { makeCustomFormatter } from '../lib/dataset/custom-format';
import { ktoLine, makePreferenceRenderer } from '../lib/dataset/preference';
import { type HubOutput, type HubOutputState, emptyOutputState, parquetCompression, shardDonePath, shardOpenPath } from '../lib/dataset/outputs';
import type { HubPlan } from '../lib/dataset/plan';
import { ParquetShardWriter } from '../lib/dataset/parquet';
import type { Preset } from '../lib/input/presets';
import { ShardRoller } from '../lib/dataset/shards';

/** Text is handed to a shard file (or its compressor) in pieces of about this size: few syscalls, bounded memory per output. */
const WRITE_BUFFER_BYTES = 256 << 10;
export interface OutputContext {
  out: string;
  plan: HubPlan;
  preset: Preset;
}

/** The shards of one (format, channel, split). */
export abstract class ShardOutput {
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
      if (isShortOrMissing(err)) return false;
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

  /**
   * Writes a row; `where` is its input line (file, line, byte offset), for a custom format's errors;
   * `passed`: the pair's verdict (kto's label; the other formats know it by their channel).
   */
  abstract write(row: Row, where: ErrorContext, passed?: boolean): Promise<void>;
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
  private readonly line: (row: Row, where: ErrorContext, passed: boolean) => string;
  private readonly header: string;
  private readonly roller: ShardRoller;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private member: MemberCompressor | null = null;

  constructor(context: OutputContext, output: HubOutput, state?: HubOutputState) {
    super(context, output, state);
    const options = { columns: this.columns(), systemPrompt: context.plan.systemPrompt };
    if (output.custom) {
      // A custom format module's rows, checked (lib/dataset/custom-format.ts); its errors name the input line.
      const custom = context.plan.custom.find((format) => format.name === output.format);
      if (custom === undefined || !('row' in custom)) throw new Error(`internal: custom format ${output.format} was not loaded`);
      const format = makeCustomFormatter(custom);
      this.line = (row, where) => `${format(row, where)}\n`;
      this.header = '';
    } else if (output.format === 'kto') {
      const renderer = makePreferenceRenderer(options);
      this.line = (row, _where, passed) => `${ktoLine(renderer, row, passed)}\n`;
      this.header = '';
    } else if (output.format === 'dpo') {
      // Its lines are made whole at the end of the input (writeLine), from lib/dataset/preference.ts PreferenceIndex.
      this.line = () => {
        throw new Error('internal: dpo rows are written by writeLine');
      };
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

  async write(row: Row, where: ErrorContext, passed = true): Promise<void> {
    await this.writeLine(this.line(row, where, passed));
  }

  /** Writes one line made elsewhere (with its newline). */
  async writeLine(line: string): Promise<void> {
    const bytes = Buffer.from(line, 'utf8');
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

/** The writer of one (format, channel, split[, tier]) output: Parquet's row groups or text lines. */
export function shardOutput(context: OutputContext, output: HubOutput, state?: HubOutputState): ShardOutput {
  return output.format === 'parquet' ? new ParquetOutput(context, output, state) : new TextOutput(context, output, state);
}

/** The writer of a text output, for lines made whole elsewhere (dpo). */
export function textShardOutput(output: ShardOutput): { writeLine(line: string): Promise<void> } {
  if (!(output instanceof TextOutput)) throw new Error(`internal: ${output.output.key} is not a text output`);
  return output;
}
