/**
 * signals — what SIGINT and SIGTERM do to a run of qa-hf (touches the process: its
 * signal handlers, stderr, exit).
 *
 * export, merge and a rank (StopSignals): the first signal is acknowledged at once
 * with one line and asks the run to stop where a checkpoint can be committed
 * byte-exactly (export/checkpoint.ts checkpointDue); the run then ends with
 * ERR_INTERRUPTED, exit 130. A second signal exits 130 at once with one line: the
 * last committed checkpoint stands, as after a kill, and the next run resumes from it.
 *
 * Pipe mode (exitOnSignal): nothing can resume it, so a signal ends it at once with
 * one line, exit 130; the temp files of --rejected/--errors go with the exit
 * (lib/io/atomic-file.ts removes this process's own temp files when it exits).
 *
 *   const stop = new StopSignals({ quiet: args.quiet });
 *   try { … if (stop.requested) throw … } finally { stop.dispose(); }
 */
import { QaHfError } from '../lib/errors';
import { pausePoint } from './export/files';

/** The exit code of an interrupted run (128 + SIGINT's number, as a shell reports it). */
export const EXIT_INTERRUPTED = 130;

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** Writes the run's last line (the CLI's one-line form) and exits 130. */
function exitInterrupted(message: string): never {
  process.stderr.write(`qa-hf: ${new QaHfError('ERR_INTERRUPTED', message).toLine()}\n`);
  process.exit(EXIT_INTERRUPTED);
}

/** SIGINT/SIGTERM ask a resumable run to stop at its next checkpoint; a second one stops it at once. */
export class StopSignals {
  requested: NodeJS.Signals | null = null;
  /** When the stop was asked (Date.now()): how long a stop may wait is bounded (checkpointDue). */
  requestedAt = 0;
  /** What to do next, as the lines say it; a run that cannot resume (an input on stdin) says --restart. */
  resume = 'run the same command again to resume';
  private readonly quiet: boolean;
  private readonly handler = (signal: NodeJS.Signals) => {
    // Second signal: give up at once; the last committed checkpoint stands, as after a kill.
    if (this.requested) exitInterrupted(`stopped at once by a second ${signal}; ${this.resume}`);
    this.requested = signal;
    this.requestedAt = Date.now();
    if (!this.quiet) process.stderr.write(`qa-hf: ${signal}: stopping at the next checkpoint; ${this.resume} (another ${signal} stops at once)\n`);
    pausePoint('stop-requested'); // test seam: a second signal lands while the first is being honoured
  };

  constructor(options: { quiet: boolean }) {
    this.quiet = options.quiet;
    for (const signal of SIGNALS) process.on(signal, this.handler);
  }

  dispose(): void {
    for (const signal of SIGNALS) process.removeListener(signal, this.handler);
  }
}

/**
 * Pipe mode: SIGINT/SIGTERM end the run at once with one line (`unwritten`: the
 * outputs left as they were, e.g. `--rejected r.jsonl`), exit 130. Returns the
 * function that removes the handlers.
 */
export function exitOnSignal(unwritten: readonly string[]): () => void {
  const handler = (signal: NodeJS.Signals) => {
    const outputs = unwritten.length === 0 ? '' : ` ${unwritten.join(' and ')} not written (their temp files removed);`;
    exitInterrupted(`stopped by ${signal};${outputs} standard output holds the pairs converted so far; run again to convert the whole input`);
  };
  for (const signal of SIGNALS) process.on(signal, handler);
  return () => {
    for (const signal of SIGNALS) process.removeListener(signal, handler);
  };
}

