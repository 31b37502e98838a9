/**
 * config-schema — the config file's JSON schema: the options part derived from the
 * option table (lib/option-table.ts: every row the file may set, by its key), and the
 * sections only a file holds, written here by hand: `card` (whose fields the
 * --card-* flags set too), the mapping (`input`, `columns`, `passed`, `failure_reason`,
 * `keep`), `formats` and `segment`. Pure data.
 *
 * schemas/config.schema.json is this schema as a file, for editors
 * (`npm run config-schema` writes it; test/option-table.test.ts proves it is current).
 *
 *   configSchema().properties['min-score'] // { description: '--min-score (export, report): …', type: 'number', … }
 */
import { CONFIG_COMMANDS, OPTION_TABLE, type OptionRow, configKey, describeFor, fileKeyOf } from './option-table';

/** The sections only a file holds, by key (the card's fields are also the --card-* flags). */
export const CONFIG_SECTIONS: Readonly<Record<string, Record<string, unknown>>> = {
  card: {
    description: "the dataset card's YAML header (README.md); also --card-name, --card-license, …",
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { description: 'pretty_name and the card\u2019s title', type: 'string', minLength: 1 },
      description: { description: 'the card\u2019s first paragraph (Markdown)', type: 'string', minLength: 1 },
      license: { description: 'a Hub license id: mit, apache-2.0, cc-by-4.0, other, …', type: 'string', pattern: '^[a-z0-9][a-z0-9.+-]*$' },
      language: {
        description: 'a language code, or several separated by commas: sv, en, swe',
        type: ['string', 'array'],
        pattern: '^[a-z]{2,3}(?:-[A-Za-z0-9]+)*(?:\\s*,\\s*[a-z]{2,3}(?:-[A-Za-z0-9]+)*)*$',
        minItems: 1,
        items: { description: 'a language code: sv, en, swe', type: 'string', pattern: '^[a-z]{2,3}(?:-[A-Za-z0-9]+)*$' },
      },
      tags: { description: 'free tags: one or a list', type: ['string', 'array'], minLength: 1, items: { type: 'string', minLength: 1 } },
      task_categories: {
        description: 'a Hub task category, or several separated by commas: question-answering, text-generation',
        type: ['string', 'array'],
        pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*(?:\\s*,\\s*[a-z0-9]+(?:-[a-z0-9]+)*)*$',
        minItems: 1,
        items: { description: 'a Hub task category: question-answering, text-generation', type: 'string', pattern: '^[a-z0-9]+(?:-[a-z0-9]+)*$' },
      },
    },
  },
  input: {
    description: 'mapping: what every input record must be',
    type: 'object',
    additionalProperties: false,
    properties: {
      schema: {
        description: 'the JSON Schema every record must match (ERR_SCHEMA): a file, relative to the config file, or the schema itself (as the shipped presets write it)',
        type: ['string', 'object'],
        minLength: 1,
      },
    },
  },
  columns: {
    description: 'mapping: the output columns in order; each a path, a template, or {path|template|jsonata, type, default}',
    type: 'object',
    minProperties: 1,
    propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
    additionalProperties: {
      type: ['string', 'object'],
      minLength: 1,
      additionalProperties: false,
      properties: {
        path: { type: 'string', minLength: 1 },
        template: { type: 'string', minLength: 1 },
        jsonata: { type: 'string', minLength: 1 },
        type: { enum: ['string', 'float', 'int', 'bool', 'list<string>', 'json'] },
        default: {},
      },
    },
  },
  passed: { description: 'mapping: the boolean path that says a record passed', type: 'string', minLength: 1 },
  failure_reason: { description: 'mapping: the path of a rejected record\u2019s reason', type: 'string', minLength: 1 },
  keep: { description: 'mapping: input fields carried through after the declared columns', type: 'array', items: { type: 'string', minLength: 1 } },
  formats: {
    description: 'output formats: built-in names with {} or custom ones with {module: ./file.mjs}',
    type: 'object',
    propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_-]*$' },
    additionalProperties: {
      type: 'object',
      additionalProperties: false,
      properties: { module: { description: 'a module exporting {name, columns, row}; relative to the config file', type: 'string', minLength: 1 } },
    },
  },
  segment: {
    description: 'cut records out of documents with regular expressions',
    type: 'object',
    additionalProperties: false,
    required: ['field'],
    properties: {
      field: { type: 'string', minLength: 1 },
      instruction: { type: ['string', 'array'], minLength: 1, minItems: 1, items: { type: 'string', minLength: 1 } },
      output: { type: ['string', 'array'], minLength: 1, minItems: 1, items: { type: 'string', minLength: 1 } },
      context: { enum: ['none', 'before'] },
      min_output_chars: { type: 'integer', minimum: 0 },
    },
  },
};

/** What a value's shape adds to its description. */
const SHAPE_NOTES: Record<string, string> = {
  path: '; a path relative to the config file',
  paths: '; a list of paths (or one), relative to the config file',
  list: '; a list, or the command line\u2019s comma-separated text',
  map: '; a map of name to number, or the command line\u2019s name=value,… text',
  size: '; bytes, or a size with a unit (10MiB)',
};

/** `--min-score (export, report): …`: the option, the commands that read it from the file, its help. */
function describeRow(row: OptionRow): string {
  const commands = row.commands.filter((command) => (CONFIG_COMMANDS as readonly string[]).includes(command));
  const where = row.global ? 'every command' : commands.map((command) => (command === 'pipe' ? 'pipe mode' : command)).join(', ');
  const shape = fileKeyOf(row)?.shape;
  return `--${row.name} (${where}): ${describeFor(row, commands[0] ?? row.commands[0])}${shape ? (SHAPE_NOTES[shape] ?? '') : ''}`;
}

/** The config file's JSON schema: the table's keys in its order, then the sections. */
export function configSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const row of OPTION_TABLE) {
    const file = fileKeyOf(row);
    const key = configKey(row.name);
    // A field of a section (the card's) is the hand-written section's; the table says which flag sets it.
    if (file === null || key.length > 1) continue;
    if (file.schema === undefined) throw new Error(`internal: option ${row.name} has no schema of its own`);
    properties[key[0]] = { description: describeRow(row), ...file.schema };
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/qa-hf/qa-hf/schemas/config.schema.json',
    title: 'qa-hf config file (qa-hf.yaml)',
    description:
      'Every option of every command by its long name (as --help spells it, without the dashes; the --card-* flags are the fields of card), plus the sections only a file can hold. Command-line flags override the file. Generated from lib/option-table.ts (npm run config-schema).',
    type: 'object',
    additionalProperties: false,
    properties: { ...properties, ...CONFIG_SECTIONS },
  };
}

/** The schema as schemas/config.schema.json holds it. */
export function configSchemaText(): string {
  return `${JSON.stringify(configSchema(), null, 2)}\n`;
}
