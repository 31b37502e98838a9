/**
 * export/session — one run of an export: opens the fixed files and the writers
 * (fresh, or cut back to a checkpoint), streams the inputs through
 * source → processing → router → dataset sink, accounts for every committed part
 * (tally, stats, quality counts, position), lets export/checkpoint.ts record
 * checkpoints, and hands over to export/finalize.ts.
 *
 * The quality rules' dedup state (lib/quality/dedup.ts) lives in the router's
 * QualityRouter, which runs ahead of what is committed; what is committed is the
 * log: each committed part's records' log bytes are appended to
 * `.qa-hf-dedup.partial` before the checkpoint that counts them (the file is synced
 * with the outputs, its length recorded as quality.log_bytes). A resume cuts the
 * log back to that length and replays it, so the router continues with the state
 * of the committed records: the same decisions as an uninterrupted run.
 *
 * `qa-hf merge` runs this same session with a Replay (export/merge.ts): the ranks'
 * processed lines, as Batches of the inputs with their own files, lines and
 * offsets, take the place of source → processing; everything after is this run's.
 */
import { promises as fs } from 'node:fs';
import { AtomicFile, isShortOrMissing } from '../../lib/io/atomic-file';
import type { Batch } from '../../lib/batch';
import type { Checkpoint, Position } from '../../lib/io/checkpoint';
import { QaHfError, toQaHfError } from '../../lib/errors';
import { hashJson } from '../../lib/canonical-json';
import { type InputHasher, inputHasher } from '../../lib/io/fingerprint';
import { type InputInfo, describeInputs, inputPath } from '../../lib/io/inputs';
import { type ExportPlan, type FixedChannel, flushNeutral } from '../../lib/dataset/plan';
import { type FactsSpec, factsSpec } from '../../lib/quality/facts';
import { type MappingSpec, presetName, resolvePreset } from '../../lib/input/mapping';
import { StatsAccumulator } from '../../lib/quality/stats';
import type { QualitySections } from '../../lib/quality/report-json';
import type { ReportAccumulator } from '../../lib/quality/report';
import { QualityAccumulator, contaminationReport, duplicatesReport, emptyQualityState, piiReport, tiersReport } from '../../lib/quality/counts';
import { QualityRouter } from '../../lib/quality/rules';
import { ChatTokenCounter } from '../../lib/quality/chat-tokens';
import { countBelowMinScore } from '../../lib/dataset/route';
import { normalizeQualityPlan, redactsPii } from '../../lib/quality/plan';
import { type Counts, Tally, balanced } from '../../lib/tally';
import { judgeUsable } from '../../lib/usable';
import { createFileSource, inputName, type InputSpec } from '../../streams/file-source';
import { buildChain } from '../../streams/chain';
import { type DatasetCommit, DatasetWriters, createDatasetSink } from '../../streams/dataset-sink';
import { failFastError } from '../../streams/commit-sink';
import { checkpointPolicy, createCheckpointStage } from '../../streams/checkpoint';
import { printHint } from '../hint';
import { Progress, progressEnabled } from '../progress';
import { Reporter } from '../report';
import { type ReportSetup, failOnBreaches, newAccumulator } from '../quality-report';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Checkpointer, freshCheckpoint, loadResumeState } from './checkpoint';
import { CHECKPOINT_BYTES, CHECKPOINT_MS } from '../../lib/checkpoint-policy';
import { finalizeExport } from './finalize';
import { checkSampleCounts, computeSampleThreshold, routeSample } from './sample';
import { DEDUP_LOG, type ExportArgs, type OutDirClaim, type OutputName, OUTPUT_FILES, type WritingArgs, crashPoint, note, pausePoint, sweepShards, tempPath } from './files';
import type { StopSignals } from '../signals';
import { PreferenceLog, preferenceReport, writesPreference } from './preference';
import { emptyPreferenceState } from '../../lib/dataset/preference';

/**
 * The processing stages' options: the same for a run, its dry run and its ranks, so
 * their counts and bytes agree. `serialize`: the outputs whose JSONL bytes are written as the
 * processor makes them, the plan's fixed files (the simple layout: all three; the
 * Hub layout: qa_errors.jsonl alone, its shards are written from the rows); a dry
 * run writes nothing, so none.
 */
export function stageOptions(args: ExportArgs, serialize: readonly FixedChannel[], facts?: FactsSpec) {
  // --pii redact|reject: the bad lines' text redacted where it is made, so the dead letter, a rank's intermediate and the warnings hold none.
  const redactErrors = redactsPii(normalizeQualityPlan(args));
  return { preset: args.preset, mapping: args.mapping as MappingSpec | undefined, maxLineBytes: args.maxLineBytes, failFast: args.failFast, workers: args.workers, serialize, segment: args.segment, facts, keepTexts: false, redactErrors };
}


/**
 * Processed lines from elsewhere (the ranks of a merge): a stream of Batches in
 * input order, exactly as source → processing would give them, from `position` on.
 */
export interface Replay {
  source(position: Position): Readable;
  /**
   * The sha256 and size of each input (by name) whose bytes the merge checked against
   * what the ranks read (commands/export/merge.ts checkInputBytes): the manifest
   * records these, never a hash of the file as it is at the end.
   */
  digests?: ReadonlyMap<string, { sha256: string; bytes: number }>;
}

/** How a run stopped by a signal ends (exit 130). */
function interrupted(stop: StopSignals): QaHfError {
  return new QaHfError('ERR_INTERRUPTED', `stopped by ${stop.requested}; ${stop.resume}`);
}

export class ExportSession {
  private readonly targets = new Map<OutputName, AtomicFile>();
  private readonly digests = new Map<string, { sha256: string; bytes: number }>();
  private readonly inputIndex: Map<string, number>;
  private readonly reporter: Reporter;
  /** The writers of the fixed files and shards (null once finalizing). */
  private writers: DatasetWriters | null = null;
  private readonly checkpoints: Checkpointer;
  /** Per input, the running sha256 of its bytes consumed so far: fed by the file source, read by the checkpoints. */
  private readonly hashers: InputHasher[];
  /** An input that failed mid-read (damaged compressed data): the run ends with it before that file's end is committed. */
  private inputFailure: QaHfError | null = null;
  /** The quality rules' counts (the checkpoint's `quality`, adopted). */
  private readonly quality: QualityAccumulator;
  /** Committed pairs the router moved to rejected by --min-score (the checkpoint's `hub.belowMinScore`). */
  private belowMinScore: number;
  /** The quality rules of this run, their dedup index restored from the log on resume. */
  private router: QualityRouter | null = null;
  /** The dedup resume log (see the header) and the committed parts' bytes not yet appended. */
  private dedupLog: AtomicFile | null = null;
  private dedupPending: Uint8Array[] = [];
  /** kto, dpo: the counts of the pairs they take and dpo's index with its resume log (export/preference.ts); null without them. */
  private preference: PreferenceLog | null = null;
  /** Whole-file hints of this run's inputs (lib/input/input-hints.ts), for the cause of an input that gave nothing usable. */
  private readonly hints = new Map<string, string>();

  private constructor(
    private readonly args: WritingArgs,
    private readonly inputs: string[],
    private readonly options: Record<string, unknown>,
    private readonly plan: ExportPlan,
    private readonly state: Checkpoint,
    /** Per input: read as a stream (stdin, a pipe)? compressed? its size on disk. */
    private readonly inputInfo: InputInfo[],
    private readonly tally: Tally,
    private readonly stats: StatsAccumulator,
    private readonly report: ReportAccumulator,
    private readonly reportSetup: ReportSetup,
    private readonly resumed: boolean,
    hashers?: InputHasher[],
    private readonly replay?: Replay,
  ) {
    this.inputIndex = new Map(inputs.map((file, i) => [inputName(file), i]));
    for (const [file, digest] of replay?.digests ?? []) this.digests.set(file, digest);
    this.reporter = new Reporter({ quiet: args.quiet, errorsWritten: true });
    const background = plan.maxShardBytes === Number.POSITIVE_INFINITY;
    this.hashers = hashers ?? inputs.map((file, i) => inputHasher(inputPath(file, args.inputCwd), inputInfo[i].etag));
    this.checkpoints = new Checkpointer(args.out, state, inputInfo, this.hashers, background);
    state.quality ??= emptyQualityState(plan.quality);
    this.quality = new QualityAccumulator(plan.quality, state.quality);
    this.belowMinScore = state.hub?.belowMinScore ?? 0;
    if (writesPreference(plan)) state.preference ??= emptyPreferenceState();
  }

  static async open(
    args: WritingArgs,
    inputs: string[],
    options: Record<string, unknown>,
    plan: ExportPlan,
    claim: OutDirClaim,
    reportSetup: ReportSetup,
    replay?: Replay,
  ): Promise<ExportSession> {
    // One chat token counter (one parse of the tokenizer) for the report and the router.
    const chat = plan.chat ? new ChatTokenCounter(plan.chat) : undefined;
    const report = (state?: ReportAccumulator['state']) => newAccumulator(reportSetup, plan.spec.names, state, chat);
    const optionsHash = hashJson(options);
    let sample: Checkpoint['sample'];
    const fresh = (): Checkpoint => ({ ...freshCheckpoint(inputs, plan, optionsHash, claim, args.inputCwd), ...(sample ? { sample } : {}) });
    // Primed by the resume check (each input hashed to its checkpointed offset), so the run goes on from there.
    const infos = await describeInputs(inputs, args.inputCwd);
    const hashers = inputs.map((file, i) => inputHasher(inputPath(file, args.inputCwd), infos[i].etag));
    const streams = inputs.filter((_file, i) => infos[i].stream).map(inputName);
    if (streams.length > 0) {
      const which = streams.length === 1 ? `${streams[0]} is` : `${streams.join(', ')} are`;
      note(args, `note: ${which} read as a stream (stdin or a pipe): if this export is interrupted it cannot resume; run it again with --restart`);
    }
    const state = await loadResumeState(args, inputs, infos, optionsHash, hashers);
    const resumed = state !== null;
    // --target-samples: the first pass, unless the checkpoint holds its result (the hash covers the target); a merge's over the ranks' lines.
    sample = state?.sample;
    if (plan.targetSamples !== undefined && sample === undefined) {
      const upstream = replay ? () => replay.source(freshCheckpoint(inputs, plan, optionsHash, claim, args.inputCwd).position) : undefined;
      sample = await computeSampleThreshold(args, inputs, plan, stageOptions(args, []), reportSetup.evalSets?.index ?? null, upstream);
    }
    const session = new ExportSession(args, inputs, options, plan, state ?? fresh(), infos, new Tally(state?.tally), new StatsAccumulator(state?.stats), report(state?.report), reportSetup, resumed, resumed ? hashers : undefined, replay);
    if (!state?.finalizing) {
      const opened = await session.openTargets(resumed);
      if (!opened) {
        // The temp files do not match the checkpoint (deleted or cut by hand): the
        // checkpoint cannot be trusted, so begin again from nothing.
        note(args, `the partial files in ${args.out} do not match its checkpoint; starting over`);
        const restarted = new ExportSession(args, inputs, options, plan, fresh(), infos, new Tally(), new StatsAccumulator(), report(), reportSetup, false, undefined, replay);
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
    const misfit = (err: unknown) => resume && isShortOrMissing(err);
    for (const name of this.plan.fixed) {
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
    if (!(await this.openDedupLog(resume))) return this.abortTargets();
    if (this.state.preference) {
      this.preference = await PreferenceLog.open(this.args.out, this.plan, resolvePreset(this.args), this.state.preference, resume);
      if (!this.preference) return this.abortTargets();
    }
    if (!resume) await sweepShards(this.args.out, this.plan);
    this.writers = await DatasetWriters.open({
      out: this.args.out,
      plan: this.plan,
      preset: resolvePreset(this.args),
      fixed: Object.fromEntries(this.targets),
      state: resume ? this.state.hub : undefined,
    });
    if (!this.writers) return this.abortTargets();
    return true;
  }

  private async abortTargets(): Promise<false> {
    await Promise.all([...this.targets.values()].map((file) => file.abort(false)));
    this.targets.clear();
    await this.dedupLog?.abort(false);
    this.dedupLog = null;
    await this.preference?.abort();
    this.preference = null;
    return false;
  }

  /**
   * Opens the dedup log, fresh or cut back to its committed length, and makes this
   * run's quality router, its index replayed from the log. False when the log is
   * shorter than the checkpoint says (then the checkpoint cannot be trusted).
   */
  private async openDedupLog(resume: boolean): Promise<boolean> {
    const final = path.join(this.args.out, DEDUP_LOG);
    const temp = tempPath(this.args.out, DEDUP_LOG);
    const committed = resume ? this.state.quality!.log_bytes : 0;
    this.router = new QualityRouter(this.plan.quality, this.inputs.map(inputName), this.reportSetup.evalSets?.index ?? null);
    try {
      if (committed > 0) {
        const log = await fs.readFile(temp);
        if (log.length < committed) return false;
        this.router.restore(log.subarray(0, committed));
      }
      this.dedupLog = await AtomicFile.open(final, { tempPath: temp, keepBytes: resume ? committed : undefined });
    } catch (err) {
      if (resume && (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw toQaHfError(err);
    }
    return true;
  }

  /** Appends the committed parts' dedup log bytes (before a checkpoint counts them). */
  private async appendDedupLog(): Promise<void> {
    if (this.dedupPending.length === 0) return;
    const bytes = Buffer.concat(this.dedupPending);
    this.dedupPending = [];
    await this.dedupLog!.write(bytes);
  }

  /** Streams (or finishes) the export; returns the counts of the whole export, earlier runs included. */
  async run(stop: StopSignals): Promise<Counts> {
    const state = this.state;
    state.runs++;
    // A stream (stdin, a pipe) cannot be read again: such a run can only be started over.
    if (this.inputInfo.some((info) => info.stream)) stop.resume = 'an export from a stream cannot resume: run it again with --restart';
    if (this.resumed && !this.args.quiet) {
      const at = state.position;
      const where = state.finalizing ? 'its final step' : `${this.inputs[at.input]} line ${at.line + 1} (byte ${at.offset})`;
      note(this.args, `resuming the interrupted export in ${this.args.out} at ${where}`);
    }
    // A fresh run records at once what it owns and replaces, so a kill at any moment leaves a known folder.
    if (!this.resumed) await this.checkpoint(true);
    if (!state.finalizing) await this.stream(stop);
    // A stop that came too late to cut the input short stops on the finalizing checkpoint: the rerun finishes.
    if (stop.requested) throw interrupted(stop);
    const { written, thresholds } = await this.finalize();
    // An input (or the whole run) that gave nothing usable: exit 5, every file written as with --fail-on (lib/usable.ts).
    const usable = judgeUsable(this.tally.total, this.inputs.map(inputName), this.tally.files, {
      hints: this.hints,
      preset: presetName(this.args),
      done: `every file is written (${this.args.out})`,
      examples: this.reporter.firstErrors,
    });
    this.reporter.summary(this.tally, [`wrote ${this.args.out}: ${written}`, ...usable.notes]);
    failOnBreaches(thresholds, `${this.args.out}/report.json`, usable.error);
    return this.tally.total;
  }

  private async stream(stop: StopSignals): Promise<void> {
    const state = this.state;
    const { input, offset, line } = state.position;
    // Read here only when not replayed: args.inputCwd is a merge's (the replay's), so `file` opens from this working directory.
    const specs: InputSpec[] = this.inputs.slice(input).map((file, i) => ({
      path: file,
      start: i === 0 && offset > 0 ? { offset, line } : undefined,
      hashTap: this.hashers[input + i], // each byte read and hashed once: the checkpoints' fingerprints come from the source's hash
      etag: this.inputInfo[input + i].etag, // an S3 object: the version this run found, or the read fails
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
    // One policy (lib/checkpoint-policy.ts), applied by the sink: it makes the commits it
    // picks durable and hands them on; the stage below records them.
    const caps = { bytes: this.args.checkpointBytes ?? CHECKPOINT_BYTES, ms: this.args.checkpointMs ?? CHECKPOINT_MS };
    const durableAt = checkpointPolicy(flushNeutral(this.plan), caps, stop);
    const sink = createDatasetSink({
      writers: this.writers!,
      linesDone: this.tally.total.lines,
      checkpointLines: this.plan.checkpointLines,
      durableAt,
      syncInBackground: this.checkpoints.background,
      start: { file: input < this.inputs.length ? inputName(this.inputs[input]) : '', offset },
    });
    let first = true;
    // The checkpoint stage: accounts for each committed part, records the durable ones, ends a stopped run.
    const take = async (commit: DatasetCommit): Promise<void> => {
      const part = commit.part;
      // A damaged input's end is never committed: the checkpoint stays before it, so a rerun meets the same failure.
      if (this.inputFailure && part.fileEnd) throw this.inputFailure;
      this.commitBatch(part, commit.fixedBytes);
      progress.update(doneBefore(state.position), this.tally.total);
      this.args.onProgress?.({ bytesDone: doneBefore(state.position), bytesTotal: totalBytes, counts: { ...this.tally.total, errorsByCode: { ...this.tally.total.errorsByCode } } });
      await this.appendDedupLog();
      await this.preference?.append();
      if (commit.durable) await this.checkpoint(commit.stop, commit.durable);
      // Without a checkpoint here the last one stands: the catch below keeps every temp file for the resume.
      if (commit.stop && stop.requested && !part.stop) throw interrupted(stop);
      if (first) pausePoint('first-commit'); // test seam: a signal lands mid-run
      first = false;
      if (part.stop) throw failFastError(part);
    };
    try {
      // A merge replays the ranks' processed lines: no reading, no processing here.
      const source = this.replay
        ? this.replay.source(state.position)
        : createFileSource(specs, {
            onFileDigest: (file, digest) => this.digests.set(file, digest),
            onHint: (file, hint) => {
              this.hints.set(file, hint);
              printHint(hint, this.args.quiet);
            },
            onRawBytes: (file, bytes) => rawRead.set(this.inputIndex.get(file)!, bytes),
            onInputError: (error) => (this.inputFailure = error),
          });
      const processing = this.replay ? null : stageOptions(this.args, this.plan.fixed, factsSpec(this.plan.quality, this.report.language, true, this.plan.chat));
      const route = { plan: this.plan, quality: this.router!, sample: state.sample && routeSample(state.sample, this.plan, this.inputs), chat: this.report.chat };
      await buildChain({ processing, route }, { source, sink, checkpoint: createCheckpointStage(take) }).run();
      if (this.inputFailure) throw this.inputFailure;
      await this.checkpoints.settle();
      // dpo: every question's pairs are in; its rows go to the shards before they are finished.
      if (this.preference) {
        await this.writers!.writePreferencePairs(this.preference.pairs());
        crashPoint('after-preference-rows'); // test seam: a kill between the dpo rows and the finalizing checkpoint
      }
      state.hub = { ...(await this.writers!.finish()), belowMinScore: this.belowMinScore };
    } catch (err) {
      progress.stop();
      await this.checkpoints.settle().catch(() => undefined);
      await this.writers?.abort();
      await Promise.all([...this.targets.values()].map((file) => file.abort(false)));
      await this.dedupLog?.abort(false);
      await this.preference?.abort();
      throw err;
    }
    progress.stop();
    if (!balanced(this.tally.total)) throw new Error('internal: the counts do not add up to the lines read');
    if (state.sample) checkSampleCounts(state.sample, this.tally.total, this.args.out);
    state.finalizing = true;
    await this.checkpoint(true);
    await this.dedupLog?.abort(false); // closed; finalize removes it
    await this.preference?.abort();
  }

  /** Accounts for a batch that the sink has written (not yet durable: see checkpoint). */
  private commitBatch(batch: Batch, fixedBytes: DatasetCommit['fixedBytes']): void {
    const state = this.state;
    this.tally.add(batch);
    this.stats.add(batch);
    this.report.add(batch);
    this.reporter.warn(batch);
    if (this.plan.minScore !== undefined) this.belowMinScore += countBelowMinScore(batch);
    for (const entry of batch.entries) {
      if (entry.channel === 'segmented') {
        for (const segment of entry.segments!) {
          const output = state.outputs[segment.channel]; // a fixed file (the simple layout), or shards
          if (output) output.records++;
        }
        continue;
      }
      const output = entry.channel === 'blank' || entry.channel === 'not_sampled' || entry.channel === null ? undefined : state.outputs[entry.channel];
      if (output) output.records++;
      const log = this.quality.add(entry, batch.file, this.plan.spec.names);
      if (log !== null) this.dedupPending.push(log);
    }
    this.preference?.take(batch);
    for (const name of this.plan.fixed) state.outputs[name].bytes = fixedBytes[name]!;
    const index = this.inputIndex.get(batch.file)!;
    if (batch.fileEnd) {
      this.checkpoints.inputEnds.set(index, batch.endOffset);
      const digest = this.digests.get(batch.file);
      state.inputs[index].sha256 = digest ? digest.sha256 : null;
      state.position = { input: index + 1, offset: 0, line: 0 };
    } else {
      state.position = { input: index, offset: batch.endOffset, line: batch.endLine };
    }
  }

  /**
   * Records a checkpoint: at a durable commit of the sink (its writers' state and fsync), or
   * outside the stream (a fresh run's first, the finalizing one: the writers at rest).
   */
  private async checkpoint(wait = false, durable?: DatasetCommit['durable']): Promise<void> {
    const log = this.dedupLog;
    const writers = this.writers;
    const written = durable ? durable.hub : writers && !this.state.finalizing ? writers.snapshot() : undefined;
    const hub = written && { ...written, belowMinScore: this.belowMinScore };
    const preference = this.preference;
    const synced = () => Promise.all([durable ? durable.synced : writers?.sync(), log?.sync(), preference?.sync()]);
    await this.checkpoints.record({ tally: this.tally, stats: this.stats, report: this.report, hub, synced }, wait);
  }

  /**
   * The sections of the quality rules (PII, duplicates, tiers) for report.json, from
   * their state as of now (lib/quality/rules.ts); they also measure --fail-on's pii,
   * duplicates and near_duplicates (prepareReport's `sections`).
   */
  private qualitySections(): QualitySections {
    const state = this.quality.state;
    const tiers = tiersReport(state);
    const contamination = contaminationReport(state);
    const preference = this.state.preference && preferenceReport(this.plan, this.state.preference);
    return { pii: piiReport(state), duplicates: duplicatesReport(state), ...(tiers ? { tiers } : {}), ...(contamination ? { contamination } : {}), ...(preference ? { preference } : {}) };
  }

  private finalize(): ReturnType<typeof finalizeExport> {
    return finalizeExport({
      report: this.report,
      reportSetup: this.reportSetup,
      sections: this.qualitySections(),
      args: this.args,
      plan: this.plan,
      inputs: this.inputs,
      inputInfo: this.inputInfo,
      options: this.options,
      state: this.state,
      tally: this.tally,
      stats: this.stats,
      targets: this.targets,
      digests: this.digests,
      elapsedMs: this.checkpoints.elapsedMs(),
    });
  }
}
