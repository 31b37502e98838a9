/**
 * A mapped preset (squad: byte text off in an export, Parquet lists), exported in
 * the Hub layout with --workers 2, SIGKILLed once a checkpoint inside the input
 * is recorded and run again, gives the bytes of the uninterrupted --workers 0 run.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { listFiles, readJson, runCli, runCliKilledAtCheckpoint, squadLines, statsWithoutRun } from './helpers';

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-presets-resume-'));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('a mapped preset, SIGKILLed at a checkpoint and run again, gives the uninterrupted run’s bytes', () => {
  const HUB = ['--preset', 'squad', '--format', 'jsonl,parquet,csv', '--split', 'train=0.8,test=0.2', '--max-shard-size', '200KB', '--checkpoint-lines', '150', '-q'];

  async function outcome(out: string) {
    const files = new Map<string, Buffer>();
    for (const name of await listFiles(out)) if (name !== 'manifest.json' && name !== 'stats.json') files.set(name, await fs.readFile(path.join(out, name)));
    const manifest = await readJson(path.join(out, 'manifest.json'));
    return { files, stats: await statsWithoutRun(out), outputs: manifest.outputs.filter((output: { path: string }) => output.path !== 'stats.json') };
  }

  /** The uninterrupted --workers 0 run of the input, shared by both tests. */
  let input: string;
  let reference: string;
  beforeAll(async () => {
    // ~1 MB, four 256 KiB reads: checkpoints inside the input, two Parquet shards of train.
    input = path.join(dir, 'squad-big.jsonl');
    await fs.writeFile(input, `${squadLines(1500, 21).join('\n')}\n`);
    reference = path.join(dir, 'resume-ref', 'dataset');
    const done = await runCli(['export', input, '--out', reference, '--workers', '0', ...HUB]);
    expect([done.code, done.stderr]).toEqual([0, '']);
  });

  test('squad, --workers 2, Hub layout with Parquet lists', async () => {
    const out = path.join(dir, 'resume-killed', 'dataset');
    expect(await runCliKilledAtCheckpoint(['export', input, '--out', out, '--workers', '2', ...HUB], out, true)).toBe('SIGKILL');
    const checkpointFile = path.join(out, '.qa-hf-checkpoint.json');
    expect(JSON.parse(await fs.readFile(checkpointFile, 'utf8')).position.offset).toBeGreaterThan(0);
    const resumed = await runCli(['export', input, '--out', out, '--workers', '2', ...HUB]);
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);

    const [expected, actual] = [await outcome(reference), await outcome(out)];
    expect([...actual.files.keys()]).toEqual([...expected.files.keys()]);
    expect([...expected.files.keys()].filter((name) => name.startsWith('parquet/')).length).toBeGreaterThan(1);
    for (const [name, bytes] of actual.files) expect([name, bytes.equals(expected.files.get(name)!)]).toEqual([name, true]);
    expect(actual.stats).toEqual(expected.stats);
    expect(actual.outputs).toEqual(expected.outputs);
    expect(await fs.readFile(path.join(out, 'qa_errors.jsonl'), 'utf8')).toContain('"code":"ERR_MAPPING"');
  });

  test('the mapping is recorded with the options in manifest.json (a changed one refuses a resume)', async () => {
    // The reference run's manifest: --preset squad.
    const manifest = await readJson(path.join(reference, 'manifest.json'));
    expect(JSON.stringify(manifest)).toContain('answers.text[0]');
  });
});
