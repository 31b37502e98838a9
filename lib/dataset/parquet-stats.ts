/**
 * parquet-stats — statistics of a column chunk made of pages encoded one at a time, and
 * its column index, from each page's Statistics (Thrift, as the encoder wrote them for a
 * one-page file: min_value/max_value already cut to 16 bytes for strings).
 *
 * Values are compared as Parquet orders them: strings (BYTE_ARRAY, UTF8) by unsigned
 * bytes, DOUBLE and INT64 as numbers, BOOLEAN false < true. The minimum of cut minima
 * is the cut of the minimum (a prefix keeps the order), and likewise for maxima, so the
 * merged values are what the encoder would have written for the whole chunk; on a tie
 * the exact one wins. Pure.
 *
 *   mergeStatistics([page1Stats, page2Stats], 'BYTE_ARRAY')   // the chunk's Statistics
 *   columnIndex([page1Stats, page2Stats], 'DOUBLE')            // ColumnIndex bytes
 */
import { type ThriftList, type ThriftStruct, TYPE, getField, writeStruct } from './thrift-compact';

export type PhysicalType = 'BYTE_ARRAY' | 'DOUBLE' | 'INT64' | 'BOOLEAN';

// Statistics field ids (parquet.thrift).
const NULL_COUNT = 3;
const MAX_VALUE = 5;
const MIN_VALUE = 6;
const IS_MAX_EXACT = 7;
const IS_MIN_EXACT = 8;
const NAN_COUNT = 9;

/** BoundaryOrder of parquet.thrift. */
const UNORDERED = 0;
const ASCENDING = 1;
const DESCENDING = 2;

function compare(left: Uint8Array, right: Uint8Array, type: PhysicalType): number {
  const a = Buffer.from(left.buffer, left.byteOffset, left.byteLength);
  const b = Buffer.from(right.buffer, right.byteOffset, right.byteLength);
  switch (type) {
    case 'BYTE_ARRAY':
      return Buffer.compare(a, b);
    case 'DOUBLE':
      return Math.sign(a.readDoubleLE(0) - b.readDoubleLE(0));
    case 'INT64': {
      const x = a.readBigInt64LE(0);
      const y = b.readBigInt64LE(0);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 'BOOLEAN':
      return a[0] - b[0];
  }
}

function bytesOf(stats: ThriftStruct, id: number): Uint8Array | undefined {
  return getField(stats, id)?.value as Uint8Array | undefined;
}

function count(stats: ThriftStruct, id: number): bigint | undefined {
  return getField(stats, id)?.value as bigint | undefined;
}

function exact(stats: ThriftStruct, id: number): boolean {
  return getField(stats, id)?.value === true;
}

/** The page whose `value` field is least (sign -1) or greatest (sign 1); the exact one on a tie. */
function extreme(pages: readonly ThriftStruct[], value: number, isExact: number, sign: 1 | -1, type: PhysicalType): ThriftStruct | undefined {
  let best: ThriftStruct | undefined;
  for (const page of pages) {
    const candidate = bytesOf(page, value);
    if (candidate === undefined) continue;
    if (best === undefined) {
      best = page;
      continue;
    }
    const order = compare(candidate, bytesOf(best, value)!, type) * sign;
    if (order > 0 || (order === 0 && exact(page, isExact) && !exact(best, isExact))) best = page;
  }
  return best;
}

function sum(pages: readonly ThriftStruct[], id: number): bigint | undefined {
  let total: bigint | undefined;
  for (const page of pages) {
    const value = count(page, id);
    if (value !== undefined) total = (total ?? 0n) + value;
  }
  return total;
}

/** The Statistics of a chunk of these pages, fields in the encoder's order. */
export function mergeStatistics(pages: readonly ThriftStruct[], type: PhysicalType): ThriftStruct {
  const fields: ThriftStruct['fields'] = [];
  const nulls = sum(pages, NULL_COUNT);
  if (nulls !== undefined) fields.push({ id: NULL_COUNT, type: TYPE.I64, value: nulls });
  const max = extreme(pages, MAX_VALUE, IS_MAX_EXACT, 1, type);
  const min = extreme(pages, MIN_VALUE, IS_MIN_EXACT, -1, type);
  if (max) fields.push({ id: MAX_VALUE, type: TYPE.BINARY, value: bytesOf(max, MAX_VALUE)! });
  if (min) fields.push({ id: MIN_VALUE, type: TYPE.BINARY, value: bytesOf(min, MIN_VALUE)! });
  if (max && getField(max, IS_MAX_EXACT)) fields.push({ id: IS_MAX_EXACT, type: TYPE.BOOL_TRUE, value: exact(max, IS_MAX_EXACT) });
  if (min && getField(min, IS_MIN_EXACT)) fields.push({ id: IS_MIN_EXACT, type: TYPE.BOOL_TRUE, value: exact(min, IS_MIN_EXACT) });
  const nans = sum(pages, NAN_COUNT);
  if (nans !== undefined) fields.push({ id: NAN_COUNT, type: TYPE.I64, value: nans });
  return { fields };
}

/**
 * The ColumnIndex of these pages (one entry each): null_pages, min_values, max_values,
 * boundary_order, null_counts (no nan_counts: not yet in every reader's parquet.thrift,
 * and qa-hf writes no NaN). A page without min/max (only nulls or empty lists) is a
 * null page with empty bounds, as the spec says.
 */
export function columnIndex(pages: readonly ThriftStruct[], type: PhysicalType): Uint8Array {
  const mins: Uint8Array[] = [];
  const maxes: Uint8Array[] = [];
  const nullPages: boolean[] = [];
  let ascending = true;
  let descending = true;
  let previous: ThriftStruct | undefined;
  for (const page of pages) {
    const min = bytesOf(page, MIN_VALUE);
    const max = bytesOf(page, MAX_VALUE);
    const isNull = min === undefined || max === undefined;
    nullPages.push(isNull);
    mins.push(min ?? new Uint8Array());
    maxes.push(max ?? new Uint8Array());
    if (isNull) continue;
    if (previous) {
      for (const order of [compare(bytesOf(previous, MIN_VALUE)!, min, type), compare(bytesOf(previous, MAX_VALUE)!, max, type)]) {
        if (order > 0) ascending = false;
        if (order < 0) descending = false;
      }
    }
    previous = page;
  }
  const list = (elementType: number, items: ThriftList['items']): ThriftList => ({ elementType, items });
  const fields: ThriftStruct['fields'] = [
    { id: 1, type: TYPE.LIST, value: list(TYPE.BOOL_FALSE, nullPages) },
    { id: 2, type: TYPE.LIST, value: list(TYPE.BINARY, mins) },
    { id: 3, type: TYPE.LIST, value: list(TYPE.BINARY, maxes) },
    { id: 4, type: TYPE.I32, value: ascending ? ASCENDING : descending ? DESCENDING : UNORDERED },
    { id: 5, type: TYPE.LIST, value: list(TYPE.I64, pages.map((page) => count(page, NULL_COUNT) ?? 0n)) },
  ];
  return writeStruct({ fields });
}
