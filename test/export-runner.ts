/**
 * Runs an export through the library's plan and command function (lib/plan.ts,
 * commands/export of the built dist/, no CLI parsing) in a child process: options that only a config file
 * gives (`segment`, `formats`) go in as plain data, as the config loader passes
 * them. A child process, so a run can be SIGKILLed and a custom format module is
 * loaded by Node's own import().
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';

const SCRIPT = `
const { exportCommand } = require(${JSON.stringify(path.join(ROOT, 'dist/commands/export/index.js'))});
const { planRun } = require(${JSON.stringify(path.join(ROOT, 'dist/lib/plan.js'))});
const { readPlanFiles } = require(${JSON.stringify(path.join(ROOT, 'dist/lib/io/plan-files.js'))});
const flags = JSON.parse(process.argv[1]);
Promise.resolve().then(() => exportCommand(planRun('export', flags, null, { vars: process.env, cwd: process.cwd() }, readPlanFiles(flags, null)))).then(
  () => {},
  (err) => {
    process.stderr.write('qa-hf: ' + (typeof err.toLine === 'function' ? err.toLine() : err.stack) + '\\n');
    process.exitCode = err.code === 'ERR_CONFIG' || err.code === 'ERR_OPTION' || err.code === 'ERR_USAGE' ? 2 : 1;
  },
);
`;

export const EXPORT_DEFAULTS = { failFast: false, dryRun: false, restart: false, quiet: true, maxLineBytes: 10 << 20 };

export interface ExportRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs exportCommand(args) in a child (`env`: added to this process's); with `killAtCheckpointIn`, SIGKILLs it once a checkpoint inside an input exists there. */
export function runExport(args: Record<string, unknown>, options: { cwd?: string; killAtCheckpointIn?: string; env?: Record<string, string> } = {}): Promise<ExportRun> {
  const env = options.env && { ...process.env, ...options.env };
  const child = spawn(process.execPath, ['-e', SCRIPT, JSON.stringify({ ...EXPORT_DEFAULTS, ...args })], { cwd: options.cwd ?? ROOT, stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env } : {}) });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const closed = new Promise<ExportRun>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  const out = options.killAtCheckpointIn;
  if (out !== undefined) {
    (async () => {
      for (let i = 0; i < 4000 && child.exitCode === null; i++) {
        const text = await fs.readFile(path.join(out, '.qa-hf-checkpoint.json'), 'utf8').catch(() => null);
        if (text && JSON.parse(text).position.offset > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      child.kill('SIGKILL');
    })();
  }
  return closed;
}

/**
 * Every file under `dir` (relative paths, sorted) with the sha256 of its bytes, except
 * stats.json and manifest.json (they hold run times). Hashes: jest compares Buffers byte by byte, slowly.
 */
export async function dataFiles(dir: string, under = ''): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of (await fs.readdir(path.join(dir, under), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const relative = under ? `${under}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(files, await dataFiles(dir, relative));
    else if (relative !== 'stats.json' && relative !== 'manifest.json') files[relative] = createHash('sha256').update(await fs.readFile(path.join(dir, relative))).digest('hex');
  }
  return files;
}
