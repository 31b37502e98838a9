#!/usr/bin/env node
/**
 * cli — the `qa-hf` command: argument parsing, exit codes and the one-line error
 * rule. The work itself is in commands/ (pipe, export, verify, push).
 *
 *   cat qa_passed.jsonl | qa-hf > qa_pairs.jsonl
 *   qa-hf export qa/ --out dist/
 *   qa-hf verify dist/
 *   qa-hf push dist/ --repo me/qa-corpus
 *
 * Exit codes: 0 done (bad lines included), 1 fail-fast stop, I/O error or missing
 * input (verify: a DIR missing or without manifest.json), 2 usage error, 3 verify
 * found differences, 4 a --fail-on rule breached (all files written), 5 an input gave nothing
 * usable: every non-blank line was an error (all files written; 5 wins over 4), 130 interrupted (resumable).
 * A user sees one-line messages, never a stack trace (unless --debug).
 */
// First: a signal during start-up already gets its one line (commands/interrupt.ts).
import './commands/interrupt';
// Second: the report's language thread starts loading tinyld while the rest of the CLI loads.
import './commands/early-language';
import { existsSync } from 'node:fs';
import yargs, { type Argv, type Options } from 'yargs';
import { QaHfError, toQaHfError, type ErrorCode } from './lib/errors';
import { pipeCommand } from './commands/pipe';
import { exportCommand } from './commands/export';
import { mergeCommand } from './commands/export/merge';
import type { Config } from './lib/config';
import { COMMANDS, type CommandName, type ConfigCommand, type OptionRow, OPTION_TABLE, describeFor, fileKeyOf, rowsOf } from './lib/option-table';
import { type RunPlan, planRun } from './lib/plan';
import { loadConfigFile } from './lib/io/config-file';
import { readPlanFiles } from './lib/io/plan-files';
import { verifyCommand } from './commands/verify';
import { pushCommand } from './commands/push';
import { presetsCommand, type PresetsArgs } from './commands/presets';
import { reportCommand } from './commands/quality-report';
import { TOOL_VERSION } from './commands/version';
import { configureS3 } from './lib/io/s3';
import { s3UrlStyleOption } from './lib/s3-url';
import { unknownCommand, usageMessage } from './lib/messages';

/**
 * yargs drops a bare `-` from positionals; it stands for stdin, so it is carried
 * through parsing as a string no path can hold (paths never contain NUL).
 */
const STDIN_ARG = '\u0000-';

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_VERIFY = 3;
/** A --fail-on rule was breached: every file is written, the release gate says no. */
const EXIT_THRESHOLD = 4;
/** An input (or the run) gave nothing usable: non-blank lines, every one an error; all files written (lib/usable.ts). */
const EXIT_UNUSABLE = 5;
const EXIT_INTERRUPTED = 130;

/** The commands besides pipe mode (lib/option-table.ts): a first argument a slip away from one is no input file. */
const NAMED_COMMANDS = COMMANDS.filter((command) => command !== 'pipe');

let debug = false;
let stdoutBroken = false;

function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'ERR_USAGE':
    case 'ERR_OPTION':
    case 'ERR_CONFIG':
      return EXIT_USAGE;
    case 'ERR_VERIFY':
      return EXIT_VERIFY;
    case 'ERR_THRESHOLD':
      return EXIT_THRESHOLD;
    case 'ERR_UNUSABLE_INPUT':
      return EXIT_UNUSABLE;
    case 'ERR_INTERRUPTED':
      return EXIT_INTERRUPTED;
    default:
      return EXIT_FAILED;
  }
}

function report(err: unknown): void {
  if (stdoutBroken) {
    // The reader went away (`| head`): that ends a pipe quietly, not an error.
    process.exitCode = 0;
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

/**
 * A row of the option table (lib/option-table.ts) as yargs declares it. Options a
 * config file may set have no yargs default (the help shows it): a flag not typed is
 * undefined, so the file's value stands, and lib/config.ts fills the defaults after
 * the merge. A row with `parseCheck` (--preset, --workers, --max-line-bytes,
 * --s3-url-style) is checked by its normalizer while yargs parses, rather than with
 * yargs `choices`, whose message takes two lines: a bad value is one line naming the
 * option, exit 2.
 */
function yargsOption(row: OptionRow, command: CommandName): Options {
  const fromFile = fileKeyOf(row) !== null;
  const option: Options = { type: row.type, describe: describeFor(row, command) };
  if (row.type !== 'boolean') option.requiresArg = true;
  if (row.alias !== undefined) option.alias = row.alias;
  if (row.hidden) option.hidden = true;
  if (row.group !== undefined) option.group = row.group;
  if (row.default !== undefined && !fromFile) option.default = row.default;
  const shown = row.defaultDescription ?? (row.default !== undefined && fromFile ? String(row.default) : undefined);
  if (shown !== undefined) option.defaultDescription = shown;
  const check = row.check;
  if (row.type !== 'boolean') option.coerce = (value: unknown) => {
    const once = Array.isArray(value) ? repeated(row, value) : value;
    return row.parseCheck && check ? check(once, 'cli') : once;
  };
  return option;
}

/**
 * A flag typed more than once (yargs gives its values as an array): a list option's values
 * are one list (`--format jsonl --format csv` is `--format jsonl,csv`), a paths option keeps
 * them all (`--decontaminate a.jsonl --decontaminate b.jsonl`); any other is one line, exit 2.
 */
function repeated(row: OptionRow, values: readonly unknown[]): unknown {
  const shape = fileKeyOf(row)?.shape;
  if (shape === 'paths') return values;
  if (shape === 'list') return values.map(String).join(',');
  throw new QaHfError('ERR_USAGE', `--${row.name} was given ${values.length} times (${values.map((value) => JSON.stringify(value)).join(', ')}): give it once`);
}

/** A command's options and positionals, as the table declares them (the globals are the top level's). */
function declareOptions<T>(command: CommandName, argv: Argv<T>): Argv<T> {
  let declared = argv;
  for (const row of rowsOf(command)) {
    if (row.global) continue;
    if (row.positional === undefined) {
      declared = declared.option(row.name, yargsOption(row, command));
      continue;
    }
    const positional = { type: row.type, describe: describeFor(row, command), ...(row.positional === 'array' ? { array: true } : {}) } as const;
    declared = declared.positional(row.name, row.default === undefined ? positional : { ...positional, default: row.default }) as unknown as Argv<T>;
  }
  return declared;
}

/** The options every command takes (--debug, --s3-url-style), declared on the top level. */
function globalOptions(): Record<string, Options> {
  return Object.fromEntries(OPTION_TABLE.filter((row) => row.global).map((row) => [row.name, yargsOption(row, 'pipe')]));
}

/**
 * The config of a command's run: `--config FILE`, else ./qa-hf.yaml (a bad or missing
 * --config FILE is one ERR_CONFIG line, exit 2). The file's `s3-url-style`, when no
 * flag says it, configures S3 as the flag would have (the middleware ran before the file was read).
 */
async function loadConfig(args: Record<string, unknown>): Promise<Config | null> {
  const config = await loadConfigFile(args.config as string | undefined);
  const style = config?.values['s3-url-style'];
  if (args.s3UrlStyle === undefined && style !== undefined) configureS3({ urlStyle: s3UrlStyleOption(style) });
  return config;
}

/**
 * The plan of a command's run (lib/plan.ts): the config read (loadConfig), then the
 * files the plan needs (lib/io/plan-files.ts), then the pure planning over the flags,
 * the config and the environment.
 */
async function plan<C extends ConfigCommand>(command: C, flags: Record<string, unknown>): Promise<RunPlan<C>> {
  const config = await loadConfig(flags);
  const files = command === 'merge' || command === 'verify' || command === 'push' ? { presets: {} } : readPlanFiles(flags, config);
  return planRun(command, flags, config, { vars: process.env, cwd: process.cwd() }, files);
}

/** Positionals as typed, a bare `-` (stdin) given back its name. */
function stdinNamed(files: unknown): string[] {
  return ((files as string[] | undefined) ?? []).map((file) => (file === STDIN_ARG ? '-' : file));
}

export function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName('qa-hf')
    .usage('Turns JSONL question-answer records into flat HuggingFace datasets.')
    .command(
      '$0 [files..]',
      'convert JSONL records to HF rows on stdout (files in order, or stdin; - is stdin)',
      (command) =>
        declareOptions('pipe', command)
          .example('cat qa_passed.jsonl | $0 > qa_pairs.jsonl', 'convert stdin to stdout')
          .example('$0 --rejected rej.jsonl --errors bad.jsonl qa.jsonl > pairs.jsonl', 'keep every channel'),
      async (args) => pipeCommand(await plan('pipe', { ...args, files: stdinNamed(args.files) }), { stdoutBroken: () => stdoutBroken }),
    )
    .command(
      'export [inputs..]',
      'export files or directories to a verified, resumable dataset directory',
      (command) =>
        // Here --version names the dataset's version (a row of the table); `qa-hf --version` still prints qa-hf's.
        declareOptions('export', command.version(false))
          .example('$0 export qa/ --out dist/', 'every *.jsonl under qa/, in sorted path order')
          .example('$0 export qa/ --out dist/ --format jsonl,parquet,messages --split train=0.9,test=0.1', 'a HF Hub dataset folder with a card')
          .example("$0 export qa/ --glob 'runs/**/qa_*.jsonl' --out dist/", 'choose files with a glob')
          .epilogue('Run the same command again after an interruption to resume; --restart starts over.'),
      async (args) => {
        const run = await plan('export', { ...args, inputs: stdinNamed(args.inputs) });
        await exportCommand(run);
        // --merge (a rank's): the last rank to finish assembles the dataset, in the version's folder where the ranks are.
        if (run.merge) await mergeCommand(run.merge);
      },
    )
    .command(
      'presets [name]',
      'list the shipped presets (presets/*.yaml), or print one preset\'s YAML mapping',
      (command) => declareOptions('presets', command),
      (args) => presetsCommand(args as unknown as PresetsArgs),
    )
    .command(
      'report [inputs..]',
      'write only the quality report (report.json, report.html) of files or directories, routed as export would',
      (command) =>
        declareOptions('report', command)
          .example('$0 report qa/ --out qa-report/ --fail-on "pass_rate<0.6"', 'the report and release gate without writing a dataset'),
      async (args) => reportCommand(await plan('report', { ...args, inputs: stdinNamed(args.inputs) })),
    )
    .command(
      'merge <dir>',
      'assemble the dataset in DIR from its ranks (DIR/ranks/, written by export --rank): the same files as one export',
      (command) =>
        declareOptions('merge', command)
          .example('$0 merge dist/', 'after every rank of `qa-hf export qa/ --out dist/ --rank R --world-size N` is complete'),
      async (args) => {
        await mergeCommand(await plan('merge', args));
      },
    )
    .command(
      'verify <dir>',
      'check every file of an export against its manifest.json (exit 3 when something differs, 1 when DIR is no export)',
      (command) => declareOptions('verify', command),
      async (args) => verifyCommand(await plan('verify', args)),
    )
    .command(
      'push <dir>',
      'publish a finished export to a dataset repo of the Hugging Face Hub in one commit (token: HF_TOKEN or --token-file)',
      (command) =>
        declareOptions('push', command)
          .example('HF_TOKEN=hf_… $0 push dist/ --repo me/qa-corpus', 'commit what changed since the last push; nothing changed, no commit')
          .example('$0 push dist/ --repo me/qa-corpus --dry-run', 'list what would be uploaded, deleted and kept'),
      async (args) => {
        await pushCommand((await plan('push', args)).args);
      },
    )
    .options(globalOptions())
    .middleware((argv) => configureS3({ urlStyle: argv.s3UrlStyle as ReturnType<typeof s3UrlStyleOption> }))
    .epilogue(
      'Exit codes: 0 done (bad lines included), 1 fail-fast stop, I/O error or a missing input (also a verify DIR that is ' +
        'missing or has no manifest.json), 2 usage error, 3 verify differences, 4 a --fail-on rule breached (all files written), ' +
        '5 an input gave nothing usable: every non-blank line was an error (all files written; 5 before 4), 130 interrupted.',
    )
    .strict()
    .help()
    .alias('help', 'h')
    .version(TOOL_VERSION)
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((message, err) => {
      // yargs reports its own validation failures as YError: those are usage errors too.
      if (err && err.name !== 'YError') throw err;
      const command = NAMED_COMMANDS.find((name) => name === argv[0]) ?? 'pipe';
      throw new QaHfError('ERR_USAGE', usageMessage(message ?? err?.message ?? '', command));
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
    // `qa-hf expor in.jsonl`: pipe mode would take `expor` for a file and trip over export's options.
    const slip = argv.length > 0 ? unknownCommand(argv[0], NAMED_COMMANDS, existsSync(argv[0])) : null;
    if (slip !== null) throw new QaHfError('ERR_USAGE', slip);
    await buildParser(argv).parseAsync();
  } catch (err) {
    report(err);
  }
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
