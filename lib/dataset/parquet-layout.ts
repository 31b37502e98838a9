/**
 * parquet-layout — one Parquet file assembled from pages encoded one at a time.
 *
 * An encoder (hyparquet-writer through its public API) writes each page as a file of
 * its own: `PAR1`, one column chunk of one data page (and maybe its dictionary page),
 * the footer. Page bytes hold no file offsets, so a column chunk of the shard is those
 * pages copied one after the other, with a ColumnMetaData summed over them and an offset
 * index and a column index with one entry per page (lib/dataset/parquet-stats.ts); a row group
 * is its column chunks. The shard's tail — every column index, every offset index, the
 * footer, `PAR1` — is written at the end from the kept parts, as a writer that writes a
 * whole file lays it out: column indexes of all chunks in order, then their offset
 * indexes, then FileMetaData with all row groups (the empty file's footer as template).
 *
 * Input: the encoder's file bytes and the offset the chunk lands at. Output: bytes to
 * append and a `PlacedRowGroup` (plain Thrift trees, encodable for a checkpoint).
 * Errors: a file that is not one page of one column throws an Error (`internal:`): the
 * encoder changed, and nothing is written from it.
 *
 *   const template = footerOf(emptyFile);             // schema, key-value metadata, created_by
 *   const chunk = columnChunk(pageFiles, shard.bytes, 'BYTE_ARRAY');
 *   await sink.write(Buffer.concat(chunk.bytes));
 *   const group = rowGroup([chunk, …], rows);
 *   …
 *   await sink.write(fileTail(template, groups, shard.bytes));
 */
import { type ThriftList, type ThriftStruct, TYPE, getField, readStruct, setField, writeStruct } from './thrift-compact';
import { type PhysicalType, columnIndex, mergeStatistics } from './parquet-stats';

const MAGIC = Buffer.from('PAR1');

// Field ids from parquet.thrift (apache/parquet-format).
const FILE = { NUM_ROWS: 3, ROW_GROUPS: 4 } as const;
const ROW_GROUP = { COLUMNS: 1, NUM_ROWS: 3, FILE_OFFSET: 5, TOTAL_COMPRESSED_SIZE: 6 } as const;
const CHUNK = { FILE_OFFSET: 2, META_DATA: 3, OFFSET_INDEX_OFFSET: 4, OFFSET_INDEX_LENGTH: 5, COLUMN_INDEX_OFFSET: 6, COLUMN_INDEX_LENGTH: 7 } as const;
/** PageType of parquet.thrift: DATA_PAGE and DATA_PAGE_V2 (DICTIONARY_PAGE is 2). */
const DATA_PAGE_TYPES = [0, 3];

/** A row group placed in the shard: its footer entry (without the index offsets) and its page indexes. */
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

/** One column chunk placed in the shard: its bytes, its footer entry and its page indexes. */
export interface PlacedColumnChunk {
  bytes: Uint8Array[];
  length: number;
  uncompressed: bigint;
  chunk: ThriftStruct;
  columnIndex: Uint8Array;
  offsetIndex: ThriftStruct;
}

const TOTAL_UNCOMPRESSED = 6;
const TOTAL_COMPRESSED = 7;
const DATA_PAGE_OFFSET = 9;
const DICTIONARY_PAGE_OFFSET = 11;
const STATISTICS = 12;
const ENCODING_STATS = 13;

/** The one column chunk of a one-column, one-row-group file, and its rows. */
function onlyChunk(file: Uint8Array): { meta: ThriftStruct; rows: bigint } {
  const groups = list(footerOf(file), FILE.ROW_GROUPS).items as ThriftStruct[];
  if (groups.length !== 1) throw new Error(`internal: the parquet encoder wrote ${groups.length} row groups, not 1`);
  const chunks = list(groups[0], ROW_GROUP.COLUMNS).items as ThriftStruct[];
  const meta = getField(chunks[0] ?? { fields: [] }, CHUNK.META_DATA)?.value as ThriftStruct | undefined;
  if (chunks.length !== 1 || !meta) throw new Error(`internal: the parquet encoder wrote ${chunks.length} column chunks, not 1`);
  const stats = list(meta, ENCODING_STATS).items as ThriftStruct[];
  const dataPages = stats.reduce((total, s) => total + (DATA_PAGE_TYPES.includes(getField(s, 1)?.value as number) ? Number(getField(s, 3)?.value) : 0), 0);
  if (dataPages !== 1) throw new Error(`internal: the parquet encoder wrote ${dataPages} data pages, not 1`);
  return { meta, rows: i64(groups[0], ROW_GROUP.NUM_ROWS)! };
}

/**
 * One column chunk at `at` in the shard from encoder files of one column and one row
 * group, each holding one data page (the first may also hold the dictionary page, when
 * it is the only file): the pages in order, ColumnMetaData summed over them (statistics
 * merged by lib/dataset/parquet-stats.ts), and an offset index and a column index with one entry
 * per data page.
 */
export function columnChunk(files: readonly Uint8Array[], at: number, type: PhysicalType): PlacedColumnChunk {
  if (files.length === 0) throw new Error('internal: a column chunk of no pages');
  const bytes: Uint8Array[] = [];
  const locations: ThriftStruct[] = [];
  const pageStatistics: ThriftStruct[] = [];
  let offset = at;
  let firstRow = 0n;
  let uncompressed = 0n;
  let values = 0n;
  let base: ThriftStruct | undefined;
  for (const file of files) {
    const { meta, rows } = onlyChunk(file);
    const dataPage = Number(i64(meta, DATA_PAGE_OFFSET));
    const end = MAGIC.length + Number(i64(meta, TOTAL_COMPRESSED));
    const dictionary = i64(meta, DICTIONARY_PAGE_OFFSET);
    if (dictionary !== undefined) {
      if (files.length > 1) throw new Error('internal: a dictionary page in a chunk of several encoder files');
      bytes.push(file.subarray(Number(dictionary), dataPage));
      offset += dataPage - Number(dictionary);
    }
    base ??= structuredClone(meta);
    bytes.push(file.subarray(dataPage, end));
    locations.push({
      fields: [
        { id: 1, type: TYPE.I64, value: BigInt(offset) },
        { id: 2, type: TYPE.I32, value: end - dataPage },
        { id: 3, type: TYPE.I64, value: firstRow },
      ],
    });
    pageStatistics.push((getField(meta, STATISTICS)?.value as ThriftStruct | undefined) ?? { fields: [] });
    offset += end - dataPage;
    firstRow += rows;
    uncompressed += i64(meta, TOTAL_UNCOMPRESSED)!;
    values += i64(meta, 5)!;
  }
  const meta = base!;
  const length = offset - at;
  setField(meta, 5, TYPE.I64, values);
  setField(meta, TOTAL_UNCOMPRESSED, TYPE.I64, uncompressed);
  setField(meta, TOTAL_COMPRESSED, TYPE.I64, BigInt(length));
  const dictionaryBytes = bytes.length > files.length ? bytes[0].length : 0;
  setField(meta, DATA_PAGE_OFFSET, TYPE.I64, BigInt(at + dictionaryBytes));
  if (dictionaryBytes) setField(meta, DICTIONARY_PAGE_OFFSET, TYPE.I64, BigInt(at));
  if (getField(meta, STATISTICS)) setField(meta, STATISTICS, TYPE.STRUCT, mergeStatistics(pageStatistics, type));
  for (const entry of list(meta, ENCODING_STATS).items as ThriftStruct[]) {
    if (DATA_PAGE_TYPES.includes(getField(entry, 1)?.value as number)) setField(entry, 3, TYPE.I32, files.length);
  }
  const chunk: ThriftStruct = {
    fields: [
      { id: CHUNK.FILE_OFFSET, type: TYPE.I64, value: BigInt(at) },
      { id: CHUNK.META_DATA, type: TYPE.STRUCT, value: meta },
    ],
  };
  return {
    bytes,
    length,
    uncompressed,
    chunk,
    columnIndex: columnIndex(pageStatistics, type),
    offsetIndex: { fields: [{ id: 1, type: TYPE.LIST, value: { elementType: TYPE.STRUCT, items: locations } }] },
  };
}

/** A row group of these column chunks (written one after the other) and `rows` rows. */
export function rowGroup(chunks: readonly PlacedColumnChunk[], rows: number): PlacedRowGroup {
  const total = (pick: (chunk: PlacedColumnChunk) => bigint) => chunks.reduce((sum, chunk) => sum + pick(chunk), 0n);
  return {
    rowGroup: {
      fields: [
        { id: ROW_GROUP.COLUMNS, type: TYPE.LIST, value: { elementType: TYPE.STRUCT, items: chunks.map((c) => c.chunk) } },
        { id: 2, type: TYPE.I64, value: total((c) => c.uncompressed) },
        { id: ROW_GROUP.NUM_ROWS, type: TYPE.I64, value: BigInt(rows) },
        { id: ROW_GROUP.TOTAL_COMPRESSED_SIZE, type: TYPE.I64, value: total((c) => BigInt(c.length)) },
      ],
    },
    columnIndexes: chunks.map((c) => c.columnIndex),
    offsetIndexes: chunks.map((c) => c.offsetIndex),
  };
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
