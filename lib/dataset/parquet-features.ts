/**
 * parquet-features — the `huggingface` key-value metadata of a Parquet footer:
 * {"info": {"features": {...}}} exactly as HF datasets' ArrowWriter writes it (Python
 * json.dumps text, `_type: "Value"`), so `load_dataset("parquet", …)` and the Hub
 * viewer take the features from the file. Pure.
 *
 *   hfFeaturesMetadata([{ name: 'question', type: 'string' }])
 *   // '{"info": {"features": {"question": {"dtype": "string", "_type": "Value"}}}}'
 */
import { type Feature, FORMATS } from './formats';
import type { Column, ColumnType } from '../columns';

/** The footer key HF datasets reads features from (ArrowWriter._build_metadata). */
export const HF_METADATA_KEY = 'huggingface';

export const HF_VALUE_DTYPES: Record<ColumnType, string> = { string: 'string', float: 'float64', int: 'int64', bool: 'bool', 'list<string>': 'string' };

/**
 * Python `json.dumps` text (", " and ": " separators, ensure_ascii) of strings, objects,
 * arrays, integers, booleans and null (a float like 1.0 would print as 1: not needed here).
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([key, item]) => `${pythonJsonDumps(key)}: ${pythonJsonDumps(item)}`)
      .join(', ')}}`;
  }
  throw new TypeError(`cannot write ${typeof value} as JSON`);
}

/** The `huggingface` footer value for flat columns, byte-identical to what HF datasets writes. */
export function hfFeaturesMetadata(columns: readonly Column[]): string {
  const features: Record<string, unknown> = {};
  for (const column of columns) {
    const value = { dtype: HF_VALUE_DTYPES[column.type], _type: 'Value' };
    // datasets' Sequence(Value('string')).to_dict(), in its field order.
    features[column.name] = column.type === 'list<string>' ? { feature: value, length: -1, _type: 'Sequence' } : value;
  }
  return pythonJsonDumps({ info: { features } });
}

/** The card's features of the parquet format (same as the flat jsonl). */
export function parquetFeatures(columns: readonly Column[]): Feature[] {
  return FORMATS.parquet.features({ columns });
}
