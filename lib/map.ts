/**
 * map — applies a preset to a batch: valid records become rows on the pairs or
 * rejected channel. A row whose strings hold lone surrogates (legal in JSON as
 * `\ud800`, impossible in UTF-8) becomes ERR_LONE_SURROGATE instead of a line
 * Arrow would refuse. A record a mapping cannot make a row of (a missing path, a
 * value of the wrong type: lib/mapping.ts) becomes ERR_MAPPING.
 */
import { type Batch, markError } from './batch';
import type { Column } from './columns';
import type { Preset } from './presets';

// String.prototype.isWellFormed is in Node 20 (V8 11.3) but not yet in TS's ES2022 lib.
type WellFormedString = string & { isWellFormed(): boolean };

export function mapBatch(batch: Batch, preset: Preset): Batch {
  for (const entry of batch.entries) {
    if (entry.channel !== null) continue;
    const mapped = preset.map(entry.value as Record<string, unknown>);
    if (mapped.channel === 'errors') {
      markError(entry, 'ERR_MAPPING', mapped.message);
      continue;
    }
    const { channel, row } = mapped;
    const columns = channel === 'pairs' ? preset.pairColumns : preset.rejectedColumns;
    const bad = firstIllFormedColumn(row, columns);
    if (bad !== null) {
      markError(entry, 'ERR_LONE_SURROGATE', `${bad} holds a lone UTF-16 surrogate, which UTF-8 cannot encode`);
      continue;
    }
    entry.channel = channel;
    entry.row = row;
    // `value` stays: the serializer's byte-row writer reads it, then drops it.
  }
  return batch;
}

function firstIllFormedColumn(row: Record<string, unknown>, columns: readonly Column[]): string | null {
  for (const column of columns) {
    if (column.type === 'string' && !(row[column.name] as WellFormedString).isWellFormed()) return column.name;
    if (column.type === 'list<string>' && !(row[column.name] as WellFormedString[]).every((item) => item.isWellFormed())) return column.name;
  }
  return null;
}
