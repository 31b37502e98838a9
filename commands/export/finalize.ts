/**
 * export/finalize — the last step of an export, the same for both layouts: names
 * the shards (`-of-NNNNN`), commits the fixed files, writes the card and
 * dataset_info.json (Hub layout), stats.json and manifest.json, removes the
 * files of a replaced export and the checkpoint. Idempotent: a run killed anywhere
 * in it (QA_HF_CRASH_AT seams) is finished by the next run, with the same bytes.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { type AtomicFile, syncDirectory, writeFileAtomic } from '../../lib/io/atomic-file';
import { type Checkpoint, checkpointPath } from '../../lib/io/checkpoint';
import { QaHfError, toQaHfError } from '../../lib/errors';
import { sha256File } from '../../lib/io/fingerprint';
import { type InputInfo, absoluteInput, inputPath } from '../../lib/io/inputs';
import { isS3Url } from '../../lib/s3-url';
import { sha256Object } from '../../lib/io/s3';
import { MANIFEST_FILE, buildManifest, gitInfo, relativeToDir, type GitInfo, type ManifestFile } from '../../lib/io/manifest';
import { filesToRemove, isWorkFile } from '../../lib/dataset/out-dir';
import { listOutFiles, removeReplaced } from '../../lib/io/out-dir-fs';
import { localLoadPath } from '../../lib/dataset/card-configs';
import { renderCard } from '../../lib/dataset/card';
import { markGenerated } from '../../lib/dataset/hub-push-card';
import { cardOverExisting } from '../../lib/io/hub-card';
import { renderLlamaFactoryInfo, writesLlamaFactory } from '../../lib/dataset/llama-factory';
import type { ExportPlan } from '../../lib/dataset/plan';
import { type FinalShard, describeExport, filterNotes, splitStats } from '../../lib/dataset/export-description';
import { type HubState, hubDirectories, hubOutputs, isShardFile, planFormats, writtenPartitions } from '../../lib/dataset/outputs';
import { resolvePreset } from '../../lib/input/mapping';
import { finalizeShards } from '../../lib/dataset/shards';
import { SplitTracker } from '../../lib/dataset/split';
import type { StatsAccumulator } from '../../lib/quality/stats';
import type { QualitySections } from '../../lib/quality/report-json';
import type { ReportAccumulator } from '../../lib/quality/report';
import type { ThresholdResult } from '../../lib/quality/thresholds';
import { REPORT_FILES, type ReportSetup, assembleReport, writeReportFiles } from '../quality-report';
import { cardQuality } from '../../lib/quality/report-json';
import { type Counts, type Tally, count, emptyCounts } from '../../lib/tally';
import { inputName } from '../../streams/file-source';
import { TOOL_VERSION } from '../version';
import { qualityStats } from '../../lib/quality/counts';
import { SAMPLE_RULE, type SampleThreshold } from '../../lib/scale/sample';
import { PREFERENCE_LOG } from './preference';
import { CARD_FILE, DEDUP_LOG, LLAMA_FACTORY_FILE, OUTPUT_FILES, type OutputName, STATS_FILE, type WritingArgs, crashPoint, smallTempPath, sweepTemps, tempPath } from './files';

/** What finalize reads of the session. */
export interface FinalizeContext {
  args: WritingArgs;
  plan: ExportPlan;
  inputs: readonly string[];
  inputInfo: readonly InputInfo[];
  /** The normalized options (manifest.json). */
  options: Record<string, unknown>;
  state: Checkpoint;
  tally: Tally;
  stats: StatsAccumulator;
  report: ReportAccumulator;
  reportSetup: ReportSetup;
  /** PII, duplicates, tiers (report.json's sections), when the run has them. */
  sections: QualitySections;
  /** The fixed files still open (absent when resuming the final step: then renamed if pending). */
  targets: ReadonlyMap<OutputName, AtomicFile>;
  /** sha256 and length of inputs read as streams. */
  digests: ReadonlyMap<string, { sha256: string; bytes: number }>;
  elapsedMs: number;
}

/**
 * Commits the data files (Hub layout: names the shards, writes README.md and
 * dataset_info.json), writes stats.json and manifest.json, removes the
 * checkpoint. Idempotent. Returns what was written, for the summary.
 */
export async function finalizeExport(session: FinalizeContext): Promise<{ written: string; thresholds: ThresholdResult[] }> {
  const { args, plan, state, tally, stats: accumulator } = session;
  const out = args.out;
  // Local inputs are named relative to this folder (--out; an export to S3: the working directory); a merge's
  // inputs (and the inputBase its ranks recorded) are named in the ranks' working directory (inputCwd).
  const cwd = args.inputCwd;
  const base = args.inputBase === undefined ? out : absoluteInput(args.inputBase, cwd);
  const outputs: ManifestFile[] = [];
  crashPoint('finalize-start');
  const shards = await nameShards(out, plan, state.hub);
  crashPoint('after-shard-names');
  // verify counts the lines of a file with `records`: only plain JSON-lines shards have one per record.
  const lineRecords = (file: string, records: number) => (file.endsWith('.jsonl') ? records : undefined);
  for (const files of shards.values()) for (const shard of files) outputs.push(await manifestEntry(out, shard.path, lineRecords(shard.path, shard.records)));
  for (const name of plan.fixed) {
    const file = OUTPUT_FILES[name];
    const target = session.targets.get(name);
    if (target) await target.commit();
    else await renameIfPending(out, file, state.outputs[name].bytes);
    outputs.push(await manifestEntry(out, file, state.outputs[name].records));
    crashPoint('after-first-rename');
  }
  const inputs: ManifestFile[] = [];
  for (const [i, file] of session.inputs.entries()) {
    if (session.inputInfo[i].stream) {
      // Hashed while it streamed by; verify cannot read it again and says so.
      const digest = session.digests.get(inputName(file));
      if (!digest) throw new Error(`internal: no digest of the streamed input ${inputName(file)}`);
      inputs.push({ path: file, bytes: digest.bytes, sha256: digest.sha256, stream: true }); // as given: `-`, /dev/fd/63, a FIFO
      continue;
    }
    const known = state.inputs[i].sha256;
    if (isS3Url(file)) {
      // An object resumed mid-way was not hashed whole in one run: read once more (guarded by its ETag).
      const info = session.inputInfo[i];
      const digest = known ? { sha256: known, bytes: info.size } : await sha256Object(file, { etag: info.etag, size: info.size });
      inputs.push({ path: file, bytes: digest.bytes, sha256: digest.sha256 });
      continue;
    }
    // A merge's: of the bytes it checked against the ranks' (session digests), as every other input's of the bytes read.
    const opened = inputPath(file, cwd);
    const digest = known ? { sha256: known, bytes: session.digests.get(inputName(file))?.bytes ?? (await fs.stat(opened)).size } : await sha256File(opened);
    inputs.push({ path: relativeToDir(base, opened), bytes: digest.bytes, sha256: digest.sha256 });
  }
  const elapsedMs = session.elapsedMs;
  const inputBytes = inputs.reduce((sum, input) => sum + input.bytes, 0);
  const { run, ...counted } = accumulator.render(
    tally.total,
    session.inputs.map((file) => ({ path: isS3Url(file) ? file : relativeToDir(base, inputPath(file, cwd)), counts: tally.files.get(inputName(file)) ?? emptyCounts() })),
    {
      duration_s: round(elapsedMs / 1000),
      input_mb_per_s: round(inputBytes / 1e6 / Math.max(elapsedMs / 1000, 1e-3)),
      records_per_s: round(tally.total.lines / Math.max(elapsedMs / 1000, 1e-3)),
      runs: state.runs,
    },
  );
  const stats: Record<string, unknown> = { ...counted };
  // The report first: the card's "Data quality" section is drawn from it.
  const quality = assembleReport(session.report, session.reportSetup, tally.total, session.sections);
  const thresholds = quality.thresholds;
  if (plan.layout === 'hub') {
    const hub = state.hub!;
    const report = SplitTracker.restore(plan.spec, hub.tracker).report();
    if (plan.minScore !== undefined) stats.min_score = { threshold: plan.minScore, below_min_score: hub.belowMinScore };
    stats.split = splitStats(plan, report);
    // A version's folder (OUT/v1.0.0) is titled by OUT and loaded by both names.
    const folder = path.basename(path.resolve(out));
    const parent = path.basename(path.dirname(path.resolve(out)));
    const description = describeExport(plan, hub, shards, {
      title: args.version === undefined ? folder : parent,
      loadPath: args.hubRepo ?? localLoadPath(args.version === undefined ? folder : `${parent}/${folder}`),
      preset: resolvePreset(args),
      counts: tally.total,
      report,
      card: args.card,
      ...(args.version === undefined ? {} : { version: args.version }),
    });
    description.quality = cardQuality(quality.json);
    description.quality.notes.push(...filterNotes(plan, (quality.json.metrics ?? {}) as Record<string, unknown>));
    // An export to hf://datasets/OWNER/NAME: the card loads the dataset by its repo id.
    if (args.hubRepo !== undefined) description.hub = true;
    // The generated part marked, so a user's own text around it is kept by a rerun and by qa-hf push (lib/dataset/hub-push-card.ts).
    const card = await cardOverExisting(out, markGenerated(renderCard(description)));
    await writeFileAtomic(path.join(out, CARD_FILE), card, { tempPath: smallTempPath(out, CARD_FILE) });
    outputs.push(await manifestEntry(out, CARD_FILE));
    if (writesLlamaFactory(plan.formats)) {
      await writeFileAtomic(path.join(out, LLAMA_FACTORY_FILE), renderLlamaFactoryInfo(description), {
        tempPath: smallTempPath(out, LLAMA_FACTORY_FILE),
      });
      outputs.push(await manifestEntry(out, LLAMA_FACTORY_FILE));
    }
  }
  // The quality rules' sections (lib/quality/rules.ts), until the report takes them.
  if (state.quality) stats.quality = qualityStats(state.quality);
  // --target-samples: the rule, the first pass's cutoff and how the passed pairs divided.
  if (state.sample) stats.sample = sampleStats(plan, state.sample, tally.total);
  stats.run = run;
  await writeFileAtomic(path.join(out, STATS_FILE), `${JSON.stringify(stats, null, 2)}\n`, { tempPath: smallTempPath(out, STATS_FILE) });
  outputs.push(await manifestEntry(out, STATS_FILE));
  crashPoint('after-stats');
  await writeReportFiles(out, quality, (file) => smallTempPath(out, file));
  for (const file of REPORT_FILES) outputs.push(await manifestEntry(out, file));
  crashPoint('after-report');
  // Foreign files --force kept in place: named, so verify knows they are the user's, not stray outputs.
  const written = [...outputs.map((file) => file.path), MANIFEST_FILE];
  const leaving = new Set([...written, ...filesToRemove(state.replaces ?? [], written)]);
  const kept = (await listOutFiles(out)).filter((file) => !leaving.has(file) && !isWorkFile(file));
  const manifest = buildManifest({
    toolVersion: TOOL_VERSION,
    ...(args.version === undefined ? {} : { datasetVersion: args.version }),
    options: session.options,
    inputs,
    inputGit: await inputGit(args.inputs.map((file) => inputPath(file, cwd)), base),
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
  await fs.rm(tempPath(out, DEDUP_LOG), { force: true }); // its decisions are all in the outputs now
  await fs.rm(tempPath(out, PREFERENCE_LOG), { force: true }); // likewise: the dpo rows are written
  await fs.rm(checkpointPath(out), { force: true });
  await sweepTemps(out);
  await syncDirectory(out);
  if (plan.layout === 'simple') return { written: plan.fixed.map((name) => `${OUTPUT_FILES[name]} (${state.outputs[name].records})`).join(', '), thresholds };
  const files = [...shards.values()].reduce((n, list) => n + list.length, 0);
  return { written: `${count(files, 'shard')} in ${planFormats(plan).join(', ')}, ${CARD_FILE}, ${OUTPUT_FILES.errors} (${state.outputs.errors.records})`, thresholds };
}

async function manifestEntry(out: string, file: string, records?: number): Promise<ManifestFile> {
  const digest = await sha256File(path.join(out, file));
  return records === undefined ? { path: file, bytes: digest.bytes, sha256: digest.sha256 } : { path: file, bytes: digest.bytes, records, sha256: digest.sha256 };
}

/**
 * Gives every finished shard its final `-of-NNNNN` name (redone safely after a
 * kill: a rename whose source is gone and whose target exists is done), then
 * removes leftover temp shards. Returns the final shards per output key.
 */
async function nameShards(out: string, plan: ExportPlan, hub: HubState | undefined): Promise<Map<string, FinalShard[]>> {
  const shards = new Map<string, FinalShard[]>();
  const states = new Map((hub?.outputs ?? []).map((state) => [state.key, state]));
  const partitions = writtenPartitions(hub);
  for (const output of hubOutputs(plan, partitions)) {
    const state = states.get(output.key);
    if (!state || state.done === 0) continue;
    const split = output.split;
    const directory = path.join(out, output.directory);
    const files: FinalShard[] = [];
    for (const [i, { from, to }] of finalizeShards(split, state.done, output.extension, output.compression?.codec).entries()) {
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
  for (const directory of hubDirectories(plan, partitions)) {
    const names = await fs.readdir(path.join(out, directory)).catch(() => [] as string[]);
    await Promise.all(names.filter((name) => name.startsWith('.') && isShardFile(name)).map((name) => fs.rm(path.join(out, directory, name), { force: true })));
    if (names.length) await syncDirectory(path.join(out, directory));
  }
  return shards;
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

async function inputGit(args: readonly string[], out: string): Promise<GitInfo[]> {
  const found: GitInfo[] = [];
  for (const arg of args) {
    if (arg === '-' || isS3Url(arg)) continue; // standard input and objects have no folder
    const stat = await fs.stat(arg).catch(() => null);
    const dir = stat?.isDirectory() ? arg : path.dirname(arg);
    const info = await gitInfo(dir);
    // Named relative to --out, like the inputs: no path of this machine in the manifest.
    if (info) info.dir = relativeToDir(path.resolve(out), path.resolve(dir)) || '.';
    if (info && !found.some((known) => known.commit === info.commit && known.dir === info.dir)) found.push(info);
  }
  return found;
}

/** stats.json's `sample`: every passed pair is either kept (`pairs`) or `not_sampled`. */
function sampleStats(plan: ExportPlan, sample: SampleThreshold, counts: Counts): Record<string, unknown> {
  return {
    rule: SAMPLE_RULE,
    key: plan.key,
    seed: plan.seed,
    target: sample.target,
    passed: sample.passed,
    kept: counts.pairs,
    not_sampled: counts.notSampled,
    cutoff: sample.cutoff,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
