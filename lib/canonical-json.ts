/**
 * canonical-json — one text per JSON value (keys sorted at every level, undefined
 * members dropped) and its sha256: the options hash of a manifest and a checkpoint.
 */
import { createHash } from 'node:crypto';

/** sha256 of a canonical JSON text: keys sorted at every level. */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
