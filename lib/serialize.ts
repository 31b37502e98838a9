/**
 * serialize — a mapped batch to JSONL text per output: `pairs`, `rejected` and
 * `errors` (the dead letter, one object per bad line with its provenance).
 *
 *   {"file","line","offset","code","error","raw"}
 */
import { type Batch, cutAtFirstError } from './batch';
import { type Column, makeRowWriter, type RowWriter } from './jsonl';
import type { Preset } from './presets';

export const ERROR_COLUMNS: readonly Column[] = [
  { name: 'file', type: 'string' },
  { name: 'line', type: 'int' },
  { name: 'offset', type: 'int' },
  { name: 'code', type: 'string' },
  { name: 'error', type: 'string' },
  { name: 'raw', type: 'string' },
];

export interface JsonlWriters {
  pairs: RowWriter;
  rejected: RowWriter;
  errors: RowWriter;
}

export function makeJsonlWriters(preset: Preset): JsonlWriters {
  return {
    pairs: makeRowWriter(preset.pairColumns),
    rejected: makeRowWriter(preset.rejectedColumns),
    errors: makeRowWriter(ERROR_COLUMNS),
  };
}

export function serializeBatch(batch: Batch, writers: JsonlWriters, failFast = false): Batch {
  if (failFast) cutAtFirstError(batch);
  let pairs = '';
  let rejected = '';
  let errors = '';
  for (const entry of batch.entries) {
    switch (entry.channel) {
      case 'pairs':
        pairs += `${writers.pairs(entry.row!)}\n`;
        break;
      case 'rejected':
        rejected += `${writers.rejected(entry.row!)}\n`;
        break;
      case 'errors':
        errors += `${writers.errors({
          file: batch.file,
          line: entry.line,
          offset: entry.offset,
          code: entry.errorCode,
          error: entry.errorMessage,
          raw: entry.text,
        })}\n`;
        break;
      case 'blank':
        break;
      default:
        // A stage was left out of the chain: say so rather than drop the line.
        throw new Error(`line ${entry.line} of ${batch.file} reached the serializer unmapped`);
    }
  }
  batch.output = { pairs, rejected, errors };
  return batch;
}
