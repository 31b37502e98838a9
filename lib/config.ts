/**
 * config — the config file (`qa-hf.yaml`, or `--config FILE`) and the library's
 * config object: parsed with positions, validated by the schema lib/config-schema.ts
 * derives from the option table, merged under the command-line flags, and turned into
 * the arguments the commands take. Pure: the file is read by lib/io/config-file.ts.
 *
 * Keys are the options of every command (lib/option-table.ts) by their long names as
 * `--help` spells them, without the dashes (`min-score`, `max-line-bytes`; the
 * --card-* flags are the fields of `card:`); each command reads the keys it has
 * options for. Where the CLI takes a comma list the file takes a list
 * (`format: [jsonl, parquet]`) or a map (`split: {train: 0.8, test: 0.2}`), or the
 * CLI's text. Sections only a file holds: `card`, and the mapping (`input`, `columns`,
 * `passed`, `failure_reason`, `keep`), `formats` and `segment`, which are checked for
 * their structure here and handed on as plain data (args.mapping, args.formats,
 * args.segment) to the modules that give them meaning.
 *
 * A bad config is one ERR_CONFIG line naming the file, line and column of the value
 * (of the key, for an unknown key): `qa-hf.yaml:3:1: ERR_CONFIG: unknown key "fromat"; did you mean "format"?`.
 * A value the option normalizers refuse (lib/options.ts, lib/hub.ts) is placed the
 * same way when it came from the file. A flag typed on the command line wins over
 * the file; defaults never do.
 *
 *   const config = parseConfigText('format: [jsonl, parquet]\n', 'qa-hf.yaml', '');
 *   resolveArgs('export', { inputs: ['qa/'], out: 'dist' }, config).format // 'jsonl,parquet'
 */
import { isS3Url } from './s3-url';
import { isHubUrl } from './hub-push-url';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLError } from 'yaml';
import { configSchema } from './config-schema';
import type { CardMeta } from './card';
import { QaHfError, got, type ErrorCode } from './errors';
import { compileMapping, type MappingSpec } from './mapping';
import { compileSegmenter, type SegmentSpec } from './segment';
import { type ConfigCommand, type OptionRow, OPTION_TABLE, camel, configKey, fileKeyOf, fileRowsOf } from './option-table';

export { CONFIG_FILE } from './option-table';

/** A 1-based line and column. */
export interface ConfigPosition {
  line: number;
  column: number;
}

/** A validated config: its values as parsed (file keys) and where each one is. */
export interface Config {
  /** The file as the user named it; undefined for the library's config object. */
  file?: string;
  /**
   * The folder relative paths in the config resolve against, relative to the working
   * directory ('' when it is the working directory: paths are then kept as written).
   */
  baseDir: string;
  values: Readonly<Record<string, unknown>>;
  /** Where the node at a JSON pointer is (the nearest existing ancestor); undefined without a file. */
  locate(pointer: string, at?: 'key' | 'value'): ConfigPosition | undefined;
}

// ---------------------------------------------------------------------------
// Keys: derived from the option table (lib/option-table.ts)

/** The mapping sections, handed on together as args.mapping. */
export const MAPPING_KEYS = ['input', 'columns', 'passed', 'failure_reason', 'keep'] as const;

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

/** The mapping sections as plain data (lib/mapping.ts compiles them). */
export interface MappingSection {
  input?: { schema?: string | object };
  columns?: Record<string, unknown>;
  passed?: string;
  failure_reason?: string;
  keep?: string[];
}

/** `formats:`: output formats by name, custom ones with a module path. */
export type FormatsSection = Record<string, { module?: string }>;

/** `segment:` as plain data. */
export interface SegmentSection {
  field: string;
  instruction?: string | string[];
  output?: string | string[];
  context?: 'none' | 'before';
  min_output_chars?: number;
}

/** Defaults of the options a command reads from the file: filled after the merge, so they never override the file. */
function defaultsOf(command: ConfigCommand): Record<string, unknown> {
  return Object.fromEntries(fileRowsOf(command).filter((row) => row.default !== undefined).map((row) => [camel(row.name), row.default]));
}

// ---------------------------------------------------------------------------
// Parsing and validation

const CONFIG_SCHEMA = configSchema();
/**
 * The config schema's validator, compiled on first use: ~130 ms of CPU that every CLI start
 * paid at import, though most runs read no config file and set no card flag.
 */
let configValidator: ValidateFunction | undefined;
function validateSchema(): ValidateFunction {
  configValidator ??= new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true, strict: true }).compile(CONFIG_SCHEMA);
  return configValidator;
}
const TOP_KEYS = Object.keys(CONFIG_SCHEMA.properties as object);

/** JSON pointer segments (RFC 6901). */
function segments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `/card/language/0` → `card.language[0]`: how a message names a value. */
export function keyPath(pointer: string): string {
  let text = '';
  for (const part of segments(pointer)) text += /^\d+$/.test(part) ? `[${part}]` : text === '' ? part : `.${part}`;
  return text || 'the config';
}

function yamlLocator(doc: Document, lines: LineCounter): Config['locate'] {
  return (pointer, at = 'value') => {
    let node: unknown = doc.contents;
    let offset = (node as Node | null)?.range?.[0] ?? 0;
    // A segment the file lacks is placed at the key of the node that lacks it.
    let keyOffset = 0;
    const parts = segments(pointer);
    for (const [i, part] of parts.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === part);
        if (!pair) {
          offset = keyOffset;
          break;
        }
        keyOffset = (pair.key as Node).range?.[0] ?? keyOffset;
        if (i === parts.length - 1 && at === 'key') {
          offset = keyOffset;
          break;
        }
        node = pair.value;
      } else if (isSeq(node) && /^\d+$/.test(part) && node.items[Number(part)] !== undefined) {
        node = node.items[Number(part)];
      } else {
        offset = keyOffset;
        break;
      }
      offset = (node as Node | null)?.range?.[0] ?? keyOffset;
    }
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
}

/** An ERR_CONFIG (or other) error at a JSON pointer of the config: file:line:column, or the key path without a file. */
export function configError(config: Pick<Config, 'file' | 'locate'>, pointer: string, message: string, at: 'key' | 'value' = 'value', code: ErrorCode = 'ERR_CONFIG'): QaHfError {
  const position = config.locate(pointer, at);
  if (config.file === undefined || position === undefined) {
    const key = keyPath(pointer);
    return new QaHfError(code, `config ${message.startsWith(`${key} `) ? message : `${key}: ${message}`}`);
  }
  return new QaHfError(code, message, { file: config.file, line: position.line, column: position.column });
}

/** A key the user may have meant: the kebab-case of a camelCase or snake_case key, or a one-letter slip. */
function suggestion(key: string, known: readonly string[]): string | undefined {
  const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-');
  const candidates = [kebab, key.replace(/-/g, '_')];
  for (const candidate of candidates) if (candidate !== key && known.includes(candidate)) return candidate;
  if (known.length === 0) return undefined;
  // The nearest known key, when a typo away: one edit for short keys, two from five characters.
  const near = closest(key, [...known]);
  return distance(near, key) <= (key.length >= 5 ? 2 : 1) ? near : undefined;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  array: 'a list',
  object: 'a map',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

/** The one-line message of the first schema error, and where it points. */
function describeSchemaError(error: ErrorObject): { pointer: string; at: 'key' | 'value'; message: string } {
  const where = keyPath(error.instancePath);
  const value = error.data;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as { additionalProperty: string }).additionalProperty;
      const pointer = `${error.instancePath}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const near = suggestion(key, error.instancePath === '' ? TOP_KEYS : known);
      const hint = near ? `; did you mean ${JSON.stringify(near)}?` : error.instancePath === '' ? ' (see "The config file" in the README)' : ` (known: ${known.join(', ')})`;
      return { pointer, at: 'key', message: `unknown key ${JSON.stringify(key)}${error.instancePath === '' ? '' : ` in ${where}`}${hint}` };
    }
    case 'type': {
      const types = ([] as string[]).concat((error.params as { type: string | string[] }).type);
      return { pointer: error.instancePath, at: 'value', message: `${where} must be ${types.map((type) => TYPE_WORDS[type] ?? type).join(' or ')}, ${got(value)}` };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      return { pointer: error.instancePath, at: 'value', message: `${where} must be one of ${allowed.join(', ')}, ${got(value)}` };
    }
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return { pointer: error.instancePath, at: 'key', message: `${where} needs ${JSON.stringify(missing)}` };
    }
    case 'propertyNames': {
      const name = (error.params as { propertyName: string }).propertyName;
      return { pointer: `${error.instancePath}/${name}`, at: 'key', message: `${where} has a bad name ${JSON.stringify(name)}: letters, digits, _ (and - in format names), starting with a letter` };
    }
    case 'pattern': {
      const description = (error.parentSchema as { description?: string }).description;
      return { pointer: error.instancePath, at: 'value', message: `${where} is not valid${description ? ` (expected ${description})` : ''}, ${got(value)}` };
    }
    default:
      return { pointer: error.instancePath, at: 'value', message: `${where} ${error.message ?? 'is not valid'}, ${got(value)}` };
  }
}

function checkSchema(config: Config): void {
  const validate = validateSchema();
  if (validate(config.values)) return;
  const error = validate.errors![0];
  // propertyNames reports the failing name's own error first; its parent error names the key.
  const described = describeSchemaError(error);
  throw configError(config, described.pointer, described.message, described.at);
}

/**
 * Where and how to name the first YAML syntax error. A line indented deeper than
 * its siblings (`  train: 0.9` then `   test: 0.1`) makes the `yaml` library read
 * the line above's value as the start of a multi-line key and place the error at
 * that value (BLOCK_AS_IMPLICIT_KEY, "Nested mappings are not allowed in compact
 * mappings"); the mistake is the deeper line, where that key's range ends: the
 * error goes to its first character, with words that say what to do.
 */
function placeSyntaxError(errors: readonly YAMLError[], text: string): { offset: number; message: string } {
  const first = errors[0];
  if (first.code === 'MULTIPLE_DOCS') return { offset: first.pos[0], message: 'a config file holds one YAML document (a second --- starts another)' };
  const multiline = errors.find((error) => error.code === 'MULTILINE_IMPLICIT_KEY');
  if ((first.code === 'BLOCK_AS_IMPLICIT_KEY' || first.code === 'MULTILINE_IMPLICIT_KEY') && multiline) {
    const lineEnd = text.indexOf('\n', multiline.pos[0]);
    if (lineEnd !== -1 && lineEnd < multiline.pos[1]) {
      const deeper = lineEnd + 1 + (/^[ \t]*/.exec(text.slice(lineEnd + 1))?.[0].length ?? 0);
      return { offset: deeper, message: 'this line is indented deeper than the key above it: indent it like the keys beside it' };
    }
  }
  return { offset: first.pos[0], message: first.message.split('\n')[0] };
}

/**
 * Parses and validates a config file's text. `file` names it in messages;
 * `baseDir` is its folder relative to the working directory ('' for the working directory).
 */
export function parseConfigText(text: string, file: string, baseDir: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const locate = yamlLocator(doc, lines);
  const syntax = doc.errors[0];
  if (syntax) {
    const { offset, message } = placeSyntaxError(doc.errors, text);
    const { line, col } = lines.linePos(offset);
    throw new QaHfError('ERR_CONFIG', `YAML: ${message}`, { file, line, column: col });
  }
  const values = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Record<string, unknown>;
  const config: Config = { file, baseDir, values, locate };
  checkSchema(config);
  return config;
}

/** The library's config object (the same keys as the file), validated; its messages name the key. */
export function configFromObject(value: unknown, baseDir = ''): Config {
  const values = value === undefined ? {} : value;
  const config: Config = { baseDir, values: values as Record<string, unknown>, locate: () => undefined };
  checkSchema(config);
  // Copied, so the caller's object is never changed (nor read again later).
  return { ...config, values: structuredClone(values) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------
// Semantic checks: what a schema cannot say (a JSONata expression compiles, a regex is valid)

/** A check of the config's values; an error carrying a JSON `pointer` is placed at that node. */
export type SemanticCheck = (values: Readonly<Record<string, unknown>>) => void;

/**
 * The semantic checks every config goes through after the schema: the mapping is
 * compiled (bad paths, templates, JSONata, types) and the segment patterns too; their
 * errors carry the JSON pointer of the bad node, placed here at file:line:column.
 * A schema named by path is read later (lib/io/presets.ts loadMappingSchema).
 */
export const SEMANTIC_CHECKS: SemanticCheck[] = [
  (values) => {
    const section = mappingSection(values);
    // Sections without columns extend the named preset's mapping (lib/io/presets.ts), compiled there.
    if (section?.columns === undefined) return;
    const input = typeof section.input?.schema === 'string' ? {} : section.input;
    compileMapping({ ...section, input } as MappingSpec, 'config');
  },
  (values) => {
    if (values.segment !== undefined) compileSegmenter(values.segment as SegmentSpec);
  },
];

/** An error thrown with a JSON `pointer` property (`/columns/answer/jsonata`), placed at file:line:column. */
export function placeError(config: Config, err: unknown): unknown {
  const pointer = (err as { pointer?: unknown } | null)?.pointer;
  if (!(err instanceof QaHfError) || typeof pointer !== 'string') return err;
  return configError(config, pointer, err.message, 'value', err.code);
}

/** Runs `checks` on the config's values; the first failure is placed (placeError) and thrown. */
export function validateSemantics(config: Config, checks: readonly SemanticCheck[] = SEMANTIC_CHECKS): void {
  for (const check of checks) {
    try {
      check(config.values);
    } catch (err) {
      throw placeError(config, err);
    }
  }
}

// ---------------------------------------------------------------------------
// Merging under the flags

/** A relative path of the config, resolved against its folder (kept as written when that is the working directory). */
export function configPath(config: Pick<Config, 'baseDir'>, file: string): string {
  // `-` is standard input, not a file beside the config; an s3:// or hf:// URL is no path.
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

/** The mapping sections of a config's values, or undefined when it has none. */
export function mappingSection(values: Readonly<Record<string, unknown>>): MappingSection | undefined {
  const present = MAPPING_KEYS.filter((key) => values[key] !== undefined);
  if (present.length === 0) return undefined;
  return Object.fromEntries(present.map((key) => [key, values[key]])) as MappingSection;
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
          throw configError(config, `/${row.name}`, `${row.name} must be a positive size such as 10MiB or 1000000, ${got(value)}`);
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
  const validate = validateSchema();
  if (!validate({ card })) {
    const error = validate.errors![0];
    const field = segments(error.instancePath)[1];
    const flag = field && Object.hasOwn(CARD_FLAGS, field) ? `--${CARD_FLAGS[field as CardField]}` : '--card-*';
    const message = describeSchemaError(error).message.replace(/^card\.[a-z_]+(\[\d+\])?/, flag);
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
    const name = MAPPING_KEYS.includes(key as (typeof MAPPING_KEYS)[number]) ? undefined : camel(key);
    if (name !== undefined) {
      const set = cli[name] !== undefined || fromConfig[name] !== undefined || (key === 'card' && args.card !== undefined);
      if (set && args[name] !== undefined) effective[key] = args[name];
    }
  }
  const mapping = args.mapping as MappingSection | undefined;
  if (mapping) for (const key of MAPPING_KEYS) if (mapping[key] !== undefined) effective[key] = mapping[key];
  return { args, fromFile, effective };
}

/**
 * Runs `normalize` (an option normalizer of lib/options.ts) on merged arguments;
 * an error naming an option (`--min-score must …`) whose value came from the
 * file is placed at that key of the file.
 */
export function withConfigPositions<T>(config: Config | null, fromFile: ReadonlySet<string>, normalize: () => T): T {
  try {
    return normalize();
  } catch (err) {
    if (!config || !(err instanceof QaHfError) || err.line !== undefined) throw err;
    // A mapping error with its pointer (`/keep/0` of mapping sections that extend a preset), when the file has that key.
    const top = err.pointer === undefined ? undefined : segments(err.pointer)[0];
    if (top !== undefined && Object.hasOwn(config.values, top)) throw placeError(config, err);
    const named = /^--([a-z][a-z-]*)/.exec(err.message)?.[1];
    if (named === undefined || !fromFile.has(named)) throw err;
    throw configError(config, `/${named}`, err.message.replace(/^--/, ''), 'value', err.code);
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
