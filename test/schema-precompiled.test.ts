/**
 * The build's precompiled validators (dist/lib/input/schema-validators.js, ajv standalone
 * code: lib/input/schema.ts precompiledModule) judge every record as ajv.compile's
 * validator does, with the same first error, for every shipped schema: checked on the
 * samples' records and on mutations of them (fields deleted, nulled, emptied, retyped).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { PRESET_NAMES, QA_INTERNAL } from '../lib/input/presets';
import { loadPreset } from '../lib/io/presets';
import { DOCUMENT_SCHEMA } from '../lib/processor';
import { ROOT } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build's output, not a module of the sources
const { validators } = require(path.join(ROOT, 'dist', 'lib', 'input', 'schema-validators.js')) as { validators: [string, () => ValidateFunction][] };
const built = new Map(validators);

/** Every sample record, then each with one field (at any depth) deleted, null, '', 0, true, [] or {}. */
function records(): unknown[] {
  const out: unknown[] = [];
  for (const file of readdirSync(path.join(ROOT, 'samples')).filter((name) => name.endsWith('.jsonl'))) {
    const lines = readFileSync(path.join(ROOT, 'samples', file), 'utf8').split('\n').filter(Boolean).slice(0, 4);
    for (const line of lines) {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        continue;
      }
      out.push(record);
      const paths: string[][] = [];
      const walk = (value: unknown, at: string[]) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
        for (const key of Object.keys(value)) {
          paths.push([...at, key]);
          walk((value as Record<string, unknown>)[key], [...at, key]);
        }
      };
      walk(record, []);
      for (const at of paths) {
        for (const replacement of [undefined, null, '', 0, 1.5, true, [], {}]) {
          const copy = structuredClone(record) as Record<string, unknown>;
          let parent = copy;
          for (const key of at.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
          if (replacement === undefined) delete parent[at[at.length - 1]];
          else parent[at[at.length - 1]] = replacement;
          out.push(copy);
        }
      }
    }
  }
  return out;
}

test.each([...PRESET_NAMES.map((name) => [name, () => loadPreset(name).schema] as const), ['documents (--segment)', () => DOCUMENT_SCHEMA] as const])(
  '%s: the built validator judges as ajv.compile does',
  (_name, schemaOf) => {
    const schema = schemaOf();
    const precompiled = built.get(JSON.stringify(schema));
    expect(precompiled).toBeDefined();
    const validate = precompiled!();
    const reference = new Ajv({ allErrors: false, unicode: false, strict: false, logger: false }).compile(schema);
    const all = records();
    expect(all.length).toBeGreaterThan(200);
    let invalid = 0;
    for (const record of all) {
      const ok = validate(record);
      expect(ok).toBe(reference(record));
      expect(validate.errors ?? null).toEqual(reference.errors ?? null);
      if (!ok) invalid++;
    }
    if (schema !== DOCUMENT_SCHEMA) expect(invalid).toBeGreaterThan(50);
  },
);

test('the default preset is among them', () => {
  expect(built.has(JSON.stringify(QA_INTERNAL.schema))).toBe(true);
});
