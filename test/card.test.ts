import { localLoadPath } from '../lib/dataset/card-configs';
import { promises as fs } from 'node:fs';
import { filterNotes, whatRowsAre } from '../lib/dataset/export-description';
import * as os from 'node:os';
import * as path from 'node:path';
import { useDuckDb } from './duckdb';
import { parse as parseYaml } from 'yaml';
import type { Row } from '../lib/batch';
import { type CardConfig, type CardDescription, cardMetadata, sizeCategory } from '../lib/dataset/card-configs';
import { formatCount, renderCard } from '../lib/dataset/card';
import { renderLlamaFactoryInfo } from '../lib/dataset/llama-factory';
import { type FormatName, FORMATS, configDirectory } from '../lib/dataset/formats';
import { makeCsvFormatter } from '../lib/dataset/csv-format';
import { makeLineFormatter } from '../lib/dataset/line-formats';
import { QA_INTERNAL } from '../lib/input/presets';
import { ShardRoller, finalizeShards, shardTempName } from '../lib/dataset/shards';
import { SplitTracker, makeSplitAssigner, parseSplitSpec } from '../lib/dataset/split';
import { recordLines, thrown } from './helpers';

const COLUMNS = { pairs: QA_INTERNAL.pairColumns, rejected: QA_INTERNAL.rejectedColumns };

function file(name: string, bytes: number) {
  return { name, bytes };
}

/** The description behind EXPECTED_README: jsonl + parquet + sharegpt (gzip, 2 shards) + rejected, on the Hub. */
function hubDescription(): CardDescription {
  const spec = parseSplitSpec('train=0.8,test=0.2');
  const tracker = new SplitTracker(spec);
  [0, 0, 0, 0, 1, 0, 0, 0, 1, 0].forEach((split, i) => tracker.add(split, i < 6 ? 'läkare/ny' : 'sjuksköterska|erfaren'));
  return {
    title: 'Vårdfrågor QA',
    summary: 'Frågor och svar ur vårdriktlinjer.\n',
    loadPath: 'org/vardfragor',
    hub: true,
    language: ['sv'],
    license: 'cc-by-4.0',
    columns: COLUMNS,
    configs: [
      {
        format: 'jsonl',
        channel: 'pairs',
        splits: [
          { name: 'train', numExamples: 8, numBytes: 1234, files: [file('train-00000-of-00001.jsonl', 1234)] },
          { name: 'test', numExamples: 2, numBytes: 300, files: [file('test-00000-of-00001.jsonl', 300)] },
        ],
      },
      {
        format: 'parquet',
        channel: 'pairs',
        splits: [
          { name: 'train', numExamples: 8, numBytes: 1234, files: [file('train-00000-of-00001.parquet', 2100)] },
          { name: 'test', numExamples: 2, numBytes: 300, files: [file('test-00000-of-00001.parquet', 1900)] },
        ],
      },
      {
        format: 'sharegpt',
        channel: 'pairs',
        splits: [
          {
            name: 'train',
            numExamples: 8,
            numBytes: 1500,
            files: [file('train-00000-of-00002.jsonl.gz', 400), file('train-00001-of-00002.jsonl.gz', 380)],
          },
          { name: 'test', numExamples: 2, numBytes: 350, files: [file('test-00000-of-00001.jsonl.gz', 200)] },
        ],
      },
      {
        format: 'jsonl',
        channel: 'rejected',
        splits: [
          { name: 'train', numExamples: 1, numBytes: 150, files: [file('train-00000-of-00001.jsonl', 150)] },
          { name: 'test', numExamples: 0, numBytes: 0, files: [] },
        ],
      },
    ],
    split: { spec, seed: 42, key: 'question', stratifyBy: 'persona', report: tracker.report() },
    stats: {
      header: ['persona', 'pairs', 'mean score'],
      rows: [
        ['läkare/ny', 6, 0.9],
        ['sjuksköterska|erfaren', 4, 0.85],
      ],
    },
  };
}

/** A local export: one split in one plain file, one in two shards, one gzipped. */
function localDescription(formats: FormatName[], systemPrompt?: string): CardDescription {
  const configs: CardConfig[] = formats.map((format) => {
    const ext = FORMATS[format].extension;
    return {
      format,
      channel: 'pairs',
      splits: [
        { name: 'train', numExamples: 90, numBytes: 9000, files: [file(`train-00000-of-00002.${ext}`, 5000), file(`train-00001-of-00002.${ext}`, 4000)] },
        { name: 'validation', numExamples: 5, numBytes: 500, files: [file(`validation-00000-of-00001.${ext}`, 500)] },
        { name: 'test', numExamples: 5, numBytes: 500, files: [file(`test-00000-of-00001.${ext}.gz`, 200)] },
      ],
    };
  });
  return { title: 'QA', loadPath: 'dist', columns: COLUMNS, systemPrompt, configs };
}

const EXPECTED_README = [
  "---",
  "pretty_name: Vårdfrågor QA",
  "language:",
  "- sv",
  "license: cc-by-4.0",
  "task_categories:",
  "- question-answering",
  "- text-generation",
  "size_categories:",
  "- n<1K",
  "configs:",
  "- config_name: default",
  "  data_files:",
  "  - split: train",
  "    path: jsonl/train-*",
  "  - split: test",
  "    path: jsonl/test-*",
  "- config_name: sharegpt",
  "  data_files:",
  "  - split: train",
  "    path: sharegpt/train-*",
  "  - split: test",
  "    path: sharegpt/test-*",
  "- config_name: rejected",
  "  data_files:",
  "  - split: train",
  "    path: rejected/jsonl/train-*",
  "dataset_info:",
  "- config_name: default",
  "  features:",
  "  - name: question",
  "    dtype: string",
  "  - name: answer",
  "    dtype: string",
  "  - name: source",
  "    dtype: string",
  "  - name: persona",
  "    dtype: string",
  "  - name: validation_score",
  "    dtype: float64",
  "  splits:",
  "  - name: train",
  "    num_bytes: 1234",
  "    num_examples: 8",
  "  - name: test",
  "    num_bytes: 300",
  "    num_examples: 2",
  "  download_size: 1534",
  "  dataset_size: 1534",
  "- config_name: sharegpt",
  "  features:",
  "  - name: conversations",
  "    list:",
  "    - name: from",
  "      dtype: string",
  "    - name: value",
  "      dtype: string",
  "  splits:",
  "  - name: train",
  "    num_bytes: 1500",
  "    num_examples: 8",
  "  - name: test",
  "    num_bytes: 350",
  "    num_examples: 2",
  "  download_size: 980",
  "  dataset_size: 1850",
  "- config_name: rejected",
  "  features:",
  "  - name: question",
  "    dtype: string",
  "  - name: answer",
  "    dtype: string",
  "  - name: source",
  "    dtype: string",
  "  - name: persona",
  "    dtype: string",
  "  - name: validation_score",
  "    dtype: float64",
  "  - name: failure_reason",
  "    dtype: string",
  "  splits:",
  "  - name: train",
  "    num_bytes: 150",
  "    num_examples: 1",
  "  download_size: 150",
  "  dataset_size: 150",
  "---",
  "",
  "# Vårdfrågor QA",
  "",
  "Frågor och svar ur vårdriktlinjer.",
  "",
  "## Configurations",
  "",
  "| config | folder | format | rows |",
  "| --- | --- | --- | --- |",
  "| `default` | `jsonl/` | flat rows as JSON Lines, one column per field | passed pairs |",
  "| `sharegpt` | `sharegpt/` | ShareGPT conversations (from/value turns), as LLaMA-Factory reads it | passed pairs |",
  "| `rejected` | `rejected/jsonl/` | flat rows as JSON Lines, one column per field | rejected pairs (failed validation) |",
  "| parquet (by files) | `parquet/` | the same flat rows as Parquet (snappy), HF features in the file metadata | passed pairs |",
  "",
  "Fields per config:",
  "",
  "- `default`: `question` (string), `answer` (string), `source` (string), `persona` (string), `validation_score` (float64)",
  "- `sharegpt`: `conversations` (list of {`from` (string), `value` (string)})",
  "- `rejected`: `question` (string), `answer` (string), `source` (string), `persona` (string), `validation_score` (float64), `failure_reason` (string)",
  "- `parquet`: `question` (string), `answer` (string), `source` (string), `persona` (string), `validation_score` (float64)",
  "",
  "## Loading",
  "",
  "```python",
  "from datasets import load_dataset",
  "",
  "ds = load_dataset(\"org/vardfragor\")",
  "ds = load_dataset(\"org/vardfragor\", \"sharegpt\")",
  "ds = load_dataset(\"org/vardfragor\", \"rejected\")",
  "ds = load_dataset(\"parquet\", data_files={\"train\": \"hf://datasets/org/vardfragor/parquet/train-*\", \"test\": \"hf://datasets/org/vardfragor/parquet/test-*\"})",
  "```",
  "",
  "The `parquet/` files are loaded by file pattern: `datasets` builds every config of a folder with one builder (huggingface/datasets#7101), so only the json configs are declared in this card.",
  "",
  "## Training",
  "",
  "axolotl, in the `datasets:` of its config file:",
  "",
  "```yaml",
  "datasets:",
  "- path: org/vardfragor",
  "  name: sharegpt",
  "  split: train",
  "  type: chat_template",
  "  field_messages: conversations",
  "  message_property_mappings:",
  "    role: from",
  "    content: value",
  "```",
  "",
  "LLaMA-Factory: `dataset_info.json` beside this card declares the datasets (see LLaMA-Factory below).",
  "",
  "## Splits",
  "",
  "| config | train | test | files |",
  "| --- | --- | --- | --- |",
  "| `default` | 8 | 2 | 2 |",
  "| `sharegpt` | 8 | 2 | 3 |",
  "| `rejected` | 1 | – | 1 |",
  "| `parquet` | 8 | 2 | 2 |",
  "",
  "## Split assignment",
  "",
  "Each record's split is decided by MurmurHash3 (x86, 32 bit) of its `question` field (Unicode NFC, whitespace collapsed, trimmed, lower-cased) with seed 42, compared against the cumulative ratios. A record never changes split when the corpus grows, and records with the same key always share a split.",
  "",
  "| split | target | records | achieved | z-score |",
  "| --- | --- | --- | --- | --- |",
  "| train | 80.00 % | 8 | 80.00 % | 0.00 |",
  "| test | 20.00 % | 2 | 20.00 % | 0.00 |",
  "",
  "The z-score is the deviation from the target over its binomial standard error, sqrt(target × (1 − target) / records): within ±2 is ordinary chance, beyond ±4 points at something else (many duplicate keys).",
  "",
  "Ratios within each `persona` value: the hash does not depend on `persona`, so every value gets the target ratios in expectation, with binomial noise that shrinks as 1/√n. The achieved ratio and its z-score are shown per split and per value; exact per-value counts would require moving records when the corpus grows.",
  "",
  "| persona | records | train | test | max deviation |",
  "| --- | --- | --- | --- | --- |",
  "| läkare/ny | 6 | 83.33 % (z +0.20) | 16.67 % (z -0.20) | 3.33 % |",
  "| sjuksköterska\\|erfaren | 4 | 75.00 % (z -0.25) | 25.00 % (z +0.25) | 5.00 % |",
  "",
  "## Statistics",
  "",
  "| persona | pairs | mean score |",
  "| --- | --- | --- |",
  "| läkare/ny | 6 | 0.9 |",
  "| sjuksköterska\\|erfaren | 4 | 0.85 |",
  "",
  "## LLaMA-Factory",
  "",
  "`dataset_info.json` beside this card declares the `sharegpt` splits for LLaMA-Factory.",
  "Point `dataset_dir` at this repository and name the datasets:",
  "",
  "```yaml",
  "dataset_dir: \"REMOTE:org/vardfragor\"",
  "dataset: qa_sharegpt_train",
  "```",
  "",
  "Datasets: `qa_sharegpt_train`, `qa_sharegpt_test`.",
  '',
].join('\n');

describe('renderCard', () => {
  test('exact bytes of a representative card', () => {
    expect(renderCard(hubDescription())).toBe(EXPECTED_README);
  });

  test('deterministic: a fresh, equal description renders the same bytes', () => {
    const again = JSON.parse(JSON.stringify(hubDescription())) as CardDescription;
    expect(renderCard(again)).toBe(renderCard(hubDescription()));
  });

  test('the front matter parses back to cardMetadata', () => {
    const text = renderCard(hubDescription());
    const front = /^---\n([\s\S]*?)\n---\n/.exec(text);
    expect(front).not.toBeNull();
    expect(parseYaml(front![1])).toEqual(cardMetadata(hubDescription()));
  });

  test('without json formats the parquet configs are declared and csv is loaded by files', () => {
    const metadata = cardMetadata(localDescription(['parquet', 'csv']));
    expect(metadata.configs).toEqual([
      {
        config_name: 'parquet',
        default: true,
        data_files: [
          { split: 'train', path: 'parquet/train-*' },
          { split: 'validation', path: 'parquet/validation-*' },
          { split: 'test', path: 'parquet/test-*' },
        ],
      },
    ]);
    // Issue 16 item 7: without the declared features pandas reads a column of digits (`source` "1042") as int64.
    expect(renderCard(localDescription(['parquet', 'csv']))).toContain(
      [
        'from datasets import Features, Value, load_dataset',
        '',
        'ds = load_dataset("dist")',
        'csv_features = Features({"question": Value("string"), "answer": Value("string"), "source": Value("string"), "persona": Value("string"), "validation_score": Value("float64")})',
        'ds = load_dataset("csv", data_files={"train": "dist/csv/train-*", "validation": "dist/csv/validation-*", "test": "dist/csv/test-*"}, features=csv_features, keep_default_na=False)',
        '```',
      ].join('\n'),
    );
  });

  test('csv loaded by files: one features variable per feature set (pairs, rejected), only where csv is', () => {
    const description = localDescription(['jsonl', 'csv']);
    description.configs.push({ ...description.configs[1], channel: 'rejected' });
    const card = renderCard(description);
    expect(card.match(/^\w+ = Features\(.*$/gm)).toEqual([
      'csv_features = Features({"question": Value("string"), "answer": Value("string"), "source": Value("string"), "persona": Value("string"), "validation_score": Value("float64")})',
      'rejected_csv_features = Features({"question": Value("string"), "answer": Value("string"), "source": Value("string"), "persona": Value("string"), "validation_score": Value("float64"), "failure_reason": Value("string")})',
    ]);
    expect(card).toContain('"test": "dist/rejected/csv/test-*"}, features=rejected_csv_features, keep_default_na=False)');
    expect(renderCard(localDescription(['jsonl', 'parquet']))).toContain('```python\nfrom datasets import load_dataset\n');
  });

  test('a csv-only export declares its config with keep_default_na: false', () => {
    const metadata = cardMetadata(localDescription(['csv']));
    expect(metadata.configs).toEqual([
      {
        config_name: 'csv',
        default: true,
        data_files: [
          { split: 'train', path: 'csv/train-*' },
          { split: 'validation', path: 'csv/validation-*' },
          { split: 'test', path: 'csv/test-*' },
        ],
        keep_default_na: false,
      },
    ]);
  });

  test('features of chat configs follow the system prompt', () => {
    const info = cardMetadata(localDescription(['alpaca', 'sharegpt'], 'Du är hjälpsam.')).dataset_info as Array<Record<string, unknown>>;
    expect(info.map((config) => [config.config_name, config.features])).toEqual([
      [
        'alpaca',
        [
          { name: 'instruction', dtype: 'string' },
          { name: 'input', dtype: 'string' },
          { name: 'output', dtype: 'string' },
          { name: 'system', dtype: 'string' },
        ],
      ],
      [
        'sharegpt',
        [
          { name: 'conversations', list: [{ name: 'from', dtype: 'string' }, { name: 'value', dtype: 'string' }] },
          { name: 'system', dtype: 'string' },
        ],
      ],
    ]);
    expect(info[0].download_size).toBe(9700);
    expect(info[0].dataset_size).toBe(10000);
  });

  test('a config with no examples in any split is left out', () => {
    const description = localDescription(['jsonl']);
    description.configs.push({ format: 'jsonl', channel: 'rejected', splits: [{ name: 'train', numExamples: 0, numBytes: 0, files: [] }] });
    expect((cardMetadata(description).configs as Array<{ config_name: string }>).map((c) => c.config_name)).toEqual(['default']);
  });

  test.each<[string, (d: CardDescription) => void, string]>([
    [
      'examples without files',
      (d) => (d.configs[0].splits[1].files = []),
      'config default split validation has 5 examples but no files',
    ],
    [
      'a file the glob would miss',
      (d) => (d.configs[0].splits[1].files = [file('valid-00000-of-00001.jsonl', 1)]),
      'config default split validation: file "valid-00000-of-00001.jsonl" does not match validation-*',
    ],
    ['the same config twice', (d) => d.configs.push(d.configs[0]), 'card lists config default twice'],
    [
      'a chat format for rejected pairs',
      (d) => d.configs.push({ format: 'alpaca', channel: 'rejected', splits: [] }),
      'alpaca is not written for rejected pairs',
    ],
  ])('refuses %s', (_, change, message) => {
    const description = localDescription(['jsonl']);
    change(description);
    expect(thrown(() => renderCard(description)).message).toBe(message);
  });

  test.each([
    [0, 'n<1K'],
    [999, 'n<1K'],
    [1000, '1K<n<10K'],
    [99_999, '10K<n<100K'],
    [1_000_000, '1M<n<10M'],
    [2e12, 'n>1T'],
  ])('size category of %d is %s', (n, category) => expect(sizeCategory(n)).toBe(category));

  test.each([
    [0, '0'],
    [999, '999'],
    [1000, '1,000'],
    [1234567, '1,234,567'],
    [-12345, '-12,345'],
  ])('formatCount(%d) = %s', (n, text) => expect(formatCount(n)).toBe(text));
});

/** The `## Training` section of a card: from its heading to the next `## `. */
function trainingSection(readme: string): string | null {
  const start = readme.indexOf('## Training\n');
  if (start < 0) return null;
  return readme.slice(start, readme.indexOf('\n## ', start + 1) + 1);
}

describe('trainer snippets in the card', () => {
  test('messages, alpaca and sharegpt: axolotl entries, TRL for messages, LLaMA-Factory pointed to (exact text)', () => {
    expect(trainingSection(renderCard(localDescription(['jsonl', 'messages', 'alpaca', 'sharegpt'])))).toBe(
      [
        '## Training',
        '',
        'axolotl, in the `datasets:` of its config file:',
        '',
        '```yaml',
        'datasets:',
        '- path: dist',
        '  name: messages',
        '  split: train',
        '  type: chat_template',
        '  field_messages: messages',
        '- path: dist',
        '  name: alpaca',
        '  split: train',
        '  type: alpaca',
        '- path: dist',
        '  name: sharegpt',
        '  split: train',
        '  type: chat_template',
        '  field_messages: conversations',
        '  message_property_mappings:',
        '    role: from',
        '    content: value',
        '```',
        '',
        "TRL's `SFTTrainer` takes the `messages` config as it is:",
        '',
        '```python',
        'from datasets import load_dataset',
        'from trl import SFTConfig, SFTTrainer',
        '',
        'ds = load_dataset("dist", "messages")',
        'trainer = SFTTrainer(',
        '    model="Qwen/Qwen2.5-0.5B",  # your base model',
        '    train_dataset=ds["train"],',
        '    eval_dataset=ds["validation"],',
        '    args=SFTConfig(output_dir="sft-output"),',
        ')',
        'trainer.train()',
        '```',
        '',
        'LLaMA-Factory: `dataset_info.json` beside this card declares the datasets (see LLaMA-Factory below).',
        '',
        '',
      ].join('\n'),
    );
  });

  test('only the formats exported: messages alone has no alpaca entry and no LLaMA-Factory line; flat formats none at all', () => {
    const section = trainingSection(renderCard(localDescription(['messages'])))!;
    expect(section).toContain('  type: chat_template\n  field_messages: messages\n```');
    expect(section).not.toMatch(/alpaca|sharegpt|LLaMA-Factory/);
    expect(section).toContain('from trl import SFTConfig, SFTTrainer');
    expect(trainingSection(renderCard(localDescription(['alpaca'])))).not.toMatch(/SFTTrainer|messages/);
    expect(trainingSection(renderCard(localDescription(['jsonl', 'parquet', 'csv'])))).toBeNull();
  });

  test('prompt-completion: the card says where the separator is (TRL joins prompt + completion as they are)', () => {
    const section = trainingSection(renderCard(localDescription(['prompt-completion'])))!;
    expect(section).toContain(
      "TRL's `SFTTrainer` takes the `prompt-completion` config as it is (each `completion` begins with a space, TRL's separator for standard prompt–completion rows: the trainer joins `prompt + completion` as they are and computes the loss on the completion only):\n",
    );
    expect(trainingSection(renderCard(localDescription(['messages'])))).toContain("TRL's `SFTTrainer` takes the `messages` config as it is:\n");
  });

  test('TRL trains on train and evaluates on validation, else test, else nothing', () => {
    const description = localDescription(['messages']);
    const drop = (name: string) => (description.configs[0].splits = description.configs[0].splits.filter((split) => split.name !== name));
    drop('validation');
    expect(trainingSection(renderCard(description))).toContain('    train_dataset=ds["train"],\n    eval_dataset=ds["test"],\n');
    drop('test');
    expect(trainingSection(renderCard(description))).toContain('    train_dataset=ds["train"],\n    args=');
  });
});

describe('card metadata from the config', () => {
  test('name, license, language, tags and task categories in the YAML header, in the Hub order', () => {
    const description = { ...localDescription(['jsonl']), title: 'Vård', language: ['sv', 'en'], license: 'mit', tags: ['medicin'], taskCategories: ['question-answering'] };
    expect(renderCard(description).split('size_categories:')[0]).toBe(
      ['---', 'pretty_name: Vård', 'language:', '- sv', '- en', 'license: mit', 'task_categories:', '- question-answering', 'tags:', '- medicin', ''].join('\n'),
    );
    expect(renderCard(description)).toContain('\n# Vård\n');
    expect(Object.keys(cardMetadata(localDescription(['jsonl'])))).not.toContain('tags');
  });
});

describe('zstd shards in the card', () => {
  test('the Loading section names the zstandard package only when a .zst file is listed', () => {
    const note = 'The `.zst` files are zstd-compressed; `datasets` decompresses them with the `zstandard` package: `pip install zstandard`.';
    const plain = renderCard(localDescription(['jsonl']));
    expect(plain).not.toContain('zstandard');
    const zst = localDescription(['jsonl', 'csv']);
    zst.configs[1].splits[2].files = [file('test-00000-of-00001.csv.zst', 200)];
    const card = renderCard(zst);
    expect(card).toContain(`\`\`\`\n\n${note}`);
    // The globs do not change: `{split}-*` takes the .zst shards.
    expect(cardMetadata(zst)).toEqual(cardMetadata(localDescription(['jsonl', 'csv'])));
  });
});

describe('renderLlamaFactoryInfo', () => {
  test('local: file_name for a split in one plain file, script_url + subset + split otherwise', () => {
    expect(JSON.parse(renderLlamaFactoryInfo(localDescription(['alpaca'], 'Du är hjälpsam.')))).toEqual({
      qa_alpaca_train: {
        script_url: '.',
        subset: 'alpaca',
        split: 'train',
        formatting: 'alpaca',
        columns: { prompt: 'instruction', query: 'input', response: 'output', system: 'system' },
      },
      qa_alpaca_validation: {
        file_name: 'alpaca/validation-00000-of-00001.jsonl',
        formatting: 'alpaca',
        columns: { prompt: 'instruction', query: 'input', response: 'output', system: 'system' },
      },
      qa_alpaca_test: {
        script_url: '.',
        subset: 'alpaca',
        split: 'test',
        formatting: 'alpaca',
        columns: { prompt: 'instruction', query: 'input', response: 'output', system: 'system' },
      },
    });
  });

  test.each([['gz'], ['zst']])('a one-file split of .%s goes through the card (LLaMA-Factory reads plain files only)', (codec) => {
    const description = localDescription(['sharegpt']);
    description.configs[0].splits[1].files = [file(`validation-00000-of-00001.jsonl.${codec}`, 300)];
    expect(JSON.parse(renderLlamaFactoryInfo(description)).qa_sharegpt_validation).toMatchObject({ script_url: '.', subset: 'sharegpt', split: 'validation' });
  });

  test('exact bytes for the Hub description (sharegpt only, no system prompt)', () => {
    const entry = (split: string) => [
      `  "qa_sharegpt_${split}": {`,
      '    "hf_hub_url": "org/vardfragor",',
      '    "subset": "sharegpt",',
      `    "split": "${split}",`,
      '    "formatting": "sharegpt",',
      '    "columns": {',
      '      "messages": "conversations"',
      '    },',
      '    "tags": {',
      '      "role_tag": "from",',
      '      "content_tag": "value",',
      '      "user_tag": "human",',
      '      "assistant_tag": "gpt"',
      '    }',
    ];
    expect(renderLlamaFactoryInfo(hubDescription())).toBe(['{', ...entry('train'), '  },', ...entry('test'), '  }', '}', ''].join('\n'));
  });

  // Issue 16 item 8: keys without the tier let tier_low overwrite tier_high.
  test('tiers: one entry per config and split, the tier in its name, each reading only its own split', () => {
    const description = localDescription(['alpaca']);
    const [config] = description.configs;
    description.configs = ['high', 'low'].map((tier) => ({ ...config, tier }));
    const info = JSON.parse(renderLlamaFactoryInfo(description));
    const sources = Object.fromEntries(Object.entries(info as Record<string, Record<string, unknown>>).map(([name, entry]) => [name, entry.file_name ?? `${entry.subset}/${entry.split}`]));
    expect(sources).toEqual({
      qa_tier_high_alpaca_train: 'tier_high_alpaca/train',
      qa_tier_high_alpaca_validation: 'tier_high/alpaca/validation-00000-of-00001.jsonl',
      qa_tier_high_alpaca_test: 'tier_high_alpaca/test',
      qa_tier_low_alpaca_train: 'tier_low_alpaca/train',
      qa_tier_low_alpaca_validation: 'tier_low/alpaca/validation-00000-of-00001.jsonl',
      qa_tier_low_alpaca_test: 'tier_low_alpaca/test',
    });
    expect(renderCard(description)).toContain('dataset: qa_tier_high_alpaca_train\n');
  });

  test('size_categories counts the passed pairs of every tier (one format), not the first tier alone', () => {
    const description = hubDescription();
    const [jsonl, parquet] = description.configs;
    const sized = (numExamples: number) => jsonl.splits.map((split) => ({ ...split, numExamples }));
    // 3 × 400 pairs over 2 splits: 2,400 in all (1K<n<10K); the first tier alone would be 800 (n<1K).
    description.configs = ['high', 'medium', 'low'].flatMap((tier) => [{ ...jsonl, tier, splits: sized(400) }, { ...parquet, tier, splits: sized(400) }]);
    expect(renderCard(description)).toContain('size_categories:\n- 1K<n<10K\n');
  });

  test('sharegpt with a system prompt maps the system column; prefix is configurable', () => {
    const description = { ...localDescription(['sharegpt'], 'S'), llamaFactoryPrefix: 'vard' };
    const info = JSON.parse(renderLlamaFactoryInfo(description));
    expect(Object.keys(info)).toEqual(['vard_sharegpt_train', 'vard_sharegpt_validation', 'vard_sharegpt_test']);
    expect(info.vard_sharegpt_validation.columns).toEqual({ messages: 'conversations', system: 'system' });
  });

  test('no alpaca or sharegpt: an empty object, and no LLaMA-Factory section in the card', () => {
    expect(renderLlamaFactoryInfo(localDescription(['jsonl', 'messages']))).toBe('{}\n');
    expect(renderCard(localDescription(['jsonl', 'messages']))).not.toContain('LLaMA-Factory');
  });
});

describe('the card describes real files', () => {
  let dir: string;
  const { query } = useDuckDb();
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-card-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('shards written with formats + shards + split, read by DuckDB through the YAML data_files globs', async () => {
    const spec = parseSplitSpec('train=0.8,validation=0.1,test=0.1');
    const assign = makeSplitAssigner(spec, 42);
    const rows: Row[] = recordLines(3000, 17).map((line) => QA_INTERNAL.map(JSON.parse(line)).row);
    const formats: FormatName[] = ['jsonl', 'csv', 'messages'];
    const configs: CardConfig[] = [];
    for (const format of formats) {
      const directory = path.join(dir, configDirectory(format, 'pairs'));
      await fs.mkdir(directory, { recursive: true });
      const csv = format === 'csv' ? makeCsvFormatter({ columns: COLUMNS.pairs }) : undefined;
      const line = csv ? (row: Row) => csv.row(row) : ((f) => (row: Row) => `${f(row)}\n`)(makeLineFormatter(format, { columns: COLUMNS.pairs }));
      const splits = [];
      for (const [index, split] of spec.names.entries()) {
        const records = rows.filter((row) => assign(row.question) === index).map(line);
        // Small shards so every split rolls over; temp names first, renamed at the end.
        const roller = new ShardRoller({ maxBytes: 40_000, headerBytes: csv ? Buffer.byteLength(csv.header) : 0 });
        const shards: string[] = [];
        for (const record of records) {
          roller.add(Buffer.byteLength(record));
          shards[roller.shardIndex] = (shards[roller.shardIndex] ?? csv?.header ?? '') + record;
        }
        const ext = FORMATS[format].extension;
        await Promise.all(shards.map((text, i) => fs.writeFile(path.join(directory, shardTempName(split, i, ext)), text)));
        const renames = finalizeShards(split, shards.length, ext);
        for (const { from, to } of renames) await fs.rename(path.join(directory, from), path.join(directory, to));
        // A leftover temp file of an interrupted run must not be picked up by the glob.
        await fs.writeFile(path.join(directory, shardTempName(split, shards.length, ext)), shards[0] ?? '');
        const files = await Promise.all(renames.map(async ({ to }) => file(to, (await fs.stat(path.join(directory, to))).size)));
        splits.push({ name: split, numExamples: records.length, numBytes: records.reduce((n, r) => n + Buffer.byteLength(r), 0), files });
      }
      configs.push({ format, channel: 'pairs', splits });
    }
    const description: CardDescription = { title: 'QA', loadPath: dir, columns: COLUMNS, configs };
    const metadata = cardMetadata(description);
    const info = metadata.dataset_info as Array<{ config_name: string; splits: Array<{ name: string; num_examples: number }> }>;
    const named = metadata.configs as Array<{ config_name: string; data_files: Array<{ split: string; path: string }> }>;
    expect(named.map((config) => config.config_name)).toEqual(['default', 'messages']);
    expect(configs.every((config) => config.splits.every((split) => split.files.length >= 2))).toBe(true);

    for (const config of named) {
      const expected = info.find((entry) => entry.config_name === config.config_name)!;
      for (const { split, path: pattern } of config.data_files) {
        const [{ n }] = await query(`SELECT count(*)::INTEGER AS n FROM read_json('${path.join(dir, pattern)}', format = 'newline_delimited')`);
        expect([split, n]).toEqual([split, expected.splits.find((s) => s.name === split)!.num_examples]);
      }
    }
    // The csv files, loaded by pattern as the card says, hold the same rows as the jsonl ones.
    const [csvCount] = await query(`SELECT count(*)::INTEGER AS n FROM read_csv('${path.join(dir, 'csv', 'train-*')}', header = true)`);
    expect(csvCount.n).toBe(configs[0].splits[0].numExamples);
    expect(configs[0].splits.map((split) => split.numExamples).reduce((a, b) => a + b)).toBe(rows.length);
  });
});

describe('what the rows are, in the card', () => {
  test.each([
    [['id', 'question', 'answer'], 'Question–answer pairs'],
    [['messages', 'source'], 'Conversations'],
    [['id', 'text', 'metadata'], 'Records (`id`, `text`, `metadata`)'],
  ])('%j → %s', (names, what) => {
    expect(whatRowsAre(names.map((name) => ({ name })))).toBe(what);
  });
});

test('a folder named like a packaged builder of datasets is loaded as ./NAME (load_dataset("csv") is the csv builder)', () => {
  expect(localLoadPath('csv')).toBe('./csv');
  expect(localLoadPath('JSON')).toBe('./JSON');
  expect(localLoadPath('parquet/v1.0.0')).toBe('./parquet/v1.0.0');
  expect(localLoadPath('dist')).toBe('dist');
  expect(localLoadPath('csv-only')).toBe('csv-only');
});

describe('kto and dpo in the card', () => {
  const split = (name: string, n: number) => ({ name, numExamples: n, numBytes: n * 100, files: [file(`${name}-00000-of-00001.jsonl`, n * 100)] });
  const description = (systemPrompt?: string): CardDescription => ({
    title: 'Preferenser',
    loadPath: 'pref',
    columns: COLUMNS,
    ...(systemPrompt === undefined ? {} : { systemPrompt }),
    configs: [
      { format: 'kto', channel: 'pairs', splits: [split('train', 9), split('test', 3)] },
      { format: 'dpo', channel: 'pairs', splits: [split('train', 4), split('test', 1)] },
    ],
  });

  test('configs with their rows, TRL snippets, LLaMA-Factory entries for the text form only', () => {
    const card = renderCard(description());
    expect(card).toContain('| `kto` | `kto/` | TRL\'s unpaired preference format for KTO: every pair, passed or rejected, with `label` true when it passed | passed (label true) and rejected (label false) pairs |');
    expect(card).toContain('- `dpo`: `prompt` (string), `chosen` (string), `rejected` (string)');
    expect(card).toContain('from trl import KTOConfig, KTOTrainer');
    expect(card).toContain('trainer = DPOTrainer(\n    model=model,\n    args=DPOConfig(output_dir="dpo-output"),\n    train_dataset=ds["train"],\n    eval_dataset=ds["test"],\n    processing_class=tokenizer,\n)');
    expect(card).toContain('declares the `kto` and `dpo` splits for LLaMA-Factory');
    expect(JSON.parse(renderLlamaFactoryInfo(description()))).toEqual({
      qa_kto_train: { file_name: 'kto/train-00000-of-00001.jsonl', formatting: 'alpaca', columns: { prompt: 'prompt', response: 'completion', kto_tag: 'label' } },
      qa_kto_test: { file_name: 'kto/test-00000-of-00001.jsonl', formatting: 'alpaca', columns: { prompt: 'prompt', response: 'completion', kto_tag: 'label' } },
      qa_dpo_train: { file_name: 'dpo/train-00000-of-00001.jsonl', formatting: 'alpaca', ranking: true, columns: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' } },
      qa_dpo_test: { file_name: 'dpo/test-00000-of-00001.jsonl', formatting: 'alpaca', ranking: true, columns: { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' } },
    });
    const chat = renderCard(description('Svara kort.'));
    expect(chat).toContain('- `kto`: `prompt` (list of {`role` (string), `content` (string)}), `completion` (list of {`role` (string), `content` (string)}), `label` (bool)');
    expect(renderLlamaFactoryInfo(description('Svara kort.'))).toBe('{}\n');
    expect(chat).not.toContain('## LLaMA-Factory');
  });
});

test('the card notes each routing filter with its limits as given and the pairs it moved; none without one', () => {
  expect(filterNotes({}, { too_short: 3 })).toEqual([]);
  expect(filterNotes({ minChars: [['question', 10], ['answer', 20]], maxChars: [['answer', 8000]], maxTokens: 1024 }, { too_short: 1, too_long: 0, too_many_tokens: 1234 })).toEqual([
    'Length filter `--min-chars question=10,answer=20` (characters, as written): 1 pair moved to rejected (`failure_reason` `too_short`).',
    'Length filter `--max-chars answer=8000`: 0 pairs moved to rejected (`failure_reason` `too_long`).',
    "Token budget `--max-tokens 1024` (each conversation rendered with the model's chat template): 1,234 pairs moved to rejected (`failure_reason` `too_many_tokens`); every written pair fits a trainer's `max_length=1024`.",
  ]);
});
