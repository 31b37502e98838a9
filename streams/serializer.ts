/**
 * serializer — writes each batch's rows as JSONL text per output.
 *
 * Input/output: Batch, with `output` = { pairs, rejected, errors } strings (LF,
 * one row per line, fixed keys and types per output). With `failFast`, a batch is
 * cut just before its first bad line and marked to stop the run once written.
 *
 * With `onlyUnserialized`, a batch that already has its output passes as it is:
 * after a router that moved or redacted rows (and so cleared `output`), it
 * serializes only those batches (pipe mode with --pii/--dedup).
 *
 *   createSerializer({ failFast: true })
 */
import type { Transform } from 'node:stream';
import { withPresetMapping } from '../lib/io/presets';
import { type MappingSpec, resolvePreset } from '../lib/input/mapping';
import { makeJsonlWriters, serializeBatch } from '../lib/dataset/serialize';
import { batchStage } from './batch-stage';

export interface SerializerOptions {
  preset?: string;
  /** A declarative mapping (lib/input/mapping.ts) instead of the preset's. */
  mapping?: MappingSpec;
  failFast?: boolean;
  /** Serialize only batches whose `output` is null. */
  onlyUnserialized?: boolean;
}

export function createSerializer(options: SerializerOptions = {}): Transform {
  const writers = makeJsonlWriters(resolvePreset(withPresetMapping(options)));
  const failFast = options.failFast ?? false;
  const only = options.onlyUnserialized ?? false;
  return batchStage((batch) => (only && batch.output !== null ? batch : serializeBatch(batch, writers, failFast)));
}
