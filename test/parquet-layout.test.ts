/**
 * Column chunks put together from pages encoded one file at a time (hyparquet-writer's
 * public API), row groups of them, and the tail: read back by hyparquet and DuckDB, the
 * page indexes pointing at the pages, and the statistics those of the values.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { parquetMetadata, parquetReadObjects, readColumnIndex, readOffsetIndex } from 'hyparquet';
import { type PlacedColumnChunk, columnChunk, decodeRowGroup, encodeRowGroup, fileTail, footerOf, rowGroup, rowGroupSize } from '../lib/dataset/parquet-layout';
import { useDuckDb } from './duckdb';

type Options = ConstructorParameters<typeof ParquetWriter>[0];
type Source = Parameters<ParquetWriter['write']>[0]['columnData'][number];

const TEXT: Options['schema'] = [
  { name: 'schema', num_children: 1 },
  { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
];
const SCORE: Options['schema'] = [
  { name: 'schema', num_children: 1 },
  { name: 'score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
];
const BOTH: Options['schema'] = [{ name: 'schema', num_children: 2 }, TEXT[1], SCORE[1]];

async function encode(schema: Options['schema'], columnData: Source[], pageSize = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({ writer, schema, kvMetadata: [{ key: 'k', value: 'v' }], createdBy: 'test' });
  if (columnData.length) await parquet.write({ columnData, rowGroupSize: columnData[0].data.length, pageSize });
  await parquet.finish();
  return writer.getBytes();
}

const TEXTS = [['b', 'ccc', 'åäö'], ['a', 'zz'], ['m', 'n', 'o', 'p']];
const SCORES = [-2.5, 7, 7, -2.5, 7, 7, -2.5, 7, 7]; // two values: a dictionary halves them

/** A file of one row group: `text` in three PLAIN pages, `score` as one dictionary chunk. */
async function assembled(roundTripState = false): Promise<{ bytes: Buffer; chunks: PlacedColumnChunk[] }> {
  const parts: Uint8Array[] = [Buffer.from('PAR1')];
  const pages = await Promise.all(TEXTS.map((data) => encode(TEXT, [{ name: 'text', data, encoding: 'PLAIN' }])));
  const text = columnChunk(pages, 4, 'BYTE_ARRAY');
  const score = columnChunk([await encode(SCORE, [{ name: 'score', data: SCORES }])], 4 + text.length, 'DOUBLE');
  for (const chunk of [text, score]) parts.push(...chunk.bytes);
  let group = rowGroup([text, score], 9);
  if (roundTripState) group = decodeRowGroup(JSON.parse(JSON.stringify(encodeRowGroup(group))));
  parts.push(fileTail(footerOf(await encode(BOTH, [])), [group], 4 + text.length + score.length));
  return { bytes: Buffer.concat(parts), chunks: [text, score] };
}

const arrayBuffer = (bytes: Buffer) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;

describe('one row group of pages put together', () => {
  const { query } = useDuckDb();

  test('hyparquet and DuckDB read every row; the metadata sums the pages', async () => {
    const { bytes, chunks } = await assembled();
    const rows = await parquetReadObjects({ file: arrayBuffer(bytes) });
    expect(rows).toEqual(TEXTS.flat().map((text, i) => ({ text, score: SCORES[i] })));
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-layout-'));
    try {
      await fs.writeFile(path.join(dir, 'x.parquet'), bytes);
      expect(await query(`SELECT count(*)::INTEGER AS n, min(text) AS lo, max(score) AS hi FROM read_parquet('${path.join(dir, 'x.parquet')}')`)).toEqual([{ n: 9, lo: 'a', hi: 7 }]);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
    const metadata = parquetMetadata(arrayBuffer(bytes));
    const [text, score] = metadata.row_groups[0].columns.map((c) => c.meta_data!);
    expect([text.num_values, text.statistics?.min_value, text.statistics?.max_value, text.statistics?.null_count]).toEqual([9n, 'a', 'åäö', 0n]);
    expect([score.encodings, score.statistics?.min_value, score.statistics?.max_value]).toEqual([['PLAIN', 'RLE_DICTIONARY'], -2.5, 7]);
    expect(score.dictionary_page_offset).toBe(BigInt(4 + chunks[0].length));
    expect(score.data_page_offset).toBeGreaterThan(score.dictionary_page_offset!);
    expect(text.encoding_stats).toEqual([{ page_type: 'DATA_PAGE_V2', encoding: 'PLAIN', count: 3 }]);
    expect(rowGroupSize(rowGroup(chunks, 9))).toEqual({ rows: 9, bytes: chunks[0].length + chunks[1].length });
    expect(metadata.row_groups[0].total_byte_size).toBe(text.total_uncompressed_size + score.total_uncompressed_size);
  });

  test('the offset index points at each page, the column index bounds it', async () => {
    const { bytes } = await assembled();
    const file = arrayBuffer(bytes);
    const metadata = parquetMetadata(file);
    const [text, score] = metadata.row_groups[0].columns;
    const at = (offset: bigint | undefined, length: number | undefined) => ({ view: new DataView(file, Number(offset), length), offset: 0 });
    const locations = readOffsetIndex(at(text.offset_index_offset, text.offset_index_length)).page_locations;
    expect(locations.map((l) => [l.offset, l.first_row_index])).toEqual([
      [4n, 0n],
      [4n + BigInt(locations[0].compressed_page_size), 3n],
      [locations[1].offset + BigInt(locations[1].compressed_page_size), 5n],
    ]);
    const index = readColumnIndex(at(text.column_index_offset, text.column_index_length), metadata.schema[1]);
    expect([index.min_values, index.max_values, index.null_pages, index.null_counts, index.boundary_order]).toEqual([
      ['b', 'a', 'm'],
      ['åäö', 'zz', 'p'],
      [false, false, false],
      [0n, 0n, 0n],
      'UNORDERED',
    ]);
    const scores = readColumnIndex(at(score.column_index_offset, score.column_index_length), metadata.schema[2]);
    expect([scores.min_values, scores.max_values, scores.boundary_order]).toEqual([[-2.5], [7], 'ASCENDING']);
    expect(readOffsetIndex(at(score.offset_index_offset, score.offset_index_length)).page_locations[0].offset).toBe(score.meta_data!.data_page_offset);
  });

  test('the checkpoint encoding of a placed row group keeps every byte', async () => {
    expect((await assembled(true)).bytes.equals((await assembled()).bytes)).toBe(true);
  });

  test('an empty file: the template alone', async () => {
    const empty = Buffer.from(await encode(BOTH, []));
    expect(Buffer.concat([Buffer.from('PAR1'), fileTail(footerOf(empty), [], 4)]).equals(empty)).toBe(true);
  });
});

describe('what columnChunk refuses (the encoder changed)', () => {
  test.each([
    ['not a Parquet file', async () => [Buffer.from('PAR0xxxxxxxxxxxxPAR1')], 'internal: the parquet encoder wrote no PAR1 file'],
    ['two data pages in a file', async () => [await encode(TEXT, [{ name: 'text', data: ['aaaa', 'bbbb', 'cccc'], encoding: 'PLAIN' }], 4)], 'internal: the parquet encoder wrote 3 data pages, not 1'],
    [
      'a dictionary page among several files',
      async () => [await encode(SCORE, [{ name: 'score', data: SCORES }]), await encode(SCORE, [{ name: 'score', data: [1], encoding: 'PLAIN' }])],
      'internal: a dictionary page in a chunk of several encoder files',
    ],
    ['no files', async () => [], 'internal: a column chunk of no pages'],
  ])('%s', async (_, files, message) => {
    const list = await files();
    expect(() => columnChunk(list, 4, 'DOUBLE')).toThrow(message);
  });
});
