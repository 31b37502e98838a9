/**
 * pipe — `qa-hf [FILE…]`: JSONL in (files or stdin), passed pairs out on stdout,
 * rejected pairs and bad lines to optional files, a summary on stderr.
 */
import * as path from 'node:path';
import { QaHfError } from '../lib/errors';
import { checkInputFiles } from '../lib/inputs';
import { Tally, balanced, count } from '../lib/tally';
import type { Batch } from '../lib/batch';
import { createFileSource } from '../streams/file-source';
import { printHint } from './hint';
import { createProcessingStages, runChain } from '../streams/chain';
import { createSink } from '../streams/sink';
import { Reporter } from './report';

export interface PipeArgs {
  files: string[];
  rejected?: string;
  errors?: string;
  failFast: boolean;
  quiet: boolean;
  preset: string;
  maxLineBytes: number;
  workers: number;
}

export interface PipeIo {
  /** True once stdout's reader went away: the summary is then not printed. */
  stdoutBroken(): boolean;
}

async function checkPipeArgs(args: PipeArgs): Promise<string[]> {
  const files = args.files.length > 0 ? args.files : ['-'];
  if (files.includes('-') && process.stdin.isTTY) {
    throw new QaHfError('ERR_USAGE', 'no input: name a file or pipe JSONL into qa-hf (see --help)');
  }
  const seen = new Set<string>();
  for (const file of files) {
    const key = file === '-' ? '-' : path.resolve(file);
    if (seen.has(key)) throw new QaHfError('ERR_USAGE', `input ${file} is listed twice`);
    seen.add(key);
  }
  for (const [flag, output] of [['--rejected', args.rejected], ['--errors', args.errors]] as const) {
    if (output !== undefined && seen.has(path.resolve(output))) {
      throw new QaHfError('ERR_USAGE', `${flag} ${output} is also an input`);
    }
  }
  if (args.rejected !== undefined && args.errors !== undefined && path.resolve(args.rejected) === path.resolve(args.errors)) {
    throw new QaHfError('ERR_USAGE', '--rejected and --errors name the same file');
  }
  await checkInputFiles(files);
  return files;
}

export async function pipeCommand(args: PipeArgs, io: PipeIo): Promise<void> {
  const files = await checkPipeArgs(args);
  const tally = new Tally();
  const reporter = new Reporter({ quiet: args.quiet, errorsWritten: args.errors !== undefined });
  const onCommit = (batch: Batch): void => {
    tally.add(batch);
    reporter.warn(batch);
  };
  let inputFailure: QaHfError | null = null;
  const stages = [
    createFileSource(files, {
      onHint: (_file, hint) => printHint(hint, args.quiet),
      // A damaged input ends the run, but only after the lines read before it are written and counted.
      onInputError: (error) => (inputFailure = error),
    }),
    // keepRows false: pipe mode only counts what it wrote, so lines may stay raw bytes end to end.
    ...createProcessingStages({ preset: args.preset, maxLineBytes: args.maxLineBytes, failFast: args.failFast, keepRows: false, workers: args.workers }),
    createSink({ outputs: { pairs: process.stdout, rejected: args.rejected, errors: args.errors }, onCommit }),
  ];
  try {
    await runChain(stages);
    if (inputFailure) throw inputFailure;
  } finally {
    if (!io.stdoutBroken()) {
      const notes: string[] = [];
      if (args.rejected === undefined && tally.total.rejected > 0) {
        notes.push(`${count(tally.total.rejected, 'rejected pair was', 'rejected pairs were')} not written (use --rejected FILE to keep them)`);
      }
      reporter.summary(tally, notes);
    }
  }
  if (!balanced(tally.total)) throw new Error('internal: the counts do not add up to the lines read');
}
