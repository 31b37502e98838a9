/**
 * hf-mapper — maps valid records to flat HF rows with a preset.
 *
 * Input/output: Batch. Valid entries get `row` and the `pairs` or `rejected`
 * channel; a row with a lone surrogate becomes ERR_LONE_SURROGATE.
 *
 *   createHfMapper()                          // preset 'qa-internal'
 */
import type { Transform } from 'node:stream';
import { mapBatch } from '../lib/input/map';
import { withPresetMapping } from '../lib/io/presets';
import { type MappingSpec, resolvePreset } from '../lib/input/mapping';
import { batchStage } from './batch-stage';

export interface HfMapperOptions {
  preset?: string;
  /** A declarative mapping (lib/input/mapping.ts) instead of the preset's. */
  mapping?: MappingSpec;
}

export function createHfMapper(options: HfMapperOptions = {}): Transform {
  const preset = resolvePreset(withPresetMapping(options));
  return batchStage((batch) => mapBatch(batch, preset));
}
