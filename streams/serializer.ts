/**
 * serializer — writes each batch's rows as JSONL text per output.
 *
 * Input/output: Batch, with `output` = { pairs, rejected, errors } strings (LF,
 * one row per line, fixed keys and types per output). With `failFast`, a batch is
 * cut just before its first bad line and marked to stop the run once written.
 *
 *   createSerializer({ failFast: true })
 */
import type { Transform } from 'node:stream';
import { DEFAULT_PRESET, getPreset } from '../lib/presets';
import { makeJsonlWriters, serializeBatch } from '../lib/serialize';
import { batchStage } from './batch-stage';

export interface SerializerOptions {
  preset?: string;
  failFast?: boolean;
}

export function createSerializer(options: SerializerOptions = {}): Transform {
  const writers = makeJsonlWriters(getPreset(options.preset ?? DEFAULT_PRESET));
  const failFast = options.failFast ?? false;
  return batchStage((batch) => serializeBatch(batch, writers, failFast));
}
