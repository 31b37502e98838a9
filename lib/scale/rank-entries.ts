/**
 * rank-entries — a rank's intermediate (`entries.jsonl`): every processed input
 * line of its share as one JSON line, in input order, with what the merge needs to
 * route and write it exactly as a single run would. Pure.
 *
 * One line per Entry (the processor's output, before routing):
 *   {"l":3,"o":120,"n":41,"c":"pairs","r":{…row…}}
 *   {"l":4,"o":161,"n":1,"c":"blank"}
 *   {"l":5,"o":162,"n":9,"c":"errors","e":"ERR_JSON_PARSE","m":"…","t":"{\"bad"}
 *   {"l":6,"o":171,"n":300,"c":"segmented","s":[["pairs",{…}],["rejected",{…}]]}
 *   {"l":7,"o":471,"n":80,"c":"pairs","r":{…"answer":"Ring [PHONE]"…},"p":[["phone","answer","070-*** ** **"]]}
 * `l` is the line number within the rank's range (1-based; the merge adds the
 * lines of the file's earlier ranges), `o` the absolute byte offset in the input
 * (decompressed for a compressed input), `n` the line's bytes with its newline.
 * A row's -0 (JSON has none) is written `{"$":"-0"}`, so a float column keeps `-0.0`.
 * `p`: under --pii redact|reject the rank writes the row redacted, with the PII it
 * held as routing counts it (kind, column, masked value: Entry.piiFound), never the value.
 *
 *   const text = encodeEntry(entry, 41);
 *   const { entry, bytes } = decodeEntry(text, 100); // line 100 + l
 */
import { type Channel, type Entry, type Row, type SegmentRow, newEntry } from '../batch';
import type { PiiKind } from '../quality/pii';
import type { RecordErrorCode } from '../errors';

const NEG_ZERO_MARK = '-0';

function rowReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && Object.is(value, -0) ? { $: NEG_ZERO_MARK } : value;
}

function rowReviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if (record.$ === NEG_ZERO_MARK && Object.keys(record).length === 1) return -0;
  }
  return value;
}

interface EncodedEntry {
  l: number;
  o: number;
  n: number;
  c: Channel;
  r?: Row;
  s?: Array<[SegmentRow['channel'], Row]>;
  e?: RecordErrorCode;
  m?: string;
  t?: string;
  u?: 1;
  p?: Array<[PiiKind, string, string]>;
}

/** One entry (routed by the processor, not yet by the router) as its line, without the newline. */
export function encodeEntry(entry: Entry, bytes: number): string {
  const encoded: EncodedEntry = { l: entry.line, o: entry.offset, n: bytes, c: entry.channel! };
  switch (entry.channel) {
    case 'pairs':
    case 'rejected':
      encoded.r = entry.row!;
      break;
    case 'segmented':
      encoded.s = entry.segments!.map((segment) => [segment.channel, segment.row]);
      break;
    case 'errors':
      encoded.e = entry.errorCode!;
      encoded.m = entry.errorMessage!;
      encoded.t = entry.text;
      break;
    case 'blank':
      break;
    default:
      throw new Error(`internal: line ${entry.line} reached the rank's intermediate unrouted`);
  }
  if (entry.unterminated) encoded.u = 1;
  if (entry.piiFound !== null && entry.piiFound.length > 0) encoded.p = entry.piiFound.map((hit) => [hit.kind, hit.column, hit.masked]);
  return JSON.stringify(encoded, rowReplacer);
}

/** The entry of one intermediate line, its line number moved by `lineBase`; `bytes`: the line's input bytes. */
export function decodeEntry(text: string, lineBase: number): { entry: Entry; bytes: number } {
  const encoded = JSON.parse(text, rowReviver) as EncodedEntry;
  const entry = newEntry(lineBase + encoded.l, encoded.o, encoded.t ?? '', encoded.u === 1);
  entry.channel = encoded.c;
  if (encoded.r !== undefined) entry.row = encoded.r;
  if (encoded.s !== undefined) entry.segments = encoded.s.map(([channel, row]) => ({ channel, row, split: 0 }));
  if (encoded.e !== undefined) {
    entry.errorCode = encoded.e;
    entry.errorMessage = encoded.m ?? '';
  }
  if (encoded.p !== undefined) entry.piiFound = encoded.p.map(([kind, column, masked]) => ({ kind, column, masked }));
  return { entry, bytes: encoded.n };
}
