/**
 * export — `qa-hf export INPUT… --out DIR`: a whole corpus to a verified dataset
 * directory, resumable mid-file after any interruption. This file is the command:
 * options → plan → claim --out → lock → session (export/session.ts), whose
 * checkpoints are export/checkpoint.ts's and whose last step is export/finalize.ts.
 *
 * DIR gets qa_pairs.jsonl, qa_rejected.jsonl, qa_errors.jsonl, stats.json and
 * manifest.json. While running, the data files grow under hidden temporary names
 * and a checkpoint records how far every output and input is durably written;
 * running the same command again resumes from there. Final names appear only at
 * the end, each by fsync + rename + directory fsync, then the checkpoint goes.
 *
 * Order of a run: refuse inputs inside DIR → discover inputs → lock DIR → claim
 * DIR (empty, or a previous qa-hf export; foreign files only with --force:
 * lib/dataset/out-dir.ts) → resume or start → stream batches (checkpoints: see
 * export/checkpoint.ts) → finalize: commit data files,
 * stats.json, manifest.json, remove the replaced export's other files, remove
 * checkpoint, unlock.
 *
 * With --format/--split/… (lib/dataset/plan.ts) the data goes to the Hub layout instead:
 * one folder per format, `{split}-NNNNN-of-NNNNN.{ext}[.gz]` shards, README.md
 * (dataset card) and dataset_info.json; qa_errors.jsonl stays at the top. Both
 * layouts are plans (lib/dataset/plan.ts normalizeExportPlan) run by the same session,
 * router, dataset sink (streams/dataset-sink.ts), checkpoint policy and finalize.
 */
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Batch } from '../../lib/batch';
import { type SkippedExport, discoverInputs, skippedExportsNote } from '../../lib/io/discover';
import { FORMATS, type FormatName, PARTITIONS_DIR, configDirectory } from '../../lib/dataset/formats';
import { takeLock } from '../../lib/io/lock';
import { type Owns, classifyFiles, collisions, foreignFilesError, isWorkFile } from '../../lib/dataset/out-dir';
import { absoluteInput, inputPath } from '../../lib/io/inputs';
import { listOutFiles, prepareOutDir, readPreviousExport, refuseFileOut, refuseInputFolders, refuseInputsInOut } from '../../lib/io/out-dir-fs';
import { NO_SPACE_STEP_RESUME, onlyVersionFolders, versionFolderCandidates, versionsFolderMessage, withNextStep } from '../../lib/messages';
import { QaHfError, toQaHfError } from '../../lib/errors';
import { isS3Url, s3UrlStyleOption, urlUnder } from '../../lib/s3-url';
import { configureS3, headObject, readObjectText } from '../../lib/io/s3';
import { MANIFEST_FILE, relativeToDir } from '../../lib/io/manifest';
import { type ExportPlan, filtersRecord, hubOptionsRecord, routedMetrics } from '../../lib/dataset/plan';
import { hubDirectories } from '../../lib/dataset/outputs';
import { writesLlamaFactory } from '../../lib/dataset/llama-factory';
import { OPTION_TABLE } from '../../lib/option-table';
import { configFromObject } from '../../lib/config';
import { normalizeEffective } from '../../lib/config-merge';
import { type ExportRunPlan, planRun } from '../../lib/plan';
import { readPlanFiles } from '../../lib/io/plan-files';
import { type Counts, Tally, count } from '../../lib/tally';
import { loadCustomFormats } from '../../lib/io/format-module';
import { presetName } from '../../lib/input/mapping';
import { isDefaultQualityPlan, qualityOptionsRecord } from '../../lib/quality/plan';
import type { NgramIndex } from '../../lib/quality/contamination';
import { QualityRouter } from '../../lib/quality/rules';
import { parquetLibrary } from '../../lib/dataset/parquet';
import { SAMPLE_RULE } from '../../lib/scale/sample';
import { versionFolder } from '../../lib/options';
import { completedVersion, isCompletedExport } from '../../lib/io/out-dir-fs';
import { computeSampleThreshold, refuseStreamInputs, routeSample } from './sample';
import { createFileSource, inputName } from '../../streams/file-source';
import { type UsableVerdict, judgeUsable } from '../../lib/usable';
import { buildChain } from '../../streams/chain';
import { createSink } from '../../streams/sink';
import { printHint } from '../hint';
import { Reporter } from '../report';
import { ExportSession, type Replay, stageOptions } from './session';
import { runRank } from './rank';
import { exportToObjectStore, rankToObjectStore } from './publish';
import { exportToHub } from '../push/export';
import { StopSignals } from '../signals';
import { REPORT_FILES, type ReportSetup, chatSpecOf, prepareReport, reportOptionsRecord } from '../quality-report';
import {
  CARD_FILE,
  type ExportArgs,
  type ExportProgress,
  LLAMA_FACTORY_FILE,
  type OutDirClaim,
  OUTPUT_FILES,
  STATS_FILE,
  type WritingArgs,
  note,
  pausePoint,
  sweepTemps,
} from './files';

export { CARD_FILE, LLAMA_FACTORY_FILE, OUTPUT_FILES, STATS_FILE, type ExportArgs, type ExportProgress } from './files';
export { CHECKPOINT_BYTES, CHECKPOINT_MS } from '../../lib/checkpoint-policy';

/**
 * What decides the output bytes: a change here means a resume would mix two runs.
 * Inputs are relative to --out (no absolute path of this machine in manifest.json,
 * and the same command gives the same hash). --fail-fast is not here: it changes
 * where a run stops, never the bytes written before the stop.
 */
export function normalizedOptions(args: WritingArgs, inputs: string[], plan: ExportPlan, report: ReportSetup): Record<string, unknown> {
  // A merge's inputs (and the inputBase the ranks recorded) are named in the ranks' working directory (inputCwd); --out in this one.
  const base = args.inputBase === undefined ? path.resolve(args.out) : path.resolve(args.inputCwd ?? '', args.inputBase);
  const options: Record<string, unknown> = {
    // Relative to --out, as in the manifest's inputs; stdin and descriptors (`-`, /dev/fd/63) as given.
    inputs: inputs.map((file) => (file === '-' || isS3Url(file) || /^\/(dev|proc)\//.test(file) ? file : relativeToDir(base, absoluteInput(file, args.inputCwd)))),
    glob: args.glob ?? null,
    preset: args.preset,
    max_line_bytes: args.maxLineBytes,
    report: reportOptionsRecord(report),
  };
  // Only when segmenting: other exports keep their options hash.
  if (args.segment !== undefined) options.segment = args.segment;
  // The mapping decides every row: a changed one refuses a resume, as a changed option does.
  if (args.mapping !== undefined) options.mapping = args.mapping;
  // The simple layout's plan has nothing to add: its checkpoint interval changes no byte (flushNeutral).
  if (plan.layout === 'hub') options.hub = hubOptionsRecord(plan, parquetLibrary());
  // The effective config (what the config file and the flags set), so a changed mapping or card refuses a resume too.
  if (args.settings && Object.keys(args.settings).length > 0) {
    const relocate = (file: string) => relativeToDir(base, path.resolve(args.inputCwd ?? '', file));
    options.config = normalizeEffective(args.settings, normalizedSettings(args, plan), relocate);
  }
  // The quality rules (--pii, --dedup, --tiers) when any is not its default: a default export's options stay as they were.
  if (!isDefaultQualityPlan(plan.quality)) options.quality = qualityOptionsRecord(plan.quality, report.evalSets?.files.map((file) => file.sha256));
  // --target-samples and --version only when given (the version is in the card's bytes).
  if (plan.targetSamples !== undefined) options.sample = { target: plan.targetSamples, rule: SAMPLE_RULE, key: plan.key, seed: plan.seed };
  if (args.version !== undefined) options.version = args.version;
  // --min-chars, --max-chars only when given: other exports keep their options hash.
  const filters = filtersRecord(plan);
  if (filters !== null) options.filters = filters;
  return options;
}

/** The options the effective config can name, as the normalizers made them (file keys): each row's `settled` (lib/option-table.ts). */
function normalizedSettings(args: WritingArgs, plan: ExportPlan): Record<string, unknown> {
  return Object.fromEntries(OPTION_TABLE.flatMap((row) => (row.settled ? [[row.name, row.settled(plan, args)]] : [])));
}

/** exportDataset's options. */
export interface ExportDatasetOptions {
  /** After every committed part: input bytes done of all, and the counts so far. */
  onProgress?: (progress: ExportProgress) => void;
  /** The folder relative paths of the config resolve against; default the working directory. */
  baseDir?: string;
}

/**
 * The library's export: the same config object as a qa-hf.yaml holds (the same
 * keys: `inputs`, `out`, `format: [jsonl, parquet]`, `card: {…}`, …) gives the same
 * files as `qa-hf export` run with that file. Quiet unless the config says
 * `quiet: false`. While it runs, SIGINT/SIGTERM stop it at the next checkpoint
 * (the promise rejects with ERR_INTERRUPTED; calling it again resumes).
 *
 *   const counts = await exportDataset({ inputs: ['qa/'], out: 'dist', format: ['jsonl', 'parquet'] });
 */
export async function exportDataset(config: Record<string, unknown>, options: ExportDatasetOptions = {}): Promise<Counts> {
  const baseDir = options.baseDir === undefined ? '' : path.relative(process.cwd(), path.resolve(options.baseDir));
  const loaded = configFromObject(config, baseDir);
  // `s3-url-style`, as the CLI's flag or file key would: how s3:// URLs are addressed.
  const style = loaded.values['s3-url-style'];
  if (style !== undefined) configureS3({ urlStyle: s3UrlStyleOption(style) });
  const flags = loaded.values.quiet === undefined ? { quiet: true } : {};
  const plan = planRun('export', flags, loaded, { vars: process.env, cwd: process.cwd() }, readPlanFiles({}, loaded));
  return exportCommand(plan, { onProgress: options.onProgress });
}

/** What a run takes besides its plan: the library's progress callback. */
export interface ExportCallbacks {
  onProgress?: ExportArgs['onProgress'];
}

/** Where the merge's export (export/merge.ts) gets its rows: the ranks' processed lines, and the inputs as the ranks read them. */
export interface RankedRows {
  inputs: string[];
  replay: Replay;
}

/** The `dataset_version` of a manifest's text (an export with --version), else null. */
function publishedVersion(text: string | null): string | null {
  if (text === null) return null;
  try {
    const version = (JSON.parse(text) as { dataset_version?: unknown } | null)?.dataset_version;
    return typeof version === 'string' ? version : null;
  } catch {
    return null;
  }
}

/**
 * `qa-hf export`: runs the plan; returns the counts of the whole export (a dry run's:
 * what a real run would count). --out s3://… runs the export in a local staging
 * folder, then uploads it (export/publish.ts); a rank uploads its share.
 */
export async function exportCommand(plan: ExportRunPlan, callbacks: ExportCallbacks = {}): Promise<Counts> {
  const target = plan.target;
  // --out hf://datasets/OWNER/NAME: a local export into a staging folder, then qa-hf push (push/export.ts).
  if (target?.kind === 'hub') return exportToHub(plan, target, (staged) => runExport(staged, callbacks));
  if (target?.kind !== 's3') return runExport(plan, callbacks);
  // A rank: its folder under PREFIX/ranks/, uploaded with rank.json last (the merge publishes the dataset).
  if (plan.rank) return rankToObjectStore(plan, target.at, plan.rank, (staged) => runExport(staged, callbacks));
  const url = target.at.url;
  if (plan.version !== undefined && (await headObject(urlUnder(target.at, MANIFEST_FILE))) !== null) {
    throw new QaHfError('ERR_USAGE', `version ${plan.version} is already complete in ${url} (its manifest.json): a finished version is never overwritten; choose another --version`);
  }
  if (plan.version === undefined) {
    const finished = publishedVersion(await readObjectText(urlUnder(target.at, MANIFEST_FILE)));
    if (finished !== null) {
      throw new QaHfError('ERR_USAGE', `--out ${url} holds the finished version ${finished} (its manifest.json): a finished version is never overwritten; choose another --out, or --out with another --version`);
    }
  }
  return exportToObjectStore(plan, target.at, (staged) => runExport(staged, callbacks));
}

/**
 * Runs an export into a local folder (`plan.args.out`: --out, its version's folder, an
 * S3 export's staging folder, or the merge's DIR): the one run of export, a rank,
 * a dry run and the merge (`ranked`: rows from the ranks).
 */
export async function runExport(plan: ExportRunPlan, callbacks: ExportCallbacks = {}, ranked?: RankedRows): Promise<Counts> {
  const local = plan.target?.kind === 'local' ? plan.target : null;
  // The folder the user named: with --version it holds every version, none of which may be an input.
  const root = local?.root ?? plan.args.out;
  if (root !== undefined && root !== '') {
    await refuseFileOut(root);
    await refuseInputFolders(plan.args.inputs.map((file) => inputPath(file, plan.args.inputCwd)), root);
    // OUT of a single export: a version's folder inside it would be files its manifest does not list.
    if (local && plan.version !== undefined && !plan.fromRanks && (await fs.stat(path.join(root, MANIFEST_FILE)).then(() => true, () => false))) {
      throw new QaHfError('ERR_USAGE', `--out ${root} holds an export (its ${MANIFEST_FILE}): --version writes ${path.join(root, versionFolder(plan.version))} inside it, which that export's verify would call extra files; choose another --out for the versions`);
    }
  }
  const { args, plan: dataset, report } = await settleExport(plan, callbacks);
  // The language check's thread ends with the run, whatever ends it (a library caller runs many exports in one process).
  try {
    const rank = plan.rank;
    const onSkippedExports = (skipped: readonly SkippedExport[]) => note(args, skippedExportsNote(skipped));
    const inputs = ranked?.inputs ?? (await discoverInputs(args.inputs, { glob: args.glob, exclude: root || undefined, onSkippedExports }));
    if (root) await refuseInputsInOut(inputs.map((file) => inputPath(file, args.inputCwd)), root);
    if (dataset.targetSamples !== undefined) await refuseStreamInputs(inputs, args.inputCwd);
    if (args.dryRun) return dryRun(args, inputs, dataset, report.evalSets?.index ?? null);
    const writing = args as WritingArgs;
    const options = normalizedOptions(writing, inputs, dataset, report);
    const shownOut = plan.target?.kind === 's3' ? plan.target.at.url : plan.target?.kind === 'hub' ? plan.target.url : writing.out;
    if (rank) return runRank(writing, inputs, options, rank, shownOut).catch((err: unknown) => Promise.reject(resumableFailure(err)));
    await prepareOutDir(writing.out);
    const unlock = await takeLock(writing.out);
    const stopSignals = new StopSignals({ quiet: writing.quiet });
    try {
      pausePoint('after-lock');
      // A finished version is never written over; an interrupted one (its checkpoint still there) resumes.
      if (writing.version !== undefined && (await isCompletedExport(writing.out))) {
        throw new QaHfError('ERR_USAGE', `version ${writing.version} is already complete in ${writing.out} (its manifest.json): a finished version is never overwritten; choose another --version`);
      }
      // … nor by an export pointed at the version's folder itself (--out dist/v1.0.0).
      const finished = await completedVersion(writing.out);
      if (finished !== null) {
        throw new QaHfError('ERR_USAGE', `--out ${writing.out} holds the finished version ${finished} (its manifest.json): a finished version is never overwritten; choose another --out, or --out with another --version`);
      }
      const claim = await claimOutDir(writing, dataset);
      await sweepTemps(writing.out);
      const session = await ExportSession.open(writing, inputs, options, dataset, claim, report, ranked?.replay);
      return await session.run(stopSignals);
    } catch (err) {
      throw resumableFailure(err);
    } finally {
      stopSignals.dispose();
      await unlock();
    }
  } finally {
    await report.close();
  }
}

/** A full disk ends a run that keeps what it committed: its message says to free space and resume. */
function resumableFailure(err: unknown): unknown {
  const code = err instanceof QaHfError ? err.code : (err as NodeJS.ErrnoException | null)?.code;
  if (code !== 'ERR_NO_SPACE' && code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return withNextStep(toQaHfError(err), NO_SPACE_STEP_RESUME);
}

/**
 * What an export's plan settles into before any input is read (what the options
 * hash is made of, with the inputs): the plan with its custom format modules loaded,
 * the report's options with the tokenizer loaded; the arguments with the library's
 * progress callback.
 */
export async function settleExport(run: ExportRunPlan, callbacks: ExportCallbacks = {}): Promise<{ args: ExportArgs; plan: ExportPlan; report: ReportSetup }> {
  const args: ExportArgs = callbacks.onProgress === undefined ? run.args : { ...run.args, onProgress: callbacks.onProgress };
  // Custom format modules: loaded (and checked) now, before any file is touched; their sha256 goes into the options hash.
  // A merge's module and tokenizer paths are named, as its inputs, in the ranks' working directory (inputCwd).
  const cwd = args.inputCwd;
  const loaded: ExportPlan = run.dataset.custom.length > 0 ? { ...run.dataset, custom: await loadCustomFormats(run.dataset.custom, cwd) } : run.dataset;
  // --language, --fail-on, --tokenizer: checked (the tokenizer loaded) before any input is read.
  // The quality rules' sections (PII, duplicates) are in every export's report: their --fail-on rules are measured.
  const named =
    cwd === undefined
      ? args
      : {
          ...args,
          ...(typeof args.tokenizer === 'string' ? { tokenizer: inputPath(args.tokenizer, cwd) } : {}),
          ...(args.decontaminate !== undefined ? { decontaminate: ([] as unknown[]).concat(args.decontaminate).map((file) => (typeof file === 'string' ? inputPath(file, cwd) : file)) } : {}),
        };
  const report = await prepareReport(named, 'cli', ['pii', 'duplicates'], routedMetrics(loaded));
  // --tokenizer FOLDER: the model's files join the plan as data, so every router and worker renders and counts alike.
  const chat = chatSpecOf(report, args, loaded.systemPrompt ?? null, loaded.maxTokens);
  const plan = chat ? { ...loaded, chat } : loaded;
  return { args, plan, report };
}

/** Validates and counts as the real run with these options would (--min-score included), writes nothing. */
async function dryRun(args: ExportArgs, inputs: string[], plan: ExportPlan, contamination: NgramIndex | null): Promise<Counts> {
  const tally = new Tally();
  const reporter = new Reporter({
    quiet: args.quiet,
    errorsWritten: false,
    keepHint: `run without --dry-run to write them all to ${OUTPUT_FILES.errors}`,
  });
  const onCommit = (batch: Batch) => {
    tally.add(batch);
    reporter.warn(batch);
  };
  const hints = new Map<string, string>();
  const onHint = (file: string, hint: string) => {
    hints.set(file, hint);
    printHint(hint, args.quiet);
  };
  // An input (or the whole run) that gave nothing usable: exit 5, as the real run would end (lib/usable.ts).
  let usable: UsableVerdict | null = null;
  try {
    // --target-samples: the first pass finds the cutoff, as the real run's does.
    const threshold = plan.targetSamples === undefined ? undefined : await computeSampleThreshold(args, inputs, plan, stageOptions(args, []), contamination);
    const sample = threshold && routeSample(threshold, plan, inputs);
    const quality = new QualityRouter(plan.quality, inputs.map(inputName), contamination);
    await buildChain({ processing: stageOptions(args, []), route: { plan, quality, sample } }, { source: createFileSource(inputs, { onHint }), sink: createSink({ outputs: {}, onCommit }) }).run();
    usable = judgeUsable(tally.total, inputs.map(inputName), tally.files, { hints, preset: presetName(args), done: 'nothing written (dry run)', examples: reporter.firstErrors });
  } finally {
    // The release gate reads the report, which a dry run does not build: say so rather than pass it in silence.
    const gate = args.failOn !== undefined ? ['--fail-on is not evaluated by a dry run (it reads the report, which only the real run builds)'] : [];
    reporter.summary(tally, [`dry run: ${count(inputs.length, 'input')} checked, nothing written`, ...gate, ...(usable?.notes ?? [])]);
  }
  if (usable.error) throw usable.error;
  return tally.total;
}

/** Every name either layout may write: what a checkpoint of an older version owned. */
const LEGACY_OWNS: Owns = {
  files: [...Object.values(OUTPUT_FILES), STATS_FILE, ...REPORT_FILES, MANIFEST_FILE, CARD_FILE, LLAMA_FACTORY_FILE],
  shard_dirs: (Object.keys(FORMATS) as FormatName[]).flatMap((format) => [configDirectory(format, 'pairs'), configDirectory(format, 'rejected')]),
};

/** The files a run with this plan writes (shards: by folder, their count is known only at the end). */
function runOwns(plan: ExportPlan): Owns {
  if (plan.layout === 'simple') return { files: [...Object.values(OUTPUT_FILES), STATS_FILE, ...REPORT_FILES, MANIFEST_FILE], shard_dirs: [] };
  const chat = writesLlamaFactory(plan.formats);
  return {
    files: [OUTPUT_FILES.errors, STATS_FILE, ...REPORT_FILES, MANIFEST_FILE, CARD_FILE, ...(chat ? [LLAMA_FACTORY_FILE] : [])],
    shard_dirs: hubDirectories(plan),
    // --partition-by: the partitions' folders are known as rows arrive; every shard under partitions/ is the run's.
    ...(plan.partitionBy !== undefined ? { shard_roots: [PARTITIONS_DIR] } : {}),
  };
}

/**
 * --out must be empty or hold a qa-hf export (complete or interrupted); other
 * files are refused, or with --force kept (those an output collides with are replaced).
 */
async function claimOutDir(args: WritingArgs, plan: ExportPlan): Promise<OutDirClaim> {
  const owns = runOwns(plan);
  const { owned, foreign } = classifyFiles(await listOutFiles(args.out), await readPreviousExport(args.out, LEGACY_OWNS));
  if (foreign.length > 0 && !args.force) {
    // Versions side by side (OUT/v1.0.0/, written with --version): a versions folder, not files of someone else.
    const versions = await qaHfVersionFolders(args.out, foreign);
    if (onlyVersionFolders(foreign, versions)) throw new QaHfError('ERR_USAGE', versionsFolderMessage(args.out, versions));
    throw foreignFilesError(args.out, foreign);
  }
  const replaced = collisions(foreign, owns);
  if (replaced.length > 0) note(args, `--force: ${replaced.join(', ')} in ${args.out} will be replaced by this export's files`);
  return { owns, replaces: owned.filter((file) => !isWorkFile(file)) };
}

/** The version folders among `files` that hold a qa-hf export, complete (its manifest) or interrupted (its checkpoint). */
async function qaHfVersionFolders(out: string, files: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const folder of versionFolderCandidates(files)) {
    const previous = await readPreviousExport(path.join(out, folder), LEGACY_OWNS);
    if (previous.manifest !== null || previous.checkpoint !== null) found.push(folder);
  }
  return found;
}

