/**
 * language — the quality report's language check (--language): its constants, the
 * hash sample of answers it checks and the detector it asks.
 *
 * tinyld reads the first LANGUAGE_SAMPLE_CHARS characters of each answer of at
 * least LANGUAGE_MIN_CHARS characters (shorter ones are counted as
 * `skipped_short`: on a few words a detector guesses — tinyld calls "hej"
 * Klingon). An answer is a match when --language is among tinyld's candidates
 * with at least LANGUAGE_MIN_ACCURACY (detectLanguage), not only when it is the
 * top one: on Swedish healthcare text tinyld's top guess is another language for
 * one answer in eight at 120 characters (Italian, Norwegian, Berber), so a gate
 * on the top guess fails every real corpus. Else the top candidate is recorded
 * (or `und`), and it is a mismatch. `--language off` skips the check (and its cost).
 * Detection costs as much as the rest of an export's per-record work, so past
 * the first LANGUAGE_CHECK_ALL records of a group only the answers in a hash
 * sample (languageSampled: one in LANGUAGE_STRIDE, by their text) are checked
 * (`not_sampled` counts the others): the mismatch share is then a sample's,
 * deterministic given the input. The sample is a function of the answer alone, so
 * the processor finds and detects it where the row is made (lib/quality/facts.ts: in the
 * workers) and the report (lib/quality/report.ts) only reads the entry's facts.
 *
 *   const detect = detectLanguage(require('tinyld').detectAll, 'sv');
 *   detect('Paracetamol ges i doser om 500–1000 mg …') // 'sv'
 */

/** Answers shorter than this (code points, trimmed) are not language-checked: too short to tell. */
export const LANGUAGE_MIN_CHARS = 40;
/**
 * Characters of an answer the detector reads (its start): enough to tell, and a
 * long answer costs no more. Measured on 2000 Swedish answers of the bench corpus
 * (target among the candidates at ≥ 0.2): 120 characters call 4.9 % of them
 * something else, 200 characters 3 %, 300 characters 0.7 %; English, German,
 * Norwegian and Danish answers are still told apart. tinyld takes ~1.5 µs per
 * character (~0.45 ms here, more than the rest of an export's work on a record).
 */
export const LANGUAGE_SAMPLE_CHARS = 300;
/** The least tinyld accuracy at which --language counts as detected among the candidates. */
export const LANGUAGE_MIN_ACCURACY = 0.2;
/**
 * Every record of a (split, channel) up to this many is language-checked; after
 * that one answer in LANGUAGE_STRIDE, chosen by a hash of its text
 * (languageSampled), so the same ones after a resume and in any thread. 100 k
 * records then cost ~0.5 s of detection (~1100 checks, the sampled ones in the
 * workers) instead of 45 s, and a share of 10 % is known within ~±0.9 % (its
 * binomial standard error at 1100 checks); 1.6 M records: 16 k checks, ±0.25 %.
 */
export const LANGUAGE_CHECK_ALL = 100;
export const LANGUAGE_STRIDE = 100;

/**
 * True when a trimmed answer is in the language check's hash sample: FNV-1a over
 * its first LANGUAGE_SAMPLE_CHARS UTF-16 units, 0 modulo LANGUAGE_STRIDE.
 */
export function languageSampled(trimmed: string): boolean {
  let h = 0x811c9dc5;
  const end = Math.min(trimmed.length, LANGUAGE_SAMPLE_CHARS);
  for (let i = 0; i < end; i++) h = Math.imul(h ^ trimmed.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return ((h ^ (h >>> 12)) >>> 0) % LANGUAGE_STRIDE === 0;
}

/** tinyld's candidates of a text among `only`: ISO 639-1 codes with an accuracy in [0, 1], best first. */
export type DetectAll = (text: string, options: { only: string[] }) => ReadonlyArray<{ lang: string; accuracy: number }>;

/**
 * The languages the detector chooses among (with --language added): the widely
 * written ones. Without a list tinyld also answers with languages such as Berber
 * or Tagalog for plain Swedish sentences ("För en vuxen med normal lever- och
 * njurfunktion är maxdosen 4 g per dygn…" → ber 0.82, no Swedish candidate).
 */
export const LANGUAGE_CANDIDATES: readonly string[] = [
  'sv', 'en', 'de', 'fr', 'es', 'it', 'nl', 'no', 'da', 'fi', 'is', 'pl', 'pt', 'cs', 'sk', 'hu', 'ro', 'bg', 'ru', 'uk', 'el', 'tr',
  'ar', 'fa', 'he', 'hi', 'zh', 'ja', 'ko', 'vi', 'th', 'id', 'et', 'lv', 'lt', 'sl', 'hr', 'sr', 'so', 'ti', 'am', 'sq', 'bs',
];

/**
 * The detector the report uses: `language` when it is among the candidates with at
 * least LANGUAGE_MIN_ACCURACY, else the best candidate ('' when there is none).
 */
export function detectLanguage(detectAll: DetectAll, language: string): (text: string) => string {
  const only = [...new Set([language, ...LANGUAGE_CANDIDATES])];
  return (text) => {
    const candidates = detectAll(text, { only });
    return candidates.some((candidate) => candidate.lang === language && candidate.accuracy >= LANGUAGE_MIN_ACCURACY) ? language : (candidates[0]?.lang ?? '');
  };
}

/** Language of the answers by default (the first corpus is Swedish). */
export const DEFAULT_LANGUAGE = 'sv';
/**
 * The ISO 639-1 codes tinyld detects (its supportedLanguages, as toISO2 gives them;
 * test/report.test.ts checks this list against the package), kept here so checking
 * --language does not load the detector (~0.5 s) on every start.
 */
export const DETECTABLE_LANGUAGES: readonly string[] = [
  'af', 'am', 'ber', 'rn', 'ja', 'zh', 'ko', 'my', 'th', 'vi', 'id', 'km', 'tl', 'bn', 'ta', 'hi', 'ur', 'gu', 'kn', 'te', 'fr',
  'en', 'de', 'es', 'pt', 'it', 'nl', 'ga', 'la', 'cs', 'sr', 'el', 'mk', 'sk', 'da', 'sv', 'fi', 'no', 'is', 'hu', 'ro', 'bg',
  'be', 'ru', 'uk', 'pl', 'lt', 'et', 'lv', 'hy', 'tr', 'he', 'yi', 'ar', 'fa', 'tt', 'kk', 'mn', 'tk', 'eo', 'vo', 'tlh',
];
