/**
 * progress — a progress bar on stderr for long exports (cli-progress): bytes of
 * total, rate, ETA and counts. Drawn on a TTY, or when asked with --progress
 * (then as plain lines every few seconds, for logs).
 */
import cliProgress from 'cli-progress';
import type { Counts } from '../lib/tally';

/** Redraws per second on a TTY; enough to look alive, cheap at any record rate. */
const FPS = 5;
/** Seconds between lines when stderr is not a TTY. */
const LOG_SECONDS = 5;

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly startedAt = Date.now();
  private readonly startBytes: number;

  constructor(totalBytes: number, doneBytes: number, enabled: boolean, stream: NodeJS.WriteStream = process.stderr) {
    this.startBytes = doneBytes;
    this.bar = enabled
      ? new cliProgress.SingleBar(
          {
            stream,
            format: 'qa-hf {bar} {percentage}% | {done} of {size} | {rate} | ETA {eta_formatted} | {pairs} pairs, {rejected} rejected, {errors} errors',
            fps: FPS,
            noTTYOutput: !stream.isTTY,
            notTTYSchedule: LOG_SECONDS * 1000,
            hideCursor: Boolean(stream.isTTY),
            etaBuffer: 50,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(Math.max(totalBytes, 1), doneBytes, this.payload(doneBytes, totalBytes));
    this.total = totalBytes;
  }

  private readonly total: number;

  update(doneBytes: number, counts: Counts): void {
    this.bar?.update(doneBytes, { ...this.payload(doneBytes, this.total), ...counts });
  }

  stop(): void {
    this.bar?.stop();
  }

  private payload(doneBytes: number, totalBytes: number): Record<string, string | number> {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? (doneBytes - this.startBytes) / seconds : 0;
    return { done: megabytes(doneBytes), size: megabytes(totalBytes), rate: `${megabytes(rate)}/s`, pairs: 0, rejected: 0, errors: 0 };
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
