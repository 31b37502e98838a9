/**
 * jsonl — rows to JSON Lines with a fixed column order and one JSON type per column.
 *
 * Arrow (and so HF `datasets`) types a column from the values it sees first, so a
 * float column must never show an integer literal: 1 is written `1.0`. Strings are
 * written as UTF-8 as is (JSON.stringify escapes only quotes, backslashes and
 * control characters).
 *
 * A byte-row writer (makeByteRowWriter) takes rows whose strings are byte texts
 * (lib/input/byte-text.ts), with the record and line they came from, and returns the byte
 * text of the row, so latin1-encoding it gives the UTF-8 row. Where a column's
 * value is a record field whose literal in the line is canonical, it copies that
 * literal rather than escaping the value again (lib/input/literals.ts): the same bytes,
 * at a third of the cost on 1 kB answers.
 *
 *   const write = makeRowWriter([{ name: 'q', type: 'string' }, { name: 's', type: 'float' }]);
 *   write({ q: 'Hej', s: 1 }) // '{"q":"Hej","s":1.0}'
 */
import { toByteText } from '../input/byte-text';
import type { Column, ColumnType } from '../columns';
import { isCanonicalLiteral, LiteralLocator } from '../input/literals';


/** A float literal for any finite number: `1` → `1.0`, `-0` → `-0.0`, `1e21` stays. */
export function formatFloat(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} as a JSON float`);
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  // String() gives '1', '0.5', '1e+21' or '1.5e-7': only the first kind needs a fraction.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e /* . */ || c === 0x65 /* e */) return text;
  }
  return `${text}.0`;
}

function formatValue(type: ColumnType, value: unknown): string {
  switch (type) {
    case 'string':
      return JSON.stringify(value);
    case 'float':
      return formatFloat(value as number);
    case 'int':
      return String(Math.trunc(value as number));
    case 'bool':
      return value ? 'true' : 'false';
    case 'list<string>':
      return JSON.stringify(value);
  }
}

export type RowWriter = (row: Record<string, unknown>) => string;

/** Compiles the columns into a writer producing one JSON object (no newline). */
export function makeRowWriter(columns: readonly Column[]): RowWriter {
  const names = columns.map((column) => column.name);
  const types = columns.map((column) => column.type);
  const prefixes = columns.map((column, i) => `${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`);
  const count = columns.length;
  return (row) => {
    let text = '';
    for (let i = 0; i < count; i++) {
      const type = types[i];
      const value = row[names[i]];
      text += prefixes[i] + (type === 'string' ? JSON.stringify(value) : formatValue(type, value));
    }
    return `${text}}`;
  };
}

/** Writes a row of byte texts; `record` is the parsed line and `line` its byte text. */
export type ByteRowWriter = (row: Record<string, unknown>, record: unknown, line: string) => string;

/**
 * Rows looked at for the record field a string column copies, before the column
 * is taken to be computed (like persona, `roll/erfarenhet`) and written as JSON.
 */
const MAX_SOURCE_TRIES = 64;

/**
 * Like makeRowWriter, for byte-text rows. Which record field a column copies is
 * learned from the rows (a field holding the same string, and no other field
 * does), then checked on every row: a row whose value is not that field's is
 * simply written with JSON.stringify.
 */
export function makeByteRowWriter(columns: readonly Column[]): ByteRowWriter {
  const names = columns.map((column) => column.name);
  const types = columns.map((column) => column.type);
  const prefixes = columns.map((column, i) => toByteText(`${i === 0 ? '{' : ','}${JSON.stringify(column.name)}:`));
  const count = columns.length;
  /** Per column: the record field its values come from, once learned. */
  const sources: Array<string[] | null> = columns.map(() => null);
  const tries = new Array<number>(count).fill(0);
  /** Per column: its slot in `locator`. */
  const slots = new Array<number>(count).fill(-1);
  let locator = new LiteralLocator([]);

  function learned(column: number, path: string[]): void {
    sources[column] = path;
    const paths: string[][] = [];
    for (let i = 0; i < count; i++) {
      const source = sources[i];
      slots[i] = source === null ? -1 : paths.push(source) - 1;
    }
    locator = new LiteralLocator(paths);
  }

  return (row, record, line) => {
    // 0: not looked for yet, 1: found, -1: the line cannot be read that way.
    let located = 0;
    let text = '';
    for (let i = 0; i < count; i++) {
      const type = types[i];
      const value = row[names[i]];
      text += prefixes[i];
      if (type !== 'string') {
        text += formatValue(type, value);
        continue;
      }
      const source = sources[i];
      if (source !== null) {
        if (typeof value === 'string' && fieldAt(record, source) === value) {
          if (located === 0) located = locator.locate(line) ? 1 : -1;
          if (located === 1) {
            const start = locator.start(slots[i]);
            const end = locator.end(slots[i]);
            if (start >= 0 && isCanonicalLiteral(line, start, end)) {
              text += line.slice(start, end);
              continue;
            }
          }
        }
      } else if (tries[i] < MAX_SOURCE_TRIES && typeof value === 'string' && value.length > 0) {
        tries[i]++;
        const path = onlyFieldHolding(record, value);
        if (path !== null) {
          learned(i, path);
          located = 0;
        }
      }
      text += JSON.stringify(value);
    }
    return `${text}}`;
  };
}

function fieldAt(record: unknown, path: readonly string[]): unknown {
  let value = record;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The one field (top level or one object down) holding `value`; null if none or several. */
function onlyFieldHolding(record: unknown, value: string): string[] | null {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return null;
  let found: string[] | null = null;
  for (const [key, member] of Object.entries(record)) {
    if (member === value) {
      if (found !== null) return null;
      found = [key];
    } else if (member !== null && typeof member === 'object' && !Array.isArray(member)) {
      for (const [inner, innerMember] of Object.entries(member)) {
        if (innerMember !== value) continue;
        if (found !== null) return null;
        found = [key, inner];
      }
    }
  }
  return found;
}
