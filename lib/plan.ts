/**
 * plan — a run is planned before it runs (STYLE rule 20). `planRun(command, flags,
 * config, env, files)` turns the parsed flags (yargs' argv: undefined where not
 * typed), the config (file or library object), the environment (the scheduler's
 * variables, the working directory) and the files read before planning (a mapped
 * preset's mapping, a config mapping's schema: lib/io/plan-files.ts) into one frozen
 * RunPlan. Pure: no file, no network, no process state; every check of a value
 * alone or in context runs here, so a bad run fails before anything is touched.
 *
 * What it absorbs: the config merge (lib/config-merge.ts), preset → mapping, the
 * option normalizers (lib/options.ts, lib/dataset/plan.ts, lib/quality/rules.ts), the version
 * folder, the rank (flags, else JOB_COMPLETION_INDEX / SLURM_ARRAY_* /
 * AWS_BATCH_*: lib/scale/rank.ts), the quality plan, the report's settings and the output
 * target: a local folder or an S3 prefix, parsed once into a value (`OutLocation`).
 *
 *   const plan = planRun('export', { inputs: ['qa/'], out: 's3://b/ds', version: '1.0.0' }, null, env, files);
 *   plan.target // { kind: 's3', root: {url: 's3://b/ds', …}, at: {url: 's3://b/ds/v1.0.0', …} }
 */
import { type Config, errorAt } from './config';
import { type MappingSection, resolveArgs, withConfigPositions } from './config-merge';
import { QaHfError } from './errors';
import type { ExportPlan } from './dataset/plan';
import type { MappingSpec } from './input/mapping';
import { type NormalizedProcessingOptions, type NormalizedReportOptions, normalizeExportOptions, normalizeProcessingOptions, normalizeReportOptions, versionFolder, versionOption } from './options';
import type { ConfigCommand } from './option-table';
import { PRESETS } from './input/presets';
import { type QualityPlan, normalizeQualityPlan } from './quality/plan';
import { type RankInfo, resolveRank } from './scale/rank';
import { isS3Url } from './s3-url';
import { hubDatasetOfUrl, isHubUrl } from './dataset/hub-push-url';
import type { ExportArgs, PipeArgs, ReportArgs } from './plan-args';

export type { ExportArgs, ExportProgress, PipeArgs, ReportArgs } from './plan-args';
export { type ExportTarget, type HubRepoOut, type LocalFolderOut, type OutLocation, type S3PrefixOut, locationName, outLocation } from './plan-target';
import { type ExportTarget, type OutLocation, outLocation, refuseHubWith } from './plan-target';

/** The environment a run is planned in. */
export interface RunEnv {
  /** The process's environment variables (the scheduler's rank variables). */
  vars: Readonly<Record<string, string | undefined>>;
  /** The working directory: where local inputs of an export to S3 are named from. */
  cwd: string;
}

/** What the command layer read before planning (lib/io/plan-files.ts), handed in as data. */
export interface PlanFiles {
  /** Shipped presets' mappings by name (their YAML): the named one, when a mapping is needed from it. */
  presets: Readonly<Record<string, MappingSpec>>;
  /** The config mapping's `input.schema` named by path: the file's JSON. */
  mappingSchema?: object;
}

export interface PipeRunPlan {
  command: 'pipe';
  args: PipeArgs;
  processing: NormalizedProcessingOptions;
  quality: QualityPlan;
  report: NormalizedReportOptions;
}

export interface ExportRunPlan {
  command: 'export';
  /** The export's arguments as the session (and a rank's rank.json) takes them; `out` is the folder written (`target`'s dir). */
  args: ExportArgs;
  /** The layout, formats, split, quality rules, … (lib/dataset/plan.ts); custom format modules are loaded by the command. */
  dataset: ExportPlan;
  report: NormalizedReportOptions;
  version?: string;
  /** null: a dry run without --out (or with an --out s3:// or hf://, which a dry run never touches). */
  target: ExportTarget | null;
  /** One share of a spread export (flags, else the scheduler's variables), or null. */
  rank: RankInfo | null;
  /** export --merge: the merge the rank runs after itself. */
  merge: MergeRunPlan | null;
  /** The merge's export: the rows come from the ranks (never a rank itself, never a version folder added). */
  fromRanks: boolean;
}

export interface ReportRunPlan {
  command: 'report';
  args: ReportArgs;
  dataset: ExportPlan;
  report: NormalizedReportOptions;
}

export interface MergeRunPlan {
  command: 'merge';
  target: OutLocation;
  quiet: boolean;
  restart: boolean;
  progress?: boolean;
  /** export --merge: merge only if every rank is complete, else say which are not. */
  whenComplete: boolean;
}

export interface VerifyRunPlan {
  command: 'verify';
  target: OutLocation;
  /** Check the inputs too (--no-inputs: not). */
  inputs: boolean;
  quiet: boolean;
}

/** push: the flags over the config file's keys (lib/option-table.ts), as commands/push.ts takes them. */
export interface PushRunPlan {
  command: 'push';
  args: PushRunArgs;
}

/** commands/push.ts PushArgs (lib/ does not import commands/). */
export interface PushRunArgs {
  dir: string;
  repo?: string;
  branch?: string;
  pr?: boolean;
  private?: boolean;
  create?: boolean;
  message?: string;
  tokenFile?: string;
  hubUrl?: string;
  dryRun?: boolean;
  progress?: boolean;
  quiet?: boolean;
}

interface RunPlans {
  pipe: PipeRunPlan;
  export: ExportRunPlan;
  report: ReportRunPlan;
  merge: MergeRunPlan;
  verify: VerifyRunPlan;
  push: PushRunPlan;
}
export type RunPlan<C extends ConfigCommand = ConfigCommand> = RunPlans[C];

/** A plan is a value: frozen through and through. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/**
 * Options naming a shipped mapped preset get its `mapping` (from `presets`); a mapping
 * without `columns` extends the named preset's; a preset written in code (qa-internal,
 * segments) keeps none. `options` is not changed.
 */
export function fillPresetMapping<T extends { preset?: unknown; mapping?: unknown }>(options: T, presets: PlanFiles['presets']): T {
  if (typeof options.preset !== 'string') return options;
  const base = Object.hasOwn(presets, options.preset) ? presets[options.preset] : undefined;
  const given = options.mapping;
  if (given !== undefined) {
    const plain = typeof given === 'object' && given !== null && !Array.isArray(given);
    if (!plain || (given as MappingSpec).columns !== undefined || base === undefined) return options;
    return { ...options, mapping: { ...base, ...(given as MappingSpec) } };
  }
  return base === undefined || Object.hasOwn(PRESETS, options.preset) ? options : { ...options, mapping: base };
}

/** A config mapping naming its schema by path, with the schema the command layer read. */
function withSchema<T extends { mapping?: unknown }>(args: T, files: PlanFiles): T {
  const mapping = args.mapping as MappingSection | undefined;
  if (mapping === undefined) return args;
  if (typeof mapping.input?.schema !== 'string') return { ...args, mapping };
  if (files.mappingSchema === undefined) throw new Error(`internal: the schema ${mapping.input.schema} was not read before planning`);
  return { ...args, mapping: { ...mapping, input: { ...mapping.input, schema: files.mappingSchema } } };
}

/** Plans a run of `command` (see the header); the plan is frozen. */
export function planRun<C extends ConfigCommand>(command: C, flags: Record<string, unknown>, config: Config | null, env: RunEnv, files: PlanFiles): RunPlan<C> {
  const plan: RunPlan = (() => {
    switch (command) {
      case 'pipe':
        return planPipe(flags, config, files);
      case 'export':
        return planExport(flags, config, env, files);
      case 'report':
        return planReport(flags, config, files);
      case 'merge':
        return planMergeCommand(flags, config);
      case 'verify':
        return planVerify(flags, config);
      case 'push':
        return planPush(flags, config);
    }
    throw new Error(`internal: no plan for ${command}`);
  })();
  return deepFreeze(plan) as RunPlan<C>;
}

function planPipe(flags: Record<string, unknown>, config: Config | null, files: PlanFiles): PipeRunPlan {
  const { args: resolved, fromFile } = resolveArgs('pipe', flags, config);
  const args = withSchema(resolved, files);
  return withConfigPositions(config, fromFile, () => ({
    command: 'pipe' as const,
    args: args as unknown as PipeArgs,
    processing: normalizeProcessingOptions(fillPresetMapping(args, files.presets), 'cli'),
    quality: normalizeQualityPlan(args, 'cli'),
    report: normalizeReportOptions(args, 'cli'),
  }));
}

function planReport(flags: Record<string, unknown>, config: Config | null, files: PlanFiles): ReportRunPlan {
  const { args: resolved, fromFile } = resolveArgs('report', flags, config);
  const args = withSchema(resolved, files);
  const inputs = args.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new QaHfError('ERR_USAGE', 'report needs one or more inputs: name them, or list them under inputs: in the config file (see --help)');
  }
  const filled = fillPresetMapping(args, files.presets);
  const { dataset, report } = withConfigPositions(config, fromFile, () => ({
    dataset: normalizeExportOptions({ ...filled, out: undefined }, 'cli').plan,
    report: normalizeReportOptions(args, 'cli'),
  }));
  return { command: 'report', args: filled as unknown as ReportArgs, dataset, report };
}

function planExport(flags: Record<string, unknown>, config: Config | null, env: RunEnv, files: PlanFiles): ExportRunPlan {
  const { args: resolved, fromFile, effective } = resolveArgs('export', flags, config);
  const merged = withSchema(resolved, files);
  const inputs = merged.inputs;
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new QaHfError('ERR_USAGE', 'export needs one or more inputs: name them, or list them under inputs: in the config file (see --help)');
  }
  // A shipped mapped preset (`--preset squad`, `preset: documents`) is run, hashed and described by its mapping.
  const named = fillPresetMapping({ ...(merged as unknown as ExportArgs), settings: effective }, files.presets);
  const { options, report } = withConfigPositions(config, fromFile, () => {
    const report = normalizeReportOptions(named, 'cli');
    return { options: normalizeExportOptions(named, 'cli'), report };
  });
  // As --system-prompt without a chat format: a card only the Hub layout writes is a usage error, not ignored.
  if (named.card !== undefined && options.plan.layout === 'simple') {
    const message = 'needs the Hub layout (format, split, …), which writes the dataset card';
    if (!config || !fromFile.has('card')) throw new QaHfError('ERR_USAGE', `--card-* ${message}, got ${JSON.stringify(named.card)}`);
    throw errorAt(config, '/card', `card ${message}`, 'key', 'ERR_USAGE');
  }
  // --version: the export goes to OUT/vVERSION/ (PREFIX/vVERSION/ on S3).
  const version = versionOption(named.version, 'cli');
  const out = named.out;
  const toHub = out !== undefined && isHubUrl(out);
  const toS3 = out !== undefined && (isS3Url(out) || toHub);
  if (toHub) refuseHubWith(out, version, named);
  // A dry run writes nothing: an --out s3:// or hf:// is not even looked at.
  const target: ExportTarget | null = out === undefined || out === '' || (toS3 && named.dryRun) ? null : toHub ? { kind: 'hub', url: out, repo: hubDatasetOfUrl(out) } : outLocation(out, version);
  if (target === null && !named.dryRun) throw new QaHfError('ERR_USAGE', 'export needs --out DIR (only --dry-run goes without it)');
  // The folder written: the version's (locally), or the staging folder the command picks (S3, the Hub: local inputs named from the working directory).
  let args: ExportArgs;
  if (target?.kind === 's3') args = { ...named, out: target.at.url, inputBase: named.inputBase ?? env.cwd };
  else if (target?.kind === 'hub') args = { ...named, out: target.url, inputBase: named.inputBase ?? env.cwd, hubRepo: target.repo };
  else if (target !== null && version !== undefined) args = { ...named, out: target.dir, version };
  else args = toS3 ? { ...named, out: undefined } : named;
  args = { ...args, preset: options.preset, ...(version === undefined ? {} : { version }) };
  // A rank of a spread export (flags, else the scheduler's variables). A dry run writes nothing, so a
  // scheduler's variables do not make it a rank (the flags still refuse it below).
  const fromFlagsOnly = args.dryRun && args.rank === undefined && args.worldSize === undefined;
  const rank = fromFlagsOnly ? null : resolveRank({ rank: args.rank, worldSize: args.worldSize }, env.vars);
  if (args.merge && !rank) throw new QaHfError('ERR_USAGE', '--merge is for a rank (--rank R --world-size N, or a scheduler index): a single export needs no merge');
  if (rank && args.dryRun) throw new QaHfError('ERR_USAGE', `--dry-run cannot run as a rank (rank ${rank.rank} from ${rank.from}): run it without ranks`);
  // --merge: the merge of the version's folder (PREFIX/vVERSION/ on S3), where the ranks are.
  const mergeTarget = (): OutLocation => {
    if (target!.kind === 'hub') throw new QaHfError('ERR_USAGE', 'ranks cannot write to hf://'); // refused above
    if (target!.kind === 's3' || version === undefined) return target!;
    return { kind: 'local', root: target!.root, dir: `${target!.root.replace(/\/+$/, '')}/${versionFolder(version)}` };
  };
  const merge: MergeRunPlan | null = args.merge && target ? { command: 'merge', target: mergeTarget(), quiet: args.quiet, restart: false, progress: args.progress, whenComplete: true } : null;
  return { command: 'export', args, dataset: options.plan, report, ...(version === undefined ? {} : { version }), target, rank, merge, fromRanks: false };
}

/**
 * The export a merge runs (export/merge.ts): the arguments the ranks recorded
 * (rank.json), their inputs, DIR (the version's folder already) and the merge's own
 * run control. Its rows come from the ranks: it is no rank and adds no version folder.
 * `cwd`: the ranks' working directory when it is not the merge's (their relative
 * inputs are opened from there: ExportArgs.inputCwd), else undefined.
 */
export function planRankedExport(recorded: Readonly<Record<string, unknown>>, inputs: readonly string[], dir: string, merge: MergeRunPlan, files: PlanFiles, cwd?: string): ExportRunPlan {
  const given = {
    ...(recorded as unknown as ExportArgs),
    inputs: [...inputs],
    out: dir,
    ...(cwd === undefined ? {} : { inputCwd: cwd }),
    quiet: merge.quiet,
    restart: merge.restart,
    progress: merge.progress,
    failFast: false,
    dryRun: false,
    merge: false,
  } satisfies ExportArgs;
  const named = fillPresetMapping(given, files.presets);
  const options = normalizeExportOptions(named, 'cli');
  const report = normalizeReportOptions(named, 'cli');
  const version = versionOption(named.version, 'cli');
  const args: ExportArgs = { ...named, preset: options.preset, ...(version === undefined ? {} : { version }) };
  const plan: ExportRunPlan = {
    command: 'export',
    args,
    dataset: options.plan,
    report,
    ...(version === undefined ? {} : { version }),
    target: { kind: 'local', root: dir, dir },
    rank: null,
    merge: null,
    fromRanks: true,
  };
  return deepFreeze(plan);
}

/**
 * An export to S3 as it runs in its local staging folder `stage`: the same plan with
 * `out` the staging folder (the target stays the prefix: messages name it).
 */
export function stagedExport(plan: ExportRunPlan, stage: string): ExportRunPlan {
  return deepFreeze({ ...plan, args: { ...plan.args, out: stage } });
}

function planMergeCommand(flags: Record<string, unknown>, config: Config | null): MergeRunPlan {
  const { args } = resolveArgs('merge', flags, config);
  if (isHubUrl(args.dir as string)) throw new QaHfError('ERR_USAGE', `merge works on a folder or s3://, not ${args.dir as string}: merge the ranks there, then qa-hf push the folder`);
  return { command: 'merge', target: outLocation(args.dir as string), quiet: args.quiet === true, restart: args.restart === true, progress: args.progress as boolean | undefined, whenComplete: false };
}

/** The merge of a staging folder: the same plan, working in `stage` (the ranks downloaded there). */
export function stagedMerge(plan: MergeRunPlan, stage: string): MergeRunPlan {
  return deepFreeze({ ...plan, target: { kind: 'local', root: stage, dir: stage }, whenComplete: false });
}

function planVerify(flags: Record<string, unknown>, config: Config | null): VerifyRunPlan {
  const { args } = resolveArgs('verify', flags, config);
  if (isHubUrl(args.dir as string)) throw new QaHfError('ERR_USAGE', `verify takes a folder or s3://, not ${args.dir as string}: verify the export folder before qa-hf push (push verifies it too)`);
  return { command: 'verify', target: outLocation(args.dir as string), inputs: args.inputs !== false, quiet: args.quiet === true };
}

const PUSH_KEYS = ['dir', 'repo', 'branch', 'pr', 'private', 'create', 'message', 'tokenFile', 'hubUrl', 'dryRun', 'progress', 'quiet'] as const;

function planPush(flags: Record<string, unknown>, config: Config | null): PushRunPlan {
  const { args } = resolveArgs('push', flags, config);
  const picked: Record<string, unknown> = {};
  for (const key of PUSH_KEYS) if (args[key] !== undefined) picked[key] = args[key];
  return { command: 'push', args: picked as unknown as PushRunArgs };
}
