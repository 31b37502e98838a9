/**
 * parquet-layout — one Parquet file assembled from row groups encoded one at a time.
 *
 * An encoder (hyparquet-writer through its public API) writes each row group as a
 * file of its own: `PAR1`, the column chunks, the page indexes, the footer. Page bytes
 * hold no file offsets; only the footer and the offset index do. So a row group is
 * moved into the shard by copying its column chunks and adding the shift to those
 * offsets (ColumnChunk.file_offset, ColumnMetaData's page offsets, each PageLocation),
 * and the shard's tail — every column index, every offset index, the footer, `PAR1` —
 * is written at the end from the kept parts, exactly as a writer that wrote the whole
 * file at once lays it out: column indexes of all chunks in order, then their offset
 * indexes, then FileMetaData with all row groups.
 *
 * Input: the encoder's file bytes and the offset the row group lands at. Output: bytes
 * to append and a `PlacedRowGroup` (plain Thrift trees, encodable for a checkpoint).
 * Errors: a file that is not one row group of the expected shape throws an Error
 * (`internal:`): the encoder changed, and nothing is written from it.
 *
 *   const template = footerOf(emptyFile);             // schema, key-value metadata, created_by
 *   const { chunks, group } = placeRowGroup(encoded, shard.bytes);
 *   await sink.write(chunks);
 *   …
 *   await sink.write(fileTail(template, groups, shard.bytes));
 */
import { type ThriftList, type ThriftStruct, TYPE, getField, readStruct, setField, writeStruct } from './thrift-compact';

const MAGIC = Buffer.from('PAR1');

// Field ids from parquet.thrift (apache/parquet-format).
const FILE = { NUM_ROWS: 3, ROW_GROUPS: 4 } as const;
const ROW_GROUP = { COLUMNS: 1, NUM_ROWS: 3, FILE_OFFSET: 5, TOTAL_COMPRESSED_SIZE: 6 } as const;
const CHUNK = { FILE_OFFSET: 2, META_DATA: 3, OFFSET_INDEX_OFFSET: 4, OFFSET_INDEX_LENGTH: 5, COLUMN_INDEX_OFFSET: 6, COLUMN_INDEX_LENGTH: 7 } as const;
/** ColumnMetaData's absolute offsets: data_page_offset, index_page_offset, dictionary_page_offset, bloom_filter_offset. */
const META_OFFSETS = [9, 10, 11, 14] as const;
const PAGE_LOCATION_OFFSET = 1;

/** A row group placed in the shard: its footer entry and its page indexes, offsets already shifted. */
export interface PlacedRowGroup {
  /** RowGroup without the index offsets (they are set when the tail is written). */
  rowGroup: ThriftStruct;
  /** Per column chunk: its ColumnIndex bytes (no offsets inside, copied as they are) or null. */
  columnIndexes: Array<Uint8Array | null>;
  /** Per column chunk: its OffsetIndex or null. */
  offsetIndexes: Array<ThriftStruct | null>;
}

/** The FileMetaData of a Parquet file (its footer), checking `PAR1` at both ends. */
export function footerOf(file: Uint8Array): ThriftStruct {
  const bytes = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (bytes.length < 12 || !bytes.subarray(0, 4).equals(MAGIC) || !bytes.subarray(-4).equals(MAGIC)) {
    throw new Error('internal: the parquet encoder wrote no PAR1 file');
  }
  const length = bytes.readUInt32LE(bytes.length - 8);
  const start = bytes.length - 8 - length;
  const { struct, end } = readStruct(bytes, start);
  if (start < 4 || end !== bytes.length - 8) throw new Error('internal: the parquet encoder wrote a footer of another length');
  return struct;
}

function list(struct: ThriftStruct, id: number): ThriftList {
  const field = getField(struct, id);
  if (!field || field.type !== TYPE.LIST) throw new Error(`internal: parquet field ${id} is not a list`);
  return field.value as ThriftList;
}

function i64(struct: ThriftStruct, id: number): bigint | undefined {
  const field = getField(struct, id);
  return field?.type === TYPE.I64 ? (field.value as bigint) : undefined;
}

function shift(struct: ThriftStruct, id: number, by: bigint): void {
  const value = i64(struct, id);
  if (value !== undefined) setField(struct, id, TYPE.I64, value + by);
}

function slice(file: Uint8Array, offset: bigint | undefined, length: number | undefined): Uint8Array | null {
  if (offset === undefined || length === undefined) return null;
  return file.subarray(Number(offset), Number(offset) + length);
}

/**
 * Moves the one row group of `file` to `at` in the shard: the column chunk bytes to
 * append there, and the row group's footer entry and page indexes with shifted offsets.
 */
export function placeRowGroup(file: Uint8Array, at: number): { chunks: Uint8Array; group: PlacedRowGroup } {
  const footer = footerOf(file);
  const groups = list(footer, FILE.ROW_GROUPS).items as ThriftStruct[];
  if (groups.length !== 1) throw new Error(`internal: the parquet encoder wrote ${groups.length} row groups, not 1`);
  const rowGroup = groups[0];
  const size = Number(i64(rowGroup, ROW_GROUP.TOTAL_COMPRESSED_SIZE));
  const by = BigInt(at - MAGIC.length);
  shift(rowGroup, ROW_GROUP.FILE_OFFSET, by);
  const columnIndexes: Array<Uint8Array | null> = [];
  const offsetIndexes: Array<ThriftStruct | null> = [];
  for (const chunk of list(rowGroup, ROW_GROUP.COLUMNS).items as ThriftStruct[]) {
    shift(chunk, CHUNK.FILE_OFFSET, by);
    const meta = getField(chunk, CHUNK.META_DATA)?.value as ThriftStruct | undefined;
    if (meta) for (const id of META_OFFSETS) shift(meta, id, by);
    const columnIndex = slice(file, i64(chunk, CHUNK.COLUMN_INDEX_OFFSET), getField(chunk, CHUNK.COLUMN_INDEX_LENGTH)?.value as number);
    columnIndexes.push(columnIndex && Uint8Array.from(columnIndex));
    const offsetIndexBytes = slice(file, i64(chunk, CHUNK.OFFSET_INDEX_OFFSET), getField(chunk, CHUNK.OFFSET_INDEX_LENGTH)?.value as number);
    let offsetIndex: ThriftStruct | null = null;
    if (offsetIndexBytes) {
      offsetIndex = readStruct(offsetIndexBytes).struct;
      for (const location of list(offsetIndex, 1).items as ThriftStruct[]) shift(location, PAGE_LOCATION_OFFSET, by);
    }
    offsetIndexes.push(offsetIndex);
    // Set again where the tail puts the indexes.
    chunk.fields = chunk.fields.filter((field) => field.id < CHUNK.OFFSET_INDEX_OFFSET || field.id > CHUNK.COLUMN_INDEX_LENGTH);
  }
  return { chunks: file.subarray(MAGIC.length, MAGIC.length + size), group: { rowGroup, columnIndexes, offsetIndexes } };
}

/** The row group's rows and its bytes in the shard. */
export function rowGroupSize(group: PlacedRowGroup): { rows: number; bytes: number } {
  return {
    rows: Number(i64(group.rowGroup, ROW_GROUP.NUM_ROWS)),
    bytes: Number(i64(group.rowGroup, ROW_GROUP.TOTAL_COMPRESSED_SIZE)),
  };
}

/**
 * Everything after the last row group, for a shard whose bytes end at `at`: the column
 * indexes, the offset indexes, the footer (`template` with these row groups), its length
 * and `PAR1`. Does not change `groups`.
 */
export function fileTail(template: ThriftStruct, groups: readonly PlacedRowGroup[], at: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let offset = at;
  const append = (bytes: Uint8Array) => {
    parts.push(bytes);
    offset += bytes.length;
  };
  const rowGroups = groups.map((group) => structuredClone(group.rowGroup));
  const chunks = rowGroups.map((group) => list(group, ROW_GROUP.COLUMNS).items as ThriftStruct[]);
  groups.forEach((group, g) =>
    group.columnIndexes.forEach((bytes, c) => {
      if (!bytes) return;
      setField(chunks[g][c], CHUNK.COLUMN_INDEX_OFFSET, TYPE.I64, BigInt(offset));
      setField(chunks[g][c], CHUNK.COLUMN_INDEX_LENGTH, TYPE.I32, bytes.length);
      append(bytes);
    }),
  );
  groups.forEach((group, g) =>
    group.offsetIndexes.forEach((index, c) => {
      if (!index) return;
      const bytes = writeStruct(index);
      setField(chunks[g][c], CHUNK.OFFSET_INDEX_OFFSET, TYPE.I64, BigInt(offset));
      setField(chunks[g][c], CHUNK.OFFSET_INDEX_LENGTH, TYPE.I32, bytes.length);
      append(bytes);
    }),
  );
  const footer = structuredClone(template);
  const rows = groups.reduce((total, group) => total + BigInt(rowGroupSize(group).rows), 0n);
  setField(footer, FILE.NUM_ROWS, TYPE.I64, rows);
  setField(footer, FILE.ROW_GROUPS, TYPE.LIST, { elementType: rowGroups.length ? TYPE.STRUCT : list(template, FILE.ROW_GROUPS).elementType, items: rowGroups });
  const metadata = writeStruct(footer);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(metadata.length, 0);
  append(metadata);
  append(length);
  append(MAGIC);
  return Buffer.concat(parts);
}

/** A placed row group as JSON-able text (base64 Thrift), for a checkpoint. */
export interface EncodedRowGroup {
  rowGroup: string;
  columnIndexes: Array<string | null>;
  offsetIndexes: Array<string | null>;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const unbase64 = (text: string) => Uint8Array.from(Buffer.from(text, 'base64'));

export function encodeRowGroup(group: PlacedRowGroup): EncodedRowGroup {
  return {
    rowGroup: base64(writeStruct(group.rowGroup)),
    columnIndexes: group.columnIndexes.map((bytes) => bytes && base64(bytes)),
    offsetIndexes: group.offsetIndexes.map((index) => index && base64(writeStruct(index))),
  };
}

export function decodeRowGroup(encoded: EncodedRowGroup): PlacedRowGroup {
  return {
    rowGroup: readStruct(unbase64(encoded.rowGroup)).struct,
    columnIndexes: encoded.columnIndexes.map((text) => (text === null ? null : unbase64(text))),
    offsetIndexes: encoded.offsetIndexes.map((text) => (text === null ? null : readStruct(unbase64(text)).struct)),
  };
}
