/**
 * qa-hf — library entry: the stages, their pure cores and the types they share.
 *
 *   import { createFileSource, createProcessingStages, createSink, runChain } from 'qa-hf';
 *   await runChain([createFileSource(['qa.jsonl']), ...createProcessingStages(), createSink({ outputs: { pairs: 'pairs.jsonl' } })]);
 */
export { createFileSource, STDIN_NAME, DEFAULT_CHUNK_BYTES } from './streams/file-source';
export type { FileChunk, InputSpec, FileSourceOptions } from './streams/file-source';
export { createLineSplitter } from './streams/line-splitter';
export type { LineSplitterOptions } from './streams/line-splitter';
export { createJsonParser } from './streams/json-parse';
export { createSchemaValidator } from './streams/schema-validate';
export type { SchemaValidatorOptions } from './streams/schema-validate';
export { createHfMapper } from './streams/hf-mapper';
export type { HfMapperOptions } from './streams/hf-mapper';
export { createSerializer } from './streams/serializer';
export type { SerializerOptions } from './streams/serializer';
export { createSink } from './streams/sink';
export type { SinkOptions, SinkTarget, SinkCommit, SinkResume } from './streams/sink';
export { createCheckpoint, createCheckpointStage, loadResumePoint, DEFAULT_CHECKPOINT_BYTES, DEFAULT_CHECKPOINT_MS } from './streams/checkpoint';
export type { CheckpointOptions, ResumePoint } from './streams/checkpoint';
export { createRouter } from './streams/router';
export type { RouterOptions } from './streams/router';
export { makeRouter, applyRoute, planRules, minScoreRule, BELOW_MIN_SCORE } from './lib/route';
export type { Route, RoutePlan, RouteRule } from './lib/route';
export { buildChain, runChain, createProcessingStages, DEFAULT_WORKERS } from './streams/chain';
export { createWorkerPool, MAX_WORKERS } from './streams/worker-pool';
export { processBatch } from './lib/worker-task';
export type { ProcessingOptions, ChainPlan, ChainEnds, Chain } from './streams/chain';

export type { Batch, Entry, Channel, Row } from './lib/batch';
export { QaHfError, RECORD_ERROR_CODES, configError, pointerOf } from './lib/errors';
export type { ErrorCode, RecordErrorCode, RunErrorCode } from './lib/errors';
export { LineScanner, DEFAULT_MAX_LINE_BYTES } from './lib/lines';
export { parseBatch } from './lib/parse';
export { compileSchema, validateBatch } from './lib/schema';
export { mapBatch } from './lib/map';
export { serializeBatch, makeJsonlWriters, ERROR_COLUMNS } from './lib/serialize';
export { makeRowWriter, formatFloat } from './lib/jsonl';
export type { Column, ColumnType } from './lib/columns';
export { PRESETS, PRESET_NAMES, QA_INTERNAL, SEGMENTS, getPreset } from './lib/presets';
export type { Preset, MapResult } from './lib/presets';
export { compileMapping, resolvePreset, parsePath, COLUMN_TYPE_NAMES, MAPPING_KEYS } from './lib/mapping';
export type { MappingSpec, ColumnSpec, ColumnSpecObject, ColumnTypeName } from './lib/mapping';
export { builtinPresets, loadPreset, loadMappingSchema, presetMapping, withPresetMapping } from './lib/io/presets';
export type { PresetFile } from './lib/io/presets';
export { compileSegmenter } from './lib/segment';
export type { Segment, SegmentSpec, Segmenter } from './lib/segment';
export { checkFormatModule, makeCustomFormatter } from './lib/custom-format';
export type { CustomFormat, CustomFormatSpec } from './lib/custom-format';
export { Tally, balanced, formatSummary } from './lib/tally';
export type { Counts } from './lib/tally';
export { AtomicFile, writeFileAtomic } from './lib/io/atomic-file';
export type { OutputTarget } from './lib/target';
export { exportDataset, resolveExport } from './commands/export';
export type { ExportDatasetOptions, ExportProgress, ExportArgs } from './commands/export';
export { CONFIG_FILE, parseConfigText, configFromObject, validateSemantics, SEMANTIC_CHECKS } from './lib/config';
export type { Config, SemanticCheck, MappingSection, FormatsSection, SegmentSection } from './lib/config';
export type { CardMeta } from './lib/card';
