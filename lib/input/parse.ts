/**
 * parse — JSON parsing of a batch's lines, the pure core of the parse stage.
 *
 * Every pending entry gets `value`, or becomes an error entry:
 *   ERR_JSON_PARSE      not JSON (NaN, single quotes, binary garbage, …)
 *   ERR_TRUNCATED_LINE  the file's last line has no newline and is not complete JSON
 *   ERR_NOT_OBJECT      JSON, but an array, string, number, boolean or null
 */
import { type Batch, type Entry, markError } from '../batch';

/** Error messages are one line and short; V8 already abbreviates its quote of the input. */
const MAX_MESSAGE_CHARS = 200;

export function parseBatch(batch: Batch): Batch {
  if (batch.byteText === true) {
    // Its lines are raw bytes: parsing them here would write mojibake without a word.
    throw new Error(`a byte-text batch of ${batch.file} reached the parser; byteText splitters feed the batch processor only`);
  }
  for (const entry of batch.entries) {
    if (entry.channel === null) parseEntry(entry);
  }
  return batch;
}

/** Parses one pending entry: sets `value`, or marks it as an error. */
export function parseEntry(entry: Entry): void {
  let value: unknown;
  try {
    value = JSON.parse(entry.text);
  } catch (err) {
    const reason = err instanceof RangeError ? 'nesting is too deep to parse' : oneLine(err);
    if (entry.unterminated) {
      markError(entry, 'ERR_TRUNCATED_LINE', `last line has no newline and is not complete JSON: ${reason}`);
    } else {
      markError(entry, 'ERR_JSON_PARSE', reason);
    }
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    markError(entry, 'ERR_NOT_OBJECT', `expected a JSON object, got ${describe(value)}`);
    return;
  }
  entry.value = value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const line = message.replace(/\s+/g, ' ').trim();
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS)}…` : line;
}
