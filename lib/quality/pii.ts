/**
 * pii — personal data in text, found and validated (pure: no stream, no file).
 *
 * Kinds: personnummer (10 or 12 digits, `-`/`+`/no separator, a real date —
 * samordningsnummer: day + 60 — and the Luhn check digit), email, phone (Swedish
 * national and +46/0046 forms as people write them, validated by
 * libphonenumber-js with region SE; a number must start with 0 or +, so dates and
 * public short numbers — 112, 1177, 113 13 — are not phones), iban (mod-97,
 * ibantools), card (13–19 digits, Luhn), ip (IPv4, every octet ≤ 255, not after
 * `v`/`version`). A shape without its validation (wrong check digit, impossible
 * date, a date, a dosage, a version) is not a match.
 *
 * Fast: one pass over the characters finds the candidates (findPii); validators run
 * on candidates only; a string with no digit and no `@` is skipped at once.
 *
 *   findPii('Ring 070-123 45 67 eller mejla a.b@c.se')
 *   // [{ kind: 'phone', start: 5, end: 18, text: '070-123 45 67' }, { kind: 'email', … }]
 *   redactPii('pnr 19850312-1235') // 'pnr [PERSONNUMMER]'
 *   maskPii('personnummer', '19850312-1235') // '********-****' (no birth date)
 *   redactText(…) // a bad line's text, escapes and all: lib/quality/pii-text.ts
 */
import { findPhoneNumbers, parsePhoneNumber, validIbanPrefix, isIpv4, luhnValid, validPersonnummer } from './pii-checks';

export const PII_KINDS = ['personnummer', 'email', 'phone', 'iban', 'card', 'ip'] as const;
export type PiiKind = (typeof PII_KINDS)[number];

/** The text a match is replaced by with `--pii redact`. */
export const PII_PLACEHOLDERS: Record<PiiKind, string> = {
  personnummer: '[PERSONNUMMER]',
  email: '[EMAIL]',
  phone: '[PHONE]',
  iban: '[IBAN]',
  card: '[CARD]',
  ip: '[IP]',
};

export interface PiiMatch {
  kind: PiiKind;
  /** UTF-16 offsets in the scanned string. */
  start: number;
  end: number;
  text: string;
}

/** An email address, where the text holds an `@` at all. */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** Tried where a scan position may start one (sticky). */
const IBAN = /[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/y;
/** A cheap look for four dotted numbers before the exact pattern runs (most text has none). */
const MAYBE_IPV4 = /\d\.\d{1,3}\.\d{1,3}\.\d/;
const IPV4 = /(?<![\w.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?!\.\d)/g;

export const QUICK_SKIP = /[\d@]/;
/** Where findPii's scan can find something: a digit, + or ( before a digit, an IBAN's start. */
const CANDIDATE = /[+(]?\d|[A-Z]{2}\d{2}/g;
/** A version number is no IP address: `v1.2.3.4`, `version 10.0.0.1`. */
const VERSION_BEFORE = /(?:\bv|version|versi[oó]n)\s*$/i;
const PERSONNUMMER_SHAPE = /^(\d{6}|\d{8})([-+]?)(\d{4})$/;
/** Fewer digits than this in a run is no personnummer (10), phone (7 with the trunk 0) or card (13). */
const MIN_RUN_DIGITS = 7;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isUpper = (c: number) => c >= 65 && c <= 90;
/** A regex word character (`\w`): what `\b` looks at. */
const isWordChar = (c: number) => isDigit(c) || isUpper(c) || (c >= 97 && c <= 122) || c === 95;

/**
 * Every match in `text`, in order, not overlapping. One pass over the characters
 * finds the candidates — an email around each `@`, an IBAN where two capitals and
 * two digits start a word, an IPv4 or a run of digits and the separators people put
 * in numbers (space, -, +) where a digit starts a word — and the validators run on
 * candidates only; a run with fewer than 7 digits (a dose, a count, 112) is passed over.
 */
export function findPii(text: string): PiiMatch[] {
  const matches: PiiMatch[] = [];
  if (!QUICK_SKIP.test(text)) return matches;
  // Emails and IPv4 addresses are found first, each by its pattern over the whole text (the scan
  // below takes each when it reaches it): an address may stand where a digit run begins (`4 (192.168.1.10)`).
  const early = firstFound(text);
  let nextEarly = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (nextEarly < early.length && i >= early[nextEarly].start) {
      matches.push(early[nextEarly]);
      i = early[nextEarly++].end - 1;
      continue;
    }
    // Jump to the next place a candidate can start (the regex engine scans faster than this loop):
    // a digit, `+` or `(` before one, or two capitals and two digits (an IBAN). Characters passed
    // over would each have been skipped below; an email starting before the jump is taken first.
    CANDIDATE.lastIndex = i;
    const next = CANDIDATE.exec(text);
    if (next === null) {
      if (nextEarly < early.length) {
        i = early[nextEarly].start - 1;
        continue;
      }
      break;
    }
    if (nextEarly < early.length && early[nextEarly].start < next.index) {
      i = early[nextEarly].start - 1;
      continue;
    }
    i = next.index;
    const c = text.charCodeAt(i);
    // `+46 …`, or an area code in parentheses: `(08) 123 45 67`.
    const plus = (c === 43 || c === 40) && i + 1 < n && isDigit(text.charCodeAt(i + 1));
    if (!isDigit(c) && !plus && !isUpper(c)) continue;
    const boundary = i === 0 || !isWordChar(text.charCodeAt(i - 1));
    if (isUpper(c)) {
      if (boundary && i + 3 < n && isUpper(text.charCodeAt(i + 1)) && isDigit(text.charCodeAt(i + 2)) && isDigit(text.charCodeAt(i + 3))) {
        IBAN.lastIndex = i;
        const iban = validIbanPrefix(IBAN.exec(text)?.[0]);
        if (iban !== null) {
          matches.push({ kind: 'iban', start: i, end: i + iban.length, text: iban });
          i += iban.length - 1;
          continue;
        }
      }
      while (i + 1 < n && isWordChar(text.charCodeAt(i + 1))) i++; // the rest of the word
      continue;
    }
    if (!boundary && !plus) {
      while (i + 1 < n && isWordChar(text.charCodeAt(i + 1))) i++; // digits inside a word (NEWS2)
      continue;
    }
    // A run: digits, and -, + or one space between digits; `(0)` or `(08) ` inside a phone number.
    let end = i + 1;
    let digits = plus ? 0 : 1;
    // A run never reaches into an email or address found first.
    const limit = nextEarly < early.length ? early[nextEarly].start : n;
    while (end < limit) {
      const d = text.charCodeAt(end);
      if (isDigit(d)) digits++;
      else if (!runSeparator(text, end)) break;
      end++;
    }
    if (end < n && isWordChar(text.charCodeAt(end))) {
      while (end < n && isWordChar(text.charCodeAt(end))) end++; // runs into a word: no number
    } else if (digits >= MIN_RUN_DIGITS) {
      digitRun(text.slice(i, end), i, matches);
    }
    i = end - 1;
  }
  return matches;
}

/** The emails and IPv4 addresses of `text`, in order, not overlapping (an address inside an email is the email's). */
function firstFound(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  if (text.includes('@')) {
    EMAIL.lastIndex = 0;
    let email: RegExpExecArray | null;
    while ((email = EMAIL.exec(text)) !== null) found.push({ kind: 'email', start: email.index, end: email.index + email[0].length, text: email[0] });
  }
  if (!MAYBE_IPV4.test(text)) return found;
  IPV4.lastIndex = 0;
  let ip: RegExpExecArray | null;
  const emails = found.length;
  while ((ip = IPV4.exec(text)) !== null) {
    const start = ip.index;
    const end = start + ip[0].length;
    if (!isIpv4(ip[0]) || VERSION_BEFORE.test(text.slice(Math.max(0, start - 12), start))) continue;
    if (found.slice(0, emails).some((email) => email.start < end && start < email.end)) continue;
    found.push({ kind: 'ip', start, end, text: ip[0] });
  }
  return emails > 0 && found.length > emails ? found.sort((a, b) => a.start - b.start) : found;
}

/**
 * Whether the character at `at` continues a run of digits: -, +, ( or a space before a digit,
 * ) before a digit or before a space and a digit, a space before ( and a digit (`+46 (0)70`).
 */
function runSeparator(text: string, at: number): boolean {
  const d = text.charCodeAt(at);
  const digitAt = (k: number) => k < text.length && isDigit(text.charCodeAt(k));
  if (d === 45 || d === 43 || d === 40) return digitAt(at + 1);
  if (d === 41) return digitAt(at + 1) || (text.charCodeAt(at + 1) === 32 && digitAt(at + 2));
  if (d === 32) return digitAt(at + 1) || (text.charCodeAt(at + 1) === 40 && digitAt(at + 2));
  return false;
}

/** Classifies a run of digits and separators: personnummer, card, or phone numbers inside it. */
function digitRun(run: string, start: number, matches: PiiMatch[]): void {
  const shape = PERSONNUMMER_SHAPE.exec(run);
  if (shape) {
    if (validPersonnummer(shape[1], shape[2], shape[3])) {
      matches.push({ kind: 'personnummer', start, end: start + run.length, text: run });
      return;
    }
    // Shaped like one with its separator, but invalid: an invalid personnummer is nothing else either.
    if (shape[2] !== '') return;
  }
  const digits = run.replace(/[^\d]/g, '');
  if (digits.length >= 13 && digits.length <= 19 && !run.startsWith('+') && luhnValid(digits)) {
    matches.push({ kind: 'card', start, end: start + run.length, text: run });
    return;
  }
  if (digits.length < 7) return;
  // The run may hold a personnummer or a card number beside other numbers (`säng 4 850312-1231`,
  // `(850312-1231)`, `850312-1231 070-123 45 67`, `4 4111 1111 1111 1111`): each is a match of
  // its own, and the phone numbers are looked for in what lies between them.
  let from = 0;
  const spans = groups(run);
  for (let g = 0; g < spans.length; g++) {
    const found = personnummerOrCard(run, spans, g);
    if (found === null) continue;
    if (found.start > from) phonesIn(run.slice(from, found.start), start + from, matches);
    matches.push({ ...found, start: start + found.start, end: start + found.end });
    from = found.end;
    g = found.lastGroup;
  }
  if (from < run.length) phonesIn(run.slice(from), start + from, matches);
}

/** A card is written as one group of 13–19 digits (dashes allowed) or four groups of four digits. */
const CARD_GROUP = /^\d{4}$/;

/** A personnummer that is group `g` of a run, or a card number that begins there; else null. */
function personnummerOrCard(run: string, spans: ReturnType<typeof groups>, g: number): (PiiMatch & { lastGroup: number }) | null {
  const group = spans[g];
  const shaped = PERSONNUMMER_SHAPE.exec(group.text);
  if (shaped && validPersonnummer(shaped[1], shaped[2], shaped[3])) return { kind: 'personnummer', start: group.start, end: group.end, text: group.text, lastGroup: g };
  const single = group.text.replace(/-/g, '');
  if (/^\d{13,19}$/.test(single) && luhnValid(single)) return { kind: 'card', start: group.start, end: group.end, text: group.text, lastGroup: g };
  const four = spans.slice(g, g + 4);
  if (four.length === 4 && four.every((part) => CARD_GROUP.test(part.text)) && luhnValid(four.map((part) => part.text).join(''))) {
    return { kind: 'card', start: group.start, end: four[3].end, text: run.slice(group.start, four[3].end), lastGroup: g + 3 };
  }
  return null;
}

/** The space-separated groups of a run, without the parentheses around them (`(850312-1231)`). */
function groups(run: string): Array<{ start: number; end: number; text: string }> {
  const found: Array<{ start: number; end: number; text: string }> = [];
  const GROUP = /[^ ]+/g;
  let group: RegExpExecArray | null;
  while ((group = GROUP.exec(run)) !== null) {
    let begin = group.index;
    let end = begin + group[0].length;
    if (run.charCodeAt(begin) === 40) begin++;
    if (run.charCodeAt(end - 1) === 41) end--;
    if (end > begin) found.push({ start: begin, end, text: run.slice(begin, end) });
  }
  return found;
}

/** People write Swedish numbers with their trunk 0 or +46/0046: a bare digit run (a date, a count) is none. */
const PHONE_START = /^(?:\(?0|\+)/;

/**
 * The phone numbers in a part of a run. libphonenumber-js reads the part as a whole; where it
 * finds none, a number may stand beside other digits (`kl 14 070-123 45 67`, `070-123 45 67 8`):
 * from each group that starts like a phone, the longest span of whole groups that is a valid
 * number is one.
 */
function phonesIn(part: string, start: number, matches: PiiMatch[]): void {
  if (part.replace(/[^\d]/g, '').length < 7) return;
  let found = false;
  for (const phone of findPhoneNumbers()(part, 'SE')) {
    const text = part.slice(phone.startsAt, phone.endsAt);
    if (!PHONE_START.test(text) || !phone.number.isValid()) continue;
    matches.push({ kind: 'phone', start: start + phone.startsAt, end: start + phone.endsAt, text });
    found = true;
  }
  if (found) return;
  const spans = groups(part);
  for (let first = 0; first < spans.length; first++) {
    if (!PHONE_START.test(part.slice(spans[first].start))) continue;
    for (let last = spans.length - 1; last >= first; last--) {
      const text = part.slice(spans[first].start, spans[last].end);
      if (text.replace(/[^\d]/g, '').length < 7) break;
      const number = parsePhoneNumber()(text, 'SE');
      if (!number?.isValid()) continue;
      matches.push({ kind: 'phone', start: start + spans[first].start, end: start + spans[last].end, text });
      first = last;
      break;
    }
  }
}

/** A match shown without its value: the leading part that says what it is (none of a personnummer: its date is personal), the rest as `*`. */
export function maskPii(kind: PiiKind, text: string): string {
  const star = (s: string) => s.replace(/[A-Za-z0-9]/g, '*');
  switch (kind) {
    // Every digit: the first six or eight are the birth date (a personnummer's date and last
    // four together name one person, and the date alone narrows it to a few); the separator stays.
    case 'personnummer':
      return star(text);
    case 'email': {
      const at = text.indexOf('@');
      const dot = text.lastIndexOf('.');
      return text.slice(0, 1) + star(text.slice(1, at)) + '@' + star(text.slice(at + 1, dot)) + text.slice(dot);
    }
    case 'phone':
      return text.slice(0, 3) + star(text.slice(3));
    case 'iban':
      return text.slice(0, 4) + star(text.slice(4));
    case 'card':
      return star(text.slice(0, -4)) + text.slice(-4);
    case 'ip': {
      const parts = text.split('.');
      return `${parts[0]}.${parts[1]}.*.*`;
    }
  }
}

/**
 * `text` with every match replaced by its placeholder; the same string when nothing matched.
 * Scanned again until nothing is found, so a redacted value never holds a match (what
 * `pii_written` counts on): a placeholder holds no digit and no `@`, and every match
 * holds one, so each round removes some and the loop ends (in practice after one scan).
 */
export function redactPii(text: string, matches: readonly PiiMatch[] = findPii(text)): string {
  let out = text;
  for (let found = matches; found.length > 0; found = findPii(out)) out = replaceMatches(out, found);
  return out;
}

export function replaceMatches(text: string, matches: readonly PiiMatch[]): string {
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + PII_PLACEHOLDERS[match.kind];
    at = match.end;
  }
  return out + text.slice(at);
}
