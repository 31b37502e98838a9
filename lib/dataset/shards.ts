/**
 * shards — file names of data shards and when a shard is full.
 *
 * Final names follow HF `push_to_hub`: `{split}-{NNNNN}-of-{NNNNN}.{ext}[.gz|.zst]`, index
 * and total zero-padded to 5 digits. The total is known only when the split ends,
 * so while a split is written its shards live under deterministic hidden temp
 * names (`.{split}-{NNNNN}.{ext}[.gz|.zst].partial`: no pid, so a resumed run finds
 * them; a leading dot, so HF's data_files globs skip them), and `finalizeShards`
 * lists the renames once the count is known.
 *
 * Rollover: a shard is full when the next record would take it past
 * `--max-shard-size` (default 500 MB, HF's `push_to_hub` default). Text formats
 * count uncompressed bytes, so the decision does not depend on the codec's output
 * and is the same on every run and resume (a .gz/.zst shard is smaller than the limit);
 * a shard always takes at least one record, so a record larger than the limit
 * gets a shard of its own. Parquet decides after each row group (lib/parquet).
 *
 *   const roller = new ShardRoller({ maxBytes: parseByteSize('500MB') });
 *   if (roller.add(Buffer.byteLength(line) + 1)) { … close shard roller.shardIndex - 1, open the next … }
 *   shardFileName('train', 0, 3, 'jsonl', 'zstd') // 'train-00000-of-00003.jsonl.zst'
 */
import { CODEC_EXTENSIONS, type Codec } from '../input/compression';
import { got, optionError } from '../errors';

/** HF `push_to_hub(max_shard_size="500MB")` default (datasets.config.MAX_SHARD_SIZE). */
export const DEFAULT_MAX_SHARD_BYTES = 500_000_000;

/** HF pads shard numbers to 5 digits (`{index:05d}-of-{num_shards:05d}`). */
const SHARD_DIGITS = 5;

/** Units as HF's `convert_file_size_to_int`: KB/MB/GB decimal, KiB/MiB/GiB binary. */
const BYTE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 2 ** 10,
  MIB: 2 ** 20,
  GIB: 2 ** 30,
  TIB: 2 ** 40,
};

/** `--max-shard-size`: a byte count (`500000000`) or a size with a unit (`500MB`, `1.5GiB`); `option` names it in the message, `key` is the option refused (QaHfError.option). */
export function parseByteSize(value: unknown, option = '--max-shard-size', key = 'max-shard-size'): number {
  let bytes = NaN;
  if (typeof value === 'number') bytes = value;
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = match ? BYTE_UNITS[(match[2] || 'B').toUpperCase()] : undefined;
    if (match && unit !== undefined) bytes = Math.floor(Number(match[1]) * unit);
  }
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw optionError(key, `${option} must be a positive size such as 500MB, 1GiB or 1000000, ${got(value)}`);
  }
  return bytes;
}

function pad(index: number): string {
  return String(index).padStart(SHARD_DIGITS, '0');
}

function checkName(split: string, index: number): void {
  if (!/^[A-Za-z0-9_]+$/.test(split)) throw optionError('split', `split name must be letters, digits or underscores, ${got(split)}`);
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`shard index must be a non-negative integer, got ${index}`);
}

function suffix(extension: string, codec: Codec | null | undefined): string {
  return codec ? `${extension}${CODEC_EXTENSIONS[codec]}` : extension;
}

/** Final name: `train-00000-of-00003.jsonl` (`.jsonl.gz` with gzip, `.jsonl.zst` with zstd). */
export function shardFileName(split: string, index: number, total: number, extension: string, codec?: Codec | null): string {
  checkName(split, index);
  if (!Number.isSafeInteger(total) || index >= total) throw new RangeError(`shard ${index} of ${total} does not exist`);
  return `${split}-${pad(index)}-of-${pad(total)}.${suffix(extension, codec)}`;
}

/** Name while the total is unknown: hidden, pid-free, so a resume reopens it and HF globs ignore it. */
export function shardTempName(split: string, index: number, extension: string, codec?: Codec | null): string {
  checkName(split, index);
  return `.${split}-${pad(index)}.${suffix(extension, codec)}.partial`;
}

export interface ShardRename {
  from: string;
  to: string;
}

/**
 * The renames that give `count` finished shards of a split their final names, in
 * index order. Idempotent to carry out after a crash: a pair whose `from` is gone
 * and whose `to` exists is done.
 */
export function finalizeShards(split: string, count: number, extension: string, codec?: Codec | null): ShardRename[] {
  const renames: ShardRename[] = [];
  for (let i = 0; i < count; i++) {
    renames.push({ from: shardTempName(split, i, extension, codec), to: shardFileName(split, i, count, extension, codec) });
  }
  return renames;
}

/** HF `data_files` pattern of one split in a config folder: `jsonl/train-*`. */
export function dataFilesPattern(directory: string, split: string): string {
  return `${directory}/${split}-*`;
}

/** A record too big for the current shard starts the next one; an empty shard takes any record. */
export function startsNewShard(shardBytes: number, recordBytes: number, maxBytes: number, headerBytes = 0): boolean {
  return shardBytes > headerBytes && shardBytes + recordBytes > maxBytes;
}

export interface ShardRollerOptions {
  maxBytes: number;
  /** Bytes every shard starts with (a CSV header), counted in its size. */
  headerBytes?: number;
}

/** Plain, JSON-able state for a checkpoint. */
export interface ShardRollerState {
  shardIndex: number;
  shardBytes: number;
  shardRecords: number;
}

/**
 * Tracks one (format, split, channel) output's current shard. `add(bytes)` is
 * called before writing each record and says whether that record opens a new shard.
 */
export class ShardRoller {
  readonly maxBytes: number;
  readonly headerBytes: number;
  /** Index of the shard the last record went to (0 before any record). */
  shardIndex = 0;
  /** Uncompressed bytes in the current shard, header included (0 before any record). */
  shardBytes = 0;
  shardRecords = 0;

  constructor(options: ShardRollerOptions) {
    this.maxBytes = parseByteSize(options.maxBytes);
    this.headerBytes = options.headerBytes ?? 0;
  }

  /** Accounts a record of `bytes`; true when it must go to a new shard (index `shardIndex`). */
  add(bytes: number): boolean {
    if (this.shardRecords === 0) {
      // First record of the whole output: shard 0 opens with it.
      this.shardBytes = this.headerBytes + bytes;
      this.shardRecords = 1;
      return false;
    }
    if (startsNewShard(this.shardBytes, bytes, this.maxBytes, this.headerBytes)) {
      this.shardIndex++;
      this.shardBytes = this.headerBytes + bytes;
      this.shardRecords = 1;
      return true;
    }
    this.shardBytes += bytes;
    this.shardRecords++;
    return false;
  }

  /** Shards with at least one record so far. */
  get shardCount(): number {
    return this.shardRecords === 0 ? 0 : this.shardIndex + 1;
  }

  snapshot(): ShardRollerState {
    return { shardIndex: this.shardIndex, shardBytes: this.shardBytes, shardRecords: this.shardRecords };
  }

  static restore(options: ShardRollerOptions, state: ShardRollerState): ShardRoller {
    const roller = new ShardRoller(options);
    roller.shardIndex = state.shardIndex;
    roller.shardBytes = state.shardBytes;
    roller.shardRecords = state.shardRecords;
    return roller;
  }
}
