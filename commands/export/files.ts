/**
 * export/files — the names an export writes in --out (data files, stats.json, the
 * card, their temp names), the sweep of a killed run's leftovers and the test
 * seams (QA_HF_CRASH_AT, QA_HF_PAUSE_AT) the other export modules share; the stop
 * signals are commands/signals.ts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkpointTempPath } from '../../lib/io/checkpoint';
import { type HubPlan, FIXED_FILES } from '../../lib/dataset/plan';
import { hubDirectories, isShardFile } from '../../lib/dataset/outputs';
import { PARTITIONS_DIR } from '../../lib/dataset/formats';
import { MANIFEST_FILE } from '../../lib/io/manifest';
import type { Owns } from '../../lib/dataset/out-dir';
import { REPORT_FILES } from '../quality-report';

/** The data files of an export, by output channel. */
export const OUTPUT_FILES = FIXED_FILES;
/** An output channel's name (lib/dataset/serialize.ts): the keys of OUTPUT_FILES. */
export type { OutputName } from '../../lib/dataset/serialize';

export const STATS_FILE = 'stats.json';
/** The dataset card and LLaMA-Factory's dataset list of a Hub-layout export. */
export const CARD_FILE = 'README.md';
export const LLAMA_FACTORY_FILE = 'dataset_info.json';

/** The export's arguments and progress (lib/plan-args.ts: the plan hands them on). */
export type { ExportArgs, ExportProgress } from '../../lib/plan-args';
import type { ExportArgs } from '../../lib/plan-args';

/**
 * The dedup resume log (lib/quality/dedup.ts): appended as parts commit, synced with the
 * outputs at each checkpoint, which records its committed length; replayed on
 * resume; removed by finalize. Never a user's file (a `.X.partial` work name).
 */
export const DEDUP_LOG = 'qa-hf-dedup';

export function tempPath(out: string, file: string): string {
  return path.join(out, `.${file}.partial`);
}

/** Temp names of the small files written whole; fixed, so a killed run's leftovers are known. */
export function smallTempPath(out: string, file: string): string {
  return path.join(out, `.${file}.tmp`);
}

/** Removes what a killed run may leave besides the checkpoint and the .partial files. */
export async function sweepTemps(out: string): Promise<void> {
  const leftovers = [checkpointTempPath(out), ...[STATS_FILE, ...REPORT_FILES, MANIFEST_FILE, CARD_FILE, LLAMA_FACTORY_FILE].map((file) => smallTempPath(out, file))];
  await Promise.all(leftovers.map((file) => fs.rm(file, { force: true })));
}

/** An export that writes: --out is known. */
export type WritingArgs = ExportArgs & { out: string };

/** What this run owns in --out and which files of an earlier export it replaces. */
export interface OutDirClaim {
  owns: Owns;
  replaces: string[];
}

/**
 * A fresh Hub-layout start: temp shards of an interrupted run go. Final shards of
 * an earlier export stay until this one is complete (then `replaces` removes them).
 */
export async function sweepShards(out: string, plan: HubPlan): Promise<void> {
  // --partition-by: the partitions an interrupted run had started are the folders it left in partitions/.
  const partitions = plan.partitionBy === undefined ? [] : await fs.readdir(path.join(out, PARTITIONS_DIR)).catch(() => [] as string[]);
  for (const directory of hubDirectories(plan, partitions)) {
    const names = await fs.readdir(path.join(out, directory)).catch(() => [] as string[]);
    const temps = names.filter((name) => name.startsWith('.') && isShardFile(name));
    await Promise.all(temps.map((name) => fs.rm(path.join(out, directory, name), { force: true })));
  }
}

/**
 * Test seam: QA_HF_CRASH_AT=<point> kills the process with SIGKILL at that step
 * of finalize, so tests can land a kill exactly inside the final renames.
 */
export function crashPoint(point: string): void {
  if (process.env.QA_HF_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

/**
 * Test seam: QA_HF_PAUSE_AT=<point>[,<point>…] stops the process (SIGSTOP) at each
 * of those points until it gets SIGCONT, e.g. holding the lock.
 */
export function pausePoint(point: string): void {
  if (process.env.QA_HF_PAUSE_AT?.split(',').includes(point)) process.kill(process.pid, 'SIGSTOP');
}

export function note(args: { quiet: boolean }, message: string): void {
  if (!args.quiet) process.stderr.write(`qa-hf: ${message}\n`);
}

