/**
 * examples/: every file a user copies parses (YAML with the yaml package, JSON,
 * the shell script with `bash -n`), and every `qa-hf …` command in them names a
 * subcommand and options the built CLI has (read from its own `--help`), with
 * --fail-on rules and --format lists its normalizers accept. Commands are found
 * in YAML and JSON arrays (`[qa-hf, export, …]`) and in shell text (`run:`,
 * `sh -c`, `sbatch --wrap "…"`), continuation lines joined.
 */
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { parseFormatList } from '../lib/dataset/formats';
import { parseThresholds } from '../lib/quality/thresholds';
import { CLI, ROOT, runCli } from './helpers';

const run = promisify(execFile);
const EXAMPLES = path.join(ROOT, 'examples');

/** Splits shell text into words: quotes removed (a quoted string is one word), `\`-newlines joined, comments dropped. */
function shellWords(text: string): string[][] {
  const lines: string[][] = [];
  for (const line of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    const words: string[] = [];
    let word: string | null = null;
    let quote: '"' | "'" | null = null;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quote) {
        if (c === quote) quote = null;
        else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
        else word += c;
      } else if (c === '"' || c === "'") {
        quote = c;
        word ??= '';
      } else if (/\s/.test(c)) {
        if (word !== null) words.push(word);
        word = null;
      } else if (c === '#' && word === null) {
        break;
      } else word = (word ?? '') + c;
    }
    if (word !== null) words.push(word);
    if (words.length > 0) lines.push(words);
  }
  return lines;
}

const SEPARATORS = new Set(['&&', '||', ';', '|', ')', '\\']);

/** The `qa-hf` commands in shell text (a quoted word holding one is searched too), each as its words after `qa-hf`. */
function commandsInShell(text: string): string[][] {
  const commands: string[][] = [];
  for (const words of shellWords(text)) {
    for (let i = 0; i < words.length; i++) {
      if (words[i] === 'qa-hf') {
        const end = words.findIndex((word, j) => j > i && SEPARATORS.has(word));
        commands.push(words.slice(i + 1, end < 0 ? words.length : end));
      } else if (/(^|\s)qa-hf\s/.test(words[i])) commands.push(...commandsInShell(words[i]));
    }
  }
  return commands;
}

/** The commands in parsed YAML or JSON: arrays starting with `qa-hf`, and shell text in strings. */
function commandsInValue(value: unknown): string[][] {
  if (typeof value === 'string') return /(^|\s)qa-hf\s/.test(value) ? commandsInShell(value) : [];
  if (Array.isArray(value)) {
    if (value[0] === 'qa-hf' && value.every((item) => typeof item === 'string')) return [value.slice(1) as string[]];
    return value.flatMap(commandsInValue);
  }
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(commandsInValue);
  return [];
}

interface Cli {
  commands: Set<string>;
  options: Map<string, Set<string>>;
}

/** Option names in `--help` text: `  -q, --quiet` and `      --debug` lines. */
function helpOptions(help: string): Set<string> {
  const names = new Set<string>();
  for (const match of help.matchAll(/^ {2}(?:(-\w), | {4})(--[a-z][a-z0-9-]*)/gm)) {
    if (match[1]) names.add(match[1]);
    names.add(match[2]);
  }
  return names;
}

async function readCli(): Promise<Cli> {
  const help = async (args: string[]) => (await run(process.execPath, [CLI, ...args, '--help'])).stdout;
  const root = await help([]);
  const commands = new Set([...root.matchAll(/^ {2}qa-hf ([a-z]+)\b/gm)].map((match) => match[1]));
  // '' stands for `qa-hf --help` and the like: the options of no command.
  const options = new Map<string, Set<string>>([['', helpOptions(root)]]);
  for (const command of commands) options.set(command, helpOptions(await help([command])));
  return { commands, options };
}

/** What is wrong with one command line (words after `qa-hf`): [] when the CLI takes it. */
function problems(cli: Cli, words: string[]): string[] {
  const [command, ...rest] = words[0]?.startsWith('-') ? ['', ...words] : words;
  if (command !== '' && !cli.commands.has(command)) return [`no command ${JSON.stringify(command)}`];
  const known = cli.options.get(command)!;
  const found: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i];
    if (!/^--?[a-z]/.test(word)) continue;
    const name = word.split('=')[0];
    const bare = name.startsWith('--no-') ? `--${name.slice(5)}` : name;
    if (!known.has(name) && !known.has(bare)) found.push(`${command}: no option ${name}`);
    const value = word.includes('=') ? word.slice(word.indexOf('=') + 1) : rest[i + 1];
    try {
      if (name === '--fail-on') parseThresholds(value, '--fail-on');
      if (name === '--format') parseFormatList(value);
    } catch (err) {
      found.push(`${command} ${name} ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  }
  return found;
}

const FILES = {
  'k8s-indexed-job.yaml': 'yaml',
  'slurm-array.sh': 'shell',
  'aws-batch.json': 'json',
  'github-actions.yml': 'yaml',
} as const;

async function commandsOf(name: keyof typeof FILES): Promise<string[][]> {
  const text = await fs.readFile(path.join(EXAMPLES, name), 'utf8');
  switch (FILES[name]) {
    case 'yaml':
      return parseAllDocuments(text).flatMap((document) => {
        if (!('errors' in document) || document.errors.length > 0) throw new Error(`${name}: ${'errors' in document ? document.errors[0].message : 'no YAML'}`);
        return commandsInValue(document.toJS());
      });
    case 'json':
      return commandsInValue(JSON.parse(text));
    case 'shell':
      return commandsInShell(text);
  }
}

let cli: Cli;

beforeAll(async () => {
  cli = await readCli();
});

test('the folder holds exactly these examples', async () => {
  expect((await fs.readdir(EXAMPLES)).sort()).toEqual(Object.keys(FILES).sort());
});

test.each(Object.keys(FILES) as Array<keyof typeof FILES>)('%s parses, and every qa-hf command in it is one the CLI takes', async (name) => {
  const commands = await commandsOf(name);
  expect(commands.length).toBeGreaterThan(0);
  expect(commands.flatMap((words) => problems(cli, words))).toEqual([]);
});

test('the shell script passes bash -n and is executable', async () => {
  const script = path.join(EXAMPLES, 'slurm-array.sh');
  await expect(run('bash', ['-n', script])).resolves.toBeDefined();
  expect((await fs.stat(script)).mode & 0o111).not.toBe(0);
});

test.each([
  ['k8s-indexed-job.yaml', ['export', 'merge', 'verify']],
  ['slurm-array.sh', ['export', 'merge', 'verify']],
  ['aws-batch.json', ['--help', 'export', 'merge', 'verify']],
  ['github-actions.yml', ['export', 'verify']],
] as const)('%s runs %j', async (name, expected) => {
  expect((await commandsOf(name)).map((words) => words[0])).toEqual(expected);
});

describe('what each example says', () => {
  test('the Kubernetes Indexed Job: --world-size equals completions, the merge is a Job of its own', async () => {
    const [exportJob, mergeJob] = parseAllDocuments(await fs.readFile(path.join(EXAMPLES, 'k8s-indexed-job.yaml'), 'utf8')).map((document) => document.toJS());
    expect(exportJob.spec.completionMode).toBe('Indexed');
    const command: string[] = exportJob.spec.template.spec.containers[0].command;
    expect(command[command.indexOf('--world-size') + 1]).toBe(String(exportJob.spec.completions));
    expect(mergeJob.kind).toBe('Job');
  });

  test('the Slurm script: an array of N tasks and a merge after all of them (afterok)', async () => {
    const text = await fs.readFile(path.join(EXAMPLES, 'slurm-array.sh'), 'utf8');
    expect(text).toContain('--array="0-$((N - 1))"');
    expect(text).toContain('--dependency="afterok:${array_job}"');
  });

  test('AWS Batch: an array job of size N and a merge job depending on it', async () => {
    const batch = JSON.parse(await fs.readFile(path.join(EXAMPLES, 'aws-batch.json'), 'utf8'));
    expect(batch.exportJob.arrayProperties.size).toBeGreaterThan(1);
    expect(batch.mergeJob.dependsOn).toEqual([{ jobId: 'EXPORT_JOB_ID' }]);
    expect(batch.mergeJob.jobDefinition).toBe(batch.jobDefinition.jobDefinitionName);
  });

  test('GitHub Actions: export with --fail-on, verify, upload-artifact, and a gate on exit 4', async () => {
    const workflow = parseAllDocuments(await fs.readFile(path.join(EXAMPLES, 'github-actions.yml'), 'utf8'))[0].toJS();
    const steps: Array<Record<string, any>> = workflow.jobs.export.steps;
    const names = steps.map((step) => step.uses ?? step.name);
    expect(names).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'Install qa-hf', 'Export', 'Verify the manifest', 'actions/upload-artifact@v4', 'Release gate (the report\'s thresholds)']);
    expect(steps[3].run).toMatch(/--fail-on "[^"]+"/);
    expect(steps[6].if).toBe("steps.export.outputs.code == '4'");
  });
});

describe('the checker finds what is wrong', () => {
  test.each([
    [['qa-hf export qa/ --out dist --fromat jsonl'], ['export: no option --fromat']],
    [['qa-hf exprot qa/'], ['no command "exprot"']],
    [['qa-hf merge dist/ --world-size 3'], ['merge: no option --world-size']],
    [['sbatch --wrap "qa-hf verify dist --no-inputs --quick"'], ['verify: no option --quick']],
    [['qa-hf export qa/ --fail-on "pass_rate<"'], [expect.stringMatching(/^export --fail-on "pass_rate<": /)]],
    [['qa-hf export qa/ --format=jsonl,xml'], [expect.stringMatching(/^export --format "jsonl,xml": /)]],
  ])('%j → %j', (lines, expected) => {
    expect(lines.flatMap((line) => commandsInShell(line)).flatMap((words) => problems(cli, words))).toEqual(expected);
  });

  test('shell words: quotes, continuation lines and comments', () => {
    expect(shellWords(`a "b c" 'd "e"' \\\n  f # g\n# h\nqa-hf x`)).toEqual([['a', 'b c', 'd "e"', 'f'], ['qa-hf', 'x']]);
    expect(commandsInShell(`sh -c "qa-hf merge s3://b/p/ && qa-hf verify s3://b/p/"`)).toEqual([['merge', 's3://b/p/'], ['verify', 's3://b/p/']]);
  });

  test('the help of the CLI lists its options (a check that reads nothing would pass anything)', async () => {
    expect([...cli.commands]).toEqual(expect.arrayContaining(['export', 'verify', 'report', 'presets', 'merge']));
    expect([...cli.options.get('export')!]).toEqual(expect.arrayContaining(['--out', '--fail-on', '--version', '--target-samples', '-q', '--card-name', '--rank', '--world-size']));
    const help = await runCli(['export', '--help']);
    expect(helpOptions(help.stdout.toString()).size).toBe(cli.options.get('export')!.size);
  });
});
