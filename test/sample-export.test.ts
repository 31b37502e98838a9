/**
 * qa-hf export --target-samples end to end: the simple layout keeps exactly the N
 * passed pairs of smallest sample key (computed here from lib/scale/sample.ts) and counts
 * the rest as not_sampled, every line in one place (a dry run counts the same);
 * fewer passed pairs than N keep all (bytes as without the option); the Hub layout
 * with a split, --dedup exact and --min-score, the same bytes for --workers 0 and 2.
 * (Growth, SIGKILL and refusals: sample-resume.test.ts.)
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BottomK, makeSampler, sampleKey } from '../lib/scale/sample';
import { readJson, runCli } from './helpers';
import { N, corpusState, dataFiles, expectSameFiles, exportTo, jsonlRows, passedPairs, useSampleCorpus } from './sample-fixture';

useSampleCorpus();

describe('the simple layout', () => {
  test('keeps exactly the N passed pairs of smallest sample key, in input order; every line in one place', async () => {
    const out = await exportTo('simple', ['--target-samples', String(N)]);
    const passed = passedPairs(corpusState.lines);
    const bottom = new BottomK(N);
    for (const pair of passed) bottom.offer(sampleKey(pair.question, 42, pair.input, pair.line));
    const keep = makeSampler(bottom.result(), 42);
    const expected = passed.filter((pair) => keep(pair.question, pair.input, pair.line)).map((pair) => `${pair.input}:${pair.line}`);
    expect(expected).toHaveLength(N);
    // The reference export without sampling gives each passed pair's row; the sample is those rows.
    const all = await exportTo('simple-all', []);
    const allRows = (await fs.readFile(path.join(all, 'qa_pairs.jsonl'), 'utf8')).split('\n').filter(Boolean);
    const byPosition = new Map(passed.map((pair, i) => [`${pair.input}:${pair.line}`, allRows[i]]));
    const pairs = await fs.readFile(path.join(out, 'qa_pairs.jsonl'), 'utf8');
    expect(pairs).toBe(expected.map((position) => `${byPosition.get(position)}\n`).join(''));
    for (const name of ['qa_rejected.jsonl', 'qa_errors.jsonl']) expect((await fs.readFile(path.join(out, name))).equals(await fs.readFile(path.join(all, name)))).toBe(true);

    const stats = await readJson(path.join(out, 'stats.json'));
    const counts = stats.counts;
    expect(counts.pairs).toBe(N);
    expect(counts.not_sampled).toBe(passed.length - N);
    expect(counts.lines).toBe(1800);
    expect(counts.pairs + counts.rejected + counts.errors + counts.blank + counts.not_sampled).toBe(counts.lines);
    expect(stats.sample).toEqual({ rule: expect.stringContaining('bottom-k'), key: 'question', seed: 42, target: N, passed: passed.length, kept: N, not_sampled: passed.length - N, cutoff: bottom.result().cutoff });
    const report = await readJson(path.join(out, 'report.json'));
    expect(report.counts.not_sampled).toBe(passed.length - N);
    // The pass rate counts the pairs left out of the sample as passed.
    expect(report.metrics.pass_rate).toBeCloseTo(passed.length / (passed.length + counts.rejected), 6);
    expect((await readJson(path.join(out, 'manifest.json'))).options.sample).toEqual({ target: N, rule: stats.sample.rule, key: 'question', seed: 42 });
    const verify = await runCli(['verify', out]);
    expect(verify.code).toBe(0);
    // A dry run counts as the real run does.
    const dry = await runCli(['export', ...corpusState.inputs, '--dry-run', '--target-samples', String(N)]);
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain(`: ${N} pairs, ${counts.rejected} rejected, ${counts.errors} errors (ERR_JSON_PARSE ${counts.errors}), ${counts.blank} blank, ${passed.length - N} not sampled\n`);
  });

  test('fewer passed pairs than N: every pair kept, the files as without the option', async () => {
    const out = await exportTo('all-kept', ['--target-samples', '1000000']);
    const plain = path.join(corpusState.dir, 'simple-all', 'dataset'); // the first test's export without the option
    expectSameFiles(await dataFiles(out), await dataFiles(plain));
    const stats = await readJson(path.join(out, 'stats.json'));
    expect(stats.counts.not_sampled).toBeUndefined();
    expect(stats.sample.cutoff).toBeNull();
    expect(stats.sample.kept).toBe(stats.counts.pairs);
  });
});

describe('the Hub layout', () => {
  const HUB = ['--format', 'jsonl,parquet,messages', '--split', 'train=0.8,test=0.2', '--dedup', 'exact', '--min-score', '0.1', '--target-samples', String(N)];

  test('N pairs over the splits, after dedup and min-score, the same bytes for --workers 0 and 2', async () => {
    const zero = await exportTo('hub-0', [...HUB, '--workers', '0']);
    const two = await exportTo('hub-2', [...HUB, '--workers', '2']);
    expectSameFiles(await dataFiles(two), await dataFiles(zero));
    const stats = await readJson(path.join(zero, 'stats.json'));
    expect(stats.counts.pairs).toBe(N);
    expect(stats.counts.pairs + stats.counts.rejected + stats.counts.errors + stats.counts.blank + stats.counts.not_sampled).toBe(1800);
    // Duplicates were moved before sampling: no sampled pair twice.
    const rows = [...(await dataFiles(zero)).entries()].filter(([name]) => /^jsonl\/(train|test)-/.test(name)).flatMap(([, bytes]) => jsonlRows(bytes));
    expect(rows).toHaveLength(N);
    expect(new Set(rows.map((row) => `${String(row.question).toLowerCase()}\u0000${String(row.answer).toLowerCase()}`)).size).toBe(N);
    expect(stats.quality.duplicates.exact.records).toBeGreaterThan(0);
    expect(rows.every((row) => (row.validation_score as number) >= 0.1)).toBe(true);
    const test = stats.split.splits.find((split: { split: string }) => split.split === 'test');
    expect(Math.abs(test.achieved - 0.2)).toBeLessThan(0.06);
    const card = await fs.readFile(path.join(zero, 'README.md'), 'utf8');
    expect(card).toContain(`| passed pairs not sampled (--target-samples ${N}) | ${stats.counts.not_sampled.toLocaleString('en-US')} |`);
    expect(card).toContain(`a deterministic sample of at most ${N}`);
  });
});

