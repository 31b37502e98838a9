/**
 * pii-checks — the validators findPii (lib/quality/pii.ts) runs on its candidates: Luhn (cards,
 * personnummer), a personnummer's real date, IBAN mod-97 (ibantools), IPv4 octets, and
 * libphonenumber-js (region SE), loaded on first use. Pure.
 *
 *   luhnValid('4111111111111111')                      // true
 *   validPersonnummer('850312', '-', '1232')           // false: wrong check digit
 *   validIbanPrefix('SE45 5000 0000 0583 9825 7466 17') // 'SE45 5000 0000 0583 9825 7466'
 */
import type { findPhoneNumbersInText as FindPhoneNumbers, parsePhoneNumberFromString as ParsePhoneNumber } from 'libphonenumber-js';
import { electronicFormatIBAN, isValidIBAN } from 'ibantools';

/** libphonenumber-js, loaded on first use (~0.1 s of CPU): a run without --pii never pays for it. */
let phoneLibrary: { findPhoneNumbersInText: typeof FindPhoneNumbers; parsePhoneNumberFromString: typeof ParsePhoneNumber } | undefined;
function phones(): NonNullable<typeof phoneLibrary> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, synchronously, in a worker or the main thread
  phoneLibrary ??= require('libphonenumber-js') as NonNullable<typeof phoneLibrary>;
  return phoneLibrary;
}
export const findPhoneNumbers = () => phones().findPhoneNumbersInText;
export const parsePhoneNumber = () => phones().parsePhoneNumberFromString;

/**
 * The longest valid IBAN that `candidate` (the IBAN pattern's greedy match) begins with: a
 * number written after it (`SE45 5000 … 7466 17`) is taken as its last group by the pattern.
 */
export function validIbanPrefix(candidate: string | undefined): string | null {
  let text = candidate;
  while (text !== undefined && text.length >= 15) {
    if (isValidIBAN(electronicFormatIBAN(text) ?? '')) return text;
    const space = text.lastIndexOf(' ');
    text = space > 4 ? text.slice(0, space) : undefined;
  }
  return null;
}

export function isIpv4(text: string): boolean {
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
