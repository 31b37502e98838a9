/**
 * parquet-options — the options of a Parquet shard, checked once (lib/dataset/parquet.ts takes
 * them normalized): the columns and their Parquet schema, row group limits, codec,
 * footer metadata, and the digest of all that shapes the bytes (a checkpoint's state
 * resumes only with the same digest). Pure, but for the zstd addon's and
 * hyparquet-writer's versions, read from their packages.
 *
 *   const options = normalizeOptions({ columns: QA_INTERNAL.pairColumns });
 *   options.columnSchemas[0]  // [{ name: 'schema', num_children: 1 }, { name: 'question', type: 'BYTE_ARRAY', … }]
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { ParquetWriter } from 'hyparquet-writer';
import { got, optionError } from '../errors';
import type { Column } from '../columns';
import { CODEC_LEVELS } from '../input/compression';
import { loadZstd, zstdLibrary } from './zstd';
import { HF_METADATA_KEY, HF_VALUE_DTYPES, hfFeaturesMetadata, pythonJsonDumps } from './parquet-features';
import { CDC_MAX_BYTES, CDC_MIN_BYTES } from './parquet-cdc';

export type WriterOptions = ConstructorParameters<typeof ParquetWriter>[0];
type SchemaElement = WriterOptions['schema'][number];

/**
 * Rows per row group, at most. In an export the checkpoints (every 50 000 input lines)
 * end row groups sooner: ~42 000 pairs of the bench corpus, ~5.5 MB of Parquet. Row groups
 * that large keep the pages cut at a row group's ends (which an insertion upstream moves)
 * a small share of the file (lib/dataset/parquet-cdc.ts).
 */
export const DEFAULT_ROW_GROUP_ROWS = 100_000;

/**
 * Uncompressed value bytes per row group, at most (UTF-8 text + 4 per string, 8 per
 * number): `datasets`' MAX_ROW_GROUP_SIZE ("100MB" = 10^8); the Hub's viewer refuses
 * row groups over ~286 MiB. Also what bounds the pending rows' memory.
 */
export const DEFAULT_ROW_GROUP_BYTES = 100_000_000;

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

export interface NormalizedOptions {
  columns: readonly Column[];
  rowGroupRows: number;
  rowGroupBytes: number;
  /** What the encoder is constructed with (writer aside), for the whole schema. */
  encoder: Omit<WriterOptions, 'writer'>;
  /** Per column: the schema of a one-column file (its pages are encoded one at a time). */
  columnSchemas: SchemaElement[][];
  digest: string;
}

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
    throw optionError(name, `parquet ${name} must be a positive integer, ${got(value)}`);
  }
  return value;
}

export function normalizeOptions(options: ParquetShardOptions): NormalizedOptions {
  const columns = options.columns;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw optionError('columns', `parquet needs at least one column, ${got(columns)}`);
  }
  const names = new Set<string>();
  for (const column of columns) {
    if (!column || typeof column.name !== 'string' || column.name === '' || !(column.type in HF_VALUE_DTYPES) || names.has(column.name)) {
      throw optionError('columns', `parquet columns must have distinct names and a known type, ${got(columns)}`);
    }
    names.add(column.name);
  }
  const rowGroupRows = positiveInteger(options.rowGroupRows, DEFAULT_ROW_GROUP_ROWS, 'rowGroupRows');
  const rowGroupBytes = positiveInteger(options.rowGroupBytes, DEFAULT_ROW_GROUP_BYTES, 'rowGroupBytes');
  const createdBy = options.createdBy ?? 'qa-hf';
  if (typeof createdBy !== 'string' || createdBy === '') throw optionError('createdBy', `parquet createdBy must be text, ${got(createdBy)}`);
  const compression = normalizeCodec(options.compression);
  const schema: SchemaElement[] = [{ name: 'schema', num_children: columns.length }, ...columns.flatMap(schemaElements)];
  const kvMetadata = [
    { key: HF_METADATA_KEY, value: hfFeaturesMetadata(columns) },
    // What datasets' ParquetWriter adds next to it (its DEFAULT_CDC_OPTIONS, as json.dumps writes them).
    { key: 'content_defined_chunking', value: pythonJsonDumps({ min_chunk_size: CDC_MIN_BYTES, max_chunk_size: CDC_MAX_BYTES, norm_level: 0 }) },
  ];
  // SNAPPY adds nothing to the digest, so a state written before codecs were an option still resumes.
  const codec = compression.codec === 'ZSTD' ? { codec: compression, zstd: zstdLibrary() } : {};
  const digest = createHash('sha256')
    .update(JSON.stringify({ schema, kvMetadata, createdBy, rowGroupRows, rowGroupBytes, CDC_MIN_BYTES, CDC_MAX_BYTES, ...codec }))
    .digest('hex');
  return {
    columns: columns.map((c) => ({ name: c.name, type: c.type })),
    rowGroupRows,
    rowGroupBytes,
    encoder: { schema, ...writerCodec(compression), kvMetadata, createdBy },
    columnSchemas: columns.map((column) => [{ name: 'schema', num_children: 1 }, ...schemaElements(column)]),
    digest,
  };
}

function normalizeCodec(compression: ParquetCodec | undefined): ParquetCodec {
  if (compression === undefined || compression.codec === 'SNAPPY') return { codec: 'SNAPPY' };
  const { min, max } = CODEC_LEVELS.zstd;
  if (compression.codec !== 'ZSTD' || !Number.isSafeInteger(compression.level) || compression.level < min || compression.level > max) {
    throw optionError('compression', `parquet compression must be SNAPPY or ZSTD with a level from ${min} to ${max}, ${got(compression)}`);
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
