/**
 * presets (I/O) — the presets shipped with the tool, one YAML config each in
 * presets/ (next to package.json), read synchronously once and kept.
 *
 * A preset file is a mapping (lib/input/mapping.ts) plus `name` and `description`;
 * `input.schema` may be a path, relative to the file, which is read here.
 * qa-internal is run by its hand-written map (lib/input/presets.ts); every other
 * preset travels as its `mapping`, plain data a worker compiles itself:
 *
 *   withPresetMapping({ preset: 'squad' })   // { preset: 'squad', mapping: {columns: …} }
 *   loadPreset('squad').pairColumns          // question, answer, context, answers, title, id
 *   builtinPresets().map((p) => p.yaml)      // what `qa-hf presets` lists
 */
import { type Config, placeError } from '../config';
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { QaHfError, configError, got } from '../errors';
import { MAPPING_KEYS, type MappingSpec, resolvePreset } from '../input/mapping';
import { PRESETS, PRESET_NAMES, type Preset } from '../input/presets';

export interface PresetFile {
  name: string;
  description: string;
  /** Absolute path of the YAML file. */
  file: string;
  /** The file's text, as `qa-hf presets` shows it. */
  yaml: string;
  /** The mapping, its `input.schema` loaded. */
  mapping: MappingSpec;
}

/** presets/ of this package: beside package.json, whether run from the sources or from dist/. */
export function presetsDirectory(): string {
  let dir = __dirname;
  for (let up = 0; up < 5; up++) {
    const candidate = path.join(dir, 'presets');
    if (existsSync(path.join(candidate, 'qa-internal.yaml'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new QaHfError('ERR_IO', `cannot find the presets folder above ${__dirname}`);
}

/**
 * A mapping whose `input.schema` is a path: the schema read (JSON) relative to
 * `baseDir`; ERR_CONFIG at /input/schema when it cannot be read or parsed.
 * Returns a new spec; `spec` is not changed.
 */
export function loadMappingSchema(spec: MappingSpec, baseDir: string): MappingSpec {
  const given = spec.input?.schema;
  if (typeof given !== 'string') return spec;
  const file = path.resolve(baseDir, given);
  let schema: unknown;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const { code } = err as NodeJS.ErrnoException;
    const reason = code === 'ENOENT' ? 'no such file or directory (ENOENT)' : code === 'EISDIR' ? 'a directory (EISDIR)' : code === 'EACCES' ? 'permission denied (EACCES)' : (err as Error).message.split('\n')[0];
    throw configError('/input/schema', `cannot read the schema ${given}: ${reason}`);
  }
  try {
    schema = JSON.parse(text);
  } catch (err) {
    throw configError('/input/schema', `the schema ${given} is not JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  return { ...spec, input: { ...spec.input, schema: schema as object } };
}

/** Reads one preset file: its name, description and mapping (checked by compiling it). */
export function readPresetFile(file: string): PresetFile {
  const yaml = readFileSync(file, 'utf8');
  let document: unknown;
  try {
    document = parseYaml(yaml);
  } catch (err) {
    throw new QaHfError('ERR_CONFIG', (err as Error).message.split('\n')[0], { file });
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    throw new QaHfError('ERR_CONFIG', `a preset file must be a mapping, ${got(document)}`, { file });
  }
  const { name, description, ...rest } = document as Record<string, unknown>;
  if (typeof name !== 'string' || typeof description !== 'string') {
    throw new QaHfError('ERR_CONFIG', `a preset file needs a name and a description, ${got({ name, description })}`, { file });
  }
  for (const key of Object.keys(rest)) {
    if (!MAPPING_KEYS.includes(key)) throw new QaHfError('ERR_CONFIG', `unknown key ${got(key)}`, { file, pointer: `/${key}` });
  }
  let mapping: MappingSpec;
  try {
    mapping = loadMappingSchema(rest as unknown as MappingSpec, path.dirname(file));
    resolvePreset({ preset: name, mapping }); // a bad spec fails here, naming the file
  } catch (err) {
    if (err instanceof QaHfError && err.code === 'ERR_CONFIG') throw new QaHfError('ERR_CONFIG', err.message, { file, pointer: err.pointer });
    throw err;
  }
  return { name, description, file, yaml, mapping };
}

let cached: readonly PresetFile[] | undefined;

/** The shipped presets, in PRESET_NAMES order; read once. */
export function builtinPresets(): readonly PresetFile[] {
  if (cached === undefined) {
    const dir = presetsDirectory();
    cached = PRESET_NAMES.map((name) => {
      const preset = readPresetFile(path.join(dir, `${name}.yaml`));
      if (preset.name !== name) throw new QaHfError('ERR_CONFIG', `preset file names ${got(preset.name)}`, { file: preset.file });
      return preset;
    });
  }
  return cached;
}

/** The mapping of a shipped preset that is not written in code; undefined for qa-internal (and unknown names). */
export function presetMapping(name: string): MappingSpec | undefined {
  if (Object.hasOwn(PRESETS, name)) return undefined;
  return builtinPresets().find((preset) => preset.name === name)?.mapping;
}

/**
 * Options naming a shipped mapped preset get its `mapping` (the same object on
 * every call); options that carry a mapping, or name a preset written in code,
 * are returned as they are. Never changes `options`.
 */
export function withPresetMapping<T extends { preset?: unknown; mapping?: MappingSpec }>(options: T): T & { mapping?: MappingSpec } {
  if (typeof options.preset !== 'string') return options;
  if (options.mapping !== undefined) return extendPreset(options, options.preset, options.mapping);
  const mapping = presetMapping(options.preset);
  return mapping === undefined ? options : { ...options, mapping };
}

/**
 * A mapping without `columns` (`keep: [id, model]` alone, or another `passed`) is
 * the named shipped preset's mapping (qa-internal's YAML too) with those sections
 * replaced; a mapping with columns is the whole mapping, as given.
 */
function extendPreset<T extends { mapping?: MappingSpec }>(options: T, preset: string, mapping: MappingSpec): T {
  if (!isPlainObject(mapping) || mapping.columns !== undefined) return options;
  const base = builtinPresets().find((file) => file.name === preset)?.mapping;
  return base === undefined ? options : { ...options, mapping: { ...base, ...mapping } };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A preset by name, shipped mapping or written in code (ERR_OPTION for an unknown name). */
export function loadPreset(name: string): Preset {
  return resolvePreset(withPresetMapping({ preset: name }));
}

/**
 * Args whose mapping (from a config) names its schema by path, with the schema read;
 * a path that cannot be read is ERR_CONFIG placed at the config's `input.schema`.
 */
export function withMappingSchema<T extends { mapping?: unknown }>(args: T, config: Config | null): T {
  if (args.mapping === undefined) return args;
  try {
    return { ...args, mapping: loadMappingSchema(args.mapping as MappingSpec, '') };
  } catch (err) {
    throw config ? placeError(config, err) : err;
  }
}
