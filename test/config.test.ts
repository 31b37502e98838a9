/** lib/config.ts and lib/config-merge.ts: parsing with positions, the schema's one-line errors, the merge under the flags, the semantic hook. */
import { QaHfError, optionError } from '../lib/errors';
import { type Config, configFromObject, parseConfigText, placeError, validateSemantics } from '../lib/config';
import { configPath, normalizeEffective, resolveArgs, withConfigPositions } from '../lib/config-merge';
import { normalizeExportOptions, normalizeProcessingOptions, normalizeReportOptions } from '../lib/options';
import { thrown } from './helpers';

const FILE = 'qa-hf.yaml';
const DEEPER = 'this line is indented deeper than the key above it: indent it like the keys beside it';

function parse(text: string, baseDir = ''): Config {
  return parseConfigText(text, FILE, baseDir);
}

describe('parseConfigText', () => {
  test('every option by its long name, lists and maps where the CLI takes comma lists, and the file-only sections', () => {
    const text = [
      'inputs: [qa/]',
      'out: dist',
      'format: [jsonl, parquet]',
      'split: {train: 0.8, validation: 0.1, test: 0.1}',
      'min-score: 0.5',
      'workers: 2',
      'max-line-bytes: 1MiB',
      'card:',
      '  name: Vårdfrågor',
      '  language: sv',
      'columns:',
      '  question: question',
      '  score: {path: meta.score, type: float, default: 1.0}',
      'keep: [id]',
      'formats:',
      '  mine: {module: ./formats/mine.mjs}',
      'segment: {field: text, instruction: ["Q: (.*)"], context: before}',
      '',
    ].join('\n');
    expect(parse(text).values).toEqual({
      inputs: ['qa/'],
      out: 'dist',
      format: ['jsonl', 'parquet'],
      split: { train: 0.8, validation: 0.1, test: 0.1 },
      'min-score': 0.5,
      workers: 2,
      'max-line-bytes': '1MiB',
      card: { name: 'Vårdfrågor', language: 'sv' },
      columns: { question: 'question', score: { path: 'meta.score', type: 'float', default: 1 } },
      keep: ['id'],
      formats: { mine: { module: './formats/mine.mjs' } },
      segment: { field: 'text', instruction: ['Q: (.*)'], context: 'before' },
    });
  });

  test('an empty file is an empty config', () => {
    expect(parse('').values).toEqual({});
    expect(parse('# nothing yet\n').values).toEqual({});
  });

  // Each bad config: exactly the one line a user sees (after "qa-hf: "), the value's (or the unknown key's) line and column.
  test.each([
    ['an unknown key', 'format: [jsonl]\nfromat: [csv]\n', 'qa-hf.yaml:2:1: ERR_CONFIG: unknown key "fromat"; did you mean "format"?'],
    ['a typo nearer one key than another (formt: format, not force)', 'formt: [jsonl]\n', 'qa-hf.yaml:1:1: ERR_CONFIG: unknown key "formt"; did you mean "format"?'],
    ['a camelCase key', 'minScore: 0.5\n', 'qa-hf.yaml:1:1: ERR_CONFIG: unknown key "minScore"; did you mean "min-score"?'],
    ['an unknown key far from any', 'colour: blue\n', 'qa-hf.yaml:1:1: ERR_CONFIG: unknown key "colour" (see "The config file" in the README)'],
    ['an unknown key in a section', 'card:\n  name: x\n  licence: mit\n', 'qa-hf.yaml:3:3: ERR_CONFIG: unknown key "licence" in card; did you mean "license"?'],
    [
      'an unknown key in a column',
      'columns:\n  answer: {path: a, kind: float}\n',
      'qa-hf.yaml:2:21: ERR_CONFIG: unknown key "kind" in columns.answer (known: path, template, jsonata, type, default)',
    ],
    ['a wrong type', 'workers: two\n', 'qa-hf.yaml:1:10: ERR_CONFIG: workers must be an integer, got "two"'],
    ['a wrong type in a list', 'format: [jsonl, 3]\n', 'qa-hf.yaml:1:17: ERR_CONFIG: format[1] must be a string, got 3'],
    ['a wrong type of a union', 'split: 0.8\n', 'qa-hf.yaml:1:8: ERR_CONFIG: split must be a map or a string, got 0.8'],
    ['a bad value', 'min-score: 3\n', 'qa-hf.yaml:1:12: ERR_CONFIG: min-score must be <= 1, got 3'],
    ['a bad enum value', 'compress: rar\n', 'qa-hf.yaml:1:11: ERR_CONFIG: compress must be one of none, gzip, zstd, got "rar"'],
    [
      'a bad column type',
      'columns:\n  score:\n    path: meta.score\n    type: double\n',
      'qa-hf.yaml:4:11: ERR_CONFIG: columns.score.type must be one of string, float, int, bool, list<string>, json, got "double"',
    ],
    ['a zero split ratio', 'split:\n  train: 1\n  test: 0\n', 'qa-hf.yaml:3:9: ERR_CONFIG: split.test must be > 0, got 0'],
    [
      'a bad language code',
      'card:\n  language: [sv, Swedish]\n',
      'qa-hf.yaml:2:18: ERR_CONFIG: card.language[1] is not valid (expected a language code: sv, en, swe), got "Swedish"',
    ],
    ['a segment without its field', 'segment:\n  output: [x]\n', 'qa-hf.yaml:1:1: ERR_CONFIG: segment needs "field"'],
    ['not a map', '- jsonl\n- parquet\n', 'qa-hf.yaml:1:1: ERR_CONFIG: the config must be a map, got ["jsonl","parquet"]'],
    [
      'bad YAML syntax',
      'format: [jsonl, parquet\nsplit: x\n',
      'qa-hf.yaml:2:1: ERR_CONFIG: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    ['a key twice', 'quiet: true\nquiet: false\n', 'qa-hf.yaml:2:1: ERR_CONFIG: YAML: Map keys must be unique'],
    ['two documents', 'quiet: true\n---\nquiet: false\n', 'qa-hf.yaml:2:1: ERR_CONFIG: YAML: a config file holds one YAML document (a second --- starts another)'],
    // The deeper line is the mistake, not the value above it (where the yaml library places it).
    ['a key indented deeper than its sibling', 'format: jsonl\nsplit:\n  train: 0.9\n   test: 0.1\n', `qa-hf.yaml:4:4: ERR_CONFIG: YAML: ${DEEPER}`],
    ['a top key indented under the one above', 'format: jsonl\n  split: train=1\n', `qa-hf.yaml:2:3: ERR_CONFIG: YAML: ${DEEPER}`],
    ['a card key indented deeper', 'card:\n  name: x\n    license: mit\nseed: 1\n', `qa-hf.yaml:3:5: ERR_CONFIG: YAML: ${DEEPER}`],
    ['a key indented less than its siblings', 'card:\n  name: x\n license: mit\n', 'qa-hf.yaml:3:1: ERR_CONFIG: YAML: All mapping items must start at the same column'],
  ])('%s is one line with file:line:column', (_name, text, line) => {
    const error = thrown(() => parse(text));
    expect(error).toBeInstanceOf(QaHfError);
    expect(error.code).toBe('ERR_CONFIG');
    expect(error.toLine()).toBe(line);
  });
});

describe('configFromObject (the library)', () => {
  test('the same schema; messages name the key, there being no file', () => {
    expect(thrown(() => configFromObject({ card: { language: 'Swedish' } })).toLine()).toBe(
      'ERR_CONFIG: config card.language is not valid (expected a language code, or several separated by commas: sv, en, swe), got "Swedish"',
    );
    expect(thrown(() => configFromObject({ minScore: 0.5 })).toLine()).toBe('ERR_CONFIG: config minScore: unknown key "minScore"; did you mean "min-score"?');
  });

  test("the caller's object is copied, never changed", () => {
    const object = { format: ['jsonl', 'parquet'], card: { language: 'sv' } };
    const config = configFromObject(object);
    resolveArgs('export', {}, config);
    expect(object).toEqual({ format: ['jsonl', 'parquet'], card: { language: 'sv' } });
    expect(config.values.format).not.toBe(object.format);
  });
});

describe('validateSemantics: the hook for the mapping compiler', () => {
  const text = ['columns:', '  question: question', '  answer:', '    jsonata: "$join(meta.tags,"', '    type: string', ''].join('\n');

  test('an error thrown with a JSON pointer is placed at that value: file:line:column, code kept', () => {
    const config = parse(text);
    const check = () => {
      throw Object.assign(new QaHfError('ERR_CONFIG', 'column answer: bad JSONata: expected ")"'), { pointer: '/columns/answer/jsonata' });
    };
    expect(thrown(() => validateSemantics(config, [check])).toLine()).toBe('qa-hf.yaml:4:14: ERR_CONFIG: column answer: bad JSONata: expected ")"');
  });

  test('a pointer past the file is placed at its nearest ancestor; a key pointer at the key', () => {
    const config = parse(text);
    const at = (pointer: string) => (placeError(config, Object.assign(new QaHfError('ERR_CONFIG', 'x'), { pointer })) as QaHfError).toLine();
    expect(at('/columns/answer/path')).toBe('qa-hf.yaml:3:3: ERR_CONFIG: x');
    expect(at('/columns/question')).toBe('qa-hf.yaml:2:13: ERR_CONFIG: x');
    expect(at('')).toBe('qa-hf.yaml:1:1: ERR_CONFIG: x');
    expect(config.locate('/columns/answer', 'key')).toEqual({ line: 3, column: 3 });
  });

  test('without a pointer the error is passed on as it is; in the library the key is named', () => {
    const plain = new QaHfError('ERR_CONFIG', 'no position');
    expect(thrown(() => validateSemantics(parse(text), [() => { throw plain; }]))).toBe(plain);
    const library = configFromObject({ columns: { answer: { jsonata: '$x(' } } });
    const check = () => {
      throw Object.assign(new QaHfError('ERR_CONFIG', 'bad JSONata'), { pointer: '/columns/answer/jsonata' });
    };
    expect(thrown(() => validateSemantics(library, [check])).toLine()).toBe('ERR_CONFIG: config columns.answer.jsonata: bad JSONata');
  });
});

describe('resolveArgs: the flags over the file, then the defaults', () => {
  const text = ['format: [jsonl, parquet]', 'split: {train: 0.8, test: 0.2}', 'quiet: true', 'preset: qa-internal', 'max-line-bytes: 1MiB', 'card: {name: Vård, language: sv, tags: "a, b"}', ''].join('\n');

  test('the file in the CLI shapes; defaults fill only what neither says', () => {
    const { args, fromFile } = resolveArgs('export', { inputs: ['qa/'] }, parse(text));
    expect(args).toEqual({
      inputs: ['qa/'],
      format: 'jsonl,parquet',
      split: 'train=0.8,test=0.2',
      quiet: true,
      preset: 'qa-internal',
      maxLineBytes: 1 << 20,
      card: { name: 'Vård', language: ['sv'], tags: ['a', 'b'] },
      failFast: false,
      force: false,
      dryRun: false,
      restart: false,
    });
    expect([...fromFile].sort()).toEqual(['card', 'format', 'max-line-bytes', 'preset', 'quiet', 'split']);
  });

  test('a typed flag wins, field by field in the card; an untyped one (undefined) does not', () => {
    const cli = { inputs: ['qa/'], split: 'train=1', quiet: undefined, format: undefined, cardLanguage: 'sv,en', cardLicense: 'mit' };
    const { args, fromFile, effective } = resolveArgs('export', cli, parse(text));
    expect(args.split).toBe('train=1');
    expect(args.quiet).toBe(true);
    expect(args.format).toBe('jsonl,parquet');
    expect(args.card).toEqual({ name: 'Vård', language: ['sv', 'en'], tags: ['a', 'b'], license: 'mit' });
    expect(fromFile.has('split')).toBe(false);
    expect(effective).toEqual({
      preset: 'qa-internal',
      'max-line-bytes': 1 << 20,
      format: 'jsonl,parquet',
      split: 'train=1',
      card: { name: 'Vård', language: ['sv', 'en'], tags: ['a', 'b'], license: 'mit' },
    });
  });

  test('a bad card flag is one ERR_OPTION line naming the flag', () => {
    expect(thrown(() => resolveArgs('export', { cardLanguage: 'sv,Swedish' }, null)).toLine()).toBe(
      'ERR_OPTION: --card-language is not valid (expected a language code: sv, en, swe), got "Swedish"',
    );
  });

  test('pipe mode takes the processing keys and the mapping, and leaves export-only keys alone', () => {
    const config = parse('out: dist\nformat: [parquet]\nrejected: rej.jsonl\nfail-fast: true\ncolumns: {question: q}\n');
    const { args } = resolveArgs('pipe', { files: ['-'] }, config);
    expect(args).toEqual({
      files: ['-'],
      rejected: 'rej.jsonl',
      failFast: true,
      mapping: { columns: { question: 'q' } },
      quiet: false,
      // No preset: the mapping is the config's own (named config by the normalizer).
      maxLineBytes: 10 << 20,
      // Only pipe mode's own defaults (export's force, dry-run, restart are not its options).
    });
  });

  test('paths resolve against the config file: kept as written beside it, joined to its folder elsewhere', () => {
    const sections = 'inputs: [qa/]\nout: dist\ninput: {schema: ./s.json}\ncolumns: {q: q}\nformats: {mine: {module: ./m.mjs}, jsonl: {}}\n';
    expect(resolveArgs('export', {}, parse(sections)).args).toMatchObject({
      inputs: ['qa/'],
      out: 'dist',
      mapping: { input: { schema: './s.json' } },
      formats: { mine: { module: './m.mjs' }, jsonl: {} },
    });
    expect(resolveArgs('export', {}, parse(sections, 'conf')).args).toMatchObject({
      inputs: ['conf/qa/'],
      out: 'conf/dist',
      mapping: { input: { schema: 'conf/s.json' } },
      formats: { mine: { module: 'conf/m.mjs' }, jsonl: {} },
    });
    expect(configPath({ baseDir: 'conf' }, '/abs/x')).toBe('/abs/x');
  });
});

describe('withConfigPositions: the option normalizers, placed in the file', () => {
  test.each([
    ['split: {train: 0.5, test: 0.7}\n', 'qa-hf.yaml:1:8: ERR_OPTION: split ratios must sum to 1, they sum to 1.2, got "train=0.5,test=0.7"'],
    ['preset: nope\n', 'qa-hf.yaml:1:9: ERR_OPTION: preset must be one of qa-internal, flat-qa, squad, documents, messages, segments, got "nope"'],
    ['format: [jsonl, xml]\n', 'qa-hf.yaml:1:9: ERR_OPTION: format "xml" is not one of jsonl, parquet, csv, messages, alpaca, sharegpt, prompt-completion, kto, dpo, got "jsonl,xml"'],
    ['seed: 7\n', 'qa-hf.yaml:1:7: ERR_USAGE: seed needs --split, got 7'],
  ])('%j', (text, line) => {
    const config = parse(text);
    const { args, fromFile } = resolveArgs('export', { inputs: ['qa/'] }, config);
    expect(thrown(() => withConfigPositions(config, fromFile, () => normalizeExportOptions(args, 'cli'))).toLine()).toBe(line);
  });

  test('a bad value typed as a flag keeps its flag message', () => {
    const config = parse('quiet: true\n');
    const { args, fromFile } = resolveArgs('pipe', { preset: 'nope' }, config);
    expect(thrown(() => withConfigPositions(config, fromFile, () => normalizeProcessingOptions(args, 'cli'))).toLine()).toBe(
      'ERR_OPTION: --preset must be one of qa-internal, flat-qa, squad, documents, messages, segments, got "nope"',
    );
  });

  test('routed by the error\'s option (QaHfError.option), never by its message', () => {
    const config = parse('quiet: true\nseed: 7\n');
    const { fromFile } = resolveArgs('export', { inputs: ['qa/'] }, config);
    // Names an option the file set, but says nothing of it in its words: placed at the key.
    const tagged = thrown(() => withConfigPositions(config, fromFile, () => { throw optionError('seed', 'the seed is refused'); }));
    expect(tagged.toLine()).toBe('qa-hf.yaml:2:7: ERR_OPTION: the seed is refused');
    // Words that begin with a flag the file set, but no option: left as thrown.
    const untagged = thrown(() => withConfigPositions(config, fromFile, () => { throw new QaHfError('ERR_OPTION', '--seed is refused'); }));
    expect(untagged.toLine()).toBe('ERR_OPTION: --seed is refused');
  });

  test.each([
    ['--split', () => normalizeExportOptions({ inputs: ['qa/'], split: 'train=2' }, 'cli'), 'split'],
    ['--tiers', () => normalizeExportOptions({ inputs: ['qa/'], tiers: 'low=0.5' }, 'cli'), 'tiers'],
    ['--fail-on', () => normalizeReportOptions({ failOn: 'nope>1' }, 'cli'), 'fail-on'],
    ['--max-shard-size', () => normalizeExportOptions({ inputs: ['qa/'], format: 'jsonl', maxShardSize: '0' }, 'cli'), 'max-shard-size'],
    ['--split-key', () => normalizeExportOptions({ inputs: ['qa/'], split: 'train=1', splitKey: 'nope' }, 'cli'), 'split-key'],
    ['--seed without --split', () => normalizeExportOptions({ inputs: ['qa/'], seed: 7 }, 'cli'), 'seed'],
    ['--max-line-bytes', () => normalizeProcessingOptions({ maxLineBytes: 'x' }, 'cli'), 'max-line-bytes'],
  ])('%s: the refusal names its option as a field', (_name, normalize, option) => {
    expect(thrown(normalize).option).toBe(option);
  });
});

test('normalizeEffective: option values as normalized, section paths relocated', () => {
  const effective = { format: 'parquet,jsonl', split: 'train=1', input: { schema: 'conf/s.json' }, columns: { q: 'q' }, formats: { mine: { module: 'conf/m.mjs' } } };
  const normalized = { format: ['jsonl', 'parquet'], split: { train: 1 }, seed: 42 };
  expect(normalizeEffective(effective, normalized, (file) => `../${file}`)).toEqual({
    format: ['jsonl', 'parquet'],
    split: { train: 1 },
    input: { schema: '../conf/s.json' },
    columns: { q: 'q' },
    formats: { mine: { module: '../conf/m.mjs' } },
  });
});

test('`-` in inputs is standard input, not a file beside the config', () => {
  expect(resolveArgs('export', {}, parse('inputs: ["-", qa/]\n', 'conf')).args.inputs).toEqual(['-', 'conf/qa/']);
});
