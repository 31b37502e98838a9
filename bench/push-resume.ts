/**
 * bench/push-resume.ts — what `qa-hf push` sends, against the local Hub stub
 * (test/hub-stub.ts): a generated corpus is exported (jsonl and parquet, train/test),
 * then pushed four times:
 *   first         into an empty repo: every file
 *   interrupted   the same into another empty repo whose commit fails once (500)
 *                 after the large files are uploaded; then the rerun: what it sends
 *   again         the export pushed a second time: nothing, no commit
 *   grown         an export of the corpus and 1 % more records: what changed
 * Printed: bytes received by the stub, files uploaded through LFS, commits, seconds.
 *
 *   node dist/bench/push-resume.js --records 50000 --seed 42
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pushCommand } from '../commands/push';
import { startHubStub } from '../test/hub-stub';
import { generateRecords } from './generate';

const { values } = parseArgs({ options: { records: { type: 'string', default: '50000' }, seed: { type: 'string', default: '42' } } });
const records = Number(values.records);
const seed = Number(values.seed);
const work = mkdtempSync(path.join(os.tmpdir(), 'qa-hf-push-bench-'));
const cli = path.join(__dirname, '..', 'cli.js');
const TOKEN = 'hf_stub_write_token';

function exportOf(name: string, lines: string[]): string {
  const input = path.join(work, `${name}.jsonl`);
  writeFileSync(input, `${lines.join('\n')}\n`);
  const out = path.join(work, name);
  const run = spawnSync(process.execPath, [cli, 'export', input, '--out', out, '--format', 'jsonl,parquet', '--split', 'train=0.9,test=0.1', '--max-shard-size', '20MB', '-q']);
  if (run.status !== 0 && run.status !== 4) throw new Error(run.stderr.toString());
  return out;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

async function main(): Promise<void> {
  const lines = [...generateRecords(records, seed)];
  const first = exportOf('v1', lines);
  const grown = exportOf('v2', [...lines, ...generateRecords(Math.round(records / 100), seed + 1)]);
  const stub = await startHubStub();
  const rows: string[] = ['| push | bytes received | LFS uploads | commits | seconds |', '| --- | ---: | ---: | ---: | ---: |'];
  const run = async (name: string, dir: string, repo: string, failCommit = false) => {
    const before = { bytes: stub.uploadedBytes, lfs: stub.lfsUploads.length, commits: stub.commits };
    if (failCommit) stub.failNextCommit = 500;
    const started = process.hrtime.bigint();
    await pushCommand({ dir, repo, hubUrl: stub.url, quiet: true }, { env: { HF_TOKEN: TOKEN } }).catch((err: Error) => {
      if (!failCommit) throw err;
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rows.push(`| ${name} | ${mb(stub.uploadedBytes - before.bytes)} | ${stub.lfsUploads.length - before.lfs} | ${stub.commits - before.commits} | ${seconds.toFixed(2)} |`);
  };
  stub.createRepo('me/first');
  stub.createRepo('me/resumed');
  await run('first (empty repo)', first, 'me/first');
  await run('interrupted: commit refused (500) after the uploads', first, 'me/resumed', true);
  await run('interrupted: the rerun', first, 'me/resumed');
  await run('again (same export)', first, 'me/first');
  await run('grown (+1 % records)', grown, 'me/first');
  await stub.close();
  process.stdout.write(`${records} records, seed ${seed}\n\n${rows.join('\n')}\n`);
  rmSync(work, { recursive: true, force: true });
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
