/**
 * mapping — a declarative mapping (plain data, from a config file or a shipped
 * preset) compiled into a Preset: which input fields make which output columns.
 *
 *   const preset = compileMapping({
 *     columns: {
 *       question: 'question',                                    // a path: dots and [n] indexes
 *       answer: 'answers.text[0]',
 *       source: '{title}#{id}',                                  // a template of paths
 *       validation_score: { path: 'meta.score', type: 'float', default: 1.0 },
 *       tags: { jsonata: "$join(meta.tags, ',')", type: 'string' },
 *     },
 *     passed: 'meta.ok',                                         // boolean path; absent: every record passes
 *     failure_reason: 'meta.reason',                             // string path, for rejected rows
 *     keep: ['id', 'model'],                                     // input fields after the declared columns
 *   }, 'squad');
 *   preset.map({ question: 'Q', answers: { text: ['A'] }, … })  // { channel: 'pairs', row: {…} }
 *
 * Rules:
 *   - A column is a string (a path, or a template when it holds `{…}`) or an object
 *     with one of `path`, `template`, `jsonata`, and optional `type` (default
 *     string) and `default`. Types: string, float, int, bool, list<string>, json.
 *     `json` takes any value and writes its JSON text, so the column is a string
 *     column (Parquet UTF8, card `string`). A float column takes any finite number
 *     and writes it as a float (1 → 1.0); an int column only safe integers.
 *   - A value that is absent or null takes the column's default; without one the
 *     record is an ERR_MAPPING error naming the column and the path. A value of
 *     the wrong type is ERR_MAPPING too. A template joins strings, numbers and
 *     booleans; any other value (or an absent one, without a default) is an error.
 *   - `passed` must hold a boolean (else ERR_MAPPING); `failure_reason` a string
 *     (absent or null: ''); rejected rows are the pair columns, then `failure_reason`.
 *   - `keep` names top-level input fields, written after the declared columns as
 *     string columns: a string as is, any other value as its JSON text, absent or
 *     null as ''. So each kept column has one type whatever the records hold.
 *   - A bad spec throws ERR_CONFIG with the JSON pointer of the node at fault
 *     (`/columns/answer/jsonata`), for the config reader to turn into file:line:column.
 *
 * Speed: paths and templates compile once to plain accessors over pre-split keys;
 * mapping a record allocates its row and nothing else. JSONata expressions are
 * compiled once and evaluated synchronously (jsonata 1.8).
 *
 * Byte text (lib/byte-text.ts): the compiled map commutes with φ when it only
 * copies values found by ASCII keys, joins them with ASCII literals and fills in
 * ASCII defaults (JSON.stringify commutes with φ too, so json and kept columns
 * qualify); a JSONata column, or a non-ASCII key, literal or default, makes the
 * preset byteTransparent false.
 */
import jsonata from 'jsonata';
import type { Row } from './batch';
import type { Column, ColumnType } from './columns';
import { configError, got, pointerOf } from './errors';
import { DEFAULT_PRESET, getPreset, type MapResult, type Preset } from './presets';

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

/** The mapping part of a config: plain data, structured-clonable. */
export interface MappingSpec {
  input?: { schema?: string | object };
  columns: Record<string, ColumnSpec>;
  passed?: string;
  failure_reason?: string;
  keep?: string[];
}

/** Keys a mapping spec may have (a config reader may take these from a larger file). */
export const MAPPING_KEYS: readonly string[] = ['input', 'columns', 'passed', 'failure_reason', 'keep'];

const COLUMN_KEYS = ['path', 'template', 'jsonata', 'type', 'default'];

/** The column of rejected rows. */
export const FAILURE_REASON_COLUMN = 'failure_reason';

/** The schema of a mapping without `input.schema`: any object. */
const ANY_OBJECT_SCHEMA: object = { type: 'object' };

type Getter = (record: Record<string, unknown>) => unknown;

/** Returned by a JSONata getter whose evaluation threw; its message is in `jsonataFailure`. */
const FAILED = Symbol('failed');

/** Marks a converted value as the wrong type (never a valid value). */
const WRONG = Symbol('wrong');

interface CompiledColumn {
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

const ASCII = /^\p{ASCII}*$/u;

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

function isObject(value: unknown): value is Record<string, unknown> {
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

function compilePathAt(path: unknown, pointer: string, what = 'path'): { getter: Getter; keys: (string | number)[] } {
  if (typeof path !== 'string') throw configError(pointer, `${what} must be a string, ${got(path)}`);
  const keys = parsePath(path);
  if (keys === null) throw configError(pointer, `bad path: names joined by dots with [n] indexes, like answers.text[0], ${got(path)}`);
  return { getter: compileKeys(keys), keys };
}

function asciiKeys(keys: readonly (string | number)[]): boolean {
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

function compileColumn(name: string, spec: unknown, pointer: string): { column: CompiledColumn; transparent: boolean; kind: Compiled['kind'] } {
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

function outputColumnType(type: ColumnTypeName): ColumnType {
  return type === 'json' ? 'string' : type;
}

/** A kept field as its string column: strings as is, absent or null '', anything else its JSON text. */
function keptValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null || typeof value === 'function') return '';
  return JSON.stringify(value);
}

/**
 * Compiles a mapping spec into a Preset named `name`. Throws ERR_CONFIG with the
 * JSON pointer of the node at fault. `input.schema` must be an object here (a
 * config reader resolves a path first); without one any object passes.
 */
export function compileMapping(spec: MappingSpec, name: string, description = `mapping ${name}`): Preset {
  if (!isObject(spec)) throw configError('', `a mapping must be an object, ${got(spec)}`);
  for (const key of Object.keys(spec)) {
    if (!MAPPING_KEYS.includes(key)) throw configError(pointerOf([key]), `unknown key in a mapping, expected ${MAPPING_KEYS.join(', ')}, ${got(key)}`);
  }

  // input.schema: an object (a path is the config reader's to resolve).
  let schema = ANY_OBJECT_SCHEMA;
  if (spec.input !== undefined) {
    if (!isObject(spec.input)) throw configError('/input', `input must be an object, ${got(spec.input)}`);
    for (const key of Object.keys(spec.input)) {
      if (key !== 'schema') throw configError(pointerOf(['input', key]), `unknown key in input, expected schema, ${got(key)}`);
    }
    const given = spec.input.schema;
    if (typeof given === 'string') throw configError('/input/schema', `a schema path must be loaded by the config reader before compiling, ${got(given)}`);
    if (given !== undefined) {
      if (!isObject(given)) throw configError('/input/schema', `input.schema must be a JSON Schema object or a path, ${got(given)}`);
      schema = given;
    }
  }

  // columns: the output columns, in order.
  if (!isObject(spec.columns) || Object.keys(spec.columns).length === 0) {
    throw configError('/columns', `columns must map output names to paths, templates or column objects, ${got(spec.columns)}`);
  }
  const columns: CompiledColumn[] = [];
  let transparent = true;
  for (const [columnName, columnSpec] of Object.entries(spec.columns)) {
    const pointer = pointerOf(['columns', columnName]);
    if (columnName === '' || columnName === FAILURE_REASON_COLUMN) {
      throw configError(pointer, `a column name must be non-empty and not ${FAILURE_REASON_COLUMN} (the rejected rows' own column), ${got(columnName)}`);
    }
    const compiled = compileColumn(columnName, columnSpec, pointer);
    columns.push(compiled.column);
    transparent &&= compiled.transparent;
  }

  // keep: top-level input fields carried through, after the declared columns.
  const keep: string[] = [];
  if (spec.keep !== undefined) {
    if (!Array.isArray(spec.keep)) throw configError('/keep', `keep must be a list of input field names, ${got(spec.keep)}`);
    spec.keep.forEach((field: unknown, i) => {
      const pointer = pointerOf(['keep', i]);
      if (typeof field !== 'string' || field === '' || /[.[\]{}\s]/.test(field)) throw configError(pointer, `keep names top-level input fields, ${got(field)}`);
      if (field === FAILURE_REASON_COLUMN || Object.hasOwn(spec.columns, field) || keep.includes(field)) {
        throw configError(pointer, `kept field is already a column, ${got(field)}`);
      }
      keep.push(field);
      transparent &&= ASCII.test(field);
    });
  }

  // passed: a boolean path; failure_reason: a string path for rejected rows.
  let passed: Getter | null = null;
  if (spec.passed !== undefined) {
    const { getter, keys } = compilePathAt(spec.passed, '/passed', 'passed');
    passed = getter;
    transparent &&= asciiKeys(keys);
  }
  let failureReason: Getter | null = null;
  if (spec.failure_reason !== undefined) {
    const { getter, keys } = compilePathAt(spec.failure_reason, '/failure_reason', 'failure_reason');
    failureReason = getter;
    transparent &&= asciiKeys(keys);
  }

  const pairColumns: Column[] = [
    ...columns.map((column) => ({ name: column.name, type: outputColumnType(column.type) })),
    ...keep.map((field): Column => ({ name: field, type: 'string' })),
  ];
  const rejectedColumns: Column[] = [...pairColumns, { name: FAILURE_REASON_COLUMN, type: 'string' }];
  const count = columns.length;
  const keepCount = keep.length;
  const passedPath = spec.passed;
  const failurePath = spec.failure_reason;

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

  return { name, description, schema, pairColumns, rejectedColumns, map, byteTransparent: transparent };
}

/** The name of the preset resolvePreset gives for these options: `preset`, else `config` for a mapping, else the default. */
export function presetName(options: { preset?: string; mapping?: unknown }): string {
  return options.preset ?? (options.mapping === undefined ? DEFAULT_PRESET : 'config');
}

/** Compiled mappings by spec object: a worker and the main thread compile each spec once. */
const compiledBySpec = new WeakMap<object, Preset>();

/**
 * The preset processing options name: `mapping` compiled (named `preset`, or
 * `config`), else the built-in preset `preset` (default qa-internal).
 */
export function resolvePreset(options: { preset?: string; mapping?: MappingSpec }): Preset {
  const mapping = options.mapping;
  if (mapping === undefined) return getPreset(options.preset ?? DEFAULT_PRESET);
  const name = presetName(options);
  const cached = isObject(mapping) ? compiledBySpec.get(mapping) : undefined;
  if (cached !== undefined && cached.name === name) return cached;
  const preset = compileMapping(mapping, name);
  compiledBySpec.set(mapping, preset);
  return preset;
}
