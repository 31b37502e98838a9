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
 * Fast: one combined candidate regex per string; validators run on candidates only;
 * a string with no digit and no `@` is skipped at once.
 *
 *   findPii('Ring 070-123 45 67 eller mejla a.b@c.se')
 *   // [{ kind: 'phone', start: 5, end: 18, text: '070-123 45 67' }, { kind: 'email', … }]
 *   redactPii('pnr 19850312-1235') // 'pnr [PERSONNUMMER]'
 *   maskPii('personnummer', '19850312-1235') // '19850312-****'
 */
import { findPhoneNumbersInText } from 'libphonenumber-js';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';

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

/**
 * One pass finds every candidate: email | iban | ipv4 | a run of digits with the
 * separators people put in numbers (space, -, +). Alternatives are tried left to
 * right at each position, so an address or IBAN is never cut into digit runs.
 */
const CANDIDATES =
  /([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})|(\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b)|(\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b(?!\.\d))|((?:\+|\b)\d(?:[\d+-]| (?=\d))*\d\b)/g;

const QUICK_SKIP = /[\d@]/;
/** A version number is no IP address: `v1.2.3.4`, `version 10.0.0.1`. */
const VERSION_BEFORE = /(?:\bv|version|versi[oó]n)\s*$/i;
const PERSONNUMMER_SHAPE = /^(\d{6}|\d{8})([-+]?)(\d{4})$/;

/** Every match in `text`, in order, not overlapping. */
export function findPii(text: string): PiiMatch[] {
  const matches: PiiMatch[] = [];
  if (!QUICK_SKIP.test(text)) return matches;
  CANDIDATES.lastIndex = 0;
  let found: RegExpExecArray | null;
  while ((found = CANDIDATES.exec(text)) !== null) {
    const start = found.index;
    const value = found[0];
    if (found[1] !== undefined) {
      matches.push({ kind: 'email', start, end: start + value.length, text: value });
    } else if (found[2] !== undefined) {
      if (isValidIBAN(electronicFormatIBAN(value) ?? '')) matches.push({ kind: 'iban', start, end: start + value.length, text: value });
    } else if (found[3] !== undefined) {
      if (isIpv4(value) && !VERSION_BEFORE.test(text.slice(Math.max(0, start - 12), start))) matches.push({ kind: 'ip', start, end: start + value.length, text: value });
    } else {
      digitRun(value, start, matches);
    }
  }
  return matches;
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
  for (const phone of findPhoneNumbersInText(run, 'SE')) {
    const text = run.slice(phone.startsAt, phone.endsAt);
    // People write Swedish numbers with their trunk 0 or +46/0046: a bare digit run (a date, a count) is none.
    if (!/^(?:0|\+)/.test(text) || !phone.number.isValid()) continue;
    matches.push({ kind: 'phone', start: start + phone.startsAt, end: start + phone.endsAt, text });
  }
}

function isIpv4(text: string): boolean {
  return text.split('.').every((part) => Number(part) <= 255 && !(part.length > 1 && part.startsWith('0')));
}

/** Luhn over a digit string: the check digit of personnummer and payment cards. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A personnummer's date part (YYMMDD or YYYYMMDD) and number: a real date (day + 60
 * for a samordningsnummer) and the Luhn digit over the 10-digit form. A 10-digit form
 * has no century: Feb 29 must be a leap day in 19YY or 20YY.
 */
export function validPersonnummer(date: string, separator: string, number: string): boolean {
  const short = date.length === 8 ? date.slice(2) : date;
  const month = Number(short.slice(2, 4));
  let day = Number(short.slice(4, 6));
  if (day > 60) day -= 60;
  if (month < 1 || month > 12 || day < 1) return false;
  const yy = Number(short.slice(0, 2));
  const years = date.length === 8 ? [Number(date.slice(0, 4))] : [1900 + yy, 2000 + yy];
  if (separator === '+' && date.length === 8) return false; // `+` (over 100) only in the 10-digit form
  if (!years.some((year) => day <= daysIn(year, month))) return false;
  return luhnValid(short + number);
}

/** A match shown without its value: the leading part that says what it is, the rest as `*`. */
export function maskPii(kind: PiiKind, text: string): string {
  const star = (s: string) => s.replace(/[A-Za-z0-9]/g, '*');
  switch (kind) {
    case 'personnummer': {
      const keep = /^\d{8}/.test(text) && !/^\d{6}[-+]/.test(text) && text.replace(/\D/g, '').length === 12 ? 8 : 6;
      return text.slice(0, keep) + star(text.slice(keep));
    }
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

/** `text` with every match replaced by its placeholder; the same string when nothing matched. */
export function redactPii(text: string, matches: readonly PiiMatch[] = findPii(text)): string {
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + PII_PLACEHOLDERS[match.kind];
    at = match.end;
  }
  return out + text.slice(at);
}
