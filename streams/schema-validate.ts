/**
 * schema-validate — checks each parsed record against a JSON Schema (ajv,
 * compiled once when the stage is made).
 *
 * Input/output: Batch. A record that does not match becomes an ERR_SCHEMA entry
 * whose message names the field: "validation.composite_score must be <= 1".
 *
 *   createSchemaValidator()                     // the default preset's schema
 *   createSchemaValidator({ schema: mySchema }) // any JSON Schema object
 */
import type { Transform } from 'node:stream';
import { compileSchema, validateBatch } from '../lib/input/schema';
import { withPresetMapping } from '../lib/io/presets';
import { type MappingSpec, resolvePreset } from '../lib/input/mapping';
import { batchStage } from './batch-stage';

export interface SchemaValidatorOptions {
  /** JSON Schema object; default: the schema of `preset`. */
  schema?: object;
  preset?: string;
  /** A declarative mapping (lib/input/mapping.ts) instead of the preset's. */
  mapping?: MappingSpec;
}

export function createSchemaValidator(options: SchemaValidatorOptions = {}): Transform {
  const schema = options.schema ?? resolvePreset(withPresetMapping(options)).schema;
  const validate = compileSchema(schema);
  return batchStage((batch) => validateBatch(batch, validate));
}
