/**
 * export-description — what a finished export says of itself: the CardDescription
 * that lib/dataset/card.ts renders (configs and their final files, counts, the generated
 * summary) and the `split` section of stats.json. Pure.
 *
 *   const readme = renderCard(describeExport(plan, state, files, facts));
 */
import type { FormatName } from './formats';
import { BELOW_MIN_SCORE } from './route';
import type { CardConfig, CardDescription, CardFile, CardMeta } from './card-configs';
import type { Preset } from '../input/presets';
import { renderSplitReport } from '../quality/stats';
import { SPLIT_RULE, type SplitTrackerReport } from './split';
import type { HubPlan } from './plan';
import type { CharLimits } from './length-filters';
import { formatCounted } from '../tally';
import { hubOutput, channelGroups, planFormats, writtenPartitions, type HubState } from './outputs';

export interface FinalShard {
  /** Path relative to --out. */
  path: string;
  bytes: number;
  records: number;
}

/** The card's view of what was written: per config, per split, the final files. */
export function cardConfigs(plan: HubPlan, state: HubState, files: Map<string, FinalShard[]>): CardConfig[] {
  const configs: CardConfig[] = [];
  const byKey = new Map(state.outputs.map((output) => [output.key, output]));
  const values = new Map(state.partitions ?? []);
  for (const format of planFormats(plan)) {
    const custom = plan.custom.find((item) => item.name === format);
    for (const { channel, tier, partition } of channelGroups(plan, format, writtenPartitions(state))) {
      const splits = plan.spec.names.map((split) => {
        const output = hubOutput(plan, format, channel, split, tier, partition);
        const written = byKey.get(output.key);
        const shards = files.get(output.key) ?? [];
        return {
          name: split,
          numExamples: written?.numExamples ?? 0,
          numBytes: written?.numBytes ?? 0,
          files: shards.map((shard): CardFile => ({ name: shard.path.slice(output.directory.length + 1), bytes: shard.bytes })),
        };
      });
      const inTier = tier !== null ? { tier } : partition !== null ? { partition: { name: partition, column: plan.partitionBy!, value: values.get(partition) ?? '' } } : {};
      if (custom === undefined) configs.push({ format: format as FormatName, channel, ...inTier, splits });
      else configs.push({ format, channel, ...inTier, splits, custom: { module: custom.module, columns: 'columns' in custom ? custom.columns : [] } });
    }
  }
  return configs;
}

export interface CardFacts {
  title: string;
  loadPath: string;
  preset: Preset;
  counts: { lines: number; pairs: number; rejected: number; errors: number; blank: number; notSampled?: number };
  report: SplitTrackerReport;
  /** --version: the dataset's version. */
  version?: string;
  /** The user's card metadata (config `card:`, --card-* flags). */
  card?: CardMeta;
}

/** What a dataset's rows are, by its columns: question–answer pairs, conversations, or records of the columns named. */
export function whatRowsAre(columns: readonly { name: string }[]): string {
  const names = columns.map((column) => column.name);
  if (names.includes('question') && names.includes('answer')) return 'Question–answer pairs';
  if (names.includes('messages')) return 'Conversations';
  return `Records (${names.map((name) => `\`${name}\``).join(', ')})`;
}

/** The CardDescription of a finished export. */
export function describeExport(plan: HubPlan, state: HubState, files: Map<string, FinalShard[]>, facts: CardFacts): CardDescription {
  const { counts } = facts;
  const rows: Array<Array<string | number>> = [
    ['input lines', counts.lines],
    ['pairs (passed)', counts.pairs],
    ['rejected', counts.rejected],
  ];
  if (plan.minScore !== undefined) rows.push([`of which below --min-score ${plan.minScore}`, state.belowMinScore]);
  if (plan.targetSamples !== undefined) rows.push([`passed pairs not sampled (--target-samples ${plan.targetSamples})`, counts.notSampled ?? 0]);
  rows.push(['bad lines (qa_errors.jsonl)', counts.errors], ['blank lines', counts.blank]);
  // A dpo config no question filled (none had both a passed and a rejected answer) is said to be empty.
  const emptyDpo = planFormats(plan).includes('dpo') && cardConfigs(plan, state, files).every((config) => config.format !== 'dpo' || config.splits.every((split) => split.numExamples === 0));
  const formats = planFormats(plan)
    .map((format) => (format === 'dpo' && emptyDpo ? '`dpo` (empty: no question had both a passed and a rejected answer)' : `\`${format}\``))
    .join(', ');
  const card = facts.card ?? {};
  const what = whatRowsAre(facts.preset.pairColumns) === 'Question–answer pairs' ? 'Pairs' : 'Rows';
  // Only kto and dpo (they hold the failed pairs as labels) declare no rejected config.
  const hasRejected = planFormats(plan).some((format) => channelGroups(plan, format).some((group) => group.channel === 'rejected'));
  const failed = hasRejected
    ? `${what} that failed validation are in the \`rejected\` configs, with \`failure_reason\`` + (plan.minScore !== undefined ? ` (\`${BELOW_MIN_SCORE}\` for pairs scoring below ${plan.minScore})` : '')
    : `${what} that failed validation have no config of their own${planFormats(plan).includes('kto') ? ' (`kto` holds them with `label` false)' : ''}`;
  const generated = [
    `${whatRowsAre(facts.preset.pairColumns)} exported by qa-hf (preset \`${facts.preset.name}\`) in ${formats}.`,
    `${failed}; input lines that could not be read are listed in \`qa_errors.jsonl\` with file, line and byte offset.`,
    ...(plan.targetSamples === undefined
      ? []
      : [`The passed pairs are a deterministic sample of at most ${plan.targetSamples}: those with the smallest hash of \`${plan.key}\` (seed ${plan.seed}), so the same corpus gives the same sample and a grown one keeps most of it.`]),
  ].join(' ');
  return {
    title: card.name ?? facts.title,
    ...(facts.version !== undefined ? { version: facts.version } : {}),
    summary: card.description === undefined ? generated : `${card.description.trim()}\n\n${generated}`,
    ...(card.language ? { language: card.language } : {}),
    ...(card.license ? { license: card.license } : {}),
    ...(card.task_categories ? { taskCategories: card.task_categories } : {}),
    ...(card.tags ? { tags: card.tags } : {}),
    loadPath: facts.loadPath,
    columns: { pairs: facts.preset.pairColumns, rejected: facts.preset.rejectedColumns },
    systemPrompt: plan.systemPrompt,
    configs: cardConfigs(plan, state, files),
    split: { spec: plan.spec, seed: plan.seed, key: plan.key, stratifyBy: plan.stratifyBy, report: facts.report },
    stats: { header: ['', 'records'], rows },
  };
}

/**
 * The card's notes on the routing filters the plan applied (--min-chars, --max-chars,
 * --max-tokens), each with its limits as given and the pairs it moved (report.json
 * `metrics`: too_short, too_long, too_many_tokens); none without a filter.
 */
export function filterNotes(plan: Pick<HubPlan, 'minChars' | 'maxChars' | 'maxTokens'>, metrics: Record<string, unknown>): string[] {
  const moved = (metric: string) => {
    const n = typeof metrics[metric] === 'number' ? (metrics[metric] as number) : 0;
    return `${formatCounted(n, 'pair')} moved to rejected (\`failure_reason\` \`${metric}\`)`;
  };
  const limits = (given: CharLimits) => given.map(([column, limit]) => `${column}=${limit}`).join(',');
  const notes: string[] = [];
  if (plan.minChars !== undefined) notes.push(`Length filter \`--min-chars ${limits(plan.minChars)}\` (characters, as written): ${moved('too_short')}.`);
  if (plan.maxChars !== undefined) notes.push(`Length filter \`--max-chars ${limits(plan.maxChars)}\`: ${moved('too_long')}.`);
  if (plan.maxTokens !== undefined) {
    notes.push(`Token budget \`--max-tokens ${plan.maxTokens}\` (each conversation rendered with the model's chat template): ${moved('too_many_tokens')}; every written pair fits a trainer's \`max_length=${plan.maxTokens}\`.`);
  }
  return notes;
}

/** The `split` section of stats.json: the rule and the achieved ratios (pairs). */
export function splitStats(plan: HubPlan, report: SplitTrackerReport): Record<string, unknown> {
  return {
    rule: SPLIT_RULE,
    seed: plan.seed,
    key: plan.key,
    stratify_by: plan.stratifyBy ?? null,
    note:
      'Splits come from a hash of the key, so a record never moves when the corpus grows and duplicates share a split. ' +
      'Stratification is measured, not enforced: every stratum gets the target ratios in expectation (binomial noise).',
    counted: 'pairs',
    ...renderSplitReport(report),
  };
}
