/**
 * The compact-protocol codec: bytes worked out by hand from the protocol's spec
 * (an independent reference), and read → write round trips of footers written by two
 * other writers (hyparquet-writer and DuckDB).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { TYPE, type ThriftStruct, getField, readStruct, setField, writeStruct } from '../lib/dataset/thrift-compact';
import { useDuckDb } from './duckdb';

/** A struct of every wire type the codec knows, and its bytes by hand. */
const EVERY_TYPE: ThriftStruct = {
  fields: [
    { id: 1, type: TYPE.I32, value: -1 },
    { id: 20, type: TYPE.BOOL_TRUE, value: true }, // delta 19: long header
    { id: 21, type: TYPE.LIST, value: { elementType: TYPE.I64, items: Array.from({ length: 15 }, (_, i) => BigInt(i)) } },
    { id: 22, type: TYPE.BINARY, value: Uint8Array.from(Buffer.from('åä')) },
    { id: 23, type: TYPE.LIST, value: { elementType: TYPE.BOOL_FALSE, items: [true, false] } },
    { id: 24, type: TYPE.STRUCT, value: { fields: [{ id: 1, type: TYPE.I64, value: 300n }] } },
    { id: 25, type: TYPE.BOOL_FALSE, value: false },
    { id: 26, type: TYPE.LIST, value: { elementType: 0, items: [] } },
    { id: 27, type: TYPE.BYTE, value: -2 },
    { id: 28, type: TYPE.DOUBLE, value: 1.5 },
    { id: 29, type: TYPE.I64, value: -(2n ** 63n) },
  ],
};
const EVERY_TYPE_HEX = [
  '15 01', // field 1 (delta 1), i32 -1 → zigzag 1
  '01 28', // field 20: type TRUE, then id 20 as zigzag (40)
  '19 f6 0f', // field 21 list, 15 items: size 15 in a varint after 0xf6 (i64)
  Array.from({ length: 15 }, (_, i) => (i * 2).toString(16).padStart(2, '0')).join(' '),
  '18 04 c3 a5 c3 a4', // field 22 binary: length 4, UTF-8 åä
  '19 22 01 00', // field 23 list of 2 booleans, one byte each
  '1c 16 d8 04 00', // field 24 struct { 1: i64 300 → zigzag 600 = d8 04 }
  '12', // field 25 false: type FALSE, no value
  '19 00', // field 26 empty list, element type 0 (what hyparquet-writer writes)
  '13 fe', // field 27 byte -2
  '17 00 00 00 00 00 00 f8 3f', // field 28 double 1.5, little-endian
  '16 ff ff ff ff ff ff ff ff ff 01', // field 29 i64 min → zigzag 2^64 - 1
  '00',
].join(' ');

describe('compact protocol by hand', () => {
  test('writeStruct gives the spec bytes of every type', () => {
    expect(Buffer.from(writeStruct(EVERY_TYPE)).toString('hex').match(/../g)!.join(' ')).toBe(EVERY_TYPE_HEX);
  });

  test('readStruct reads them back to the same tree, and says where the struct ends', () => {
    const bytes = Buffer.concat([Buffer.from('ff', 'hex'), Buffer.from(EVERY_TYPE_HEX.replace(/ /g, ''), 'hex'), Buffer.from('ee', 'hex')]);
    const { struct, end } = readStruct(bytes, 1);
    expect(struct).toEqual(EVERY_TYPE);
    expect(end).toBe(bytes.length - 1);
  });

  test('setField replaces a field or inserts it in id order; getField finds it', () => {
    const struct: ThriftStruct = { fields: [{ id: 2, type: TYPE.I32, value: 5 }] };
    setField(struct, 4, TYPE.I64, 7n);
    setField(struct, 1, TYPE.BINARY, new Uint8Array([1]));
    setField(struct, 2, TYPE.I32, 6);
    expect(struct.fields.map((f) => [f.id, f.value])).toEqual([[1, new Uint8Array([1])], [2, 6], [4, 7n]]);
    expect(getField(struct, 4)?.value).toBe(7n);
    expect(getField(struct, 3)).toBeUndefined();
  });

  test.each([
    ['a truncated struct', '15', 'thrift: truncated at byte 1'],
    ['a binary past the end', '18 05 61', 'thrift: 5 bytes past the end at byte 2'],
    ['an unknown type', '1e', 'thrift: unknown type 14 at byte 1'],
  ])('%s throws with the byte offset', (_, hex, message) => {
    expect(() => readStruct(Buffer.from(hex.replace(/ /g, ''), 'hex'))).toThrow(message);
  });

  test('fields out of order are refused on write', () => {
    expect(() => writeStruct({ fields: [{ id: 2, type: TYPE.I32, value: 1 }, { id: 2, type: TYPE.I32, value: 1 }] })).toThrow('thrift: field 2 after field 2');
  });
});

function footerBytes(file: Buffer): Buffer {
  const length = file.readUInt32LE(file.length - 8);
  return file.subarray(file.length - 8 - length, file.length - 8);
}

describe('round trips of real footers', () => {
  const { query } = useDuckDb();

  test('hyparquet-writer: statistics, column and offset indexes, three row groups', async () => {
    const writer = new ByteWriter();
    const parquet = new ParquetWriter({
      writer,
      schema: [
        { name: 'schema', num_children: 3 },
        { name: 's', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
        { name: 'n', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: 'b', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
      ],
      kvMetadata: [{ key: 'k', value: 'v' }],
    });
    const rows = 3000;
    await parquet.write({
      columnData: [
        { name: 's', data: Array.from({ length: rows }, (_, i) => `${'x'.repeat(i % 900)}${i}`), columnIndex: true },
        { name: 'n', data: Array.from({ length: rows }, (_, i) => BigInt(i - 1000)) },
        { name: 'b', data: Array.from({ length: rows }, (_, i) => i % 3 === 0) },
      ],
      rowGroupSize: 1000,
      pageSize: 64 * 1024,
    });
    await parquet.finish();
    const footer = footerBytes(Buffer.from(writer.getBytes()));
    const { struct, end } = readStruct(footer);
    expect(end).toBe(footer.length);
    expect(Buffer.from(writeStruct(struct)).equals(footer)).toBe(true);
  });

  test('DuckDB', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-thrift-'));
    try {
      const file = path.join(dir, 'duck.parquet');
      await query(
        `COPY (SELECT i, 'v' || i AS s, i % 2 = 0 AS b, i / 3.0 AS d, [i::VARCHAR, 'x'] AS l FROM range(5000) t(i)) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`,
      );
      const footer = footerBytes(await fs.readFile(file));
      expect(Buffer.from(writeStruct(readStruct(footer).struct)).equals(footer)).toBe(true);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
