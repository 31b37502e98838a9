import { newEntry, type Batch } from '../lib/batch';
import { compileSchema, validateBatch } from '../lib/schema';
import { QA_INTERNAL } from '../lib/presets';
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
    [internalRecord({ source_document: 3 }), 'source_document must be string'],
    [internalRecord({ failure_reason: false }), 'validation.failure_reason must be string'],
  ])('%# rejects with "%s"', (record, message) => {
    expect(validate(JSON.parse(JSON.stringify(record)))).toBe(message);
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
  ])('%j on %j: %s', (schema, value, message) => {
    expect(compileSchema(schema)(value)).toBe(message);
  });

  test('flat-qa: a null source is the default "", as an absent one; a number is an error', async () => {
    const result = await runCli(['--preset', 'flat-qa', '-q'], '{"question":"Q?","answer":"A.","source":null}\n{"question":"Q?","answer":"A.","source":5}\n');
    expect(result.stdout.toString()).toBe('{"question":"Q?","answer":"A.","source":""}\n');
    expect(result.code).toBe(0);
  });
});
