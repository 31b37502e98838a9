/**
 * card — the dataset card (README.md): the YAML front matter (lib/dataset/card-configs.ts
 * cardMetadata), then Markdown: what the dataset is, its configurations and fields,
 * how to load each one (a YAML config by name, the others by file pattern, CSV with
 * its declared features), training snippets (lib/dataset/card-training.ts), the split counts
 * and rule, the stats table, the data quality section and the LLaMA-Factory entries
 * (lib/dataset/llama-factory.ts).
 *
 * Input: a plain CardDescription (lib/dataset/card-configs.ts). Output: text, deterministic
 * (same description → same bytes: no clock, no locale, no Map order).
 *
 *   const readme = renderCard(description);
 */
import { stringify as stringifyYaml } from 'yaml';
import { QaHfError } from '../errors';
import type { Feature } from './formats';
import { dataFilesPattern } from './shards';
import { formatCount, formatCounted, noun } from '../tally';
import { type CardSplitRule, type CardDescription, type CardQuality, type ResolvedConfig, partitionConfigs, sum, cardMetadata, defaultConfig } from './card-configs';
import { python, renderTraining } from './card-training';
import { llamaFactoryEntries } from './llama-factory';

/** Strata listed in the card at most; the rest are summarized in one line (bounded card size). */
const MAX_STRATA_IN_CARD = 50;

export { formatCount } from '../tally';

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
        configRows(config),
      ]),
    ),
  );
  const fieldLines = configs.map((config) => `- \`${config.name}\`: ${config.features.map(describeFeature).join(', ')}`);
  if (fieldLines.length) parts.push(`Fields per config:\n\n${fieldLines.join('\n')}`);
  const partitionLines = renderPartitions(configs, defaultConfig(named)?.name);
  if (partitionLines !== null) parts.push(partitionLines);

  if (configs.length) {
    const defaultName = defaultConfig(named)?.name;
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
    const prefix = description.llamaFactoryPrefix ?? 'qa';
    const formats = named.filter((config) => config.config.channel === 'pairs' && config.splits.some((split) => Object.hasOwn(entries, `${prefix}_${config.name}_${split.name}`)));
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

/** What a config's rows are, for the Configurations table. */
function configRows(config: ResolvedConfig): string {
  const { channel, tier, partition } = config.config;
  if (channel !== 'pairs') return 'rejected pairs (failed validation)';
  if (tier !== undefined) return `passed pairs of tier ${tier}`;
  if (partition !== undefined) return `passed pairs with \`${partition.column}\` ${JSON.stringify(partition.value)}`;
  return config.format.rows ?? 'passed pairs';
}

/**
 * --partition-by: one line per partition, largest first: its config (the first
 * format's; the other formats' are named alike), its rows per split and the value.
 */
function renderPartitions(configs: readonly ResolvedConfig[], defaultName: string | undefined): string | null {
  const first = configs.find((config) => config.config.partition !== undefined);
  if (first === undefined) return null;
  const column = first.config.partition!.column;
  const partitions = configs.filter((config) => config.config.partition !== undefined && config.config.format === first.config.format);
  const rows = (config: ResolvedConfig) => sum(config.splits.map((split) => split.numExamples));
  const sorted = [...partitions].sort((a, b) => rows(b) - rows(a) || (a.name < b.name ? -1 : 1));
  const formats = [...new Set(configs.filter((config) => config.config.partition !== undefined).map((config) => config.config.format))];
  const lines = sorted.map((config) => {
    const splits = config.splits.map((split) => `${split.name} ${formatCount(split.numExamples)}`).join(', ');
    const mark = config.name === defaultName ? ' (the default config)' : '';
    return `- \`${config.name}\`${mark}: ${formatCounted(rows(config), 'row')} (${splits}), \`${column}\` ${JSON.stringify(config.config.partition!.value).replace(/\|/g, '\\|')}`;
  });
  const others = formats.length > 1 ? ` The other formats' configs add the format to the name (\`${first.name}_${formats[1]}\`).` : '';
  return [
    '## Partitions',
    `The passed pairs are split into ${formatCount(partitions.length)} configs by \`${column}\` (\`--partition-by\`), largest first; the rejected pairs stay one config.` +
      ` Values that differ only in case, accents or punctuation share a config; each row keeps its own value.${others}`,
    lines.join('\n'),
  ].join('\n\n');
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
