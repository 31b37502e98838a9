/**
 * route — where an entry goes, decided once, before any sink: its channel, its
 * split and, for a pair moved out, its failure_reason. Pure: no stream, no file.
 *
 * The processor decides pairs / rejected / errors / blank from the schema and the
 * preset. Routing then applies the plan's rules to the pairs, in order, the first
 * that fails moving the pair to the rejected output with its reason:
 *   1. --min-score: a validation_score below it → "below_min_score"
 *   2. --min-chars / --max-chars: a column shorter / longer → "too_short" / "too_long"
 *      (lib/dataset/length-filters.ts)
 *   3. --max-tokens: the conversation rendered with the model's chat template longer than
 *      N tokens → "too_many_tokens" (lib/quality/chat-tokens.ts; the count is the
 *      processor's fact when it has one, else made here). With a chat template every
 *      pair and rejected row is rendered: the first the template refuses, in input
 *      order, ends the run (ERR_CHAT_TEMPLATE, naming its file and line).
 * and assigns pairs and rejected rows their split by the hash of the plan's key
 * column (lib/dataset/split.ts), so a record never moves when the corpus grows. With a
 * quality plan, the quality rules (lib/quality/rules.ts QualityRouter: stateful, so the
 * router sees entries in input order): PII scanned in pairs and rejected rows first,
 * before the split (redacted in the row, so the key is hashed as written), then,
 * the split known, a pair with PII moved with "pii" (--pii reject), duplicates of passing pairs
 * ("duplicate", "near_duplicate"), then a passing pair's tier (`entry.quality`) and, with
 * --partition-by, its partition (lib/dataset/partition.ts: a config named after its value).
 * Last, with --target-samples (lib/scale/sample.ts), a pair still passing whose sample key
 * lies above the first pass's cutoff goes to `not_sampled`: counted, never written.
 * It comes after every other rule, so the sample is drawn from what would be written.
 * A segmented line's rows (Entry.segments) are routed one by one by the plan's rules and
 * split; the quality rules do not see them (lib/dataset/plan.ts refuses non-default quality options
 * with segment).
 * A sink only writes what this decided; it never changes a channel or a split.
 *
 *   const route = makeRouter(plan);
 *   route(entry) // { channel: 'rejected', split: 1, row: { …, failure_reason: 'below_min_score' } }
 */
import type { Batch, Channel, Entry, Row, SegmentRow } from '../batch';
import type { QualityPlan } from '../quality/plan';
import { LOW_TIER } from '../quality/plan';
import { QualityRouter } from '../quality/rules';
import type { Sampler } from '../scale/sample';
import { type SplitSpec, makeSplitAssigner } from './split';
import { type CharLimits, charLimitRule } from './length-filters';
import { ChatTokenCounter, type ChatTokensSpec } from '../quality/chat-tokens';
import { QaHfError } from '../errors';
import { rowPartition } from './partition';

/** failure_reason of a pair whose rendered conversation is longer than --max-tokens. */
export const TOO_MANY_TOKENS = 'too_many_tokens';

/** failure_reason of a pair moved to the rejected output by --min-score. */
export const BELOW_MIN_SCORE = 'below_min_score';
/** The column --min-score compares. */
export const SCORE_COLUMN = 'validation_score';

/** What routing needs of an export plan (lib/dataset/plan.ts ExportPlan has it all). */
export interface RoutePlan {
  spec: SplitSpec;
  seed: number;
  /** Flat-row column hashed for the split. */
  key: string;
  minScore?: number;
  /** --min-chars, --max-chars (lib/dataset/length-filters.ts). */
  minChars?: CharLimits;
  maxChars?: CharLimits;
  /** --max-tokens: needs `chat`. */
  maxTokens?: number;
  /** A model folder (--tokenizer FOLDER) as data, once the command has read it: every row's conversation is rendered and counted. */
  chat?: ChatTokensSpec;
  /** --partition-by: the column whose value names a passed pair's config. */
  partitionBy?: string;
  /** --pii, --dedup, --tiers (absent: no quality rules run, as in library chains). */
  quality?: QualityPlan;
}

/**
 * The decision for one entry: the row is replaced when a rule moved the pair (it
 * gains failure_reason). A segmented line's rows are each routed as an entry's
 * row would be (`segments`).
 */
export interface Route {
  channel: Channel;
  split: number;
  row: Row | null;
  segments: SegmentRow[] | null;
  /** --tiers: the tier a passed pair is written under (its score's, `low` when it has none); else null. */
  tier: string | null;
  /** --partition-by: the config a passed pair is written under (lib/dataset/partition.ts rowPartition); else null. */
  partition: string | null;
  /** The failure_reason a rule gave a pair it moved to rejected; null when no rule moved it. */
  reason: string | null;
}

/** A rule over a pair's row: the failure_reason that moves it to rejected, or null when it stays. */
export type RouteRule = (row: Row) => string | null;

/** The min-score rule: a pair whose score is below `minScore` fails with "below_min_score". */
export function minScoreRule(minScore: number): RouteRule {
  return (row) => {
    const score = row[SCORE_COLUMN];
    return typeof score === 'number' && score < minScore ? BELOW_MIN_SCORE : null;
  };
}

/** The plan's rules over pairs, in the order they apply. */
export function planRules(plan: RoutePlan): RouteRule[] {
  const rules: RouteRule[] = [];
  if (plan.minScore !== undefined) rules.push(minScoreRule(plan.minScore));
  if (plan.minChars !== undefined || plan.maxChars !== undefined) rules.push(charLimitRule(plan.minChars ?? null, plan.maxChars ?? null));
  return rules;
}

/** --target-samples' second pass: which passed pairs to keep, and the run's input names (their index breaks ties). */
export interface RouteSample {
  sampler: Sampler;
  inputs: readonly string[];
}

/**
 * The router of a plan: entry (of input `file`) → its route. Entries the processor
 * has not decided are an internal error. `quality`: the quality rules' state to
 * use (a resumed run's, restored from its log); by default a fresh one of
 * `plan.quality`. `sample`: keep only the sampled passed pairs (the others: `not_sampled`).
 */
export function makeRouter(plan: RoutePlan, quality?: QualityRouter, sample?: RouteSample, given?: ChatTokenCounter): (entry: Entry, file?: string) => Route {
  const rules = planRules(plan);
  // `given`: a counter the caller shares with its report (one parse of the tokenizer).
  const chat = given ?? (plan.chat ? new ChatTokenCounter(plan.chat) : undefined);
  if (plan.maxTokens !== undefined && chat === undefined) throw new Error('internal: --max-tokens needs a model folder (plan.chat)');
  // The rendered conversation's tokens: the processor's fact when there is one (of the row as routing holds it), else counted here.
  const tokensOf = (row: Row, entry: Entry, file: string): number | null => {
    const facts = entry.facts;
    const counted = facts !== null && (facts.tokens >= 0 || facts.tokenError !== null) ? (facts.tokenError !== null ? { error: facts.tokenError } : { tokens: facts.tokens }) : chat!.count(row);
    if (counted === null) return null;
    if ('error' in counted) throw new QaHfError('ERR_CHAT_TEMPLATE', `the chat template refused this row: ${counted.error}`, { file, line: entry.line });
    return counted.tokens;
  };
  const qualityRouter = quality ?? (plan.quality ? new QualityRouter(plan.quality) : null);
  // One split: every row goes there, no hashing.
  const assign = plan.spec.names.length === 1 ? () => 0 : makeSplitAssigner(plan.spec, plan.seed);
  const inputIndex = new Map(sample?.inputs.map((file, i) => [file, i]));
  const sampled = (row: Row, file: string, line: number): boolean => {
    const input = inputIndex.get(file);
    if (input === undefined) throw new Error(`internal: ${file} is not among the sampled run's inputs`);
    return sample!.sampler(row[plan.key], input, line);
  };
  // The rules and the split of one row (a segment's; an entry's before its quality rules).
  const routeRow = (channel: 'pairs' | 'rejected', given: Row, entry: Entry, file: string): SegmentRow => {
    const moved = (reason: string): SegmentRow => {
      const row: Row = { ...given, failure_reason: reason };
      return { channel: 'rejected', row, split: assign(row[plan.key]), reason };
    };
    // Counted first, for every row, rejected ones and those another rule moves too (the report measures
    // them): so the first row the template refuses, in input order, is the one that ends the run.
    const tokens = chat === undefined ? null : tokensOf(given, entry, file);
    if (channel === 'pairs') {
      for (const rule of rules) {
        const reason = rule(given);
        if (reason !== null) return moved(reason);
      }
      if (plan.maxTokens !== undefined && tokens !== null && tokens > plan.maxTokens) return moved(TOO_MANY_TOKENS);
    }
    return { channel, row: given, split: assign(given[plan.key]) };
  };
  return (entry, file = '') => {
    const channel = entry.channel;
    if (channel === null) throw new Error(`line ${entry.line} reached the router undecided`);
    // A segmented line's rows get no tier: the plan refuses --tiers with segment.
    if (channel === 'segmented') {
      // A segment's row has no facts (entry.facts would be of the line's own row): counted here.
      const segments = entry.segments!.map((segment) => routeRow(segment.channel, segment.row, { ...entry, facts: null }, file));
      return { channel, split: 0, row: null, segments, tier: null, partition: null, reason: null };
    }
    if ((channel !== 'pairs' && channel !== 'rejected') || entry.row === null) return { channel, split: 0, row: entry.row, segments: null, tier: null, partition: null, reason: null };
    // PII first: the split key is hashed as it is written (redacted under --pii redact|reject).
    const first = routeRow(channel, qualityRouter ? qualityRouter.scan(entry, entry.row) : entry.row, entry, file);
    let row = first.row;
    let routed: Channel = first.channel;
    let reason = first.reason ?? null;
    const split = first.split;
    if (qualityRouter) {
      const decision = qualityRouter.judge(entry, row, routed === 'pairs', file, split);
      row = decision.row;
      if (decision.reason !== null) {
        row = { ...row, failure_reason: decision.reason };
        routed = 'rejected';
        reason = decision.reason;
      }
    }
    if (sample && routed === 'pairs' && !sampled(row, file, entry.line)) routed = 'not_sampled';
    const tier = routed === 'pairs' && plan.quality?.tiers ? (entry.quality?.tier ?? LOW_TIER) : null;
    const partition = routed === 'pairs' && plan.partitionBy !== undefined ? rowPartition(row, plan.partitionBy) : null;
    return { channel: routed, split, row, segments: null, tier, partition, reason };
  };
}

/** Sets the route on the entry; true when its channel or row changed (its serialized bytes are then stale). */
export function applyRoute(entry: Entry, route: Route): boolean {
  let moved = entry.channel !== route.channel || entry.row !== route.row;
  if (route.segments !== null) {
    moved ||= route.segments.some((segment, i) => segment.channel !== entry.segments![i].channel || segment.row !== entry.segments![i].row);
    entry.segments = route.segments;
  }
  entry.channel = route.channel;
  entry.row = route.row;
  entry.split = route.split;
  entry.tier = route.tier;
  entry.partition = route.partition;
  entry.reason = route.reason;
  return moved;
}

/**
 * The rows of a committed part the min-score rule moved (its entries' and their
 * segments'): counted where commits are accounted for (commands/export/session.ts),
 * so a checkpoint's count matches what is durable.
 */
export function countBelowMinScore(batch: Batch): number {
  let n = 0;
  const moved = (channel: Channel | null, row: Row | null) => channel === 'rejected' && row !== null && row.failure_reason === BELOW_MIN_SCORE;
  for (const entry of batch.entries) {
    if (entry.channel === 'segmented') for (const segment of entry.segments!) n += moved(segment.channel, segment.row) ? 1 : 0;
    else if (moved(entry.channel, entry.row)) n++;
  }
  return n;
}
