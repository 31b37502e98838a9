/**
 * language-worker — the thread of lib/io/language-thread.ts: loads tinyld once, then for
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
let broken = false;

parentPort!.on('message', ({ buffer, slot, text }: LanguageRequest) => {
  const answers = new Int32Array(buffer);
  let value = FAILED;
  if (!broken) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded here, on this thread, once
      detect ??= detectLanguage((require('tinyld') as { detectAll: DetectAll }).detectAll, language);
      value = encodeAnswer(codes, detect(text));
    } catch {
      broken = true;
    }
  }
  Atomics.store(answers, slot, value);
  Atomics.notify(answers, slot);
});
