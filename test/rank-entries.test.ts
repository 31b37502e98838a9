/** lib/scale/rank-entries.ts (a rank's intermediate lines) and lib/scale/rank.ts planMerge (how the merge reads the ranks). */
import { type Entry, newEntry } from '../lib/batch';
import { type RankMarker, inputBytesChange, planMerge, segmentCuts } from '../lib/scale/rank';
import { decodeEntry, encodeEntry } from '../lib/scale/rank-entries';
import { thrown } from './helpers';

function entry(channel: Entry['channel'], patch: Partial<Entry> = {}): Entry {
  return { ...newEntry(7, 1234, 'raw text'), channel, ...patch };
}

describe('encodeEntry / decodeEntry', () => {
  test.each([
    ['a pair', entry('pairs', { row: { question: 'Vad är 😀?', answer: 'Ett "svar"\n', validation_score: 1 } })],
    ['a rejected row with -0 and a list', entry('rejected', { row: { question: 'q', validation_score: -0, tags: ['a', 'b'], source: null } })],
    ['a blank line', entry('blank')],
    ['an error keeps its raw text', entry('errors', { errorCode: 'ERR_JSON_PARSE', errorMessage: 'Unexpected end', text: '{"q": "\u2028\ud83d' })],
    ['an unterminated last line', entry('errors', { errorCode: 'ERR_TRUNCATED_LINE', errorMessage: 'no newline', text: '{"a', unterminated: true })],
    ['a segmented line', entry('segmented', { segments: [{ channel: 'pairs', row: { q: 'a' }, split: 0 }, { channel: 'rejected', row: { q: 'b' }, split: 0 }] })],
    ['a document without segments', entry('segmented', { segments: [] })],
  ])('%s round-trips, its line moved by the base', (_name, original) => {
    const text = encodeEntry(original, 42);
    expect(text).not.toContain('\n');
    const { entry: decoded, bytes } = decodeEntry(text, 100);
    expect(bytes).toBe(42);
    expect(decoded.line).toBe(107);
    expect(decoded.offset).toBe(1234);
    expect(decoded.channel).toBe(original.channel);
    expect(decoded.row).toEqual(original.row);
    expect(decoded.segments).toEqual(original.segments);
    expect([decoded.errorCode, decoded.errorMessage, decoded.unterminated]).toEqual([original.errorCode, original.errorMessage, original.unterminated]);
    if (original.channel === 'errors') expect(decoded.text).toBe(original.text);
  });

  test('-0 stays -0 (a float column writes -0.0), 0 stays 0', () => {
    const { entry: decoded } = decodeEntry(encodeEntry(entry('pairs', { row: { a: -0, b: 0 } }), 1), 0);
    expect(Object.is(decoded.row!.a, -0)).toBe(true);
    expect(Object.is(decoded.row!.b, 0)).toBe(true);
  });

  test('a row a rank redacted carries what it held (kind, column, masked), never the value; none: no `p`', () => {
    const hits = [{ kind: 'phone' as const, column: 'answer', masked: '070-*** ** **' }];
    const text = encodeEntry(entry('pairs', { row: { answer: 'Ring [PHONE]' }, piiFound: hits }), 9);
    expect(text).toBe('{"l":7,"o":1234,"n":9,"c":"pairs","r":{"answer":"Ring [PHONE]"},"p":[["phone","answer","070-*** ** **"]]}');
    expect(decodeEntry(text, 0).entry.piiFound).toEqual(hits);
    expect(decodeEntry(encodeEntry(entry('pairs', { row: { answer: 'Ring' }, piiFound: [] }), 9), 0).entry.piiFound).toBeNull();
  });

  test('exact bytes of a blank line', () => {
    expect(encodeEntry(entry('blank'), 1)).toBe('{"l":7,"o":1234,"n":1,"c":"blank"}');
  });
});

describe('planMerge', () => {
  const marker = (rank: number, ranges: RankMarker['ranges'], patch: Partial<RankMarker> = {}): RankMarker => ({
    format: 'qa-hf-rank',
    version: 1,
    rank,
    world_size: 2,
    source: 'flags',
    from: '',
    tool_version: '1',
    options_hash: 'h',
    inputs_fingerprint: 'f',
    inputs: ['a.jsonl', 'b.jsonl'],
    cwd: '/',
    args: {},
    ranges,
    counts: {},
    ...patch,
  });
  const range = (input: number, start: number, end: number, lines: number) => ({ input, start, end, lines, entries_offset: 0, entries_bytes: 0 });

  test('ranges of one input from several ranks get the line counts before them', () => {
    const plan = planMerge(new Map([[0, marker(0, [range(0, 0, 100, 10)])], [1, marker(1, [range(0, 100, 150, 4), range(1, 0, 0, 0)])]]), 'd');
    expect(plan.map((input) => [input.end, input.lines, input.segments.map((segment) => [segment.rank, segment.lineBase])])).toEqual([
      [150, 14, [[0, 0], [1, 10]]],
      [0, 0, [[1, 0]]],
    ]);
  });

  test.each([
    ['none', new Map<number, RankMarker>(), 'no completed rank in d: run the ranks first (qa-hf export … --rank R --world-size N)'],
    ['a missing rank', new Map([[1, marker(1, [])]]), 'rank 0 of 2 is not complete in d (no rank.json): run it, then merge again'],
    ['another world size', new Map([[0, marker(0, [])], [1, marker(1, [], { world_size: 3 })]]), 'ranks in d do not belong to one export: rank 1 (world size 3, not 2), against rank 0; rerun those ranks with the same command and --restart'],
    ['other inputs', new Map([[0, marker(0, [])], [1, marker(1, [], { inputs_fingerprint: 'g' })]]), 'ranks in d do not belong to one export: rank 1 (other inputs), against rank 0; rerun those ranks with the same command and --restart'],
    ['another tool version', new Map([[0, marker(0, [])], [1, marker(1, [], { tool_version: '2' })]]), 'ranks in d do not belong to one export: rank 1 (tool version 2, not 1), against rank 0; rerun those ranks with the same command and --restart'],
    ['a gap', new Map([[0, marker(0, [range(0, 0, 100, 10)])], [1, marker(1, [range(0, 120, 150, 4), range(1, 0, 5, 1)])]]), 'rank 1 in d covers bytes 120–150 of input 0, which do not follow the ranks before it'],
    ['an input no rank read', new Map([[0, marker(0, [range(0, 0, 100, 10)])], [1, marker(1, [])]]), 'no rank in d read the start of b.jsonl'],
  ])('%s: one ERR_INPUT line', (_name, found, message) => {
    const error = thrown(() => planMerge(found, 'd'));
    expect([error.code, error.message]).toEqual(['ERR_INPUT', message]);
  });
});

describe('inputBytesChange: the merge refuses an input whose bytes are not those its ranks read', () => {
  const segment = (rank: number, start: number, end: number, read: { sha256?: string; etag?: string }) => ({ input: 0, start, end, lines: 1, entries_offset: 0, entries_bytes: 0, rank, lineBase: 0, ...read });
  const input = { segments: [segment(0, 0, 100, { sha256: 'a' }), segment(1, 100, 150, { sha256: 'b' })], end: 150, lines: 2 };

  test('the byte ranges hashed: each rank\'s share, a compressed input whole', () => {
    expect(segmentCuts(input, false, 150)).toEqual([[0, 100], [100, 150]]);
    expect(segmentCuts({ segments: [segment(0, 0, 9000, {})], end: 9000, lines: 1 }, true, 700)).toEqual([[0, 700]]);
  });

  test.each([
    ['the same bytes', { segments: ['a', 'b'] }, null],
    ['rank 1\'s share edited in place', { segments: ['a', 'c'] }, "in/a.jsonl changed since the ranks read it (bytes 100–150, rank 1's share): the dataset would not hold what the manifest records; rerun every rank with --restart, then merge"],
  ])('%s', (_name, now, message) => {
    expect(inputBytesChange('in/a.jsonl', input, now)).toBe(message);
  });

  test('an object: its ETag must be the one every rank read', () => {
    const object = { segments: [segment(0, 0, 100, { etag: '"e1"' }), segment(1, 100, 150, { etag: '"e1"' })], end: 150, lines: 2 };
    expect(inputBytesChange('s3://b/a.jsonl', object, { etag: '"e1"' })).toBeNull();
    expect(inputBytesChange('s3://b/a.jsonl', object, { etag: '"e2"' })).toBe('s3://b/a.jsonl changed since rank 0 read it (its ETag is now "e2", was "e1"): the dataset would not hold what the manifest records; rerun every rank with --restart, then merge');
  });

  test('a marker recording no hash (an older build) cannot vouch for its bytes', () => {
    const old = { segments: [segment(0, 0, 150, {})], end: 150, lines: 1 };
    expect(inputBytesChange('a.jsonl', old, { segments: ['a'] })).toBe("rank 0's rank.json records no hash of the bytes of a.jsonl it read (a marker of an older qa-hf): rerun it with --restart, then merge");
  });
});
