/**
 * byte-text — when a line may be processed as its raw bytes, and the proof that it
 * gives the same output bytes as processing its decoded text.
 *
 * A byte text is a line's UTF-8 bytes read as latin1: one character per byte, so
 * always a one-byte V8 string. Making it costs a tenth of a UTF-8 decode, and
 * JSON.parse, JSON.stringify and the final encoding (latin1 = a copy) all run on
 * one-byte strings. Write φ(s) for the byte text of a string s.
 *
 * Why the output is the same bytes. For a line that is valid UTF-8 and holds no
 * `\u` escape:
 *   - JSON.parse(φ(T)) succeeds exactly when JSON.parse(T) does, with the same
 *     structure, numbers and booleans, and φ(s) for every string and key s: JSON's
 *     syntax is ASCII, every byte ≥ 0x80 is a plain string character, and the other
 *     escapes (\" \\ \/ \b \f \n \r \t) stand for ASCII characters;
 *   - φ is injective, so key equality, duplicate keys and deep equality agree;
 *   - JSON.stringify escapes only `"`, `\`, controls and lone surrogates, none of
 *     which φ creates or removes (a line of valid UTF-8 without \u has no surrogate),
 *     so JSON.stringify(φ(s)) = φ(JSON.stringify(s)), and φ of a concatenation is
 *     the concatenation of φs;
 *   - latin1-encoding φ(x) gives UTF-8(x).
 * What is not covered is avoided: a line with `\u` is decoded; a preset is used on
 * byte text only when its mapping is known to commute with φ (`Preset.byteTransparent`);
 * a schema only when passing it as bytes implies passing it as text
 * (isByteSafeSchema); and any line that fails as bytes is redone as decoded text,
 * so every error message, error row and `raw` field comes from the real text.
 *
 *   if (canUseByteText(preset, schema)) createLineSplitter({ byteText: true })
 *   fromByteText(toByteText('vårdplan 🩺')) === 'vårdplan 🩺'
 */
import type { Preset } from './presets';

/** φ: the byte text of a string (its UTF-8 bytes as latin1). */
export function toByteText(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** φ⁻¹: the string a byte text of valid UTF-8 stands for. */
export function fromByteText(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/**
 * True when a line's byte text may parse differently from its text: a `\u`
 * escape can stand for a non-ASCII character or a surrogate. Over-cautious on
 * purpose (`\\u` is no escape of u, but is decoded all the same).
 */
export function needsDecoding(byteText: string): boolean {
  return byteText.indexOf('\\u') !== -1;
}

/**
 * True when lines for `preset` and `schema` may travel as byte text: the preset
 * promises that its `map` commutes with φ (`byteTransparent`, lib/input/presets.ts) and
 * the schema passes as bytes exactly when it passes as text (isByteSafeSchema).
 */
export function canUseByteText(preset: Preset, schema: object): boolean {
  return preset.byteTransparent === true && isByteSafeSchema(schema);
}

/** Keywords that carry no constraint. */
const ANNOTATIONS = new Set([
  '$schema', '$id', 'id', '$comment', 'title', 'description', 'default', 'examples',
  'readOnly', 'writeOnly', 'deprecated',
]);

/** Keywords whose value is a number and whose check reads no string content. */
const NUMERIC = new Set([
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minItems', 'maxItems', 'minProperties', 'maxProperties',
  // A string's UTF-8 byte count is at least its UTF-16 length: within a maximum as
  // bytes means within it as text.
  'maxLength',
]);

const ASCII = /^\p{ASCII}*$/u;

/**
 * True when every record that passes `schema` as byte text also passes it as text.
 * (The other way round needs no proof: a line that fails as bytes is redone.)
 * Conservative: a keyword not known to be safe (pattern, format, oneOf, not, if,
 * propertyNames, a remote $ref, …) or a non-ASCII name or constant makes it false.
 */
export function isByteSafeSchema(schema: unknown): boolean {
  const visiting = new Set<unknown>();

  function safeValue(value: unknown): boolean {
    // enum/const members: equal as bytes ⇔ equal as text, when every string is ASCII.
    if (typeof value === 'string') return ASCII.test(value);
    if (Array.isArray(value)) return value.every(safeValue);
    if (value !== null && typeof value === 'object') {
      return Object.entries(value).every(([key, member]) => ASCII.test(key) && safeValue(member));
    }
    return true;
  }

  function safeSchemaMap(value: unknown): boolean {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    return Object.entries(value).every(([key, member]) => ASCII.test(key) && safe(member));
  }

  function resolve(ref: string): unknown {
    if (ref !== '#' && !ref.startsWith('#/')) return undefined;
    let target: unknown = schema;
    for (const raw of ref === '#' ? [] : ref.slice(2).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (target === null || typeof target !== 'object') return undefined;
      target = (target as Record<string, unknown>)[key];
    }
    return target;
  }

  function safe(node: unknown): boolean {
    if (typeof node === 'boolean') return true;
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
    if (visiting.has(node)) return true; // a cycle through $ref: checked where it started
    visiting.add(node);
    for (const [keyword, value] of Object.entries(node)) {
      if (ANNOTATIONS.has(keyword)) continue;
      if (NUMERIC.has(keyword)) {
        if (typeof value !== 'number') return false;
        continue;
      }
      switch (keyword) {
        case 'type':
          continue;
        case 'minLength':
          // Non-empty as bytes ⇔ non-empty as text; a longer minimum is not.
          if (typeof value !== 'number' || value > 1) return false;
          continue;
        case 'required':
          if (!Array.isArray(value) || !value.every((name) => typeof name === 'string' && ASCII.test(name))) return false;
          continue;
        case 'enum':
        case 'const':
          if (!safeValue(value)) return false;
          continue;
        case 'properties':
        case 'definitions':
        case '$defs':
          if (!safeSchemaMap(value)) return false;
          continue;
        case 'dependencies':
          if (value === null || typeof value !== 'object') return false;
          for (const [name, dependency] of Object.entries(value)) {
            if (!ASCII.test(name)) return false;
            if (Array.isArray(dependency) ? !safeValue(dependency) : !safe(dependency)) return false;
          }
          continue;
        case 'additionalProperties':
        case 'additionalItems':
        case 'contains':
          if (!safe(value)) return false;
          continue;
        case 'items':
          if (Array.isArray(value) ? !value.every(safe) : !safe(value)) return false;
          continue;
        case 'uniqueItems':
          continue;
        case 'allOf':
        case 'anyOf':
          // Passing as bytes passes the same branches as text.
          if (!Array.isArray(value) || !value.every(safe)) return false;
          continue;
        case '$ref': {
          if (typeof value !== 'string') return false;
          const target = resolve(value);
          if (target === undefined || !safe(target)) return false;
          continue;
        }
        default:
          return false;
      }
    }
    return true;
  }

  return safe(schema);
}
