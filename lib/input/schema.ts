/**
 * schema — JSON Schema validation with ajv, compiled once per run.
 *
 * The shipped presets' schemas are compiled at build time (ajv's standalone code, the
 * same validate function ajv.compile makes, with the same options: `npm run build` writes
 * dist/lib/input/schema-validators.js, scripts/bundle.mjs); a run with one of them
 * neither loads ajv (~0.05 s) nor compiles (~0.05 s). Any other schema (--schema, a
 * mapping's input.schema) is compiled here, ajv loaded on first use.
 *
 *   const validate = compileSchema(schemaObject);
 *   validate(record) // null when valid, else a one-line reason
 */
import * as path from 'node:path';
import type { ErrorObject, Options, ValidateFunction } from 'ajv';
import { type Batch, markError } from '../batch';
import { QaHfError } from '../errors';

export type RecordValidator = (value: unknown) => string | null;

// unicode: false — minLength then reads .length instead of walking the whole
// string to count code points (~1 µs on a 1 kB answer, 10 % of our per-record
// budget); "non-empty" means the same either way. ajv marks the option
// deprecated and logs so at compile time, hence the silent logger.
const AJV_OPTIONS: Options = { allErrors: false, unicode: false, strict: false, logger: false };

/** The file the build writes beside this module: [JSON of a schema, its validator's module factory][]. */
const PRECOMPILED_FILE = 'schema-validators.js';
let precompiled: Map<string, () => ValidateFunction> | null = null;

/** The build's validators by schema JSON (none when the file is absent: the sources under ts-jest). */
function precompiledValidators(): Map<string, () => ValidateFunction> {
  if (precompiled === null) {
    precompiled = new Map();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- written by the build beside this module, absent beside the sources
      const entries = (require(path.join(__dirname, PRECOMPILED_FILE)) as { validators: [string, () => ValidateFunction][] }).validators;
      precompiled = new Map(entries);
    } catch {
      // Not built: every schema is compiled.
    }
  }
  return precompiled;
}

export function compileSchema(schema: object): RecordValidator {
  let validate: ValidateFunction | undefined = precompiledValidators().get(JSON.stringify(schema))?.();
  if (validate === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ajv loaded only when a schema is compiled at run time
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    const ajv = new Ajv(AJV_OPTIONS);
    try {
      validate = ajv.compile(schema);
    } catch (err) {
      throw new QaHfError('ERR_SCHEMA_FILE', `schema does not compile: ${(err as Error).message}`);
    }
  }
  const checked = validate;
  return (value) => (checked(value) ? null : describeError(checked.errors?.[0], value, schema));
}

/**
 * The module the build writes as dist/lib/input/schema-validators.js: each schema's ajv
 * standalone code (compiled with compileSchema's options), keyed by the schema's JSON.
 */
export function precompiledModule(schemas: readonly object[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- build time only
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- build time only
  const standalone = (require('ajv/dist/standalone') as typeof import('ajv/dist/standalone')).default;
  const keys = [...new Set(schemas.map((schema) => JSON.stringify(schema)))];
  const entries = keys.map((key) => {
    const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
    const code = standalone(ajv, ajv.compile(JSON.parse(key) as object));
    return `[${JSON.stringify(key)}, () => {\nconst module = { exports: {} }, exports = module.exports;\n${code}\nreturn module.exports;\n}]`;
  });
  return `"use strict";\n// Written by npm run build (lib/input/schema.ts precompiledModule): ajv standalone validators of the shipped schemas.\nexports.validators = [\n${entries.join(',\n')}\n];\n`;
}

function describeError(error: ErrorObject | undefined, value: unknown, schema: object): string {
  if (!error) return 'does not match the schema';
  const where = error.instancePath === '' ? 'record' : error.instancePath.slice(1).replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${where === 'record' ? '' : `${where}.`}${missing} is required`;
  }
  if (error.keyword === 'minLength' && (error.params as { limit: number }).limit === 1) return `${where} must not be empty`;
  if (error.keyword === 'type') {
    // ajv says "must be string,null" for a list of types.
    const types = String((error.params as { type: string | string[] }).type).split(',');
    const expected = types.length > 1 ? `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}` : types[0];
    // null where the schema takes no null: a Python pipeline's None. Say so, and whether the field is required
    // (an optional field of the shipped schemas takes null, as when absent).
    if (valueAt(value, error.instancePath) === null) {
      const required = requiredAt(schema, error.schemaPath, error.instancePath);
      return `${where} must be ${expected}, got null${required ? ` (${where} is required: null counts as missing)` : ''}`;
    }
    return `${where} must be ${expected}`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

/** The value at a JSON pointer of ajv's `instancePath` (`/validation/passed`). */
function valueAt(value: unknown, pointer: string): unknown {
  for (const token of pointer === '' ? [] : pointer.slice(1).split('/')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return value;
}

/**
 * True when the property a `type` error is about is listed in its object's
 * `required`: the error's schema path is `…/properties/NAME/type`, its object's
 * schema the part before `/properties`. False when that cannot be told (a $ref).
 */
function requiredAt(schema: object, schemaPath: string, instancePath: string): boolean {
  const match = /^#((?:\/[^/]+)*)\/properties\/([^/]+)\/type$/.exec(schemaPath);
  if (!match) return false;
  const parent = valueAt(schema, match[1]) as { required?: unknown } | undefined;
  const name = match[2].replace(/~1/g, '/').replace(/~0/g, '~');
  return Array.isArray(parent?.required) && parent.required.includes(name) && instancePath.endsWith(`/${match[2]}`);
}

export function validateBatch(batch: Batch, validate: RecordValidator): Batch {
  for (const entry of batch.entries) {
    if (entry.channel !== null) continue;
    const reason = validate(entry.value);
    if (reason !== null) markError(entry, 'ERR_SCHEMA', reason);
  }
  return batch;
}
