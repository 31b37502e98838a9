/** lib/plan.ts: each command's plan in-process — flags over the config over the defaults, scheduler variables, versions, the S3 prefix parsed once, frozen. */
import { parseConfigText } from '../lib/config';
import type { MappingSpec } from '../lib/input/mapping';
import { type PlanFiles, type RunEnv, deepFreeze, fillPresetMapping, planRankedExport, planRun, stagedExport } from '../lib/plan';
import * as s3Url from '../lib/s3-url';
import { thrown } from './helpers';

const ENV: RunEnv = { vars: {}, cwd: '/work/here' };
const FILES: PlanFiles = { presets: {} };
const config = (text: string, baseDir = '') => parseConfigText(text, 'qa-hf.yaml', baseDir);
const exportPlan = (flags: Record<string, unknown>, text: string | null = null, vars: RunEnv['vars'] = {}) =>
  planRun('export', flags, text === null ? null : config(text), { ...ENV, vars }, FILES);

describe('export: flags over the config file over the defaults', () => {
  test('a flag wins, the file fills what no flag says, the defaults the rest', () => {
    const plan = exportPlan({ inputs: ['qa/'], format: 'jsonl,csv' }, 'out: dist\nformat: [jsonl, parquet]\nsplit: {train: 0.8, test: 0.2}\nquiet: true\n');
    expect(plan.dataset.formats).toEqual(['jsonl', 'csv']);
    expect(plan.dataset.spec.names).toEqual(['train', 'test']);
    expect(plan.args).toMatchObject({ out: 'dist', quiet: true, failFast: false, preset: 'qa-internal', maxLineBytes: 10 << 20 });
    expect(plan.target).toEqual({ kind: 'local', root: 'dist', dir: 'dist' });
    // The effective config records what the file and the flags set that decides the output.
    expect(plan.args.settings).toEqual({ format: 'jsonl,csv', split: 'train=0.8,test=0.2' });
  });

  test('inputs from the file resolve against its folder; none at all is a usage error', () => {
    const plan = planRun('export', { out: 'dist' }, config('inputs: [qa/]\n', 'conf'), ENV, FILES);
    expect(plan.args.inputs).toEqual(['conf/qa/']);
    expect(thrown(() => exportPlan({ out: 'dist' })).toLine()).toBe('ERR_USAGE: export needs one or more inputs: name them, or list them under inputs: in the config file (see --help)');
  });

  test('a bad value from the file is placed at its line and column; from a flag it names the flag', () => {
    expect(thrown(() => exportPlan({ inputs: ['qa/'], out: 'd' }, 'format: jsonl\nmin-score: 2\n')).toLine()).toBe('qa-hf.yaml:2:12: ERR_CONFIG: min-score must be <= 1, got 2');
    expect(thrown(() => exportPlan({ inputs: ['qa/'], out: 'd', minScore: '2', format: 'jsonl,csv' })).toLine()).toBe('ERR_OPTION: --min-score must be a number from 0 to 1, got "2"');
  });

  test('--out is needed unless --dry-run; a card needs the Hub layout', () => {
    expect(thrown(() => exportPlan({ inputs: ['qa/'] })).toLine()).toBe('ERR_USAGE: export needs --out DIR (only --dry-run goes without it)');
    expect(exportPlan({ inputs: ['qa/'], dryRun: true }).target).toBeNull();
    expect(thrown(() => exportPlan({ inputs: ['qa/'], out: 'd', cardName: 'x' })).code).toBe('ERR_USAGE');
    expect(thrown(() => exportPlan({ inputs: ['qa/'], out: 'd' }, 'card: {name: x}\n')).toLine()).toMatch(/^qa-hf\.yaml:1:1: ERR_USAGE: card needs the Hub layout/);
  });

  test('a shipped mapped preset is planned with its mapping (the files read before planning); a config mapping without columns extends it', () => {
    const squad = { columns: { question: 'question' } } as unknown as MappingSpec;
    const files: PlanFiles = { presets: { squad } };
    expect(planRun('export', { inputs: ['qa/'], out: 'd', preset: 'squad' }, null, ENV, files).args.mapping).toBe(squad);
    expect(fillPresetMapping({ preset: 'squad', mapping: { keep: ['id'] } }, files.presets)).toEqual({ preset: 'squad', mapping: { columns: { question: 'question' }, keep: ['id'] } });
    expect(fillPresetMapping({ preset: 'qa-internal' }, { 'qa-internal': squad })).toEqual({ preset: 'qa-internal' });
  });
});

describe('versions: the version folder is planned once', () => {
  test('locally OUT/vVERSION, the leading v taken off', () => {
    const plan = exportPlan({ inputs: ['qa/'], out: 'dist', version: 'v1.2.0' });
    expect(plan.version).toBe('1.2.0');
    expect(plan.args).toMatchObject({ out: 'dist/v1.2.0', version: '1.2.0' });
    expect(plan.target).toEqual({ kind: 'local', root: 'dist', dir: 'dist/v1.2.0' });
  });

  test('on S3 PREFIX/vVERSION; a bad version is one line', () => {
    const plan = exportPlan({ inputs: ['qa/'], out: 's3://bucket/ds/', version: '2.0.0' });
    expect(plan.target).toMatchObject({ kind: 's3', root: { url: 's3://bucket/ds/', prefix: 'ds/' }, at: { url: 's3://bucket/ds/v2.0.0', bucket: 'bucket', prefix: 'ds/v2.0.0/', name: 'v2.0.0' } });
    expect(thrown(() => exportPlan({ inputs: ['qa/'], out: 'dist', version: '1.0' })).toLine()).toBe('ERR_OPTION: --version must be a semantic version such as 1.0.0 or 2.1.0-rc.1, got "1.0"');
  });

  test('--merge merges the version folder the ranks write', () => {
    const local = exportPlan({ inputs: ['qa/'], out: 'dist/', version: '1.0.0', rank: '0', worldSize: '2', merge: true });
    expect(local.merge).toEqual({ command: 'merge', target: { kind: 'local', root: 'dist/', dir: 'dist/v1.0.0' }, quiet: false, restart: false, whenComplete: true });
    const remote = exportPlan({ inputs: ['qa/'], out: 's3://bucket/ds', version: '1.0.0', rank: '0', worldSize: '2', merge: true });
    expect(remote.merge!.target).toBe(remote.target);
  });
});

describe('the output location is parsed once', () => {
  test('an s3:// --out: one parse of the URL for the export, its version and its merge', () => {
    const parse = jest.spyOn(s3Url, 'parseS3Prefix');
    try {
      const plan = exportPlan({ inputs: ['qa/'], out: 's3://bucket/a/b', version: '1.0.0', rank: '1', worldSize: '2', merge: true });
      expect(parse).toHaveBeenCalledTimes(1);
      // Local inputs of an export staged for S3 are named from the working directory.
      expect(plan.args).toMatchObject({ out: 's3://bucket/a/b/v1.0.0', inputBase: '/work/here' });
      const staged = stagedExport(plan, '/tmp/stage/v1.0.0');
      expect(staged.args.out).toBe('/tmp/stage/v1.0.0');
      expect(staged.target).toBe(plan.target);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      parse.mockRestore();
    }
  });

  test('a bad bucket is a usage error at planning, before anything is touched', () => {
    expect(thrown(() => exportPlan({ inputs: ['qa/'], out: 's3://A/ds' })).code).toBe('ERR_USAGE');
  });

  test('a dry run never looks at an s3:// --out', () => {
    const plan = exportPlan({ inputs: ['qa/'], out: 's3://bucket/ds', dryRun: true });
    expect(plan.target).toBeNull();
    expect(plan.args.out).toBeUndefined();
  });
});

describe('the rank: flags, else the scheduler variables', () => {
  const base = { inputs: ['qa/'], out: 'dist' };
  test.each([
    [{ rank: '1', worldSize: '3' }, {}, { rank: 1, worldSize: 3, source: 'flags' }],
    [{ worldSize: '4' }, { JOB_COMPLETION_INDEX: '2' }, { rank: 2, worldSize: 4, source: 'kubernetes' }],
    [{}, { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' }, { rank: 4, worldSize: 8, source: 'slurm' }],
    [{}, { AWS_BATCH_JOB_ARRAY_INDEX: '0', AWS_BATCH_JOB_ARRAY_SIZE: '2' }, { rank: 0, worldSize: 2, source: 'aws-batch' }],
    // The flags win over a scheduler's index.
    [{ rank: '0', worldSize: '2' }, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' }, { rank: 0, worldSize: 2, source: 'flags' }],
  ])('%j with %j', (flags, vars, rank) => {
    expect(exportPlan({ ...base, ...flags }, null, vars).rank).toMatchObject(rank);
  });

  test('no rank without flags or variables; a dry run is no rank by the variables, and refused by the flags', () => {
    expect(exportPlan(base).rank).toBeNull();
    expect(exportPlan({ ...base, dryRun: true }, null, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '2' }).rank).toBeNull();
    expect(thrown(() => exportPlan({ ...base, dryRun: true, rank: '0', worldSize: '2' })).toLine()).toBe('ERR_USAGE: --dry-run cannot run as a rank (rank 0 from --rank 0 --world-size 2): run it without ranks');
    expect(thrown(() => exportPlan({ ...base, merge: true })).toLine()).toBe('ERR_USAGE: --merge is for a rank (--rank R --world-size N, or a scheduler index): a single export needs no merge');
  });

  test('the rank from the config file', () => {
    expect(exportPlan(base, 'rank: 1\nworld-size: 2\n').rank).toMatchObject({ rank: 1, worldSize: 2, source: 'flags' });
  });
});

describe('the other commands', () => {
  test('pipe mode: the processing options, quality plan and report settings', () => {
    const plan = planRun('pipe', { files: ['-'], pii: 'redact' }, config('language: off\nfail-on: [pass_rate<0.5]\n'), ENV, FILES);
    expect(plan.processing).toMatchObject({ preset: 'qa-internal', workers: 0, failFast: false });
    expect(plan.quality).toMatchObject({ pii: 'redact', dedup: 'off' });
    expect(plan.report).toEqual({ language: null, failOn: [expect.objectContaining({ metric: 'pass_rate' })], tokenizer: null });
  });

  test('report: the routing of export, the folder from the command line', () => {
    const plan = planRun('report', { out: 'report' }, config('inputs: [qa/]\nsplit: {train: 0.5, test: 0.5}\nout: dist\n', 'conf'), ENV, FILES);
    expect(plan.args).toMatchObject({ inputs: ['conf/qa/'], out: 'report' });
    expect(plan.dataset.spec.names).toEqual(['train', 'test']);
  });

  test('merge and verify: the folder or prefix, parsed once', () => {
    expect(planRun('merge', { dir: 's3://bucket/ds', quiet: true }, null, ENV, FILES)).toEqual({
      command: 'merge',
      target: { kind: 's3', root: expect.objectContaining({ prefix: 'ds/' }), at: expect.objectContaining({ url: 's3://bucket/ds' }) },
      quiet: true,
      restart: false,
      whenComplete: false,
    });
    expect(planRun('verify', { dir: 'dist', inputs: false }, config('quiet: true\n'), ENV, FILES)).toEqual({ command: 'verify', target: { kind: 'local', root: 'dist', dir: 'dist' }, inputs: false, quiet: true });
  });

  test("the merge's export: the ranks' recorded arguments in DIR, no rank, no version folder added", () => {
    const merge = planRun('merge', { dir: 'dist/v1.0.0' }, null, ENV, FILES);
    const recorded = { ...exportPlan({ inputs: ['qa/'], out: 'dist', version: '1.0.0', rank: '0', worldSize: '2' }).args };
    const plan = planRankedExport(recorded, ['qa/a.jsonl'], '/abs/dist/v1.0.0', merge, FILES);
    expect(plan).toMatchObject({ fromRanks: true, rank: null, version: '1.0.0', target: { kind: 'local', dir: '/abs/dist/v1.0.0' } });
    expect(plan.args).toMatchObject({ inputs: ['qa/a.jsonl'], out: '/abs/dist/v1.0.0', failFast: false, merge: false });
  });
});

describe('a plan is frozen', () => {
  test('through and through: assigning throws', () => {
    const plan = exportPlan({ inputs: ['qa/'], out: 's3://bucket/ds', format: 'jsonl,parquet', split: 'train=0.9,test=0.1' });
    for (const part of [plan, plan.args, plan.args.inputs, plan.dataset, plan.dataset.spec, plan.target, plan.report]) expect(Object.isFrozen(part)).toBe(true);
    expect(() => {
      (plan.args as { out?: string }).out = 'elsewhere';
    }).toThrow(TypeError);
  });

  test('deepFreeze leaves the value as it was, frozen', () => {
    const value = deepFreeze({ a: [1, { b: 2 }] });
    expect(value).toEqual({ a: [1, { b: 2 }] });
    expect(Object.isFrozen(value.a[1])).toBe(true);
  });
});

// The Hub layout's usage errors (test/hub-export.test.ts runs two of them end to end: exit 2, one line, nothing written).
describe('export: usage errors of the Hub options, one line naming the value', () => {
  const SPLIT = 'train=0.8,validation=0.1,test=0.1';
  test.each([
    [{ seed: '3' }, /ERR_USAGE: --seed needs --split, got "3"/],
    [{ format: 'jsonl,xml' }, /ERR_OPTION: --format "xml" is not one of .*got "jsonl,xml"/],
    [{ split: 'train=0.8,test=0.3' }, /ERR_OPTION: --split ratios must sum to 1.*got/],
    [{ format: 'parquet', compress: 'gzip' }, /ERR_USAGE: --compress gzip applies to .*parquet is compressed inside \(snappy, or --compress zstd\), got "parquet"/],
    [{ compress: 'xz' }, /ERR_OPTION: --compress must be gzip, zstd or none, got "xz"/],
    [{ compress: 'gzip', compressLevel: '10' }, /ERR_OPTION: --compress-level must be an integer from 1 to 9 for gzip, got "10"/],
    [{ compress: 'zstd', compressLevel: '20' }, /ERR_OPTION: --compress-level must be an integer from 1 to 19 for zstd, got "20"/],
    [{ compress: 'zstd', compressLevel: 'fast' }, /ERR_OPTION: --compress-level must be an integer from 1 to 19 for zstd, got "fast"/],
    [{ compressLevel: '3' }, /ERR_USAGE: --compress-level needs --compress gzip or zstd, got "3"/],
    [{ compress: 'none', compressLevel: '3' }, /ERR_USAGE: --compress-level needs --compress gzip or zstd, got "3"/],
    [{ split: SPLIT, compressLevel: '3' }, /ERR_USAGE: --compress-level needs --compress gzip or zstd, got "3"/],
    [{ split: SPLIT, minScore: 'high' }, /ERR_OPTION: --min-score must be a number from 0 to 1, got "high"/],
    [{ split: SPLIT, stratifyBy: 'roll' }, /ERR_OPTION: --stratify-by must name an output column .*got "roll"/],
    [{ maxShardSize: '12 parsecs' }, /ERR_OPTION: --max-shard-size must be a positive size.*got "12 parsecs"/],
    [{ systemPrompt: 'Hej' }, /ERR_USAGE: --system-prompt needs --format messages, alpaca, sharegpt, prompt-completion, kto or dpo, got "Hej"/],
  ] as [Record<string, unknown>, RegExp][])('%j', (flags, message) => {
    expect(thrown(() => exportPlan({ inputs: ['qa/'], out: 'd', ...flags })).toLine()).toMatch(message);
  });
});
