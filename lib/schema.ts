/**
 * schema — JSON Schema validation with ajv, compiled once per run.
 *
 *   const validate = compileSchema(schemaObject);
 *   validate(record) // null when valid, else a one-line reason
 */
import Ajv, { type ErrorObject } from 'ajv';
import { type Batch, markError } from './batch';
import { QaHfError } from './errors';

export type RecordValidator = (value: unknown) => string | null;

export function compileSchema(schema: object): RecordValidator {
  // unicode: false — minLength then reads .length instead of walking the whole
  // string to count code points (~1 µs on a 1 kB answer, 10 % of our per-record
  // budget); "non-empty" means the same either way. ajv marks the option
  // deprecated and logs so at compile time, hence the silent logger.
  const ajv = new Ajv({ allErrors: false, unicode: false, strict: false, logger: false });
  let validate;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new QaHfError('ERR_SCHEMA_FILE', `schema does not compile: ${(err as Error).message}`);
  }
  return (value) => (validate(value) ? null : describeError(validate.errors?.[0]));
}

function describeError(error: ErrorObject | undefined): string {
  if (!error) return 'does not match the schema';
  const where = error.instancePath === '' ? 'record' : error.instancePath.slice(1).replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${where === 'record' ? '' : `${where}.`}${missing} is required`;
  }
  if (error.keyword === 'minLength' && (error.params as { limit: number }).limit === 1) return `${where} must not be empty`;
  // ajv says "must be string,null" for a list of types.
  if (error.keyword === 'type') {
    const types = String((error.params as { type: string | string[] }).type).split(',');
    if (types.length > 1) return `${where} must be ${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}`;
  }
  return `${where} ${error.message ?? 'is invalid'}`;
}

export function validateBatch(batch: Batch, validate: RecordValidator): Batch {
  for (const entry of batch.entries) {
    if (entry.channel !== null) continue;
    const reason = validate(entry.value);
    if (reason !== null) markError(entry, 'ERR_SCHEMA', reason);
  }
  return batch;
}
