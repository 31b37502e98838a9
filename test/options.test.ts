/**
 * lib/options.ts, the one option normalizer of the CLI and the library: defaults,
 * one ERR_OPTION line per bad value naming the option as its caller knows it and
 * ending with `got <value>`, and the caller's object left as it was.
 */
import { QaHfError } from '../lib/errors';
import { MAX_WORKERS as POOL_MAX_WORKERS } from '../streams/worker-pool';
import { MAX_WORKERS, normalizeExportOptions, normalizeProcessingOptions, optionName } from '../lib/options';

describe('normalizeProcessingOptions', () => {
  test('defaults', () => {
    expect(normalizeProcessingOptions()).toEqual({ preset: 'qa-internal', maxLineBytes: 10 << 20, failFast: false, workers: 0, keepRows: true, serialize: ['pairs', 'rejected', 'errors'] });
    expect(normalizeProcessingOptions({ serialize: ['errors', 'pairs'] }).serialize).toEqual(['pairs', 'errors']);
  });

  test.each([
    [{ preset: 'nope' }, 'library', 'option preset must be one of qa-internal, flat-qa, squad, documents, messages, segments, got "nope"'],
    [{ preset: 'constructor' }, 'cli', '--preset must be one of qa-internal, flat-qa, squad, documents, messages, segments, got "constructor"'],
    [{ workers: -1 }, 'library', `option workers must be an integer from 0 to ${MAX_WORKERS}, got -1`],
    [{ workers: 1.5 }, 'cli', `--workers must be an integer from 0 to ${MAX_WORKERS}, got 1.5`],
    [{ maxLineBytes: 0 }, 'library', 'option maxLineBytes must be a positive integer, got 0'],
    [{ maxLineBytes: '1 parsec' }, 'cli', '--max-line-bytes must be a positive size such as 500MB, 1GiB or 1000000, got "1 parsec"'],
    [{ failFast: 'yes' }, 'library', 'option failFast must be a boolean, got "yes"'],
    [{ keepRows: 1 }, 'library', 'option keepRows must be a boolean, got 1'],
    [{ schema: [] }, 'library', 'option schema must be a JSON Schema object, got []'],
    [{ serialize: ['pairs', 'stdout'] }, 'library', 'option serialize must be an array of pairs, rejected, errors, got ["pairs","stdout"]'],
    [{ serialize: 'errors' }, 'library', 'option serialize must be an array of pairs, rejected, errors, got "errors"'],
  ] as const)('%j (%s): %s', (options, style, message) => {
    expect.assertions(2);
    try {
      normalizeProcessingOptions(options, style);
    } catch (err) {
      expect(err).toBeInstanceOf(QaHfError);
      expect((err as QaHfError).message).toBe(message);
    }
  });

  test('the CLI takes a size with a unit; the caller object is not changed', () => {
    const options = Object.freeze({ maxLineBytes: '1MiB', workers: 2 });
    expect(normalizeProcessingOptions(options, 'cli')).toMatchObject({ maxLineBytes: 1 << 20, workers: 2 });
    expect(options).toEqual({ maxLineBytes: '1MiB', workers: 2 });
  });

  test('option names per style; one bound on workers', () => {
    expect(optionName('maxLineBytes', 'cli')).toBe('--max-line-bytes');
    expect(optionName('maxLineBytes', 'library')).toBe('option maxLineBytes');
    expect(POOL_MAX_WORKERS).toBe(MAX_WORKERS);
  });
});

describe('mapping', () => {
  const mapping = { columns: { text: 'text', n: { path: 'n', type: 'int' as const } } };

  test('a mapping is compiled up front and kept as plain data; without a preset its name is config', () => {
    expect(normalizeProcessingOptions({ mapping })).toMatchObject({ preset: 'config', mapping });
    expect(normalizeProcessingOptions({ preset: 'squad', mapping }).preset).toBe('squad');
    // The plan's column options check against the mapping's columns.
    expect(normalizeExportOptions({ inputs: ['d/'], mapping, split: 'train=1', splitKey: 'text' }).plan.layout).toBe('hub');
    expect(() => normalizeExportOptions({ inputs: ['d/'], mapping, split: 'train=1', splitKey: 'question' })).toThrow('--split-key must name an output column (text, n), got "question"');
    // Without a question column the default split key is the first column.
    expect(normalizeExportOptions({ inputs: ['d/'], mapping, split: 'train=0.5,test=0.5' }).plan.key).toBe('text');
  });

  test('a bad mapping: ERR_CONFIG with the pointer; not an object: ERR_OPTION', () => {
    const bad = { columns: { text: { jsonata: '$count(' } } };
    expect(() => normalizeProcessingOptions({ mapping: bad })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', pointer: '/columns/text/jsonata' }));
    expect(() => normalizeProcessingOptions({ mapping: 'text' as never })).toThrow('option mapping must be a mapping object, got "text"');
  });
});

describe('normalizeExportOptions', () => {
  test('the plan and the switches; the input is not changed', () => {
    const args = Object.freeze({ inputs: Object.freeze(['qa/']), out: 'dist', format: 'jsonl,parquet', split: 'train=0.9,test=0.1' });
    const options = normalizeExportOptions(args, 'cli');
    expect(options).toMatchObject({ inputs: ['qa/'], out: 'dist', force: false, dryRun: false, restart: false, quiet: false });
    expect(options.plan).toMatchObject({ layout: 'hub', formats: ['jsonl', 'parquet'], splitText: 'train=0.9,test=0.1' });
    expect(normalizeExportOptions({ inputs: ['qa/'] }).plan.layout).toBe('simple');
  });

  test.each([
    [{ inputs: [] }, 'option inputs must name one or more files or directories, got []'],
    [{ inputs: ['a'], out: 3 }, 'option out must be a folder path, got 3'],
    [{ inputs: ['a'], glob: '' }, 'option glob must be a glob pattern, got ""'],
    [{ inputs: ['a'], restart: 'no' }, 'option restart must be a boolean, got "no"'],
    [{ inputs: ['a'], checkpointBytes: -1 }, 'option checkpointBytes must be a positive number, got -1'],
    [{ inputs: ['a'], minScore: '2' }, '--min-score must be a number from 0 to 1, got "2"'],
  ])('%j: %s', (options, message) => {
    expect(() => normalizeExportOptions(options)).toThrow(message);
  });
});
