/**
 * parquet — a Parquet shard written row group by row group, resumable byte for byte.
 *
 * Input: flat rows (the preset's columns; string → BYTE_ARRAY/UTF8, float → DOUBLE,
 * int → INT64, bool → BOOLEAN, all OPTIONAL as pyarrow writes them; list<string> →
 * the 3-level LIST of OPTIONAL UTF8 `element`s pyarrow writes). Output: bytes
 * handed to a sink (`OutputTarget`, e.g. an AtomicFile) in order: `PAR1` at create,
 * one row group per flush, page indexes + footer + `PAR1` at finish. Memory: the
 * pending rows of one row group (≤ rowGroupRows rows and ≤ rowGroupBytes of text)
 * plus one encoded row group; nothing else of the data is kept.
 *
 * Each row group is encoded by hyparquet-writer through its public API (a ParquetWriter
 * on a ByteWriter: a one-row-group file), then moved into the shard by
 * lib/parquet-layout.ts, which also writes the indexes and the footer at the end. The
 * footer carries the `huggingface` features (lib/parquet-features.ts).
 *
 * Row groups end where the caller says (`flush()`) or when a limit is reached;
 * both must be functions of the row sequence for a resumed export to match an
 * uninterrupted one. Resume: at a point with no pending rows, `checkpoint()`
 * returns a JSON-able state (file length and the footer entries and page indexes of
 * the row groups written so far); reopen the sink at exactly `state.bytes` and call
 * `resume()`. The rest of the file is then the same bytes an uninterrupted run writes
 * (tested). After a failed write or flush the writer is in no known state: drop it and
 * resume from the last checkpoint.
 *
 *   const file = await AtomicFile.open(path, { tempPath });
 *   const shard = await ParquetShardWriter.create(file, { columns: QA_INTERNAL.pairColumns });
 *   await shard.write(rows);          // flushes a row group every rowGroupRows rows
 *   await shard.flush();              // at a checkpoint: pending rows → a row group
 *   const state = shard.checkpoint(); // store with the checkpoint
 *   await shard.finish(); await file.commit();
 *   // after a crash:
 *   const again = await AtomicFile.open(path, { tempPath, keepBytes: state.bytes });
 *   const resumed = ParquetShardWriter.resume(again, { columns: QA_INTERNAL.pairColumns }, state);
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { OutputTarget } from './target';
import type { Row } from './batch';
import { QaHfError, got } from './errors';
import type { Column } from './columns';
import { CODEC_LEVELS } from './compression';
import { loadZstd, zstdLibrary } from './zstd';
import { HF_METADATA_KEY, HF_VALUE_DTYPES, hfFeaturesMetadata } from './parquet-features';
import { type EncodedRowGroup, type PlacedRowGroup, decodeRowGroup, encodeRowGroup, fileTail, footerOf, placeRowGroup, rowGroupSize } from './parquet-layout';
import type { ThriftStruct } from './thrift-compact';

export { HF_METADATA_KEY, hfFeaturesMetadata, parquetFeatures, pythonJsonDumps } from './parquet-features';

type WriterOptions = ConstructorParameters<typeof ParquetWriter>[0];
type SchemaElement = WriterOptions['schema'][number];

/**
 * Rows per row group. Measured here (this machine, Node 20.20): the 400 k-record bench
 * corpus (526 MB JSONL) read, mapped and written in 10 k-row groups in 12.6 s at
 * 250 MB peak RSS; a checkpoint keeps ~1 kB per group (its footer entry as Thrift).
 */
export const DEFAULT_ROW_GROUP_ROWS = 10_000;

/** Pending text per row group (UTF-16 units + 8 per number): bounds memory when answers are long. */
export const DEFAULT_ROW_GROUP_BYTES = 64 * 1024 * 1024;

/** hyparquet-writer's page size default (1 MiB), fixed here because it shapes the bytes. */
const PAGE_SIZE = 1024 * 1024;

/** First buffer of a row group's encoding (it doubles as needed): a 10 k-row group of the bench corpus is ~8 MB. */
const ENCODE_BUFFER_BYTES = 1 << 20;

const STATE_FORMAT = 'qa-hf-parquet-state/2';

/**
 * The codec inside the file: SNAPPY (hyparquet-writer's own, the default: what
 * pyarrow and HF write) or ZSTD at a level (zstd-napi; Arrow, DuckDB and HF
 * datasets read both). Pages are compressed whole, so the bytes depend on the
 * level and the zstd version only: both are in the shard state's digest.
 */
export type ParquetCodec = { codec: 'SNAPPY' } | { codec: 'ZSTD'; level: number };

export interface ParquetShardOptions {
  columns: readonly Column[];
  /** Default SNAPPY. */
  compression?: ParquetCodec;
  rowGroupRows?: number;
  rowGroupBytes?: number;
  /** Footer `created_by`; default `qa-hf`. */
  createdBy?: string;
}

interface NormalizedOptions {
  columns: readonly Column[];
  rowGroupRows: number;
  rowGroupBytes: number;
  /** What every row group's encoder is constructed with (writer aside). */
  encoder: Omit<WriterOptions, 'writer'>;
  digest: string;
}

/** What a checkpoint must keep to resume a shard byte for byte. */
export interface ParquetShardState {
  format: typeof STATE_FORMAT;
  /** hyparquet-writer version: its encoder shapes the bytes, so a resume needs the same one. */
  library: string;
  /** Digest of the options that shape the bytes (schema, metadata, limits). */
  options: string;
  /** File length: the sink must be reopened at exactly this many bytes. */
  bytes: number;
  rows: number;
  rowGroups: EncodedRowGroup[];
}

// ---------------------------------------------------------------------------
// Options

/** A column's schema elements: one for a flat column, three for a LIST (its leaf last). */
function schemaElements(column: Column): SchemaElement[] {
  const repetition_type = 'OPTIONAL';
  switch (column.type) {
    case 'list<string>':
      return [
        { name: column.name, repetition_type, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type },
      ];
    case 'string':
      return [{ name: column.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type }];
    case 'float':
      return [{ name: column.name, type: 'DOUBLE', repetition_type }];
    case 'int':
      return [{ name: column.name, type: 'INT64', repetition_type }];
    case 'bool':
      return [{ name: column.name, type: 'BOOLEAN', repetition_type }];
  }
}

function positiveInteger(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new QaHfError('ERR_OPTION', `parquet ${name} must be a positive integer, ${got(value)}`);
  }
  return value;
}

function normalizeOptions(options: ParquetShardOptions): NormalizedOptions {
  const columns = options.columns;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new QaHfError('ERR_OPTION', `parquet needs at least one column, ${got(columns)}`);
  }
  const names = new Set<string>();
  for (const column of columns) {
    if (!column || typeof column.name !== 'string' || column.name === '' || !(column.type in HF_VALUE_DTYPES) || names.has(column.name)) {
      throw new QaHfError('ERR_OPTION', `parquet columns must have distinct names and a known type, ${got(columns)}`);
    }
    names.add(column.name);
  }
  const rowGroupRows = positiveInteger(options.rowGroupRows, DEFAULT_ROW_GROUP_ROWS, 'rowGroupRows');
  const rowGroupBytes = positiveInteger(options.rowGroupBytes, DEFAULT_ROW_GROUP_BYTES, 'rowGroupBytes');
  const createdBy = options.createdBy ?? 'qa-hf';
  if (typeof createdBy !== 'string' || createdBy === '') throw new QaHfError('ERR_OPTION', `parquet createdBy must be text, ${got(createdBy)}`);
  const compression = normalizeCodec(options.compression);
  const schema: SchemaElement[] = [{ name: 'schema', num_children: columns.length }, ...columns.flatMap(schemaElements)];
  const kvMetadata = [{ key: HF_METADATA_KEY, value: hfFeaturesMetadata(columns) }];
  // SNAPPY adds nothing to the digest, so a state written before codecs were an option still resumes.
  const codec = compression.codec === 'ZSTD' ? { codec: compression, zstd: zstdLibrary() } : {};
  const digest = createHash('sha256')
    .update(JSON.stringify({ schema, kvMetadata, createdBy, rowGroupRows, rowGroupBytes, PAGE_SIZE, ...codec }))
    .digest('hex');
  return {
    columns: columns.map((c) => ({ name: c.name, type: c.type })),
    rowGroupRows,
    rowGroupBytes,
    encoder: { schema, ...writerCodec(compression), kvMetadata, createdBy },
    digest,
  };
}

function normalizeCodec(compression: ParquetCodec | undefined): ParquetCodec {
  if (compression === undefined || compression.codec === 'SNAPPY') return { codec: 'SNAPPY' };
  const { min, max } = CODEC_LEVELS.zstd;
  if (compression.codec !== 'ZSTD' || !Number.isSafeInteger(compression.level) || compression.level < min || compression.level > max) {
    throw new QaHfError('ERR_OPTION', `parquet compression must be SNAPPY or ZSTD with a level from ${min} to ${max}, ${got(compression)}`);
  }
  return { codec: 'ZSTD', level: compression.level };
}

/** hyparquet-writer's codec options for `compression`: SNAPPY is built in, ZSTD compresses each page with zstd-napi. */
function writerCodec(compression: ParquetCodec): Pick<WriterOptions, 'codec' | 'compressors'> {
  if (compression.codec === 'SNAPPY') return { codec: 'SNAPPY' };
  const zstd = loadZstd('write zstd Parquet');
  const parameters = { compressionLevel: compression.level };
  return { codec: 'ZSTD', compressors: { ZSTD: (bytes: Uint8Array) => zstd.compress(bytes, parameters) } };
}

let libraryVersion: string | undefined;

/**
 * `hyparquet-writer@x.y.z`, from its package.json, loaded like a module by its absolute
 * path (its exports map hides `hyparquet-writer/package.json` from a bare require).
 */
export function parquetLibrary(): string {
  if (libraryVersion === undefined) {
    const entry = require.resolve('hyparquet-writer');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- package.json by absolute path, past the exports map
    const pkg = require(path.join(path.dirname(entry), '..', 'package.json')) as { version: string };
    libraryVersion = `hyparquet-writer@${pkg.version}`;
  }
  return libraryVersion;
}

// ---------------------------------------------------------------------------
// Encoder: hyparquet-writer's documented API, one file per row group

type ColumnData = Parameters<ParquetWriter['write']>[0]['columnData'];

/** A Parquet file of `rows` rows in one row group (no rows: the empty file, whose footer is the template). */
async function encodeFile(options: NormalizedOptions, columnData: ColumnData, rows: number): Promise<Uint8Array> {
  const writer = new ByteWriter(rows === 0 ? 1024 : ENCODE_BUFFER_BYTES);
  const parquet = new ParquetWriter({ writer, ...options.encoder });
  if (rows > 0) await parquet.write({ columnData, rowGroupSize: rows, pageSize: PAGE_SIZE });
  await parquet.finish();
  return writer.getBytes();
}

// ---------------------------------------------------------------------------
// Writer

export class ParquetShardWriter {
  private readonly sink: OutputTarget;
  private readonly options: NormalizedOptions;
  /** FileMetaData of the empty file: schema, key-value metadata, created_by. */
  private readonly template: ThriftStruct;
  private readonly groups: PlacedRowGroup[];
  private length: number;
  private pending: unknown[][];
  private pendingCount = 0;
  private pendingBytes = 0;
  private flushedRows: number;
  private finished = false;

  private constructor(sink: OutputTarget, options: NormalizedOptions, template: ThriftStruct, from: { bytes: number; rows: number; groups: PlacedRowGroup[] }) {
    this.sink = sink;
    this.options = options;
    this.template = template;
    this.length = from.bytes;
    this.flushedRows = from.rows;
    this.groups = from.groups;
    this.pending = options.columns.map(() => []);
  }

  /** A new shard: writes `PAR1` to the sink. */
  static async create(sink: OutputTarget, options: ParquetShardOptions): Promise<ParquetShardWriter> {
    const normalized = normalizeOptions(options);
    const empty = await encodeFile(normalized, [], 0);
    const shard = new ParquetShardWriter(sink, normalized, footerOf(empty), { bytes: 0, rows: 0, groups: [] });
    await shard.append(empty.subarray(0, 4));
    return shard;
  }

  /** Continues a shard from `state`; the sink must hold exactly `state.bytes` bytes of it. */
  static async resume(sink: OutputTarget, options: ParquetShardOptions, state: ParquetShardState): Promise<ParquetShardWriter> {
    const normalized = normalizeOptions(options);
    if (state?.format !== STATE_FORMAT) throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `not a parquet shard state, ${got(state?.format)}`);
    if (state.library !== parquetLibrary()) {
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `parquet shard was started with ${state.library}, this is ${parquetLibrary()}`);
    }
    if (state.options !== normalized.digest) {
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', 'parquet shard was started with other columns or row group limits');
    }
    const template = footerOf(await encodeFile(normalized, [], 0));
    return new ParquetShardWriter(sink, normalized, template, { bytes: state.bytes, rows: state.rows, groups: state.rowGroups.map(decodeRowGroup) });
  }

  /** Bytes handed to the sink so far (the file length once writes resolve). */
  get bytes(): number {
    return this.length;
  }

  /** Rows written to row groups plus rows pending. */
  get rows(): number {
    return this.flushedRows + this.pendingCount;
  }

  get pendingRows(): number {
    return this.pendingCount;
  }

  get rowGroupCount(): number {
    return this.groups.length;
  }

  /** Appends rows; a row group is flushed whenever rowGroupRows rows or rowGroupBytes of text are pending. */
  async write(rows: readonly Row[]): Promise<void> {
    this.live();
    const columns = this.options.columns;
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i];
        const value = row[column.name];
        this.pending[i].push(toParquet(column, value));
        this.pendingBytes += typeof value === 'string' ? value.length : Array.isArray(value) ? listChars(value as string[]) : 8;
      }
      this.pendingCount++;
      if (this.pendingCount >= this.options.rowGroupRows || this.pendingBytes >= this.options.rowGroupBytes) await this.flush();
    }
  }

  /** Writes the pending rows as one row group (nothing when none are pending). */
  async flush(): Promise<void> {
    this.live();
    if (this.pendingCount === 0) return;
    const columnData = this.options.columns.map((column, i) => ({ name: column.name, data: this.pending[i] as never }));
    const count = this.pendingCount;
    this.pending = this.options.columns.map(() => []);
    this.pendingCount = 0;
    this.pendingBytes = 0;
    const { chunks, group } = placeRowGroup(await encodeFile(this.options, columnData, count), this.length);
    await this.append(chunks);
    this.groups.push(group);
    this.flushedRows += count;
  }

  /**
   * Whether the shard should end now (after a flush): the next row group, if as big
   * as the last, would take the file past `maxBytes`. A function of the bytes
   * written, so the same on a resumed run.
   */
  shouldRollOver(maxBytes: number): boolean {
    const last = this.groups.at(-1);
    return last !== undefined && this.length + rowGroupSize(last).bytes > maxBytes;
  }

  /** The state to resume from; only at a row group boundary (call flush() first). */
  checkpoint(): ParquetShardState {
    this.live();
    if (this.pendingCount > 0) {
      throw new QaHfError('ERR_USAGE', `parquet checkpoint with ${this.pendingCount} rows pending: flush() first`);
    }
    return {
      format: STATE_FORMAT,
      library: parquetLibrary(),
      options: this.options.digest,
      bytes: this.length,
      rows: this.flushedRows,
      rowGroups: this.groups.map(encodeRowGroup),
    };
  }

  /** Flushes pending rows, writes page indexes, footer and `PAR1`; returns the file length. */
  async finish(): Promise<number> {
    await this.flush();
    this.finished = true;
    await this.append(fileTail(this.template, this.groups, this.length));
    return this.length;
  }

  private append(bytes: Uint8Array): Promise<void> {
    this.length += bytes.length;
    return this.sink.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  private live(): void {
    if (this.finished) throw new QaHfError('ERR_USAGE', 'parquet shard is already finished');
  }
}

/** The text a list<string> value holds, counted like a string column's (8 per item for its framing). */
function listChars(items: readonly string[]): number {
  let total = 8;
  for (const item of items) total += item.length + 8;
  return total;
}

function toParquet(column: Column, value: unknown): unknown {
  switch (column.type) {
    case 'string':
      if (typeof value !== 'string') throw new TypeError(`internal: parquet column ${column.name} got ${typeof value}, not a string`);
      return value;
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`internal: parquet column ${column.name} got ${String(value)}`);
      return value;
    case 'int':
      return BigInt(Math.trunc(value as number));
    case 'bool':
      return Boolean(value);
    case 'list<string>':
      if (!Array.isArray(value)) throw new TypeError(`internal: parquet column ${column.name} got ${typeof value}, not a list`);
      return value;
  }
}
