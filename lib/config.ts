/**
 * config — the config file (`qa-hf.yaml`, or `--config FILE`) and the library's
 * config object: parsed with positions, validated by the schema lib/config-schema.ts
 * derives from the option table, and its semantic checks (a mapping compiles, a
 * segment pattern is valid). Pure: the file is read by lib/io/config-file.ts; the
 * merge under the command-line flags is lib/config-merge.ts.
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
 *
 *   const config = parseConfigText('format: [jsonl, parquet]\n', 'qa-hf.yaml', '');
 *   config.values.format // ['jsonl', 'parquet']
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLError } from 'yaml';
import { configSchema } from './config-schema';
import { QaHfError, got, type ErrorCode } from './errors';
import { MAPPING_KEYS, compileMapping, type MappingSpec } from './input/mapping';
import { compileSegmenter, type SegmentSpec } from './input/segment';
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


/** The mapping sections as plain data (lib/input/mapping.ts compiles them). */
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

// ---------------------------------------------------------------------------
// Parsing and validation

const CONFIG_SCHEMA = configSchema();
/**
 * The config schema's validator, compiled on first use: ~130 ms of CPU that every CLI start
 * paid at import, though most runs read no config file and set no card flag.
 */
let configValidator: ValidateFunction | undefined;
function validateSchema(): ValidateFunction {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- ajv loaded with the first config file (~0.05 s a start otherwise)
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  configValidator ??= new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true, strict: true }).compile(CONFIG_SCHEMA);
  return configValidator;
}
const TOP_KEYS = Object.keys(CONFIG_SCHEMA.properties as object);

/** JSON pointer segments (RFC 6901). */
export function segments(pointer: string): string[] {
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
export function errorAt(config: Pick<Config, 'file' | 'locate'>, pointer: string, message: string, at: 'key' | 'value' = 'value', code: ErrorCode = 'ERR_CONFIG'): QaHfError {
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

/** The first schema error of `values` (a config's, or a part such as `{ card }`), described; null when valid. */
export function configSchemaError(values: unknown): { pointer: string; at: 'key' | 'value'; message: string } | null {
  const validate = validateSchema();
  return validate(values) ? null : describeSchemaError(validate.errors![0]);
}

function checkSchema(config: Config): void {
  const described = configSchemaError(config.values);
  if (described !== null) throw errorAt(config, described.pointer, described.message, described.at);
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
  return errorAt(config, pointer, err.message, 'value', err.code);
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

/** The mapping sections of a config's values, or undefined when it has none. */
export function mappingSection(values: Readonly<Record<string, unknown>>): MappingSection | undefined {
  const present = MAPPING_KEYS.filter((key) => values[key] !== undefined);
  if (present.length === 0) return undefined;
  return Object.fromEntries(present.map((key) => [key, values[key]])) as MappingSection;
}
