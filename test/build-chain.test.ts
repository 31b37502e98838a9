/**
 * buildChain (streams/chain.ts): the one place stages are put together. The layout
 * follows the plan (a part left out is a stage left out), and no module of the code
 * base joins stages itself: `runChain` is called in buildChain alone.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { Batch } from '../lib/batch';
import { parseSplitSpec } from '../lib/dataset/split';
import { buildChain } from '../streams/chain';
import { ROOT, internalRecord } from './helpers';

const plan = { spec: parseSplitSpec('train=1'), seed: 42, key: 'question' };

function collector(into: Batch[]): Writable {
  return new Writable({ objectMode: true, write: (batch: Batch, _e, callback) => (into.push(batch), callback()) });
}

test.each([
  ['processed source, no routing', { processing: null, route: null }, 2],
  ['processed source, routed', { processing: null, route: { plan } }, 3],
  ['raw source, processed in-process, routed, serialized again', { processing: {}, route: { plan }, reserialize: {} }, 6],
  ['raw source on a worker pool, no routing', { processing: { workers: 1 }, route: null }, 3],
])('the stages follow the plan: %s', (_what, chainPlan, count) => {
  const chain = buildChain(chainPlan, { source: Readable.from([]), sink: collector([]) });
  expect(chain.stages).toHaveLength(count);
  for (const stage of chain.stages) (stage as Readable).destroy();
});

test('a built chain runs raw lines through processing and routing to the sink', async () => {
  const batches: Batch[] = [];
  const lines = `${JSON.stringify(internalRecord())}\nnot json\n\n`;
  await buildChain({ processing: {}, route: { plan } }, { source: Readable.from([{ file: 'in.jsonl', data: Buffer.from(lines), end: true }]), sink: collector(batches) }).run();
  const channels = batches.flatMap((batch) => batch.entries.map((entry) => [entry.channel, entry.split]));
  expect(channels).toEqual([
    ['pairs', 0],
    ['errors', 0],
    ['blank', 0],
  ]);
});

/** Every .ts file of the code base (not tests, not dist). */
async function sources(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await fs.readdir(path.join(ROOT, dir), { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sources(file)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) found.push(file);
  }
  return found;
}

test('runChain is called only by buildChain (issue 17: one composition point)', async () => {
  const files = [...(await sources('streams')), ...(await sources('commands')), ...(await sources('lib')), 'cli.ts', 'index.ts'];
  const calls: string[] = [];
  for (const file of files) {
    const text = await fs.readFile(path.join(ROOT, file), 'utf8');
    // Code only: comments (usage examples in headers) are not calls.
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const match of code.matchAll(/runChain\(/g)) calls.push(`${file}@${match.index}`);
  }
  expect(calls).toHaveLength(2); // its definition and its one call
  expect(calls.every((call) => call.startsWith('streams/chain.ts@'))).toBe(true);
  const chain = (await fs.readFile(path.join(ROOT, 'streams/chain.ts'), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '');
  const body = chain.slice(chain.indexOf('export function buildChain('));
  expect(body).toContain('runChain(stages)');
});

test('no process.chdir in the code base (issue 17 item 2: a merge opens the ranks\' inputs from their working directory, a value of its plan)', async () => {
  const files = [...(await sources('streams')), ...(await sources('commands')), ...(await sources('lib')), 'cli.ts', 'index.ts'];
  const found: string[] = [];
  for (const file of files) {
    const code = (await fs.readFile(path.join(ROOT, file), 'utf8')).replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    if (code.includes('process.chdir')) found.push(file);
  }
  expect(files.length).toBeGreaterThan(50);
  expect(found).toEqual([]);
});
