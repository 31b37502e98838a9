/**
 * presets — how an input record becomes a flat, English-named HF row.
 *
 * A preset bundles the input schema, the mapping and the output columns, so the
 * stages stay generic. The default, `qa-internal`, reads the internal QA pipeline
 * format (Swedish field names) and writes:
 *
 *   {"question","answer","source","persona","validation_score"}          passed pairs
 *   {…same…, "failure_reason"}                                            rejected pairs
 */
import qaInternalSchema from '../../schemas/qa-internal.schema.json';
import type { Row } from '../batch';
import { got, optionError } from '../errors';
import type { Column } from '../columns';

export type PairChannel = 'pairs' | 'rejected';

export interface Mapped {
  channel: PairChannel;
  row: Row;
}

/** A record the mapping cannot make a row of (ERR_MAPPING): the message names the column and the path. */
export interface MapFailure {
  channel: 'errors';
  message: string;
}

export type MapResult = Mapped | MapFailure;

export interface Preset {
  name: string;
  description: string;
  /** JSON Schema every input record must match. */
  schema: object;
  /** Columns of a passed pair, in output order. */
  pairColumns: readonly Column[];
  /** Columns of a rejected pair, in output order. */
  rejectedColumns: readonly Column[];
  /** Maps a record that matched `schema`. Pure: no I/O, no shared state; never throws. */
  map(record: Record<string, unknown>): MapResult;
  /**
   * The promise that `map` commutes with φ (lib/input/byte-text.ts): given the byte text of
   * a record (every string its UTF-8 bytes read as latin1) it returns the byte text of
   * the row it returns for the decoded record, and the same channel. True when `map`
   * only copies strings, joins them with ASCII, compares them with ASCII or
   * tests numbers and booleans; false when it measures, slices, cases or otherwise
   * looks inside a string. Only then may lines for this preset travel as byte text
   * (the fast path); a preset that is not checked this way says false.
   */
  byteTransparent: boolean;
}

/** A preset written in code whose map never fails. */
export interface CodePreset extends Preset {
  map(record: Record<string, unknown>): Mapped;
}

const QA_PAIR_COLUMNS: readonly Column[] = [
  { name: 'question', type: 'string' },
  { name: 'answer', type: 'string' },
  { name: 'source', type: 'string' },
  { name: 'persona', type: 'string' },
  { name: 'validation_score', type: 'float' },
];

interface QaInternalRecord {
  question: string;
  answer: string;
  /** null (a Python pipeline's None) as when absent: '' (the schema takes both). */
  source_document?: string | null;
  persona: { roll: string; erfarenhet: string };
  validation: { composite_score: number; passed: boolean; failure_reason?: string | null };
}

export const QA_INTERNAL: CodePreset = {
  name: 'qa-internal',
  description: 'internal QA pipeline records (persona.roll, validation.composite_score, …) to flat HF rows',
  schema: qaInternalSchema,
  pairColumns: QA_PAIR_COLUMNS,
  rejectedColumns: [...QA_PAIR_COLUMNS, { name: 'failure_reason', type: 'string' }],
  map(input) {
    const record = input as unknown as QaInternalRecord;
    const row: Row = {
      question: record.question,
      answer: record.answer,
      source: record.source_document ?? '',
      persona: `${record.persona.roll}/${record.persona.erfarenhet}`,
      validation_score: record.validation.composite_score,
    };
    if (record.validation.passed) return { channel: 'pairs', row };
    row.failure_reason = record.validation.failure_reason ?? '';
    return { channel: 'rejected', row };
  },
  // map copies strings, joins two with '/', tests `passed` and `?? ''`: all commute with φ.
  byteTransparent: true,
};

/**
 * `segments`: the records segmentation cuts out of documents (lib/input/segment.ts:
 * instruction, context, output, offset) as question–answer rows; every segment
 * passes. The default mapping of the `segment` option; on its own it reads JSONL
 * of such records (its schema: those four fields). With `segment`, its schema is
 * not applied (the segments are made by qa-hf; `schema` then checks the documents).
 */
export const SEGMENTS: Preset = {
  name: 'segments',
  description: 'segments (instruction, context, output, offset; cut out of documents by the segment option) to question, answer, context, offset',
  schema: {
    type: 'object',
    required: ['instruction', 'context', 'output', 'offset'],
    properties: {
      instruction: { type: 'string' },
      context: { type: 'string' },
      output: { type: 'string' },
      offset: { type: 'integer', minimum: 0 },
    },
  },
  pairColumns: [
    { name: 'question', type: 'string' },
    { name: 'answer', type: 'string' },
    { name: 'context', type: 'string' },
    { name: 'offset', type: 'int' },
  ],
  rejectedColumns: [
    { name: 'question', type: 'string' },
    { name: 'answer', type: 'string' },
    { name: 'context', type: 'string' },
    { name: 'offset', type: 'int' },
    { name: 'failure_reason', type: 'string' },
  ],
  map(record) {
    return { channel: 'pairs', row: { question: record.instruction, answer: record.output, context: record.context, offset: record.offset } };
  },
  // Segmentation reads characters (regular expressions, code-point offsets): never byte text.
  byteTransparent: false,
};

/**
 * The presets written in code: qa-internal, the default, whose hand-written map is
 * the fast path (presets/qa-internal.yaml is the same mapping as a config; a test
 * proves both give the same bytes on samples/), and segments.
 */
export const PRESETS: Readonly<Record<string, Preset>> = { [QA_INTERNAL.name]: QA_INTERNAL, [SEGMENTS.name]: SEGMENTS };

/**
 * Every preset shipped with the tool: one YAML file each in presets/ (a test
 * checks the list against the folder). The ones not in PRESETS are mappings,
 * loaded by lib/io/presets.ts and handed on as `mapping` (lib/input/mapping.ts).
 */
export const PRESET_NAMES: readonly string[] = ['qa-internal', 'flat-qa', 'squad', 'documents', 'messages', 'segments'];

export const DEFAULT_PRESET = QA_INTERNAL.name;

/** A preset written in code; a mapped preset's name throws (resolve it with its mapping, lib/input/mapping.ts resolvePreset). */
export function getPreset(name: string): Preset {
  const preset = PRESETS[name];
  if (!preset) {
    const hint = PRESET_NAMES.includes(name) ? ` (preset ${name} is a mapping: pass its mapping, lib/io/presets.ts presetMapping)` : '';
    throw optionError('preset', `unknown preset, expected one of ${Object.keys(PRESETS).join(', ')}${hint}, ${got(name)}`);
  }
  return preset;
}
