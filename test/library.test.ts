/** The built package as a user imports it: `require('qa-hf')` and a chain of its stages. */
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT } from './helpers';

test('require("qa-hf") exposes the stage factories and runs a composed chain', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-lib-'));
  const script = `
    const q = require('qa-hf');
    const names = ['createFileSource', 'createLineSplitter', 'createJsonParser', 'createSchemaValidator',
      'createHfMapper', 'createSerializer', 'createSink', 'runChain', 'createProcessingStages', 'QaHfError'];
    for (const name of names) if (typeof q[name] !== 'function') throw new Error(name + ' missing');
    const counts = { lines: 0 };
    q.runChain([
      q.createFileSource([process.argv[1]]),
      q.createLineSplitter({ maxLineBytes: 1 << 20 }),
      q.createJsonParser(),
      q.createSchemaValidator(),
      q.createHfMapper(),
      q.createSerializer(),
      q.createSink({
        outputs: { pairs: process.stdout, rejected: process.argv[2] },
        onCommit: (batch) => { counts.lines += batch.entries.length; },
      }),
    ]).then(() => process.stderr.write(JSON.stringify(counts)));
  `;
  const rejected = path.join(dir, 'rejected.jsonl');
  const result = spawnSync(process.execPath, ['-e', script, 'samples/qa_mixed.jsonl', rejected], { cwd: ROOT, encoding: 'utf8' });
  expect(result.stderr).toBe('{"lines":5}');
  expect(result.stdout).toBe(await fs.readFile(path.join(ROOT, 'samples/expected/qa_mixed.pairs.jsonl'), 'utf8'));
  expect(await fs.readFile(rejected, 'utf8')).toBe(await fs.readFile(path.join(ROOT, 'samples/expected/qa_mixed.rejected.jsonl'), 'utf8'));
  await fs.rm(dir, { recursive: true });
});

test('the package.json bin and the typed entry point are where the build puts them', async () => {
  const pkg = JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.bin['qa-hf']).toBe('dist/cli.js');
  await fs.access(path.join(ROOT, pkg.exports['.'].types));
  expect((await fs.readFile(path.join(ROOT, 'dist/cli.js'), 'utf8')).startsWith('#!/usr/bin/env node')).toBe(true);
});
