/**
 * The config file end to end (built dist/cli.js): qa-hf.yaml in the working directory,
 * --config FILE, flags over the file, one-line errors with exit 2, the effective config
 * in manifest.json. (Its part in the resume check and exportDataset: config-export.test.ts.)
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildParser } from '../cli';
import { presetsCommand } from '../commands/presets';
import type { QaHfError } from '../lib/errors';
import { configWorkdir, ROOT, runCli } from './helpers';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-config-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A fresh working directory holding the samples and, when given, a qa-hf.yaml (test/helpers.ts). */
const workdir = (name: string, yaml?: string): Promise<string> => configWorkdir(dir, name, yaml);

async function readJson(file: string): Promise<Record<string, any>> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}

const HUB_YAML = [
  'inputs: [qa_mixed.jsonl]',
  'out: out',
  'format: [messages, jsonl]',
  'split: {train: 0.5, test: 0.5}',
  'card:',
  '  name: Vårdfrågor',
  '  license: cc-by-4.0',
  '  language: sv',
  '  tags: [medicin]',
  '',
].join('\n');

test('qa-hf.yaml in the working directory is read: inputs, out and options from the file; manifest.json holds the effective config', async () => {
  const cwd = await workdir('cwd-file', HUB_YAML);
  const result = await runCli(['export'], undefined, { cwd });
  expect(result.stderr).toMatch(/wrote out: /);
  expect(result.code).toBe(0);
  const manifest = await readJson(path.join(cwd, 'out', 'manifest.json'));
  expect(manifest.options.inputs).toEqual(['../qa_mixed.jsonl']);
  expect(manifest.options.hub.formats).toEqual(['jsonl', 'messages']);
  expect(manifest.options.config).toEqual({
    format: ['jsonl', 'messages'],
    split: { train: 0.5, test: 0.5 },
    card: { name: 'Vårdfrågor', license: 'cc-by-4.0', language: ['sv'], tags: ['medicin'] },
  });
  const card = await fs.readFile(path.join(cwd, 'out', 'README.md'), 'utf8');
  expect(card.startsWith('---\npretty_name: Vårdfrågor\nlanguage:\n- sv\nlicense: cc-by-4.0\ntask_categories:\n- question-answering\n- text-generation\ntags:\n- medicin\n')).toBe(true);
  expect(card).toContain('\n# Vårdfrågor\n');
});

test('--config FILE: its relative paths resolve against its folder; a flag overrides it, a default does not', async () => {
  const cwd = await workdir('explicit');
  await fs.mkdir(path.join(cwd, 'conf'));
  const yaml = ['inputs: [../qa_mixed.jsonl]', 'out: ../out', 'quiet: true', 'split: {train: 0.5, test: 0.5}', 'card: {name: Från filen, license: mit}', ''].join('\n');
  await fs.writeFile(path.join(cwd, 'conf', 'settings.yaml'), yaml);
  const result = await runCli(['export', '--config', 'conf/settings.yaml', '--split', 'train=1', '--card-license', 'apache-2.0'], undefined, { cwd });
  expect(result.stderr).toBe(''); // quiet: true from the file stands (no default false over it)
  expect(result.code).toBe(0);
  const manifest = await readJson(path.join(cwd, 'out', 'manifest.json'));
  expect(manifest.options.hub.split).toBe('train=1');
  expect(manifest.options.config).toEqual({ split: { train: 1 }, card: { name: 'Från filen', license: 'apache-2.0' } });
  const loud = await runCli(['export', '--config', 'conf/settings.yaml', '--no-quiet', '--out', 'out2'], undefined, { cwd });
  expect(loud.code).toBe(0);
  expect(loud.stderr).toMatch(/wrote out2: /);
});

test('pipe mode reads the file too (fail-fast: true), and a typed flag overrides it', async () => {
  const cwd = await workdir('pipe', 'fail-fast: true\nout: ignored-by-pipe-mode\n');
  const stopped = await runCli(['qa_dirty.jsonl'], undefined, { cwd });
  expect(stopped.code).toBe(1);
  expect(stopped.stderr).toMatch(/ERR_FAIL_FAST/);
  const whole = await runCli(['qa_dirty.jsonl', '--no-fail-fast'], undefined, { cwd });
  expect(whole.code).toBe(0);
  expect(whole.stdout.equals(await fs.readFile(path.join(ROOT, 'samples/expected/qa_dirty.pairs.jsonl')))).toBe(true);
});

/**
 * The line the real parser's run (cli.ts buildParser, in this process) throws for `args`:
 * as the CLI prints it (main's report adds `qa-hf: `), or null when the run went through.
 */
async function refusedLine(args: string[]): Promise<string | null> {
  const error = await buildParser(args).parseAsync().then(() => null, (err: unknown) => err as QaHfError);
  return error === null ? null : `qa-hf: ${error.toLine()}`;
}

describe('a bad config is one line with file:line:column and exit 2', () => {
  // pipe mode: true when it refuses the file too (it does not read split).
  // Three run the built CLI (./qa-hf.yaml found in the working directory; the exit code: ERR_CONFIG and ERR_OPTION
  // are exit 2); the others, the same message from the same parser and plan, run in this process with --config FILE
  // (the file named as given), which needs no CLI start-up per case.
  test.each([
    ['an unknown key', 'inputs: [qa_mixed.jsonl]\nout: out\nfromat: [jsonl]\n', 'qa-hf: qa-hf.yaml:3:1: ERR_CONFIG: unknown key "fromat"; did you mean "format"?', true],
    ['a wrong type', 'inputs: [qa_mixed.jsonl]\nout: out\nworkers: two\n', 'qa-hf: qa-hf.yaml:3:10: ERR_CONFIG: workers must be an integer, got "two"', true],
    ['a bad value', 'inputs: [qa_mixed.jsonl]\nout: out\nmin-score: 1.5\n', 'qa-hf: qa-hf.yaml:3:12: ERR_CONFIG: min-score must be <= 1, got 1.5', true],
    [
      'a value the option normalizer refuses',
      'inputs: [qa_mixed.jsonl]\nout: out\nsplit:\n  train: 0.5\n  test: 0.7\n',
      'qa-hf: qa-hf.yaml:4:3: ERR_OPTION: split ratios must sum to 1, they sum to 1.2, got "train=0.5,test=0.7"',
      false,
    ],
    [
      'a bad path in a mapping',
      'inputs: [qa_mixed.jsonl]\nout: out\ncolumns:\n  question: "a..b"\n',
      'qa-hf: qa-hf.yaml:4:13: ERR_CONFIG: bad path: names joined by dots with [n] indexes, like answers.text[0], got "a..b"',
      true,
    ],
    [
      'bad JSONata in a mapping',
      'inputs: [qa_mixed.jsonl]\nout: out\ncolumns:\n  question: question\n  tags: {jsonata: "$join(", type: string}\n',
      'qa-hf: qa-hf.yaml:5:19: ERR_CONFIG: bad JSONata at character 6: Expected ")" before end of expression, got "$join("',
      true,
    ],
    [
      'a bad regular expression in segment',
      'inputs: [qa_mixed.jsonl]\nout: out\nsegment:\n  field: text\n  instruction: ["(?:Q:"]\n  output: ["A:(.*)"]\n',
      'qa-hf: qa-hf.yaml:5:17: ERR_CONFIG: invalid regular expression: /(?:Q:/gsu: Unterminated group',
      true,
    ],
    [
      'a mapping whose schema file is missing',
      'inputs: [qa_mixed.jsonl]\nout: out\ninput:\n  schema: ./nope.schema.json\ncolumns:\n  question: question\n',
      'qa-hf: qa-hf.yaml:4:11: ERR_CONFIG: cannot read the schema ./nope.schema.json: no such file or directory (ENOENT)',
      true,
    ],
    [
      'bad YAML syntax',
      'inputs: [qa_mixed.jsonl\nout: out\n',
      'qa-hf: qa-hf.yaml:2:1: ERR_CONFIG: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
      true,
    ],
  ])('%s', async (name, yaml, line, pipeToo) => {
    const cwd = await workdir(`bad-${name.replace(/\W+/g, '-')}`, yaml);
    if (['an unknown key', 'a value the option normalizer refuses', 'a mapping whose schema file is missing'].includes(name)) {
      const result = await runCli(['export'], undefined, { cwd });
      expect(result.stderr).toBe(`${line}\n`);
      expect(result.code).toBe(2);
      const pipe = await runCli(['qa_mixed.jsonl', '-q'], undefined, { cwd });
      expect({ stderr: pipe.stderr, code: pipe.code }).toEqual(pipeToo ? { stderr: `${line}\n`, code: 2 } : { stderr: '', code: 0 });
    } else {
      // Every one of these is refused by pipe mode too (a run that went through would write to this process's stdout).
      expect(pipeToo).toBe(true);
      const config = path.join(cwd, 'qa-hf.yaml');
      const named = line.replace('qa-hf: qa-hf.yaml:', `qa-hf: ${config}:`);
      expect(await refusedLine(['export', '--config', config])).toBe(named);
      expect(await refusedLine([path.join(cwd, 'qa_mixed.jsonl'), '-q', '--config', config])).toBe(named);
    }
    await expect(fs.access(path.join(cwd, 'out'))).rejects.toThrow(); // nothing written
  });

  // In this process (the real parser): ERR_CONFIG's exit 2 is proven by the spawned cases above, ERR_USAGE's by the card's below.
  test('a missing --config FILE', async () => {
    const cwd = await workdir('missing');
    expect(await refusedLine(['export', path.join(cwd, 'qa_mixed.jsonl'), '--out', path.join(cwd, 'out'), '--config', 'nope.yaml'])).toBe(
      'qa-hf: ERR_CONFIG: cannot read --config nope.yaml: no such file or directory (ENOENT)',
    );
  });

  test('no inputs on the command line nor in the file', async () => {
    const cwd = await workdir('no-inputs', 'out: out\n');
    expect(await refusedLine(['export', '--config', path.join(cwd, 'qa-hf.yaml')])).toBe(
      'qa-hf: ERR_USAGE: export needs one or more inputs: name them, or list them under inputs: in the config file (see --help)',
    );
  });
});


test('qa-hf report reads the config as export does (inputs, split, the release gate); a bad --config FILE is one line, exit 2', async () => {
  const cwd = await workdir('report', 'inputs: [qa_mixed.jsonl]\nsplit: {train: 0.5, test: 0.5}\nfail-on: [pass_rate>0.1]\n');
  const fromFile = await runCli(['report', '--out', 'rep', '-q'], undefined, { cwd });
  expect(fromFile.stderr).toBe('qa-hf: threshold breached: pass_rate>0.1 (value 0.4)\nqa-hf: ERR_THRESHOLD: 1 of 1 --fail-on rule breached; every file is written (rep/report.json)\n');
  expect(fromFile.code).toBe(4);
  expect((await readJson(path.join(cwd, 'rep', 'report.json'))).groups.map((group: { split: string }) => group.split)).toContain('test');
  // A bad --config FILE (in this process, the real parser: ERR_CONFIG's exit 2 is the bad config cases' above).
  const bad = path.join(cwd, 'bad.yaml');
  await fs.writeFile(bad, 'tiers: {high: 2}\n');
  expect(await refusedLine(['report', path.join(cwd, 'qa_mixed.jsonl'), '--out', path.join(cwd, 'rep2'), '--config', bad])).toBe(`qa-hf: ${bad}:1:15: ERR_CONFIG: tiers.high must be <= 1, got 2`);
  // report with a missing --config FILE: option-table.test.ts ('report --config FILE that is missing: one ERR_CONFIG line',
  // the real parser in-process); its exit 2 is ERR_CONFIG's, as export's above ('a missing --config FILE').
});

test('a card without the Hub layout is a usage error, placed at the card key when it came from the file', async () => {
  const cwd = await workdir('card-simple', 'inputs: [qa_mixed.jsonl]\nout: out\ncard:\n  name: Vård\n');
  const fromFile = await runCli(['export'], undefined, { cwd });
  expect(fromFile.stderr).toBe('qa-hf: qa-hf.yaml:3:1: ERR_USAGE: card needs the Hub layout (format, split, …), which writes the dataset card\n');
  expect(fromFile.code).toBe(2);
  // The flag's message in this process (the real parser); its exit 2 is ERR_USAGE's, as just above.
  const flagDir = await workdir('card-flag');
  expect(await refusedLine(['export', path.join(flagDir, 'qa_mixed.jsonl'), '--out', path.join(flagDir, 'out'), '--card-license', 'mit'])).toBe(
    'qa-hf: ERR_USAGE: --card-* needs the Hub layout (format, split, …), which writes the dataset card, got {"license":"mit"}',
  );
  await expect(fs.access(path.join(flagDir, 'out'))).rejects.toThrow();
});

describe('a mapping of its own in qa-hf.yaml (newcomer paths)', () => {
  const MAPPING_YAML = [
    'input:',
    '  schema: ./schemas/qa.schema.json',
    'columns:',
    '  question: question',
    '  answer: answer',
    'keep: [id]',
    '',
  ].join('\n');
  const SCHEMA = JSON.stringify({ type: 'object', required: ['id', 'question', 'answer'], properties: { id: { type: 'string', pattern: '^qa-010[1-3]$' } } });

  test.each([
    ['pipe mode', ['qa_mixed.jsonl', '--errors', 'bad.jsonl'], 'bad.jsonl', '-'],
    ['export', ['export', 'qa_mixed.jsonl', '--out', 'out'], 'out/qa_errors.jsonl', 'out/qa_pairs.jsonl'],
  ])('%s: input.schema names a JSON file beside the config; records it refuses are ERR_SCHEMA', async (_name, args, errors, pairs) => {
    const cwd = await workdir(`schema-path-${args[0]}`, MAPPING_YAML);
    await fs.mkdir(path.join(cwd, 'schemas'));
    await fs.writeFile(path.join(cwd, 'schemas', 'qa.schema.json'), SCHEMA);
    const result = await runCli([...args, '-q'], undefined, { cwd });
    expect([result.code, result.stderr]).toEqual([0, '']);
    const rows = (pairs === '-' ? String(result.stdout) : await fs.readFile(path.join(cwd, pairs), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rows.map((row) => row.id)).toEqual(['qa-0101', 'qa-0102', 'qa-0103']);
    expect(Object.keys(rows[0])).toEqual(['question', 'answer', 'id']);
    const bad = (await fs.readFile(path.join(cwd, errors), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(bad.map((entry) => entry.code)).toEqual(['ERR_SCHEMA', 'ERR_SCHEMA']);
  });

  test.each([
    ['columns:', 'columns:\n  question: instruction\n  answer: output\n  context: input\n', { instruction: 'I', output: 'Ring 070-123 45 67', input: 'C' }],
    ['keep:', 'keep: [patient]\n', { question: 'Q?', answer: 'A 850312-1231', persona: { roll: 'l', erfarenhet: 'n' }, validation: { composite_score: 0.9, passed: true }, patient: 'rum 4' }],
  ])('pipe mode with a %s mapping and --pii redact --dedup exact writes the mapping’s columns on every row, as export does', async (name, yaml, record) => {
    const cwd = await workdir(`pipe-rules-${name.replace(/\W+/g, '')}`, yaml);
    // Rows the rules change (redacted, a duplicate moved to rejected) and rows they leave, in one batch.
    const lines = [record, { ...record, [Object.keys(record)[0]]: 'other' }, record].map((row) => JSON.stringify(row));
    await fs.writeFile(path.join(cwd, 'in.jsonl'), `${lines.join('\n')}\n`);
    const rules = ['--pii', 'redact', '--dedup', 'exact', '-q'];
    const pipe = await runCli(['in.jsonl', '--rejected', 'rejected.jsonl', ...rules], undefined, { cwd });
    expect([pipe.code, pipe.stderr]).toEqual([0, '']);
    const exported = await runCli(['export', 'in.jsonl', '--out', 'out', ...rules], undefined, { cwd });
    expect([exported.code, exported.stderr]).toEqual([0, '']);
    expect(String(pipe.stdout)).toBe(await fs.readFile(path.join(cwd, 'out', 'qa_pairs.jsonl'), 'utf8'));
    expect(await fs.readFile(path.join(cwd, 'rejected.jsonl'), 'utf8')).toBe(await fs.readFile(path.join(cwd, 'out', 'qa_rejected.jsonl'), 'utf8'));
    const rows = String(pipe.stdout).trim().split('\n').map((line) => JSON.parse(line));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(Object.keys(row)).toEqual(Object.keys(rows[0]));
    expect(String(pipe.stdout)).not.toMatch(/070-123|850312/);
  });

  test('a mapping without preset: is the config’s own, named config in manifest.json and the card', async () => {
    const cwd = await workdir('mapping-named-config', `${HUB_YAML}columns: {question: question, answer: answer}\n`);
    const result = await runCli(['export', '-q'], undefined, { cwd });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect((await readJson(path.join(cwd, 'out', 'manifest.json'))).options.preset).toBe('config');
    expect(await fs.readFile(path.join(cwd, 'out', 'README.md'), 'utf8')).toContain('exported by qa-hf (preset `config`)');
  });
});

test('segment: alone in qa-hf.yaml: the segments preset maps the segments (no preset named)', async () => {
  const cwd = await workdir('segment-alone', ['inputs: [docs.jsonl]', 'out: out', 'segment:', '  field: text', "  instruction: ['Fråga:\\s*(.*?)\\n']", "  output: ['Svar:\\s*(.*?)(?:\\n\\n|$)']", ''].join('\n'));
  await fs.writeFile(path.join(cwd, 'docs.jsonl'), `${JSON.stringify({ id: 'd1', text: 'Intro.\nFråga: Hur?\nSvar: Så här.' })}\n`);
  const result = await runCli(['export', '-q'], undefined, { cwd });
  expect([result.code, result.stderr]).toEqual([0, '']);
  expect(await fs.readFile(path.join(cwd, 'out', 'qa_pairs.jsonl'), 'utf8')).toBe('{"question":"Hur?","answer":"Så här.","context":"","offset":7}\n');
  expect((await readJson(path.join(cwd, 'out', 'manifest.json'))).options.preset).toBe('segments');
});

describe('mapping sections without columns extend the preset (keep: [id] alone)', () => {
  test.each([
    ['qa-internal (the default)', 'keep: [id]\n', '{"question":"Vilken är maxdosen paracetamol per dygn för en vuxen?","answer":"För en vuxen med normal lever- och njurfunktion är maxdosen 4 g per dygn, fördelat på 3–4 doser.","source":"fass/paracetamol.pdf","persona":"sjuksköterska/erfaren","validation_score":0.91,"id":"qa-0101"}'],
    ['a named preset', 'preset: flat-qa\nkeep: [id]\n', '{"question":"Vilken är maxdosen paracetamol per dygn för en vuxen?","answer":"För en vuxen med normal lever- och njurfunktion är maxdosen 4 g per dygn, fördelat på 3–4 doser.","source":"","id":"qa-0101"}'],
  ])('%s: its columns, then the kept field', async (name, yaml, first) => {
    const cwd = await workdir(`keep-alone-${name.replace(/\W+/g, '-')}`, yaml);
    const result = await runCli(['qa_mixed.jsonl', '-q'], undefined, { cwd });
    expect([result.code, result.stderr]).toEqual([0, '']);
    expect(String(result.stdout).split('\n')[0]).toBe(first);
  });

  test('a bad kept field is placed at its file:line:column', async () => {
    // In this process (the real parser), the file named by --config; ERR_CONFIG's exit 2: the bad config cases above.
    const cwd = await workdir('keep-alone-bad', 'out: x\nkeep: [question]\n');
    const config = path.join(cwd, 'qa-hf.yaml');
    expect(await refusedLine(['export', path.join(cwd, 'qa_mixed.jsonl'), '--config', config])).toBe(`qa-hf: ${config}:2:8: ERR_CONFIG: kept field is already a column, got "question"`);
  });
});

test.each(['squad', 'messages', 'documents', 'flat-qa'])('qa-hf presets %s, without name and description, is a qa-hf.yaml giving the preset’s bytes (inline input.schema)', async (preset) => {
  // What `qa-hf presets NAME` prints (the command's own function; the CLI printing it: presets.test.ts 'qa-hf presets').
  let printed = '';
  presetsCommand({ name: preset }, (text) => (printed += text));
  const cwd = await workdir(`copied-${preset}`, printed.replace(/^(name|description):.*\n/gm, ''));
  // The sample under its own name, so the dead letters name it as samples/expected/ does.
  const input = `samples/${preset}_mixed.jsonl`;
  await fs.mkdir(path.join(cwd, 'samples'));
  await fs.copyFile(path.join(ROOT, input), path.join(cwd, input));
  const copied = await runCli([input, '--errors', 'copied.jsonl'], undefined, { cwd });
  // The preset by name gives samples/expected/ (samples.test.ts runs `--preset NAME` on each sample against it).
  const expected = (suffix: string) => fs.readFile(path.join(ROOT, 'samples', 'expected', `${preset}_mixed.${suffix}`));
  expect([copied.code, copied.stderr]).toEqual([0, (await expected('summary.txt')).toString('utf8')]);
  expect(copied.stdout.equals(await expected('pairs.jsonl'))).toBe(true);
  expect((await fs.readFile(path.join(cwd, 'copied.jsonl'))).equals(await expected('errors.jsonl'))).toBe(true);
});

test('a flag typed twice: a list option takes both values as one list, any other is one line naming it (--format twice was a "this is a bug" line)', async () => {
  const input = path.join(ROOT, 'samples', 'qa_mixed.jsonl');
  const out = path.join(os.tmpdir(), 'qa-hf-twice-never-written');
  // The list reaches --format's own check as `jsonl,nope` …
  expect(await refusedLine(['export', input, '--out', out, '--format', 'jsonl', '--format', 'nope', '--dry-run'])).toMatch(/^qa-hf: ERR_OPTION: .*nope/);
  // … and `jsonl,csv` goes through (a dry run writes nothing).
  expect(await refusedLine(['export', input, '--out', out, '--format', 'jsonl', '--format', 'csv', '--dry-run', '-q'])).toBeNull();
  // Any other option: refused while yargs parses (so by the CLI: the line and its exit code).
  const twice = await runCli(['export', input, '--out', out, '--out', `${out}-2`, '--dry-run']);
  expect([twice.code, twice.stderr]).toEqual([2, `qa-hf: ERR_USAGE: --out was given 2 times (${JSON.stringify(out)}, ${JSON.stringify(`${out}-2`)}): give it once (see --help)\n`]);
});
