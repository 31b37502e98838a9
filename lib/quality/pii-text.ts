/**
 * pii-text — personal data in the text of a bad line (the dead letter's `raw`, an
 * error message quoting it): found and redacted as it is and inside the string
 * literals whose JSON escapes hide a match (`"\n070-123 45 67"`: the `n` of `\n`
 * glues the number to a word; `anna\u0040x.se`). Pure; the values of a row are
 * lib/quality/pii.ts's.
 *
 *   textHasPii('{"q": "ring\\n070-123 45 67"')  // true
 *   redactText('{"q": "ring\\n070-123 45 67"')  // '{"q": "ring\\n[PHONE]"'
 */
import { type PiiMatch, QUICK_SKIP, findPii, redactPii, replaceMatches } from './pii';

/** What a bad line's text becomes when it cannot be redacted piece by piece (never met in practice: see redactText). */
export const REDACTED_TEXT = '[REDACTED]';
/** Rounds of redactText before it gives up on piecewise redaction. */
const MAX_TEXT_ROUNDS = 4;
const JSON_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * The string literals of a line of (possibly broken) JSON that hold a backslash:
 * `[start, end)` of each one's content (between its quotes; a literal the line
 * cuts off runs to its end).
 */
function escapedLiterals(text: string): Array<[number, number]> {
  const found: Array<[number, number]> = [];
  for (let i = text.indexOf('"'); i >= 0 && i < text.length; i = text.indexOf('"', i + 1)) {
    const start = i + 1;
    let escaped = false;
    let j = start;
    while (j < text.length && text.charCodeAt(j) !== 34) {
      if (text.charCodeAt(j) === 92) {
        escaped = true;
        j++; // the escaped character, a quote too
      }
      j++;
    }
    const end = Math.min(j, text.length);
    if (escaped) found.push([start, end]);
    i = end;
    if (i >= text.length) break;
  }
  return found;
}

/** A literal's content decoded as JSON would (leniently: a broken escape stays as it is). */
function decodeLiteral(content: string): string {
  return content.replace(/\\(u[0-9A-Fa-f]{4}|.)/gs, (whole, escape: string) => {
    if (escape.length === 5) return String.fromCharCode(parseInt(escape.slice(1), 16));
    return JSON_ESCAPES[escape] ?? whole;
  });
}

/**
 * Where a scan of a line's text as it is misses a match: inside string literals
 * whose escapes hide it (`"\n070-123 45 67"`: the `n` of `\n` glues the number
 * to a word; `anna\u0040x.se`). Each such literal, decoded, with its matches.
 */
function hiddenMatches(text: string): Array<{ start: number; end: number; decoded: string; matches: PiiMatch[] }> {
  const hidden: Array<{ start: number; end: number; decoded: string; matches: PiiMatch[] }> = [];
  if (!text.includes('\\')) return hidden;
  for (const [start, end] of escapedLiterals(text)) {
    const decoded = decodeLiteral(text.slice(start, end));
    const matches = findPii(decoded);
    if (matches.length > 0) hidden.push({ start, end, decoded, matches });
  }
  return hidden;
}

/** True when a bad line's text holds a match: as it is, or inside an escaped string literal. */
export function textHasPii(text: string): boolean {
  if (!QUICK_SKIP.test(text)) return false;
  return findPii(text).length > 0 || hiddenMatches(text).length > 0;
}

/**
 * A bad line's text with every match replaced by its placeholder, as redactPii does
 * for a value: the text as it is (a personnummer written as a JSON number is found
 * too), and each string literal whose escapes hide a match, decoded, redacted and
 * written again as JSON. The result holds no match (textHasPii is false); should a
 * text still hold one after a few rounds, it is replaced whole by REDACTED_TEXT.
 * Text without a digit or `@` is returned as it is at once (a `\u` escape of a
 * digit or `@` has digits).
 *
 *   redactText('{"q": "ring\\n070-123 45 67"')   // '{"q": "ring\\n[PHONE]"'
 */
export function redactText(text: string): string {
  let out = text;
  for (let round = 0; round < MAX_TEXT_ROUNDS; round++) {
    if (!QUICK_SKIP.test(out)) return out;
    const hidden = hiddenMatches(out);
    for (let k = hidden.length - 1; k >= 0; k--) {
      const { start, end, decoded, matches } = hidden[k];
      out = out.slice(0, start) + JSON.stringify(redactPii(decoded, matches)).slice(1, -1) + out.slice(end);
    }
    const plain = findPii(out);
    if (plain.length > 0) out = replaceMatches(out, plain);
    if (hidden.length === 0 && plain.length === 0) return out;
  }
  return textHasPii(out) ? REDACTED_TEXT : out;
}
