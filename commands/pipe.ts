/**
 * pipe — `qa-hf [FILE…]`: JSONL in (files or stdin), passed pairs out on stdout,
 * rejected pairs and bad lines to optional files, a summary on stderr.
 */
import { QualityAccumulator, contaminationReport, duplicatesReport, piiReport } from '../lib/quality/counts';
import type { NgramIndex } from '../lib/quality/contamination';
import { loadEvalSets } from '../lib/io/eval-sets';
import { fstatSync, promises as fs, type Stats } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { QaHfError } from '../lib/errors';
import { checkInputFiles } from '../lib/io/inputs';
import { checkOutputTarget, type OutputPlan } from '../lib/io/output-target';
import { Tally, balanced, count } from '../lib/tally';
import type { Batch } from '../lib/batch';
import { type MappingSpec, presetName, resolvePreset } from '../lib/input/mapping';
import { loadMappingSchema } from '../lib/io/presets';
import { createFileSource } from '../streams/file-source';
import { printHint } from './hint';
import { type ChainPlan, buildChain, defaultWorkerCount } from '../streams/chain';
import { factsSpec } from '../lib/quality/facts';
import { createSink } from '../streams/sink';
import { inputName } from '../streams/file-source';
import { type QualityPlan, isDefaultQualityPlan, normalizeQualityPlan, redactsPii } from '../lib/quality/plan';
import { QualityRouter } from '../lib/quality/rules';
import { DEFAULT_SEED, DEFAULT_SPLIT_KEY, charLimitOptions, routedMetrics } from '../lib/dataset/plan';
import { parseSplitSpec } from '../lib/dataset/split';
import { Reporter } from './report';
import { exitOnSignal } from './signals';
import { NO_SPACE_STEP_RERUN, withNextStep } from '../lib/messages';
import { type UsableVerdict, judgeUsable } from '../lib/usable';
import type { PipeArgs } from '../lib/plan-args';
import type { PipeRunPlan } from '../lib/plan';
import { type ReportSetup, assembleReport, chatSpecOf, failOnBreaches, newAccumulator, prepareReport, prepareReportDir, writeReportFiles } from './quality-report';
import { ChatTokenCounter } from '../lib/quality/chat-tokens';
import type { ReportAccumulator } from '../lib/quality/report';

/** Pipe mode's arguments (lib/plan-args.ts: the plan hands them on). */
export type { PipeArgs } from '../lib/plan-args';

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
  // Every output is checked before any input is read: a typo costs nothing.
  const plans: OutputPlan[] = [];
  for (const [flag, output] of [['--rejected', args.rejected], ['--errors', args.errors]] as const) {
    if (output === undefined) continue;
    if (seen.has(path.resolve(output))) throw new QaHfError('ERR_USAGE', `${flag} ${output} is also an input`);
    const plan = await checkOutputTarget(output, { label: flag });
    // Standard output carries the pairs: another kind of row in the same stream is no dataset.
    if (plan.kind === 'descriptor' && (plan.fd === 1 || sameFile(plan.stat, fstatSync(1)))) {
      throw new QaHfError('ERR_USAGE', `${flag} ${output} is standard output, where the pairs go; name a file`);
    }
    if (plan.kind === 'descriptor' && plan.fd === 0) throw new QaHfError('ERR_USAGE', `${flag} ${output} is standard input, an input`);
    // Through a link too: an input is never replaced.
    if (plan.stat && (await isOneOf(plan.stat, files))) throw new QaHfError('ERR_USAGE', `${flag} ${output} is also an input`);
    plans.push(plan);
  }
  // Two atomic outputs on one file would rename over each other; a device or FIFO may take both.
  if (plans.length === 2 && plans[0].kind === 'atomic' && path.resolve(plans[0].resolved) === path.resolve(plans[1].resolved)) {
    throw new QaHfError('ERR_USAGE', '--rejected and --errors name the same file');
  }
  await checkInputFiles(files);
  return files;
}

/** True when `stat` is the file of one of `files` (same device and inode). */
async function isOneOf(stat: { dev: number; ino: number }, files: readonly string[]): Promise<boolean> {
  for (const file of files) {
    // Standard input read from a file (`< in.jsonl`) is that file; a terminal is nobody's file.
    const input = file === '-' ? stdinFile() : await fs.stat(file).catch(() => null);
    if (input && input.dev === stat.dev && input.ino === stat.ino) return true;
  }
  return false;
}

/** --pii, --dedup, --near-threshold of pipe mode; --tiers (configs of a dataset folder) is export's. */
function pipeQualityPlan(args: PipeArgs): QualityPlan {
  const quality = normalizeQualityPlan(args);
  if (quality.tiers) throw new QaHfError('ERR_USAGE', `--tiers needs qa-hf export (each tier is a config of a dataset folder), got ${JSON.stringify(args.tiers)}`);
  return quality;
}

/**
 * The quality rules' part of pipe mode's chain: with only the defaults (count PII, no
 * dedup) none, so the lines stay raw bytes end to end; otherwise the router (in
 * input order on this thread, one split) and a serializer for the batches whose
 * rows it moved or redacted.
 */
function qualityChain(
  quality: QualityPlan,
  files: readonly string[],
  columns: { preset: string; mapping?: MappingSpec },
  always: boolean,
  contamination: NgramIndex | null,
  limits: PipeCharLimits,
): Pick<ChainPlan, 'route' | 'reserialize'> {
  if (isDefaultQualityPlan(quality) && !always && limits.minChars === undefined && limits.maxChars === undefined) return { route: null };
  const plan = { spec: parseSplitSpec('train=1'), seed: DEFAULT_SEED, key: DEFAULT_SPLIT_KEY, quality, ...limits };
  // A row the rules changed is written again with the columns it was mapped to: the config's mapping, else the preset's.
  return { route: { plan, quality: new QualityRouter(quality, files.map(inputName), contamination) }, reserialize: columns };
}

/** --min-chars, --max-chars as export takes them (lib/dataset/plan.ts charLimitOptions). */
type PipeCharLimits = ReturnType<typeof charLimitOptions>;

export async function pipeCommand(plan: PipeRunPlan, io: PipeIo): Promise<void> {
  const args = plan.args;
  const files = await checkPipeArgs(args);
  // Nothing resumes pipe mode: a signal ends it at once, its temp files removed (lib/io/atomic-file.ts).
  const outputs = [['--rejected', args.rejected], ['--errors', args.errors]].flatMap(([flag, file]) => (file === undefined ? [] : [`${flag} ${file}`]));
  const disposeSignals = exitOnSignal(outputs);
  try {
    await convert(args, io, files);
  } catch (err) {
    // A full disk: nothing resumes pipe mode, so the whole run again.
    throw err instanceof QaHfError && err.code === 'ERR_NO_SPACE' ? withNextStep(err, NO_SPACE_STEP_RERUN) : err;
  } finally {
    disposeSignals();
  }
}

async function convert(args: PipeArgs, io: PipeIo, files: string[]): Promise<void> {
  // The quality report (--report DIR, --fail-on): options and tokenizer checked before any input is read;
  // its PII and duplicates sections come from the quality rules, which then run.
  // A config's mapping naming its schema file gets the schema read (its path is already resolved).
  const mapping = args.mapping === undefined ? undefined : loadMappingSchema(args.mapping, '');
  // --min-chars, --max-chars: pairs outside the limits go to the rejected output (too_short, too_long).
  const limits = args.minChars === undefined && args.maxChars === undefined ? {} : charLimitOptions(args, resolvePreset({ preset: args.preset, ...(mapping === undefined ? {} : { mapping }) }));
  const setup: ReportSetup | null = args.report !== undefined || args.failOn !== undefined ? await prepareReport(args, 'cli', ['pii', 'duplicates'], routedMetrics(limits)) : null;
  // The language check's thread ends with the run, whatever ends it.
  try {
    if (args.report !== undefined) await prepareReportDir(args.report, '--report');
    // --tokenizer FOLDER: each row's conversation rendered and counted for the report (pipe mode has no --max-tokens).
    const chatSpec = setup && chatSpecOf(setup, args, null);
    const report: ReportAccumulator | null = setup ? newAccumulator(setup, ['train'], undefined, chatSpec ? new ChatTokenCounter(chatSpec) : undefined) : null;
    const quality = pipeQualityPlan(args);
    // --decontaminate: the evaluation sets read before any input (once: the report's setup has them when it was made).
    const evalSets = setup?.evalSets ?? (quality.decontaminate ? await loadEvalSets(quality.decontaminate.files, quality.decontaminate) : null);
    const rules = qualityChain(quality, files, { preset: args.preset, mapping }, report !== null, evalSets?.index ?? null, limits);
    const qualityCounts = report !== null ? new QualityAccumulator(quality) : null;
    const tally = new Tally();
    const reporter = new Reporter({ quiet: args.quiet, errorsWritten: args.errors !== undefined });
    const onCommit = (batch: Batch): void => {
      tally.add(batch);
      report?.add(batch);
      // Bad lines count for pii_written only where they are written (--errors).
      if (qualityCounts) for (const entry of batch.entries) if (entry.channel !== 'errors' || args.errors !== undefined) qualityCounts.add(entry, batch.file, ['train']);
      reporter.warn(batch);
    };
    let inputFailure: QaHfError | null = null;
    const hints = new Map<string, string>();
    const source = createFileSource(files, {
      onHint: (file, hint) => {
        hints.set(file, hint);
        printHint(hint, args.quiet);
      },
      // A damaged input ends the run, but only after the lines read before it are written and counted.
      onInputError: (error) => (inputFailure = error),
    });
    // keepRows false: pipe mode only counts what it wrote, so lines may stay raw bytes end to end (the report and the quality rules read the rows).
    const processing = {
      preset: args.preset,
      ...(mapping === undefined ? {} : { mapping }),
      ...(args.segment === undefined ? {} : { segment: args.segment }),
      maxLineBytes: args.maxLineBytes,
      failFast: args.failFast,
      keepRows: report !== null || rules.route !== null,
      // The quality rules' and the report's per-row work, done by the processor (in the workers).
      ...(rules.route !== null ? { facts: factsSpec(quality, report?.language ?? null, report !== null) } : {}),
      // --pii redact|reject: the bad lines (--errors, the warnings) redacted where they are made.
      redactErrors: redactsPii(quality),
      workers: args.workers ?? defaultWorkerCount(await inputBytes(files), availableParallelism()),
    };
    const sink = createSink({ outputs: { pairs: process.stdout, rejected: args.rejected, errors: args.errors }, onCommit });
    const chain = buildChain({ processing, ...rules }, { source, sink });
    // An input (or the whole run) that gave nothing usable: exit 5 once everything is written (lib/usable.ts).
    let usable: UsableVerdict | null = null;
    try {
      await chain.run();
      if (inputFailure) throw inputFailure;
      usable = judgeUsable(tally.total, files.map(inputName), tally.files, { hints, preset: presetName(args), done: "the other inputs' rows are written", examples: reporter.firstErrors });
    } finally {
      if (!io.stdoutBroken()) {
        const notes: string[] = [];
        if (args.rejected === undefined && tally.total.rejected > 0) {
          notes.push(`${count(tally.total.rejected, 'rejected pair was', 'rejected pairs were')} not written (use --rejected FILE to keep ${tally.total.rejected === 1 ? 'it' : 'them'})`);
        }
        reporter.summary(tally, [...notes, ...(usable?.notes ?? [])]);
      }
    }
    if (!balanced(tally.total)) throw new Error('internal: the counts do not add up to the lines read');
    if (setup && report) {
      const state = qualityCounts!.state;
      const contamination = contaminationReport(state);
      const assembled = assembleReport(report, setup, tally.total, { pii: piiReport(state), duplicates: duplicatesReport(state), ...(contamination ? { contamination } : {}) });
      if (args.report !== undefined) await writeReportFiles(args.report, assembled);
      failOnBreaches(assembled.thresholds, args.report !== undefined ? `${args.report}/report.json` : 'pipe mode', usable?.error ?? null);
    }
    if (usable?.error) throw usable.error;
  } finally {
    await setup?.close();
  }
}

/** Bytes on disk of the inputs when all are regular files (stdin too, when redirected from one); else null. */
async function inputBytes(files: readonly string[]): Promise<number | null> {
  let total = 0;
  for (const file of files) {
    const stat = file === '-' ? fstatSync(0) : await fs.stat(file).catch(() => null);
    if (!stat || !stat.isFile()) return null;
    total += stat.size;
  }
  return total;
}

/** The same file or pipe (a terminal shared by stdout and stderr is no dataset: that is fine). */
function sameFile(a: Stats | null, b: Stats): boolean {
  return a !== null && !b.isCharacterDevice() && a.dev === b.dev && a.ino === b.ino;
}

function stdinFile(): Stats | null {
  try {
    const stat = fstatSync(0);
    return stat.isCharacterDevice() ? null : stat;
  } catch {
    return null;
  }
}
