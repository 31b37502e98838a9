/**
 * eval-sets — reads `--decontaminate FILE…` (evaluation sets: JSON Lines, plain,
 * gzip or zstd, or Parquet with any codec but LZ4, told by their first bytes) into one NgramIndex
 * (lib/quality/contamination.ts), before any input is read. Every string of a record
 * (in lists and nested objects too: a benchmark's `choices`) is evaluation text, or
 * only the top-level fields `--decontaminate-fields` names. Each file's sha256 is
 * hashed as it is read: it goes into the options hash, so a changed evaluation set
 * refuses a resume as a changed option does. JSON Lines are streamed line by line;
 * a Parquet file is read whole (evaluation sets are small; the index, not the file,
 * is what stays in memory).
 * Errors (ERR_OPTION, one line, naming the file): missing or unreadable, neither JSON
 * Lines nor Parquet, a line that is not a JSON object (with its line number), a named
 * field no record has.
 *
 *   const sets = await loadEvalSets(['mmlu.jsonl'], { ngram: 13, fields: null });
 *   sets.index.firstMatch(answer)   // 0: mmlu.jsonl, or -1
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import { brotliDecompressSync, createGunzip, gunzipSync } from 'node:zlib';
import { loadZstd } from '../dataset/zstd';
import { MAGIC_BYTES, detectCompression } from '../input/compression';
import { optionError, toQaHfError } from '../errors';
import { NgramIndex } from '../quality/contamination';

export interface EvalSetFile {
  /** The file as given (its base name in report.json). */
  file: string;
  sha256: string;
  records: number;
  /** n-grams this file added that no earlier file had. */
  ngrams: number;
  /** Its texts of N words or more (0: it can match nothing). */
  long_texts: number;
}

export interface EvalSets {
  index: NgramIndex;
  files: EvalSetFile[];
}

const PARQUET = Buffer.from('PAR1');

/** Every string in `value` (lists and objects walked), appended to `out`. */
function stringsOf(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) stringsOf(item, out);
}

export async function loadEvalSets(files: readonly string[], options: { ngram: number; fields: readonly string[] | null }): Promise<EvalSets> {
  if (files.length > 0xffff) throw optionError('decontaminate', `--decontaminate takes at most ${0xffff} files, got ${files.length}`);
  const index = new NgramIndex(options.ngram);
  const loaded: EvalSetFile[] = [];
  for (const [at, file] of files.entries()) {
    const before = index.size;
    let longTexts = 0;
    const seen = new Set<string>();
    const addRecord = (record: unknown, where: string): void => {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) throw optionError('decontaminate', `--decontaminate ${file}: ${where} is not a JSON object`);
      const texts: string[] = [];
      if (options.fields === null) stringsOf(record, texts);
      else
        for (const field of options.fields) {
          if (!Object.hasOwn(record, field)) continue;
          seen.add(field);
          stringsOf((record as Record<string, unknown>)[field], texts);
        }
      for (const text of texts) if (index.addText(text, at) > 0) longTexts++;
    };
    const { sha256, records } = await readRecords(file, addRecord);
    const missing = options.fields?.filter((field) => !seen.has(field)) ?? [];
    if (records > 0 && missing.length > 0) {
      throw optionError('decontaminateFields', `--decontaminate-fields ${missing.join(', ')}: no record of ${file} has ${missing.length === 1 ? 'this field' : 'these fields'}`);
    }
    loaded.push({ file, sha256, records, ngrams: index.size - before, long_texts: longTexts });
  }
  return { index, files: loaded };
}

/** Reads each record of an evaluation file into `add`; returns the file's sha256 and record count. */
async function readRecords(file: string, add: (record: unknown, where: string) => void): Promise<{ sha256: string; records: number }> {
  let head: Buffer;
  try {
    const handle = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(MAGIC_BYTES);
      const { bytesRead } = await handle.read(head, 0, MAGIC_BYTES, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const error = toQaHfError(err);
    throw optionError('decontaminate', `--decontaminate ${file}: ${error.message.replace(`: ${file}`, '').replace(` ${file}`, '')}`);
  }
  if (head.subarray(0, PARQUET.length).equals(PARQUET)) return readParquet(file, add);
  const hash = createHash('sha256');
  const raw = createReadStream(file);
  raw.on('data', (chunk) => hash.update(chunk));
  // Compression told by the magic bytes, as for inputs (lib/input/compression.ts); any other: read as text.
  const compression = detectCompression(head);
  const decoder = compression === 'gzip' ? createGunzip() : compression === 'zstd' ? new (loadZstd('read a zstd evaluation set').DecompressStream)() : new PassThrough();
  const text: Readable = raw.pipe(decoder);
  raw.on('error', (err) => text.destroy(err));
  let records = 0;
  let line = 0;
  try {
    for await (const textLine of createInterface({ input: text, crlfDelay: Infinity })) {
      line++;
      const trimmed = textLine.trim();
      if (trimmed === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(line === 1 ? trimmed.replace(/^\uFEFF/, '') : trimmed);
      } catch {
        throw optionError('decontaminate', `--decontaminate ${file}: line ${line} is not JSON (an evaluation set is JSON Lines or Parquet)`);
      }
      add(record, `line ${line}`);
      records++;
    }
  } catch (err) {
    if ((err as { option?: string }).option !== undefined) throw err;
    throw optionError('decontaminate', `--decontaminate ${file}: ${toQaHfError(err).message} (an evaluation set is JSON Lines, plain, gzip or zstd, or Parquet)`);
  }
  return { sha256: hash.digest('hex'), records };
}

/** The codecs hyparquet leaves to its caller (it reads SNAPPY and uncompressed pages itself): node:zlib's and zstd-napi's. */
const PARQUET_CODECS = {
  GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)),
  BROTLI: (input: Uint8Array) => new Uint8Array(brotliDecompressSync(input)),
  ZSTD: (input: Uint8Array) => new Uint8Array(loadZstd('read a zstd Parquet evaluation set').decompress(input)),
};

async function readParquet(file: string, add: (record: unknown, where: string) => void): Promise<{ sha256: string; records: number }> {
  const bytes = await fs.readFile(file);
  const { parquetReadObjects } = await import('hyparquet');
  let rows: Record<string, unknown>[];
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    rows = await parquetReadObjects({ file: buffer, compressors: PARQUET_CODECS });
  } catch (err) {
    throw optionError('decontaminate', `--decontaminate ${file}: not a readable Parquet file (${(err as Error).message.split('\n')[0]})`);
  }
  rows.forEach((row, i) => add(row, `row ${i + 1}`));
  return { sha256: createHash('sha256').update(bytes).digest('hex'), records: rows.length };
}
