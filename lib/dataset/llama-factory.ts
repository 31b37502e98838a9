/**
 * llama-factory — LLaMA-Factory's dataset_info.json beside the card: per alpaca/sharegpt
 * config and split, an entry LLaMA-Factory reads (`dataset_dir` = the export folder),
 * named `{prefix}_{config}_{split}` after the card's config (`qa_alpaca_train`, a tier's
 * `qa_tier_high_alpaca_train`: a name without the tier would let the last tier overwrite
 * the others). A split in one plain file gets `file_name` (LLaMA-Factory's file loader);
 * a split in several shards or .gz/.zst gets `script_url: "."` + `subset` + `split`,
 * which makes LLaMA-Factory call `load_dataset(<export folder>, <config>, split=<split>)`
 * and so read this card's configs. (Pointing `file_name` at the format folder would mix
 * train, validation and test into one training set, and LLaMA-Factory's file loader
 * rejects `.gz` and `.zst`.) kto and dpo in their text form are alpaca entries: kto's
 * `columns: {prompt, response: completion, kto_tag: label}`, dpo's `ranking: true` with
 * prompt, chosen and rejected (LLaMA-Factory's data/README). For a Hub dataset every entry is `hf_hub_url` + `subset` +
 * `split` (`dataset_dir: REMOTE:<id>` makes LLaMA-Factory fetch this file from the repo).
 *
 *   const info = renderLlamaFactoryInfo(description); // '{\n  "qa_alpaca_train": {…'
 */
import { QaHfError } from '../errors';
import { type CardDescription, partitionConfigs } from './card-configs';
import { conversationalPreference, isPreferenceFormat } from './formats';

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

export function llamaFactoryEntries(description: CardDescription): Record<string, Record<string, unknown>> {
  const prefix = description.llamaFactoryPrefix ?? 'qa';
  const system = description.systemPrompt !== undefined;
  const entries: Record<string, Record<string, unknown>> = {};
  // alpaca and sharegpt are json, the primary builder whenever present: always named configs.
  // kto and dpo as text (LLaMA-Factory's alpaca formatting reads text; their conversational form has no entry).
  const preference = !conversationalPreference({ columns: description.columns.pairs, systemPrompt: description.systemPrompt });
  for (const config of partitionConfigs(description).named) {
    const formatting = config.format.llamaFactory ?? (preference && isPreferenceFormat(config.config.format) ? 'alpaca' : undefined);
    if (!formatting || config.config.channel !== 'pairs') continue;
    for (const split of config.splits) {
      let source: Record<string, unknown>;
      if (description.hub) source = { hf_hub_url: description.loadPath, subset: config.name, split: split.name };
      else if (split.files.length === 1 && isPlainFile(split.files[0].name)) source = { file_name: `${config.directory}/${split.files[0].name}` };
      else source = { script_url: '.', subset: config.name, split: split.name };
      const entry: Record<string, unknown> = { ...source, formatting };
      if (config.config.format === 'kto') {
        entry.columns = { prompt: 'prompt', response: 'completion', kto_tag: 'label' };
      } else if (config.config.format === 'dpo') {
        entry.ranking = true;
        entry.columns = { prompt: 'prompt', chosen: 'chosen', rejected: 'rejected' };
      } else if (formatting === 'alpaca') {
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

/** The formats that make an export write dataset_info.json (kto and dpo: with entries only in their text form). */
export const LLAMA_FACTORY_FORMATS: readonly string[] = ['alpaca', 'sharegpt', 'kto', 'dpo'];

export function writesLlamaFactory(formats: readonly string[]): boolean {
  return formats.some((format) => LLAMA_FACTORY_FORMATS.includes(format));
}

/** dataset_info.json for LLaMA-Factory; `{}` when none of its formats was written. */
export function renderLlamaFactoryInfo(description: CardDescription): string {
  return `${JSON.stringify(llamaFactoryEntries(description), null, 2)}\n`;
}
