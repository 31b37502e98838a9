/**
 * words — the quality report's text measures: words (runs of non-white-space) and
 * whether an answer equals its question (the duplicate check's normalization:
 * NFKC, case-folded, white space collapsed, trimmed; walked without normalizing
 * when both are plain Latin).
 *
 *   wordCount('  två  ord ')                 // 2
 *   measureText('två 😀', into, 0)           // into[0] = 5 code points, into[1] = 2 words
 *   equalNormalized('Vad är X?', 'vad  är x?') // true
 */
import { lowerLatin, normalizeForDedup } from './dedup-keys';
import { UnitScratch } from './units';

/** Words: runs of non-white-space characters. */
export function wordCount(text: string): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // ASCII space, tab, newlines, and the Unicode spaces String.prototype.trim knows.
    const space = c === 32 || (c >= 9 && c <= 13) || (c > 127 && isUnicodeSpace(c));
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      words++;
    }
  }
  return words;
}
/** The text measureText reads, unit by unit (lib/quality/units.ts: faster to read than charCodeAt). */
const scratch = new UnitScratch();

/**
 * codePointLength(text) (lib/quality/stats.ts) and wordCount(text) in one pass over its units,
 * written to `into[at]` and `into[at + 1]`: the report's two length measures of a column
 * (lib/quality/facts.ts). A unit above ASCII is looked at twice (space? surrogate?), the rest once.
 */
export function measureText(text: string, into: Int32Array, at: number): void {
  let words = 0;
  let inWord = false;
  let highSurrogate = false;
  let lowSurrogates = 0;
  const length = scratch.load(text);
  const units = scratch.units;
  for (let i = 0; i < length; i++) {
    const c = units[i];
    let space: boolean;
    if (c <= 127) space = c === 32 || (c >= 9 && c <= 13);
    else if (c >= 0xd800 && c <= 0xdfff) {
      space = false;
      if (c < 0xdc00) highSurrogate = true;
      else lowSurrogates++;
    } else space = isUnicodeSpace(c);
    if (space) inWord = false;
    else if (!inWord) {
      inWord = true;
      words++;
    }
  }
  // codePointLength counts a low surrogate as nothing only where the text has a high one.
  into[at] = highSurrogate ? text.length - lowSurrogates : text.length;
  into[at + 1] = words;
}

/** The white space of JavaScript's `\s` above ASCII (U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF). */
function isUnicodeSpace(c: number): boolean {
  return c === 0xa0 || (c >= 0x1680 && (c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff));
}

/** Text compared for "answer equals question": the duplicate check's normalization (NFKC, case-folded, white space collapsed, trimmed). */
export const normalizeForCompare = normalizeForDedup;

/** ASCII white space as /\s/ knows it (tab, LF, VT, FF, CR, space). */
function isAsciiSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** A character NFKC leaves as it is and toLowerCase maps one to one: ASCII and Latin-1 letters (U+00C0–U+00FF). */
function isPlainLatin(c: number): boolean {
  return c < 0xa0 ? c !== 0x85 : c >= 0xc0 && c <= 0xff;
}

/**
 * normalizeForCompare(a) === normalizeForCompare(b), without normalizing when both
 * are plain Latin (ASCII and U+00C0–U+00FF: Swedish text), where NFKC changes
 * nothing and case folding is a table: the two are walked side by side, white
 * space collapsed and trimmed, and the first difference ends it (an answer
 * differs from its question within a few characters). Anything else is
 * normalized in full.
 */
export function equalNormalized(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  // Leading white space is trimmed.
  while (i < a.length && isAsciiSpace(a.charCodeAt(i))) i++;
  while (j < b.length && isAsciiSpace(b.charCodeAt(j))) j++;
  for (;;) {
    const endA = i >= a.length;
    const endB = j >= b.length;
    if (endA || endB) {
      if (endA && endB) return true;
      // The rest of the longer one must be trailing white space only (trimmed), or not plain.
      const [text, from] = endA ? [b, j] : [a, i];
      for (let k = from; k < text.length; k++) {
        const c = text.charCodeAt(k);
        if (!isPlainLatin(c)) return normalizeForCompare(a) === normalizeForCompare(b);
        if (!isAsciiSpace(c)) return false;
      }
      return true;
    }
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (!isPlainLatin(ca) || !isPlainLatin(cb)) return normalizeForCompare(a) === normalizeForCompare(b);
    const spaceA = isAsciiSpace(ca);
    const spaceB = isAsciiSpace(cb);
    if (spaceA || spaceB) {
      // A run of white space is one space; trailing runs are trimmed (handled at the ends above).
      while (i < a.length && isAsciiSpace(a.charCodeAt(i))) i++;
      while (j < b.length && isAsciiSpace(b.charCodeAt(j))) j++;
      if (spaceA !== spaceB) {
        // One has a space here, the other a character: equal only if the space run is trailing.
        if ((spaceA && i < a.length) || (spaceB && j < b.length)) {
          const next = spaceA ? a.charCodeAt(i) : b.charCodeAt(j);
          if (!isPlainLatin(next)) return normalizeForCompare(a) === normalizeForCompare(b);
          return false;
        }
      }
      continue;
    }
    if (lowerLatin(ca) !== lowerLatin(cb)) return false;
    i++;
    j++;
  }
}
