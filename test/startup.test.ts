/**
 * What every CLI start pays for: a run that reads no config file and finds no personal
 * data compiles no config schema and loads no libphonenumber-js (together ~0.25 s of CPU
 * per start, paid by every spawned CLI of this suite too). Speed itself is `npm run bench`'s.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ROOT } from './helpers';

const run = promisify(execFile);

/** Runs the built CLI with `args` in this process's node, counting ajv compiles and noting loaded packages. */
async function startup(args: string[]): Promise<{ compiled: string[]; phone: boolean }> {
  const script = `
    const Ajv = require('ajv').default;
    const compiled = [];
    const compile = Ajv.prototype.compile;
    Ajv.prototype.compile = function (schema, ...rest) { compiled.push(schema.$id); return compile.call(this, schema, ...rest); };
    process.argv = [process.argv[0], 'qa-hf', ...${JSON.stringify(args)}];
    process.on('exit', () => process.stderr.write(JSON.stringify({ compiled, phone: Object.keys(require.cache).some((file) => file.includes('/libphonenumber-js/')) })));
    require('./dist/cli.js');
  `;
  const { stderr } = await run(process.execPath, ['-e', script], { cwd: ROOT });
  return JSON.parse(stderr);
}

test('qa-hf --version compiles no schema and loads no libphonenumber-js', async () => {
  expect(await startup(['--version'])).toEqual({ compiled: [], phone: false });
});
