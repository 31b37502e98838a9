import { newEntry, type Batch } from '../lib/batch';
import { mapBatch } from '../lib/input/map';
import { QA_INTERNAL, getPreset } from '../lib/input/presets';
import { internalRecord } from './helpers';

function mapOne(record: Record<string, unknown>) {
  const entry = newEntry(1, 0, '');
  entry.value = record;
  const batch: Batch = { file: 'f', entries: [entry], endOffset: 1, endLine: 1, fileEnd: false, output: null, stop: null };
  mapBatch(batch, QA_INTERNAL);
  return entry;
}

describe('hf mapper (qa-internal)', () => {
  test('a passed pair becomes the flat row, keys in order', () => {
    const entry = mapOne(internalRecord({ source_document: 'vård/riktlinje.pdf', roll: 'läkare', erfarenhet: 'ST', score: 1 }));
    expect(entry.channel).toBe('pairs');
    expect(Object.keys(entry.row!)).toEqual(['question', 'answer', 'source', 'persona', 'validation_score']);
    expect(entry.row).toEqual({
      question: 'Hur ofta ska blodtrycket kontrolleras?',
      answer: 'Enligt riktlinjen var fjärde timme för stabila patienter.',
      source: 'vård/riktlinje.pdf',
      persona: 'läkare/ST',
      validation_score: 1,
    });
  });

  test('missing source becomes ""; a rejected pair adds failure_reason', () => {
    const entry = mapOne(internalRecord({ passed: false, failure_reason: 'hallucination' }));
    expect(entry.channel).toBe('rejected');
    expect(entry.row).toMatchObject({ source: '', failure_reason: 'hallucination' });
    expect(Object.keys(entry.row!).pop()).toBe('failure_reason');
    expect(mapOne(internalRecord({ passed: false })).row!.failure_reason).toBe('');
  });

  test.each(['question', 'answer', 'source_document', 'roll', 'failure_reason'])('a lone surrogate in %s is an error record', (field) => {
    const entry = mapOne(internalRecord({ passed: false, failure_reason: 'x', [field]: 'a\ud800b' }));
    expect(entry.errorCode).toBe('ERR_LONE_SURROGATE');
    expect(entry.row).toBeNull();
  });

  test('paired surrogates (emoji) are fine', () => {
    expect(mapOne(internalRecord({ answer: 'ok 😀' })).channel).toBe('pairs');
  });

  test('unknown presets are refused with the choices', () => {
    expect(() => getPreset('nope')).toThrow('unknown preset, expected one of qa-internal, segments, got "nope"');
  });
});
