/**
 * onCommit fires once per commit: in the sink and in the dataset sink, never twice
 * at one position. The dataset writers write a fixed file's rows themselves when
 * the processor did not serialize them (its `serialize` option).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { newEntry, type Batch } from '../lib/batch';
import { createFileSource } from '../streams/file-source';
import { createProcessingStages, runChain } from '../streams/chain';
import { createSink } from '../streams/sink';
import { DatasetWriters, createDatasetSink } from '../streams/dataset-sink';
import { createRouter } from '../streams/router';
import { normalizeExportPlan } from '../lib/dataset/plan';
import { QA_INTERNAL } from '../lib/input/presets';
import { recordLines } from './helpers';

type Seen = Array<[file: string, endOffset: number, lines: number, fileEnd: boolean]>;

function batch(file: string, lines: number[], endOffset: number, fileEnd = false): Batch {
  const entries = lines.map((line) => Object.assign(newEntry(line, line * 10 - 10, ''), { channel: 'pairs' as const }));
  const endLine = lines.length ? lines[lines.length - 1] : endOffset / 10;
  return { file, entries, endOffset, endLine, fileEnd, output: { pairs: lines.map((line) => `${line}\n`).join(''), rejected: '', errors: '' }, stop: null };
}

describe('createSink onCommit', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-commit-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  test.each([64, 1000, 1 << 20])('a real chain in chunks of %i bytes: one call per position, the last of each file with fileEnd', async (chunkBytes) => {
    const files = [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')];
    await fs.writeFile(files[0], `${recordLines(20, 1).join('\n')}\n`);
    await fs.writeFile(files[1], `${recordLines(7, 2).join('\n')}\n`);
    const seen: Seen = [];
    await runChain([
      createFileSource(files, { chunkBytes }),
      ...createProcessingStages({ keepRows: false }),
      createSink({ outputs: {}, onCommit: (b) => void seen.push([b.file, b.endOffset, b.entries.length, b.fileEnd]) }),
    ]);
    const positions = seen.map(([file, offset]) => `${file}@${offset}`);
    expect(new Set(positions).size).toBe(seen.length);
    for (const [i, file] of files.entries()) {
      const calls = seen.filter((call) => call[0] === file);
      expect(calls.reduce((n, call) => n + call[2], 0)).toBe(i === 0 ? 20 : 7);
      expect(calls.map((call) => call[3])).toEqual([...calls.slice(1).map(() => false), true]);
      expect(calls[calls.length - 1][1]).toBe((await fs.stat(file)).size);
    }
  });

  test('an entry-less file end is merged into the batch before it; each call comes before the next batch is written', async () => {
    const events: string[] = [];
    const target = { write: async (bytes: Buffer) => void events.push(`write ${bytes.toString().trim().replace(/\n/g, ',')}`) };
    await runChain([
      Readable.from([batch('a', [1, 2], 20), batch('a', [3], 30), batch('a', [], 30, true), batch('b', [], 0, true), batch('c', [1], 10, true)], { objectMode: true }),
      createSink({ outputs: { pairs: target }, onCommit: (b) => void events.push(`commit ${b.file}@${b.endOffset}${b.fileEnd ? ' end' : ''}`) }),
    ]);
    expect(events).toEqual(['write 1,2', 'commit a@20', 'write 3', 'commit a@30 end', 'commit b@0 end', 'write 1', 'commit c@10 end']);
  });
});

describe('createDatasetSink onCommit', () => {
  /** Writers that accept everything: the sink's reporting is what is tested. */
  const writers = { write: async () => undefined, flush: async () => undefined } as unknown as DatasetWriters;

  test.each([
    [100, ['a@30 3 end']],
    [2, ['a@20 2 checkpoint', 'a@30 1 end', 'b@10 1 checkpoint end']],
    // A checkpoint on a file's last line was reported at once (the writers flushed there); the file end follows on its own.
    [3, ['a@30 3 checkpoint', 'a@30 0 end', 'b@10 1 end']],
  ])('checkpoint every %i lines: once per part, an entry-less file end merged when it can be', async (checkpointLines, expected) => {
    const seen: string[] = [];
    const onCommit = async (part: Batch, checkpoint: boolean) =>
      void seen.push(`${part.file}@${part.endOffset} ${part.entries.length}${checkpoint ? ' checkpoint' : ''}${part.fileEnd ? ' end' : ''}`);
    const batches = checkpointLines === 100 ? [batch('a', [1, 2, 3], 30), batch('a', [], 30, true)] : [batch('a', [1, 2, 3], 30), batch('a', [], 30, true), batch('b', [1], 10, true)];
    await runChain([Readable.from(batches, { objectMode: true }), createDatasetSink({ writers, linesDone: 0, checkpointLines, onCommit })]);
    expect(seen).toEqual(expected);
  });
});

describe('DatasetWriters and the processor serialize option', () => {
  /** The simple layout's three fixed files, collected in memory, from a chain whose processor serializes `serialize`. */
  async function simpleLayout(bytes: Buffer, serialize: Array<'pairs' | 'rejected' | 'errors'>): Promise<Record<string, string>> {
    const written: Record<string, Buffer[]> = { pairs: [], rejected: [], errors: [] };
    const target = (name: string) => ({ write: async (data: Buffer) => void written[name].push(Buffer.from(data)) });
    const plan = normalizeExportPlan({}, QA_INTERNAL);
    const writers = (await DatasetWriters.open({ out: os.tmpdir(), plan, preset: QA_INTERNAL, fixed: { pairs: target('pairs'), rejected: target('rejected'), errors: target('errors') } }))!;
    const chunks = [bytes.subarray(0, 5000), bytes.subarray(5000)];
    await runChain([
      Readable.from(chunks, { objectMode: true }),
      ...createProcessingStages({ serialize }),
      createRouter({ plan }),
      createDatasetSink({ writers, linesDone: 0, checkpointLines: plan.checkpointLines, onCommit: async () => undefined }),
    ]);
    return Object.fromEntries(Object.entries(written).map(([name, parts]) => [name, Buffer.concat(parts).toString('utf8')]));
  }

  test('a fixed file whose bytes the processor left out is written from the rows: the same bytes', async () => {
    const lines = recordLines(200, 3);
    lines.splice(50, 0, 'not json', '[1]');
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    const expected = await simpleLayout(bytes, ['pairs', 'rejected', 'errors']);
    expect(expected.pairs.length).toBeGreaterThan(0);
    expect(expected.rejected.length).toBeGreaterThan(0);
    expect(expected.errors.split('\n')).toHaveLength(3);
    expect(await simpleLayout(bytes, ['errors'])).toEqual(expected);
    expect(await simpleLayout(bytes, [])).toEqual(expected);
  });
});
