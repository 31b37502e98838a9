/**
 * router — the routing stage between the processor and the sink (lib/dataset/route.ts:
 * min-score, the split of every pair and rejected row, then the quality rules —
 * PII, duplicates, tiers — in input order on this thread).
 *
 * Input: processed Batches. Output: the same Batches, each entry with its final
 * `channel` and `split`. When a rule moved an entry to another channel the
 * processor's serialized bytes no longer match the entries (so too when a row
 * was redacted): `output` is then set
 * to null and the sink writes that batch row by row.
 * Errors: none of its own (an undecided entry is an internal error).
 *
 *   await runChain([source, ...createProcessingStages(options), createRouter({ plan }), sink]);
 */
import type { Transform } from 'node:stream';
import type { Batch } from '../lib/batch';
import type { QualityRouter } from '../lib/quality/rules';
import { type RoutePlan, type RouteSample, applyRoute, makeRouter } from '../lib/dataset/route';
import { batchStage } from './batch-stage';
import type { ChatTokenCounter } from '../lib/quality/chat-tokens';

export interface RouterOptions {
  plan: RoutePlan;
  /** The quality rules' state (a resumed export's, restored); default a fresh one of `plan.quality`. */
  quality?: QualityRouter;
  /** --target-samples' second pass (lib/scale/sample.ts): the passed pairs outside the sample go to `not_sampled`. */
  sample?: RouteSample;
  /** A model folder's chat token counter (lib/quality/chat-tokens.ts): --max-tokens, and the template's refusal of a row. */
  chat?: ChatTokenCounter;
}

export function createRouter(options: RouterOptions): Transform {
  const route = makeRouter(options.plan, options.quality, options.sample, options.chat);
  return batchStage((batch: Batch) => {
    let moved = false;
    for (const entry of batch.entries) if (applyRoute(entry, route(entry, batch.file))) moved = true;
    if (moved) batch.output = null;
    return batch;
  });
}
