/**
 * qa-hf export, byte identity across worker counts and across kill/resume, in
 * every layout: a dirty corpus (the bench generator's malformed lines, a BOM,
 * CRLF endings, an over-long line across several reads, no final newline) in two
 * input files, exported with --workers 0, 1, 2 and 4 in a Hub layout with all six
 * formats, three splits, --min-score, small shards, --compress gzip and the quality
 * rules (whose facts the workers find); with --workers 0 and 2 in the simple layout
 * and in that Hub layout plain (JSONL and Parquet) with --compress zstd (the sink's side: the worker count
 * only changes how batches arrive, which the rules layout proves; a codec's bytes only
 * match when the bytes under it do, so zstd and gzip also prove the uncompressed Hub
 * files). Every file must be the same bytes (stats.json without its `run`;
 * manifest.json's outputs but stats.json's hash). --workers 2, SIGKILLed once a
 * checkpoint inside an input is recorded and run again, gives the bytes of the
 * uninterrupted --workers 0 run: every byte of that export is written by a --workers 2
 * process, so the same test proves --workers 2 in the simple and the rules layout.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateRecords } from '../bench/generate';
import { verifyManifest } from '../lib/io/manifest';
import { listFiles, readJson, runCli, runCliKilledAtCheckpoint, statsWithoutRun } from './helpers';

/** Above every generated record line (~1.3 kB, a few times that at most), below the over-long one. */
const MAX_LINE_BYTES = '100000';
/** The Hub layout's options but --format. */
const HUB_SPLITS = ['--split', 'train=0.8,validation=0.1,test=0.1', '--min-score', '0.5', '--max-shard-size', '120KB'];
const HUB = ['--format', 'jsonl,parquet,csv,messages,alpaca,sharegpt', ...HUB_SPLITS];
/** Checkpoints often, so a kill lands mid-file; the same for every run, so the options agree. */
const SIMPLE_CHECKPOINTS = ['--checkpoint-bytes', '65536'];
const HUB_CHECKPOINTS = ['--checkpoint-lines', '150'];

/** A layout: its options, the worker counts run uninterrupted against --workers 0, and whether --workers 2 is also killed and resumed. */
const LAYOUTS: Array<[string, string[], { workers: number[]; kill: boolean }]> = [
  // --workers 2: its killed and resumed run.
  ['simple', SIMPLE_CHECKPOINTS, { workers: [], kill: true }],
  // The quality rules' facts are found in the workers (lib/quality/facts.ts); tiers make a config per tier. --workers 2: its killed and resumed run.
  ['hub rules gzip', [...HUB, ...HUB_CHECKPOINTS, '--compress', 'gzip', '--pii', 'redact', '--dedup', 'near', '--tiers', 'high=0.8'], { workers: [1, 4], kill: true }],
  // The codec's side only: two of the formats (the others' bytes across worker counts: the rules layout).
  ['hub zstd', ['--format', 'jsonl,parquet', ...HUB_SPLITS, ...HUB_CHECKPOINTS, '--compress', 'zstd'], { workers: [2], kill: false }],
];

let dir: string;
let inputs: string[];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-export-workers-'));
  inputs = [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')];
  // ~1.2 MB and ~0.65 MB: five and three 256 KiB reads, so the workers get pieces of both files.
  const lines = [...generateRecords(1000, 5, { badLineRate: 0.04 })];
  for (let i = 3; i < lines.length; i += 97) lines[i] = `${lines[i]}\r`; // CRLF now and then
  lines.splice(300, 0, `{"question":"${'ö'.repeat(300_000)}","answer":"x"}`); // over-long, across three reads
  lines.splice(301, 0, '', '   ', '{"question":"hej"}', 'not json');
  const half = Math.floor(lines.length / 2);
  await fs.writeFile(inputs[0], Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${lines.slice(0, half).join('\n')}\n`)]));
  await fs.writeFile(inputs[1], Buffer.from(lines.slice(half).join('\n'))); // no final newline
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Every file of an export but manifest.json and stats.json, which carry timings. (Every run writes to a folder named `dataset`: the card names it.) */
async function snapshot(out: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await listFiles(out)) if (name !== 'manifest.json' && name !== 'stats.json') files.set(name, await fs.readFile(path.join(out, name)));
  return files;
}

/** What must not differ between two exports of the same corpus. */
async function outcome(out: string) {
  const manifest = await readJson(path.join(out, 'manifest.json'));
  return {
    files: await snapshot(out),
    stats: await statsWithoutRun(out),
    outputs: manifest.outputs.filter((output: { path: string }) => output.path !== 'stats.json'),
  };
}

function expectSameBytes(actual: Awaited<ReturnType<typeof outcome>>, expected: Awaited<ReturnType<typeof outcome>>): void {
  expect([...actual.files.keys()]).toEqual([...expected.files.keys()]);
  for (const [name, bytes] of actual.files) expect([name, bytes.equals(expected.files.get(name)!)]).toEqual([name, true]);
  expect(actual.stats).toEqual(expected.stats);
  expect(actual.outputs).toEqual(expected.outputs);
}

async function exportWith(out: string, args: string[], workers: number): Promise<void> {
  const result = await runCli(['export', ...inputs, '--out', out, '-q', '--max-line-bytes', MAX_LINE_BYTES, '--workers', String(workers), ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

/** Runs an export and SIGKILLs it once a checkpoint inside an input exists; the checkpoint it left. */
async function killedAtCheckpoint(out: string, args: string[], workers: number): Promise<{ signal: NodeJS.Signals | null; position: { input: number; offset: number } }> {
  const cliArgs = ['export', ...inputs, '--out', out, '-q', '--max-line-bytes', MAX_LINE_BYTES, '--workers', String(workers), ...args];
  const signal = await runCliKilledAtCheckpoint(cliArgs, out, true);
  const checkpointFile = path.join(out, '.qa-hf-checkpoint.json');
  return { signal, position: JSON.parse(await fs.readFile(checkpointFile, 'utf8')).position };
}

describe.each(LAYOUTS)('export, %s layout', (layout, args, runs) => {
  let reference: Awaited<ReturnType<typeof outcome>>;
  const folder = layout.replaceAll(' ', '-');

  beforeAll(async () => {
    const out = path.join(dir, `${folder}-w0`, 'dataset');
    await exportWith(out, args, 0);
    reference = await outcome(out);
  });

  test('the corpus is dirty and the export has several shards or outputs', async () => {
    const errors = reference.files.get('qa_errors.jsonl')!.toString('utf8').trim().split('\n').map((row) => JSON.parse(row));
    const codes = new Set(errors.map((row) => row.code));
    expect(codes).toEqual(new Set(['ERR_JSON_PARSE', 'ERR_LINE_TOO_LONG', 'ERR_SCHEMA', 'ERR_NOT_OBJECT']));
    expect(errors.some((row) => row.code === 'ERR_LINE_TOO_LONG' && row.line === 301)).toBe(true);
    if (layout !== 'simple') {
      const shards = [...reference.files.keys()].filter((name) => /(^|\/)jsonl\/train-/.test(name));
      expect(shards.length).toBeGreaterThan(2);
      // The codec is the one asked for: its shards end in its extension.
      const extension = layout.endsWith('gzip') ? '.jsonl.gz' : '.jsonl.zst';
      expect(shards.every((name) => name.endsWith(extension))).toBe(true);
      if (layout === 'hub rules gzip') {
        expect(shards.some((name) => name.includes('tier_high'))).toBe(true);
        expect(JSON.parse(reference.files.get('report.json')!.toString('utf8')).duplicates.checked).toEqual(['exact', 'near']);
        expect(reference.files.has('dataset_info.json')).toBe(true); // written for the six formats, not for JSONL and Parquet alone
      }
      expect(reference.files.has('README.md')).toBe(true);
    } else {
      expect(reference.files.get('qa_rejected.jsonl')!.length).toBeGreaterThan(0);
    }
  });

  if (runs.workers.length > 0) test.each(runs.workers)('--workers %i: every file the same bytes as --workers 0', async (workers) => {
    const out = path.join(dir, `${folder}-w${workers}`, 'dataset');
    await exportWith(out, args, workers);
    expectSameBytes(await outcome(out), reference);
  });

  if (runs.kill) {
    test('--workers 2, SIGKILLed at a checkpoint inside an input and run again: every file the same bytes as the uninterrupted --workers 0 run', async () => {
      const out = path.join(dir, `${folder}-killed`, 'dataset');
      const killed = await killedAtCheckpoint(out, args, 2);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.position.offset).toBeGreaterThan(0);
      await exportWith(out, args, 2);
      expectSameBytes(await outcome(out), reference);
      expect(await verifyManifest(out)).toEqual([]); // verify's check, in-process (lib/io/manifest.ts)
    });
  }
});
