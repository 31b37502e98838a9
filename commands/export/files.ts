/**
 * export/files — the names an export writes in --out (data files, stats.json, the
 * card, their temp names), the sweep of a killed run's leftovers and the test
 * seams (QA_HF_CRASH_AT, QA_HF_PAUSE_AT) the other export modules share; the stop
 * signals are commands/signals.ts.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkpointTempPath } from '../../lib/io/checkpoint';
import { type HubArgs, type HubPlan, FIXED_FILES, hubDirectories, isShardFile } from '../../lib/hub';
import type { MappingSpec } from '../../lib/mapping';
import { MANIFEST_FILE } from '../../lib/io/manifest';
import type { Owns } from '../../lib/out-dir';
import type { CardMeta } from '../../lib/card';
import type { Counts } from '../../lib/tally';
import type { FormatsSection } from '../../lib/config';
import type { SegmentSpec } from '../../lib/segment';
import type { ReportOptionsInput } from '../../lib/options';
import { REPORT_FILES } from '../quality-report';

/** The data files of an export, by output channel. */
export const OUTPUT_FILES = FIXED_FILES;
export type OutputName = keyof typeof OUTPUT_FILES;

export const STATS_FILE = 'stats.json';
/** The dataset card and LLaMA-Factory's dataset list of a Hub-layout export. */
export const CARD_FILE = 'README.md';
export const LLAMA_FACTORY_FILE = 'dataset_info.json';

/** Pipe-mode options plus the Hub-layout ones (all absent: the simple layout). */
export interface ExportArgs extends HubArgs, ReportOptionsInput {
  inputs: string[];
  /** The output folder; may be absent only with dryRun. */
  out?: string;
  /** Write into a folder that holds files of no qa-hf export (kept, unless an output has their name). */
  force?: boolean;
  /** --out s3://…: the folder under which the export is staged before its upload (default: the temp folder). */
  stageDir?: string;
  /** --out hf://datasets/OWNER/NAME (commands/push/export.ts): the repo the card loads the dataset from. */
  hubRepo?: string;
  /**
   * The folder the manifest, stats.json and the options hash name local inputs
   * relative to; default --out. An export to S3 sets the working directory (its
   * staging folder is no place a reader knows).
   */
  inputBase?: string;
  glob?: string;
  failFast: boolean;
  dryRun: boolean;
  restart: boolean;
  progress?: boolean;
  quiet: boolean;
  preset: string;
  /** A declarative mapping (lib/mapping.ts): a config's, or a shipped mapped preset's. */
  mapping?: MappingSpec;
  maxLineBytes: number;
  checkpointBytes?: number;
  checkpointMs?: number;
  workers?: number;
  /** The dataset card's metadata (config `card:`, --card-* flags). */
  card?: CardMeta;
  /** --version as normalized (`1.0.0`); `out` is then already the version's folder (`OUT/v1.0.0`). */
  version?: string;
  /** The config's `formats:` as plain data (lib/config.ts); its mapping sections are `mapping` above. */
  formats?: FormatsSection;
  /** Segmentation of documents (lib/segment.ts), as the config file gives it. */
  segment?: SegmentSpec;
  /** The effective config (lib/config.ts resolveArgs): what the file and the flags set that decides the output. */
  settings?: Record<string, unknown>;
  /** The library's progress callback (exportDataset): after every committed part. */
  onProgress?: (progress: ExportProgress) => void;
  /** --rank R --world-size N (lib/rank.ts; also from the scheduler's variables): one share, to DIR/ranks/ (export/rank.ts). */
  rank?: string | number;
  worldSize?: string | number;
  /** A rank merges once it finds every rank complete (the CLI runs export/merge.ts after the rank). */
  merge?: boolean;
}

/** What exportDataset's onProgress gets: input bytes done of all, and the counts so far. */
export interface ExportProgress {
  bytesDone: number;
  bytesTotal: number;
  counts: Counts;
}

/**
 * The dedup resume log (lib/dedup.ts): appended as parts commit, synced with the
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
  for (const directory of hubDirectories(plan)) {
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

