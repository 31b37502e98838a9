/**
 * rank-replay — the source of `qa-hf merge`: the ranks' processed lines
 * (entries.jsonl, lib/scale/rank-entries.ts) read back in input order as Batches, as
 * source → processing would give them in a single run.
 *
 * Input: per input, its ranges in order (lib/scale/rank.ts planMerge), and the position
 * to start from (a resumed merge's checkpoint: input, byte offset, line).
 * Output: Batches of one input each, at most `batchEntries` entries, lines
 * numbered in the whole input (the rank's number plus the lines of the input's
 * earlier ranges), offsets as read; the last batch of an input has `fileEnd`, its
 * end and line count those of the whole input. `output` is null: the writers write
 * every row themselves.
 * Errors: a missing or short entries file fails the stream with ERR_INPUT.
 *
 *   await runChain([createRankReplay(inputs, position), createRouter({ plan }), sink]);
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Batch, Entry } from '../lib/batch';
import { QaHfError, inputError } from '../lib/errors';
import type { MergeInput } from '../lib/scale/rank';
import { decodeEntry } from '../lib/scale/rank-entries';

/** Entries per batch: about what one 256 KiB read of ~1 kB records gives. */
export const REPLAY_BATCH_ENTRIES = 256;

export interface ReplayInput extends MergeInput {
  /** The input's name as batches carry it (streams/file-source.ts inputName). */
  file: string;
  /** Per segment, the entries.jsonl of its rank. */
  entriesFile: (rank: number) => string;
}

export interface ReplayPosition {
  input: number;
  offset: number;
  line: number;
}

export function createRankReplay(inputs: readonly ReplayInput[], position: ReplayPosition, batchEntries = REPLAY_BATCH_ENTRIES): Readable {
  return Readable.from(replay(inputs, position, batchEntries), { objectMode: true, highWaterMark: 2 });
}

function batchOf(file: string, entries: Entry[], endOffset: number, endLine: number, fileEnd: boolean): Batch {
  return { file, entries, endOffset, endLine, fileEnd, output: null, stop: null };
}

async function* replay(inputs: readonly ReplayInput[], position: ReplayPosition, batchEntries: number): AsyncGenerator<Batch> {
  for (let i = position.input; i < inputs.length; i++) {
    const input = inputs[i];
    const from = i === position.input ? position.offset : 0;
    let pending: Entry[] = [];
    for (const segment of input.segments) {
      if (from > 0 && segment.end <= from) continue; // committed by the interrupted merge
      const file = input.entriesFile(segment.rank);
      let count = 0;
      for await (const text of linesOf(file, segment.entries_offset, segment.entries_bytes)) {
        count++;
        const { entry, bytes } = decodeEntry(text, segment.lineBase);
        if (entry.offset < from) continue;
        pending.push(entry);
        if (pending.length >= batchEntries) {
          yield batchOf(input.file, pending, entry.offset + bytes, entry.line, false);
          pending = [];
        }
      }
      if (count !== segment.lines) {
        throw new QaHfError('ERR_INPUT', `holds ${count} lines of rank ${segment.rank}'s range where rank.json says ${segment.lines}: the rank's files were changed; rerun it with --restart`, { file });
      }
    }
    yield batchOf(input.file, pending, input.end, input.lines, true);
  }
}

/** The lines (without newlines) of bytes [offset, offset + bytes) of `file`. */
async function* linesOf(file: string, offset: number, bytes: number): AsyncGenerator<string> {
  if (bytes === 0) return;
  let carry: Buffer = Buffer.alloc(0);
  let read = 0;
  try {
    for await (const chunk of createReadStream(file, { start: offset, end: offset + bytes - 1, highWaterMark: 256 << 10 })) {
      const data = carry.length > 0 ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
      read += (chunk as Buffer).length;
      let start = 0;
      for (let newline = data.indexOf(0x0a); newline >= 0; newline = data.indexOf(0x0a, start)) {
        yield data.toString('utf8', start, newline);
        start = newline + 1;
      }
      carry = data.subarray(start);
    }
  } catch (err) {
    throw inputError(err, file);
  }
  if (read !== bytes || carry.length > 0) throw new QaHfError('ERR_INPUT', `is shorter than its rank.json says (or not cut at a line): rerun that rank with --restart`, { file });
}
