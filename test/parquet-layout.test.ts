/**
 * Row groups encoded one file at a time, moved into one shard: the same bytes as one
 * hyparquet-writer pass over all of them (the reference: the library laying out the
 * whole file itself), with multi-page chunks, column and offset indexes and a LIST column.
 */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { decodeRowGroup, encodeRowGroup, fileTail, footerOf, placeRowGroup, rowGroupSize, type PlacedRowGroup } from '../lib/parquet-layout';
import { seeded } from './helpers';

type Options = ConstructorParameters<typeof ParquetWriter>[0];
type ColumnData = Parameters<ParquetWriter['write']>[0]['columnData'];

const SCHEMA: Options['schema'] = [
  { name: 'schema', num_children: 3 },
  { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'tags', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
];
const OPTIONS = { schema: SCHEMA, kvMetadata: [{ key: 'k', value: 'v' }], createdBy: 'test' };
const PAGE = 8 * 1024;

function group(rows: number, seed: number): ColumnData {
  const random = seeded(seed);
  const word = () => `${'åäö🩺abcdefgh'.slice(0, 1 + Math.floor(random() * 10)).repeat(1 + Math.floor(random() * 40))}${random()}`;
  return [
    { name: 'text', data: Array.from({ length: rows }, word), columnIndex: true },
    { name: 'tags', data: Array.from({ length: rows }, () => Array.from({ length: Math.floor(random() * 4) }, word)) },
    { name: 'score', data: Array.from({ length: rows }, () => random()), columnIndex: true },
  ];
}

async function encode(groups: ColumnData[]): Promise<Uint8Array> {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, ...OPTIONS });
  for (const columnData of groups) await parquet.write({ columnData, rowGroupSize: columnData[0].data.length, pageSize: PAGE });
  await parquet.finish();
  return writer.getBytes();
}

const GROUPS = [group(1500, 1), group(700, 2), group(2000, 3)];

async function assembled(roundTripState: boolean): Promise<Buffer> {
  const parts: Uint8Array[] = [Buffer.from('PAR1')];
  let at = 4;
  let placed: PlacedRowGroup[] = [];
  for (const columnData of GROUPS) {
    const { chunks, group } = placeRowGroup(await encode([columnData]), at);
    parts.push(chunks);
    at += chunks.length;
    expect(rowGroupSize(group)).toEqual({ rows: columnData[0].data.length, bytes: chunks.length });
    placed.push(group);
    if (roundTripState) placed = JSON.parse(JSON.stringify(placed.map(encodeRowGroup))).map(decodeRowGroup);
  }
  parts.push(fileTail(footerOf(await encode([])), placed, at));
  return Buffer.concat(parts);
}

test('three row groups placed one by one: the bytes of one pass, page indexes included', async () => {
  const reference = Buffer.from(await encode(GROUPS));
  const ours = await assembled(false);
  expect(ours.equals(reference)).toBe(true);
  // The test is worth something only if the chunks have several pages (so both indexes exist).
  const metadata = parquetMetadata(reference.buffer.slice(reference.byteOffset, reference.byteOffset + reference.length));
  const chunks = metadata.row_groups.flatMap((g) => g.columns);
  expect(chunks.filter((c) => c.column_index_offset !== undefined).length).toBeGreaterThanOrEqual(3);
  expect(chunks.filter((c) => c.offset_index_offset !== undefined).length).toBeGreaterThanOrEqual(6);
});

test('the checkpoint encoding of placed row groups keeps every byte', async () => {
  expect((await assembled(true)).equals(await assembled(false))).toBe(true);
});

test('an empty file: the template alone', async () => {
  const empty = Buffer.from(await encode([]));
  expect(Buffer.concat([Buffer.from('PAR1'), fileTail(footerOf(empty), [], 4)]).equals(empty)).toBe(true);
});

test('the assembled file reads back with hyparquet', async () => {
  const bytes = await assembled(false);
  const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer });
  expect(rows.length).toBe(4200);
  expect(rows[1500].text).toBe(GROUPS[1][0].data[0]);
  expect(rows[4199].tags).toEqual(GROUPS[2][1].data[1999]);
});

test.each([
  ['not a Parquet file', async () => Buffer.from('PAR0xxxxxxxxxxxxPAR1'), 'internal: the parquet encoder wrote no PAR1 file'],
  ['two row groups', async () => encode(GROUPS.slice(0, 2)), 'internal: the parquet encoder wrote 2 row groups, not 1'],
])('placeRowGroup refuses %s', async (_, file, message) => {
  const bytes = await file();
  expect(() => placeRowGroup(bytes, 4)).toThrow(message);
});
