/**
 * card-training — the card's `## Training` section: ready-to-copy dataset entries
 * for axolotl, TRL's SFTTrainer, KTOTrainer and DPOTrainer and LLaMA-Factory, for the chat
 * and preference formats exported (messages, alpaca, sharegpt, prompt-completion, kto, dpo);
 * nothing without one.
 *
 *   renderTraining(description, named) // ['## Training', 'axolotl, in the `datasets:` …', …]
 */
import { stringify as stringifyYaml } from 'yaml';
import { type CardDescription, type ResolvedConfig, defaultConfig } from './card-configs';
import { llamaFactoryEntries } from './llama-factory';

export function python(text: string): string {
  return JSON.stringify(text);
}

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
  // Preference data: TRL's KTOTrainer and DPOTrainer (their own snippet, PREFERENCE_TRAINERS).
  kto: { trl: false },
  dpo: { trl: false },
};

/** TRL's preference trainers, by format: the trainer and its config class. */
const PREFERENCE_TRAINERS: Readonly<Record<string, { trainer: string; config: string }>> = {
  kto: { trainer: 'KTOTrainer', config: 'KTOConfig' },
  dpo: { trainer: 'DPOTrainer', config: 'DPOConfig' },
};

/** The split a snippet trains on (`train` when there is one, else the first) and the one it evaluates on, if any. */
function trainingSplits(config: ResolvedConfig): { train: string; eval?: string } {
  const names = config.splits.map((split) => split.name);
  const train = names.includes('train') ? 'train' : names[0];
  const evaluation = ['validation', 'test'].find((name) => name !== train && names.includes(name));
  return evaluation === undefined ? { train } : { train, eval: evaluation };
}

/** `## Training`: ready-to-copy entries for axolotl, TRL and LLaMA-Factory, for the chat formats exported. */
export function renderTraining(description: CardDescription, named: ResolvedConfig[]): string[] {
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
  // --partition-by: the trainers' snippets for the default partition's configs only (the others are loaded alike).
  const shown = defaultConfig(named)?.config.partition?.name;
  const snippets = chat.filter((config) => config.config.partition === undefined || config.config.partition.name === shown);
  if (shown !== undefined) {
    parts.push(`The snippets below load the largest partition, \`${shown}\`; every partition's config loads alike, by its name (see Partitions above), and \`datasets.concatenate_datasets\` joins several.`);
  }
  for (const config of snippets.filter((item) => TRAINERS[item.config.format].trl)) {
    const splits = trainingSplits(config);
    // SFTTrainer joins a standard row's prompt and completion as they are (lib/dataset/line-formats.ts COMPLETION_SEPARATOR).
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
  for (const config of snippets.filter((item) => Object.hasOwn(PREFERENCE_TRAINERS, item.config.format))) {
    const splits = trainingSplits(config);
    const { trainer, config: settings } = PREFERENCE_TRAINERS[config.config.format];
    parts.push(
      [
        `TRL's \`${trainer}\` takes the \`${config.name}\` config as it is:`,
        '',
        '```python',
        'from datasets import load_dataset',
        'from transformers import AutoModelForCausalLM, AutoTokenizer',
        `from trl import ${settings}, ${trainer}`,
        '',
        `ds = load_dataset(${python(description.loadPath)}, ${python(config.name)})`,
        'model = AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-0.5B-Instruct")  # your model',
        'tokenizer = AutoTokenizer.from_pretrained("Qwen/Qwen2.5-0.5B-Instruct")',
        `trainer = ${trainer}(`,
        '    model=model,',
        `    args=${settings}(output_dir=${python(`${config.config.format}-output`)}),`,
        `    train_dataset=ds[${python(splits.train)}],`,
        ...(splits.eval === undefined ? [] : [`    eval_dataset=ds[${python(splits.eval)}],`]),
        '    processing_class=tokenizer,',
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
