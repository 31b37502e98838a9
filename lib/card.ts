/**
 * card — the dataset card (README.md) and LLaMA-Factory's dataset_info.json.
 *
 * Input: a plain CardDescription (what was written: formats × channels, per split
 * the example count, uncompressed bytes and final files with their sizes; the
 * columns; the split rule and its achieved ratios; a stats table). Output: text,
 * deterministic (same description → same bytes: no clock, no locale, no Map order).
 *
 * README.md = YAML front matter (the `yaml` package) + Markdown:
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
 * dataset_info.json: per alpaca/sharegpt config and split, an entry LLaMA-Factory
 * reads (`dataset_dir` = the export folder), named `{prefix}_{config}_{split}` after the
 * card's config (`qa_alpaca_train`, a tier's `qa_tier_high_alpaca_train`: a name without
 * the tier would let the last tier overwrite the others). A split in one plain file gets
 * `file_name` (LLaMA-Factory's file loader); a split in several shards or .gz/.zst gets
 * `script_url: "."` + `subset` + `split`, which makes LLaMA-Factory call
 * `load_dataset(<export folder>, <config>, split=<split>)` and so read this card's
 * configs. (Pointing `file_name` at the format folder would mix train, validation
 * and test into one training set, and LLaMA-Factory's file loader rejects `.gz` and `.zst`.)
 * For a Hub dataset every entry is `hf_hub_url` + `subset` + `split`
 * (`dataset_dir: REMOTE:<id>` makes LLaMA-Factory fetch this file from the repo).
 *
 *   const readme = renderCard(description);
 *   const info = renderLlamaFactoryInfo(description); // '{\n  "qa_alpaca_train": {…'
 */
import { stringify as stringifyYaml } from 'yaml';
import { QaHfError } from './errors';
import { FORMATS, type Feature, type FormatName, type FormatSpec, configDirectory, configName } from './formats';
import type { Column } from './columns';
import type { PairChannel } from './presets';
import { dataFilesPattern } from './shards';
import type { SplitSpec, SplitTrackerReport } from './split';
import { noun } from './tally';

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
  /** A custom format (lib/custom-format.ts): its module as given and its declared columns. */
  custom?: { module: string; columns: readonly Column[] };
  channel: PairChannel;
  /** --tiers: the tier of these pairs, a config of its own (`tier_high`). */
  tier?: string;
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
  /** The "Data quality" section, from the quality report (lib/report.ts cardQuality). */
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

/** Strata listed in the card at most; the rest are summarized in one line (bounded card size). */
const MAX_STRATA_IN_CARD = 50;

/** What the card needs of a format: the built-in's FORMATS entry, or a custom format's (JSONL rows of its declared columns, pairs only). */
type CardFormat = Pick<FormatSpec, 'builder' | 'rejected' | 'summary' | 'llamaFactory' | 'features'>;

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

interface ResolvedConfig {
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
function partitionConfigs(description: CardDescription): { named: ResolvedConfig[]; byFiles: ResolvedConfig[] } {
  const configs = resolveConfigs(description);
  const builder = primaryBuilder(configs);
  return { named: configs.filter((config) => config.builder === builder), byFiles: configs.filter((config) => config.builder !== builder) };
}

function resolveConfigs(description: CardDescription): ResolvedConfig[] {
  const seen = new Set<string>();
  const resolved: ResolvedConfig[] = [];
  for (const config of description.configs) {
    const name = configName(config.format, config.channel, config.tier ?? null);
    if (seen.has(name)) throw new QaHfError('ERR_USAGE', `card lists config ${name} twice`);
    seen.add(name);
    const format = formatOf(config);
    if (config.channel === 'rejected' && !format.rejected) {
      throw new QaHfError('ERR_USAGE', `${config.format} is not written for rejected pairs`);
    }
    const directory = configDirectory(config.format, config.channel, config.tier ?? null);
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

function sum(values: number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** The YAML front matter as a plain object (exported for tests and for the lead's manifest). */
export function cardMetadata(description: CardDescription): Record<string, unknown> {
  const { named: configs, byFiles } = partitionConfigs(description);
  const hasDefault = configs.some((config) => config.name === 'default');
  // The passed pairs, counted in one format: with --tiers, every tier's config of that format.
  const all = [...configs, ...byFiles];
  const firstPairs = all.find((config) => config.config.channel === 'pairs');
  const passed = all.filter((config) => config.config.channel === 'pairs' && config.config.format === firstPairs?.config.format);
  const metadata: Record<string, unknown> = { pretty_name: description.title };
  if (description.version !== undefined) metadata.version = description.version;
  if (description.language?.length) metadata.language = [...description.language];
  if (description.license) metadata.license = description.license;
  metadata.task_categories = [...(description.taskCategories ?? DEFAULT_TASK_CATEGORIES)];
  if (description.tags?.length) metadata.tags = [...description.tags];
  metadata.size_categories = [sizeCategory(sum(passed.flatMap((config) => config.splits.map((split) => split.numExamples))))];
  metadata.configs = configs.map((config, i) => ({
    config_name: config.name,
    ...(i === 0 && !hasDefault ? { default: true } : {}),
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

// ---------------------------------------------------------------------------
// Markdown

/** Digits grouped by commas, locale-free: 1234567 → "1,234,567". */
export function formatCount(n: number): string {
  const text = String(Math.trunc(Math.abs(n)));
  let grouped = '';
  for (let i = 0; i < text.length; i++) {
    if (i > 0 && (text.length - i) % 3 === 0) grouped += ',';
    grouped += text[i];
  }
  return (n < 0 ? '-' : '') + grouped;
}

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(2)} %`;
}

/** A z-score with its sign and two decimals: "+0.20", "-1.35", "0.00" (never "-0.00"). */
export function formatZScore(z: number): string {
  const rounded = Math.round(z * 100) / 100;
  if (rounded === 0) return '0.00';
  return `${rounded > 0 ? '+' : ''}${rounded.toFixed(2)}`;
}

function cell(value: string | number): string {
  const text = typeof value === 'number' ? (Number.isInteger(value) ? formatCount(value) : String(value)) : value;
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

function describeFeature(feature: Feature): string {
  if ('dtype' in feature) return `\`${feature.name}\` (${feature.dtype})`;
  if ('sequence' in feature) return `\`${feature.name}\` (list of ${feature.sequence})`;
  return `\`${feature.name}\` (list of {${feature.list.map((item) => describeFeature(item)).join(', ')}})`;
}

function python(text: string): string {
  return JSON.stringify(text);
}

/** `datasets.Features` of flat columns as Python source: `Features({"question": Value("string"), …})`. */
function pythonFeatures(features: readonly Feature[]): string {
  const fields = features.map((feature) => {
    if (!('dtype' in feature)) throw new QaHfError('ERR_USAGE', `internal: feature ${feature.name} is not a flat column`);
    return `${python(feature.name)}: Value(${python(feature.dtype)})`;
  });
  return `Features({${fields.join(', ')}})`;
}

/** README.md: YAML front matter, then what the dataset is, how to load it, counts and stats. */
export function renderCard(description: CardDescription): string {
  const { named, byFiles } = partitionConfigs(description);
  const configs = [...named, ...byFiles];
  const yaml = stringifyYaml(cardMetadata(description), { lineWidth: 0, indentSeq: false });
  const parts: string[] = [`---\n${yaml}---`, `# ${description.title}`];
  if (description.version !== undefined) parts.push(`Version ${description.version}.`);
  if (description.summary) parts.push(description.summary.trim());

  parts.push('## Configurations');
  parts.push(
    table(
      ['config', 'folder', 'format', 'rows'],
      configs.map((config) => [
        named.includes(config) ? `\`${config.name}\`` : `${config.name} (by files)`,
        `\`${config.directory}/\``,
        config.format.summary,
        config.config.channel === 'pairs' ? (config.config.tier !== undefined ? `passed pairs of tier ${config.config.tier}` : 'passed pairs') : 'rejected pairs (failed validation)',
      ]),
    ),
  );
  const fieldLines = configs.map((config) => `- \`${config.name}\`: ${config.features.map(describeFeature).join(', ')}`);
  if (fieldLines.length) parts.push(`Fields per config:\n\n${fieldLines.join('\n')}`);

  if (configs.length) {
    const defaultName = named.some((config) => config.name === 'default') ? 'default' : named[0]?.name;
    const calls = named.map((config) =>
      config.name === defaultName
        ? `ds = load_dataset(${python(description.loadPath)})`
        : `ds = load_dataset(${python(description.loadPath)}, ${python(config.name)})`,
    );
    const root = description.hub ? `hf://datasets/${description.loadPath}` : description.loadPath;
    // CSV has no types: pandas infers them per file, so a string column of digits (`source` "1042")
    // would load as int64. A CSV loaded by files gets the declared features (the csv builder casts
    // to them; a YAML-declared csv config gets them from dataset_info), one variable per feature set.
    const featureVariables = new Map<string, string>();
    for (const config of byFiles) {
      const files = config.splits.map((split) => `${python(split.name)}: ${python(`${root}/${dataFilesPattern(config.directory, split.name)}`)}`);
      let extra = '';
      if (config.config.format === 'csv') {
        const features = pythonFeatures(config.features);
        let variable = featureVariables.get(features);
        if (variable === undefined) {
          const base = config.config.channel === 'pairs' ? 'csv_features' : 'rejected_csv_features';
          variable = [...featureVariables.values()].includes(base) ? `${base}_${featureVariables.size + 1}` : base;
          featureVariables.set(features, variable);
          calls.push(`${variable} = ${features}`);
        }
        extra = `, features=${variable}, keep_default_na=False`;
      }
      calls.push(`ds = load_dataset(${python(config.builder)}, data_files={${files.join(', ')}}${extra})`);
    }
    const imports = featureVariables.size > 0 ? 'from datasets import Features, Value, load_dataset' : 'from datasets import load_dataset';
    const lines = ['## Loading', ['```python', imports, '', ...calls, '```'].join('\n')];
    if (configs.some((config) => config.splits.some((split) => split.files.some((file) => file.name.endsWith('.zst'))))) {
      lines.push('The `.zst` files are zstd-compressed; `datasets` decompresses them with the `zstandard` package: `pip install zstandard`.');
    }
    if (byFiles.length) {
      lines.push(
        [
          `The ${byFiles.map((config) => `\`${config.directory}/\``).join(', ')} files are loaded by file pattern: \`datasets\``,
          'builds every config of a folder with one builder (huggingface/datasets#7101), so only the',
          `${named[0].builder} configs are declared in this card.`,
        ].join(' '),
      );
    }
    parts.push(...lines);
  }
  parts.push(...renderTraining(description, named));

  const splitNames: string[] = [];
  for (const config of configs) for (const split of config.splits) if (!splitNames.includes(split.name)) splitNames.push(split.name);
  if (configs.length) {
    parts.push('## Splits');
    parts.push(
      table(
        ['config', ...splitNames, 'files'],
        configs.map((config) => [
          `\`${config.name}\``,
          ...splitNames.map((name) => {
            const split = config.splits.find((item) => item.name === name);
            return split ? split.numExamples : '–';
          }),
          sum(config.splits.map((split) => split.files.length)),
        ]),
      ),
    );
  }
  if (description.split) parts.push(renderSplitRule(description.split));
  if (description.stats) parts.push('## Statistics', table(description.stats.header, description.stats.rows));
  if (description.quality) parts.push(...renderQuality(description.quality));

  const entries = llamaFactoryEntries(description);
  if (Object.keys(entries).length) {
    const formats = named.filter((config) => config.format.llamaFactory && config.config.channel === 'pairs');
    parts.push(
      '## LLaMA-Factory',
      [
        `\`dataset_info.json\` beside this card declares the ${formats.map((config) => `\`${config.name}\``).join(' and ')} splits for LLaMA-Factory.`,
        description.hub ? 'Point `dataset_dir` at this repository and name the datasets:' : 'Set `dataset_dir` to this folder and name the datasets:',
        '',
        '```yaml',
        `dataset_dir: ${python(description.hub ? `REMOTE:${description.loadPath}` : description.loadPath)}`,
        `dataset: ${Object.keys(entries)[0]}`,
        '```',
        '',
        `Datasets: ${Object.keys(entries)
          .map((name) => `\`${name}\``)
          .join(', ')}.`,
      ].join('\n'),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

// ---------------------------------------------------------------------------
// Trainers

/**
 * Per chat format, axolotl's dataset entry (its `type` and the fields it reads) and
 * whether TRL's SFTTrainer takes the rows as they are (a `messages` column of
 * role/content turns). axolotl's `chat_template` reads any list of turns given its
 * field and key names; `sharegpt`'s human/gpt roles are in axolotl's default role map.
 */
const TRAINERS: Readonly<Record<string, { axolotl?: Record<string, unknown>; trl: boolean }>> = {
  messages: { axolotl: { type: 'chat_template', field_messages: 'messages' }, trl: true },
  alpaca: { axolotl: { type: 'alpaca' }, trl: false },
  sharegpt: { axolotl: { type: 'chat_template', field_messages: 'conversations', message_property_mappings: { role: 'from', content: 'value' } }, trl: false },
  // TRL's prompt–completion form; axolotl has no loader that reads these two fields as they are.
  'prompt-completion': { trl: true },
};

/** The split a snippet trains on (`train` when there is one, else the first) and the one it evaluates on, if any. */
function trainingSplits(config: ResolvedConfig): { train: string; eval?: string } {
  const names = config.splits.map((split) => split.name);
  const train = names.includes('train') ? 'train' : names[0];
  const evaluation = ['validation', 'test'].find((name) => name !== train && names.includes(name));
  return evaluation === undefined ? { train } : { train, eval: evaluation };
}

/** `## Training`: ready-to-copy entries for axolotl, TRL and LLaMA-Factory, for the chat formats exported. */
function renderTraining(description: CardDescription, named: ResolvedConfig[]): string[] {
  const chat = named.filter((config) => config.config.channel === 'pairs' && Object.hasOwn(TRAINERS, config.config.format));
  if (chat.length === 0) return [];
  const parts = ['## Training'];
  const datasets = chat.filter((config) => TRAINERS[config.config.format].axolotl).map((config) => ({
    path: description.loadPath,
    name: config.name,
    split: trainingSplits(config).train,
    ...TRAINERS[config.config.format].axolotl,
  }));
  if (datasets.length > 0) parts.push(
    [
      'axolotl, in the `datasets:` of its config file:',
      '',
      '```yaml',
      stringifyYaml({ datasets }, { lineWidth: 0, indentSeq: false }).trimEnd(),
      '```',
    ].join('\n'),
  );
  for (const config of chat.filter((item) => TRAINERS[item.config.format].trl)) {
    const splits = trainingSplits(config);
    // SFTTrainer joins a standard row's prompt and completion as they are (lib/formats.ts COMPLETION_SEPARATOR).
    const joined = config.config.format === 'prompt-completion' ? ' (each `completion` begins with a space, TRL\'s separator for standard prompt–completion rows: the trainer joins `prompt + completion` as they are and computes the loss on the completion only)' : '';
    parts.push(
      [
        `TRL's \`SFTTrainer\` takes the \`${config.name}\` config as it is${joined}:`,
        '',
        '```python',
        'from datasets import load_dataset',
        'from trl import SFTConfig, SFTTrainer',
        '',
        `ds = load_dataset(${python(description.loadPath)}, ${python(config.name)})`,
        'trainer = SFTTrainer(',
        '    model="Qwen/Qwen2.5-0.5B",  # your base model',
        `    train_dataset=ds[${python(splits.train)}],`,
        ...(splits.eval === undefined ? [] : [`    eval_dataset=ds[${python(splits.eval)}],`]),
        '    args=SFTConfig(output_dir="sft-output"),',
        ')',
        'trainer.train()',
        '```',
      ].join('\n'),
    );
  }
  if (Object.keys(llamaFactoryEntries(description)).length > 0) {
    parts.push('LLaMA-Factory: `dataset_info.json` beside this card declares the datasets (see LLaMA-Factory below).');
  }
  return parts;
}

function renderQuality(quality: CardQuality): string[] {
  const parts = ['## Data quality', [...quality.notes.map((note) => `- ${note}`), '- Full report: `report.json` and `report.html` beside this card.'].join('\n')];
  if (quality.thresholds.length) {
    parts.push(table(['release gate (--fail-on)', 'value', 'result'], quality.thresholds.map((result) => [`\`${result.rule}\``, result.value, result.passed ? 'passed' : 'FAILED'])));
  }
  return parts;
}

function renderSplitRule(rule: CardSplitRule): string {
  const lines: string[] = ['## Split assignment'];
  lines.push(
    [
      `Each record's split is decided by MurmurHash3 (x86, 32 bit) of its \`${rule.key}\` field`,
      `(Unicode NFC, whitespace collapsed, trimmed, lower-cased) with seed ${rule.seed},`,
      'compared against the cumulative ratios. A record never changes split when the corpus grows,',
      'and records with the same key always share a split.',
    ].join(' '),
  );
  const report = rule.report;
  const rows = rule.spec.names.map((name, i) => {
    const achieved = report?.splits[i];
    return [
      name,
      percent(rule.spec.ratios[i]),
      achieved ? achieved.count : '–',
      achieved ? percent(achieved.achieved) : '–',
      achieved ? formatZScore(achieved.zScore) : '–',
    ];
  });
  lines.push(table(['split', 'target', 'records', 'achieved', 'z-score'], rows));
  lines.push(
    'The z-score is the deviation from the target over its binomial standard error, sqrt(target × (1 − target) / records):' +
      ' within ±2 is ordinary chance, beyond ±4 points at something else (many duplicate keys).',
  );
  if (rule.stratifyBy) {
    lines.push(
      [
        `Ratios within each \`${rule.stratifyBy}\` value: the hash does not depend on \`${rule.stratifyBy}\`, so every value`,
        'gets the target ratios in expectation, with binomial noise that shrinks as 1/√n. The achieved ratio and its z-score',
        'are shown per split and per value; exact per-value counts would require moving records when the corpus grows.',
      ].join(' '),
    );
    if (report && report.strata.length) {
      const strata = [...report.strata].sort((a, b) => (a.stratum < b.stratum ? -1 : a.stratum > b.stratum ? 1 : 0));
      const shown = strata.slice(0, MAX_STRATA_IN_CARD);
      lines.push(
        table(
          [rule.stratifyBy, 'records', ...rule.spec.names, 'max deviation'],
          shown.map((stratum) => [
            stratum.stratum,
            stratum.total,
            ...stratum.splits.map((split) => `${percent(split.achieved)} (z ${formatZScore(split.zScore)})`),
            percent(stratum.maxDeviation),
          ]),
        ),
      );
      if (strata.length > shown.length) lines.push(`…and ${formatCount(strata.length - shown.length)} more ${noun(strata.length - shown.length, 'value')}.`);
      if (report.overflowStrata) lines.push(`${formatCount(report.overflowRecords)} ${noun(report.overflowRecords, 'record')} had values beyond the first tracked ones.`);
    }
  }
  return lines.join('\n\n');
}

// ---------------------------------------------------------------------------
// LLaMA-Factory

/**
 * What this relies on, read in LLaMA-Factory's source (src/llamafactory/data/parser.py
 * get_dataset_list, loader.py _load_single_dataset, v0.9): an entry is read from
 * `hf_hub_url`, else `script_url`, else `file_name`, with `subset` and `split` (default
 * "train"). `file_name` is a file or a folder, and every file of a folder goes into the one
 * `split` (`load_dataset(type, data_files=[…], split=…)`), so a config folder would mix
 * train, validation and test; its type comes from the file's last extension (FILEEXT2TYPE
 * knows `.jsonl`, not `.gz` or `.zst`). `script_url` calls
 * `load_dataset(os.path.join(dataset_dir, script_url), name=subset, split=split)`: with "."
 * that reads this card's config, every shard of exactly that split.
 */
function isPlainFile(name: string): boolean {
  return !name.endsWith('.gz') && !name.endsWith('.zst');
}

function llamaFactoryEntries(description: CardDescription): Record<string, Record<string, unknown>> {
  const prefix = description.llamaFactoryPrefix ?? 'qa';
  const system = description.systemPrompt !== undefined;
  const entries: Record<string, Record<string, unknown>> = {};
  // alpaca and sharegpt are json, the primary builder whenever present: always named configs.
  for (const config of partitionConfigs(description).named) {
    const formatting = config.format.llamaFactory;
    if (!formatting || config.config.channel !== 'pairs') continue;
    for (const split of config.splits) {
      let source: Record<string, unknown>;
      if (description.hub) source = { hf_hub_url: description.loadPath, subset: config.name, split: split.name };
      else if (split.files.length === 1 && isPlainFile(split.files[0].name)) source = { file_name: `${config.directory}/${split.files[0].name}` };
      else source = { script_url: '.', subset: config.name, split: split.name };
      const entry: Record<string, unknown> = { ...source, formatting };
      if (formatting === 'alpaca') {
        entry.columns = { prompt: 'instruction', query: 'input', response: 'output', ...(system ? { system: 'system' } : {}) };
      } else {
        // A conversation column gives sharegpt rows a system field even without --system-prompt.
        const withSystem = system || config.format.features({ columns: description.columns.pairs, systemPrompt: description.systemPrompt }).some((feature) => feature.name === 'system');
        entry.columns = { messages: 'conversations', ...(withSystem ? { system: 'system' } : {}) };
        entry.tags = { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' };
      }
      // The config's name, tier included: one entry per config and split, never one overwriting another.
      const key = `${prefix}_${config.name}_${split.name}`;
      if (Object.hasOwn(entries, key)) throw new QaHfError('ERR_USAGE', `internal: LLaMA-Factory dataset ${key} twice`);
      entries[key] = entry;
    }
  }
  return entries;
}

/** dataset_info.json for LLaMA-Factory; `{}` when neither alpaca nor sharegpt was written. */
export function renderLlamaFactoryInfo(description: CardDescription): string {
  return `${JSON.stringify(llamaFactoryEntries(description), null, 2)}\n`;
}
