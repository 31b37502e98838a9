/**
 * format-module — loads the custom format modules an export's plan names
 * (`formats: { mine: { module: ./formats/mine.mjs } }`), only those, once, on the
 * main thread, with a real dynamic import (so ESM `.mjs`, and CommonJS `.cjs`/`.js`
 * through Node's ESM loader, both work). The checks on what a module exports and
 * returns are pure: lib/dataset/custom-format.ts.
 *
 * Custom formats run on the main thread, in the dataset sink, on the rows it
 * writes: a module path is plain data, but the rows are there already (an export
 * keeps them), a module then loads once per run, and a user's code never runs in
 * a worker that cannot report its errors with the input line.
 *
 *   const formats = await loadCustomFormats(plan.custom); // [{ name, module, columns, row, sha256 }]
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CustomFormat, type CustomFormatSpec, checkFormatModule } from '../dataset/custom-format';
import { QaHfError } from '../errors';

/**
 * `import()` as Node runs it. TypeScript compiles `import()` to `require()` for
 * CommonJS output, which cannot load every ESM module; this keeps the real one.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** Loads and checks each module (a relative path: from the working directory); ERR_FORMAT_MODULE naming the format. */
export async function loadCustomFormats(specs: readonly CustomFormatSpec[], base = process.cwd()): Promise<CustomFormat[]> {
  const formats: CustomFormat[] = [];
  for (const spec of specs) {
    const file = path.resolve(base, spec.module);
    let bytes: Buffer;
    let exported: unknown;
    try {
      bytes = await fs.readFile(file);
      exported = await importModule(pathToFileURL(file).href);
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      throw new QaHfError('ERR_FORMAT_MODULE', `format ${spec.name} (${spec.module}): cannot load the module: ${message}`);
    }
    formats.push(checkFormatModule(spec, exported, createHash('sha256').update(bytes).digest('hex')));
  }
  return formats;
}
