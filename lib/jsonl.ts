/**
 * jsonl — rows to JSON Lines with a fixed column order and one JSON type per column.
 *
 * Arrow (and so HF `datasets`) types a column from the values it sees first, so a
 * float column must never show an integer literal: 1 is written `1.0`. Strings are
 * written as UTF-8 as is (JSON.stringify escapes only quotes, backslashes and
 * control characters).
 *
 *   const write = makeRowWriter([{ name: 'q', type: 'string' }, { name: 's', type: 'float' }]);
 *   write({ q: 'Hej', s: 1 }) // '{"q":"Hej","s":1.0}'
 */

export type ColumnType = 'string' | 'float' | 'int' | 'bool';

export interface Column {
  name: string;
  type: ColumnType;
}

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
