/**
 * export/sample — `--target-samples N`'s first pass: reads every input once through
 * the same processing and routing as the export (min-score and the quality rules
 * included, so the sample is drawn from the pairs the export would write) and keeps
 * the N smallest sample keys of the passed pairs in a bounded max-heap
 * (lib/scale/sample.ts BottomK: N keys, whatever the corpus). Its result, the cutoff, goes
 * into the checkpoint before the export's own pass starts, so a resumed export
 * never repeats this pass; a run killed during it writes nothing and the next run
 * does it again. The second pass is the export itself, its router keeping the
 * pairs whose key is ≤ the cutoff (`routeSample`).
 *
 *   const threshold = await computeSampleThreshold(args, inputs, plan); // { target, passed, cutoff }
 *   createRouter({ plan, quality, sample: routeSample(threshold, plan, inputs) })
 */
import type { Readable } from 'node:stream';
import type { Batch } from '../../lib/batch';
import { QaHfError } from '../../lib/errors';
import type { ExportPlan } from '../../lib/dataset/plan';
import { describeInputs } from '../../lib/io/inputs';
import { QualityRouter } from '../../lib/quality/rules';
import type { NgramIndex } from '../../lib/quality/contamination';
import type { RouteSample } from '../../lib/dataset/route';
import { BottomK, type SampleThreshold, makeSampler, sampleKey } from '../../lib/scale/sample';
import type { Counts } from '../../lib/tally';
import { createFileSource, inputName } from '../../streams/file-source';
import { buildChain } from '../../streams/chain';
import { createSink } from '../../streams/sink';
import type { ProcessingOptions } from '../../streams/chain';
import { type ExportArgs, crashPoint, note } from './files';

/** Two passes read every input twice: a stream (stdin, a pipe) can be read once only. Checked before anything is written. `cwd`: a merge's inputCwd. */
export async function refuseStreamInputs(inputs: readonly string[], cwd?: string): Promise<void> {
  const streams = (await describeInputs(inputs, cwd)).flatMap((info, i) => (info.stream ? [inputName(inputs[i])] : []));
  if (streams.length === 0) return;
  const which = streams.length === 1 ? `${streams[0]} is` : `${streams.join(', ')} are`;
  throw new QaHfError('ERR_USAGE', `--target-samples reads the inputs twice (to choose the sample, then to write it), and ${which} read as a stream (stdin or a pipe); save it to a file first`);
}

/** The first pass: the cutoff of the N smallest sample keys among the passed pairs. `processing`: the export's stage options. */
export async function computeSampleThreshold(
  args: ExportArgs,
  inputs: readonly string[],
  plan: ExportPlan,
  processing: ProcessingOptions,
  /** --decontaminate: the evaluation sets' n-grams (ReportSetup.evalSets), so the sample is of the pairs the export keeps. */
  contamination: NgramIndex | null,
  /** Processed batches from elsewhere (a merge: the ranks' lines) instead of reading and processing the inputs. */
  upstream?: () => Readable,
): Promise<SampleThreshold> {
  const target = plan.targetSamples;
  if (target === undefined) throw new Error('internal: a sample pass without --target-samples');
  note(args, `sampling: reading the inputs once to choose ${target} of the passed pairs (--target-samples)`);
  const names = inputs.map(inputName);
  const index = new Map(names.map((name, i) => [name, i]));
  const bottom = new BottomK(target);
  const onCommit = (batch: Batch) => {
    crashPoint('sampling'); // test seam: a SIGKILL in the middle of this pass
    const input = index.get(batch.file)!;
    for (const entry of batch.entries) if (entry.channel === 'pairs') bottom.offer(sampleKey(entry.row![plan.key], plan.seed, input, entry.line));
  };
  // Quiet: the export's own pass reports the bad lines and the summary. With --fail-fast this pass
  // stops at the first bad line already, before anything is written.
  const route = { plan, quality: new QualityRouter(plan.quality, [...names], contamination) };
  const source = upstream ? upstream() : createFileSource([...inputs]);
  await buildChain({ processing: upstream ? null : processing, route }, { source, sink: createSink({ outputs: {}, onCommit }) }).run();
  return bottom.result();
}

/** The second pass's sampling, for the export's router. */
export function routeSample(threshold: SampleThreshold, plan: ExportPlan, inputs: readonly string[]): RouteSample {
  return { sampler: makeSampler(threshold, plan.seed), inputs: inputs.map(inputName) };
}

/**
 * The first pass saw `threshold.passed` passed pairs; the export's pass must keep
 * min(N, passed) of them and leave out the rest. Anything else means an input
 * changed between the passes (the second pass's resume check covers only what it read).
 */
export function checkSampleCounts(threshold: SampleThreshold, counts: Counts, out: string): void {
  const kept = Math.min(threshold.target, threshold.passed);
  if (counts.pairs + counts.notSampled === threshold.passed && counts.pairs === kept) return;
  throw new QaHfError(
    'ERR_CHECKPOINT_MISMATCH',
    `an input changed between --target-samples' sampling pass and the export in ${out}: the sampling pass saw ${threshold.passed} passed pairs, the export ${counts.pairs + counts.notSampled} (${counts.pairs} kept); run it again with --restart`,
  );
}
