/**
 * language-thread — the report's language check on a thread of its own, so loading
 * tinyld (~0.1 s) and detecting the first LANGUAGE_CHECK_ALL answers of each group
 * (~0.5 ms each) overlap the export instead of adding to it: a small export's fixed cost.
 *
 * `detectLater(text)` posts the text to the thread (lib/io/language-worker.ts) and returns
 * a ticket; calling the ticket returns what lib/quality/language.ts detectLanguage says of
 * the text — the same function, on the same text, so the same answer as detecting in
 * place. The thread writes each answer into shared memory and wakes the main thread
 * (Atomics), so a ticket is redeemed synchronously (lib/quality/report.ts redeems its
 * tickets whenever its state is read: a checkpoint, the end). If the thread cannot start,
 * fails, or answers nothing for THREAD_SILENCE_MS, the tickets still open are detected in
 * place (tinyld loaded here), so a run never hangs on it and never loses a check.
 * The thread is unref'd (it never keeps the process alive); `close()` ends it.
 *
 *   const thread = new LanguageThread('sv', () => detectLanguage(require('tinyld').detectAll, 'sv'));
 *   const ticket = thread.detectLater('Patienten ska få information …');
 *   ticket(); // 'sv'
 *   await thread.close();
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LANGUAGE_CANDIDATES } from '../quality/language';

/** Answers per shared buffer (a new one when it is full). */
const SLOTS = 1024;
/** Waiting this long with no answer from the thread, the main thread detects in place. */
const THREAD_SILENCE_MS = 20_000;
/** Slot values: 0 not answered yet; k > 0 the code codes[k - 1]; NONE no candidate (''); FAILED the thread could not detect. */
const NONE = -1;
const FAILED = -2;

/** The codes an answer can be, in the order both threads number them: --language, then the candidates. */
export function languageCodes(language: string): string[] {
  return [...new Set([language, ...LANGUAGE_CANDIDATES])];
}

/** Encodes a detector's answer as a slot value. */
export function encodeAnswer(codes: readonly string[], answer: string): number {
  if (answer === '') return NONE;
  const index = codes.indexOf(answer);
  return index < 0 ? FAILED : index + 1;
}

/** What the worker is sent: the text, the --language, and where to write its answer. */
export interface LanguageRequest {
  buffer: SharedArrayBuffer;
  slot: number;
  text: string;
  language: string;
}

/** A thread started before the run's options were known (startLanguageWorkerEarly), for the first LanguageThread to take. */
let early: Worker | null = null;

/**
 * Starts the language thread before the run's options are parsed (the CLI, for a command
 * that may check the language), so tinyld is loading while they are: ~0.1 s earlier than
 * the report could start it. Unref'd: unused, it ends with the process.
 */
export function startLanguageWorkerEarly(script: string = workerScript()): void {
  if (early !== null || !existsSync(script)) return;
  try {
    early = new Worker(script);
    early.unref();
    // Taken by a LanguageThread, whose own handlers then see what follows.
    early.on('error', () => undefined);
  } catch {
    early = null;
  }
}

export class LanguageThread {
  private worker: Worker | null = null;
  private failed = false;
  private buffer: SharedArrayBuffer | null = null;
  private answers: Int32Array | null = null;
  private used = SLOTS;
  private local: ((text: string) => string) | null = null;
  private readonly codes: string[];

  /** `inPlace`: the detector of this thread, made on first need (loads tinyld here). */
  constructor(
    private readonly language: string,
    private readonly inPlace: () => (text: string) => string,
    private readonly script: string = workerScript(),
  ) {
    this.codes = languageCodes(language);
  }

  /** Posts `text` for detection; the ticket returns the detected code ('' when no candidate). */
  detectLater(text: string): () => string {
    if (this.failed || !this.start()) return this.answerInPlace(text);
    if (this.used === SLOTS) {
      this.buffer = new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
      this.answers = new Int32Array(this.buffer);
      this.used = 0;
    }
    const answers = this.answers!;
    const slot = this.used++;
    try {
      this.worker!.postMessage({ buffer: this.buffer!, slot, text, language: this.language } satisfies LanguageRequest);
    } catch {
      this.fail();
      return this.answerInPlace(text);
    }
    let answer: string | null = null;
    return () => (answer ??= this.redeem(answers, slot, text));
  }

  /** Ends the thread (tickets still open are then detected in place). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.failed = true;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private start(): boolean {
    if (this.worker) return true;
    // Started early (startLanguageWorkerEarly): taken as it is.
    const started = early;
    early = null;
    // A script that is not there would fail only after a wait (its error event comes asynchronously).
    if (started === null && !existsSync(this.script)) {
      this.fail();
      return false;
    }
    try {
      const worker = started ?? new Worker(this.script);
      worker.unref();
      // A thread that fails or exits leaves its open tickets to the main thread (redeem).
      worker.on('error', () => this.fail());
      worker.on('exit', () => this.fail());
      this.worker = worker;
      return true;
    } catch {
      this.fail();
      return false;
    }
  }

  private fail(): void {
    this.failed = true;
  }

  private redeem(answers: Int32Array, slot: number, text: string): string {
    for (;;) {
      const value = Atomics.load(answers, slot);
      if (value > 0) return this.codes[value - 1];
      if (value === NONE) return '';
      if (value === FAILED || this.failed) break;
      // 'timed-out' after THREAD_SILENCE_MS: a thread that died without an event we could see.
      if (Atomics.wait(answers, slot, 0, THREAD_SILENCE_MS) === 'timed-out') {
        this.fail();
        void this.close();
        break;
      }
    }
    return this.detectInPlace(text);
  }

  private answerInPlace(text: string): () => string {
    let answer: string | null = null;
    return () => (answer ??= this.detectInPlace(text));
  }

  private detectInPlace(text: string): string {
    this.local ??= this.inPlace();
    return this.local(text);
  }
}

/** dist/lib/io/language-worker.js, beside this module once built (from the sources under ts-jest: the built one). */
function workerScript(): string {
  const script = __filename.endsWith('.ts') ? path.resolve(__dirname, '..', '..', 'dist', 'lib', 'io', 'language-worker.js') : path.join(__dirname, 'language-worker.js');
  return script;
}
