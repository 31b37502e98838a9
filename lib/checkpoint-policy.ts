/**
 * checkpoint-policy — when a resumable run records a checkpoint: the one policy of
 * the export (both layouts), a rank and the library's checkpoint stage (streams/checkpoint.ts).
 *
 * Always at a fixed input position (the sink cut the batch there and every writer
 * flushed). In a flush-neutral run (where a checkpoint's place cannot show in the
 * bytes: no gzip member, no Parquet row group ends there — the simple layout, a
 * rank's entries, the library's JSONL sink) also once CHECKPOINT_BYTES of input or
 * CHECKPOINT_MS have passed, and where a stop (a signal, fail-fast's cut) falls.
 * Otherwise a stop runs on to the next fixed position only when it is near
 * (STOP_WAIT_LINES, STOP_WAIT_MS), else stops at once on the last checkpoint (a
 * resume cuts the outputs back to it, as after a kill). Pure; the clock is the caller's.
 *
 *   checkpointDue(true, { ...facts, bytesSinceCheckpoint: 9 << 20 }, { bytes: CHECKPOINT_BYTES, ms: CHECKPOINT_MS }) // { record: true, stop: false }
 */

/** The byte/time cap of a flush-neutral run: at least every 8 MiB of input or 2 s, whichever comes first. */
export const CHECKPOINT_BYTES = 8 << 20;
export const CHECKPOINT_MS = 2000;

/**
 * How long a stop in a run that is not flush-neutral waits for the next fixed
 * position: past STOP_WAIT_MS after the signal, or when that position is more than
 * STOP_WAIT_LINES input lines away, it stops on the last checkpoint instead. 10 000
 * lines are about 0.5 s of a Hub jsonl,parquet export on the bench machine (100 k
 * records in 5.3 s, README Architecture); 1 s keeps a Ctrl-C answered within ~2 s.
 */
export const STOP_WAIT_LINES = 10_000;
export const STOP_WAIT_MS = 1000;

export interface Caps {
  bytes: number;
  ms: number;
}

/** What `checkpointDue` weighs about the part just committed. */
export interface DueFacts {
  /** The part ends at a fixed input position (the sink flushed every writer there). */
  atFixedPosition: boolean;
  /** The part ends where fail-fast cut the input. */
  failFastCut: boolean;
  /** A signal asked the run to stop. */
  stopRequested: boolean;
  /** Since the signal (0 without one). */
  msSinceStop: number;
  /** Input lines from the end of this part to the next fixed position (Infinity without fixed positions). */
  linesToFixedPosition: number;
  bytesSinceCheckpoint: number;
  msSinceCheckpoint: number;
}

/** The decision: record a checkpoint here, and whether the run stops after this part. */
export interface Due {
  record: boolean;
  /**
   * The run stops after this part: on the checkpoint recorded here (waited for,
   * rather than left to finish in the background), or, without `record`, on the
   * last one recorded (the part and those before it since then are done again by the resume).
   */
  stop: boolean;
}

/** The one checkpoint policy (see the header). Pure. */
export function checkpointDue(flushNeutral: boolean, facts: DueFacts, caps: Caps): Due {
  if (!flushNeutral) {
    if (facts.atFixedPosition) return { record: true, stop: facts.stopRequested };
    // A stop between fixed positions: on to the next one if it is near, else at once on the last checkpoint.
    const tooFar = facts.linesToFixedPosition > STOP_WAIT_LINES || facts.msSinceStop >= STOP_WAIT_MS;
    return { record: false, stop: facts.stopRequested && tooFar };
  }
  const stop = facts.failFastCut || facts.stopRequested;
  const capped = facts.bytesSinceCheckpoint >= caps.bytes || facts.msSinceCheckpoint >= caps.ms;
  return { record: facts.atFixedPosition || capped || stop, stop };
}

/**
 * The input consumed since the last checkpoint, in bytes and time: advanced by each
 * committed part's end position, reset where a checkpoint is recorded.
 */
export class CheckpointClock {
  private last: { file: string; offset: number; fileEnd: boolean } | null;
  private bytes = 0;
  private at: number;

  constructor(start?: { file: string; offset: number }, now = Date.now()) {
    this.last = start ? { ...start, fileEnd: false } : null;
    this.at = now;
  }

  /** A part ending at `offset` of `file` (the whole file with `fileEnd`) was committed. */
  advance(file: string, offset: number, fileEnd: boolean): void {
    const last = this.last;
    this.bytes += last && !last.fileEnd && last.file === file ? offset - last.offset : offset;
    this.last = { file, offset, fileEnd };
  }

  get bytesSince(): number {
    return this.bytes;
  }

  msSince(now = Date.now()): number {
    return now - this.at;
  }

  /** A checkpoint was recorded here. */
  reset(now = Date.now()): void {
    this.bytes = 0;
    this.at = now;
  }
}
