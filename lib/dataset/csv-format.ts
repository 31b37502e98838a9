/**
 * csv-format — the csv output format: RFC 4180, CRLF records, a header row, fields
 * quoted when they hold a comma, quote, CR or LF, empty strings written "" (see
 * CSV_OPTIONS); values written like the JSONL's.
 *
 *   const csv = makeCsvFormatter({ columns: QA_INTERNAL.pairColumns });
 *   csv.header + csv.rows(rows) // 'question,answer,…\r\n"Hur, då?",Så.,…\r\n'
 */
import { stringify } from 'csv-stringify/sync';
import type { Row } from '../batch';
import { formatFloat } from './jsonl';
import type { FormatOptions } from './formats';

/** RFC 4180 records end in CRLF. */
export const CSV_RECORD_DELIMITER = '\r\n';

/**
 * csv-stringify options: CRLF records; a field is quoted when it holds a comma, a
 * quote (doubled inside), CR or LF. `quote_record_delimiter` must be set: with an
 * explicit record delimiter csv-stringify 6 otherwise quotes only fields holding
 * the whole CRLF, and a bare LF or CR would end the record. Empty strings are
 * written `""`, the one spelling a
 * reader can tell from a missing value (DuckDB with allow_quoted_nulls=false reads
 * '' for it; HF's pandas reader needs keep_default_na=False, which the card sets).
 */
const CSV_OPTIONS = { record_delimiter: CSV_RECORD_DELIMITER, quote_record_delimiter: true, quoted_empty: true, eof: true } as const;

export interface CsvFormatter {
  /** The header record, CRLF included: the first bytes of every CSV shard. */
  readonly header: string;
  /** Records for a batch of rows, each ending in CRLF ('' for no rows). */
  rows(rows: readonly Row[]): string;
  /** One record, CRLF included: for the per-record rollover decision. */
  row(row: Row): string;
}

/**
 * CSV for flat rows: values written like the JSONL (floats as `1.0`, a list<string>
 * as its JSON text, since CSV has no lists), one header per
 * shard. Quoting looks only at ASCII characters, so rows of byte texts give the byte
 * text of the CSV (write it with latin1); `byteText` changes nothing here.
 */
export function makeCsvFormatter(options: FormatOptions): CsvFormatter {
  const columns = options.columns;
  const cells = columns.map((column): ((value: unknown) => string) => {
    switch (column.type) {
      case 'string':
        return (value) => value as string;
      case 'float':
        return (value) => formatFloat(value as number);
      case 'int':
        return (value) => String(Math.trunc(value as number));
      case 'bool':
        return (value) => (value ? 'true' : 'false');
      case 'list<string>':
        return (value) => JSON.stringify(value);
    }
  });
  const record = (row: Row): string[] => columns.map((column, i) => cells[i](row[column.name]));
  return {
    header: stringify([columns.map((column) => column.name)], CSV_OPTIONS),
    rows: (rows) => (rows.length === 0 ? '' : stringify(rows.map(record), CSV_OPTIONS)),
    row: (row) => stringify([record(row)], CSV_OPTIONS),
  };
}
