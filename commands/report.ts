/**
 * report — what commands print on stderr: bad-line warnings (capped) and the
 * closing summary. Shared by pipe mode and export.
 */
import type { Batch } from '../lib/batch';
import { QaHfError, type RecordErrorCode } from '../lib/errors';
import { count, formatSummary, type Tally } from '../lib/tally';

/** Bad lines shown on stderr when they are not written to a file; the rest are counted. */
export const MAX_WARNINGS = 10;

export class Reporter {
  private warnings = 0;
  /** Per input, the first message of each error code this run saw there (quiet or not): the exit-5 line quotes the dominant one's. */
  readonly firstErrors = new Map<string, Map<RecordErrorCode, string>>();

  constructor(
    /** `keepHint`: how this command keeps every bad line (it must name an option the command has). */
    private readonly options: { quiet: boolean; errorsWritten: boolean; keepHint?: string },
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Prints the first bad lines of a batch as one-line warnings. */
  warn(batch: Batch): void {
    for (const entry of batch.entries) {
      if (entry.channel !== 'errors') continue;
      const first = this.firstErrors.get(batch.file) ?? new Map<RecordErrorCode, string>();
      this.firstErrors.set(batch.file, first);
      if (!first.has(entry.errorCode!)) first.set(entry.errorCode!, entry.errorMessage!);
    }
    if (this.options.errorsWritten || this.options.quiet) return;
    for (const entry of batch.entries) {
      if (entry.channel !== 'errors') continue;
      if (++this.warnings <= MAX_WARNINGS) {
        const error = new QaHfError(entry.errorCode!, entry.errorMessage!, { file: batch.file, line: entry.line, byteOffset: entry.offset });
        this.stderr.write(`qa-hf: warning: ${error.toLine()}\n`);
      }
    }
  }

  summary(tally: Tally, notes: string[] = []): void {
    if (this.options.quiet) return;
    const all = [...notes];
    if (this.warnings > MAX_WARNINGS) {
      all.push(`${count(this.warnings - MAX_WARNINGS, 'more bad line')} not shown (${this.options.keepHint ?? 'use --errors FILE to keep them all'})`);
    }
    this.stderr.write(formatSummary(tally.total, all));
  }
}
