/**
 * input-hints — one sentence for a whole-file mistake, from a file's first bytes (pure).
 *
 * A UTF-16 file, a pretty-printed JSON array or a compressed file give dozens of
 * per-line errors that do not say what is wrong with the file as a whole. The
 * reader shows the first bytes of each input here and prints what comes back
 * once, as `qa-hf: hint: …` (not under --quiet); the per-line accounting is
 * unchanged.
 *
 *   inputHint({ name: 'data.jsonl', head: Buffer.from([0xff, 0xfe, 0x7b, 0x00]) })
 *   // 'data.jsonl looks like UTF-16 (byte-order mark FF FE); convert it with iconv -f UTF-16 -t UTF-8'
 */
import { COMPRESSION_EXTENSIONS, type ReadableCompression, detectCompression, isReadableCompression, magicHex } from './compression';

/** How many first bytes the reader should pass (more do no harm). */
export const HINT_HEAD_BYTES = 512;

export interface SniffedInput {
  /** The input as the user named it. */
  name: string;
  /**
   * The first bytes of the file's text: decompressed when it is gzip or zstd and
   * could be decompressed, the raw bytes otherwise.
   */
  head: Uint8Array;
  /** Set when the raw bytes announce gzip or zstd but decompressing them failed. */
  decompressFailed?: ReadableCompression;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** The hint for this file, or null when its first bytes look like JSON Lines (or tell nothing). */
export function inputHint(input: SniffedInput): string | null {
  const { name, head } = input;
  if (input.decompressFailed) {
    // Named .gz/.zst, the ERR_INPUT line already says it all; named .jsonl, the name misleads.
    const compression = input.decompressFailed;
    if (COMPRESSION_EXTENSIONS[compression].some((extension) => name.toLowerCase().endsWith(extension))) return null;
    return `${name} is ${compression}-compressed (magic ${magicHex(compression)}) despite its name, and could not be decompressed: it is damaged or cut short (check it with ${compression} -t)`;
  }
  const compression = detectCompression(head);
  if (compression && !isReadableCompression(compression)) {
    const tool = compression === 'zip' ? `unzip -p ${name}` : `${compression === 'bzip2' ? 'bzip2' : 'xz'} -dc ${name}`;
    return `${name} is ${compression}-compressed (magic ${magicHex(compression)}), which qa-hf does not read; decompress it first: ${tool} | qa-hf`;
  }
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
    const mark = head[0] === 0xff ? 'FF FE' : 'FE FF';
    return `${name} looks like UTF-16 (byte-order mark ${mark}); convert it with iconv -f UTF-16 -t UTF-8`;
  }
  let at = head.length >= 3 && UTF8_BOM.every((byte, i) => head[i] === byte) ? 3 : 0;
  while (at < head.length && WHITESPACE.has(head[at])) at++;
  if (at < head.length && head[at] === 0x5b /* [ */) {
    return `${name} starts with [ and looks like a JSON array, not JSON Lines (one object per line); convert it with jq -c '.[]' ${name}`;
  }
  return null;
}
