/**
 * map — applies a preset to a batch: valid records become rows on the pairs or
 * rejected channel. A row whose strings hold lone surrogates (legal in JSON as
 * `\ud800`, impossible in UTF-8) becomes ERR_LONE_SURROGATE instead of a line
 * Arrow would refuse. A record a mapping cannot make a row of (a missing path, a
 * value of the wrong type: lib/input/mapping.ts) becomes ERR_MAPPING.
 *
 * segmentBatch: with the `segment` option, each valid record is a document cut
 * into segments (lib/input/segment.ts), each mapped by the preset as a record
 * `{instruction, context, output, offset, document}` (`document`: the input record,
 * so a mapping can carry e.g. `document.id` for tracing); the line
 * ends in the channel `segmented` with its rows (possibly none) in `segments`. A
 * document whose text field is missing or not a string is ERR_SCHEMA; a segment
 * whose row holds a lone surrogate makes the whole line ERR_LONE_SURROGATE (a
 * line ends in one place: none of its rows is written then).
 */
import { type Batch, type SegmentRow, markError } from '../batch';
import type { Column } from '../columns';
import type { Preset } from './presets';
import type { Segmenter } from './segment';

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

export function segmentBatch(batch: Batch, preset: Preset, segmenter: Segmenter): Batch {
  const field = segmenter.field;
  for (const entry of batch.entries) {
    if (entry.channel !== null) continue;
    const text = (entry.value as Record<string, unknown>)[field];
    if (typeof text !== 'string') {
      markError(entry, 'ERR_SCHEMA', `segment field ${JSON.stringify(field)} must be a string, got ${kindOf(text)}`);
      continue;
    }
    const rows: SegmentRow[] = [];
    let bad: string | null = null;
    let failure: string | null = null;
    const document = entry.value as Record<string, unknown>;
    for (const segment of segmenter.segments(text)) {
      // The document rides along (a reference, not a copy), so a mapping can reach its fields (`document.id`).
      const mapped = preset.map({ ...segment, document });
      if (mapped.channel === 'errors') {
        failure = mapped.message;
        break;
      }
      const { channel, row } = mapped;
      bad = firstIllFormedColumn(row, channel === 'pairs' ? preset.pairColumns : preset.rejectedColumns);
      if (bad !== null) break;
      rows.push({ channel, row, split: 0 });
    }
    if (failure !== null) {
      // A line ends in one place: a segment the mapping cannot make a row of sends the whole document to the dead letter.
      markError(entry, 'ERR_MAPPING', `a segment at offset ${rows.length === 0 ? 'the first' : `after ${rows.length} rows`}: ${failure}`);
      continue;
    }
    if (bad !== null) {
      markError(entry, 'ERR_LONE_SURROGATE', `${bad} of a segment holds a lone UTF-16 surrogate, which UTF-8 cannot encode`);
      continue;
    }
    entry.channel = 'segmented';
    entry.segments = rows;
    entry.value = undefined;
  }
  return batch;
}

/** What a non-string value is, in a few words (never the value: it may be a whole document). */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing (the field is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
