/**
 * card-configs — what the dataset card is made from and the configs it declares.
 *
 * Input: a plain CardDescription (what was written: formats × channels, per split
 * the example count, uncompressed bytes and final files with their sizes; the
 * columns; the split rule and its achieved ratios; a stats table). Output: the
 * configs resolved to their builders and the YAML front matter of README.md (the
 * `yaml` package renders it, lib/dataset/card.ts), deterministic:
 *   configs        one per (format, channel) of the primary builder; the flat jsonl
 *                  pairs are `default`; data_files per split as globs
 *                  `{folder}/{split}-*`, which match the final shard names and never
 *                  the hidden `.partial` temp files; compressed shards (`.jsonl.gz`,
 *                  `.csv.zst`) match the same globs: `datasets` picks the builder by
 *                  the inner extension and decompresses (gzip built in, zstd with the
 *                  `zstandard` package, which the Loading section names)
 *   dataset_info   per such config: features (from FORMATS), splits with
 *                  num_examples and num_bytes, download_size, dataset_size
 * HF datasets picks ONE builder module for a folder, from the first config's files,
 * and builds every config with it (datasets load.py, LocalDatasetModuleFactory-
 * WithoutScript.get_module; open issue huggingface/datasets#7101): a parquet or csv
 * config beside json ones would be read by the json builder and fail. So the YAML
 * holds the configs of one builder, `json` whenever a JSON format was written
 * (jsonl, messages, alpaca, sharegpt), else `parquet`, else `csv`; the other formats
 * are shown with `load_dataset("parquet" | "csv", data_files=…)`, which always works;
 * the csv call passes the declared `features=` (CSV has no types: pandas would read a
 * string column of digits as int64; a YAML csv config gets them from dataset_info).
 * HF `load_dataset` checks num_examples per split against what it reads
 * (NonMatchingSplitsSizesError), so counts must be exact; num_bytes is reported as
 * the uncompressed bytes written (HF's own writer reports Arrow bytes; nothing checks it).
 * Splits without examples are left out (a data_files pattern matching no file fails
 * to load), and so is a config left without splits.
 *
 *   cardMetadata(description) // { pretty_name, size_categories, configs: [{ config_name: 'default', data_files: … }], dataset_info: … }
 */
import { QaHfError } from '../errors';
import { FORMATS, type Feature, type FormatName, type FormatSpec, configDirectory, configName, isPreferenceFormat } from './formats';
import type { Column } from '../columns';
import type { PairChannel } from '../input/presets';
import { dataFilesPattern } from './shards';
import type { SplitSpec, SplitTrackerReport } from './split';

/**
 * The names `datasets` gives its packaged builders (datasets.packaged_modules, 5.0.1):
 * `load_dataset("csv")` loads the csv builder, not a folder named csv in the working
 * directory, so a folder of such a name is written `./csv` in the card.
 */
const PACKAGED_BUILDERS: ReadonlySet<string> = new Set([
  'arrow', 'audiofolder', 'conll', 'csv', 'eval', 'hdf5', 'iceberg', 'imagefolder', 'json', 'lance', 'meshfolder',
  'niftifolder', 'pandas', 'parquet', 'pdffolder', 'text', 'tsfile', 'videofolder', 'webdataset', 'xml',
]);

/** A local export folder as `load_dataset` takes it: `./NAME` where NAME alone would name a packaged builder. */
export function localLoadPath(folder: string): string {
  return PACKAGED_BUILDERS.has(folder.split('/')[0].toLowerCase()) ? `./${folder}` : folder;
}

export interface CardFile {
  /** Final file name inside the config folder: `train-00000-of-00001.jsonl`. */
  name: string;
  /** Size on disk (after gzip/zstd when compressed). */
  bytes: number;
}

export interface CardSplit {
  name: string;
  numExamples: number;
  /** Uncompressed bytes written for this split in this config. */
  numBytes: number;
  files: CardFile[];
}

export interface CardConfig {
  /** A built-in format's name, or a custom format's (then `custom` is set). */
  format: string;
  /** A custom format (lib/dataset/custom-format.ts): its module as given and its declared columns. */
  custom?: { module: string; columns: readonly Column[] };
  channel: PairChannel;
  /** --tiers: the tier of these pairs, a config of its own (`tier_high`). */
  tier?: string;
  /** --partition-by: the partition of these pairs, a config of its own (`persona_nurse`): its name, the column and its first row's value. */
  partition?: { name: string; column: string; value: string };
  /** In the order of `--split`. */
  splits: CardSplit[];
}

export interface CardSplitRule {
  spec: SplitSpec;
  seed: number;
  /** Field hashed for the split (`--split-key`). */
  key: string;
  stratifyBy?: string;
  report?: SplitTrackerReport;
}

export interface CardDescription {
  /** Title and `pretty_name`. */
  title: string;
  /** The dataset's version (`qa-hf export --version`): `version` in the YAML header and a line under the title. */
  version?: string;
  /** Markdown paragraph(s): what the dataset is. */
  summary?: string;
  /** What to pass to `load_dataset`: the export folder, or a Hub id when `hub` is true. */
  loadPath: string;
  /** `loadPath` is a Hub dataset id: file patterns in the card are then `hf://datasets/{id}/…`. */
  hub?: boolean;
  language?: string[];
  license?: string;
  taskCategories?: string[];
  /** Free tags of the YAML header. */
  tags?: string[];
  columns: { pairs: readonly Column[]; rejected: readonly Column[] };
  systemPrompt?: string;
  configs: CardConfig[];
  split?: CardSplitRule;
  /** A table of statistics, shown as is. */
  stats?: { header: string[]; rows: Array<Array<string | number>> };
  /** Prefix of LLaMA-Factory dataset names; default `qa`. */
  llamaFactoryPrefix?: string;
  /** The "Data quality" section, from the quality report (lib/quality/report-json.ts cardQuality). */
  quality?: CardQuality;
}

/** What the card says of the quality report: one Markdown bullet per finding, and the --fail-on results. */
export interface CardQuality {
  notes: string[];
  thresholds: ReadonlyArray<{ rule: string; value: number; passed: boolean }>;
}

const DEFAULT_TASK_CATEGORIES = ['question-answering', 'text-generation'];

/**
 * The card metadata a user gives (the config's `card:` section, the --card-* flags),
 * lists normalized: `name` is the title and `pretty_name`, `description` the first
 * paragraph, the others go to the YAML header as the Hub names them.
 */
export interface CardMeta {
  name?: string;
  description?: string;
  license?: string;
  language?: string[];
  tags?: string[];
  task_categories?: string[];
}

/** Extra builder parameters per format, written into the config (HF passes them to the builder config). */
const BUILDER_PARAMETERS: Partial<Record<FormatName, Record<string, unknown>>> = {
  // pandas would read an empty field as NaN (None in HF); the rows have '' there.
  csv: { keep_default_na: false },
};

/** What the card needs of a format: the built-in's FORMATS entry, or a custom format's (JSONL rows of its declared columns, pairs only). */
type CardFormat = Pick<FormatSpec, 'builder' | 'rejected' | 'summary' | 'rows' | 'llamaFactory' | 'features'>;

function formatOf(config: CardConfig): CardFormat {
  const custom = config.custom;
  if (custom === undefined) return FORMATS[config.format as FormatName];
  return {
    builder: 'json',
    rejected: false,
    summary: `custom format (module \`${custom.module}\`): JSON Lines of its declared columns`,
    features: () => FORMATS.jsonl.features({ columns: custom.columns }),
  };
}

export interface ResolvedConfig {
  name: string;
  directory: string;
  config: CardConfig;
  format: CardFormat;
  builder: FormatSpec['builder'];
  splits: CardSplit[];
  features: Feature[];
}

/** The builder the YAML configs use: json when any JSON format is there (see header), else the first one's. */
function primaryBuilder(configs: ResolvedConfig[]): FormatSpec['builder'] | undefined {
  return configs.some((config) => config.builder === 'json') ? 'json' : configs[0]?.builder;
}

/** Configs in the YAML (loadable by name) and the others (loadable by file pattern). */
export function partitionConfigs(description: CardDescription): { named: ResolvedConfig[]; byFiles: ResolvedConfig[] } {
  const configs = resolveConfigs(description);
  const builder = primaryBuilder(configs);
  return { named: configs.filter((config) => config.builder === builder), byFiles: configs.filter((config) => config.builder !== builder) };
}

function resolveConfigs(description: CardDescription): ResolvedConfig[] {
  const seen = new Set<string>();
  const resolved: ResolvedConfig[] = [];
  for (const config of description.configs) {
    const name = configName(config.format, config.channel, config.tier ?? null, config.partition?.name ?? null);
    if (seen.has(name)) throw new QaHfError('ERR_USAGE', `card lists config ${name} twice`);
    seen.add(name);
    const format = formatOf(config);
    if (config.channel === 'rejected' && !format.rejected) {
      throw new QaHfError('ERR_USAGE', `${config.format} is not written for rejected pairs`);
    }
    const directory = configDirectory(config.format, config.channel, config.tier ?? null, config.partition?.name ?? null);
    const splits: CardSplit[] = [];
    for (const split of config.splits) {
      checkSplit(name, split);
      if (split.numExamples > 0 || split.files.length > 0) splits.push(split);
    }
    if (splits.length === 0) continue;
    const columns = config.channel === 'pairs' ? description.columns.pairs : description.columns.rejected;
    const features = format.features({ columns, systemPrompt: description.systemPrompt });
    resolved.push({ name, directory, config, format, builder: format.builder, splits, features });
  }
  return resolved;
}

function checkSplit(config: string, split: CardSplit): void {
  if (split.numExamples > 0 && split.files.length === 0) {
    throw new QaHfError('ERR_USAGE', `config ${config} split ${split.name} has ${split.numExamples} examples but no files`);
  }
  for (const file of split.files) {
    // The card's glob `{split}-*` must match exactly these files.
    if (!file.name.startsWith(`${split.name}-`) || file.name.includes('/')) {
      throw new QaHfError('ERR_USAGE', `config ${config} split ${split.name}: file ${JSON.stringify(file.name)} does not match ${split.name}-*`);
    }
  }
}

/** HF size category of a dataset with `n` examples. */
export function sizeCategory(n: number): string {
  const bounds: Array<[number, string]> = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'],
    [1e9, '100M<n<1B'],
    [1e10, '1B<n<10B'],
    [1e11, '10B<n<100B'],
    [1e12, '100B<n<1T'],
  ];
  for (const [bound, label] of bounds) if (n < bound) return label;
  return 'n>1T';
}

function yamlFeature(feature: Feature): Record<string, unknown> {
  if ('dtype' in feature) return { name: feature.name, dtype: feature.dtype };
  if ('sequence' in feature) return { name: feature.name, sequence: feature.sequence };
  return { name: feature.name, list: feature.list.map(yamlFeature) };
}

export function sum(values: number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/**
 * The config `load_dataset(path)` loads without a name: `default` when there is one, else
 * with --partition-by the partition with the most rows (the first by name on a tie), else the first.
 */
export function defaultConfig(named: readonly ResolvedConfig[]): ResolvedConfig | undefined {
  const byName = named.find((config) => config.name === 'default');
  if (byName !== undefined) return byName;
  let largest: ResolvedConfig | undefined;
  let rows = -1;
  for (const config of named) {
    if (config.config.partition === undefined) continue;
    const count = sum(config.splits.map((split) => split.numExamples));
    if (count > rows || (count === rows && config.name < largest!.name)) [largest, rows] = [config, count];
  }
  return largest ?? named[0];
}

/** The YAML front matter as a plain object (exported for tests and for the lead's manifest). */
export function cardMetadata(description: CardDescription): Record<string, unknown> {
  const { named: configs, byFiles } = partitionConfigs(description);
  const hasDefault = configs.some((config) => config.name === 'default');
  // The passed pairs, counted in one format: with --tiers, every tier's config of that format.
  const all = [...configs, ...byFiles];
  // Not kto or dpo (rows of passed and rejected pairs, or per question) unless there is nothing else.
  const firstPairs = all.find((config) => config.config.channel === 'pairs' && !isPreferenceFormat(config.config.format)) ?? all.find((config) => config.config.channel === 'pairs');
  const passed = all.filter((config) => config.config.channel === 'pairs' && config.config.format === firstPairs?.config.format);
  const metadata: Record<string, unknown> = { pretty_name: description.title };
  if (description.version !== undefined) metadata.version = description.version;
  if (description.language?.length) metadata.language = [...description.language];
  if (description.license) metadata.license = description.license;
  metadata.task_categories = [...(description.taskCategories ?? DEFAULT_TASK_CATEGORIES)];
  if (description.tags?.length) metadata.tags = [...description.tags];
  metadata.size_categories = [sizeCategory(sum(passed.flatMap((config) => config.splits.map((split) => split.numExamples))))];
  const defaultName = hasDefault ? 'default' : defaultConfig(configs)?.name;
  metadata.configs = configs.map((config) => ({
    config_name: config.name,
    ...(config.name === defaultName && !hasDefault ? { default: true } : {}),
    data_files: config.splits.map((split) => ({ split: split.name, path: dataFilesPattern(config.directory, split.name) })),
    ...BUILDER_PARAMETERS[config.config.format as FormatName],
  }));
  metadata.dataset_info = configs.map((config) => ({
    config_name: config.name,
    features: config.features.map(yamlFeature),
    splits: config.splits.map((split) => ({ name: split.name, num_bytes: split.numBytes, num_examples: split.numExamples })),
    download_size: sum(config.splits.flatMap((split) => split.files.map((file) => file.bytes))),
    dataset_size: sum(config.splits.map((split) => split.numBytes)),
  }));
  return metadata;
}
