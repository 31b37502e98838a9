#!/usr/bin/env node
/**
 * cli — the `qa-hf` command.
 *
 *   cat qa_passed.jsonl | qa-hf > qa_pairs.jsonl
 *   qa-hf --rejected rejected.jsonl --errors bad_lines.jsonl qa.jsonl > qa_pairs.jsonl
 *
 * Exit codes: 0 done (bad lines included), 1 fail-fast stop or I/O error,
 * 2 usage error. A user sees one-line messages, never a stack trace (unless --debug).
 */
import * as path from 'node:path';
import yargs from 'yargs';
import { QaHfError, toQaHfError, type ErrorCode } from './lib/errors';
import { checkInputFiles } from './lib/inputs';
import { DEFAULT_MAX_LINE_BYTES } from './lib/lines';
import { DEFAULT_PRESET, PRESETS } from './lib/presets';
import { Tally, balanced, formatSummary } from './lib/tally';
import type { Batch } from './lib/batch';
import { createFileSource } from './streams/file-source';
import { createProcessingStages, runChain } from './streams/chain';
import { createSink } from './streams/sink';

/** Bad lines shown on stderr when there is no --errors file; the rest are counted. */
const MAX_WARNINGS = 10;

const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_VERIFY = 3;

/**
 * yargs drops a bare `-` from positionals; it stands for stdin, so it is carried
 * through parsing as a string no path can hold (paths never contain NUL).
 */
const STDIN_ARG = '\u0000-';

let debug = process.argv.includes('--debug');
let stdoutBroken = false;

function exitCodeFor(code: ErrorCode): number {
  if (code === 'ERR_USAGE' || code === 'ERR_OPTION') return EXIT_USAGE;
  if (code === 'ERR_VERIFY') return EXIT_VERIFY;
  return EXIT_FAILED;
}

function report(err: unknown): void {
  if (stdoutBroken) {
    // The reader went away (`| head`): that ends a pipe quietly, not an error.
    process.exitCode = EXIT_OK;
    return;
  }
  const error = toQaHfError(err);
  process.stderr.write(`qa-hf: ${error.toLine()}\n`);
  if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (!(err instanceof QaHfError) && !(err as NodeJS.ErrnoException)?.code) {
    process.stderr.write('qa-hf: this is a bug; run again with --debug and report it\n');
  }
  process.exitCode = exitCodeFor(error.code);
}

interface PipeArgs {
  files: string[];
  rejected?: string;
  errors?: string;
  failFast: boolean;
  quiet: boolean;
  preset: string;
  maxLineBytes: number;
}

async function checkPipeArgs(args: PipeArgs): Promise<string[]> {
  const files = args.files.length > 0 ? args.files.map((file) => (file === STDIN_ARG ? '-' : file)) : ['-'];
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

async function pipeCommand(args: PipeArgs): Promise<void> {
  const files = await checkPipeArgs(args);
  const tally = new Tally();
  let warnings = 0;
  const onCommit = (batch: Batch): void => {
    tally.add(batch);
    if (args.errors !== undefined || args.quiet) return;
    for (const entry of batch.entries) {
      if (entry.channel !== 'errors') continue;
      if (++warnings <= MAX_WARNINGS) {
        const error = new QaHfError(entry.errorCode!, entry.errorMessage!, {
          file: batch.file,
          line: entry.line,
          byteOffset: entry.offset,
        });
        process.stderr.write(`qa-hf: warning: ${error.toLine()}\n`);
      }
    }
  };
  const stages = [
    createFileSource(files),
    ...createProcessingStages({ preset: args.preset, maxLineBytes: args.maxLineBytes, failFast: args.failFast }),
    createSink({ outputs: { pairs: process.stdout, rejected: args.rejected, errors: args.errors }, onCommit }),
  ];
  try {
    await runChain(stages);
  } finally {
    if (!args.quiet && !stdoutBroken) process.stderr.write(formatSummary(tally.total, summaryNotes(tally, args, warnings)));
  }
  if (!balanced(tally.total)) throw new Error('internal: the counts do not add up to the lines read');
}

function summaryNotes(tally: Tally, args: PipeArgs, warnings: number): string[] {
  const notes: string[] = [];
  if (args.rejected === undefined && tally.total.rejected > 0) {
    notes.push(`${tally.total.rejected} rejected pairs were not written (use --rejected FILE to keep them)`);
  }
  if (args.errors === undefined && warnings > MAX_WARNINGS) {
    notes.push(`${warnings - MAX_WARNINGS} more bad lines not shown (use --errors FILE to keep them all)`);
  }
  return notes;
}

export function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName('qa-hf')
    .usage('Usage: $0 [FILE…] [options]\n\nTurns JSONL question-answer records into flat HuggingFace rows.\nReads the FILEs in order (or stdin; - is stdin), writes passed pairs to stdout.')
    .command(
      '$0 [files..]',
      'convert JSONL records to HF rows on stdout',
      (command) =>
        command
          .positional('files', { type: 'string', array: true, default: [], describe: 'input JSONL files (default: stdin)' })
          .option('rejected', { type: 'string', describe: 'write rejected pairs (validation.passed false) to FILE', requiresArg: true })
          .option('errors', { type: 'string', describe: 'write bad lines (dead letter, with file, line, offset) to FILE', requiresArg: true })
          .option('fail-fast', { type: 'boolean', default: false, describe: 'stop at the first bad line with exit code 1' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no summary or warnings on stderr' })
          .option('preset', { type: 'string', default: DEFAULT_PRESET, choices: Object.keys(PRESETS), describe: 'input format and mapping' })
          .option('max-line-bytes', { type: 'number', default: DEFAULT_MAX_LINE_BYTES, describe: 'longest line accepted; longer ones are ERR_LINE_TOO_LONG', requiresArg: true })
          .option('debug', { type: 'boolean', default: false, describe: 'print stack traces of failures' }),
      (args) => pipeCommand(args as unknown as PipeArgs),
    )
    .example('cat qa_passed.jsonl | $0 > qa_pairs.jsonl', 'convert stdin to stdout')
    .example('$0 --rejected rej.jsonl --errors bad.jsonl qa.jsonl > pairs.jsonl', 'keep every channel')
    .epilogue('Exit codes: 0 done (bad lines included), 1 fail-fast stop or I/O error, 2 usage error.')
    .strict()
    .help()
    .alias('help', 'h')
    .version()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, err) => {
      // yargs reports its own validation failures as YError: those are usage errors too.
      if (err && err.name !== 'YError') throw err;
      throw new QaHfError('ERR_USAGE', `${message} (see --help)`);
    });
}

export async function main(rawArgv: string[]): Promise<void> {
  const argv = rawArgv.map((arg) => (arg === '-' ? STDIN_ARG : arg));
  debug = argv.includes('--debug');
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stdoutBroken = true;
    else report(err);
  });
  try {
    await buildParser(argv).parseAsync();
  } catch (err) {
    report(err);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
