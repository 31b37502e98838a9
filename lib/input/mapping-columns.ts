/**
 * mapping-columns — the compiled parts of a mapping (lib/input/mapping.ts): each column
 * spec (a path `answers.text[0]`, a template `{title}#{id}`, or a JSONata expression,
 * with its type and default) compiled once into an accessor over pre-split keys,
 * with what it knows of byte transparency; and recordMapper, which applies the
 * compiled columns to a record: a row for pairs or rejected, or the ERR_MAPPING
 * message naming the column and how it is found.
 *
 *   parsePath('answers.text[0]')  // ['answers', 'text', 0]
 *   const { column } = compileColumn('answer', 'answers.text[0]', '/columns/answer');
 *   column.get({ answers: { text: ['A'] } })  // 'A'
 */
import jsonata from 'jsonata';
import type { Row } from '../batch';
import type { ColumnType } from '../columns';
import { configError, got, pointerOf } from '../errors';
import type { MapResult } from './presets';

/** A column's declared type; `json` is written as a string column. */
export type ColumnTypeName = ColumnType | 'json';

export const COLUMN_TYPE_NAMES: readonly ColumnTypeName[] = ['string', 'float', 'int', 'bool', 'list<string>', 'json'];

export interface ColumnSpecObject {
  path?: string;
  template?: string;
  jsonata?: string;
  type?: ColumnTypeName;
  default?: unknown;
}

export type ColumnSpec = string | ColumnSpecObject;

const COLUMN_KEYS = ['path', 'template', 'jsonata', 'type', 'default'];

/** The column of rejected rows. */
export const FAILURE_REASON_COLUMN = 'failure_reason';

export type Getter = (record: Record<string, unknown>) => unknown;

/** Returned by a JSONata getter whose evaluation threw; its message is in `jsonataFailure`. */
const FAILED = Symbol('failed');

/** Marks a converted value as the wrong type (never a valid value). */
const WRONG = Symbol('wrong');

export interface CompiledColumn {
  name: string;
  type: ColumnTypeName;
  get: Getter;
  /** How the column is found, for messages: `path answers.text[0]`. */
  source: string;
  hasDefault: boolean;
  /** The default as written (json: its JSON text). */
  fallback: unknown;
  /** Set by a JSONata getter that threw. */
  failure: { message: string };
}

export const ASCII = /^\p{ASCII}*$/u;

/** A path's keys: `a.b[0]` → ['a', 'b', 0]; null when the syntax is wrong. */
export function parsePath(path: string): (string | number)[] | null {
  if (path === '') return null;
  const keys: (string | number)[] = [];
  const token = /([^.[\]{}\s]+)|\[(\d+)\]/y;
  let at = 0;
  let expectName = true;
  while (at < path.length) {
    if (!expectName && path[at] === '.') {
      at++;
      expectName = true;
      continue;
    }
    token.lastIndex = at;
    const match = token.exec(path);
    if (match === null) return null;
    if (match[1] !== undefined) {
      if (!expectName) return null; // `a[0]b`
      keys.push(match[1]);
    } else {
      if (keys.length === 0 || expectName) return null; // `[0]`, `a.[0]`
      keys.push(Number(match[2]));
    }
    expectName = false;
    at = token.lastIndex;
  }
  return expectName ? null : keys;
}

/** An accessor for pre-split keys: no per-record parsing, no allocation. */
function compileKeys(keys: readonly (string | number)[]): Getter {
  if (keys.length === 1) {
    const k0 = keys[0];
    return (record) => record[k0];
  }
  if (keys.length === 2) {
    const [k0, k1] = keys;
    return (record) => {
      const outer = record[k0];
      return outer !== null && typeof outer === 'object' ? (outer as Record<string | number, unknown>)[k1] : undefined;
    };
  }
  const count = keys.length;
  return (record) => {
    let value: unknown = record;
    for (let i = 0; i < count; i++) {
      if (value === null || typeof value !== 'object') return undefined;
      value = (value as Record<string | number, unknown>)[keys[i]];
    }
    return value;
  };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What a value is, for a message: `a number`, `an array`, … */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  const type = typeof value;
  return type === 'object' || type === 'undefined' ? `an ${type}` : `a ${type}`;
}

/** The value written for `type`, or WRONG. */
function convert(type: ColumnTypeName, value: unknown): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : WRONG;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? value : WRONG;
    case 'int':
      return Number.isSafeInteger(value) ? value : WRONG;
    case 'bool':
      return typeof value === 'boolean' ? value : WRONG;
    case 'list<string>':
      if (!Array.isArray(value)) return WRONG;
      for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return WRONG;
      return value;
    case 'json':
      return typeof value === 'function' || typeof value === 'symbol' ? WRONG : JSON.stringify(value);
  }
}

/** A spec compiled, with what it knows about byte transparency. */
interface Compiled {
  getter: Getter;
  source: string;
  transparent: boolean;
  kind: 'path' | 'template' | 'jsonata';
}

export function compilePathAt(path: unknown, pointer: string, what = 'path'): { getter: Getter; keys: (string | number)[] } {
  if (typeof path !== 'string') throw configError(pointer, `${what} must be a string, ${got(path)}`);
  const keys = parsePath(path);
  if (keys === null) throw configError(pointer, `bad path: names joined by dots with [n] indexes, like answers.text[0], ${got(path)}`);
  return { getter: compileKeys(keys), keys };
}

export function asciiKeys(keys: readonly (string | number)[]): boolean {
  return keys.every((key) => typeof key === 'number' || ASCII.test(key));
}

/** `{title}#{id}` → literals and accessors, joined per record without a regex. */
function compileTemplate(template: string, pointer: string): Compiled {
  const literals: string[] = [];
  const getters: Getter[] = [];
  const paths: string[] = [];
  let transparent = true;
  let literal = '';
  let at = 0;
  while (at < template.length) {
    const c = template[at];
    if ((c === '{' || c === '}') && template[at + 1] === c) {
      literal += c; // `{{` and `}}` are literal braces
      at += 2;
      continue;
    }
    if (c === '}') throw configError(pointer, `bad template: a lone } (write }} for a brace), ${got(template)}`);
    if (c === '{') {
      const end = template.indexOf('}', at + 1);
      if (end === -1) throw configError(pointer, `bad template: a { without its }, ${got(template)}`);
      const path = template.slice(at + 1, end);
      const keys = parsePath(path);
      if (keys === null) throw configError(pointer, `bad path {${path}} in template: names joined by dots with [n] indexes, ${got(template)}`);
      literals.push(literal);
      literal = '';
      getters.push(compileKeys(keys));
      paths.push(path);
      transparent &&= asciiKeys(keys);
      at = end + 1;
      continue;
    }
    literal += c;
    at++;
  }
  literals.push(literal);
  if (getters.length === 0) throw configError(pointer, `a template needs at least one {path}, ${got(template)}`);
  transparent &&= literals.every((text) => ASCII.test(text));
  const count = getters.length;
  const getter: Getter = (record) => {
    let text = literals[0];
    for (let i = 0; i < count; i++) {
      const value = getters[i](record);
      if (typeof value === 'string') text += value;
      else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') text += String(value);
      else return value === undefined || value === null ? undefined : WRONG;
      text += literals[i + 1];
    }
    return text;
  };
  return { getter, source: `template ${template}`, transparent, kind: 'template' };
}

function compileJsonata(expression: unknown, pointer: string, failure: { message: string }): Compiled {
  if (typeof expression !== 'string' || expression.trim() === '') throw configError(pointer, `jsonata must be an expression, ${got(expression)}`);
  let compiled: jsonata.Expression;
  try {
    compiled = jsonata(expression);
  } catch (err) {
    const e = err as { message?: string; position?: number };
    const at = typeof e.position === 'number' ? ` at character ${e.position}` : '';
    throw configError(pointer, `bad JSONata${at}: ${String(e.message ?? err)}, ${got(expression)}`);
  }
  const getter: Getter = (record) => {
    try {
      const value: unknown = compiled.evaluate(record);
      // A JSONata sequence is an array with extra flags: write a plain copy.
      return Array.isArray(value) ? Array.from(value as unknown[]) : value;
    } catch (err) {
      failure.message = String((err as Error)?.message ?? err);
      return FAILED;
    }
  };
  return { getter, source: `jsonata ${expression}`, transparent: false, kind: 'jsonata' };
}

export function compileColumn(name: string, spec: unknown, pointer: string): { column: CompiledColumn; transparent: boolean; kind: Compiled['kind'] } {
  const failure = { message: '' };
  let compiled: Compiled;
  let type: ColumnTypeName = 'string';
  let hasDefault = false;
  let fallback: unknown;
  if (typeof spec === 'string') {
    compiled = spec.includes('{') || spec.includes('}') ? compileTemplate(spec, pointer) : compilePath(spec, pointer);
  } else if (isObject(spec)) {
    for (const key of Object.keys(spec)) {
      if (!COLUMN_KEYS.includes(key)) throw configError(`${pointer}${pointerOf([key])}`, `unknown key in a column, expected ${COLUMN_KEYS.join(', ')}, ${got(key)}`);
    }
    const ways = (['path', 'template', 'jsonata'] as const).filter((key) => spec[key] !== undefined);
    if (ways.length !== 1) throw configError(pointer, `a column needs exactly one of path, template, jsonata, ${got(ways)}`);
    const way = ways[0];
    const at = `${pointer}/${way}`;
    if (way === 'path') compiled = compilePath(spec.path, at);
    else if (way === 'template') {
      if (typeof spec.template !== 'string') throw configError(at, `template must be a string, ${got(spec.template)}`);
      compiled = compileTemplate(spec.template, at);
    } else compiled = compileJsonata(spec.jsonata, at, failure);
    if (spec.type !== undefined) {
      if (!(COLUMN_TYPE_NAMES as readonly unknown[]).includes(spec.type)) {
        throw configError(`${pointer}/type`, `unknown column type, expected one of ${COLUMN_TYPE_NAMES.join(', ')}, ${got(spec.type)}`);
      }
      type = spec.type as ColumnTypeName;
    }
    if (way === 'template' && type !== 'string') throw configError(`${pointer}/type`, `a template makes a string, ${got(type)}`);
    if (spec.default !== undefined) {
      fallback = convert(type, spec.default);
      if (fallback === WRONG || spec.default === null) throw configError(`${pointer}/default`, `default must be a ${type}, ${got(spec.default)}`);
      hasDefault = true;
      // A default written on the byte path must be its own byte text.
      compiled.transparent &&= ASCII.test(JSON.stringify(fallback) ?? '');
    }
  } else {
    throw configError(pointer, `a column is a path, a template or an object with path, template or jsonata, ${got(spec)}`);
  }
  const column: CompiledColumn = { name, type, get: compiled.getter, source: compiled.source, hasDefault, fallback, failure };
  return { column, transparent: compiled.transparent, kind: compiled.kind };
}

function compilePath(path: unknown, pointer: string): Compiled {
  const { getter, keys } = compilePathAt(path, pointer);
  return { getter, source: `path ${String(path)}`, transparent: asciiKeys(keys), kind: 'path' };
}

export function outputColumnType(type: ColumnTypeName): ColumnType {
  return type === 'json' ? 'string' : type;
}

/** A kept field as its string column: strings as is, absent or null '', anything else its JSON text. */
function keptValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null || typeof value === 'function') return '';
  return JSON.stringify(value);
}

/**
 * The compiled mapping applied to one record: the columns in order, then the kept
 * fields; `passed` (absent: every record passes) and `failure_reason` decide pairs or
 * rejected. A JSONata column that threw, a value missing without a default or of the
 * wrong type, a `passed` that is not a boolean or a `failure_reason` that is not a
 * string make the record an error whose message names the column and its path.
 */
export function recordMapper(
  columns: readonly CompiledColumn[],
  keep: readonly string[],
  passed: Getter | null,
  failureReason: Getter | null,
  passedPath: string | undefined,
  failurePath: string | undefined,
): (record: Record<string, unknown>) => MapResult {
  const count = columns.length;
  const keepCount = keep.length;

  function map(record: Record<string, unknown>): MapResult {
    const row: Row = {};
    for (let i = 0; i < count; i++) {
      const column = columns[i];
      const raw = column.get(record);
      let value: unknown;
      if (raw === FAILED) return { channel: 'errors', message: `column ${column.name}: ${column.source} failed: ${column.failure.message}` };
      if (raw === undefined || raw === null) {
        if (!column.hasDefault) return { channel: 'errors', message: `column ${column.name}: ${column.source} is missing` };
        value = column.fallback;
      } else {
        value = raw === WRONG ? WRONG : convert(column.type, raw);
        if (value === WRONG) {
          const what = raw === WRONG ? 'a value that is not a string, number or boolean' : kindOf(raw);
          return { channel: 'errors', message: `column ${column.name}: ${column.source} holds ${what}, expected ${column.type}` };
        }
      }
      row[column.name] = value;
    }
    for (let i = 0; i < keepCount; i++) row[keep[i]] = keptValue(record[keep[i]]);
    if (passed !== null) {
      const ok = passed(record);
      if (ok === true) return { channel: 'pairs', row };
      if (ok !== false) {
        const what = ok === undefined ? 'is missing' : `holds ${kindOf(ok)}, expected bool`;
        return { channel: 'errors', message: `passed: path ${passedPath} ${what}` };
      }
    } else {
      return { channel: 'pairs', row };
    }
    let reason: unknown = failureReason === null ? '' : failureReason(record);
    if (reason === undefined || reason === null) reason = '';
    if (typeof reason !== 'string') return { channel: 'errors', message: `failure_reason: path ${failurePath} holds ${kindOf(reason)}, expected string` };
    row[FAILURE_REASON_COLUMN] = reason;
    return { channel: 'rejected', row };
  }
  return map;
}
