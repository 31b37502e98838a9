/**
 * language-worker — the thread of lib/io/language-thread.ts: loads tinyld as it starts, then for
 * each request writes lib/quality/language.ts detectLanguage's answer into the request's
 * shared slot and wakes the main thread. A request it cannot answer gets FAILED, so the
 * main thread detects that text itself.
 */
import { parentPort } from 'node:worker_threads';
import { type DetectAll, detectLanguage } from '../quality/language';
import { encodeAnswer, languageCodes, type LanguageRequest } from './language-thread';

const FAILED = -2;
let detectAll: DetectAll | null = null;
// Loaded at once, before the first text comes: the thread may start before the run's options are known.
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, on this thread, once
  detectAll = (require('tinyld') as { detectAll: DetectAll }).detectAll;
} catch {
  detectAll = null;
}
/** The detector and the answer codes of each --language asked for (one per run). */
const byLanguage = new Map<string, { detect: (text: string) => string; codes: string[] }>();

parentPort!.on('message', ({ buffer, slot, text, language }: LanguageRequest) => {
  const answers = new Int32Array(buffer);
  let value = FAILED;
  if (detectAll !== null) {
    try {
      let detector = byLanguage.get(language);
      if (detector === undefined) byLanguage.set(language, (detector = { detect: detectLanguage(detectAll, language), codes: languageCodes(language) }));
      value = encodeAnswer(detector.codes, detector.detect(text));
    } catch {
      detectAll = null;
    }
  }
  Atomics.store(answers, slot, value);
  Atomics.notify(answers, slot);
});
