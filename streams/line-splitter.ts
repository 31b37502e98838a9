/**
 * line-splitter — bytes to batches of lines with exact provenance.
 *
 * Input: Buffers of one file (name from options.file), or FileChunks from
 * file-source for many files in turn. Output: one Batch per input chunk, holding
 * the lines it completes, each with its 1-based line number and byte offset.
 * Blank lines are entries on the `blank` channel; invalid UTF-8 and over-long
 * lines are entries on the `errors` channel (ERR_INVALID_UTF8, ERR_LINE_TOO_LONG).
 * A BOM at the start of a file and CR before LF are not part of a line's text.
 *
 *   fs.createReadStream('qa.jsonl').pipe(createLineSplitter({ file: 'qa.jsonl' }))
 */
import { Transform, type TransformCallback } from 'node:stream';
import { LineScanner, normalizeScannerOptions, type LineScannerOptions } from '../lib/input/lines';
import type { Batch } from '../lib/batch';
import type { FileChunk } from './file-source';
import { BATCH_HIGH_WATER_MARK } from './batch-stage';

export type LineSplitterOptions = LineScannerOptions;

export function createLineSplitter(options: LineSplitterOptions = {}): Transform {
  const defaults = normalizeScannerOptions(options);
  let scanner: LineScanner | null = null;
  let scannerEnded = false;

  function emit(stream: Transform, batch: Batch): void {
    // An empty batch still matters when it closes a file (checkpoints, per-file counts).
    if (batch.entries.length > 0 || batch.fileEnd) stream.push(batch);
  }

  return new Transform({
    writableObjectMode: true,
    readableObjectMode: true,
    readableHighWaterMark: BATCH_HIGH_WATER_MARK,
    writableHighWaterMark: BATCH_HIGH_WATER_MARK,
    transform(chunk: Buffer | string | FileChunk, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        if (Buffer.isBuffer(chunk) || typeof chunk === 'string') {
          if (!scanner) scanner = new LineScanner(defaults);
          emit(this, scanner.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
        } else {
          if (!scanner || scannerEnded || scanner.file !== chunk.file || chunk.start) {
            if (scanner && !scannerEnded) emit(this, scanner.end());
            scanner = new LineScanner({
              ...defaults,
              file: chunk.file,
              startOffset: chunk.start?.offset ?? 0,
              startLine: chunk.start?.line ?? 0,
            });
            scannerEnded = false;
          }
          if (chunk.data.length > 0) emit(this, scanner.push(chunk.data));
          if (chunk.end) {
            emit(this, scanner.end());
            scannerEnded = true;
          }
        }
      } catch (err) {
        callback(err as Error);
        return;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (scanner && !scannerEnded) emit(this, scanner.end());
      callback();
    },
  });
}
