/**
 * custom-format — the checks on a custom output format module and on every row it
 * returns. Pure: the module is loaded by lib/io/format-module.ts; this file only
 * looks at what it exports and what `row()` gives back.
 *
 * A module exports `{ name, columns, row }` (ESM named exports, an ESM default
 * export, or CommonJS `module.exports`):
 *
 *   name     a string (shown in messages)
 *   columns  the output features in order: [{ name, type }] with type string, float,
 *            int or bool; they become the config's features in the dataset card
 *   row      (row) → an object with exactly those keys, each of its declared type
 *
 * Its rows are written as JSONL in a config of their own (folder and config name:
 * the key under `formats`), keys in `columns` order, floats as floats
 * (lib/dataset/jsonl.ts), pairs only, like the chat formats. A row() that throws, returns
 * something other than a plain object, leaves out a declared column, adds one
 * that is not declared, or gives a value of another type stops the run with ONE
 * line, ERR_FORMAT_MODULE, naming the format, its module, the column and the
 * input line: a module bug is not bad input, so it is no dead-letter record; the
 * outputs written so far stay under their temporary names (nothing partial ever
 * appears), and the export resumes from its last checkpoint once the module is
 * fixed — the module file's sha256 is in the options hash, so a resume with a
 * changed module is refused (ERR_CHECKPOINT_MISMATCH) instead of mixing its rows.
 *
 *   const format = checkFormatModule({ name: 'mine', module: './mine.mjs' }, await import('./mine.mjs'));
 *   const line = makeCustomFormatter(format);
 *   line({ question: 'Hur?', answer: 'Så.' }, { file: 'a.jsonl', line: 3 }) // '{"q":"Hur?","a":"Så."}'
 */
import type { Row } from '../batch';
import type { Column, ColumnType } from '../columns';
import { type ErrorContext, QaHfError, got } from '../errors';
import { makeRowWriter } from './jsonl';

/** A custom format as the plan names it: the key under `formats` and its module path (as given). */
export interface CustomFormatSpec {
  name: string;
  module: string;
}

/** A loaded and checked custom format. */
export interface CustomFormat extends CustomFormatSpec {
  /** The name the module exports (messages). */
  moduleName: string;
  columns: readonly Column[];
  row: (row: Row) => unknown;
  /** sha256 of the module file (options hash: a resume with another module is refused). */
  sha256: string;
}

const COLUMN_TYPES: readonly ColumnType[] = ['string', 'float', 'int', 'bool'];
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function moduleError(spec: CustomFormatSpec, message: string, where: ErrorContext = {}): QaHfError {
  return new QaHfError('ERR_FORMAT_MODULE', `format ${spec.name} (${spec.module}): ${message}`, where);
}

/** The exports of a module as a format; ERR_FORMAT_MODULE naming what is wrong. */
export function checkFormatModule(spec: CustomFormatSpec, exported: unknown, sha256 = ''): CustomFormat {
  let value = exported as Record<string, unknown> | null;
  // import() of a CommonJS module, or an ESM default export: the object is `default`.
  if (value !== null && typeof value === 'object' && typeof value.row !== 'function' && typeof value.default === 'object' && value.default !== null) {
    value = value.default as Record<string, unknown>;
  }
  if (value === null || typeof value !== 'object') throw moduleError(spec, `exports nothing usable, ${got(typeof value)}`);
  const { name, columns, row } = value;
  if (typeof name !== 'string' || name === '') throw moduleError(spec, `exports no name (a non-empty string), ${got(name)}`);
  if (typeof row !== 'function') throw moduleError(spec, `exports no row function, ${got(typeof row)}`);
  if (!Array.isArray(columns) || columns.length === 0) throw moduleError(spec, `columns must be a non-empty list of {name, type}, ${got(columns)}`);
  const checked: Column[] = [];
  for (const [i, column] of columns.entries()) {
    const { name: columnName, type } = (column ?? {}) as Record<string, unknown>;
    if (typeof columnName !== 'string' || !COLUMN_NAME.test(columnName)) throw moduleError(spec, `columns[${i}].name must be a column name (letters, digits, _), ${got(columnName)}`);
    if (checked.some((c) => c.name === columnName)) throw moduleError(spec, `columns lists ${columnName} twice`);
    if (!COLUMN_TYPES.includes(type as ColumnType)) throw moduleError(spec, `column ${columnName}: type must be one of ${COLUMN_TYPES.join(', ')}, ${got(type)}`);
    checked.push({ name: columnName, type: type as ColumnType });
  }
  return { ...spec, moduleName: name, columns: checked, row: row as (row: Row) => unknown, sha256 };
}

// String.prototype.isWellFormed is in Node 20 (V8 11.3) but not yet in TS's ES2022 lib.
type WellFormedString = string & { isWellFormed(): boolean };

/** What is wrong with a value for a column of this type, or null. */
function typeProblem(type: ColumnType, value: unknown): string | null {
  switch (type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return (value as WellFormedString).isWellFormed() ? null : 'holds a lone UTF-16 surrogate, which UTF-8 cannot encode';
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? null : 'must be a finite number';
    case 'int':
      return Number.isSafeInteger(value) ? null : 'must be an integer';
    case 'bool':
      return typeof value === 'boolean' ? null : 'must be a boolean';
    case 'list<string>':
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return 'must be a list of strings';
      return (value as WellFormedString[]).every((item) => item.isWellFormed()) ? null : 'holds a lone UTF-16 surrogate, which UTF-8 cannot encode';
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * The line writer of a format: its row() on a flat row, checked, as one JSON
 * object (no newline). `where` (file, line, byte offset of the input line) goes
 * into the error.
 */
export function makeCustomFormatter(format: CustomFormat): (row: Row, where: ErrorContext) => string {
  const write = makeRowWriter(format.columns);
  const declared = new Set(format.columns.map((column) => column.name));
  return (input, where) => {
    let output: unknown;
    try {
      output = format.row(input);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw moduleError(format, `row() threw: ${message.split('\n')[0]}`, where);
    }
    if (output === null || typeof output !== 'object' || Array.isArray(output)) {
      throw moduleError(format, `row() must return an object, got ${Array.isArray(output) ? 'an array' : describe(output)}`, where);
    }
    const record = output as Row;
    for (const column of format.columns) {
      if (!Object.hasOwn(record, column.name) || record[column.name] === undefined) throw moduleError(format, `column ${column.name} is missing from what row() returned`, where);
      const problem = typeProblem(column.type, record[column.name]);
      if (problem !== null) throw moduleError(format, `column ${column.name} (${column.type}) ${problem}, got ${describe(record[column.name])}`, where);
    }
    for (const key of Object.keys(record)) {
      if (!declared.has(key)) throw moduleError(format, `row() returned column ${key}, which columns does not declare`, where);
    }
    return write(record);
  };
}
