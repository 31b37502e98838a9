/**
 * lib/option-table.ts: every option of every command is one row, and what is derived
 * from it holds. In-process: the real parser (cli.ts buildParser, stopped by a check
 * before any command runs), the config file's pure functions and the options hash's
 * record (commands/export/index.ts).
 *   - the options yargs declares for each command are exactly the table's;
 *   - every option is accepted on the command line, and in the config file under the
 *     one spelling rule (or the row says why it is for the command line only);
 *   - the options hash changes exactly when the row says the option decides the output,
 *     in the parts of the record the row names; a file key gives the hash its flag gives;
 *   - schemas/config.schema.json is what the table derives.
 */
import { missingValueMessage } from '../lib/messages';
import { promises as fs, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { buildParser } from '../cli';
import { normalizedOptions, settleExport } from '../commands/export';
import { pushCommand } from '../commands/push';
import type { WritingArgs } from '../commands/export/files';
import { canonicalJson, hashJson } from '../lib/canonical-json';
import { type Config, parseConfigText } from '../lib/config';
import { CARD_FLAGS, OUTPUT_KEYS, resolveArgs } from '../lib/config-merge';
import { CONFIG_SECTIONS, configSchema, configSchemaText } from '../lib/config-schema';
import { QaHfError } from '../lib/errors';
import {
  COMMANDS,
  CONFIG_COMMANDS,
  type CommandName,
  type OptionRow,
  OPTION_TABLE,
  camel,
  configKey,
  fileKeyOf,
  rowsOf,
} from '../lib/option-table';
import { ROOT, planFor, thrown } from './helpers';
import { planRun } from '../lib/plan';
import { readPlanFiles } from '../lib/io/plan-files';

/** What the parser made of a command line, and the options yargs declared for its command. */
interface Parsed {
  argv: Record<string, unknown>;
  declared: { key: Record<string, boolean>; alias: Record<string, string[]> };
}

class Stop extends Error {
  constructor(readonly parsed: Parsed) {
    super('stopped before the command ran');
    this.name = 'Stop';
  }
}

/** Parses `args` with the real parser; a check after yargs' own validation stops it before the command's handler. */
async function parse(args: string[]): Promise<Parsed> {
  // yargs passes a check its options (`key`: every declared name) as the second argument.
  const stop = (argv: unknown, declared: unknown) => {
    throw new Stop({ argv: argv as Record<string, unknown>, declared: declared as Parsed['declared'] });
  };
  try {
    await buildParser(args).check(stop, true).parseAsync();
  } catch (err) {
    if (err instanceof Stop) return err.parsed;
    throw err;
  }
  throw new Error(`parsing ${args.join(' ')} ran no check`);
}

/** A value as typed on the command line (a positional's list) and as a config file says it. */
interface Example {
  cli: string | boolean | string[];
  /** The file's value; default: the CLI's. */
  file?: unknown;
  /** Options it needs to be accepted (or to show in the hash), the same on the command line and in the file. */
  with?: Record<string, string | number>;
  /** A value its check refuses; default `yes` (a switch) or `-1`. */
  bad?: string;
}

const INPUT = 'samples/qa_mixed.jsonl';
let tokenizer: string;
let evalSet: string;

/** One example per option (`command name` where two rows share a name): a row without one fails below. */
const EXAMPLES: Record<string, Example> = {
  config: { cli: 'other.yaml' },
  'fail-fast': { cli: true },
  quiet: { cli: true },
  preset: { cli: 'flat-qa' },
  workers: { cli: '2', file: 2 },
  'max-line-bytes': { cli: '1MiB' },
  'fail-on': { cli: 'pass_rate<0.5', file: ['pass_rate<0.5'] },
  language: { cli: 'en' },
  get tokenizer(): Example {
    return { cli: tokenizer, bad: '' };
  },
  get decontaminate(): Example {
    return { cli: evalSet, file: [evalSet], bad: '' };
  },
  get 'decontaminate-ngram'(): Example {
    return { cli: '8', file: 8, with: { decontaminate: evalSet } };
  },
  get 'decontaminate-fields'(): Example {
    return { cli: 'question', file: ['question'], with: { decontaminate: evalSet }, bad: '' };
  },
  pii: { cli: 'redact' },
  dedup: { cli: 'exact' },
  'near-threshold': { cli: '0.9', file: 0.9, with: { dedup: 'near' } },
  tiers: { cli: 'high=0.8', file: { high: 0.8 }, with: { format: 'jsonl,parquet' } },
  files: { cli: ['a.jsonl'] },
  rejected: { cli: 'rej.jsonl' },
  errors: { cli: 'err.jsonl' },
  report: { cli: 'report-dir' },
  inputs: { cli: ['samples/qa_passed.jsonl'] },
  'verify inputs': { cli: false },
  out: { cli: 'dist2' },
  force: { cli: true },
  'stage-dir': { cli: 'stage' },
  glob: { cli: '*.jsonl' },
  'dry-run': { cli: true },
  restart: { cli: true },
  progress: { cli: true },
  rank: { cli: '0', file: 0, with: { 'world-size': 2 } },
  'world-size': { cli: '2', file: 2 },
  merge: { cli: true, with: { rank: 0, 'world-size': 2 } },
  'checkpoint-bytes': { cli: '1000', file: 1000 },
  'checkpoint-ms': { cli: '1000', file: 1000 },
  'checkpoint-lines': { cli: '100', file: 100, with: { format: 'jsonl,parquet' } },
  format: { cli: 'parquet', file: ['parquet'] },
  split: { cli: 'train=0.5,test=0.5', file: { train: 0.5, test: 0.5 } },
  seed: { cli: '7', file: 7, with: { split: 'train=0.5,test=0.5' } },
  'split-key': { cli: 'answer', with: { split: 'train=0.5,test=0.5' } },
  'stratify-by': { cli: 'answer', with: { split: 'train=0.5,test=0.5' } },
  'partition-by': { cli: 'persona' },
  'max-partitions': { cli: '5', file: 5, with: { 'partition-by': 'persona' } },
  'max-shard-size': { cli: '1MB' },
  compress: { cli: 'gzip' },
  'compress-level': { cli: '9', file: 9, with: { compress: 'gzip' } },
  'min-score': { cli: '0.5', file: 0.5 },
  'min-chars': { cli: 'question=10,answer=20', file: { question: 10, answer: 20 } },
  'max-chars': { cli: 'answer=8000', file: { answer: 8000 } },
  'max-tokens': { cli: '1024', file: 1024, with: { tokenizer: path.join(ROOT, 'test', 'fixtures', 'chat-model') } },
  'system-prompt': { cli: 'Du är en assistent.', with: { format: 'messages' }, bad: '' },
  version: { cli: '1.0.0' },
  'target-samples': { cli: '10', file: 10 },
  'card-name': { cli: 'Vård', with: { format: 'jsonl,parquet' } },
  'card-description': { cli: 'Frågor och svar.', with: { format: 'jsonl,parquet' } },
  'card-license': { cli: 'mit', with: { format: 'jsonl,parquet' } },
  'card-language': { cli: 'sv', with: { format: 'jsonl,parquet' } },
  'card-tags': { cli: 'vård', with: { format: 'jsonl,parquet' } },
  'card-task-categories': { cli: 'question-answering', with: { format: 'jsonl,parquet' } },
  dir: { cli: 'dist' },
  repo: { cli: 'me/qa' },
  branch: { cli: 'dev' },
  pr: { cli: true },
  create: { cli: true },
  private: { cli: true },
  message: { cli: 'Add March' },
  'token-file': { cli: 'token.txt' },
  'hub-url': { cli: 'http://127.0.0.1:1' },
  name: { cli: 'squad' },
  debug: { cli: true },
  's3-url-style': { cli: 'path' },
};

function exampleOf(row: OptionRow, command: CommandName): Example {
  const example = EXAMPLES[`${command} ${row.name}`] ?? EXAMPLES[row.name];
  if (example === undefined) throw new Error(`test: no example of --${row.name} (add one to EXAMPLES)`);
  return example;
}

/** A command line: the command, its positionals, then its flags. */
function commandLine(command: CommandName, values: Record<string, unknown>): string[] {
  const positionals = new Set(rowsOf(command).filter((row) => row.positional).map((row) => row.name));
  const args: string[] = command === 'pipe' ? [] : [command];
  for (const [name, value] of Object.entries(values)) if (positionals.has(name)) args.push(...([] as string[]).concat(value as string));
  for (const [name, value] of Object.entries(values)) {
    if (positionals.has(name)) continue;
    args.push(...(value === true ? [`--${name}`] : value === false ? [`--no-${name}`] : [`--${name}`, String(value)]));
  }
  return args;
}

/** What a command needs on its command line whatever else is given. */
const REQUIRED: Partial<Record<CommandName, Record<string, unknown>>> = { merge: { dir: 'dist' }, verify: { dir: 'dist' }, push: { dir: 'dist' } };

/** A config file of these keys (file spelling; a card field inside card:). */
function configText(values: Record<string, unknown>): Config {
  const object: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const key = configKey(name);
    if (key.length === 1) object[key[0]] = value;
    else object.card = { ...(object.card as object), [key[1]]: value };
  }
  return parseConfigText(stringify(object), 'qa-hf.yaml', '');
}

beforeAll(async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-option-table-'));
  tokenizer = path.join(dir, 'tokenizer.json');
  const model = { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0, ja: 1 } };
  evalSet = path.join(dir, 'eval.jsonl');
  await fs.writeFile(evalSet, `${JSON.stringify({ question: 'Vad mäter NEWS2 hos en vuxen patient på en medicinsk vårdavdelning idag och varför?' })}\n`);
  await fs.writeFile(tokenizer, JSON.stringify({ version: '1.0', added_tokens: [], normalizer: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null, model }));
});

describe('the table', () => {
  test('a name is one row per command, and one key of the file: rows sharing a name leave the file to one of them', () => {
    for (const command of COMMANDS) {
      const names = rowsOf(command).map((row) => row.name);
      expect(names).toEqual([...new Set(names)]);
    }
    const keys = OPTION_TABLE.filter((row) => fileKeyOf(row) !== null).map((row) => configKey(row.name).join('.'));
    expect(keys).toEqual([...new Set(keys)]);
  });

  test('the effective config names the keys the file took before issue 16, in their order (so an export’s options hash stays)', () => {
    expect(OUTPUT_KEYS).toEqual([
      'preset', 'max-line-bytes', 'format', 'split', 'seed', 'split-key', 'stratify-by', 'partition-by', 'max-shard-size', 'compress',
      'compress-level', 'min-score', 'min-chars', 'max-chars', 'max-tokens', 'system-prompt', 'card', 'input', 'columns', 'passed', 'failure_reason', 'keep', 'formats', 'segment',
    ]);
    // A row recorded in the effective config says how it is normalized there (the card's fields: as merged).
    for (const row of OPTION_TABLE) {
      const effective = row.identity?.includes('config') === true && configKey(row.name).length === 1;
      expect([row.name, row.settled !== undefined]).toEqual([row.name, effective]);
    }
  });

  test('the card flags are exactly the fields of the card: section', () => {
    expect(Object.keys(CARD_FLAGS).sort()).toEqual(Object.keys((CONFIG_SECTIONS.card as { properties: object }).properties).sort());
  });

  test('every option a user types with a value has the example its missing-value message shows', () => {
    const valued = OPTION_TABLE.filter((row) => row.type !== 'boolean' && row.positional === undefined && row.hidden === undefined);
    expect(valued.filter((row) => row.example === undefined).map((row) => row.name)).toEqual([]);
    for (const row of valued) expect(missingValueMessage(row.name, row.commands[0])).toBe(`--${row.name} needs a value, e.g. --${row.name} ${row.example}`);
  });

  test('each check accepts the example and refuses a bad value with one line naming the option', () => {
    for (const row of OPTION_TABLE.filter((candidate) => candidate.check !== undefined)) {
      const example = exampleOf(row, row.commands[0]);
      // As yargs hands it over: a number option's text is a number.
      expect(() => row.check!(row.type === 'number' ? Number(example.cli) : example.cli, 'cli')).not.toThrow();
      const error = thrown(() => row.check!(example.bad ?? (row.type === 'boolean' ? 'yes' : '-1'), 'cli'));
      expect(error).toBeInstanceOf(QaHfError);
      expect(error.message.startsWith(`--${row.name} `)).toBe(true);
    }
  });
});

describe('yargs declares, for each command, exactly the table’s options', () => {
  test.each(COMMANDS)('%s', async (command) => {
    const { declared } = await parse(commandLine(command, REQUIRED[command] ?? {}));
    const aliases = new Set(Object.values(declared.alias).flat());
    // yargs' own --help, and --version where the command does not declare its own.
    const own = Object.keys(declared.key).filter((key) => !aliases.has(key) && key !== 'help' && !(key === 'version' && command !== 'export'));
    expect(own.sort()).toEqual(rowsOf(command).map((row) => row.name).sort());
    for (const row of rowsOf(command)) expect([row.name, declared.alias[row.name] ?? []]).toEqual([row.name, row.alias === undefined ? [] : [row.alias]]);
  });
});

describe('every option of every command is accepted on the command line and in the config file', () => {
  const cases = COMMANDS.flatMap((command) => rowsOf(command).map((row) => [command, row.name, row] as const));

  test.each(cases)('%s --%s', async (command, _name, row) => {
    const example = exampleOf(row, command);
    // The options it needs that this command has (pipe mode's --tiers needs no --format, having none).
    const needs = Object.fromEntries(Object.entries(example.with ?? {}).filter(([name]) => rowsOf(command).some((other) => other.name === name)));
    const { argv } = await parse(commandLine(command, { ...REQUIRED[command], ...needs, [row.name]: example.cli }));
    expect(argv[row.positional ? row.name : camel(row.name)]).toBeDefined();
    if (!(CONFIG_COMMANDS as readonly string[]).includes(command)) return;

    const file = fileKeyOf(row);
    if (file === null) {
      // For the command line only, with the reason: the file refuses the key, or the key is another command's (report's out, verify's inputs).
      expect('cliOnly' in row.file && row.file.cliOnly.length > 0).toBe(true);
      const other = OPTION_TABLE.find((candidate) => candidate.name === row.name && fileKeyOf(candidate) !== null);
      if (other === undefined) {
        expect(thrown(() => configText({ [row.name]: example.cli })).message).toMatch(/^unknown key /);
        return;
      }
      const otherExample = exampleOf(other, other.commands[0]);
      const config = configText({ [row.name]: otherExample.file ?? otherExample.cli });
      expect(resolveArgs(command as (typeof CONFIG_COMMANDS)[number], {}, config).fromFile.has(row.name)).toBe(false);
      return;
    }
    const config = configText({ ...needs, [row.name]: example.file ?? example.cli });
    if (file.ignoredBy?.commands.includes(command)) {
      // The key is another command's here (pipe mode's --tiers only refuses): left alone, for a reason.
      expect(file.ignoredBy.why.length).toBeGreaterThan(0);
      expect(resolveArgs(command as (typeof CONFIG_COMMANDS)[number], {}, config).fromFile.has(row.name)).toBe(false);
      return;
    }
    const { args, fromFile } = resolveArgs(command as (typeof CONFIG_COMMANDS)[number], {}, config);
    const key = configKey(row.name);
    expect(fromFile.has(key[0])).toBe(true);
    expect(key.length === 1 ? args[camel(row.name)] : (args.card as Record<string, unknown>)[key[1]]).toBeDefined();
  });
});

/** The options hash's record (manifest.json `options`) of an export with this command line, or this config file over it. */
async function exportRecord(values: Record<string, unknown>, config: Config | null = null): Promise<Record<string, unknown>> {
  const { argv } = await parse(commandLine('export', values));
  // --world-size without --rank: a scheduler's index makes the rank (a plan refuses the size alone).
  const given = (key: string) => values[key] !== undefined || config?.values[key] !== undefined;
  const vars = given('world-size') && !given('rank') ? { JOB_COMPLETION_INDEX: '0' } : {};
  const flags: Record<string, unknown> = { ...argv, inputs: argv.inputs ?? [] };
  const settled = await settleExport(planRun('export', flags, config, { vars, cwd: process.cwd() }, readPlanFiles(flags, config)));
  return normalizedOptions(settled.args as WritingArgs, settled.args.inputs, settled.plan, settled.report);
}

describe('the options hash changes exactly when the row says the option decides the output', () => {
  // The default options (the language check on): settling an export starts no language thread (test/language-thread.test.ts).
  const BASE: Record<string, unknown> = { inputs: [INPUT], out: 'dist' };
  const rows = rowsOf('export');

  test.each(rows.map((row) => [row.name, row] as const))('--%s', async (_name, row) => {
    const example = exampleOf(row, 'export');
    const base = await exportRecord({ ...BASE, ...example.with });
    const changed = await exportRecord({ ...BASE, ...example.with, [row.name]: example.cli });
    const parts = Object.keys({ ...base, ...changed }).filter((part) => canonicalJson(base[part]) !== canonicalJson(changed[part]));
    expect([row.name, hashJson(changed) !== hashJson(base)]).toEqual([row.name, row.identity !== undefined]);
    // Each part the row names changes; the effective config only for the options it names.
    for (const part of row.identity ?? []) expect([row.name, parts]).toEqual([row.name, expect.arrayContaining([part])]);
    if (!row.identity?.includes('config')) expect(parts).not.toContain('config');

    // The file's key gives the record its flag gives.
    if (fileKeyOf(row) === null) return;
    const flags: Record<string, unknown> = { ...BASE, ...example.with };
    delete flags[row.name];
    const fromFile = await exportRecord(flags, configText({ ...example.with, [row.name]: example.file ?? example.cli }));
    expect(canonicalJson(fromFile)).toBe(canonicalJson(changed));
  });
});

test('schemas/config.schema.json is the schema the table derives (npm run config-schema writes it)', () => {
  expect(readFileSync(path.join(ROOT, 'schemas', 'config.schema.json'), 'utf8')).toBe(configSchemaText());
});

test('the README’s options reference lists every key of the file and its flags, and the options for the command line only', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('#### Options reference'), readme.indexOf('#### The dataset card'));
  const rows = section.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split(' | '));
  const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
  const listed = rows.flatMap(([keys]) => names(keys));
  expect([...listed].sort()).toEqual(Object.keys(configSchema().properties as object).sort());
  for (const [keys, , flags] of rows) {
    for (const key of names(keys)) {
      const options = OPTION_TABLE.filter((row) => fileKeyOf(row) !== null && !row.positional && configKey(row.name)[0] === key);
      for (const row of options) expect([key, flags]).toEqual([key, expect.stringContaining(`--${row.name}`)]);
    }
  }
  const commandLineOnly = section.slice(section.indexOf('For the command line only'));
  for (const row of OPTION_TABLE.filter((candidate) => fileKeyOf(candidate) === null && !candidate.positional)) {
    expect([row.name, commandLineOnly]).toEqual([row.name, expect.stringContaining(`--${row.name}`)]);
  }
});

test('qa-hf push reads its own keys from the config file, a flag over each; never the token file, nor export\u2019s keys', async () => {
  const config = parseConfigText('repo: me/qa\nbranch: dev\npr: true\nhub-url: https://hub.example.org\nmessage: March\nformat: [jsonl]\nout: dist\n', 'qa-hf.yaml', 'conf');
  expect(planFor('push', { dir: 'dist' }, config).args).toEqual({
    dir: 'dist',
    repo: 'me/qa',
    branch: 'dev',
    pr: true,
    create: false,
    private: false,
    hubUrl: 'https://hub.example.org',
    message: 'March',
    dryRun: false,
    quiet: false,
  });
  expect(planFor('push', { dir: 'dist', repo: 'you/other', pr: false }, config).args).toMatchObject({ repo: 'you/other', pr: false, branch: 'dev' });
  expect(planFor('push', { dir: 'dist' }, null).args).toEqual({ dir: 'dist', pr: false, create: false, private: false, dryRun: false, quiet: false });
  await expect(pushCommand(planFor('push', { dir: 'dist' }, null).args)).rejects.toThrow('push needs --repo OWNER/NAME (or repo: in the config file): the dataset repo on the Hub');
  expect(thrown(() => parseConfigText('token-file: ~/.token\n', 'qa-hf.yaml', '')).toLine()).toMatch(/^qa-hf\.yaml:1:1: ERR_CONFIG: unknown key "token-file"/);
});

describe('qa-hf report reads the config as export does', () => {
  test('inputs and options from the file, the folder from the command line; a bad value placed in the file', () => {
    const config = parseConfigText('inputs: [qa/]\npii: redact\nsplit: {train: 0.5, test: 0.5}\nout: dist\n', 'qa-hf.yaml', 'conf');
    const resolveReport = (flags: Record<string, unknown>, given: Config | null) => planFor('report', flags, given).args;
    expect(resolveReport({ out: 'report' }, config)).toMatchObject({ inputs: ['conf/qa/'], pii: 'redact', split: 'train=0.5,test=0.5', out: 'report', quiet: false });
    const bad = parseConfigText('inputs: [qa/]\ntiers: {high: 0.8, low: 0.5}\n', 'qa-hf.yaml', '');
    expect(thrown(() => resolveReport({}, bad)).toLine()).toBe('qa-hf.yaml:2:8: ERR_OPTION: tiers must be NAME=MIN,… (low is the tier of the others), got "high=0.8,low=0.5"');
    expect(thrown(() => resolveReport({}, null)).toLine()).toBe('ERR_USAGE: report needs one or more inputs: name them, or list them under inputs: in the config file (see --help)');
  });

  test.each([['report', 'qa/'], ['merge', 'dist'], ['verify', 'dist'], ['push', 'dist']])('%s --config FILE that is missing: one ERR_CONFIG line', async (command, arg) => {
    const error = await buildParser([command, arg, '--config', 'no-such.yaml']).parseAsync().then(() => null, (err: unknown) => err as QaHfError);
    expect(error?.toLine()).toBe('ERR_CONFIG: cannot read --config no-such.yaml: no such file or directory (ENOENT)');
  });
});

test('every option error says which option it refuses (QaHfError.option, by optionError), so the config file line can be found by code', async () => {
  const { promises: fs } = await import('node:fs');
  const path = await import('node:path');
  const root = path.join(__dirname, '..');
  const unnamed: string[] = [];
  for (const dir of ['lib', 'streams', 'commands']) {
    for (const entry of await fs.readdir(path.join(root, dir), { recursive: true })) {
      if (!String(entry).endsWith('.ts')) continue;
      const file = path.join(dir, String(entry));
      const text = await fs.readFile(path.join(root, file), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (line.includes("new QaHfError('ERR_OPTION'")) unnamed.push(`${file}:${i + 1}`);
      });
    }
  }
  // The one left names the flag the user typed in the message itself: a --card-* flag's value.
  expect(unnamed.map((at) => at.replace(/:\d+$/, ''))).toEqual(['lib/config-merge.ts']);
});
