/**
 * config-merge — a command's arguments from its parsed flags over the config
 * (lib/config.ts): the file's values in the shapes the CLI parses (paths resolved
 * against the file's folder, lists as comma text, sizes in bytes), a flag typed on
 * the command line over the file's value, then the defaults (never over the file);
 * which keys came from the file, and the effective config (what decides the output,
 * as the file would say it) for the options hash. The keys and defaults are the
 * option table's (lib/option-table.ts). Pure.
 *
 * A value the option normalizers refuse (lib/options.ts, lib/dataset/plan.ts) is placed at
 * file:line:column when it came from the file (withConfigPositions).
 *
 *   const config = parseConfigText('format: [jsonl, parquet]\n', 'qa-hf.yaml', '');
 *   resolveArgs('export', { inputs: ['qa/'], out: 'dist' }, config).args.format // 'jsonl,parquet'
 */
import * as path from 'node:path';
import type { CardMeta } from './dataset/card-configs';
import { type Config, type FormatsSection, type MappingSection, configSchemaError, errorAt, mappingSection, placeError, segments, validateSemantics } from './config';
import { QaHfError, got } from './errors';
import { MAPPING_KEYS } from './input/mapping';
import { type ConfigCommand, type OptionRow, OPTION_TABLE, camel, configKey, fileKeyOf, fileRowsOf } from './option-table';
import { isS3Url } from './s3-url';
import { isHubUrl } from './dataset/hub-push-url';

export type { MappingSection, FormatsSection, SegmentSection } from './config';
// Keys: derived from the option table (lib/option-table.ts)


/** The top-level file key of a row: its name, or the section it is a field of (`card`). */
const topKey = (row: OptionRow): string => configKey(row.name)[0];

/**
 * Keys that decide the output bytes and are named in the effective config
 * (manifest.json `options.config`, so the options hash) when the file or a flag sets
 * them: the rows whose identity has `config`, then the file-only sections. Options
 * that decide the output but came to the file later (--pii, --tiers, --version, …) are
 * recorded by their own part of the hash (lib/option-table.ts RecordPart), so an
 * export's options hash stays as it was. Where the data comes from and goes, and run
 * control, are not here.
 */
export const OUTPUT_KEYS: readonly string[] = [
  ...new Set(OPTION_TABLE.filter((row) => row.identity?.includes('config')).map(topKey)),
  ...MAPPING_KEYS,
  'formats',
  'segment',
];

/** Card fields, with the flag that sets each (comma lists for the list fields): the table's card-* rows. */
export const CARD_FLAGS = Object.fromEntries(
  OPTION_TABLE.map((row) => configKey(row.name)).filter((key) => key.length === 2).map(([, field]) => [field, `card-${field.replace(/_/g, '-')}`]),
) as Readonly<Record<CardField, string>>;
export type CardField = 'name' | 'description' | 'license' | 'language' | 'tags' | 'task_categories';
const CARD_LISTS: readonly CardField[] = ['language', 'tags', 'task_categories'];

/** Defaults of the options a command reads from the file: filled after the merge, so they never override the file. */
function defaultsOf(command: ConfigCommand): Record<string, unknown> {
  return Object.fromEntries(fileRowsOf(command).filter((row) => row.default !== undefined).map((row) => [camel(row.name), row.default]));
}

// ---------------------------------------------------------------------------
// Merging under the flags

/** A relative path of the config, resolved against its folder (kept as written when that is the working directory). */
export function configPath(config: Pick<Config, 'baseDir'>, file: string): string {
  // `-` is standard input, not a file beside the config; an s3:// URL is no path.
  return config.baseDir === '' || file === '-' || isS3Url(file) || isHubUrl(file) || path.isAbsolute(file) ? file : path.join(config.baseDir, file);
}

/** A comma list as the CLI takes it: `a, b` → ['a', 'b']. */
function commaList(value: unknown): unknown {
  return typeof value === 'string' ? value.split(',').map((part) => part.trim()) : value;
}

/** `split: {train: 0.8, test: 0.2}` → the CLI's `train=0.8,test=0.2` (and `tiers:` likewise). */
function splitText(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return Object.entries(value).map(([name, ratio]) => `${name}=${String(ratio)}`).join(',');
}

/** The arguments a config's values give a command, in the shapes the CLI parses (keys camelCase). */
function fileArgs(config: Config, command: ConfigCommand): Record<string, unknown> {
  const values = config.values;
  const args: Record<string, unknown> = {};
  for (const row of fileRowsOf(command)) {
    const key = configKey(row.name);
    // A field of card: (the card-* rows): the section is taken whole, once.
    if (key.length > 1) {
      if (values.card !== undefined && args.card === undefined) args.card = normalizeCard(values.card as Record<string, unknown>);
      continue;
    }
    const value = values[row.name];
    if (value === undefined) continue;
    const name = camel(row.name);
    switch (fileKeyOf(row)?.shape ?? 'value') {
      case 'paths':
        args[name] = ([] as string[]).concat(value as string | string[]).map((file) => configPath(config, file));
        break;
      case 'path':
        args[name] = configPath(config, value as string);
        break;
      case 'list':
        args[name] = Array.isArray(value) ? value.join(',') : value;
        break;
      case 'map':
        args[name] = splitText(value);
        break;
      case 'size':
        // As the CLI's check while parsing makes it: bytes.
        try {
          args[name] = row.check!(value, 'cli');
        } catch {
          throw errorAt(config, `/${row.name}`, `${row.name} must be a positive size such as 10MiB or 1000000, ${got(value)}`);
        }
        break;
      default:
        args[name] = value;
    }
  }
  const mapping = mappingSection(values);
  if (mapping) {
    const schema = mapping.input?.schema;
    args.mapping = typeof schema !== 'string' ? mapping : { ...mapping, input: { ...mapping.input, schema: configPath(config, schema) } };
  }
  if (values.formats !== undefined) {
    const formats = values.formats as FormatsSection;
    args.formats = Object.fromEntries(
      Object.entries(formats).map(([name, spec]) => [name, spec.module === undefined ? { ...spec } : { ...spec, module: configPath(config, spec.module) }]),
    );
  }
  if (values.segment !== undefined) args.segment = values.segment;
  return args;
}

/** Card metadata with its list fields as lists (a string is a comma list, as on the command line). */
export function normalizeCard(card: Record<string, unknown>): CardMeta {
  const normalized: Record<string, unknown> = {};
  for (const field of Object.keys(CARD_FLAGS) as CardField[]) {
    const value = card[field];
    if (value === undefined) continue;
    normalized[field] = CARD_LISTS.includes(field) ? ([] as unknown[]).concat(commaList(value)) : value;
  }
  return normalized as CardMeta;
}

/** The card flags typed on the command line (`--card-language sv,en`), checked as the file's `card:` would be. */
function cardFlags(cli: Record<string, unknown>): Record<string, unknown> | undefined {
  const card: Record<string, unknown> = {};
  for (const [field, flag] of Object.entries(CARD_FLAGS)) {
    const value = cli[camel(flag)];
    if (value !== undefined) card[field] = CARD_LISTS.includes(field as CardField) ? commaList(value) : value;
  }
  if (Object.keys(card).length === 0) return undefined;
  const error = configSchemaError({ card });
  if (error !== null) {
    const field = segments(error.pointer)[1];
    const flag = field && Object.hasOwn(CARD_FLAGS, field) ? `--${CARD_FLAGS[field as CardField]}` : '--card-*';
    // The message names the key as the file would (card.language[1]): here it is the flag's value.
    const message = error.message.replace(/^card\.[a-z_]+(\[\d+\])?/, flag);
    throw new QaHfError('ERR_OPTION', message);
  }
  return card;
}

/** The merged arguments of a command, which options came from the file, and the effective config. */
export interface Resolved {
  /** The command's arguments: flags, then the file, then defaults; plus card, mapping, formats, segment. */
  args: Record<string, unknown>;
  /** Keys (file spelling) whose value came from the file, not a flag. */
  fromFile: Set<string>;
  /**
   * What decides the output, as a config file would say it (file keys): the keys set by
   * the file or a flag, normalized by `normalizeEffective`. Paths as resolved
   * (relative to the working directory): the export makes them relative to --out.
   */
  effective: Record<string, unknown>;
}

/**
 * Merges a command's parsed flags (`cli`: yargs argv, undefined where not typed)
 * over the config's values, then fills the defaults. Runs the semantic checks.
 */
export function resolveArgs(command: ConfigCommand, cli: Record<string, unknown>, config: Config | null): Resolved {
  if (config) validateSemantics(config);
  const fromConfig = config ? fileArgs(config, command) : {};
  const args: Record<string, unknown> = {};
  const fromFile = new Set<string>();
  for (const [key, value] of Object.entries(cli)) if (value !== undefined && !key.includes('-')) args[key] = value;
  for (const [key, value] of Object.entries(fromConfig)) {
    if (key === 'card') continue;
    if (args[key] === undefined || (key === 'inputs' && Array.isArray(args.inputs) && args.inputs.length === 0)) {
      args[key] = value;
      fromFile.add(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
    }
  }
  // The card: field by field, a flag over the file's field.
  if (command === 'export') {
    const card = { ...((fromConfig.card as CardMeta | undefined) ?? {}), ...normalizeCard(cardFlags(cli) ?? {}) };
    if (Object.keys(card).length > 0) args.card = card;
    if (fromConfig.card) fromFile.add('card');
  }
  for (const key of Object.keys(CARD_FLAGS)) delete args[camel(CARD_FLAGS[key as CardField])];
  // No preset named: a mapping with columns is the config's own (`config`), a segment spec alone is mapped by
  // `segments` (lib/options.ts); mapping sections without columns (`keep: [id]`) extend the preset (lib/io/presets.ts).
  const ownMapping = (args.mapping as MappingSection | undefined)?.columns !== undefined || args.segment !== undefined;
  for (const [key, value] of Object.entries(defaultsOf(command))) if (args[key] === undefined && !(key === 'preset' && ownMapping)) args[key] = value;
  const effective: Record<string, unknown> = {};
  for (const key of OUTPUT_KEYS) {
    const name = MAPPING_KEYS.includes(key) ? undefined : camel(key);
    if (name !== undefined) {
      const set = cli[name] !== undefined || fromConfig[name] !== undefined || (key === 'card' && args.card !== undefined);
      if (set && args[name] !== undefined) effective[key] = args[name];
    }
  }
  const mapping = args.mapping as MappingSection | undefined;
  if (mapping) for (const key of MAPPING_KEYS) if ((mapping as Record<string, unknown>)[key] !== undefined) effective[key] = (mapping as Record<string, unknown>)[key];
  return { args, fromFile, effective };
}

/**
 * Runs `normalize` (an option normalizer of lib/options.ts) on merged arguments;
 * an error refusing an option (QaHfError.option: `min-score`) whose value came from
 * the file is placed at that key of the file.
 */
export function withConfigPositions<T>(config: Config | null, fromFile: ReadonlySet<string>, normalize: () => T): T {
  try {
    return normalize();
  } catch (err) {
    if (!config || !(err instanceof QaHfError) || err.line !== undefined) throw err;
    // A mapping error with its pointer (`/keep/0` of mapping sections that extend a preset), when the file has that key.
    const top = err.pointer === undefined ? undefined : segments(err.pointer)[0];
    if (top !== undefined && Object.hasOwn(config.values, top)) throw placeError(config, err);
    // Routed by the option the check names (QaHfError.option), never by its message.
    const named = err.option;
    if (named === undefined || !fromFile.has(named)) throw err;
    // The message names it as the flag (`--min-score must …`); at the file's key, as the key (`min-score must …`).
    const flag = `--${named}`;
    throw errorAt(config, `/${named}`, err.message.startsWith(flag) ? err.message.slice(2) : err.message, 'value', err.code);
  }
}

/**
 * The effective config in its final form for manifest.json (and so the options
 * hash): option values as the normalizers made them (`normalized`: the format list
 * in canonical order, the split as a map, sizes in bytes), paths through `relocate`.
 */
export function normalizeEffective(
  effective: Readonly<Record<string, unknown>>,
  normalized: Readonly<Record<string, unknown>>,
  relocate: (file: string) => string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(effective)) {
    if (key in normalized && normalized[key] !== undefined) out[key] = normalized[key];
    else if (key === 'input') {
      const input = value as { schema?: string | object };
      out.input = typeof input.schema !== 'string' ? input : { ...input, schema: relocate(input.schema) };
    } else out[key] = value;
  }
  if (out.formats !== undefined) {
    out.formats = Object.fromEntries(
      Object.entries(out.formats as FormatsSection).map(([name, spec]) => [name, spec.module === undefined ? spec : { ...spec, module: relocate(spec.module) }]),
    );
  }
  return out;
}
