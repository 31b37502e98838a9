/**
 * checkpoint — the durable state that lets an export resume mid-file.
 *
 * Written atomically (temp file, fsync, rename, directory fsync) only after every
 * output was fsynced, so whatever a checkpoint says is on disk is on disk: per
 * input, the byte offset and line count up to which every record is written; per
 * output, its committed byte length and record count; the counts and stats so far.
 * Resuming cuts each output back to its committed length and reads each input from
 * its offset, which gives the same bytes as a run that was never interrupted.
 *
 * A resume is refused (ERR_CHECKPOINT_MISMATCH) when the tool version, the
 * options or a byte of an input before its checkpointed offset changed (see
 * lib/fingerprint.ts; bytes after it may change, e.g. a line fixed after
 * --fail-fast); a damaged checkpoint file is reported and ignored.
 *
 * The checkpoint also says which files of --out the run owns (`owns`) and which
 * files of an earlier export it replaces (`replaces`, removed once it is complete),
 * so that a later run tells an interrupted export from a user's files (lib/dataset/out-dir.ts).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { QaHfError } from '../errors';
import { type Fingerprint, type InputHasher, inputChange } from './fingerprint';
import type { HubState } from '../dataset/outputs';
import type { Owns } from '../dataset/out-dir';
import type { PreferenceState } from '../dataset/preference';
import type { ReportState } from '../quality/report';
import type { QualityState } from '../quality/counts';
import type { SampleThreshold } from '../scale/sample';
import type { StatsState } from '../quality/stats';
import type { TallyState } from '../tally';

export const CHECKPOINT_FILE = '.qa-hf-checkpoint.json';
export const CHECKPOINT_FORMAT = 'qa-hf-checkpoint';
/** 2: fingerprints are prefix hashes; `owns` and `replaces`. */
export const CHECKPOINT_VERSION = 2;

export interface CheckpointInput {
  path: string;
  /** sha256 of the bytes consumed so far (to the position, or the whole input once done); null before. */
  fingerprint: Fingerprint | null;
  /** sha256 of the whole input, once it has been read to its end in one run. */
  sha256: string | null;
}

export interface Position {
  /** Index of the input being read; inputs.length once all are done. */
  input: number;
  /** Byte offset in that input up to which everything is written. */
  offset: number;
  /** Lines of that input consumed up to `offset`. */
  line: number;
}

export interface CommittedOutput {
  bytes: number;
  records: number;
}

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  tool_version: string;
  options_hash: string;
  inputs: CheckpointInput[];
  position: Position;
  outputs: Record<string, CommittedOutput>;
  tally: TallyState;
  stats: StatsState;
  /** The quality report's state (lib/quality/report.ts); absent in checkpoints of older versions (then started over). */
  report?: ReportState;
  /** The quality rules' counts and the committed length of the dedup log (lib/quality/counts.ts; absent in older checkpoints). */
  quality?: QualityState;
  /** kto, dpo: the pairs they took and the committed length of dpo's log (lib/dataset/preference.ts; commands/export/preference.ts). */
  preference?: PreferenceState;
  /** Hub layout only: per shard output its roller, open shard and counts; the split tracker. */
  hub?: HubState;
  /** --target-samples: the first pass's result (lib/scale/sample.ts), so a resume keeps the same sample without reading again. */
  sample?: SampleThreshold;
  /** True once every input is done: only renames and the manifest are left. */
  finalizing: boolean;
  /** Processing time of all runs so far, for throughput in stats.json. */
  elapsed_ms: number;
  runs: number;
  /** The files this run writes (absent in checkpoints of older versions). */
  owns?: Owns;
  /** Files of an earlier export in --out that this run replaces: removed at the end of finalize. */
  replaces?: string[];
}

export function checkpointPath(outDir: string): string {
  return path.join(outDir, CHECKPOINT_FILE);
}

/**
 * The temp name is fixed, not per process, so a run killed mid-write leaves one
 * known file that the next run overwrites or sweeps.
 */
export function checkpointTempPath(outDir: string): string {
  return path.join(outDir, `${CHECKPOINT_FILE}.tmp`);
}

export async function writeCheckpoint(outDir: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(checkpointPath(outDir), `${JSON.stringify(checkpoint)}\n`, { tempPath: checkpointTempPath(outDir) });
}

export type ReadResult = { kind: 'none' } | { kind: 'damaged'; reason: string } | { kind: 'ok'; checkpoint: Checkpoint };

export async function readCheckpoint(outDir: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await fs.readFile(checkpointPath(outDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'damaged', reason: 'it is not valid JSON (truncated or corrupted)' };
  }
  const reason = shapeProblem(value);
  return reason ? { kind: 'damaged', reason } : { kind: 'ok', checkpoint: value as Checkpoint };
}

/** Enough checking that a damaged file can never be mistaken for a state. */
function shapeProblem(value: unknown): string | null {
  const c = value as Partial<Checkpoint> | null;
  if (!c || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT) return 'it is not a qa-hf checkpoint';
  if (c.version !== CHECKPOINT_VERSION) return `it has version ${String(c.version)}, expected ${CHECKPOINT_VERSION}`;
  const p = c.position;
  if (!p || ![p.input, p.offset, p.line].every((n) => Number.isSafeInteger(n) && n >= 0)) return 'its position is invalid';
  if (!Array.isArray(c.inputs) || p.input > c.inputs.length) return 'its input list is invalid';
  if (!c.outputs || typeof c.outputs !== 'object') return 'its outputs are invalid';
  for (const output of Object.values(c.outputs)) {
    if (!Number.isSafeInteger(output?.bytes) || !Number.isSafeInteger(output?.records)) return 'its outputs are invalid';
  }
  if (!c.tally || !c.stats || typeof c.options_hash !== 'string') return 'it is incomplete';
  return null;
}

/**
 * Why the checkpoint cannot be resumed with these inputs and options, as one
 * sentence naming what changed, or null when it can.
 */
export async function resumeProblem(
  checkpoint: Checkpoint,
  expected: {
    toolVersion: string;
    optionsHash: string;
    inputs: readonly string[];
    hashers?: InputHasher[];
    /** Inputs whose fingerprint covers the whole file even mid-way (compressed: offsets are decompressed). */
    wholeInputs?: readonly boolean[];
  },
): Promise<string | null> {
  if (checkpoint.tool_version !== expected.toolVersion) {
    return `the interrupted run used qa-hf ${checkpoint.tool_version}, this is ${expected.toolVersion}`;
  }
  const before = checkpoint.inputs.map((input) => input.path);
  if (before.length !== expected.inputs.length || before.some((file, i) => file !== expected.inputs[i])) {
    const added = expected.inputs.find((file) => !before.includes(file));
    const removed = before.find((file) => !expected.inputs.includes(file));
    if (added) return `input ${added} was not part of the interrupted run`;
    if (removed) return `input ${removed} of the interrupted run is no longer an input`;
    return 'the inputs are in a different order than in the interrupted run';
  }
  if (checkpoint.options_hash !== expected.optionsHash) return 'the options differ from the interrupted run';
  for (const [i, input] of checkpoint.inputs.entries()) {
    if (!input.fingerprint) continue;
    const { position } = checkpoint;
    const where = { whole: i < position.input || expected.wholeInputs?.[i] === true, line: i === position.input ? position.line : 0 };
    try {
      const change = await inputChange(input.path, input.fingerprint, where, expected.hashers?.[i]);
      if (change) return change;
    } catch (err) {
      if (err instanceof QaHfError && err.code === 'ERR_S3') throw err;
      return `input ${input.path} can no longer be read`;
    }
  }
  return null;
}

export function mismatchError(outDir: string, reason: string): QaHfError {
  return new QaHfError(
    'ERR_CHECKPOINT_MISMATCH',
    `cannot resume the interrupted export in ${outDir}: ${reason}; run again with --restart to start over`,
  );
}

// ---------------------------------------------------------------------------
// The checkpoint of a library chain (streams/checkpoint.ts)

/** What a chain's checkpoint records: how far the inputs are consumed and how long each output is. */
export interface ChainCheckpoint {
  format: 'qa-hf-chain-checkpoint';
  version: 1;
  /** The inputs as the chain was given them, in order. */
  inputs: string[];
  /** The next line to read: input index, byte offset in it, lines of it consumed. */
  position: Position;
  /** Committed bytes per output name. */
  outputs: Record<string, number>;
  /** Every input consumed and the outputs' lengths final: only their renames may be left. */
  complete: boolean;
}

/** Writes it atomically (fixed temp name `<file>.tmp`: a killed write leaves one known file). */
export async function writeChainCheckpoint(file: string, checkpoint: ChainCheckpoint): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(checkpoint)}\n`, { tempPath: `${file}.tmp` });
}

/** The checkpoint at `file`, or null when there is none; a damaged one is ERR_CHECKPOINT_MISMATCH. */
export async function readChainCheckpoint(file: string): Promise<ChainCheckpoint | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let value: Partial<ChainCheckpoint> | null = null;
  try {
    value = JSON.parse(text) as Partial<ChainCheckpoint>;
  } catch {
    // reported below
  }
  if (!value || value.format !== 'qa-hf-chain-checkpoint' || value.version !== 1 || !Array.isArray(value.inputs) || !value.position || !value.outputs) {
    throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${file} is not a qa-hf chain checkpoint (damaged?); remove it and the outputs' .partial files to start over`);
  }
  return value as ChainCheckpoint;
}
