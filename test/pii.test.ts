/** lib/quality/pii.ts, lib/quality/pii-checks.ts, lib/quality/pii-text.ts: every kind found and validated, look-alikes left alone, masks and redaction. */
import { PII_KINDS, type PiiKind, findPii, maskPii, redactPii } from '../lib/quality/pii';
import { luhnValid, validPersonnummer } from '../lib/quality/pii-checks';
import { redactText, textHasPii } from '../lib/quality/pii-text';

/** The kinds and texts found in `text`. */
const found = (text: string) => findPii(text).map((match) => [match.kind, match.text]);

describe('findPii: positives', () => {
  test.each<[string, string, PiiKind, string]>([
    ['personnummer, 12 digits with -', 'Patienten 19850312-1231 kom in.', 'personnummer', '19850312-1231'],
    ['personnummer, 10 digits with -', 'pnr 850312-1231', 'personnummer', '850312-1231'],
    ['personnummer, no separator', 'pnr 8503121231.', 'personnummer', '8503121231'],
    ['personnummer, 12 digits, no separator', 'pnr 198503121231', 'personnummer', '198503121231'],
    ['personnummer, + (over 100)', 'född 121212+1212', 'personnummer', '121212+1212'],
    ['personnummer, leap day', 'pnr 20000229-1235', 'personnummer', '20000229-1235'],
    ['samordningsnummer (day + 60)', 'samordningsnummer 850372-1238', 'personnummer', '850372-1238'],
    ['email', 'mejla anna.berg@region.se idag', 'email', 'anna.berg@region.se'],
    ['email with plus and subdomain', 'skriv till a+b@mail.vgregion.se.', 'email', 'a+b@mail.vgregion.se'],
    ['mobile, national', 'Ring 070-123 45 67 efter 10.', 'phone', '070-123 45 67'],
    ['Stockholm number', 'växel 08-123 456 78', 'phone', '08-123 456 78'],
    ['mobile, +46', 'ring +46 70 123 45 67', 'phone', '+46 70 123 45 67'],
    ['mobile, 0046', 'ring 0046 70 123 45 67', 'phone', '0046 70 123 45 67'],
    ['mobile, no spaces', 'sms 0701234567', 'phone', '0701234567'],
    ['area code in parentheses', 'Telefon (08) 123 45 67 till växeln.', 'phone', '(08) 123 45 67'],
    ['+46 with the trunk 0 in parentheses', 'Nås på +46(0)70-123 45 67 dagtid.', 'phone', '+46(0)70-123 45 67'],
    ['+46, space, (0)', 'ring +46 (0)70 123 45 67', 'phone', '+46 (0)70 123 45 67'],
    ['iban, grouped', 'konto SE45 5000 0000 0583 9825 7466 tack', 'iban', 'SE45 5000 0000 0583 9825 7466'],
    ['iban, electronic', 'IBAN DE89370400440532013000', 'iban', 'DE89370400440532013000'],
    ['card, grouped', 'kort 4111 1111 1111 1111', 'card', '4111 1111 1111 1111'],
    ['card, dashes', 'kort 5555-5555-5555-4444', 'card', '5555-5555-5555-4444'],
    ['ipv4', 'från 192.168.1.10 i loggen', 'ip', '192.168.1.10'],
  ])('%s', (_name, text, kind, value) => {
    expect(found(text)).toEqual([[kind, value]]);
  });

  test.each<[string, Array<[PiiKind, string]>]>([
    ['säng 4 850312-1231', [['personnummer', '850312-1231']]],
    ['rum 17 850312-1231', [['personnummer', '850312-1231']]],
    ['år 2024 850312-1231', [['personnummer', '850312-1231']]],
    ['850312-1231 4', [['personnummer', '850312-1231']]],
    ['850312-1231 17 år', [['personnummer', '850312-1231']]],
    ['1 2 3 850312-1231', [['personnummer', '850312-1231']]],
    ['nr.4 850312-1231', [['personnummer', '850312-1231']]],
    ['4 8503121231', [['personnummer', '8503121231']]],
    ['4 850312+1231', [['personnummer', '850312+1231']]],
    ['4 19850312-1231', [['personnummer', '19850312-1231']]],
    ['Patienten (850312-1231) kom', [['personnummer', '850312-1231']]],
    ['Patienten (19850312-1231) kom', [['personnummer', '19850312-1231']]],
    ['ring 850312-1231 070-123 45 67', [['personnummer', '850312-1231'], ['phone', '070-123 45 67']]],
    ['säng 4 070-123 45 67', [['phone', '070-123 45 67']]],
    ['kl 14 070-123 45 67', [['phone', '070-123 45 67']]],
    ['tel 070-123 45 67 8', [['phone', '070-123 45 67']]],
    ['konto SE45 5000 0000 0583 9825 7466 17', [['iban', 'SE45 5000 0000 0583 9825 7466']]],
    ['kort 4111 1111 1111 1111 2', [['card', '4111 1111 1111 1111']]],
    ['4 4111 1111 1111 1111', [['card', '4111 1111 1111 1111']]],
    ['3 st 5555-5555-5555-4444', [['card', '5555-5555-5555-4444']]],
    ['från (192.168.1.10)', [['ip', '192.168.1.10']]],
  ])('beside other numbers or in parentheses: %s', (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  test('several kinds in one string, in order', () => {
    expect(found('Ring 070-123 45 67 eller mejla anna.berg@region.se om 19850312-1231.')).toEqual([
      ['phone', '070-123 45 67'],
      ['email', 'anna.berg@region.se'],
      ['personnummer', '19850312-1231'],
    ]);
  });

  test('the scan jumps between candidates: matches after long plain text, an email with digits before a number, words with digits passed over', () => {
    const plain = 'Patienten får information om behandlingen. '.repeat(40);
    expect(found(`${plain}NEWS2 är 7 och FEV1 är 2,5. ${plain}Mejla a1@b.se, ${plain}sedan (08) 123 45 67; konto SE45 5000 0000 0583 9825 7466.`)).toEqual([
      ['email', 'a1@b.se'],
      ['phone', '(08) 123 45 67'],
      ['iban', 'SE45 5000 0000 0583 9825 7466'],
    ]);
    expect(found(`${plain}x@y.se`)).toEqual([['email', 'x@y.se']]);
  });
});

describe('findPii: look-alikes are not PII', () => {
  test.each([
    ['personnummer with a wrong check digit', 'pnr 19850312-1234'],
    ['10-digit personnummer with a wrong check digit', 'pnr 850312-1234'],
    ['impossible date (month 13)', 'pnr 19851312-1231'],
    ['impossible date (Feb 30)', 'pnr 850230-1234'],
    ['Feb 29 of a year that is no leap year', 'pnr 19010229-1235'],
    ['emergency number', 'Ring 112 vid fara'],
    ['healthcare advice number', 'Ring 1177 Vårdguiden'],
    ['police number', 'Polisen nås på 113 13'],
    ['ISO date', 'Datum 2024-01-15 kl 10:30'],
    ['compact date', 'Journal 20240115'],
    ['dosages', '500 mg 3 gånger dagligen, högst 4 000 mg per dygn, 2,5 ml'],
    ['version number', 'version 1.2.3.4 och v10.0.0.1'],
    ['octet above 255', 'värde 300.1.1.1'],
    ['card number failing Luhn', 'kort 4111 1111 1111 1112'],
    ['iban with a wrong check', 'SE46 5000 0000 0583 9825 7466'],
    ['email without a domain', 'skriv till anna@'],
    ['short number', 'rum 4512, avdelning 23'],
    ['numbers in parentheses', 'dos 500 mg (1000 mg) 2 ggr, år (2019) 1 234 567 patienter, (se 3)'],
    ['postcode and counts', 'Postnumret är 123 45 Stockholm, Hb 135 g/l, kl. 08.00-16.30'],
    ['organisation number (month 60)', 'Organisationsnummer 556036-0793'],
    ['text without digits', 'Feber över trettioåtta grader kräver läkarkontakt.'],
  ])('%s', (_name, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('validators', () => {
  test.each([
    ['8503121231', true],
    ['8503121234', false],
    ['4111111111111111', true],
    ['4111111111111112', false],
  ])('luhnValid(%s) = %s', (digits, valid) => {
    expect(luhnValid(digits)).toBe(valid);
  });

  test.each([
    ['850312', '-', '1231', true],
    ['19850312', '-', '1231', true],
    ['850372', '-', '1238', true],
    ['850300', '-', '1231', false],
    ['19850312', '+', '1231', false],
  ])('validPersonnummer(%s%s%s) = %s', (date, separator, number, valid) => {
    expect(validPersonnummer(date, separator, number)).toBe(valid);
  });
});

describe('maskPii and redactPii', () => {
  test.each<[PiiKind, string, string]>([
    ['personnummer', '19850312-1231', '********-****'],
    ['personnummer', '850312-1231', '******-****'],
    ['personnummer', '198503121231', '************'],
    ['personnummer', '121212+1212', '******+****'],
    ['email', 'anna.berg@region.se', 'a***.****@******.se'],
    ['phone', '070-123 45 67', '070-*** ** **'],
    ['iban', 'SE45 5000 0000 0583 9825 7466', 'SE45 **** **** **** **** ****'],
    ['card', '4111 1111 1111 1111', '**** **** **** 1111'],
    ['ip', '192.168.1.10', '192.168.*.*'],
  ])('%s %s → %s', (kind, text, masked) => {
    expect(maskPii(kind, text)).toBe(masked);
  });

  test('every kind has its placeholder', () => {
    const text = 'a 19850312-1231 b anna@x.se c 070-123 45 67 d SE45 5000 0000 0583 9825 7466 e 4111 1111 1111 1111 f 10.0.0.1';
    expect(redactPii(text)).toBe('a [PERSONNUMMER] b [EMAIL] c [PHONE] d [IBAN] e [CARD] f [IP]');
    expect(new Set(findPii(text).map((match) => match.kind))).toEqual(new Set(PII_KINDS));
  });

  test('a string without matches is returned as it is', () => {
    const text = 'Ring 1177 eller 112.';
    expect(redactPii(text)).toBe(text);
  });
});

describe('redactText: the text of a bad line', () => {
  test.each([
    ['a match as it is', '{"q":"Ring 070-123 45 67"', '{"q":"Ring [PHONE]"'],
    ['a personnummer written as a JSON number', '{"pnr": 198503121231, "x": 1}', '{"pnr": [PERSONNUMMER], "x": 1}'],
    ['glued to an escape: \\n before a number', '{"a":"Hej\\n070-123 45 67","b":1', '{"a":"Hej\\n[PHONE]","b":1'],
    ['an e-mail behind \\u0040', '{"a":"anna\\u0040region.se"}', '{"a":"[EMAIL]"}'],
    ['a literal the line cuts off', '{"a":"x\\t19850312-1231', '{"a":"x\\t[PERSONNUMMER]'],
    ['nothing to find', '{"a":"Feber\\n38 grader"}', '{"a":"Feber\\n38 grader"}'],
  ])('%s', (_name, text, redacted) => {
    expect(redactText(text)).toBe(redacted);
    expect(textHasPii(text)).toBe(text !== redacted);
    expect(textHasPii(redactText(text))).toBe(false);
  });

  test('redactPii scans again until nothing is found: a redacted value never holds a match', () => {
    const text = 'mejla a@b.se@c.se, ring 070-123 45 67 070-765 43 21';
    expect(findPii(redactPii(text))).toEqual([]);
  });
});
