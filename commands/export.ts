/**
 * export — `qa-hf export INPUT… --out DIR`: a whole corpus to a verified dataset
 * directory, resumable mid-file after any interruption.
 *
 * DIR gets qa_pairs.jsonl, qa_rejected.jsonl, qa_errors.jsonl, stats.json and
 * manifest.json. While running, the data files grow under hidden temporary names
 * and a checkpoint records how far every output and input is durably written;
 * running the same command again resumes from there. Final names appear only at
 * the end, each by fsync + rename + directory fsync, then the checkpoint goes.
 *
 * Order of a run: refuse inputs inside DIR → discover inputs → lock DIR → claim
 * DIR (empty, or a previous qa-hf export; foreign files only with --force:
 * lib/out-dir.ts) → resume or start → stream batches (checkpoint every
 * CHECKPOINT_BYTES of input or CHECKPOINT_MS) → finalize: commit data files,
 * stats.json, manifest.json, remove the replaced export's other files, remove
 * checkpoint, unlock.
 *
 * With --format/--split/… (lib/hub.ts) the data goes to the Hub layout instead:
 * one folder per format, `{split}-NNNNN-of-NNNNN.{ext}[.gz]` shards, README.md
 * (dataset card) and dataset_info.json; qa_errors.jsonl stays at the top. The
 * session is the same; the dataset sink (streams/dataset-sink.ts) writes the
 * shards, and checkpoints fall only every HubPlan.checkpointLines input lines,
 * where Parquet row groups and gzip members end, never on a timer, so a resumed
 * run writes the same bytes.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AtomicFile, syncDirectory, writeFileAtomic } from '../lib/io/atomic-file';
import type { Batch } from '../lib/batch';
import {
  type Checkpoint,
  type CheckpointInput,
  type Position,
  CHECKPOINT_VERSION,
  checkpointPath,
  checkpointTempPath,
  mismatchError,
  readCheckpoint,
  resumeProblem,
  writeCheckpoint,
} from '../lib/io/checkpoint';
import { discoverInputs } from '../lib/io/discover';
import { FORMATS, type FormatName, configDirectory } from '../lib/formats';
import { takeLock } from '../lib/io/lock';
import { type Owns, classifyFiles, collisions, filesToRemove, foreignFilesError, isWorkFile } from '../lib/out-dir';
import { listOutFiles, prepareOutDir, readPreviousExport, refuseInputFolders, refuseInputsInOut, removeReplaced } from '../lib/io/out-dir-fs';
import { QaHfError, toQaHfError } from '../lib/errors';
import { hashJson } from '../lib/canonical-json';
import { PrefixHasher, sha256File } from '../lib/io/fingerprint';
import { type InputInfo, describeInputs, startedStream } from '../lib/io/inputs';
import { MANIFEST_FILE, buildManifest, gitInfo, relativeToDir, type GitInfo, type ManifestFile } from '../lib/io/manifest';
import { renderCard, renderLlamaFactoryInfo } from '../lib/card';
import {
  type FinalShard,
  type HubArgs,
  type HubPlan,
  type HubState,
  type ExportPlan,
  FIXED_FILES,
  describeExport,
  flushNeutral,
  hubDirectories,
  hubOptionsRecord,
  hubOutputs,
  isShardFile,
  normalizeExportPlan,
  splitStats,
} from '../lib/hub';
import { parquetLibrary } from '../lib/parquet';
import { getPreset } from '../lib/presets';
import { finalizeShards } from '../lib/shards';
import { SplitTracker } from '../lib/split';
import { StatsAccumulator } from '../lib/stats';
import { Tally, balanced, count, emptyCounts } from '../lib/tally';
import { createFileSource, inputName, type InputSpec } from '../streams/file-source';
import { printHint } from './hint';
import { createProcessingStages, runChain } from '../streams/chain';
import { createSink } from '../streams/sink';
import { createRouter } from '../streams/router';
import { DatasetWriters, createDatasetSink } from '../streams/dataset-sink';
import { Progress, progressEnabled } from './progress';
import { Reporter } from './report';
import { TOOL_VERSION } from './version';

/** The data files of an export, by output channel. */
export const OUTPUT_FILES = FIXED_FILES;
type OutputName = keyof typeof OUTPUT_FILES;

export const STATS_FILE = 'stats.json';
/** The dataset card and LLaMA-Factory's dataset list of a Hub-layout export. */
export const CARD_FILE = 'README.md';
export const LLAMA_FACTORY_FILE = 'dataset_info.json';

/** Checkpoint at least every 8 MiB of input or 2 s, whichever comes first. */
export const CHECKPOINT_BYTES = 8 << 20;
export const CHECKPOINT_MS = 2000;

/** Pipe-mode options plus the Hub-layout ones (all absent: the simple layout). */
export interface ExportArgs extends HubArgs {
  inputs: string[];
  /** The output folder; may be absent only with dryRun. */
  out?: string;
  /** Write into a folder that holds files of no qa-hf export (kept, unless an output has their name). */
  force?: boolean;
  glob?: string;
  failFast: boolean;
  dryRun: boolean;
  restart: boolean;
  progress?: boolean;
  quiet: boolean;
  preset: string;
  maxLineBytes: number;
  checkpointBytes?: number;
  checkpointMs?: number;
  workers?: number;
}

function tempPath(out: string, file: string): string {
  return path.join(out, `.${file}.partial`);
}

/** Temp names of the small files written whole; fixed, so a killed run's leftovers are known. */
function smallTempPath(out: string, file: string): string {
  return path.join(out, `.${file}.tmp`);
}

/** Removes what a killed run may leave besides the checkpoint and the .partial files. */
async function sweepTemps(out: string): Promise<void> {
  const leftovers = [checkpointTempPath(out), ...[STATS_FILE, MANIFEST_FILE, CARD_FILE, LLAMA_FACTORY_FILE].map((file) => smallTempPath(out, file))];
  await Promise.all(leftovers.map((file) => fs.rm(file, { force: true })));
}

/** An export that writes: --out is known. */
type WritingArgs = ExportArgs & { out: string };

/**
 * What decides the output bytes: a change here means a resume would mix two runs.
 * Inputs are relative to --out (no absolute path of this machine in manifest.json,
 * and the same command gives the same hash). --fail-fast is not here: it changes
 * where a run stops, never the bytes written before the stop.
 */
function normalizedOptions(args: WritingArgs, inputs: string[], plan: ExportPlan): Record<string, unknown> {
  const options: Record<string, unknown> = {
    inputs: inputs.map((file) => relativeToDir(path.resolve(args.out), path.resolve(file))),
    glob: args.glob ?? null,
    preset: args.preset,
    max_line_bytes: args.maxLineBytes,
  };
  // The simple layout's plan has nothing to add: its checkpoint interval changes no byte (flushNeutral).
  if (plan.layout === 'hub') options.hub = hubOptionsRecord(plan, parquetLibrary());
  return options;
}

/** The processing stages' options: the same for a run and its dry run, so their counts agree. */
function stageOptions(args: ExportArgs) {
  return { preset: args.preset, maxLineBytes: args.maxLineBytes, failFast: args.failFast, workers: args.workers };
}

export async function exportCommand(args: ExportArgs): Promise<void> {
  const out = args.out;
  if (out === undefined || out === '') {
    if (!args.dryRun) throw new QaHfError('ERR_USAGE', 'export needs --out DIR (only --dry-run goes without it)');
  } else {
    await refuseInputFolders(args.inputs, out);
  }
  const plan = normalizeExportPlan(args, getPreset(args.preset));
  const inputs = await discoverInputs(args.inputs, { glob: args.glob, exclude: out || undefined });
  if (out) await refuseInputsInOut(inputs, out);
  if (args.dryRun) return dryRun(args, inputs, plan);
  const writing = args as WritingArgs;
  const options = normalizedOptions(writing, inputs, plan);
  await prepareOutDir(writing.out);
  const unlock = await takeLock(writing.out);
  const stopSignals = new StopSignals();
  try {
    pausePoint('after-lock');
    const claim = await claimOutDir(writing, plan);
    await sweepTemps(writing.out);
    const session = await ExportSession.open(writing, inputs, options, plan, claim);
    await session.run(stopSignals);
  } finally {
    stopSignals.dispose();
    await unlock();
  }
}

/** Validates and counts as the real run with these options would (--min-score included), writes nothing. */
async function dryRun(args: ExportArgs, inputs: string[], plan: ExportPlan): Promise<void> {
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
  try {
    await runChain([createFileSource(inputs, { onHint: (_file, hint) => printHint(hint, args.quiet) }), ...createProcessingStages(stageOptions(args)), createRouter({ plan }), createSink({ outputs: {}, onCommit })]);
  } finally {
    reporter.summary(tally, [`dry run: ${count(inputs.length, 'input')} checked, nothing written`]);
  }
}

/** Every name either layout may write: what a checkpoint of an older version owned. */
const LEGACY_OWNS: Owns = {
  files: [...Object.values(OUTPUT_FILES), STATS_FILE, MANIFEST_FILE, CARD_FILE, LLAMA_FACTORY_FILE],
  shard_dirs: (Object.keys(FORMATS) as FormatName[]).flatMap((format) => [configDirectory(format, 'pairs'), configDirectory(format, 'rejected')]),
};

/** The files a run with this plan writes (shards: by folder, their count is known only at the end). */
function runOwns(plan: ExportPlan): Owns {
  if (plan.layout === 'simple') return { files: [...Object.values(OUTPUT_FILES), STATS_FILE, MANIFEST_FILE], shard_dirs: [] };
  const chat = plan.formats.some((format) => format === 'alpaca' || format === 'sharegpt');
  return {
    files: [OUTPUT_FILES.errors, STATS_FILE, MANIFEST_FILE, CARD_FILE, ...(chat ? [LLAMA_FACTORY_FILE] : [])],
    shard_dirs: hubDirectories(plan),
  };
}

/** What this run owns in --out and which files of an earlier export it replaces. */
interface OutDirClaim {
  owns: Owns;
  replaces: string[];
}

/**
 * --out must be empty or hold a qa-hf export (complete or interrupted); other
 * files are refused, or with --force kept (those an output collides with are replaced).
 */
async function claimOutDir(args: WritingArgs, plan: ExportPlan): Promise<OutDirClaim> {
  const owns = runOwns(plan);
  const { owned, foreign } = classifyFiles(await listOutFiles(args.out), await readPreviousExport(args.out, LEGACY_OWNS));
  if (foreign.length > 0 && !args.force) throw foreignFilesError(args.out, foreign);
  const replaced = collisions(foreign, owns);
  if (replaced.length > 0) note(args, `--force: ${replaced.join(', ')} in ${args.out} will be replaced by this export's files`);
  return { owns, replaces: owned.filter((file) => !isWorkFile(file)) };
}

/** SIGINT/SIGTERM ask for a clean stop at the next batch: checkpoint, then exit 130. */
class StopSignals {
  requested: NodeJS.Signals | null = null;
  private readonly handler = (signal: NodeJS.Signals) => {
    if (this.requested) process.exit(130); // second signal: give up at once; the last checkpoint stands
    this.requested = signal;
  };

  constructor() {
    process.on('SIGINT', this.handler);
    process.on('SIGTERM', this.handler);
  }

  dispose(): void {
    process.removeListener('SIGINT', this.handler);
    process.removeListener('SIGTERM', this.handler);
  }
}

class ExportSession {
  private readonly targets = new Map<OutputName, AtomicFile>();
  private readonly digests = new Map<string, { sha256: string; bytes: number }>();
  private readonly inputIndex: Map<string, number>;
  private readonly reporter: Reporter;
  private readonly startedAt = Date.now();
  /** The outputs in `targets`: the plan's fixed files (all three in the simple layout, only the dead letter in the Hub layout). */
  private readonly outputNames: readonly OutputName[];
  /** The writers of the fixed files and shards (null once finalizing). */
  private writers: DatasetWriters | null = null;
  private bytesSinceCheckpoint = 0;
  /**
   * A checkpoint's fsyncs and write may run while batches keep flowing only when no
   * file is committed mid-stream (no shard limit: the simple layout); otherwise a
   * shard synced by the checkpoint could be committed and closed under it.
   */
  private get backgroundCheckpoints(): boolean {
    return this.plan.maxShardBytes === Number.POSITIVE_INFINITY;
  }
  private lastCheckpointAt = Date.now();
  private pendingCheckpoint: Promise<void> | null = null;
  private checkpointError: unknown = null;
  /** Per input, the running sha256 of its bytes consumed so far (advanced by writeSnapshot). */
  private readonly hashers: PrefixHasher[];
  /** Length of each input read to its end in this run (its fingerprint covers all of it). */
  private readonly inputEnds = new Map<number, number>();
  /** Per input: read as a stream (stdin, a pipe)? compressed? its size on disk. */
  private inputInfo: InputInfo[] = [];
  /** An input that failed mid-read (damaged compressed data): the run ends with it before that file's end is committed. */
  private inputFailure: QaHfError | null = null;

  private constructor(
    private readonly args: WritingArgs,
    private readonly inputs: string[],
    private readonly options: Record<string, unknown>,
    private readonly plan: ExportPlan,
    private readonly state: Checkpoint,
    private readonly tally: Tally,
    private readonly stats: StatsAccumulator,
    private readonly resumed: boolean,
    hashers?: PrefixHasher[],
  ) {
    this.hashers = hashers ?? inputs.map((file) => new PrefixHasher(file));
    this.inputIndex = new Map(inputs.map((file, i) => [inputName(file), i]));
    this.reporter = new Reporter({ quiet: args.quiet, errorsWritten: true });
    this.outputNames = plan.fixed;
  }

  static async open(args: WritingArgs, inputs: string[], options: Record<string, unknown>, plan: ExportPlan, claim: OutDirClaim): Promise<ExportSession> {
    const out = args.out;
    const optionsHash = hashJson(options);
    const fresh = (): Checkpoint => ({
      format: 'qa-hf-checkpoint',
      version: CHECKPOINT_VERSION,
      tool_version: TOOL_VERSION,
      options_hash: optionsHash,
      inputs: inputs.map((file): CheckpointInput => ({ path: path.resolve(file), fingerprint: null, sha256: null })),
      position: { input: 0, offset: 0, line: 0 },
      outputs: Object.fromEntries(plan.fixed.map((name) => [name, { bytes: 0, records: 0 }])),
      tally: new Tally().toJSON(),
      stats: new StatsAccumulator().state,
      finalizing: false,
      elapsed_ms: 0,
      runs: 0,
      owns: claim.owns,
      replaces: claim.replaces,
    });
    // Primed by the resume check (each input hashed to its checkpointed offset), so the run goes on from there.
    const hashers = inputs.map((file) => new PrefixHasher(file));
    const infos = await describeInputs(inputs);
    const streams = inputs.filter((_file, i) => infos[i].stream).map(inputName);
    if (streams.length > 0) {
      const which = streams.length === 1 ? `${streams[0]} is` : `${streams.join(', ')} are`;
      note(args, `note: ${which} read as a stream (stdin or a pipe): if this export is interrupted it cannot resume; run it again with --restart`);
    }
    let state: Checkpoint | null = null;
    if (args.restart) {
      await fs.rm(checkpointPath(out), { force: true });
    } else {
      const found = await readCheckpoint(out);
      if (found.kind === 'damaged') {
        note(args, `the checkpoint in ${out} is unusable (${found.reason}); starting over`);
      } else if (found.kind === 'ok') {
        const stream = startedStream(found.checkpoint.position, infos);
        if (stream !== null) {
          throw mismatchError(out, `input ${inputName(inputs[stream])} was read as a stream (stdin or a pipe), which cannot be read again from where it stopped`);
        }
        const problem = await resumeProblem(found.checkpoint, {
          toolVersion: TOOL_VERSION,
          optionsHash,
          inputs: inputs.map((file) => path.resolve(file)),
          hashers,
          wholeInputs: infos.map((info) => info.compressed),
        });
        if (problem) throw mismatchError(out, problem);
        state = found.checkpoint;
      }
    }
    const resumed = state !== null;
    const session = new ExportSession(args, inputs, options, plan, state ?? fresh(), new Tally(state?.tally), new StatsAccumulator(state?.stats), resumed, resumed ? hashers : undefined);
    session.inputInfo = infos;
    if (!state?.finalizing) {
      const opened = await session.openTargets(resumed);
      if (!opened) {
        // The temp files do not match the checkpoint (deleted or cut by hand): the
        // checkpoint cannot be trusted, so begin again from nothing.
        note(args, `the partial files in ${out} do not match its checkpoint; starting over`);
        const restarted = new ExportSession(args, inputs, options, plan, fresh(), new Tally(), new StatsAccumulator(), false);
        restarted.inputInfo = infos;
        return restarted.withTargets();
      }
    }
    return session;
  }

  private async withTargets(): Promise<this> {
    await this.openTargets(false);
    return this;
  }

  /** Opens every temp output: fresh, or cut back to its committed length. False if they do not fit. */
  private async openTargets(resume: boolean): Promise<boolean> {
    const misfit = (err: unknown) =>
      resume && ((err as NodeJS.ErrnoException).code === 'ENOENT' || /fewer than/.test((err as Error).message));
    for (const name of this.outputNames) {
      const final = path.join(this.args.out, OUTPUT_FILES[name]);
      const temp = tempPath(this.args.out, OUTPUT_FILES[name]);
      try {
        const keepBytes = resume ? this.state.outputs[name].bytes : undefined;
        this.targets.set(name, await AtomicFile.open(final, { tempPath: temp, keepBytes }));
      } catch (err) {
        if (misfit(err)) return this.abortTargets();
        throw toQaHfError(err);
      }
    }
    if (!resume) await sweepShards(this.args.out, this.plan);
    this.writers = await DatasetWriters.open({
      out: this.args.out,
      plan: this.plan,
      preset: getPreset(this.args.preset),
      fixed: Object.fromEntries(this.targets),
      state: resume ? this.state.hub : undefined,
    });
    if (!this.writers) return this.abortTargets();
    return true;
  }

  private async abortTargets(): Promise<false> {
    await Promise.all([...this.targets.values()].map((file) => file.abort(false)));
    this.targets.clear();
    return false;
  }

  async run(stop: StopSignals): Promise<void> {
    const state = this.state;
    state.runs++;
    if (this.resumed && !this.args.quiet) {
      const at = state.position;
      const where = state.finalizing ? 'its final step' : `${this.inputs[at.input]} line ${at.line + 1} (byte ${at.offset})`;
      note(this.args, `resuming the interrupted export in ${this.args.out} at ${where}`);
    }
    // A fresh run records at once what it owns and replaces, so a kill at any moment leaves a known folder.
    if (!this.resumed) await this.checkpoint(true);
    if (!state.finalizing) await this.stream(stop);
    const written = await this.finalize();
    this.reporter.summary(this.tally, [`wrote ${this.args.out}: ${written}`]);
  }

  private async stream(stop: StopSignals): Promise<void> {
    const state = this.state;
    const { input, offset, line } = state.position;
    const specs: InputSpec[] = this.inputs.slice(input).map((file, i) => ({
      path: file,
      start: i === 0 && offset > 0 ? { offset, line } : undefined,
    }));
    // Progress counts bytes on disk: a compressed input's by the raw bytes read (its offsets are decompressed ones); a stream's size is unknown (0).
    const sizes = this.inputInfo.map((info) => info.size);
    const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
    const rawRead = new Map<number, number>();
    const doneIn = (position: Position) => {
      const info = this.inputInfo[position.input];
      if (!info) return 0;
      return Math.min(info.compressed || info.stream ? (rawRead.get(position.input) ?? 0) : position.offset, info.size);
    };
    const doneBefore = (position: Position) => sizes.slice(0, position.input).reduce((sum, size) => sum + size, 0) + doneIn(position);
    const progress = new Progress(totalBytes, doneBefore(state.position), progressEnabled(this.args));
    const interrupted = () => new QaHfError('ERR_INTERRUPTED', `stopped by ${stop.requested}; run the same command again to resume`);
    const commit = (batch: Batch) => {
      // A damaged input's end is never committed: the checkpoint stays before it, so a rerun meets the same failure.
      if (this.inputFailure && batch.fileEnd) throw this.inputFailure;
      this.commitBatch(batch);
      progress.update(doneBefore(state.position), this.tally.total);
    };
    // One policy for both layouts (see checkpointDue): a checkpoint at every fixed
    // input position the sink cuts at, and in a flush-neutral plan also after any
    // part once CHECKPOINT_BYTES or CHECKPOINT_MS have passed, and at a stop.
    const neutral = flushNeutral(this.plan);
    const onCommit = async (part: Batch, atFixedPosition: boolean): Promise<void> => {
      commit(part);
      const capped =
        neutral &&
        (this.bytesSinceCheckpoint >= (this.args.checkpointBytes ?? CHECKPOINT_BYTES) ||
          Date.now() - this.lastCheckpointAt >= (this.args.checkpointMs ?? CHECKPOINT_MS));
      // A stop (fail-fast's cut, a signal) checkpoints where it falls only in a flush-neutral plan; otherwise a signal waits for the next fixed position.
      const stopping = neutral ? part.stop !== null || stop.requested !== null : atFixedPosition && stop.requested !== null;
      if (!atFixedPosition && !capped && !stopping) return;
      if (!atFixedPosition) await this.writers!.flush(); // the sink flushed at a fixed position; here only buffers reach the files
      await this.checkpoint(stopping || !this.backgroundCheckpoints);
      if (stop.requested && !part.stop && stopping) throw interrupted();
    };
    const sink = createDatasetSink({ writers: this.writers!, linesDone: this.tally.total.lines, checkpointLines: this.plan.checkpointLines, onCommit });
    try {
      await runChain([
        createFileSource(specs, {
          onFileDigest: (file, digest) => this.digests.set(file, digest),
          onHint: (_file, hint) => printHint(hint, this.args.quiet),
          onRawBytes: (file, bytes) => rawRead.set(this.inputIndex.get(file)!, bytes),
          onInputError: (error) => (this.inputFailure = error),
        }),
        ...createProcessingStages(stageOptions(this.args)),
        createRouter({ plan: this.plan }),
        sink,
      ]);
      if (this.inputFailure) throw this.inputFailure;
      await this.settleCheckpoint();
      state.hub = await this.writers!.finish();
    } catch (err) {
      progress.stop();
      await this.settleCheckpoint().catch(() => undefined);
      await this.writers?.abort();
      await Promise.all([...this.targets.values()].map((file) => file.abort(false)));
      throw err;
    }
    progress.stop();
    if (!balanced(this.tally.total)) throw new Error('internal: the counts do not add up to the lines read');
    state.finalizing = true;
    await this.checkpoint(true);
  }

  /** Accounts for a batch that the sink has written (not yet durable: see checkpoint). */
  private commitBatch(batch: Batch): void {
    const state = this.state;
    this.tally.add(batch);
    this.stats.add(batch);
    this.reporter.warn(batch);
    for (const entry of batch.entries) {
      const output = entry.channel === 'blank' || entry.channel === null ? undefined : state.outputs[entry.channel];
      if (output) output.records++;
    }
    for (const name of this.outputNames) state.outputs[name].bytes = this.targets.get(name)!.bytes;
    const index = this.inputIndex.get(batch.file)!;
    const previous = state.position;
    const advanced = index === previous.input ? batch.endOffset - previous.offset : batch.endOffset;
    this.bytesSinceCheckpoint += advanced;
    if (batch.fileEnd) {
      this.inputEnds.set(index, batch.endOffset);
      const digest = this.digests.get(batch.file);
      state.inputs[index].sha256 = digest ? digest.sha256 : null;
      state.position = { input: index + 1, offset: 0, line: 0 };
    } else {
      state.position = { input: index, offset: batch.endOffset, line: batch.endLine };
    }
  }

  /**
   * Records the state of this moment once the outputs are durable. The fsyncs and
   * the write run in the background while batches keep flowing (at most one at a
   * time): the state is copied now, and fsync covers at least the bytes it counts.
   * (See backgroundCheckpoints for when the caller waits.)
   */
  private async checkpoint(wait = false): Promise<void> {
    await this.settleCheckpoint();
    if (this.writers && !this.state.finalizing) this.state.hub = this.writers.snapshot();
    const snapshot = structuredClone({ ...this.state, tally: this.tally.toJSON(), stats: this.stats.state });
    this.state.elapsed_ms += Date.now() - this.lastCheckpointAt;
    snapshot.elapsed_ms = this.state.elapsed_ms;
    this.bytesSinceCheckpoint = 0;
    this.lastCheckpointAt = Date.now();
    this.pendingCheckpoint = this.writeSnapshot(snapshot).catch((err) => {
      this.checkpointError = err;
    });
    if (wait) await this.settleCheckpoint();
  }

  /** Waits for the checkpoint in flight; rethrows its failure. */
  private async settleCheckpoint(): Promise<void> {
    if (this.pendingCheckpoint) await this.pendingCheckpoint;
    this.pendingCheckpoint = null;
    if (this.checkpointError) throw this.checkpointError;
  }

  private async writeSnapshot(snapshot: Checkpoint): Promise<void> {
    for (const file of this.targets.values()) await file.sync();
    if (this.writers && !snapshot.finalizing) await this.writers.sync();
    await this.fingerprintInputs(snapshot);
    await writeCheckpoint(this.args.out, snapshot);
  }

  /**
   * Hashes every input on from where the last checkpoint left it to where this one
   * stands: an input finished in this run to its end (once), the current one to the offset.
   */
  private async fingerprintInputs(snapshot: Checkpoint): Promise<void> {
    const { position } = snapshot;
    for (let i = 0; i <= Math.min(position.input, this.inputs.length - 1); i++) {
      const info = this.inputInfo[i];
      if (info.stream) continue; // nothing to read again: a resume past a stream is refused (startedStream)
      // A compressed input's offsets count decompressed bytes: its fingerprint is the whole raw file.
      const end = info.compressed ? info.size : i < position.input ? this.inputEnds.get(i) : position.offset;
      if (end === undefined) continue; // finished in an earlier run: its whole fingerprint is in the state
      const print = await this.hashers[i].advanceTo(end);
      snapshot.inputs[i].fingerprint = print;
      if (i < position.input) {
        this.state.inputs[i].fingerprint = print;
        this.inputEnds.delete(i);
      }
    }
  }

  /**
   * Commits the data files (Hub layout: names the shards, writes README.md and
   * dataset_info.json), writes stats.json and manifest.json, removes the
   * checkpoint. Idempotent. Returns what was written, for the summary.
   */
  private async finalize(): Promise<string> {
    const out = this.args.out;
    const state = this.state;
    const outputs: ManifestFile[] = [];
    crashPoint('finalize-start');
    const shards = await nameShards(out, this.plan, state.hub);
    crashPoint('after-shard-names');
    // verify counts the lines of a file with `records`: only plain JSON-lines shards have one per record.
    const lineRecords = (file: string, records: number) => (file.endsWith('.jsonl') ? records : undefined);
    for (const files of shards.values()) for (const shard of files) outputs.push(await manifestEntry(out, shard.path, lineRecords(shard.path, shard.records)));
    for (const name of this.outputNames) {
      const file = OUTPUT_FILES[name];
      const target = this.targets.get(name);
      if (target) await target.commit();
      else await renameIfPending(out, file, state.outputs[name].bytes);
      outputs.push(await manifestEntry(out, file, state.outputs[name].records));
      crashPoint('after-first-rename');
    }
    const inputs: ManifestFile[] = [];
    for (const [i, file] of this.inputs.entries()) {
      if (this.inputInfo[i].stream) {
        // Hashed while it streamed by; verify cannot read it again and says so.
        const digest = this.digests.get(inputName(file));
        if (!digest) throw new Error(`internal: no digest of the streamed input ${inputName(file)}`);
        inputs.push({ path: file, bytes: digest.bytes, sha256: digest.sha256, stream: true }); // as given: `-`, /dev/fd/63, a FIFO
        continue;
      }
      const known = state.inputs[i].sha256;
      const digest = known ? { sha256: known, bytes: (await fs.stat(file)).size } : await sha256File(file);
      inputs.push({ path: relativeToDir(out, file), bytes: digest.bytes, sha256: digest.sha256 });
    }
    const elapsedMs = state.elapsed_ms + (Date.now() - this.lastCheckpointAt);
    const inputBytes = inputs.reduce((sum, input) => sum + input.bytes, 0);
    const { run, ...counted } = this.stats.render(
      this.tally.total,
      this.inputs.map((file) => ({ path: relativeToDir(out, file), counts: this.tally.files.get(inputName(file)) ?? emptyCounts() })),
      {
        duration_s: round(elapsedMs / 1000),
        input_mb_per_s: round(inputBytes / 1e6 / Math.max(elapsedMs / 1000, 1e-3)),
        records_per_s: round(this.tally.total.lines / Math.max(elapsedMs / 1000, 1e-3)),
        runs: state.runs,
      },
    );
    const stats: Record<string, unknown> = { ...counted };
    if (this.plan.layout === 'hub') {
      const plan = this.plan;
      const hub = state.hub!;
      const report = SplitTracker.restore(plan.spec, hub.tracker).report();
      if (plan.minScore !== undefined) stats.min_score = { threshold: plan.minScore, below_min_score: hub.belowMinScore };
      stats.split = splitStats(plan, report);
      const description = describeExport(plan, hub, shards, {
        title: path.basename(path.resolve(out)),
        loadPath: path.basename(path.resolve(out)),
        preset: getPreset(this.args.preset),
        counts: this.tally.total,
        report,
      });
      await writeFileAtomic(path.join(out, CARD_FILE), renderCard(description), { tempPath: smallTempPath(out, CARD_FILE) });
      outputs.push(await manifestEntry(out, CARD_FILE));
      if (plan.formats.some((format) => format === 'alpaca' || format === 'sharegpt')) {
        await writeFileAtomic(path.join(out, LLAMA_FACTORY_FILE), renderLlamaFactoryInfo(description), {
          tempPath: smallTempPath(out, LLAMA_FACTORY_FILE),
        });
        outputs.push(await manifestEntry(out, LLAMA_FACTORY_FILE));
      }
    }
    stats.run = run;
    await writeFileAtomic(path.join(out, STATS_FILE), `${JSON.stringify(stats, null, 2)}\n`, { tempPath: smallTempPath(out, STATS_FILE) });
    outputs.push(await manifestEntry(out, STATS_FILE));
    crashPoint('after-stats');
    // Foreign files --force kept in place: named, so verify knows they are the user's, not stray outputs.
    const written = [...outputs.map((file) => file.path), MANIFEST_FILE];
    const leaving = new Set([...written, ...filesToRemove(state.replaces ?? [], written)]);
    const kept = (await listOutFiles(out)).filter((file) => !leaving.has(file) && !isWorkFile(file));
    const manifest = buildManifest({
      toolVersion: TOOL_VERSION,
      options: this.options,
      inputs,
      inputGit: await inputGit(this.args.inputs),
      outputs,
      kept,
      createdAt: new Date(),
    });
    await writeFileAtomic(path.join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
      tempPath: smallTempPath(out, MANIFEST_FILE),
    });
    crashPoint('after-manifest');
    // The new export is complete: what an earlier one owned and this one did not write goes now (again after a kill).
    await removeReplaced(out, filesToRemove(state.replaces ?? [], [...outputs.map((file) => file.path), MANIFEST_FILE]));
    crashPoint('after-replace');
    await fs.rm(checkpointPath(out), { force: true });
    await sweepTemps(out);
    await syncDirectory(out);
    if (this.plan.layout === 'simple') return this.outputNames.map((name) => `${OUTPUT_FILES[name]} (${state.outputs[name].records})`).join(', ');
    const files = [...shards.values()].reduce((n, list) => n + list.length, 0);
    return `${count(files, 'shard')} in ${this.plan.formats.join(', ')}, ${CARD_FILE}, ${OUTPUT_FILES.errors} (${state.outputs.errors.records})`;
  }
}

async function manifestEntry(out: string, file: string, records?: number): Promise<ManifestFile> {
  const digest = await sha256File(path.join(out, file));
  return records === undefined ? { path: file, bytes: digest.bytes, sha256: digest.sha256 } : { path: file, bytes: digest.bytes, records, sha256: digest.sha256 };
}

/**
 * A fresh Hub-layout start: temp shards of an interrupted run go. Final shards of
 * an earlier export stay until this one is complete (then `replaces` removes them).
 */
async function sweepShards(out: string, plan: HubPlan): Promise<void> {
  for (const directory of hubDirectories(plan)) {
    const names = await fs.readdir(path.join(out, directory)).catch(() => [] as string[]);
    const temps = names.filter((name) => name.startsWith('.') && isShardFile(name));
    await Promise.all(temps.map((name) => fs.rm(path.join(out, directory, name), { force: true })));
  }
}

/**
 * Gives every finished shard its final `-of-NNNNN` name (redone safely after a
 * kill: a rename whose source is gone and whose target exists is done), then
 * removes leftover temp shards. Returns the final shards per output key.
 */
async function nameShards(out: string, plan: ExportPlan, hub: HubState | undefined): Promise<Map<string, FinalShard[]>> {
  const shards = new Map<string, FinalShard[]>();
  const states = new Map((hub?.outputs ?? []).map((state) => [state.key, state]));
  for (const output of hubOutputs(plan)) {
    const state = states.get(output.key);
    if (!state || state.done === 0) continue;
    const split = output.split;
    const directory = path.join(out, output.directory);
    const files: FinalShard[] = [];
    for (const [i, { from, to }] of finalizeShards(split, state.done, output.extension, output.gzip).entries()) {
      try {
        await fs.rename(path.join(directory, from), path.join(directory, to));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw toQaHfError(err);
        const stat = await fs.stat(path.join(directory, to)).catch(() => null);
        if (!stat || stat.size !== state.doneBytes[i]) {
          throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${output.directory}/${to} in ${out} is missing or cut short; run again with --restart`);
        }
      }
      files.push({ path: `${output.directory}/${to}`, bytes: state.doneBytes[i], records: state.doneRecords[i] });
    }
    shards.set(state.key, files);
  }
  for (const directory of hubDirectories(plan)) {
    const names = await fs.readdir(path.join(out, directory)).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => name.startsWith('.') && isShardFile(name)).map((name) => fs.rm(path.join(out, directory, name), { force: true })));
    if (names.length) await syncDirectory(path.join(out, directory));
  }
  return shards;
}

/**
 * Test seam: QA_HF_CRASH_AT=<point> kills the process with SIGKILL at that step
 * of finalize, so tests can land a kill exactly inside the final renames.
 */
function crashPoint(point: string): void {
  if (process.env.QA_HF_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

/** Test seam: QA_HF_PAUSE_AT=<point> stops the process (SIGSTOP) there until it gets SIGCONT, e.g. holding the lock. */
function pausePoint(point: string): void {
  if (process.env.QA_HF_PAUSE_AT === point) process.kill(process.pid, 'SIGSTOP');
}

/** After a kill during the final renames: finish what was pending. */
async function renameIfPending(out: string, file: string, bytes: number): Promise<void> {
  const temp = tempPath(out, file);
  try {
    await fs.rename(temp, path.join(out, file));
    await syncDirectory(out);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const stat = await fs.stat(path.join(out, file)).catch(() => null);
    if (!stat || stat.size !== bytes) {
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${file} in ${out} is missing or cut short; run again with --restart`);
    }
  }
}

async function inputGit(args: readonly string[]): Promise<GitInfo[]> {
  const found: GitInfo[] = [];
  for (const arg of args) {
    if (arg === '-') continue; // standard input has no folder
    const stat = await fs.stat(arg).catch(() => null);
    const info = await gitInfo(stat?.isDirectory() ? arg : path.dirname(arg));
    if (info && !found.some((known) => known.commit === info.commit && known.dir === info.dir)) found.push(info);
  }
  return found;
}

function note(args: { quiet: boolean }, message: string): void {
  if (!args.quiet) process.stderr.write(`qa-hf: ${message}\n`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
