/**
 * columns — the shape of an output row: its columns in order, each with one JSON type.
 * Shared by the presets, the serializers (JSONL, CSV, Parquet) and the dataset card;
 * types only, so every module can depend on it without depending on a serializer.
 *
 * `list<string>` is a JSON array of strings: a Parquet LIST of UTF8, the card's
 * `sequence: string`, and in CSV its JSON text (CSV has no lists).
 */
export type ColumnType = 'string' | 'float' | 'int' | 'bool' | 'list<string>';

export interface Column {
  name: string;
  type: ColumnType;
}
