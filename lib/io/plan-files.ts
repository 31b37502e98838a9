/**
 * plan-files — what is read before a run is planned (lib/plan.ts takes it as data):
 * the named shipped preset's mapping, when the plan needs it (a mapped preset, or
 * the config's mapping sections that extend a preset), and the schema file a config
 * mapping names by path (`input: {schema: qa.schema.json}`; a path that cannot be
 * read or parsed is ERR_CONFIG placed at the file's `input.schema`).
 *
 *   planRun('export', flags, config, env, readPlanFiles(flags, config))
 *
 * The library's callers may pass a mapping as a flag (`{ mapping: {…} }`): its
 * schema path, relative to the working directory, is read the same way.
 */
import { type Config, mappingSection, validateSemantics } from '../config';
import { configPath } from '../config-merge';
import type { MappingSpec } from '../input/mapping';
import type { PlanFiles } from '../plan';
import { DEFAULT_PRESET, PRESETS, PRESET_NAMES } from '../input/presets';
import { builtinPresets, loadMappingSchema, withMappingSchema } from './presets';

/** The files the plan of a run with these flags (`preset`, `mapping`: else the config's) and `config` needs. */
export function readPlanFiles(flags: { preset?: unknown; mapping?: unknown }, config: Config | null): PlanFiles {
  const own = flags.mapping as MappingSpec | undefined;
  const section = own ?? (config ? mappingSection(config.values) : undefined);
  const name = flags.preset ?? config?.values.preset ?? DEFAULT_PRESET;
  // A preset written in code has no mapping of its own, unless mapping sections without columns extend its YAML.
  const needed = typeof name === 'string' && PRESET_NAMES.includes(name) && (!Object.hasOwn(PRESETS, name) || (section !== undefined && section.columns === undefined));
  const presets: Record<string, MappingSpec> = needed ? { [name]: builtinPresets().find((file) => file.name === name)!.mapping } : {};
  const schema = section?.input?.schema;
  if (typeof schema !== 'string') return { presets };
  if (own !== undefined || config === null) return { presets, mappingSchema: loadMappingSchema(own!, '').input!.schema as object };
  // The mapping's own errors first, as the merge finds them (lib/config-merge.ts resolveArgs).
  validateSemantics(config);
  const named = { mapping: { ...section, input: { ...section!.input, schema: configPath(config, schema) } } as MappingSpec };
  return { presets, mappingSchema: withMappingSchema(named, config).mapping.input!.schema as object };
}
