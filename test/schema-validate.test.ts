import { newEntry, type Batch } from '../lib/batch';
import { compileSchema, validateBatch } from '../lib/input/schema';
import { QA_INTERNAL } from '../lib/input/presets';
import { createSchemaValidator } from '../streams/schema-validate';
import { internalRecord, runCli } from './helpers';

const validate = compileSchema(QA_INTERNAL.schema);

describe('schema validate (qa-internal)', () => {
  test('a full record and a minimal one pass; other fields are ignored', () => {
    expect(validate(internalRecord({ source_document: 'x.pdf', failure_reason: 'r' }))).toBeNull();
    expect(validate({ ...internalRecord(), extra: { deep: [1, 2] }, id: 7 })).toBeNull();
  });

  test.each([
    [{ ...internalRecord(), question: undefined }, 'question is required'],
    [internalRecord({ question: '' }), 'question must not be empty'],
    [internalRecord({ answer: 42 }), 'answer must be string'],
    [internalRecord({ roll: 5 }), 'persona.roll must be string'],
    [{ ...internalRecord(), persona: { roll: 'x' } }, 'persona.erfarenhet is required'],
    [internalRecord({ score: 1.5 }), 'validation.composite_score must be <= 1'],
    [internalRecord({ score: -0.1 }), 'validation.composite_score must be >= 0'],
    [internalRecord({ score: '0.5' }), 'validation.composite_score must be number'],
    [internalRecord({ passed: 'yes' }), 'validation.passed must be boolean'],
    [internalRecord({ source_document: 3 }), 'source_document must be string or null'],
    [internalRecord({ failure_reason: false }), 'validation.failure_reason must be string or null'],
  ])('%# rejects with "%s"', (record, message) => {
    expect(validate(JSON.parse(JSON.stringify(record)))).toBe(message);
  });

  test('null in an optional field is as the field absent (a Python pipeline writes None so)', () => {
    expect(validate(internalRecord({ source_document: null, failure_reason: null }))).toBeNull();
    expect(validate(internalRecord({ source_document: null, passed: false, failure_reason: null }))).toBeNull();
  });

  const withNull = (at: string[]): Record<string, unknown> => {
    const record = structuredClone(internalRecord());
    let parent = record;
    for (const key of at.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    parent[at[at.length - 1]] = null;
    return record;
  };
  test.each([
    [['question'], 'question must be string, got null (question is required: null counts as missing)'],
    [['answer'], 'answer must be string, got null (answer is required: null counts as missing)'],
    [['persona'], 'persona must be object, got null (persona is required: null counts as missing)'],
    [['persona', 'roll'], 'persona.roll must be string, got null (persona.roll is required: null counts as missing)'],
    [['persona', 'erfarenhet'], 'persona.erfarenhet must be string, got null (persona.erfarenhet is required: null counts as missing)'],
    [['validation'], 'validation must be object, got null (validation is required: null counts as missing)'],
    [['validation', 'composite_score'], 'validation.composite_score must be number, got null (validation.composite_score is required: null counts as missing)'],
    [['validation', 'passed'], 'validation.passed must be boolean, got null (validation.passed is required: null counts as missing)'],
  ])('null in the required %j stays an error that says so', (at, message) => {
    expect(validate(withNull(at))).toBe(message);
  });

  test('marks failing entries ERR_SCHEMA in a batch', () => {
    const entries = [newEntry(1, 0, ''), newEntry(2, 5, '')];
    entries[0].value = internalRecord();
    entries[1].value = {};
    const batch: Batch = { file: 'f', entries, endOffset: 9, endLine: 2, fileEnd: false, output: null, stop: null };
    validateBatch(batch, validate);
    expect(entries.map((e) => e.errorCode)).toEqual([null, 'ERR_SCHEMA']);
  });

  test('a schema that does not compile is one clear error', () => {
    expect(() => createSchemaValidator({ schema: { type: 'no-such-type' } })).toThrow(/schema does not compile/);
  });
});

describe('schema messages', () => {
  test.each([
    [{ type: 'object', properties: { source: { type: ['string', 'null'] } } }, { source: 5 }, 'source must be string or null'],
    [{ type: 'object', properties: { n: { type: ['integer', 'string', 'null'] } } }, { n: 1.5 }, 'n must be integer, string or null'],
    [{ type: 'object', properties: { s: { type: 'string' } } }, { s: 1 }, 's must be string'],
    // A user's schema: null where it takes none is named; "required" only when it is.
    [{ type: 'object', properties: { s: { type: 'string' } } }, { s: null }, 's must be string, got null'],
    [{ type: 'object', required: ['s'], properties: { s: { type: 'string' } } }, { s: null }, 's must be string, got null (s is required: null counts as missing)'],
    [{ type: 'object', properties: { s: { type: 'string' } } }, null, 'record must be object, got null'],
  ])('%j on %j: %s', (schema, value, message) => {
    expect(compileSchema(schema)(value)).toBe(message);
  });

  test('flat-qa: a null source is the default "", as an absent one; a number is an error', async () => {
    const result = await runCli(['--preset', 'flat-qa', '-q'], '{"question":"Q?","answer":"A.","source":null}\n{"question":"Q?","answer":"A.","source":5}\n');
    expect(result.stdout.toString()).toBe('{"question":"Q?","answer":"A.","source":""}\n');
    expect(result.code).toBe(0);
  });
});
