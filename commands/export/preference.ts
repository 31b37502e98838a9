/**
 * export/preference — the run's side of the preference formats (kto, dpo; lib/dataset/preference.ts):
 * the counts of the pairs they take, and dpo's index with its resume log.
 *
 * The dpo rows need every pair of a question, so they are written once the input is done, from
 * a PreferenceIndex fed by the committed parts in input order (the checkpoint stage's
 * commitBatch: the same order with any --workers, and only what is committed). Each change of the
 * index is a line appended to `.qa-hf-preference.partial` before the checkpoint that counts it
 * (synced with the outputs, its length recorded as `preference.log_bytes`), as the dedup log is.
 * A resume cuts the log back to that length and replays it: the index of the committed records,
 * so the rows written at the end are those of an uninterrupted run. Finalize removes the log.
 *
 *   const log = await PreferenceLog.open(out, plan, preset, state.preference, resume);
 *   log.take(batch); await log.append(); … await writers.writePreferencePairs(log.pairs());
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Batch, Channel, Row } from '../../lib/batch';
import { AtomicFile } from '../../lib/io/atomic-file';
import { toQaHfError } from '../../lib/errors';
import { isPreferenceFormat } from '../../lib/dataset/formats';
import type { ExportPlan } from '../../lib/dataset/plan';
import { PreferenceIndex, type PreferenceState, isContaminatedPair, isPreferencePair, makePreferenceRenderer } from '../../lib/dataset/preference';
import type { Preset } from '../../lib/input/presets';
import { tempPath } from './files';

/** The dpo resume log: a work name (`.qa-hf-preference.partial`), never a user's file. */
export const PREFERENCE_LOG = 'qa-hf-preference';

/** Whether a plan writes kto or dpo. */
export function writesPreference(plan: ExportPlan): boolean {
  return plan.formats.some(isPreferenceFormat);
}

/** Log bytes are read back in pieces of this size: a resume holds the index, never the whole log. */
const REPLAY_CHUNK_BYTES = 1 << 20;

export class PreferenceLog {
  private pending = '';

  private constructor(
    readonly state: PreferenceState,
    private readonly index: PreferenceIndex | null,
    private readonly file: AtomicFile | null,
  ) {}

  /**
   * Opens the counts and, with dpo, the log: fresh, or cut back to its committed length and
   * replayed. Null when the log is shorter than the checkpoint says (the checkpoint cannot be trusted).
   */
  static async open(out: string, plan: ExportPlan, preset: Preset, state: PreferenceState, resume: boolean): Promise<PreferenceLog | null> {
    if (!plan.formats.includes('dpo')) return new PreferenceLog(state, null, null);
    const index = new PreferenceIndex(makePreferenceRenderer({ columns: preset.pairColumns, systemPrompt: plan.systemPrompt }));
    const temp = tempPath(out, PREFERENCE_LOG);
    const committed = resume ? state.log_bytes : 0;
    try {
      if (committed > 0 && !(await replayLog(temp, committed, index))) return null;
      const file = await AtomicFile.open(path.join(out, PREFERENCE_LOG), { tempPath: temp, keepBytes: resume ? committed : undefined });
      return new PreferenceLog(state, index, file);
    } catch (err) {
      if (resume && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw toQaHfError(err);
    }
  }

  /** Takes the pairs of a committed part, in input order. */
  take(batch: Batch): void {
    for (const entry of batch.entries) {
      if (entry.channel === 'segmented') for (const segment of entry.segments!) this.takeRow(segment.channel, segment.row, segment.split);
      else this.takeRow(entry.channel, entry.row, entry.split);
    }
  }

  private takeRow(channel: Channel | null, row: Row | null, split: number): void {
    if ((channel !== 'pairs' && channel !== 'rejected') || row === null) return;
    const passed = channel === 'pairs';
    if (!isPreferencePair(row, passed)) {
      if (isContaminatedPair(row)) this.state.contaminated_left_out = (this.state.contaminated_left_out ?? 0) + 1;
      else this.state.duplicates_left_out++;
      return;
    }
    if (passed) this.state.passed++;
    else this.state.rejected++;
    if (this.index) this.pending += this.index.add(row, passed, split);
  }

  /** Appends the committed parts' log lines (before a checkpoint counts them). */
  async append(): Promise<void> {
    if (this.pending === '' || !this.file) return;
    const bytes = Buffer.from(this.pending, 'utf8');
    this.pending = '';
    await this.file.write(bytes);
    this.state.log_bytes += bytes.length;
  }

  sync(): Promise<void> | undefined {
    return this.file?.sync();
  }

  /** The dpo rows (none without dpo); the summary goes into the state. */
  pairs(): Iterable<{ split: number; line: string }> {
    if (!this.index) return [];
    this.state.dpo = this.index.summary();
    return this.index.pairs();
  }

  async abort(): Promise<void> {
    await this.file?.abort(false);
  }
}

/** Replays the first `committed` bytes of the log into `index`; false when the file is shorter. */
async function replayLog(file: string, committed: number, index: PreferenceIndex): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    if ((await handle.stat()).size < committed) return false;
    const buffer = Buffer.alloc(Math.min(REPLAY_CHUNK_BYTES, committed));
    let carry = '';
    for (let at = 0; at < committed; ) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, committed - at), at);
      if (bytesRead === 0) return false;
      at += bytesRead;
      // A line never ends inside a UTF-8 character: cut after the last newline, decode, carry the rest as bytes.
      const text = carry + buffer.subarray(0, bytesRead).toString('latin1');
      const end = text.lastIndexOf('\n');
      for (const line of text.slice(0, end + 1).split('\n')) if (line !== '') index.replay(Buffer.from(line, 'latin1').toString('utf8'));
      carry = text.slice(end + 1);
    }
    return carry === '';
  } finally {
    await handle.close();
  }
}

/** report.json's `preference` section: the formats, the pairs they took and, with dpo, its questions. */
export function preferenceReport(plan: ExportPlan, state: PreferenceState): Record<string, unknown> {
  return {
    formats: plan.formats.filter(isPreferenceFormat),
    pairs: { passed: state.passed, rejected: state.rejected, duplicates_left_out: state.duplicates_left_out, ...(state.contaminated_left_out ? { contaminated_left_out: state.contaminated_left_out } : {}) },
    ...(state.dpo ? { dpo: state.dpo } : {}),
  };
}
