#!/usr/bin/env node
/**
 * parallel — runs each argument as a shell command, all at once, and exits with the
 * first failing command's status (0 when all pass). Each command's output is held
 * and printed whole when it ends, so two commands' lines never interleave.
 *
 *   node scripts/parallel.mjs "npm run build --silent" "npm run lint"
 *
 * `npm test` and `npm run lint` use it: the build (tsc emitting dist/) and the checks
 * (tsc over the tests, eslint, dependency-cruiser) each keep one core busy and need
 * nothing of each other, so on two cores they take about half the sum, not the sum.
 */
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import process from 'node:process';

const commands = process.argv.slice(2);
const statuses = await Promise.all(
  commands.map(
    (command) =>
      new Promise((resolve) => {
        const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'pipe'] });
        const output = [];
        child.stdout.on('data', (chunk) => output.push(chunk));
        child.stderr.on('data', (chunk) => output.push(chunk));
        child.on('error', (err) => {
          output.push(Buffer.from(`${err.message}\n`));
          resolve(1);
        });
        child.on('close', (code, signal) => {
          process.stdout.write(Buffer.concat(output));
          if (code !== 0) process.stderr.write(`scripts/parallel.mjs: \`${command}\` failed (${signal ?? `exit ${code}`})\n`);
          resolve(code ?? 1);
        });
      }),
  ),
);
process.exitCode = statuses.find((status) => status !== 0) ?? 0;
