/**
 * progress — a progress bar on stderr for long exports (cli-progress): percent,
 * bar, bytes of total, rate, ETA and counts. Drawn on a TTY, or when asked with
 * --progress (then as plain lines every few seconds, for logs); never with -q.
 *
 * The line always fits the terminal: layoutProgress drops whole fields, least
 * important first (counts, ETA, rate, label, bar, bytes), and never cuts one. The
 * width is read from the stream at every redraw, so a resized terminal is followed.
 *
 *   layoutProgress(progressFields(state), 80)
 *   // 'qa-hf ██████░░░░░░ 34% | 177.2 MB of 521.7 MB | 48.3 MB/s | ETA 7s'
 */
import cliProgress from 'cli-progress';
import { type Counts, count } from '../lib/tally';

/** Redraws per second on a TTY; enough to look alive, cheap at any record rate. */
const FPS = 5;
/** Seconds between lines when stderr is not a TTY. */
const LOG_SECONDS = 5;
/** Bar width in columns: below the minimum a bar says nothing, above the maximum it only takes room. */
const BAR_MIN = 10;
const BAR_MAX = 40;
/** Width of a log line when stderr is not a terminal. */
const LOG_WIDTH = 200;

/** One piece of the progress line; `priority` 0 is dropped last. */
export type ProgressField =
  | { name: string; priority: number; text: string }
  | { name: 'bar'; priority: number; ratio: number };

/** Fields in display order: label, bar, percent, then ` | `-separated ones. */
const SPACED = new Set(['label', 'bar', 'percent']);

function separator(previous: ProgressField, next: ProgressField): string {
  return SPACED.has(previous.name) && SPACED.has(next.name) ? ' ' : ' | ';
}

function lengthOf(fields: readonly ProgressField[], barWidth: number): number {
  let length = 0;
  fields.forEach((field, i) => {
    if (i > 0) length += separator(fields[i - 1], field).length;
    length += 'text' in field ? field.text.length : barWidth;
  });
  return length;
}

/**
 * The progress line for `width` columns: every field whole or absent, dropped by
 * priority (highest number first) until the rest fits; the bar takes the room left,
 * BAR_MIN to BAR_MAX columns, or goes when it cannot have BAR_MIN. Pure.
 */
export function layoutProgress(fields: readonly ProgressField[], width: number): string {
  let kept = [...fields];
  for (;;) {
    const hasBar = kept.some((field) => !('text' in field));
    const fixed = lengthOf(kept, 0);
    const barWidth = hasBar ? Math.min(BAR_MAX, width - fixed) : 0;
    if (kept.length === 0 || (fixed + barWidth <= width && (!hasBar || barWidth >= BAR_MIN))) {
      return kept
        .map((field, i) => (i > 0 ? separator(kept[i - 1], field) : '') + ('text' in field ? field.text : bar(field.ratio, barWidth)))
        .join('');
    }
    const drop = kept.reduce((worst, field) => (field.priority > worst.priority ? field : worst));
    kept = kept.filter((field) => field !== drop);
  }
}

function bar(ratio: number, width: number): string {
  const full = Math.round(Math.min(1, Math.max(0, ratio)) * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export interface ProgressState {
  doneBytes: number;
  totalBytes: number;
  /** Bytes per second since this run started; 0 when not yet known. */
  rate: number;
  /** The record counts of an export; absent where there are none (a push's upload). */
  counts?: Pick<Counts, 'pairs' | 'rejected' | 'errors'>;
}

/** The fields of a progress line, most important first in `priority`. */
export function progressFields(state: ProgressState): ProgressField[] {
  const ratio = state.totalBytes > 0 ? Math.min(1, state.doneBytes / state.totalBytes) : 1;
  const remaining = Math.max(0, state.totalBytes - state.doneBytes);
  const fields: ProgressField[] = [
    { name: 'label', priority: 3, text: 'qa-hf' },
    { name: 'bar', priority: 2, ratio },
    { name: 'percent', priority: 0, text: `${Math.floor(ratio * 100)}%` },
    { name: 'bytes', priority: 1, text: `${size(state.doneBytes, state.totalBytes)} of ${size(state.totalBytes, state.totalBytes)}` },
    { name: 'rate', priority: 4, text: `${size(state.rate, state.totalBytes)}/s` },
    { name: 'eta', priority: 5, text: `ETA ${state.rate > 0 ? duration(remaining / state.rate) : '--'}` },
  ];
  if (state.counts === undefined) return fields;
  const { pairs, rejected, errors } = state.counts;
  return [...fields, { name: 'counts', priority: 6, text: `${count(pairs, 'pair')}, ${rejected} rejected, ${count(errors, 'error')}` }];
}

/** --progress and -q: -q wins; without either, a bar only on a terminal. */
export function progressEnabled(options: { progress?: boolean; quiet: boolean }, stream: { isTTY?: boolean } = process.stderr): boolean {
  return !options.quiet && (options.progress ?? Boolean(stream.isTTY));
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly startedAt = Date.now();
  private readonly startBytes: number;
  private doneBytes: number;
  private counts: ProgressState['counts'];

  constructor(
    private readonly totalBytes: number,
    doneBytes: number,
    enabled: boolean,
    stream: NodeJS.WriteStream = process.stderr,
    /** false: a bar of bytes alone (a push's upload), no record counts. */
    withCounts = true,
  ) {
    if (withCounts) this.counts = { pairs: 0, rejected: 0, errors: 0 };
    this.startBytes = doneBytes;
    this.doneBytes = doneBytes;
    const tty = Boolean(stream.isTTY);
    this.bar = enabled
      ? new cliProgress.SingleBar({
          stream,
          // Called at every redraw with the width read from the stream then. One column
          // stays free: a line filling the last one makes some terminals wrap.
          format: () => layoutProgress(progressFields(this.state()), (tty ? (stream.columns || 80) : LOG_WIDTH) - 1),
          fps: FPS,
          noTTYOutput: !tty,
          // A log line already ends in a newline: the one stop() adds would leave a blank line.
          clearOnComplete: !tty,
          notTTYSchedule: LOG_SECONDS * 1000,
          hideCursor: tty,
        })
      : null;
    this.bar?.start(Math.max(totalBytes, 1), doneBytes);
  }

  update(doneBytes: number, counts?: Counts): void {
    this.doneBytes = doneBytes;
    if (counts !== undefined) this.counts = { pairs: counts.pairs, rejected: counts.rejected, errors: counts.errors };
    this.bar?.update(doneBytes);
  }

  stop(): void {
    this.bar?.stop();
  }

  private state(): ProgressState {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? (this.doneBytes - this.startBytes) / seconds : 0;
    return { doneBytes: this.doneBytes, totalBytes: this.totalBytes, rate, counts: this.counts };
  }
}

/** Decimal units (B, kB, MB; one decimal), chosen by the total: a 2.6 kB input reads `1.3 kB of 2.6 kB`, not `0.0 MB of 0.0 MB`. */
function size(bytes: number, total: number): string {
  if (total < 1e3) return `${Math.round(bytes)} B`;
  return total < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Seconds as `42s`, `3m05s`, `1h02m`. */
function duration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
