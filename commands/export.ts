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
 * Order of a run: discover inputs → lock DIR → resume or start → stream batches
 * (checkpoint every CHECKPOINT_BYTES of input or CHECKPOINT_MS) → finalize:
 * commit data files, stats.json, manifest.json, remove checkpoint, unlock.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AtomicFile, syncDirectory, writeFileAtomic } from '../lib/atomic-file';
import type { Batch } from '../lib/batch';
import {
  type Checkpoint,
  type CheckpointInput,
  type CommittedOutput,
  type Position,
  checkpointPath,
  checkpointTempPath,
  mismatchError,
  readCheckpoint,
  resumeProblem,
  writeCheckpoint,
} from '../lib/checkpoint';
import { discoverInputs } from '../lib/discover';
import { QaHfError, toQaHfError } from '../lib/errors';
import { type Fingerprint, fingerprint, hashJson, sha256File } from '../lib/fingerprint';
import { MANIFEST_FILE, buildManifest, gitInfo, relativeToDir, type GitInfo, type ManifestFile } from '../lib/manifest';
import { StatsAccumulator } from '../lib/stats';
import { Tally, balanced, emptyCounts } from '../lib/tally';
import { createFileSource, type InputSpec } from '../streams/file-source';
import { createProcessingStages, runChain } from '../streams/chain';
import { createSink } from '../streams/sink';
import { Progress } from './progress';
import { Reporter } from './report';
import { TOOL_VERSION } from './version';

/** The data files of an export, by output channel. */
export const OUTPUT_FILES = {
  pairs: 'qa_pairs.jsonl',
  rejected: 'qa_rejected.jsonl',
  errors: 'qa_errors.jsonl',
} as const;
type OutputName = keyof typeof OUTPUT_FILES;
const OUTPUT_NAMES = Object.keys(OUTPUT_FILES) as OutputName[];

export const STATS_FILE = 'stats.json';
const LOCK_FILE = '.qa-hf.lock';

/** Checkpoint at least every 8 MiB of input or 2 s, whichever comes first. */
export const CHECKPOINT_BYTES = 8 << 20;
export const CHECKPOINT_MS = 2000;

export interface ExportArgs {
  inputs: string[];
  out: string;
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
  const leftovers = [checkpointTempPath(out), smallTempPath(out, STATS_FILE), smallTempPath(out, MANIFEST_FILE)];
  await Promise.all(leftovers.map((file) => fs.rm(file, { force: true })));
}

/** What decides the output bytes: a change here means a resume would mix two runs. */
function normalizedOptions(args: ExportArgs, inputs: string[]): Record<string, unknown> {
  return {
    inputs: inputs.map((file) => path.resolve(file)),
    glob: args.glob ?? null,
    preset: args.preset,
    max_line_bytes: args.maxLineBytes,
    fail_fast: args.failFast,
  };
}

export async function exportCommand(args: ExportArgs): Promise<void> {
  const out = args.out;
  const inputs = await discoverInputs(args.inputs, { glob: args.glob, exclude: out });
  const options = normalizedOptions(args, inputs);
  if (args.dryRun) return dryRun(args, inputs);
  await prepareOutDir(out);
  const unlock = await lock(out);
  const stopSignals = new StopSignals();
  try {
    await sweepTemps(out);
    const session = await ExportSession.open(args, inputs, options);
    await session.run(stopSignals);
  } finally {
    stopSignals.dispose();
    await unlock();
  }
}

/** Validates and counts, writes nothing. */
async function dryRun(args: ExportArgs, inputs: string[]): Promise<void> {
  const tally = new Tally();
  const reporter = new Reporter({ quiet: args.quiet, errorsWritten: false });
  try {
    await runChain([
      createFileSource(inputs),
      ...createProcessingStages({ preset: args.preset, maxLineBytes: args.maxLineBytes, failFast: args.failFast }),
      createSink({ outputs: {}, onCommit: (batch) => (tally.add(batch), reporter.warn(batch)) }),
    ]);
  } finally {
    reporter.summary(tally, [`dry run: ${inputs.length} inputs checked, nothing written`]);
  }
}

async function prepareOutDir(out: string): Promise<void> {
  try {
    await fs.mkdir(out, { recursive: true });
    const stat = await fs.stat(out);
    if (!stat.isDirectory()) throw new QaHfError('ERR_IO', `--out ${out} is not a directory`);
  } catch (err) {
    if (err instanceof QaHfError) throw err;
    throw new QaHfError('ERR_IO', `cannot use output directory ${out}: ${toQaHfError(err).message}`);
  }
}

/** One export per directory at a time; a lock left by a killed run is taken over. */
async function lock(out: string): Promise<() => Promise<void>> {
  const lockPath = path.join(out, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
      return () => fs.rm(lockPath, { force: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new QaHfError('ERR_IO', `cannot write to output directory ${out}: ${toQaHfError(err).message}`);
    }
    const owner = Number.parseInt(await fs.readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
      throw new QaHfError('ERR_IO', `another qa-hf export (pid ${owner}) is writing to ${out}`);
    }
    await fs.rm(lockPath, { force: true });
  }
  throw new QaHfError('ERR_IO', `cannot lock output directory ${out}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
  private bytesSinceCheckpoint = 0;
  private lastCheckpointAt = Date.now();
  private pendingCheckpoint: Promise<void> | null = null;
  private checkpointError: unknown = null;
  /** Fingerprints of inputs read to their end: they no longer change while we run. */
  private readonly wholeFingerprints = new Map<number, Fingerprint>();

  private constructor(
    private readonly args: ExportArgs,
    private readonly inputs: string[],
    private readonly options: Record<string, unknown>,
    private readonly state: Checkpoint,
    private readonly tally: Tally,
    private readonly stats: StatsAccumulator,
    private readonly resumed: boolean,
  ) {
    this.inputIndex = new Map(inputs.map((file, i) => [file, i]));
    this.reporter = new Reporter({ quiet: args.quiet, errorsWritten: true });
  }

  static async open(args: ExportArgs, inputs: string[], options: Record<string, unknown>): Promise<ExportSession> {
    const out = args.out;
    const optionsHash = hashJson(options);
    const fresh = (): Checkpoint => ({
      format: 'qa-hf-checkpoint',
      version: 1,
      tool_version: TOOL_VERSION,
      options_hash: optionsHash,
      inputs: inputs.map((file): CheckpointInput => ({ path: path.resolve(file), fingerprint: null, sha256: null })),
      position: { input: 0, offset: 0, line: 0 },
      outputs: Object.fromEntries(OUTPUT_NAMES.map((name) => [name, { bytes: 0, records: 0 }])),
      tally: new Tally().toJSON(),
      stats: new StatsAccumulator().state,
      finalizing: false,
      elapsed_ms: 0,
      runs: 0,
    });
    let state: Checkpoint | null = null;
    if (args.restart) {
      await fs.rm(checkpointPath(out), { force: true });
    } else {
      const found = await readCheckpoint(out);
      if (found.kind === 'damaged') {
        note(args, `the checkpoint in ${out} is unusable (${found.reason}); starting over`);
      } else if (found.kind === 'ok') {
        const problem = await resumeProblem(found.checkpoint, {
          toolVersion: TOOL_VERSION,
          optionsHash,
          inputs: inputs.map((file) => path.resolve(file)),
        });
        if (problem) throw mismatchError(out, problem);
        state = found.checkpoint;
      }
    }
    const resumed = state !== null;
    const session = new ExportSession(args, inputs, options, state ?? fresh(), new Tally(state?.tally), new StatsAccumulator(state?.stats), resumed);
    if (!state?.finalizing) {
      const opened = await session.openTargets(resumed);
      if (!opened) {
        // The temp files do not match the checkpoint (deleted or cut by hand): the
        // checkpoint cannot be trusted, so begin again from nothing.
        note(args, `the partial files in ${out} do not match its checkpoint; starting over`);
        return new ExportSession(args, inputs, options, fresh(), new Tally(), new StatsAccumulator(), false).withTargets();
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
    for (const name of OUTPUT_NAMES) {
      const final = path.join(this.args.out, OUTPUT_FILES[name]);
      const temp = tempPath(this.args.out, OUTPUT_FILES[name]);
      try {
        const keepBytes = resume ? this.state.outputs[name].bytes : undefined;
        this.targets.set(name, await AtomicFile.open(final, { tempPath: temp, keepBytes }));
      } catch (err) {
        if (resume && ((err as NodeJS.ErrnoException).code === 'ENOENT' || /fewer than/.test((err as Error).message))) {
          await Promise.all([...this.targets.values()].map((file) => file.abort(false)));
          this.targets.clear();
          return false;
        }
        throw toQaHfError(err);
      }
    }
    return true;
  }

  async run(stop: StopSignals): Promise<void> {
    const state = this.state;
    state.runs++;
    if (this.resumed && !this.args.quiet) {
      const at = state.position;
      const where = state.finalizing ? 'its final step' : `${this.inputs[at.input]} line ${at.line + 1} (byte ${at.offset})`;
      note(this.args, `resuming the interrupted export in ${this.args.out} at ${where}`);
    }
    if (!state.finalizing) await this.stream(stop);
    await this.finalize();
    this.reporter.summary(this.tally, [`wrote ${this.args.out}: ${OUTPUT_NAMES.map((name) => `${OUTPUT_FILES[name]} (${state.outputs[name].records})`).join(', ')}`]);
  }

  private async stream(stop: StopSignals): Promise<void> {
    const state = this.state;
    const { input, offset, line } = state.position;
    const specs: InputSpec[] = this.inputs.slice(input).map((file, i) => ({
      path: file,
      start: i === 0 && offset > 0 ? { offset, line } : undefined,
    }));
    const sizes = await Promise.all(this.inputs.map(async (file) => (await fs.stat(file)).size));
    const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
    const doneBefore = (position: Position) => sizes.slice(0, position.input).reduce((sum, size) => sum + size, 0) + position.offset;
    const progress = new Progress(totalBytes, doneBefore(state.position), this.args.progress ?? Boolean(process.stderr.isTTY));
    const onCommit = async (batch: Batch): Promise<void> => {
      this.commitBatch(batch);
      progress.update(doneBefore(state.position), this.tally.total);
      const due =
        this.bytesSinceCheckpoint >= (this.args.checkpointBytes ?? CHECKPOINT_BYTES) ||
        Date.now() - this.lastCheckpointAt >= (this.args.checkpointMs ?? CHECKPOINT_MS);
      if (batch.stop || stop.requested) await this.checkpoint(true);
      else if (due) await this.checkpoint();
      if (stop.requested && !batch.stop) {
        throw new QaHfError('ERR_INTERRUPTED', `stopped by ${stop.requested}; run the same command again to resume`);
      }
    };
    try {
      await runChain([
        createFileSource(specs, { onFileDigest: (file, digest) => this.digests.set(file, digest) }),
        ...createProcessingStages({ preset: this.args.preset, maxLineBytes: this.args.maxLineBytes, failFast: this.args.failFast }),
        createSink({ outputs: Object.fromEntries(this.targets), onCommit }),
      ]);
    } catch (err) {
      progress.stop();
      await this.settleCheckpoint().catch(() => undefined);
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
      const channel = entry.channel;
      if (channel !== 'blank' && channel !== null) state.outputs[channel].records++;
    }
    for (const name of OUTPUT_NAMES) state.outputs[name].bytes = this.targets.get(name)!.bytes;
    const index = this.inputIndex.get(batch.file)!;
    const previous = state.position;
    const advanced = index === previous.input ? batch.endOffset - previous.offset : batch.endOffset;
    this.bytesSinceCheckpoint += advanced;
    if (batch.fileEnd) {
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
   */
  private async checkpoint(wait = false): Promise<void> {
    await this.settleCheckpoint();
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
    const { position } = snapshot;
    // Fingerprint every input read so far, up to where it was read (whole ones once).
    for (let i = 0; i <= Math.min(position.input, this.inputs.length - 1); i++) {
      const whole = i < position.input;
      let print = whole ? this.wholeFingerprints.get(i) : undefined;
      if (!print) {
        print = await fingerprint(this.inputs[i], whole ? Number.MAX_SAFE_INTEGER : position.offset);
        if (whole) this.wholeFingerprints.set(i, print);
      }
      snapshot.inputs[i].fingerprint = print;
    }
    await writeCheckpoint(this.args.out, snapshot);
  }

  /** Commits the data files, writes stats.json and manifest.json, removes the checkpoint. Idempotent. */
  private async finalize(): Promise<void> {
    const out = this.args.out;
    const state = this.state;
    const outputs: ManifestFile[] = [];
    for (const name of OUTPUT_NAMES) {
      const file = OUTPUT_FILES[name];
      const target = this.targets.get(name);
      if (target) await target.commit();
      else await renameIfPending(out, file, state.outputs[name].bytes);
      const digest = await sha256File(path.join(out, file));
      outputs.push({ path: file, bytes: digest.bytes, records: state.outputs[name].records, sha256: digest.sha256 });
    }
    const inputs: ManifestFile[] = [];
    for (const [i, file] of this.inputs.entries()) {
      const known = state.inputs[i].sha256;
      const digest = known ? { sha256: known, bytes: (await fs.stat(file)).size } : await sha256File(file);
      inputs.push({ path: relativeToDir(out, file), bytes: digest.bytes, sha256: digest.sha256 });
    }
    const elapsedMs = state.elapsed_ms + (Date.now() - this.lastCheckpointAt);
    const inputBytes = inputs.reduce((sum, input) => sum + input.bytes, 0);
    const stats = this.stats.render(
      this.tally.total,
      this.inputs.map((file) => ({ path: relativeToDir(out, file), counts: this.tally.files.get(file) ?? emptyCounts() })),
      {
        duration_s: round(elapsedMs / 1000),
        input_mb_per_s: round(inputBytes / 1e6 / Math.max(elapsedMs / 1000, 1e-3)),
        records_per_s: round(this.tally.total.lines / Math.max(elapsedMs / 1000, 1e-3)),
        runs: state.runs,
      },
    );
    const statsText = `${JSON.stringify(stats, null, 2)}\n`;
    await writeFileAtomic(path.join(out, STATS_FILE), statsText, { tempPath: smallTempPath(out, STATS_FILE) });
    const statsDigest = await sha256File(path.join(out, STATS_FILE));
    outputs.push({ path: STATS_FILE, bytes: statsDigest.bytes, sha256: statsDigest.sha256 });
    const manifest = buildManifest({
      toolVersion: TOOL_VERSION,
      options: this.options,
      inputs,
      inputGit: await inputGit(this.args.inputs),
      outputs,
      createdAt: new Date(),
    });
    await writeFileAtomic(path.join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, {
      tempPath: smallTempPath(out, MANIFEST_FILE),
    });
    await fs.rm(checkpointPath(out), { force: true });
    await sweepTemps(out);
    await syncDirectory(out);
  }
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
    const stat = await fs.stat(arg).catch(() => null);
    const info = await gitInfo(stat?.isDirectory() ? arg : path.dirname(arg));
    if (info && !found.some((known) => known.commit === info.commit && known.dir === info.dir)) found.push(info);
  }
  return found;
}

function note(args: ExportArgs, message: string): void {
  if (!args.quiet) process.stderr.write(`qa-hf: ${message}\n`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
