/**
 * outputs — what a plan writes: one output per (format, channel or tier, split)
 * with its checkpoint key, folder, extension and codec; the shard file names; and
 * the checkpoint state of the outputs (HubState). Pure; the dataset sink and the
 * export session share it.
 *
 *   hubOutputs(plan)          // [{ format: 'jsonl', channel: 'pairs', split: 'train', key: 'jsonl/pairs/train', … }, …]
 *   shardOpenPath(output, 0)  // 'jsonl/.train-00000.jsonl.partial.open'
 */
import type { CodecChoice } from '../input/compression';
import { FORMATS, configDirectory, isFormatName, isPreferenceFormat } from './formats';
import type { Row } from '../batch';
import { tierNames } from '../quality/plan';
import type { PairChannel } from '../input/presets';
import type { ParquetShardState } from './parquet';
import { type ShardRollerState, shardTempName } from './shards';
import type { SplitTrackerState } from './split';
import type { HubPlan } from './plan';

/** The codec of the text formats' shards, or null when they are plain. */
export function textCompression(plan: HubPlan): CodecChoice | null {
  return plan.compression === 'none' ? null : { codec: plan.compression, level: plan.compressionLevel! };
}

/** The codec inside Parquet files: zstd with --compress zstd, else snappy (also with --compress gzip). */
export function parquetCompression(plan: HubPlan): { codec: 'SNAPPY' } | { codec: 'ZSTD'; level: number } {
  return plan.compression === 'zstd' ? { codec: 'ZSTD', level: plan.compressionLevel! } : { codec: 'SNAPPY' };
}

/** One output: the shards of one (format, channel, split). */
export interface HubOutput {
  /** A built-in format's name, or a custom format's (`custom`). */
  format: string;
  custom: boolean;
  channel: PairChannel;
  /** --tiers: the tier of these pairs (a config of its own); null otherwise. */
  tier: string | null;
  /** --partition-by: the partition of these pairs (a config of its own, lib/dataset/partition.ts); null otherwise. */
  partition: string | null;
  split: string;
  /** `jsonl/pairs/train`, a tier's `jsonl/tier_high/train`: the key of its checkpoint state. */
  key: string;
  /** Folder relative to --out: `jsonl`, `rejected/jsonl`, `tier_high/jsonl`, … */
  directory: string;
  extension: string;
  /** Text formats with --compress gzip|zstd: the codec of its members; null when plain (and for Parquet, compressed inside). */
  compression: CodecChoice | null;
}

/** What the outputs of a custom format are: JSONL (compressible), pairs only, like the chat formats. */
const CUSTOM_OUTPUT = { extension: 'jsonl', compressible: true, rejected: false } as const;

/** Whether a format (built-in or custom) is written for rejected rows. */
export function writesRejected(format: string): boolean {
  return isFormatName(format) ? FORMATS[format].rejected : CUSTOM_OUTPUT.rejected;
}

export function hubOutput(plan: HubPlan, format: string, channel: PairChannel, split: string, tier: string | null = null, partition: string | null = null): HubOutput {
  const spec = isFormatName(format) ? FORMATS[format] : CUSTOM_OUTPUT;
  return {
    format,
    custom: !isFormatName(format),
    channel,
    tier,
    partition,
    split,
    key: outputKey(format, channel, split, tier, partition),
    directory: configDirectory(format, channel, tier, partition),
    extension: spec.extension,
    compression: spec.compressible ? textCompression(plan) : null,
  };
}

/** The checkpoint key of an output: `jsonl/pairs/train`, `jsonl/rejected/train`, a tier's `jsonl/tier_high/train`, a partition's `jsonl/part_persona_nurse/train`. */
export function outputKey(format: string, channel: PairChannel, split: string, tier: string | null = null, partition: string | null = null): string {
  const middle = channel !== 'pairs' ? channel : partition !== null ? `part_${partition}` : tier !== null ? `tier_${tier}` : channel;
  return `${format}/${middle}/${split}`;
}

/** The (format, channel, tier, partition, split) of an output key (outputKey's inverse). */
export function parseOutputKey(key: string): { format: string; channel: PairChannel; tier: string | null; partition: string | null; split: string } {
  const [format, middle, split] = key.split('/') as [string, string, string];
  if (middle.startsWith('tier_')) return { format, channel: 'pairs', tier: middle.slice('tier_'.length), partition: null, split };
  if (middle.startsWith('part_')) return { format, channel: 'pairs', tier: null, partition: middle.slice('part_'.length), split };
  return { format, channel: middle as PairChannel, tier: null, partition: null, split };
}

/** The partitions (--partition-by) the writers made outputs for, by name: what the card and the final names look at. */
export function writtenPartitions(state: Pick<WritersState, 'partitions'> | undefined): string[] {
  return (state?.partitions ?? []).map(([name]) => name).sort();
}

/** A config group of a format: its channel and, for passed pairs, the tier or partition that makes it a config of its own. */
export interface ChannelGroup {
  channel: PairChannel;
  tier: string | null;
  partition: string | null;
}

/**
 * The config groups of a format: its pairs (one per tier with --tiers, one per
 * partition written with --partition-by: `partitions`, sorted), then rejected.
 */
export function channelGroups(plan: HubPlan, format: string, partitions: readonly string[] = []): ChannelGroup[] {
  // kto and dpo: one config of passed and rejected pairs together, whatever the tiers or partitions.
  if (isPreferenceFormat(format)) return [{ channel: 'pairs', tier: null, partition: null }];
  const tiers = tierNames(plan.quality);
  const groups: ChannelGroup[] =
    plan.partitionBy !== undefined
      ? partitions.map((partition) => ({ channel: 'pairs' as const, tier: null, partition }))
      : tiers.length > 0
        ? tiers.map((tier) => ({ channel: 'pairs' as const, tier, partition: null }))
        : [{ channel: 'pairs', tier: null, partition: null }];
  if (writesRejected(format)) groups.push({ channel: 'rejected', tier: null, partition: null });
  return groups;
}

/**
 * Every output the plan may write, formats in canonical order, then channel (tiers
 * in order, partitions by name), then split. With --partition-by: those of `partitions`
 * (writtenPartitions of the writers' state: partitions are known as rows arrive).
 */
export function hubOutputs(plan: HubPlan, partitions: readonly string[] = []): HubOutput[] {
  const outputs: HubOutput[] = [];
  for (const format of planFormats(plan)) {
    for (const { channel, tier, partition } of channelGroups(plan, format, partitions)) {
      if (plan.fixed.includes(channel)) continue; // a fixed file, not shards
      for (const split of plan.spec.names) outputs.push(hubOutput(plan, format, channel, split, tier, partition));
    }
  }
  return outputs;
}

/** Every format of the plan: the built-in ones in canonical order, then the custom ones by name. */
export function planFormats(plan: HubPlan): string[] {
  return [...plan.formats, ...plan.custom.map((format) => format.name)];
}

/** Config folders a plan can write to (for sweeping a fresh start); with --partition-by, those of `partitions`. */
export function hubDirectories(plan: HubPlan, partitions: readonly string[] = []): string[] {
  return [...new Set(hubOutputs(plan, partitions).map((output) => output.directory))];
}

/** A finished shard before the total is known: `jsonl/.train-00000.jsonl.partial`. */
export function shardDonePath(output: HubOutput, index: number): string {
  return `${output.directory}/${shardTempName(output.split, index, output.extension, output.compression?.codec)}`;
}

/** The shard being written: `jsonl/.train-00000.jsonl.partial.open` (pid-free, so a resume reopens it). */
export function shardOpenPath(output: HubOutput, index: number): string {
  return `${shardDonePath(output, index)}.open`;
}

/** Names a fresh start removes from a config folder: shards and temp shards of any split. */
const SHARD_FILE = /^\.?[A-Za-z0-9_]+-\d{5}(?:-of-\d{5})?\.(?:jsonl|parquet|csv)(?:\.gz|\.zst)?(?:\.partial(?:\.open)?)?$/;

export function isShardFile(name: string): boolean {
  return SHARD_FILE.test(name);
}

/** The stratum of a row: its --stratify-by value as text. */
export function stratumOf(row: Row, field: string | undefined): string | undefined {
  if (field === undefined) return undefined;
  const value = row[field];
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

// ---------------------------------------------------------------------------
// Checkpoint state

/** Per output, all a checkpoint needs to continue it byte for byte. */
export interface HubOutputState {
  key: string;
  /** Shards finished and committed under their `.partial` names. */
  done: number;
  /** Records per finished shard. */
  doneRecords: number[];
  /** Bytes on disk per finished shard. */
  doneBytes: number[];
  /** The open shard: its index is `done`, its committed length `bytes`. */
  open: { bytes: number; records: number; parquet?: ParquetShardState } | null;
  /** Text formats: the shard roller. */
  roller?: ShardRollerState;
  /** Card accumulators: exact counts. */
  numExamples: number;
  /** Uncompressed bytes written (text formats), file bytes (parquet). */
  numBytes: number;
}

/** What the dataset sink's writers hold (streams/dataset-sink.ts DatasetWriters): their outputs and the split tracker. */
export interface WritersState {
  outputs: HubOutputState[];
  tracker: SplitTrackerState;
  /** --partition-by: the partitions written so far, in the order they came, each with its first row's value (lib/dataset/partition.ts partitionValueText). */
  partitions?: Array<[string, string]>;
}

/** The outputs' checkpoint state: the writers' and the committed count of a routing decision. */
export interface HubState extends WritersState {
  /** Committed pairs the router moved to rejected by --min-score (lib/dataset/route.ts countBelowMinScore). */
  belowMinScore: number;
}

export function emptyOutputState(key: string): HubOutputState {
  return { key, done: 0, doneRecords: [], doneBytes: [], open: null, numExamples: 0, numBytes: 0 };
}
