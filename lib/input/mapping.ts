/**
 * mapping — a declarative mapping (plain data, from a config file or a shipped
 * preset) compiled into a Preset: which input fields make which output columns.
 * The spec is checked here; its columns and the record mapper that applies them
 * are lib/input/mapping-columns.ts.
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
 * Byte text (lib/input/byte-text.ts): the compiled map commutes with φ when it only
 * copies values found by ASCII keys, joins them with ASCII literals and fills in
 * ASCII defaults (JSON.stringify commutes with φ too, so json and kept columns
 * qualify); a JSONata column, or a non-ASCII key, literal or default, makes the
 * preset byteTransparent false.
 */
import type { Column } from '../columns';
import { configError, got, pointerOf } from '../errors';
import { DEFAULT_PRESET, getPreset, type Preset } from './presets';
import { type ColumnSpec, FAILURE_REASON_COLUMN, type Getter, type CompiledColumn, ASCII, isObject, compilePathAt, asciiKeys, compileColumn, outputColumnType, recordMapper } from './mapping-columns';

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

/** The schema of a mapping without `input.schema`: any object. */
const ANY_OBJECT_SCHEMA: object = { type: 'object' };

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
  const map = recordMapper(columns, keep, passed, failureReason, spec.passed, spec.failure_reason);
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
