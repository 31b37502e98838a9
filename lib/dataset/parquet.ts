/**
 * parquet — a Parquet shard written row group by row group, resumable byte for byte.
 *
 * Input: flat rows (the preset's columns; string → BYTE_ARRAY/UTF8, float → DOUBLE,
 * int → INT64, bool → BOOLEAN, all OPTIONAL as pyarrow writes them; list<string> →
 * the 3-level LIST of OPTIONAL UTF8 `element`s pyarrow writes). Output: bytes
 * handed to a sink (`OutputTarget`, e.g. an AtomicFile) in order: `PAR1` at create,
 * one row group per flush, page indexes + footer + `PAR1` at finish. Memory: the
 * pending rows of one row group (≤ rowGroupRows rows and ≤ rowGroupBytes of values)
 * plus the encoded pages of one column chunk; nothing else of the data is kept.
 *
 * Written for the Hub as `datasets` writes Parquet: data pages cut where the content
 * says (lib/dataset/parquet-cdc.ts, Arrow's content-defined chunking: 256 KiB–1 MiB, one chunker
 * per column going on across row groups), so a new version of a file shares most pages
 * with the old one, also after a row group end that an insertion upstream moved; a column and an offset
 * index for every column chunk; the features in the footer's `huggingface` key
 * (lib/dataset/parquet-features.ts) and the chunking's parameters in `content_defined_chunking`.
 * A low-cardinality column chunk is one dictionary page and one data page instead.
 * Each page is encoded by hyparquet-writer through its public API (a ParquetWriter on
 * a ByteWriter: a one-page file); lib/dataset/parquet-layout.ts puts the pages together into
 * column chunks and writes the indexes and the footer at the end.
 *
 * Row groups end where the caller says (`flush()`) or when a limit is reached;
 * both must be functions of the row sequence for a resumed export to match an
 * uninterrupted one. Resume: at a point with no pending rows, `checkpoint()`
 * returns a JSON-able state (file length, the footer entries and page indexes of
 * the row groups written so far, the page chunkers' state); reopen the sink at exactly `state.bytes` and call
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
 *   const resumed = await ParquetShardWriter.resume(again, { columns: QA_INTERNAL.pairColumns }, state);
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { OutputTarget } from '../target';
import type { Row } from '../batch';
import { QaHfError, got } from '../errors';
import type { Column } from '../columns';
import { type NormalizedOptions, type ParquetShardOptions, normalizeOptions, parquetLibrary } from './parquet-options';
import { type EncodedRowGroup, type PlacedColumnChunk, type PlacedRowGroup, columnChunk, decodeRowGroup, encodeRowGroup, fileTail, footerOf, rowGroup, rowGroupSize } from './parquet-layout';
import { PageChunker, type PageChunkerState, dictionaryWins } from './parquet-cdc';
import type { PhysicalType } from './parquet-stats';
import type { ThriftStruct } from './thrift-compact';

export { HF_METADATA_KEY, hfFeaturesMetadata, parquetFeatures, pythonJsonDumps } from './parquet-features';
export { DEFAULT_ROW_GROUP_BYTES, DEFAULT_ROW_GROUP_ROWS, type ParquetCodec, type ParquetShardOptions, parquetLibrary } from './parquet-options';

/** First buffer of a page's encoding (it doubles as needed): a page holds ≤ ~1 MiB of values before compression. */
const ENCODE_BUFFER_BYTES = 256 * 1024;

const STATE_FORMAT = 'qa-hf-parquet-state/4';

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
  /** Per column, its page chunker's state: pages are cut across row groups as one stream. */
  chunkers: PageChunkerState[];
}

// ---------------------------------------------------------------------------
// Encoder: hyparquet-writer's documented API, one file per page

type ColumnSource = Parameters<ParquetWriter['write']>[0]['columnData'][number];

/** Any page size above a page's bytes: the encoder then writes each file's values as one page. */
const ONE_PAGE = Number.MAX_SAFE_INTEGER;

/** The empty file of the shard's schema: its footer is the template of the shard's footer. */
async function emptyFile(options: NormalizedOptions): Promise<Uint8Array> {
  const writer = new ByteWriter();
  await new ParquetWriter({ writer, ...options.encoder }).finish();
  return writer.getBytes();
}

/**
 * One data page of column `c`'s `values` as a one-column file. `plain`: PLAIN encoding,
 * for a page of a chunk of several (a dictionary would be the chunk's, not the page's);
 * else the encoder's choice (a dictionary when it halves the size), for a one-page chunk.
 */
async function encodePage(options: NormalizedOptions, c: number, values: unknown[], plain: boolean): Promise<Uint8Array> {
  const column = options.columns[c];
  const writer = new ByteWriter(ENCODE_BUFFER_BYTES);
  const parquet = new ParquetWriter({ writer, ...options.encoder, schema: options.columnSchemas[c], kvMetadata: undefined });
  const source: ColumnSource = { name: column.name, data: values as never, ...(plain ? { encoding: 'PLAIN' as const } : {}) };
  await parquet.write({ columnData: [source], rowGroupSize: values.length, pageSize: ONE_PAGE });
  await parquet.finish();
  return new Uint8Array(writer.getBuffer()); // a copy of its length: the writer's buffer is larger
}

const PHYSICAL: Record<Column['type'], PhysicalType> = { string: 'BYTE_ARRAY', 'list<string>': 'BYTE_ARRAY', float: 'DOUBLE', int: 'INT64', bool: 'BOOLEAN' };

// ---------------------------------------------------------------------------
// Writer

export class ParquetShardWriter {
  private readonly sink: OutputTarget;
  private readonly options: NormalizedOptions;
  /** FileMetaData of the empty file: schema, key-value metadata, created_by. */
  private readonly template: ThriftStruct;
  private readonly groups: PlacedRowGroup[];
  /** One page chunker per column, for all row groups of the shard. */
  private readonly chunkers: PageChunker[];
  private length: number;
  private pending: unknown[][];
  private pendingCount = 0;
  private pendingBytes = 0;
  private flushedRows: number;
  private finished = false;

  private constructor(
    sink: OutputTarget,
    options: NormalizedOptions,
    template: ThriftStruct,
    from: { bytes: number; rows: number; groups: PlacedRowGroup[]; chunkers: PageChunker[] },
  ) {
    this.sink = sink;
    this.options = options;
    this.template = template;
    this.length = from.bytes;
    this.flushedRows = from.rows;
    this.groups = from.groups;
    this.chunkers = from.chunkers;
    this.pending = options.columns.map(() => []);
  }

  /** A new shard: writes `PAR1` to the sink. */
  static async create(sink: OutputTarget, options: ParquetShardOptions): Promise<ParquetShardWriter> {
    const normalized = normalizeOptions(options);
    const empty = await emptyFile(normalized);
    const shard = new ParquetShardWriter(sink, normalized, footerOf(empty), { bytes: 0, rows: 0, groups: [], chunkers: normalized.columns.map(() => new PageChunker()) });
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
    if (!Array.isArray(state.chunkers) || state.chunkers.length !== normalized.columns.length) {
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `parquet shard state has ${Array.isArray(state.chunkers) ? state.chunkers.length : 'no'} page chunkers for ${normalized.columns.length} columns`);
    }
    const template = footerOf(await emptyFile(normalized));
    const chunkers = state.chunkers.map((chunker) => PageChunker.restore(chunker));
    return new ParquetShardWriter(sink, normalized, template, { bytes: state.bytes, rows: state.rows, groups: state.rowGroups.map(decodeRowGroup), chunkers });
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

  /** Appends rows; a row group is flushed whenever rowGroupRows rows or rowGroupBytes of values are pending. */
  async write(rows: readonly Row[]): Promise<void> {
    this.live();
    const columns = this.options.columns;
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) {
        const column = columns[i];
        const value = row[column.name];
        this.pending[i].push(toParquet(column, value));
        this.pendingBytes += plainBytes(value);
      }
      this.pendingCount++;
      if (this.pendingCount >= this.options.rowGroupRows || this.pendingBytes >= this.options.rowGroupBytes) await this.flush();
    }
  }

  /**
   * Writes the pending rows as one row group (nothing when none are pending): each
   * column chunk in content-defined pages (lib/dataset/parquet-cdc.ts), each page encoded on its
   * own and written as soon as its column is done.
   */
  async flush(): Promise<void> {
    this.live();
    if (this.pendingCount === 0) return;
    const count = this.pendingCount;
    const pending = this.pending;
    this.pending = this.options.columns.map(() => []);
    this.pendingCount = 0;
    this.pendingBytes = 0;
    const chunks: PlacedColumnChunk[] = [];
    for (const [c, column] of this.options.columns.entries()) {
      const values = pending[c];
      // The chunker rolls over every column chunk, a dictionary one too: its state is then a function of the column's values alone.
      const cuts = this.chunkers[c].pages(values, column.type);
      const starts = dictionaryWins(values, column.type) ? [0, values.length] : cuts;
      const files: Uint8Array[] = [];
      if (starts.length === 2) files.push(await encodePage(this.options, c, values, false));
      else for (let p = 0; p + 1 < starts.length; p++) files.push(await encodePage(this.options, c, values.slice(starts[p], starts[p + 1]), true));
      pending[c] = []; // let the column's values go before the next is encoded
      const chunk = columnChunk(files, this.length, PHYSICAL[column.type]);
      for (const bytes of chunk.bytes) await this.append(bytes);
      chunks.push(chunk);
    }
    this.groups.push(rowGroup(chunks, count));
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
      chunkers: this.chunkers.map((chunker) => chunker.state()),
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

/** A value's PLAIN bytes without levels: UTF-8 + a 4-byte length per string, 8 per number, 1 per boolean. */
function plainBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value) + 4;
  if (Array.isArray(value)) return value.reduce((total: number, item: string) => total + Buffer.byteLength(item) + 4, 0);
  return typeof value === 'boolean' ? 1 : 8;
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
