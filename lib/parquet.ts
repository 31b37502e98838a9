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
 * The footer carries the key-value metadata `huggingface` =
 * {"info": {"features": {...}}} exactly as HF datasets' ArrowWriter writes it
 * (Python json.dumps text, `_type: "Value"`), so `load_dataset("parquet", …)`
 * and the Hub viewer take the features from the file.
 *
 * Row groups end where the caller says (`flush()`) or when a limit is reached;
 * both must be functions of the row sequence for a resumed export to match an
 * uninterrupted one. Resume: at a point with no pending rows, `checkpoint()`
 * returns a JSON-able state (file length and the footer metadata of the row groups
 * written so far); reopen the sink at exactly `state.bytes` and call `resume()`.
 * The rest of the file is then the same bytes an uninterrupted run writes (tested).
 * After a failed write or flush the writer is in no known state: drop it and resume
 * from the last checkpoint.
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
import { type Feature, FORMATS } from './formats';
import type { Column, ColumnType } from './columns';
import { CODEC_LEVELS } from './compression';
import { loadZstd, zstdLibrary } from './zstd';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];
type KeyValue = NonNullable<ConstructorParameters<typeof ParquetWriter>[0]['kvMetadata']>[number];

// The footer's min/max encoder; its .d.ts sits where node10 resolution does not look.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a deep file the exports map of hyparquet-writer does not type
const { unconvertMinMax } = require('hyparquet-writer/src/unconvert.js') as {
  unconvertMinMax(value: unknown, element: SchemaElement, isMax: boolean): Uint8Array | undefined;
};

/** hyparquet-writer cuts string min/max to 16 bytes in the footer (its STATS_TRUNCATE_LENGTH). */
const STATS_TRUNCATE_BYTES = 16;

/**
 * Rows per row group. Measured here (this machine, Node 20.20): the 400 k-record bench
 * corpus (526 MB JSONL) read, mapped and written in 10 k-row groups in 12.6 s at
 * 250 MB peak RSS, the footer state then 153 kB for 40 groups.
 */
export const DEFAULT_ROW_GROUP_ROWS = 10_000;

/** Pending text per row group (UTF-16 units + 8 per number): bounds memory when answers are long. */
export const DEFAULT_ROW_GROUP_BYTES = 64 * 1024 * 1024;

/** hyparquet-writer's page size default (1 MiB), fixed here because it shapes the bytes. */
const PAGE_SIZE = 1024 * 1024;

/** The footer key HF datasets reads features from (ArrowWriter._build_metadata). */
export const HF_METADATA_KEY = 'huggingface';

const STATE_FORMAT = 'qa-hf-parquet-state/1';

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
  createdBy: string;
  compression: ParquetCodec;
  schema: SchemaElement[];
  leaves: SchemaElement[];
  kvMetadata: KeyValue[];
  digest: string;
}

/** Footer metadata of one written row group, JSON-able; never changes once written. */
export interface EncodedRowGroup {
  rowGroup: unknown;
  pageIndexes: unknown[];
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
// HF features metadata

const HF_VALUE_DTYPES: Record<ColumnType, string> = { string: 'string', float: 'float64', int: 'int64', bool: 'bool', 'list<string>': 'string' };

/**
 * Python `json.dumps` text (", " and ": " separators, ensure_ascii) of strings, objects,
 * arrays, integers, booleans and null (a float like 1.0 would print as 1: not needed here).
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${pythonJsonDumps(key)}: ${pythonJsonDumps(item)}`)
      .join(', ')}}`;
  }
  throw new TypeError(`cannot write ${typeof value} as JSON`);
}

/** The `huggingface` footer value for flat columns, byte-identical to what HF datasets writes. */
export function hfFeaturesMetadata(columns: readonly Column[]): string {
  const features: Record<string, unknown> = {};
  for (const column of columns) {
    const value = { dtype: HF_VALUE_DTYPES[column.type], _type: 'Value' };
    // datasets' Sequence(Value('string')).to_dict(), in its field order.
    features[column.name] = column.type === 'list<string>' ? { feature: value, length: -1, _type: 'Sequence' } : value;
  }
  return pythonJsonDumps({ info: { features } });
}

/** The card's features of the parquet format (same as the flat jsonl). */
export function parquetFeatures(columns: readonly Column[]): Feature[] {
  return FORMATS.parquet.features({ columns });
}

// ---------------------------------------------------------------------------
// Options

/** A column's schema elements: one for a flat column, three for a LIST (its leaf last). */
function schemaElements(column: Column): SchemaElement[] {
  if (column.type !== 'list<string>') return [schemaElement(column)];
  return [
    { name: column.name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ];
}

function schemaElement(column: Column): SchemaElement {
  const repetition_type = 'OPTIONAL';
  switch (column.type) {
    case 'list<string>':
      throw new TypeError('internal: a list column has three schema elements (schemaElements)');
    case 'string':
      return { name: column.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type };
    case 'float':
      return { name: column.name, type: 'DOUBLE', repetition_type };
    case 'int':
      return { name: column.name, type: 'INT64', repetition_type };
    case 'bool':
      return { name: column.name, type: 'BOOLEAN', repetition_type };
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
  // One leaf (one column chunk) per column: the element itself, or a list's `element`.
  const leaves = columns.map((column) => schemaElements(column).at(-1)!);
  const kvMetadata: KeyValue[] = [{ key: HF_METADATA_KEY, value: hfFeaturesMetadata(columns) }];
  // SNAPPY adds nothing to the digest, so a state written before codecs were an option still resumes.
  const codec = compression.codec === 'ZSTD' ? { codec: compression, zstd: zstdLibrary() } : {};
  const digest = createHash('sha256')
    .update(JSON.stringify({ schema, kvMetadata, createdBy, rowGroupRows, rowGroupBytes, PAGE_SIZE, ...codec }))
    .digest('hex');
  return { columns: columns.map((c) => ({ name: c.name, type: c.type })), rowGroupRows, rowGroupBytes, createdBy, compression, schema, leaves, kvMetadata, digest };
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
function writerCodec(compression: ParquetCodec): Pick<ConstructorParameters<typeof ParquetWriter>[0], 'codec' | 'compressors'> {
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
// State codec: bigint, typed arrays, -0 and undefined survive JSON.

function encodeValue(value: unknown): unknown {
  if (value === undefined) return { $u: 1 };
  if (typeof value === 'bigint') return { $n: value.toString() };
  // -0 matters (a float column's min statistic is -0.0 when it holds 0) and String(-0) is '0'.
  if (typeof value === 'number') return Object.is(value, -0) ? { $f: '-0' } : Number.isFinite(value) ? value : { $f: String(value) };
  if (value instanceof Uint8Array) return { $b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (value instanceof Uint32Array) return { $u32: Array.from(value) };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`internal: cannot checkpoint a ${proto?.constructor?.name}`);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = encodeValue(item);
    return out;
  }
  return value;
}

function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (value !== null && typeof value === 'object') {
    const tagged = value as Record<string, unknown>;
    if ('$u' in tagged) return undefined;
    if ('$n' in tagged) return BigInt(tagged.$n as string);
    if ('$f' in tagged) return Number(tagged.$f);
    if ('$b' in tagged) return new Uint8Array(Buffer.from(tagged.$b as string, 'base64'));
    if ('$u32' in tagged) return Uint32Array.from(tagged.$u32 as number[]);
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(tagged)) out[key] = decodeValue(item);
    return out;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Statistics compaction

/**
 * A row group's footer entry keeps each string column's whole min and max value
 * until the footer cuts them to 16 bytes. Kept whole, a shard's resume state would
 * grow with the longest answers; so right after a row group is written its string
 * min/max are replaced by the shortest prefix that the footer encodes to the same
 * bytes (checked with the library's own encoder; kept whole when not the same).
 */
function compactStatistic(value: unknown, element: SchemaElement, isMax: boolean): unknown {
  if (typeof value !== 'string' || value.length <= STATS_TRUNCATE_BYTES / 4) return value;
  let end = 0;
  let bytes = 0;
  for (const char of value) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    end += char.length;
    if (bytes > STATS_TRUNCATE_BYTES) break;
  }
  if (end >= value.length) return value;
  const prefix = value.slice(0, end);
  const whole = unconvertMinMax(value, element, isMax);
  const short = unconvertMinMax(prefix, element, isMax);
  return whole && short && Buffer.from(whole).equals(Buffer.from(short)) ? prefix : value;
}

interface ChunkStatistics {
  min_value?: unknown;
  max_value?: unknown;
}

function compactRowGroup(group: { columns: Array<{ meta_data?: { statistics?: ChunkStatistics } }> }, leaves: SchemaElement[]): void {
  group.columns.forEach((chunk, c) => {
    const statistics = chunk.meta_data?.statistics;
    const element = leaves[c];
    if (!statistics || element.converted_type !== 'UTF8') return;
    statistics.min_value = compactStatistic(statistics.min_value, element, false);
    statistics.max_value = compactStatistic(statistics.max_value, element, true);
  });
}

// ---------------------------------------------------------------------------
// Writer

/** hyparquet-writer's Writer whose flush hands the bytes encoded so far to the sink. */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: OutputTarget) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const bytes = Buffer.from(this.buffer.slice(0, this.index));
    this.index = 0;
    return bytes.length === 0 ? Promise.resolve() : this.sink.write(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

interface WriterInternals {
  row_groups: unknown[];
  num_rows: bigint;
  pendingIndexes: Array<{ chunk: unknown }>;
}

export class ParquetShardWriter {
  private readonly options: NormalizedOptions;
  private readonly writer: SinkWriter;
  private readonly parquet: ParquetWriter;
  private pending: unknown[][];
  private pendingCount = 0;
  private pendingBytes = 0;
  private flushedRows = 0;
  private lastRowGroupBytes = 0;
  private finished = false;

  private constructor(sink: OutputTarget, options: NormalizedOptions) {
    this.options = options;
    this.writer = new SinkWriter(sink);
    this.parquet = new ParquetWriter({
      writer: this.writer,
      schema: options.schema,
      ...writerCodec(options.compression),
      kvMetadata: options.kvMetadata,
      createdBy: options.createdBy,
    });
    this.pending = options.columns.map(() => []);
  }

  /** A new shard: writes `PAR1` to the sink. */
  static async create(sink: OutputTarget, options: ParquetShardOptions): Promise<ParquetShardWriter> {
    const shard = new ParquetShardWriter(sink, normalizeOptions(options));
    await shard.writer.flush();
    return shard;
  }

  /** Continues a shard from `state`; the sink must hold exactly `state.bytes` bytes of it. */
  static resume(sink: OutputTarget, options: ParquetShardOptions, state: ParquetShardState): ParquetShardWriter {
    const normalized = normalizeOptions(options);
    if (state?.format !== STATE_FORMAT) throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `not a parquet shard state, ${got(state?.format)}`);
    if (state.library !== parquetLibrary()) {
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `parquet shard was started with ${state.library}, this is ${parquetLibrary()}`);
    }
    if (state.options !== normalized.digest) {
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', 'parquet shard was started with other columns or row group limits');
    }
    const shard = new ParquetShardWriter(sink, normalized);
    // The constructor encoded the `PAR1` header into the buffer: the file already has it.
    shard.writer.index = 0;
    shard.writer.offset = state.bytes;
    const internals = shard.parquet as unknown as WriterInternals;
    const rowGroups = state.rowGroups.map(
      (group) => decodeValue(group.rowGroup) as { columns: unknown[]; num_rows: bigint; total_compressed_size: bigint },
    );
    internals.row_groups = rowGroups;
    internals.num_rows = rowGroups.reduce((total, group) => total + group.num_rows, 0n);
    internals.pendingIndexes = state.rowGroups.flatMap((group, g) =>
      group.pageIndexes.map((encoded) => {
        const { column, ...indexes } = decodeValue(encoded) as { column: number };
        return { chunk: rowGroups[g].columns[column], ...indexes };
      }),
    );
    shard.flushedRows = state.rows;
    const groups = state.rowGroups.length;
    shard.lastRowGroupBytes = groups === 0 ? 0 : Number(rowGroups[groups - 1].total_compressed_size);
    return shard;
  }

  /** Bytes handed to the sink so far (the file length once writes resolve). */
  get bytes(): number {
    return this.writer.offset - this.writer.index;
  }

  /** Rows written to row groups plus rows pending. */
  get rows(): number {
    return this.flushedRows + this.pendingCount;
  }

  get pendingRows(): number {
    return this.pendingCount;
  }

  get rowGroupCount(): number {
    return (this.parquet as unknown as WriterInternals).row_groups.length;
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
    const before = this.bytes;
    const columnData = this.options.columns.map((column, i) => ({ name: column.name, data: this.pending[i] }));
    const count = this.pendingCount;
    this.pending = this.options.columns.map(() => []);
    this.pendingCount = 0;
    this.pendingBytes = 0;
    await this.parquet.write({ columnData, rowGroupSize: count, pageSize: PAGE_SIZE });
    const groups = (this.parquet as unknown as WriterInternals).row_groups;
    compactRowGroup(groups[groups.length - 1] as Parameters<typeof compactRowGroup>[0], this.options.leaves);
    this.flushedRows += count;
    this.lastRowGroupBytes = this.bytes - before;
  }

  /**
   * Whether the shard should end now (after a flush): the next row group, if as big
   * as the last, would take the file past `maxBytes`. A function of the bytes
   * written, so the same on a resumed run.
   */
  shouldRollOver(maxBytes: number): boolean {
    return this.rowGroupCount > 0 && this.bytes + this.lastRowGroupBytes > maxBytes;
  }

  /** The state to resume from; only at a row group boundary (call flush() first). */
  checkpoint(): ParquetShardState {
    this.live();
    if (this.pendingCount > 0) {
      throw new QaHfError('ERR_USAGE', `parquet checkpoint with ${this.pendingCount} rows pending: flush() first`);
    }
    const internals = this.parquet as unknown as WriterInternals;
    const where = new Map<unknown, [number, number]>();
    internals.row_groups.forEach((group, g) => (group as { columns: unknown[] }).columns.forEach((chunk, c) => where.set(chunk, [g, c])));
    const rowGroups: EncodedRowGroup[] = internals.row_groups.map((group) => ({ rowGroup: encodeValue(group), pageIndexes: [] }));
    for (const { chunk, ...indexes } of internals.pendingIndexes) {
      const position = where.get(chunk);
      if (!position) throw new Error('internal: parquet page index without its column chunk');
      rowGroups[position[0]].pageIndexes.push(encodeValue({ column: position[1], ...indexes }));
    }
    return {
      format: STATE_FORMAT,
      library: parquetLibrary(),
      options: this.options.digest,
      bytes: this.bytes,
      rows: this.flushedRows,
      rowGroups,
    };
  }

  /** Flushes pending rows, writes page indexes, footer and `PAR1`; returns the file length. */
  async finish(): Promise<number> {
    await this.flush();
    this.finished = true;
    await this.parquet.finish();
    return this.bytes;
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
