#!/usr/bin/env node
/**
 * cli — the `qa-hf` command: argument parsing, exit codes and the one-line error
 * rule. The work itself is in commands/ (pipe, export, verify).
 *
 *   cat qa_passed.jsonl | qa-hf > qa_pairs.jsonl
 *   qa-hf export qa/ --out dist/
 *   qa-hf verify dist/
 *
 * Exit codes: 0 done (bad lines included), 1 fail-fast stop, I/O error or missing
 * input (verify: a DIR missing or without manifest.json), 2 usage error, 3 verify
 * found differences, 4 a --fail-on rule breached (all files written), 5 an input gave nothing
 * usable: every non-blank line was an error (all files written; 5 wins over 4), 130 interrupted (resumable).
 * A user sees one-line messages, never a stack trace (unless --debug).
 */
import yargs, { type Argv } from 'yargs';
import { QaHfError, toQaHfError, type ErrorCode } from './lib/errors';
import { DEFAULT_MAX_LINE_BYTES } from './lib/lines';
import { DEFAULT_PRESET, PRESET_NAMES } from './lib/presets';
import { DEFAULT_GLOB } from './lib/io/discover';
import { pipeCommand, type PipeArgs } from './commands/pipe';
import { exportCommand, resolveExport } from './commands/export';
import { mergeCommand, type MergeArgs } from './commands/export/merge';
import { maxLineBytesOption, normalizeProcessingOptions, presetOption, versionFolder, versionOption, workersOption } from './lib/options';
import { CARD_FLAGS, CONFIG_FILE, resolveArgs, withConfigPositions } from './lib/config';
import { withMappingSchema } from './lib/io/presets';
import { loadConfigFile } from './lib/io/config-file';
import { withPresetMapping } from './lib/io/presets';
import { verifyCommand, type VerifyArgs } from './commands/verify';
import { presetsCommand, type PresetsArgs } from './commands/presets';
import { reportCommand, type ReportCommandArgs } from './commands/quality-report';
import { TOOL_VERSION } from './commands/version';
import { configureS3 } from './lib/io/s3';
import { s3UrlStyleOption } from './lib/s3-url';

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

/** The quality report's options (export, pipe mode with --report, report). */
function reportOptions<T>(command: Argv<T>) {
  return command
    .option('fail-on', {
      type: 'string',
      requiresArg: true,
      describe: 'release gate: rules like "pii>0,duplicates>0.01,pass_rate<0.6"; a breached rule means exit 4 (all files still written)',
    })
    .option('language', { type: 'string', requiresArg: true, describe: 'language the answers should be in (ISO 639-1, default sv), or off' })
    .option('tokenizer', { type: 'string', requiresArg: true, describe: 'a HuggingFace tokenizer.json: the report adds lengths in tokens' });
}

/**
 * Options every converting command shares. Options a config file may set have no
 * yargs default (the help shows it): a flag not typed is undefined, so the file's
 * value stands, and lib/config.ts fills the defaults after the merge.
 */
function processingOptions<T>(command: Argv<T>) {
  return command
    .option('config', {
      type: 'string',
      requiresArg: true,
      describe: `options and mapping from a YAML file (default: ${CONFIG_FILE} in the working directory, if there); flags override it`,
    })
    .option('fail-fast', { type: 'boolean', defaultDescription: 'false', describe: 'stop at the first bad line with exit code 1' })
    .option('quiet', { alias: 'q', type: 'boolean', defaultDescription: 'false', describe: 'no summary or warnings on stderr' })
    .option('preset', { type: 'string', defaultDescription: DEFAULT_PRESET, describe: `input format and mapping (presets/NAME.yaml; list them with qa-hf presets): ${PRESET_NAMES.join(', ')}` })
    .option('workers', {
      type: 'string',
      defaultDescription: 'pipe mode: min(cores, 4) for inputs of 64 MiB or more, else 0; export: 0 (its main thread bounds it; workers measured no faster)',
      requiresArg: true,
      describe: 'worker threads for splitting, parsing, mapping and serializing (0: the main thread)',
    })
    .option('max-line-bytes', {
      type: 'string',
      defaultDescription: `${DEFAULT_MAX_LINE_BYTES / 1048576}MiB`,
      requiresArg: true,
      describe: 'longest line accepted, in bytes or with a unit (1MiB, 500KB); longer ones are ERR_LINE_TOO_LONG',
    })
    .coerce('preset', presetName)
    .coerce('max-line-bytes', maxLineBytes);
}

/** The quality rules (lib/quality.ts), export and pipe mode; checked by the one normalizer. */
function qualityOptions<T>(command: Argv<T>) {
  return command
    .option('pii', { type: 'string', requiresArg: true, describe: 'personal data (personnummer, email, phone, iban, card, ip): report (count, the default), redact ([PHONE], …) or reject' })
    .option('dedup', { type: 'string', requiresArg: true, describe: 'duplicate pairs: off (count exact ones, the default), exact or near (moved to rejected)' })
    .option('near-threshold', { type: 'string', requiresArg: true, describe: 'estimated Jaccard similarity from which --dedup near calls two pairs near duplicates (default 0.8)' })
    .option('tiers', { type: 'string', requiresArg: true, describe: 'passed pairs by validation_score into configs tier_NAME, e.g. high=0.85,medium=0.7 (the rest: tier_low)' });
}

/**
 * --preset, --workers, --max-line-bytes: checked by lib/options.ts (the one
 * normalizer) while yargs parses, rather than with yargs `choices`, whose message
 * takes two lines; a bad value is one line naming the option, exit 2.
 */
const presetName = (value: unknown) => presetOption(value, 'cli');
const workerCount = (value: unknown) => workersOption(value, 'cli');
const maxLineBytes = (value: unknown) => maxLineBytesOption(value, 'cli');

export function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName('qa-hf')
    .usage('Turns JSONL question-answer records into flat HuggingFace datasets.')
    .command(
      '$0 [files..]',
      'convert JSONL records to HF rows on stdout (files in order, or stdin; - is stdin)',
      (command) =>
        qualityOptions(reportOptions(processingOptions(command)))
          .positional('files', { type: 'string', array: true, default: [], describe: 'input JSONL files (default: stdin)' })
          .option('rejected', { type: 'string', requiresArg: true, describe: 'write rejected pairs (validation.passed false) to FILE' })
          .option('errors', { type: 'string', requiresArg: true, describe: 'write bad lines (dead letter, with file, line, offset) to FILE' })
          .option('report', { type: 'string', requiresArg: true, describe: 'write the quality report (report.json, report.html) into folder DIR' })
          .coerce('workers', workerCount)
          .example('cat qa_passed.jsonl | $0 > qa_pairs.jsonl', 'convert stdin to stdout')
          .example('$0 --rejected rej.jsonl --errors bad.jsonl qa.jsonl > pairs.jsonl', 'keep every channel'),
      async (args) => {
        const files = (args.files as string[]).map((file) => (file === STDIN_ARG ? '-' : file));
        const config = await loadConfigFile(args.config);
        const { args: resolved, fromFile } = resolveArgs('pipe', { ...args, files }, config);
        // A config's mapping naming its schema file: the schema is read now (a bad path is placed in the file).
        const merged = withMappingSchema(resolved, config);
        withConfigPositions(config, fromFile, () => normalizeProcessingOptions(withPresetMapping(merged), 'cli'));
        await pipeCommand(merged as unknown as PipeArgs, { stdoutBroken: () => stdoutBroken });
      },
    )
    .command(
      'export [inputs..]',
      'export files or directories to a verified, resumable dataset directory',
      (command) =>
        qualityOptions(reportOptions(processingOptions(command)))
          .positional('inputs', { type: 'string', array: true, describe: 'JSONL files, or directories searched with --glob (or inputs: in the config file)' })
          .option('out', { type: 'string', requiresArg: true, describe: 'output directory: empty, or holding a previous qa-hf export (required unless --dry-run)' })
          .option('force', { type: 'boolean', defaultDescription: 'false', describe: 'write into an --out that holds other files (kept, unless an output has their name)' })
          .option('stage-dir', { type: 'string', requiresArg: true, describe: '--out s3://…: stage the export under DIR before the upload (default: the temp folder)' })
          .option('glob', { type: 'string', requiresArg: true, describe: `files to take from input directories (default ${DEFAULT_GLOB})` })
          .option('dry-run', { type: 'boolean', defaultDescription: 'false', describe: 'validate and count as the real run would (--out not needed), write nothing' })
          .option('restart', { type: 'boolean', defaultDescription: 'false', describe: 'discard an interrupted run and start over' })
          .option('progress', { type: 'boolean', describe: 'progress bar on stderr (default: when stderr is a terminal)' })
          .option('rank', {
            type: 'string',
            requiresArg: true,
            describe: 'run one share of the export (0…N−1) into OUT/ranks/; default from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX; then qa-hf merge OUT',
          })
          .option('world-size', { type: 'string', requiresArg: true, describe: 'the number of ranks N (default from SLURM_ARRAY_TASK_COUNT, AWS_BATCH_JOB_ARRAY_SIZE)' })
          .option('merge', { type: 'boolean', describe: 'after this rank: merge, if every rank is complete (else say which are not)' })
          .option('checkpoint-bytes', { type: 'number', requiresArg: true, hidden: true })
          .option('checkpoint-ms', { type: 'number', requiresArg: true, hidden: true })
          .option('checkpoint-lines', { type: 'string', requiresArg: true, hidden: true })
          .option('format', {
            type: 'string',
            requiresArg: true,
            describe: 'comma-separated output formats: jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion (default jsonl)',
          })
          .option('split', { type: 'string', requiresArg: true, describe: 'splits and ratios, e.g. train=0.8,validation=0.1,test=0.1' })
          .option('seed', { type: 'string', requiresArg: true, describe: 'seed of the split hash (default 42)' })
          .option('split-key', { type: 'string', requiresArg: true, describe: 'column hashed for the split (default question, else the mapping’s first column)' })
          .option('stratify-by', { type: 'string', requiresArg: true, describe: 'column whose values get a ratio report per value' })
          .option('max-shard-size', { type: 'string', requiresArg: true, describe: 'bytes per shard before the next, e.g. 500MB (default)' })
          .option('compress', {
            type: 'string',
            requiresArg: true,
            describe: 'compress the text formats: gzip (.gz), zstd (.zst, also the codec inside parquet) or none (the default; parquet stays snappy inside)',
          })
          .option('compress-level', { type: 'string', requiresArg: true, describe: 'level of --compress: gzip 1-9 (default 6), zstd 1-19 (default 3)' })
          .option('min-score', { type: 'string', requiresArg: true, describe: 'pairs with validation_score below it go to rejected' })
          .option('system-prompt', { type: 'string', requiresArg: true, describe: 'system message of the messages, alpaca and sharegpt formats (prompt-completion: before the prompt)' })
          // Here --version names the dataset's version; `qa-hf --version` still prints qa-hf's.
          .version(false)
          .option('version', { type: 'string', requiresArg: true, describe: "the dataset's version, e.g. 1.0.0: written to OUT/v1.0.0/, recorded in manifest.json and the card; a finished version is never overwritten" })
          .option('target-samples', {
            type: 'string',
            requiresArg: true,
            describe: 'keep a deterministic sample of N passed pairs (smallest hash of the split key and seed; the rest counted as not_sampled); reads the inputs twice',
          })
          .option(CARD_FLAGS.name, { type: 'string', requiresArg: true, describe: "the dataset card's title and pretty_name (default: the --out folder's name)" })
          .option(CARD_FLAGS.description, { type: 'string', requiresArg: true, describe: "the dataset card's first paragraph" })
          .option(CARD_FLAGS.license, { type: 'string', requiresArg: true, describe: 'license id in the card header: mit, apache-2.0, cc-by-4.0, other, …' })
          .option(CARD_FLAGS.language, { type: 'string', requiresArg: true, describe: 'comma-separated language codes in the card header, e.g. sv,en' })
          .option(CARD_FLAGS.tags, { type: 'string', requiresArg: true, describe: 'comma-separated tags in the card header' })
          .option(CARD_FLAGS.task_categories, {
            type: 'string',
            requiresArg: true,
            describe: 'comma-separated task categories in the card header (default question-answering,text-generation)',
          })
          .group(Object.values(CARD_FLAGS), 'Dataset card (Hub layout; also card: in the config file):')
          .coerce('workers', workerCount)
          .example('$0 export qa/ --out dist/', 'every *.jsonl under qa/, in sorted path order')
          .example('$0 export qa/ --out dist/ --format jsonl,parquet,messages --split train=0.9,test=0.1', 'a HF Hub dataset folder with a card')
          .example("$0 export qa/ --glob 'runs/**/qa_*.jsonl' --out dist/", 'choose files with a glob')
          .epilogue('Run the same command again after an interruption to resume; --restart starts over.'),
      async (args) => {
        const inputs = ((args.inputs as string[] | undefined) ?? []).map((file) => (file === STDIN_ARG ? '-' : file));
        const config = await loadConfigFile(args.config);
        const { args: resolved } = resolveExport({ ...args, inputs }, config);
        await exportCommand(resolved);
        // --merge (a rank's): the last rank to finish assembles the dataset.
        if (resolved.merge) {
          // With --version the ranks are in OUT/vVERSION/ (PREFIX/vVERSION/ on S3), where the export put them.
          const version = versionOption(resolved.version, 'cli');
          const dir = version === undefined ? resolved.out! : `${resolved.out!.replace(/\/+$/, '')}/${versionFolder(version)}`;
          await mergeCommand({ dir, quiet: resolved.quiet, progress: resolved.progress, whenComplete: true });
        }
      },
    )
    .command(
      'presets [name]',
      'list the shipped presets (presets/*.yaml), or print one preset\'s YAML mapping',
      (command) => command.positional('name', { type: 'string', describe: 'a preset whose YAML to print' }),
      (args) => presetsCommand(args as unknown as PresetsArgs),
    )
    .command(
      'report <inputs..>',
      'write only the quality report (report.json, report.html) of files or directories, routed as export would',
      (command) =>
        qualityOptions(reportOptions(processingOptions(command)))
          .positional('inputs', { type: 'string', array: true, describe: 'JSONL files, or directories searched with --glob' })
          .option('out', { type: 'string', requiresArg: true, describe: 'folder for report.json and report.html (created; not an export folder)' })
          .option('glob', { type: 'string', requiresArg: true, describe: `files to take from input directories (default ${DEFAULT_GLOB})` })
          .option('split', { type: 'string', requiresArg: true, describe: 'splits and ratios, as export takes them' })
          .option('seed', { type: 'string', requiresArg: true, describe: 'seed of the split hash (default 42)' })
          .option('split-key', { type: 'string', requiresArg: true, describe: 'column hashed for the split (default question)' })
          .option('min-score', { type: 'string', requiresArg: true, describe: 'pairs with validation_score below it count as rejected' })
          .coerce('workers', workerCount)
          .example('$0 report qa/ --out qa-report/ --fail-on "pass_rate<0.6"', 'the report and release gate without writing a dataset'),
      (args) => {
        const inputs = (args.inputs as string[]).map((file) => (file === STDIN_ARG ? '-' : file));
        return reportCommand({ ...(args as unknown as ReportCommandArgs), inputs });
      },
    )
    .command(
      'merge <dir>',
      'assemble the dataset in DIR from its ranks (DIR/ranks/, written by export --rank): the same files as one export',
      (command) =>
        command
          .positional('dir', { type: 'string', describe: 'the --out of the ranks (a folder, or s3://bucket/prefix)' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no summary or warnings on stderr' })
          .option('restart', { type: 'boolean', default: false, describe: 'discard an interrupted merge and start it over' })
          .option('progress', { type: 'boolean', describe: 'progress bar on stderr (default: when stderr is a terminal)' })
          .example('$0 merge dist/', 'after every rank of `qa-hf export qa/ --out dist/ --rank R --world-size N` is complete'),
      async (args) => {
        await mergeCommand(args as unknown as MergeArgs);
      },
    )
    .command(
      'verify <dir>',
      'check every file of an export against its manifest.json (exit 3 when something differs, 1 when DIR is no export)',
      (command) =>
        command
          .positional('dir', { type: 'string', describe: 'an export output directory' })
          .option('inputs', { type: 'boolean', default: true, describe: 'also check the inputs (--no-inputs to skip)' })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only differences' }),
      (args) => verifyCommand(args as unknown as VerifyArgs),
    )
    .option('debug', { type: 'boolean', default: false, describe: 'print stack traces of failures' })
    .option('s3-url-style', {
      type: 'string',
      requiresArg: true,
      describe: 's3:// URLs: bucket in the path or in the host name (default: path with AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else vhost)',
    })
    .coerce('s3-url-style', s3UrlStyleOption)
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
      throw new QaHfError('ERR_USAGE', `${message ?? err?.message} (see --help)`);
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
