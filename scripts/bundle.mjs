#!/usr/bin/env node
/**
 * bundle — the last step of `npm run build`: the entries a process starts from
 * (dist/cli.js, the `qa-hf` bin; dist/streams/worker.js, a worker thread of the pool)
 * become one file each, made by esbuild from the JavaScript tsc just wrote there.
 * A CLI start then reads and compiles one file instead of ~300 (of ~0.5 s of CPU per
 * start, about 0.2 s was module loading). dist/index.js and every other module stay
 * as tsc emits them: the library API, and what tests load, do not change.
 *
 * What stays a require() at run time, not in the bundle:
 *   - packages that find files beside their own code (__dirname, require.resolve:
 *     yargs' locales) or ship a native addon (zstd-napi);
 *   - packages only some commands load, on demand (S3 SDK, vega, tinyld, tokenizers and jinja, the Hub client);
 *   - ajv and libphonenumber-js: test/startup.test.ts watches them from outside.
 * A module of ours keeps its own __dirname and __filename (streams/worker-pool.ts finds
 * worker.js beside itself; lib/io/presets.ts walks up to presets/): both are rewritten
 * to the folder the module had in dist/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';

const DIST = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

const EXTERNAL = [
  'yargs',
  'zstd-napi',
  '@aws-sdk/*',
  '@huggingface/tokenizers',
  '@huggingface/jinja',
  '@huggingface/hub',
  'tinyld',
  'vega',
  'vega-lite',
  'ajv',
  'ajv/*',
  'libphonenumber-js',
  'libphonenumber-js/*',
];

/** Gives every module under dist/ its own __dirname and __filename (the bundle's are those of `base`, its folder). */
const ownDirname = (base) => ({
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(DIST + path.sep)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!/\b__(dirname|filename)\b/.test(text)) return { contents: text, loader: 'js' };
      // Relative to the bundle's folder, the folder __dirname names at run time.
      const dir = JSON.stringify(path.relative(base, path.dirname(args.path)).split(path.sep).join('/'));
      const file = JSON.stringify(path.relative(base, args.path).split(path.sep).join('/'));
      const contents =
        `var __qaHfDirname = require("node:path").join(__dirname, ${dir}), __qaHfFilename = require("node:path").join(__dirname, ${file});\n` +
        text.replace(/\b__dirname\b/g, '__qaHfDirname').replace(/\b__filename\b/g, '__qaHfFilename');
      return { contents, loader: 'js' };
    });
  },
});

/** Bundles dist/<entry> in place: the bundle's __dirname is the one tsc's file had. */
async function bundle(entry) {
  const file = path.join(DIST, entry);
  const source = fs.readFileSync(file, 'utf8');
  // tsc's output is the input: a bundle bundled again loses its modules' folders.
  if (source.includes('__qaHfDirname')) throw new Error(`${file} is a bundle already: run npm run build (tsc first)`);
  const out = `${file}.bundle.tmp`;
  await esbuild.build({
    entryPoints: [file],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: EXTERNAL,
    plugins: [ownDirname(path.dirname(file))],
    // tsc already wrote the shebang of cli.js; esbuild keeps it on the first line.
    legalComments: 'none',
    logLevel: 'warning',
    logOverride: { 'require-resolve-not-external': 'silent' },
  });
  fs.renameSync(out, file);
  fs.chmodSync(file, fs.statSync(file).mode | (source.startsWith('#!') ? 0o111 : 0));
}

/**
 * dist/lib/input/schema-validators.js: the shipped presets' schemas (and the documents'
 * schema of --segment) compiled by ajv to standalone code, so a run with one of them
 * loads no ajv and compiles nothing (lib/input/schema.ts compileSchema).
 */
function writeSchemaValidators() {
  const require = createRequire(import.meta.url);
  const { precompiledModule } = require(path.join(DIST, 'lib', 'input', 'schema.js'));
  const { loadPreset } = require(path.join(DIST, 'lib', 'io', 'presets.js'));
  const { PRESET_NAMES } = require(path.join(DIST, 'lib', 'input', 'presets.js'));
  const { DOCUMENT_SCHEMA } = require(path.join(DIST, 'lib', 'processor.js'));
  const schemas = [...PRESET_NAMES.map((name) => loadPreset(name).schema), DOCUMENT_SCHEMA];
  fs.writeFileSync(path.join(DIST, 'lib', 'input', 'schema-validators.js'), precompiledModule(schemas));
}

try {
  writeSchemaValidators();
  await bundle('cli.js');
  await bundle(path.join('streams', 'worker.js'));
} catch (err) {
  process.stderr.write(`scripts/bundle.mjs: ${err.stack}\n`);
  process.exitCode = 1;
}
