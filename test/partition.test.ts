/**
 * --partition-by in-process: config names (lib/dataset/partition.ts), the plan's checks, the
 * output keys and folders of a partition, the router's decision, who owns a partition's shards,
 * and the card's default config. End to end: test/partition-export.test.ts.
 */
import { MAX_VALUE_CHARS, partitionName } from '../lib/dataset/partition';
import { normalizeExportPlan } from '../lib/dataset/plan';
import { QA_INTERNAL } from '../lib/input/presets';
import { QaHfError } from '../lib/errors';
import { hubOutputs, outputKey, parseOutputKey, writtenPartitions } from '../lib/dataset/outputs';
import { configDirectory, configName } from '../lib/dataset/formats';
import { makeRouter } from '../lib/dataset/route';
import { newEntry } from '../lib/batch';
import { classifyFiles } from '../lib/dataset/out-dir';
import { type CardDescription, cardMetadata } from '../lib/dataset/card-configs';

describe('partitionName', () => {
  test.each([
    ['Sjuksköterska (erfaren)', 'persona_sjukskoterska_erfaren'],
    ['sjuksköterska/erfaren', 'persona_sjukskoterska_erfaren'],
    ['  SJUKSKÖTERSKA -- Erfaren!  ', 'persona_sjukskoterska_erfaren'],
    ['undersköterska/1-3 år', 'persona_underskoterska_1_3_ar'],
    ['Straße', 'persona_strasse'],
    ['Søster Ærø', 'persona_soster_aero'],
    ['ﬁ①', 'persona_fi1'],
    [null, 'persona_null'],
    [undefined, 'persona_null'],
    ['', 'persona_empty'],
    [42, 'persona_42'],
    [true, 'persona_true'],
  ])('%j → %s', (value, name) => {
    expect(partitionName('persona', value)).toBe(name);
  });

  test('a value with nothing Hub-safe left, or a long one, is named by a hash of its text, so two never meet', () => {
    const cjk = partitionName('persona', '看護師');
    expect(cjk).toMatch(/^persona_h[0-9a-f]{10}$/);
    expect(partitionName('persona', '医師')).not.toBe(cjk);
    const long = 'a'.repeat(MAX_VALUE_CHARS + 5);
    const named = partitionName('persona', long);
    expect(named).toMatch(/^persona_a+_[0-9a-f]{10}$/);
    expect(named.length).toBeLessThanOrEqual('persona_'.length + MAX_VALUE_CHARS);
    expect(partitionName('persona', `${long}b`)).not.toBe(named);
    expect(partitionName('Persona Roll', 'x')).toBe('persona_roll_x');
  });
});

describe('the plan', () => {
  const refused = (args: Record<string, unknown>): QaHfError => {
    try {
      normalizeExportPlan(args, QA_INTERNAL);
    } catch (err) {
      return err as QaHfError;
    }
    throw new Error('not refused');
  };

  test('--partition-by names an output column, implies the Hub layout, and takes --max-partitions (default 100)', () => {
    const plan = normalizeExportPlan({ partitionBy: 'persona' }, QA_INTERNAL);
    expect([plan.layout, plan.partitionBy, plan.maxPartitions]).toEqual(['hub', 'persona', 100]);
    expect(normalizeExportPlan({ partitionBy: 'persona', maxPartitions: '7' }, QA_INTERNAL).maxPartitions).toBe(7);
    // Other plans stay as they were.
    expect('partitionBy' in normalizeExportPlan({ format: 'parquet' }, QA_INTERNAL)).toBe(false);
  });

  test.each([
    [{ partitionBy: 'roll' }, 'ERR_OPTION', 'partition-by', /--partition-by must name an output column \(question, answer, source, persona, validation_score\), got "roll"/],
    [{ partitionBy: 'persona', tiers: 'high=0.8' }, 'ERR_USAGE', 'partition-by', /--partition-by and --tiers both make configs of the passed pairs; use one/],
    [{ partitionBy: 'persona', format: 'kto,dpo' }, 'ERR_USAGE', 'partition-by', /which --format kto,dpo does not write alone; add a format such as jsonl/],
    [{ partitionBy: 'persona', maxPartitions: '0' }, 'ERR_OPTION', 'max-partitions', /--max-partitions must be a positive integer, got "0"/],
    [{ maxPartitions: '5' }, 'ERR_USAGE', 'max-partitions', /--max-partitions needs --partition-by, got "5"/],
    [{ format: 'parquet', maxPartitions: '5' }, 'ERR_USAGE', 'max-partitions', /--max-partitions needs --partition-by, got "5"/],
  ])('%j is refused', (args, code, option, message) => {
    const err = refused(args);
    expect([err.code, err.option]).toEqual([code, option]);
    expect(err.message).toMatch(message);
  });
});

describe('outputs of a partition', () => {
  test('key, config name and folder; the other formats add theirs; kto stays one config', () => {
    const key = outputKey('parquet', 'pairs', 'train', null, 'persona_nurse');
    expect(key).toBe('parquet/part_persona_nurse/train');
    expect(parseOutputKey(key)).toEqual({ format: 'parquet', channel: 'pairs', tier: null, partition: 'persona_nurse', split: 'train' });
    expect([configName('jsonl', 'pairs', null, 'persona_nurse'), configName('parquet', 'pairs', null, 'persona_nurse')]).toEqual(['persona_nurse', 'persona_nurse_parquet']);
    expect(configDirectory('parquet', 'pairs', null, 'persona_nurse')).toBe('partitions/persona_nurse/parquet');
    const plan = normalizeExportPlan({ partitionBy: 'persona', format: 'jsonl,kto', split: 'train=0.5,test=0.5' }, QA_INTERNAL);
    const keys = hubOutputs(plan, ['persona_a', 'persona_b']).map((output) => output.key);
    expect(keys).toEqual([
      'jsonl/part_persona_a/train', 'jsonl/part_persona_a/test', 'jsonl/part_persona_b/train', 'jsonl/part_persona_b/test',
      'jsonl/rejected/train', 'jsonl/rejected/test', 'kto/pairs/train', 'kto/pairs/test',
    ]);
    // In the order they came, as the writers' state keeps them: by name.
    expect(writtenPartitions({ partitions: [['persona_b', 'b'], ['persona_a', 'a']] })).toEqual(['persona_a', 'persona_b']);
    expect(writtenPartitions(undefined)).toEqual([]);
  });

  test('the router names a passed pair\u2019s partition, never a rejected row\u2019s', () => {
    const plan = normalizeExportPlan({ partitionBy: 'persona' }, QA_INTERNAL);
    const route = makeRouter(plan);
    const entry = (channel: 'pairs' | 'rejected') => Object.assign(newEntry(1, 0, ''), { channel, row: { question: 'q', answer: 'a', persona: 'Läkare/ny' } });
    expect(route(entry('pairs')).partition).toBe('persona_lakare_ny');
    expect(route(entry('rejected')).partition).toBeNull();
  });

  test('shards at any depth under partitions/ are the run\u2019s; other files there are not', () => {
    const owns = { files: [], shard_dirs: ['rejected/jsonl'], shard_roots: ['partitions'] };
    const files = ['partitions/persona_a/jsonl/train-00000-of-00001.jsonl', 'partitions/notes.txt', 'rejected/jsonl/train-00000-of-00001.jsonl', 'other/jsonl/train-00000-of-00001.jsonl'];
    expect(classifyFiles(files, { manifest: null, checkpoint: { owns, replaces: [] } })).toEqual({
      owned: ['partitions/persona_a/jsonl/train-00000-of-00001.jsonl', 'rejected/jsonl/train-00000-of-00001.jsonl'],
      foreign: ['other/jsonl/train-00000-of-00001.jsonl', 'partitions/notes.txt'],
    });
  });
});

test('the card\u2019s default config is the largest partition, the first by name on a tie', () => {
  const columns = [{ name: 'question', type: 'string' }, { name: 'answer', type: 'string' }] as never;
  const config = (name: string, train: number, test: number) => ({
    format: 'jsonl',
    channel: 'pairs' as const,
    partition: { name, column: 'persona', value: name },
    splits: [
      { name: 'train', numExamples: train, numBytes: train, files: train ? [{ name: 'train-00000-of-00001.jsonl', bytes: train }] : [] },
      { name: 'test', numExamples: test, numBytes: test, files: test ? [{ name: 'test-00000-of-00001.jsonl', bytes: test }] : [] },
    ],
  });
  const description = (configs: ReturnType<typeof config>[]): CardDescription => ({ title: 't', loadPath: 'out', columns: { pairs: columns, rejected: columns }, configs });
  const defaults = (configs: ReturnType<typeof config>[]) =>
    (cardMetadata(description(configs)).configs as Array<{ config_name: string; default?: true }>).filter((c) => c.default).map((c) => c.config_name);
  expect(defaults([config('persona_a', 3, 1), config('persona_b', 2, 5), config('persona_c', 6, 0)])).toEqual(['persona_b']);
  expect(defaults([config('persona_b', 4, 0), config('persona_a', 2, 2)])).toEqual(['persona_a']);
});
