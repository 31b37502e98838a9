/**
 * json-parse — parses each line of a batch.
 *
 * Input/output: Batch. Entries get `value`; a line that is not a JSON object
 * becomes an error entry (ERR_JSON_PARSE, ERR_TRUNCATED_LINE, ERR_NOT_OBJECT).
 *
 *   pipeline(source, createLineSplitter(), createJsonParser(), …)
 */
import type { Transform } from 'node:stream';
import { parseBatch } from '../lib/input/parse';
import { batchStage } from './batch-stage';

export function createJsonParser(): Transform {
  return batchStage(parseBatch);
}
