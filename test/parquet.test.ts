/**
 * Needs jest to load hyparquet-writer (ES modules only): see the transform for
 * node_modules/hyparquet* in jest.config.js.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useDuckDb } from './duckdb';
import { parquetMetadata, readColumnIndex, readOffsetIndex } from 'hyparquet';
import { createHash } from 'node:crypto';
import { AtomicFile } from '../lib/io/atomic-file';
import type { Row } from '../lib/batch';
import { QaHfError } from '../lib/errors';
import type { Column } from '../lib/columns';
import {
  DEFAULT_ROW_GROUP_BYTES,
  DEFAULT_ROW_GROUP_ROWS,
  HF_METADATA_KEY,
  type ParquetShardOptions,
  type ParquetShardState,
  ParquetShardWriter,
  hfFeaturesMetadata,
  parquetFeatures,
  parquetLibrary,
  pythonJsonDumps,
} from '../lib/dataset/parquet';
import { CDC_MIN_BYTES } from '../lib/dataset/parquet-cdc';
import { QA_INTERNAL } from '../lib/input/presets';
import { MemorySink, seeded, thrown } from './helpers';

const PAIRS: ParquetShardOptions = { columns: QA_INTERNAL.pairColumns, rowGroupRows: 500 };
const ROWS_ONE: Row[] = [{ question: 'q', answer: 'a', source: '', persona: 'p', validation_score: 1 }];

async function rejected(promise: Promise<unknown>): Promise<QaHfError> {
  try {
    await promise;
  } catch (err) {
    return err as QaHfError;
  }
  throw new Error('expected a rejection');
}

/** Seeded rows: Swedish and other UTF-8, quotes, newlines, empty strings, long answers, whole-number scores. */
function trickyRows(count: number, seed: number): Row[] {
  const random = seeded(seed);
  const pieces = ['åäö', 'ÅÄÖ', '🩺', '漢字', 'a,b', 'say "hi"', 'line\nbreak', 'tab\t', 'back\\slash', '', 'é', 'sjuksköterska'];
  const text = (n: number) => Array.from({ length: n }, () => pieces[Math.floor(random() * pieces.length)]).join(' ');
  return Array.from({ length: count }, (_, i) => ({
    question: `${text(1 + Math.floor(random() * 6))} ${i}?`,
    answer: random() < 0.02 ? text(2000) : text(Math.floor(random() * 40)),
    source: random() < 0.3 ? '' : `dok/${i % 7}.pdf`,
    persona: `${pieces[i % pieces.length]}/erfaren`,
    validation_score: random() < 0.2 ? 1 : Math.round(random() * 1000) / 1000,
  }));
}

let dir: string;
const { query } = useDuckDb();
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-parquet-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function saved(bytes: Buffer, name = 'x.parquet'): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return file;
}

/** Each data page of `column` (by the offset index): its sha256 and size. */
function pageHashes(bytes: Buffer, column: string): Array<{ hash: string; bytes: number }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  return parquetMetadata(file).row_groups.flatMap((group) => {
    const chunk = group.columns.find((c) => c.meta_data!.path_in_schema[0] === column)!;
    const { page_locations } = readOffsetIndex({ view: new DataView(file, Number(chunk.offset_index_offset), chunk.offset_index_length), offset: 0 });
    return page_locations.map((page) => {
      const data = bytes.subarray(Number(page.offset), Number(page.offset) + page.compressed_page_size);
      return { hash: createHash('sha256').update(data).digest('hex'), bytes: data.length };
    });
  });
}

async function columnTypes(file: string): Promise<Record<string, string>> {
  const rows = await query(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
  return Object.fromEntries(rows.map((row) => [row.column_name as string, row.column_type as string]));
}

async function rowGroupSizes(file: string): Promise<number[]> {
  const rows = await query(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${file}') ORDER BY row_group_id`);
  return rows.map((row) => Number(row.row_group_num_rows));
}

async function writeAll(rows: Row[], options: ParquetShardOptions = PAIRS): Promise<Buffer> {
  const sink = new MemorySink();
  const shard = await ParquetShardWriter.create(sink, options);
  for (let i = 0; i < rows.length; i += 137) await shard.write(rows.slice(i, i + 137));
  const length = await shard.finish();
  expect(length).toBe(sink.bytes.length);
  return sink.bytes;
}

const PAIR_FEATURES =
  '{"info": {"features": {"question": {"dtype": "string", "_type": "Value"}, "answer": {"dtype": "string", "_type": "Value"}, ' +
  '"source": {"dtype": "string", "_type": "Value"}, "persona": {"dtype": "string", "_type": "Value"}, ' +
  '"validation_score": {"dtype": "float64", "_type": "Value"}}}}';

describe('HF features metadata', () => {
  test('the huggingface value is what datasets ArrowWriter writes (json.dumps text)', () => {
    expect(HF_METADATA_KEY).toBe('huggingface');
    expect(hfFeaturesMetadata(QA_INTERNAL.pairColumns)).toBe(PAIR_FEATURES);
    expect(hfFeaturesMetadata(QA_INTERNAL.rejectedColumns)).toBe(
      PAIR_FEATURES.replace('}}}}', '}, "failure_reason": {"dtype": "string", "_type": "Value"}}}}'),
    );
    expect(hfFeaturesMetadata([{ name: 'n', type: 'int' }, { name: 'ok', type: 'bool' }])).toBe(
      '{"info": {"features": {"n": {"dtype": "int64", "_type": "Value"}, "ok": {"dtype": "bool", "_type": "Value"}}}}',
    );
  });

  test.each([
    [{ å: '🩺\u007f', list: [1, true, null, 'a"b'] }, '{"\\u00e5": "\\ud83e\\ude7a\\u007f", "list": [1, true, null, "a\\"b"]}'],
    [[], '[]'],
    [{}, '{}'],
    ['\n\t\u0001', '"\\n\\t\\u0001"'],
  ])('pythonJsonDumps(%j)', (value, text) => expect(pythonJsonDumps(value)).toBe(text));

  test('the card features of parquet are the flat columns', () => {
    expect(parquetFeatures(QA_INTERNAL.pairColumns).map((f) => ('dtype' in f ? f.dtype : 'list'))).toEqual([
      'string',
      'string',
      'string',
      'string',
      'float64',
    ]);
  });
});

describe('DuckDB reads what the writer wrote', () => {
  test('types VARCHAR and DOUBLE, every value, row groups of rowGroupRows, the huggingface metadata', async () => {
    const rows = trickyRows(2300, 1);
    const file = await saved(await writeAll(rows));
    expect(await columnTypes(file)).toEqual({
      question: 'VARCHAR',
      answer: 'VARCHAR',
      source: 'VARCHAR',
      persona: 'VARCHAR',
      validation_score: 'DOUBLE',
    });
    expect(await query(`SELECT * FROM read_parquet('${file}')`)).toEqual(rows);
    expect(await rowGroupSizes(file)).toEqual([500, 500, 500, 500, 300]);
    expect(await query(`SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${file}')`)).toEqual([
      { key: 'huggingface', value: PAIR_FEATURES },
      { key: 'content_defined_chunking', value: '{"min_chunk_size": 262144, "max_chunk_size": 1048576, "norm_level": 0}' },
    ]);
    const [meta] = await query(`SELECT created_by, num_rows::INTEGER AS num_rows FROM parquet_file_metadata('${file}')`);
    expect(meta).toEqual({ created_by: 'qa-hf', num_rows: 2300 });
  });

  test('UTF-8 round-trips: åäö, emoji, CJK, quotes, newlines, empty strings', async () => {
    const texts = ['åäö ÅÄÖ', '🩺💉', '漢字', 'say "hi"\nnext\r\nline', '', '\u0000nul', 'e\u0301'];
    const rows = texts.map((text, i) => ({ question: text, answer: text.repeat(3), source: '', persona: text, validation_score: i }));
    const file = await saved(await writeAll(rows));
    const read = await query(`SELECT question, answer, persona, octet_length(encode(question))::INTEGER AS bytes FROM read_parquet('${file}')`);
    expect(read).toEqual(rows.map((row) => ({ question: row.question, answer: row.answer, persona: row.persona, bytes: Buffer.byteLength(row.question as string) })));
  });

  test('rejected columns, int and bool columns', async () => {
    const columns: Column[] = [...QA_INTERNAL.rejectedColumns, { name: 'n', type: 'int' }, { name: 'ok', type: 'bool' }];
    const rows = trickyRows(50, 2).map((row, i) => ({ ...row, failure_reason: i % 2 ? 'för vag' : '', n: i * 1e6, ok: i % 3 === 0 }));
    const file = await saved(await writeAll(rows, { columns }));
    expect(await columnTypes(file)).toEqual({
      question: 'VARCHAR',
      answer: 'VARCHAR',
      source: 'VARCHAR',
      persona: 'VARCHAR',
      validation_score: 'DOUBLE',
      failure_reason: 'VARCHAR',
      n: 'BIGINT',
      ok: 'BOOLEAN',
    });
    expect(await query(`SELECT * FROM read_parquet('${file}')`)).toEqual(rows.map((row) => ({ ...row, n: String(row.n) })));
  });

  test('an empty shard is a valid file with the columns and no rows', async () => {
    const file = await saved(await writeAll([]));
    expect(await columnTypes(file)).toEqual({
      question: 'VARCHAR',
      answer: 'VARCHAR',
      source: 'VARCHAR',
      persona: 'VARCHAR',
      validation_score: 'DOUBLE',
    });
    expect(await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file}')`)).toEqual([{ n: 0 }]);
  });
});

describe('zstd codec', () => {
  test('every column chunk ZSTD, the same rows as SNAPPY, the level shapes the bytes; a resume is byte-identical', async () => {
    const rows = trickyRows(2300, 4);
    const zstd = (level: number): ParquetShardOptions => ({ ...PAIRS, compression: { codec: 'ZSTD', level } });
    const file = await saved(await writeAll(rows, zstd(3)), 'zstd.parquet');
    const snappy = await saved(await writeAll(rows), 'snappy.parquet');
    expect(await query(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`)).toEqual([{ compression: 'ZSTD' }]);
    expect(await query(`SELECT DISTINCT compression FROM parquet_metadata('${snappy}')`)).toEqual([{ compression: 'SNAPPY' }]);
    expect(await query(`SELECT * FROM read_parquet('${file}')`)).toEqual(rows);
    expect(await columnTypes(file)).toEqual(await columnTypes(snappy));
    expect((await writeAll(rows, zstd(3))).equals(await fs.readFile(file))).toBe(true);
    expect((await writeAll(rows, zstd(9))).equals(await fs.readFile(file))).toBe(false);
    // A checkpoint at row 700, a crash, a resume with the same codec: the uninterrupted file.
    const whole = new MemorySink();
    const shard = await ParquetShardWriter.create(whole, zstd(3));
    await shard.write(rows.slice(0, 700));
    await shard.flush();
    const state = JSON.parse(JSON.stringify(shard.checkpoint())) as ParquetShardState;
    await shard.write(rows.slice(700));
    await shard.finish();
    const again = new MemorySink();
    again.chunks.push(whole.bytes.subarray(0, state.bytes));
    const resumed = await ParquetShardWriter.resume(again, zstd(3), state);
    await resumed.write(rows.slice(700));
    await resumed.finish();
    expect(again.bytes.equals(whole.bytes)).toBe(true);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${await saved(again.bytes, 'resumed.parquet')}')`)).toEqual([{ n: 2300 }]);
  });
});

describe('row groups', () => {
  test('every column chunk has an offset index and a column index, one entry per page, whose bounds hold every value of its page', async () => {
    const columns: Column[] = [...QA_INTERNAL.pairColumns, { name: 'tags', type: 'list<string>' }, { name: 'n', type: 'int' }, { name: 'ok', type: 'bool' }];
    const rows: Row[] = trickyRows(1200, 9).map((row, i) => ({ ...row, answer: `${row.answer}${'x'.repeat(3000)}${i}`, tags: i % 5 ? ['a', `t${i}`] : [], n: i - 50, ok: i % 2 === 0 }));
    const bytes = await writeAll(rows, { columns, rowGroupRows: 500, compression: { codec: 'ZSTD', level: 3 } });
    const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const metadata = parquetMetadata(file);
    // Leaves in column order, strings without UTF8 so the (cut) bounds stay bytes.
    const leaves = metadata.schema.filter((element) => element.type).map((element) => ({ ...element, converted_type: undefined }));
    const at = (start: bigint | undefined, length: number | undefined) => ({ view: new DataView(file, Number(start), length), offset: 0 });
    let pages = 0;
    let offset = 0;
    for (const group of metadata.row_groups) {
      for (const [c, chunk] of group.columns.entries()) {
        const locations = readOffsetIndex(at(chunk.offset_index_offset, chunk.offset_index_length)).page_locations;
        const index = readColumnIndex(at(chunk.column_index_offset, chunk.column_index_length), leaves[c]);
        expect(index.min_values.length).toBe(locations.length);
        expect(Number(locations[0].offset)).toBe(Number(chunk.meta_data!.data_page_offset));
        locations.forEach((page, p) => {
          const end = p + 1 < locations.length ? Number(locations[p + 1].first_row_index) : Number(group.num_rows);
          const values = rows.slice(offset + Number(page.first_row_index), offset + end).map((row) => row[columns[c].name]);
          const flat = columns[c].type === 'list<string>' ? (values as string[][]).flat() : values;
          expect(index.null_pages[p]).toBe(flat.length === 0);
          const [min, max] = [index.min_values[p], index.max_values[p]];
          for (const v of flat) {
            if (typeof v === 'string') {
              expect(Buffer.compare(Buffer.from(v), Buffer.from(min as Uint8Array))).toBeGreaterThanOrEqual(0);
              expect(Buffer.compare(Buffer.from(v), Buffer.from(max as Uint8Array))).toBeLessThanOrEqual(0);
            } else {
              const value = columns[c].type === 'int' ? BigInt(v as number) : v;
              expect((value as number) >= (min as unknown as number) && (value as number) <= (max as unknown as number)).toBe(true);
            }
          }
        });
        pages += locations.length;
      }
      offset += Number(group.num_rows);
    }
    expect(pages).toBeGreaterThan(metadata.row_groups.length * columns.length); // some chunks have several pages
    expect(await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${await saved(bytes)}')`)).toEqual([{ n: 1200 }]);
  });

  /**
   * ~12 MB of answers (8000 rows of 200 words) and the same with 80 rows inserted at 4000: made once (its
   * seeded words take seconds) for the two tests below.
   */
  let insertion: { rows: Row[]; inserted: Row[] } | undefined;
  function insertionRows(): { rows: Row[]; inserted: Row[] } {
    if (insertion) return insertion;
    const random = seeded(11);
    const words = ['vård', 'patient', 'läkemedel', 'sjuksköterska', 'remiss', 'journal', 'dos', 'åtgärd', 'rutin', 'ansvar'];
    // A plain loop: 1.7 M seeded words, a few times faster than Array.from with a callback.
    const text = (n: number) => {
      const picked = new Array<string>(n);
      for (let k = 0; k < n; k++) picked[k] = words[Math.floor(random() * words.length)];
      return picked.join(' ');
    };
    const row = (i: number): Row => ({ question: `${text(8)} ${i}?`, answer: text(200), source: `dok/${i % 9}.pdf`, persona: 'ssk', validation_score: (i % 100) / 100 });
    const rows = Array.from({ length: 8000 }, (_, i) => row(i));
    insertion = { rows, inserted: [...rows.slice(0, 4000), ...Array.from({ length: 80 }, (_, i) => row(100_000 + i)), ...rows.slice(4000)] };
    return insertion;
  }

  test('pages end where the content says: rows inserted in the middle leave the pages after them byte for byte', async () => {
    // ~12 MB of answers in one row group: pages of 256 KiB–1 MiB in the answer chunk.
    const { rows, inserted } = insertionRows();
    const options = { ...PAIRS, rowGroupRows: 100_000 };
    const before = pageHashes(await writeAll(rows, options), 'answer');
    const after = pageHashes(await writeAll(inserted, options), 'answer');
    expect(after.length).toBeGreaterThan(10);
    const known = new Set(before.map((page) => page.hash));
    const shared = after.filter((page) => known.has(page.hash));
    const share = (list: typeof after) => list.reduce((total, page) => total + page.bytes, 0);
    expect(share(shared) / share(after)).toBeGreaterThan(0.8);
    // What fixed-size pages would give: every page after the insertion moves.
    expect(shared.length).toBeGreaterThanOrEqual(after.length - 3);
  });

  test('row groups ending at fixed rows (checkpoints), which an insertion moves: the pages after them are still the old ones', async () => {
    // ~12 MB of answers, a flush every 2000 rows as an export's checkpoints make, 80 rows inserted at 4000.
    const { rows, inserted } = insertionRows();
    async function flushingEvery(list: Row[], every: number): Promise<Buffer> {
      const sink = new MemorySink();
      const shard = await ParquetShardWriter.create(sink, { ...PAIRS, rowGroupRows: 100_000 });
      for (let i = 0; i < list.length; i += every) {
        await shard.write(list.slice(i, i + every));
        await shard.flush();
      }
      await shard.finish();
      return sink.bytes;
    }
    const before = pageHashes(await flushingEvery(rows, 2000), 'answer');
    const after = pageHashes(await flushingEvery(inserted, 2000), 'answer');
    const known = new Set(before.map((page) => page.hash));
    const bytes = (list: typeof after) => list.reduce((total, page) => total + page.bytes, 0);
    // After the insertion's group only the pages around a moved group end are new: the page it now splits (two
    // pieces) and the page the old end split (whole again); the last 12 of ~30 pages hold two such ends.
    const later = after.slice(-12);
    expect(after.length).toBeGreaterThan(25);
    expect(later.filter((page) => !known.has(page.hash)).length).toBeLessThanOrEqual(2 * 3);
    expect(bytes(after.filter((page) => known.has(page.hash))) / bytes(after)).toBeGreaterThan(0.75);
  });

  test('a low-cardinality column is one dictionary page and one data page', async () => {
    const bytes = await writeAll(trickyRows(3000, 12), { ...PAIRS, rowGroupRows: 100_000 });
    const metadata = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer);
    const encodings = Object.fromEntries(metadata.row_groups[0].columns.map((c) => [c.meta_data!.path_in_schema[0], c.meta_data!.encodings]));
    expect(encodings).toEqual({
      question: ['PLAIN'],
      answer: ['PLAIN'],
      source: ['PLAIN', 'RLE_DICTIONARY'],
      persona: ['PLAIN', 'RLE_DICTIONARY'],
      validation_score: ['PLAIN', 'RLE_DICTIONARY'],
    });
  });

  test('rowGroupBytes ends a group early, counting UTF-8 bytes + 4 per string and 8 per number: 1000 a row, limit 10000 → groups of 10', async () => {
    // (200 + 4) + (774 + 4) + (2 + 4) + (0 + 4) + 8 = 1000; as UTF-16 units it would be 884 (groups of 12).
    const rows = Array.from({ length: 35 }, () => ({ question: 'å'.repeat(100), answer: 'a'.repeat(774), source: 'ss', persona: '', validation_score: 0.5 }));
    const file = await saved(await writeAll(rows, { ...PAIRS, rowGroupBytes: 10_000 }));
    expect(await rowGroupSizes(file)).toEqual([10, 10, 10, 5]);
    expect(DEFAULT_ROW_GROUP_BYTES).toBe(100_000_000);
  });

  test('flush() makes a group of what is pending; with nothing pending it does nothing', async () => {
    const sink = new MemorySink();
    const shard = await ParquetShardWriter.create(sink, PAIRS);
    expect([shard.bytes, sink.bytes.toString()]).toEqual([4, 'PAR1']);
    await shard.flush();
    expect([shard.bytes, shard.rowGroupCount]).toEqual([4, 0]);
    await shard.write(trickyRows(30, 4));
    expect([shard.rows, shard.pendingRows, shard.rowGroupCount]).toEqual([30, 30, 0]);
    await shard.flush();
    expect([shard.rows, shard.pendingRows, shard.rowGroupCount, shard.bytes === sink.bytes.length]).toEqual([30, 0, 1, true]);
    await shard.write(trickyRows(20, 5));
    await shard.finish();
    expect(await rowGroupSizes(await saved(sink.bytes))).toEqual([30, 20]);
    expect(DEFAULT_ROW_GROUP_ROWS).toBe(100_000);
  });

  test('shouldRollOver: true once the next group of the last group size would pass the limit', async () => {
    const shard = await ParquetShardWriter.create(new MemorySink(), PAIRS);
    expect(shard.shouldRollOver(1)).toBe(false); // no group yet: never roll an empty shard
    await shard.write(trickyRows(500, 6));
    const group = shard.bytes - 4;
    expect(shard.shouldRollOver(shard.bytes + group)).toBe(false);
    expect(shard.shouldRollOver(shard.bytes + group - 1)).toBe(true);
  });
});

describe('resume', () => {
  const ROWS = trickyRows(3000, 7);
  const CHECKPOINT_EVERY = 700; // rows between checkpoints; rowGroupRows is 500, so groups also end mid-interval

  /**
   * The export's loop for one shard: batches of 100 rows, a flush + checkpoint
   * after every CHECKPOINT_EVERY rows. Starts at `from` (a checkpoint) and stops
   * after row `until`, returning the states it checkpointed.
   */
  async function run(shard: ParquetShardWriter, from: number, until: number): Promise<Map<number, ParquetShardState>> {
    const states = new Map<number, ParquetShardState>();
    for (let row = from; row < until; ) {
      const end = Math.min(until, row + 100, (Math.floor(row / CHECKPOINT_EVERY) + 1) * CHECKPOINT_EVERY);
      await shard.write(ROWS.slice(row, end));
      row = end;
      if (row % CHECKPOINT_EVERY === 0) {
        await shard.flush();
        states.set(row, shard.checkpoint());
      }
    }
    return states;
  }

  let whole: Buffer;
  let states: Map<number, ParquetShardState>;
  beforeAll(async () => {
    const sink = new MemorySink();
    const shard = await ParquetShardWriter.create(sink, PAIRS);
    states = await run(shard, 0, ROWS.length);
    states.set(0, JSON.parse(JSON.stringify((await ParquetShardWriter.create(new MemorySink(), PAIRS)).checkpoint())));
    await shard.finish();
    whole = sink.bytes;
  });

  test.each([0, 700, 1400, 2100, 2800])('crash after the checkpoint at row %d, resume: byte-identical file', async (at) => {
    const final = path.join(dir, 'train-00000-of-00001.parquet');
    const tempPath = path.join(dir, '.train-00000.parquet.partial');
    // First run: up to the checkpoint, then some more work that the crash loses.
    const first = await AtomicFile.open(final, { tempPath });
    const shard = await ParquetShardWriter.create(first, PAIRS);
    const seen = await run(shard, 0, at);
    const state = at === 0 ? shard.checkpoint() : seen.get(at)!;
    await run(shard, at, Math.min(ROWS.length, at + 650));
    await shard.flush();
    await first.abort(false);
    expect((await fs.stat(tempPath)).size).toBeGreaterThan(state.bytes);

    // Second run: reopen at the checkpointed length and go on from the state, as stored in JSON.
    const stored = JSON.parse(JSON.stringify(state)) as ParquetShardState;
    expect(stored).toEqual(states.get(at));
    const again = await AtomicFile.open(final, { tempPath, keepBytes: stored.bytes });
    const resumed = await ParquetShardWriter.resume(again, PAIRS, stored);
    expect([resumed.bytes, resumed.rows, resumed.rowGroupCount]).toEqual([stored.bytes, at, stored.rowGroups.length]);
    await run(resumed, at, ROWS.length);
    await resumed.finish();
    await again.commit();
    const bytes = await fs.readFile(final);
    expect(bytes.length).toBe(whole.length);
    expect(bytes.equals(whole)).toBe(true);
    expect(await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${final}')`)).toEqual([{ n: ROWS.length }]);
  });

  test('the resumes above go on from page chunkers in the middle of a page (hashing) and cut pages after the resume', () => {
    const hashing = [700, 1400, 2100, 2800].filter((at) => states.get(at)!.chunkers.some(([hi, lo, size]) => size >= CDC_MIN_BYTES && (hi !== 0 || lo !== 0)));
    expect(hashing.length).toBeGreaterThan(0);
    const pages = pageHashes(whole, 'answer').length;
    expect(pages).toBeGreaterThan(Math.ceil(ROWS.length / 500)); // more pages than row groups: some group has a cut inside
  });

  test('a score of 0 (footer min -0.0, which JSON would turn into 0) survives the state', async () => {
    const rows = [0, 0.5, 1].map((score) => ({ ...ROWS_ONE[0], validation_score: score }));
    const whole = new MemorySink();
    const uninterrupted = await ParquetShardWriter.create(whole, PAIRS);
    await uninterrupted.write(rows);
    await uninterrupted.flush();
    const state = JSON.parse(JSON.stringify(uninterrupted.checkpoint())) as ParquetShardState;
    await uninterrupted.write(rows);
    await uninterrupted.finish();

    const sink = new MemorySink();
    sink.chunks.push(whole.bytes.subarray(0, state.bytes));
    const resumed = await ParquetShardWriter.resume(sink, PAIRS, state);
    expect(resumed.checkpoint()).toEqual(state);
    await resumed.write(rows);
    await resumed.finish();
    expect(sink.bytes.equals(whole.bytes)).toBe(true);
  });

  test('the state stays small: string statistics are kept to what the footer writes', () => {
    const last = states.get(2800)!;
    const perGroup = JSON.stringify(last).length / last.rowGroups.length;
    // Answers of up to 2000 pieces (~10 kB) would otherwise sit whole in every group's min/max.
    expect(perGroup).toBeLessThan(3000);
    expect(Math.max(...ROWS.map((row) => (row.answer as string).length))).toBeGreaterThan(5000);
  });

  test('checkpoint refuses pending rows', async () => {
    const shard = await ParquetShardWriter.create(new MemorySink(), PAIRS);
    await shard.write(ROWS.slice(0, 3));
    const err = thrown(() => shard.checkpoint());
    expect([err.code, err.message]).toEqual(['ERR_USAGE', 'parquet checkpoint with 3 rows pending: flush() first']);
  });

  test.each<[string, (state: ParquetShardState) => ParquetShardOptions, string]>([
    ['other columns', () => ({ columns: QA_INTERNAL.rejectedColumns, rowGroupRows: 500 }), 'parquet shard was started with other columns or row group limits'],
    ['another row group size', () => ({ ...PAIRS, rowGroupRows: 501 }), 'parquet shard was started with other columns or row group limits'],
    [
      'another library version',
      (state) => ((state.library = 'hyparquet-writer@0.0.1'), PAIRS),
      `parquet shard was started with hyparquet-writer@0.0.1, this is ${'hyparquet-writer@0.17.0'}`,
    ],
    ['not a state', (state) => (((state as { format: string }).format = 'x'), PAIRS), 'not a parquet shard state, got "x"'],
    ['another codec', () => ({ ...PAIRS, compression: { codec: 'ZSTD', level: 3 } }), 'parquet shard was started with other columns or row group limits'],
    ['page chunkers of fewer columns', (state) => ((state.chunkers = state.chunkers.slice(1)), PAIRS), 'parquet shard state has 4 page chunkers for 5 columns'],
    ['no page chunkers', (state) => (delete (state as Partial<ParquetShardState>).chunkers, PAIRS), 'parquet shard state has no page chunkers for 5 columns'],
  ])('resume refuses %s', async (_, change, message) => {
    const state = JSON.parse(JSON.stringify(states.get(700))) as ParquetShardState;
    const options = change(state);
    const err = await rejected(ParquetShardWriter.resume(new MemorySink(), options, state));
    expect([err.code, err.message]).toEqual(['ERR_CHECKPOINT_MISMATCH', message]);
  });

  test('the library version is the one installed', () => {
    expect(parquetLibrary()).toBe('hyparquet-writer@0.17.0');
  });
});

describe('options and misuse', () => {
  test.each<[ParquetShardOptions, string]>([
    [{ columns: [] }, 'parquet needs at least one column, got []'],
    [
      { columns: [{ name: 'a', type: 'string' }, { name: 'a', type: 'float' }] },
      'parquet columns must have distinct names and a known type, got [{"name":"a","type":"string"},{"name":"a","type":"float"}]',
    ],
    [{ columns: [{ name: 'a', type: 'date' as never }] }, 'parquet columns must have distinct names and a known type, got [{"name":"a","type":"date"}]'],
    [{ columns: QA_INTERNAL.pairColumns, rowGroupRows: 0 }, 'parquet rowGroupRows must be a positive integer, got 0'],
    [{ columns: QA_INTERNAL.pairColumns, rowGroupBytes: 1.5 }, 'parquet rowGroupBytes must be a positive integer, got 1.5'],
    [
      { columns: QA_INTERNAL.pairColumns, compression: { codec: 'ZSTD', level: 20 } },
      'parquet compression must be SNAPPY or ZSTD with a level from 1 to 19, got {"codec":"ZSTD","level":20}',
    ],
    [{ columns: QA_INTERNAL.pairColumns, compression: { codec: 'GZIP' } as never }, 'parquet compression must be SNAPPY or ZSTD with a level from 1 to 19, got {"codec":"GZIP"}'],
  ])('rejects %j', async (options, message) => {
    const err = await rejected(ParquetShardWriter.create(new MemorySink(), options));
    expect([err.code, err.message]).toEqual(['ERR_OPTION', message]);
  });

  test('writing after finish is an error', async () => {
    const shard = await ParquetShardWriter.create(new MemorySink(), PAIRS);
    await shard.finish();
    const err = await rejected(shard.write(ROWS_ONE));
    expect([err.code, err.message]).toEqual(['ERR_USAGE', 'parquet shard is already finished']);
  });

  test('a row with a non-string in a string column is an internal error, not a corrupt file', async () => {
    const shard = await ParquetShardWriter.create(new MemorySink(), PAIRS);
    await expect(shard.write([{ ...ROWS_ONE[0], question: 5 }])).rejects.toThrow('internal: parquet column question got number, not a string');
  });
});
