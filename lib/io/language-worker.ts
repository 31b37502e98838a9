/**
 * language-worker — the thread of lib/io/language-thread.ts: loads tinyld as it starts, then for
 * each request writes lib/quality/language.ts detectLanguage's answer into the request's
 * shared slot and wakes the main thread. A request it cannot answer gets FAILED, so the
 * main thread detects that text itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type DetectAll, detectLanguage } from '../quality/language';
import { encodeAnswer, languageCodes, type LanguageRequest } from './language-thread';

const FAILED = -2;
const { language } = workerData as { language: string };
const codes = languageCodes(language);
let detect: ((text: string) => string) | null = null;
// Loaded at once, before the first text comes: the thread starts with the run.
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, on this thread, once
  detect = detectLanguage((require('tinyld') as { detectAll: DetectAll }).detectAll, language);
} catch {
  detect = null;
}

parentPort!.on('message', ({ buffer, slot, text }: LanguageRequest) => {
  const answers = new Int32Array(buffer);
  let value = FAILED;
  if (detect !== null) {
    try {
      value = encodeAnswer(codes, detect(text));
    } catch {
      detect = null;
    }
  }
  Atomics.store(answers, slot, value);
  Atomics.notify(answers, slot);
});
