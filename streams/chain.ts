/**
 * chain — the one place stages are joined: pump, promisified, so an error in any
 * stage destroys them all and rejects once (no `.pipe()` chains anywhere).
 *
 *   await runChain([createFileSource(files), ...createProcessingStages(), createSink({ outputs })]);
 */
import pump from 'pump';
import type { Stream, Transform } from 'node:stream';
import { DEFAULT_PRESET, getPreset } from '../lib/presets';
import { createLineSplitter } from './line-splitter';
import { createJsonParser } from './json-parse';
import { createSchemaValidator } from './schema-validate';
import { createHfMapper } from './hf-mapper';
import { createSerializer } from './serializer';

export function runChain(stages: Stream[]): Promise<void> {
  return new Promise((resolve, reject) => {
    pump(stages as unknown as pump.Stream[], (err?: Error) => (err ? reject(err) : resolve()));
  });
}

export interface ProcessingOptions {
  preset?: string;
  /** JSON Schema object replacing the preset's. */
  schema?: object;
  maxLineBytes?: number;
  failFast?: boolean;
}

/** Splitter → parser → validator → mapper → serializer, options checked up front. */
export function createProcessingStages(options: ProcessingOptions = {}): Transform[] {
  const preset = getPreset(options.preset ?? DEFAULT_PRESET).name;
  return [
    createLineSplitter({ maxLineBytes: options.maxLineBytes }),
    createJsonParser(),
    createSchemaValidator({ preset, schema: options.schema }),
    createHfMapper({ preset }),
    createSerializer({ preset, failFast: options.failFast }),
  ];
}
