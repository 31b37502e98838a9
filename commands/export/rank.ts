/**
 * export/rank — one rank of an export spread over N machines:
 * `qa-hf export INPUTS --out DIR --rank R --world-size N` (or the scheduler's
 * variables: lib/scale/rank.ts). The rank reads only its share of the inputs (lib/scale/shares.ts:
 * line-aligned byte ranges, balanced by bytes), does the per-line work (split,
 * parse, validate, map, segment; under --pii redact|reject also the redaction, so no
 * raw personal data reaches the rank's folder) and writes `DIR/ranks/rank-RRRRR/`:
 *
 *   entries.jsonl   every line of its share, processed, in input order (lib/scale/rank-entries.ts)
 *   rank.json       the completion marker, written last: rank, world size and where
 *                   they came from, tool version, options hash, inputs fingerprint,
 *                   the export's arguments (for the merge), per range its input,
 *                   bytes, lines, place in entries.jsonl and what it read (the sha256
 *                   of the range's bytes, hashed as they were read; an S3 object's
 *                   ETag), and the counts
 *
 * `qa-hf merge DIR` (export/merge.ts) then routes and writes them all as one run.
 * While running: entries.jsonl grows as `.entries.jsonl.partial`, and a checkpoint
 * (`.qa-hf-rank-checkpoint.json`, atomic; taken by the checkpoint stage of streams/checkpoint.ts under the one policy) records after the file is fsynced how far
 * the share and the file are committed; a rerun cuts the file back and goes on
 * from there (the same bytes as an uninterrupted run: each line's encoding depends on
 * the line alone), once it has checked that the bytes of the range before the
 * checkpoint are those the interrupted run read (their sha256 is in the checkpoint).
 * A rerun of a completed rank does nothing and says so.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Batch } from '../../lib/batch';
import { hashJson } from '../../lib/canonical-json';
import { QaHfError, toQaHfError } from '../../lib/errors';
import { isS3Url } from '../../lib/s3-url';
import { AtomicFile, writeFileAtomic } from '../../lib/io/atomic-file';
import { type Fingerprint, type InputHasher, PrefixHasher, inputChange, inputHasher, sha256File } from '../../lib/io/fingerprint';
import { type InputInfo, describeInputs } from '../../lib/io/inputs';
import { takeLock } from '../../lib/io/lock';
import { relativeToDir } from '../../lib/io/manifest';
import { rankShares } from '../../lib/io/shares';
import { type RankInfo, type RankMarker, type RankRange, rankDirName } from '../../lib/scale/rank';
import { encodeEntry } from '../../lib/scale/rank-entries';
import { normalizeQualityPlan, redactsPii } from '../../lib/quality/plan';
import { redactForRank } from '../../lib/quality/rules';
import type { ShareRange } from '../../lib/scale/shares';
import { type Counts, Tally, type TallyState, count } from '../../lib/tally';
import { createFileSource, inputName } from '../../streams/file-source';
import { buildChain } from '../../streams/chain';
import { type Durable, type SinkWriter, createCommitSink } from '../../streams/commit-sink';
import { TOOL_VERSION } from '../version';
import { CHECKPOINT_BYTES, CHECKPOINT_MS } from '../../lib/checkpoint-policy';
import { checkpointPolicy, createCheckpointStage } from '../../streams/checkpoint';
import { type WritingArgs, note, pausePoint } from './files';
import { StopSignals } from '../signals';
import { stageOptions } from './session';

export const RANK_MARKER = 'rank.json';
export const RANK_ENTRIES = 'entries.jsonl';
export const RANK_CHECKPOINT = '.qa-hf-rank-checkpoint.json';
export const MARKER_FORMAT = 'qa-hf-rank';
export const RANK_CHECKPOINT_FORMAT = 'qa-hf-rank-checkpoint';
const MARKER_VERSION = 1;

/** The rank's checkpoint: how far its share and entries.jsonl are committed. */
interface RankCheckpoint {
  format: typeof RANK_CHECKPOINT_FORMAT;
  identity: RankIdentity;
  planned: ShareRange[];
  /**
   * The range being read, the byte offset and the lines of it committed; mid-range,
   * what was read of it: the sha256 of its bytes up to the offset (a compressed
   * input: of the whole raw file), or an S3 object's ETag.
   */
  position: { range: number; offset: number; line: number; fingerprint?: Fingerprint };
  done: RankRange[];
  /** Where the range being read began in entries.jsonl. */
  range_entries_offset: number;
  entries_bytes: number;
  tally: TallyState;
}

/** A committed part of the share as the sink reports it: entries.jsonl's length right after it, and its durable point. */
interface RankCommit {
  part: Batch;
  entriesBytes: number;
  durable: Durable | null;
  stop: boolean;
}

/** What must be equal for a rerun to resume or skip, and for the merge to take the ranks together. */
interface RankIdentity {
  rank: number;
  world_size: number;
  tool_version: string;
  options_hash: string;
  inputs_fingerprint: string;
}

/**
 * Inputs relative to --out (to the working directory for an --out s3://, which is
 * staged in a folder of this machine's), s3:// ones as URLs, with their sizes: every rank must see the same.
 */
export function inputsFingerprint(base: string, inputs: readonly string[], infos: readonly InputInfo[]): string {
  return hashJson(inputs.map((file, i) => [isS3Url(file) ? file : relativeToDir(path.resolve(base), path.resolve(file)), infos[i].size, infos[i].compressed]));
}

/** The export's arguments the merge needs, without what is this run's own. */
function recordedArgs(args: WritingArgs): Record<string, unknown> {
  const { inputs: _inputs, out: _out, rank: _rank, worldSize: _worldSize, restart: _restart, onProgress: _onProgress, progress: _progress, merge: _merge, ...rest } = args as WritingArgs & {
    rank?: unknown;
    worldSize?: unknown;
  };
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

export async function readRankMarker(dir: string): Promise<RankMarker | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, RANK_MARKER), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw toQaHfError(err);
  }
  return parseRankMarker(text);
}

/** rank.json's text as a marker, or null when it is none (damaged, another format or version). */
export function parseRankMarker(text: string): RankMarker | null {
  try {
    const marker = JSON.parse(text) as RankMarker;
    return marker.format === MARKER_FORMAT && marker.version === MARKER_VERSION ? marker : null;
  } catch {
    return null;
  }
}

function sameIdentity(a: RankIdentity, b: RankIdentity): boolean {
  return a.rank === b.rank && a.world_size === b.world_size && a.tool_version === b.tool_version && a.options_hash === b.options_hash && a.inputs_fingerprint === b.inputs_fingerprint;
}

/**
 * Runs rank `info.rank` of the export; returns its counts (nothing new when it was complete).
 * `shownOut`: the --out messages name (an s3:// URL whose staging folder is `args.out`).
 */
export async function runRank(args: WritingArgs, inputs: string[], options: Record<string, unknown>, info: RankInfo, shownOut = args.out): Promise<Counts> {
  const label = `rank ${info.rank} of ${info.worldSize} (from ${info.from})`;
  if (args.failFast) throw new QaHfError('ERR_USAGE', `--fail-fast cannot be used by a rank (${label}): run the ranks without it and read qa_errors.jsonl after the merge`);
  const infos = await describeInputs(inputs);
  const stream = inputs.find((_file, i) => infos[i].stream);
  if (stream !== undefined) throw new QaHfError('ERR_USAGE', `a rank reads its share of regular files; ${inputName(stream)} is a stream (stdin or a pipe)`);
  const dir = path.join(args.out, rankDirName(info.rank));
  const shown = shownOut === args.out ? dir : `${shownOut.replace(/\/+$/, '')}/${rankDirName(info.rank)}`;
  const identity: RankIdentity = {
    rank: info.rank,
    world_size: info.worldSize,
    tool_version: TOOL_VERSION,
    options_hash: hashJson(options),
    inputs_fingerprint: inputsFingerprint(args.inputBase ?? args.out, inputs, infos),
  };
  await fs.mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw toQaHfError(err);
  });
  const unlock = await takeLock(dir);
  const stop = new StopSignals({ quiet: args.quiet });
  stop.resume = 'run the same command again to resume the rank';
  try {
    const done = await readRankMarker(dir);
    if (done && !args.restart) {
      if (sameIdentity(done, identity)) {
        note(args, `${label}: already complete in ${shown}; nothing to do`);
        return done.counts as unknown as Counts;
      }
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `${shown} holds a rank completed with other options, inputs or tool version; run with --restart to redo it`);
    }
    note(args, `${label}: writing ${shown}${shown === dir ? '' : ` (staged in ${dir})`}`);
    const run = new RankRun(args, dir, inputs, infos, identity, info, shownOut);
    return await run.run(stop);
  } finally {
    stop.dispose();
    await unlock();
  }
}

class RankRun {
  private readonly checkpointPath: string;
  private readonly markerPath: string;
  private readonly entriesPath: string;
  private readonly entriesTemp: string;

  constructor(
    private readonly args: WritingArgs,
    private readonly dir: string,
    private readonly inputs: string[],
    private readonly infos: InputInfo[],
    private readonly identity: RankIdentity,
    private readonly info: RankInfo,
    private readonly shownOut: string,
  ) {
    this.checkpointPath = path.join(dir, RANK_CHECKPOINT);
    this.markerPath = path.join(dir, RANK_MARKER);
    this.entriesPath = path.join(dir, RANK_ENTRIES);
    this.entriesTemp = path.join(dir, `.${RANK_ENTRIES}.partial`);
  }

  /** The checkpoint to resume from, or null: none, --restart, damaged, or of another run (then started over, said so). */
  private async resumePoint(): Promise<RankCheckpoint | null> {
    if (this.args.restart) {
      await fs.rm(this.markerPath, { force: true });
      await fs.rm(this.checkpointPath, { force: true });
      return null;
    }
    let checkpoint: RankCheckpoint;
    try {
      checkpoint = JSON.parse(await fs.readFile(this.checkpointPath, 'utf8')) as RankCheckpoint;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      note(this.args, `the rank checkpoint in ${this.dir} is unusable; starting the rank over`);
      return null;
    }
    if (checkpoint.format !== RANK_CHECKPOINT_FORMAT || !checkpoint.identity || !sameIdentity(checkpoint.identity, this.identity)) {
      throw new QaHfError('ERR_CHECKPOINT_MISMATCH', `the interrupted rank in ${this.dir} ran with other options, inputs or tool version; run with --restart to start it over`);
    }
    return checkpoint;
  }

  async run(stop: StopSignals): Promise<Counts> {
    let state = await this.resumePoint();
    let entries: AtomicFile | null = null;
    let resumeHasher: InputHasher | null = null;
    if (state) {
      try {
        entries = await AtomicFile.open(this.entriesPath, { tempPath: this.entriesTemp, keepBytes: state.entries_bytes });
        const at = state.position;
        const range = state.planned[at.range];
        const where = range ? `${this.inputs[range.input]} byte ${at.offset}` : 'its end';
        note(this.args, `resuming the interrupted rank at ${where}`);
      } catch {
        note(this.args, `the partial entries in ${this.dir} do not match its checkpoint; starting the rank over`);
        state = null;
      }
    }
    if (state) {
      try {
        resumeHasher = await this.resumeCheck(state);
      } catch (err) {
        await entries!.abort(false);
        throw err;
      }
    }
    if (!state) {
      const planned = await rankShares(this.inputs, this.infos, this.info.worldSize, this.info.rank);
      state = { format: RANK_CHECKPOINT_FORMAT, identity: this.identity, planned, position: { range: 0, offset: planned[0]?.start ?? 0, line: 0 }, done: [], range_entries_offset: 0, entries_bytes: 0, tally: new Tally().toJSON() };
      entries = await AtomicFile.open(this.entriesPath, { tempPath: this.entriesTemp });
      await this.checkpoint(state, entries);
    }
    try {
      await this.stream(state, entries!, stop, resumeHasher);
    } catch (err) {
      await entries!.abort(false);
      throw err;
    }
    await entries!.commit();
    // The merge checks the intermediate against this before reading it: a changed byte is refused, not merged.
    const written = await sha256File(this.entriesPath);
    const tally = new Tally(state.tally);
    const marker: RankMarker = {
      format: MARKER_FORMAT,
      version: MARKER_VERSION,
      rank: this.info.rank,
      world_size: this.info.worldSize,
      source: this.info.source,
      from: this.info.from,
      tool_version: this.identity.tool_version,
      options_hash: this.identity.options_hash,
      inputs_fingerprint: this.identity.inputs_fingerprint,
      inputs: this.inputs,
      cwd: process.cwd(),
      args: recordedArgs(this.args),
      ranges: state.done,
      entries_sha256: written.sha256,
      entries_size: written.bytes,
      counts: tally.total as unknown as Record<string, unknown>,
    };
    await writeFileAtomic(this.markerPath, `${JSON.stringify(marker, null, 2)}\n`, { tempPath: path.join(this.dir, `.${RANK_MARKER}.tmp`) });
    await fs.rm(this.checkpointPath, { force: true });
    const total = tally.total;
    note(
      this.args,
      `rank ${this.info.rank} of ${this.info.worldSize}: ${count(total.lines, 'line')} of ${count(state.done.length, 'range')} processed (${count(total.errors, 'error')}, ${total.blank} blank); run qa-hf merge ${this.shownOut} once every rank is complete`,
    );
    return total;
  }

  /** What a range's bytes are hashed by: from its start (a compressed input: its whole raw file; an S3 object: its ETag). */
  private hasherOf(range: ShareRange): InputHasher {
    const info = this.infos[range.input];
    return inputHasher(this.inputs[range.input], info.etag, info.compressed ? 0 : range.start);
  }

  /** Mid-range: the fingerprint of what was read of the range up to `at` (see RankCheckpoint.position). */
  private async fingerprintAt(at: RankCheckpoint['position'], range: ShareRange, hasher: InputHasher): Promise<Fingerprint | undefined> {
    if (at.offset <= range.start && at.line === 0) return undefined; // nothing of it read yet
    const info = this.infos[range.input];
    return hasher.advanceTo(info.compressed ? info.size : at.offset);
  }

  /**
   * A resume reads on from the checkpoint's offset: the bytes of the range before it,
   * read by the interrupted run and already in entries.jsonl, must be unchanged (as
   * an export's resume checks), or the rank would vouch for bytes it never read.
   * Returns the range's hasher standing at the offset, for the reader to go on from.
   */
  private async resumeCheck(state: RankCheckpoint): Promise<InputHasher | null> {
    const at = state.position;
    const range = state.planned[at.range];
    if (!range) return null;
    const hasher = this.hasherOf(range);
    if (at.offset <= range.start && at.line === 0) return hasher;
    const file = this.inputs[range.input];
    const info = this.infos[range.input];
    const refuse = (why: string) => new QaHfError('ERR_CHECKPOINT_MISMATCH', `cannot resume the interrupted rank in ${this.dir}: ${why}; run with --restart to start it over`);
    const before = at.fingerprint;
    if (!before) throw refuse('its checkpoint records no fingerprint of the bytes it read (an older qa-hf)');
    if (!info.compressed && hasher instanceof PrefixHasher) {
      const now = await hasher.advanceTo(at.offset).catch(() => null);
      if (now === null || now.sha256 !== before.sha256) throw refuse(`bytes ${range.start}–${at.offset} of ${file}, read by the interrupted rank, changed`);
      return hasher;
    }
    const change = await inputChange(file, before, { whole: true, line: at.line }, hasher);
    if (change) throw refuse(change);
    return hasher;
  }

  private async checkpoint(state: RankCheckpoint, entries: AtomicFile): Promise<void> {
    await entries.sync();
    state.entries_bytes = entries.bytes;
    await writeFileAtomic(this.checkpointPath, `${JSON.stringify(state)}\n`, { tempPath: `${this.checkpointPath}.tmp` });
  }

  private async stream(state: RankCheckpoint, entries: AtomicFile, stop: StopSignals, resumeHasher: InputHasher | null): Promise<void> {
    const at = state.position;
    const remaining = state.planned.slice(at.range);
    if (remaining.length === 0) return;
    // Each range's bytes hashed as they are read (the reader's own hash, handed over: no second read).
    const hashers = remaining.map((range, i) => (i === 0 && resumeHasher !== null ? resumeHasher : this.hasherOf(range)));
    const specs = remaining.map((range, i) => ({
      path: this.inputs[range.input],
      start: i === 0 ? { offset: at.offset, line: at.line } : { offset: range.start, line: 0 },
      end: range.end ?? undefined,
      hashTap: hashers[i],
      etag: this.infos[range.input].etag, // an S3 object: the version described, or the read fails
    }));
    // The sha256 of each range's bytes as read (a compressed input: its whole raw file), by input name.
    const digests = new Map<string, string>();
    const rangeOf = new Map(state.planned.map((range, i) => [inputName(this.inputs[range.input]), i]));
    const tally = new Tally(state.tally);
    const caps = { bytes: this.args.checkpointBytes ?? CHECKPOINT_BYTES, ms: this.args.checkpointMs ?? CHECKPOINT_MS };
    const redact = redactsPii(normalizeQualityPlan(this.args));
    // What the one sink (streams/commit-sink.ts) writes with: each line of the share, encoded, to entries.jsonl.
    const writer: SinkWriter<RankCommit> = {
      write: async (batch: Batch, from: number, to: number): Promise<void> => {
        const lines: string[] = [];
        const list = batch.entries;
        for (let i = from; i < to; i++) {
          // The row as routing will write it, with what it held (the processor redacted the bad lines already).
          if (redact && list[i].row !== null && (list[i].channel === 'pairs' || list[i].channel === 'rejected')) {
            const { row, hits } = redactForRank(list[i]);
            list[i].row = row;
            list[i].piiFound = hits;
          }
          const end = i + 1 < list.length ? list[i + 1].offset : batch.endOffset;
          lines.push(encodeEntry(list[i], end - list[i].offset));
        }
        if (lines.length > 0) await entries.write(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
      },
      sync: () => entries.sync(),
      describe: (part, _atFixedPosition, durable, stopHere) => ({ part, entriesBytes: entries.bytes, durable, stop: stopHere }),
    };
    // The checkpoint stage (streams/checkpoint.ts): accounts for each committed part, records the durable ones, ends a stopped run.
    const take = async ({ part, entriesBytes, durable, stop: stopHere }: RankCommit): Promise<void> => {
      const index = rangeOf.get(part.file)!;
      const range = state.planned[index];
      tally.add(part);
      state.tally = tally.toJSON();
      if (part.fileEnd) {
        // What was read, for the merge to check the input against (lib/scale/rank.ts inputBytesChange).
        const etag = this.infos[range.input].etag;
        const read = etag !== undefined ? { etag } : { sha256: digests.get(part.file) };
        if (read.sha256 === undefined && etag === undefined) throw new Error(`internal: no digest of ${part.file}'s range`);
        state.done.push({
          input: range.input,
          start: range.start,
          end: part.endOffset,
          lines: part.endLine,
          entries_offset: state.range_entries_offset,
          entries_bytes: entriesBytes - state.range_entries_offset,
          ...read,
        });
        const next = state.planned[index + 1];
        state.position = { range: index + 1, offset: next?.start ?? 0, line: 0 };
        state.range_entries_offset = entriesBytes;
      } else {
        state.position = { range: index, offset: part.endOffset, line: part.endLine };
      }
      if (durable) {
        await durable.synced;
        const current = state.planned[state.position.range];
        if (current) state.position.fingerprint = await this.fingerprintAt(state.position, current, hashers[state.position.range - at.range]);
        state.entries_bytes = entriesBytes;
        await writeFileAtomic(this.checkpointPath, `${JSON.stringify(state)}\n`, { tempPath: `${this.checkpointPath}.tmp` });
        pausePoint('rank-checkpoint'); // test seam: a kill lands right after a checkpoint mid-share
      }
      if (stopHere && stop.requested) throw new QaHfError('ERR_INTERRUPTED', `stopped by ${stop.requested}; ${stop.resume}`);
    };
    const first = remaining[0];
    const sink = createCommitSink({
      writer,
      downstream: true,
      // A rank's entries are flush-neutral: each line's encoding depends on the line alone.
      durableAt: checkpointPolicy(true, caps, stop),
      start: { file: inputName(this.inputs[first.input]), offset: at.offset },
    });
    const source = createFileSource(specs, { onFileDigest: (file, digest) => digests.set(file, digest.sha256) });
    // No router: a rank's lines are routed by the merge, in input order over all ranks.
    await buildChain({ processing: { ...stageOptions(this.args, []), serialize: [] }, route: null }, { source, sink, checkpoint: createCheckpointStage(take) }).run();
    await this.checkpoint(state, entries);
  }
}
