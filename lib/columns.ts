/**
 * columns — the shape of an output row: its columns in order, each with one JSON type.
 * Shared by the presets, the serializers (JSONL, CSV, Parquet) and the dataset card;
 * types only, so every module can depend on it without depending on a serializer.
 */
export type ColumnType = 'string' | 'float' | 'int' | 'bool';

export interface Column {
  name: string;
  type: ColumnType;
}
