/** Statistics of pages merged and their column index (lib/dataset/parquet-stats.ts), on hand-made Statistics. */
import { type PhysicalType, columnIndex, mergeStatistics } from '../lib/dataset/parquet-stats';
import { TYPE, type ThriftStruct, readStruct } from '../lib/dataset/thrift-compact';

/** Statistics as the encoder writes them: null_count, max_value, min_value, exactness flags. */
function stats(min: Buffer | undefined, max: Buffer | undefined, nulls = 0n, exact: [boolean, boolean] = [true, true]): ThriftStruct {
  const fields: ThriftStruct['fields'] = [{ id: 3, type: TYPE.I64, value: nulls }];
  if (max) fields.push({ id: 5, type: TYPE.BINARY, value: max });
  if (min) fields.push({ id: 6, type: TYPE.BINARY, value: min });
  if (max) fields.push({ id: 7, type: TYPE.BOOL_TRUE, value: exact[1] });
  if (min) fields.push({ id: 8, type: TYPE.BOOL_TRUE, value: exact[0] });
  return { fields };
}
const text = (value: string) => Buffer.from(value);
const double = (value: number) => {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return bytes;
};
const int64 = (value: bigint) => {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64LE(value);
  return bytes;
};
const field = (struct: ThriftStruct, id: number) => struct.fields.find((f) => f.id === id)?.value;

test.each<[string, PhysicalType, Buffer[], Buffer[], Buffer, Buffer]>([
  // Byte order is not UTF-16 order: 'é' (c3 a9) sorts after 'z'.
  ['strings by unsigned bytes', 'BYTE_ARRAY', [text('b'), text('é'), text('a')], [text('c'), text('éz'), text('z')], text('a'), text('éz')],
  // Negative doubles: their bytes would sort the other way.
  ['doubles as numbers', 'DOUBLE', [double(-1), double(-30), double(2)], [double(0), double(-2), double(5)], double(-30), double(5)],
  ['int64 as signed numbers', 'INT64', [int64(-5n), int64(3n)], [int64(-1n), int64(2n ** 40n)], int64(-5n), int64(2n ** 40n)],
  ['booleans', 'BOOLEAN', [Buffer.from([1]), Buffer.from([0])], [Buffer.from([1]), Buffer.from([1])], Buffer.from([0]), Buffer.from([1])],
])('merge: %s', (_, type, mins, maxes, min, max) => {
  const merged = mergeStatistics(mins.map((m, i) => stats(m, maxes[i], BigInt(i))), type);
  expect(merged.fields.map((f) => f.id)).toEqual([3, 5, 6, 7, 8]);
  expect(field(merged, 3)).toBe(BigInt((mins.length * (mins.length - 1)) / 2));
  expect(Buffer.from(field(merged, 6) as Uint8Array).equals(min)).toBe(true);
  expect(Buffer.from(field(merged, 5) as Uint8Array).equals(max)).toBe(true);
});

test('merge: on equal cut bounds the exact one wins; a page of nulls only counts its nulls', () => {
  const cut = text('0123456789abcdef');
  const merged = mergeStatistics([stats(cut, cut, 0n, [false, false]), stats(cut, cut, 0n, [true, true]), stats(undefined, undefined, 4n)], 'BYTE_ARRAY');
  expect([field(merged, 3), field(merged, 7), field(merged, 8)]).toEqual([4n, true, true]);
});

test('column index: bounds per page, empty bounds on a null page, boundary order', () => {
  const decode = (bytes: Uint8Array) => {
    const { struct } = readStruct(bytes);
    const list = (id: number) => (field(struct, id) as { items: unknown[] }).items;
    return {
      nullPages: list(1),
      mins: list(2).map((b) => Buffer.from(b as Uint8Array).toString()),
      order: field(struct, 4),
      nulls: list(5),
    };
  };
  expect(decode(columnIndex([stats(text('a'), text('b')), stats(undefined, undefined, 3n), stats(text('b'), text('c'))], 'BYTE_ARRAY'))).toEqual({
    nullPages: [false, true, false],
    mins: ['a', '', 'b'],
    order: 1, // ASCENDING (null pages are skipped)
    nulls: [0n, 3n, 0n],
  });
  expect(decode(columnIndex([stats(text('c'), text('d')), stats(text('a'), text('b'))], 'BYTE_ARRAY')).order).toBe(2); // DESCENDING
  expect(decode(columnIndex([stats(double(1), double(9)), stats(double(2), double(3))], 'DOUBLE')).order).toBe(0); // UNORDERED
});
