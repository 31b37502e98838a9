import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable, PassThrough } from 'node:stream';
import type { Batch } from '../lib/batch';
import { AtomicFile } from '../lib/io/atomic-file';
import { createSink } from '../streams/sink';
import { runChain } from '../streams/chain';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-sink-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function serialized(pairs: string, errors = '', stop: Batch['stop'] = null): Batch {
  return { file: 'f', entries: [], endOffset: 0, endLine: 0, fileEnd: false, output: { pairs, rejected: '', errors }, stop };
}

describe('sink', () => {
  test('a path output appears only when the stream finishes, whole', async () => {
    const target = path.join(dir, 'pairs.jsonl');
    const source = new PassThrough({ objectMode: true });
    const done = runChain([source, createSink({ outputs: { pairs: target } })]);
    source.write(serialized('a\n'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(fs.access(target)).rejects.toThrow();
    source.end(serialized('b\n'));
    await done;
    expect(await fs.readFile(target, 'utf8')).toBe('a\nb\n');
    expect(await fs.readdir(dir)).toEqual(['pairs.jsonl']);
  });

  test('a failure leaves no final file and no temp file', async () => {
    const target = path.join(dir, 'pairs.jsonl');
    const failing = Readable.from([serialized('a\n'), serialized('b\n', '', { line: 3, offset: 9, code: 'ERR_SCHEMA', message: 'x' })], { objectMode: true });
    await expect(runChain([failing, createSink({ outputs: { pairs: target } })])).rejects.toMatchObject({ code: 'ERR_FAIL_FAST', line: 3 });
    expect(await fs.readdir(dir)).toEqual([]);
  });

  test('outputs without a target are counted only; onCommit sees every batch after writing', async () => {
    const seen: string[] = [];
    const target = path.join(dir, 'e.jsonl');
    await runChain([
      Readable.from([serialized('p1\n', 'e1\n'), serialized('p2\n')], { objectMode: true }),
      createSink({ outputs: { errors: target }, onCommit: (batch) => void seen.push(batch.output!.pairs) }),
    ]);
    expect(seen).toEqual(['p1\n', 'p2\n']);
    expect(await fs.readFile(target, 'utf8')).toBe('e1\n');
  });

  test('AtomicFile reopened at a committed length cuts what came after', async () => {
    const final = path.join(dir, 'x.jsonl');
    const tempPath = path.join(dir, '.x.partial');
    const first = await AtomicFile.open(final, { tempPath });
    await first.write(Buffer.from('keep\ncut me'));
    await first.abort(false);
    const resumed = await AtomicFile.open(final, { tempPath, keepBytes: 5 });
    await resumed.write(Buffer.from('more\n'));
    await resumed.commit();
    expect(await fs.readFile(final, 'utf8')).toBe('keep\nmore\n');
    await expect(fs.access(tempPath)).rejects.toThrow();
  });
});
