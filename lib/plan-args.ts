/**
 * plan-args — the arguments of each command as the plan (lib/plan.ts) hands them
 * on: the flags merged over the config file (lib/config-merge.ts), checked, with
 * the shipped preset's mapping and a config mapping's schema filled in. One type
 * per command, one name each: `ExportArgs`, `PipeArgs`, `ReportArgs`. Pure types.
 */
import type { CardMeta } from './dataset/card-configs';
import type { FormatsSection } from './config';
import type { HubArgs } from './dataset/plan-options';
import type { MappingSpec } from './input/mapping';
import type { ReportOptionsInput } from './options';
import type { QualityArgs } from './quality/plan';
import type { SegmentSpec } from './input/segment';
import type { Counts } from './tally';

/** What exportDataset's onProgress gets: input bytes done of all, and the counts so far. */
export interface ExportProgress {
  bytesDone: number;
  bytesTotal: number;
  counts: Counts;
}

/** Pipe-mode options plus the Hub-layout ones (all absent: the simple layout). */
export interface ExportArgs extends HubArgs, ReportOptionsInput {
  inputs: string[];
  /** The folder this run writes (the version's folder with --version, a staging folder for --out s3://); absent only with dryRun. */
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
  /**
   * The working directory relative local inputs were named in, when it is not this
   * process's: a merge's export, whose inputs are the paths the ranks recorded in
   * theirs (rank.json `cwd`). Inputs are opened from there (lib/io/inputs.ts
   * inputPath) and keep their names; no process.chdir.
   */
  inputCwd?: string;
  glob?: string;
  failFast: boolean;
  dryRun: boolean;
  restart: boolean;
  progress?: boolean;
  quiet: boolean;
  preset: string;
  /** A declarative mapping (lib/input/mapping.ts): a config's, or a shipped mapped preset's. */
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
  /** Segmentation of documents (lib/input/segment.ts), as the config file gives it. */
  segment?: SegmentSpec;
  /** The effective config (lib/config-merge.ts resolveArgs): what the file and the flags set that decides the output. */
  settings?: Record<string, unknown>;
  /** The library's progress callback (exportDataset): after every committed part; never part of a plan. */
  onProgress?: (progress: ExportProgress) => void;
  /** --rank R --world-size N as typed (the plan's `rank` is what they and the scheduler's variables say). */
  rank?: string | number;
  worldSize?: string | number;
  /** A rank merges once it finds every rank complete (the plan's `merge`). */
  merge?: boolean;
}

/** `qa-hf [FILE…]`'s arguments. */
export interface PipeArgs extends ReportOptionsInput {
  files: string[];
  /** Folder for report.json and report.html. */
  report?: string;
  rejected?: string;
  errors?: string;
  failFast: boolean;
  quiet: boolean;
  preset: string;
  maxLineBytes: number;
  /** Unset: defaultWorkerCount of the inputs' size and the machine's cores. */
  workers?: number;
  /** The config's mapping sections (lib/input/mapping.ts), `formats:` and `segment:` as plain data (lib/config.ts). */
  mapping?: MappingSpec;
  formats?: FormatsSection;
  segment?: SegmentSpec;
  /** The quality rules (lib/quality/rules.ts): --pii, --dedup, --near-threshold; --tiers needs export. */
  pii?: string;
  dedup?: string;
  nearThreshold?: string;
  decontaminate?: string | string[];
  decontaminateNgram?: string;
  decontaminateFields?: string;
  tiers?: string;
  /** --min-chars, --max-chars: `COLUMN=N,…` (lib/dataset/length-filters.ts); pairs outside them go to --rejected. */
  minChars?: unknown;
  maxChars?: unknown;
}

/** `qa-hf report`'s arguments: inputs, routing options as export takes them, the report's options. */
export interface ReportArgs extends ReportOptionsInput, QualityArgs {
  inputs: string[];
  out?: string;
  glob?: string;
  split?: string;
  seed?: unknown;
  splitKey?: string;
  minScore?: unknown;
  failFast?: boolean;
  quiet: boolean;
  preset: string;
  maxLineBytes: number;
  workers?: number;
  /** The config's mapping sections and `segment:` (lib/config.ts), as export takes them. */
  mapping?: MappingSpec;
  segment?: SegmentSpec;
}
