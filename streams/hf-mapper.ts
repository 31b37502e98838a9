/**
 * hf-mapper — maps valid records to flat HF rows with a preset.
 *
 * Input/output: Batch. Valid entries get `row` and the `pairs` or `rejected`
 * channel; a row with a lone surrogate becomes ERR_LONE_SURROGATE.
 *
 *   createHfMapper()                          // preset 'qa-internal'
 */
import type { Transform } from 'node:stream';
import { mapBatch } from '../lib/map';
import { DEFAULT_PRESET, getPreset } from '../lib/presets';
import { batchStage } from './batch-stage';

export interface HfMapperOptions {
  preset?: string;
}

export function createHfMapper(options: HfMapperOptions = {}): Transform {
  const preset = getPreset(options.preset ?? DEFAULT_PRESET);
  return batchStage((batch) => mapBatch(batch, preset));
}
