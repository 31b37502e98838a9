/**
 * partition — `--partition-by COLUMN`: the config a passed pair is written under,
 * named after its value of COLUMN, Hub-safe. Pure: no stream, no file.
 *
 * A config name is `{column}_{value}` in lowercase ASCII letters, digits and `_`:
 * letters lose their accents (NFKD, combining marks dropped: `sköterska` →
 * `skoterska`), every other run of characters becomes one `_`, and the ends are
 * trimmed. So values that differ only in case, accents or punctuation share a config
 * (each row keeps its own value in COLUMN). A value with nothing left (`"—"`, `"日本"`),
 * or whose name would pass MAX_VALUE_CHARS, is named by a hash of its text instead, so
 * two such values never share a config by accident. null, a missing value and `""` are
 * `{column}_null` and `{column}_empty`; a number or boolean is named by its JSON text.
 * The name depends on the value alone (never on input order), so the same value gets
 * the same config in every version and on every rank.
 *
 *   partitionName('persona', 'Sjuksköterska (erfaren)')  // 'persona_sjukskoterska_erfaren'
 *   partitionName('persona', null)                       // 'persona_null'
 */
import { createHash } from 'node:crypto';
import type { Row } from '../batch';

/** Default --max-partitions: configs a Hub dataset can list and a person can read in its card (issue 20: "say 100"). */
export const DEFAULT_MAX_PARTITIONS = 100;

/** Characters of a value's part of a config name; a longer one is named by its hash (a config name stays readable). */
export const MAX_VALUE_CHARS = 48;

/** The config name of a value of `column` (see the header). */
export function partitionName(column: string, value: unknown): string {
  return `${slug(column) || 'column'}_${valuePart(value)}`;
}

/** The config name of a row: its value of the partition column. */
export function rowPartition(row: Row, column: string): string {
  return partitionName(column, row[column]);
}

/** The value as the card shows it: text as is, anything else as its JSON (`null` for a missing value). */
export function partitionValueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

function valuePart(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (text === '') return 'empty';
  const part = slug(text);
  if (part !== '' && part.length <= MAX_VALUE_CHARS) return part;
  // Nothing Hub-safe left, or too long: the start of it (if any) and a hash of the whole text.
  const hash = createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 10);
  const start = part.slice(0, MAX_VALUE_CHARS - 11).replace(/_+$/, '');
  return start === '' ? `h${hash}` : `${start}_${hash}`;
}

/** Latin letters NFKD does not take apart, as they are written in ASCII. */
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', ø: 'o', œ: 'oe', ł: 'l', đ: 'd', þ: 'th' };

/** Lowercase ASCII letters and digits, every other run of characters one `_`, accents dropped, ends trimmed. */
function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßæøœłđþ]/g, (letter) => LETTERS[letter])
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
