/**
 * lib/io/language-thread.ts: the report's language check on a thread gives what the
 * detector gives in place, for every ticket, in any order of redeeming; a thread that
 * cannot start, or is closed with tickets open, leaves them to the main thread.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { detectAll } from 'tinyld';
import { exportCommand } from '../commands/export';
import { reportCommand } from '../commands/quality-report';
import { EXPORT_DEFAULTS } from './export-runner';
import { ROOT, planFor } from './helpers';
import { LanguageThread, startLanguageWorkerEarly } from '../lib/io/language-thread';
import { mayCheckLanguage } from '../commands/early-language';
import { detectLanguage } from '../lib/quality/language';

const TEXTS = [
  'Patienten ska få information om behandlingen innan den påbörjas och kan alltid ställa frågor.',
  'The patient should be informed about the treatment before it starts and may always ask questions.',
  'Der Patient soll vor Beginn der Behandlung informiert werden und darf jederzeit Fragen stellen.',
  'Pasienten skal få informasjon om behandlingen før den starter, og kan alltid stille spørsmål.',
  '1234 5678 !!! ???',
  'Potilaalle on kerrottava hoidosta ennen sen alkamista, ja hän voi aina esittää kysymyksiä.',
];

const inPlace = () => detectLanguage(detectAll, 'sv');

test('the thread answers as the detector does in place', async () => {
  const thread = new LanguageThread('sv', () => {
    throw new Error('detected in place');
  });
  const texts = Array.from({ length: 40 }, (_, i) => TEXTS[i % TEXTS.length]);
  const tickets = texts.map((text) => thread.detectLater(text));
  // Redeemed out of order, and twice.
  const answers = tickets.map((_, i) => tickets[tickets.length - 1 - i]()).reverse();
  expect(answers).toEqual(texts.map(inPlace()));
  expect(tickets[0]()).toBe(answers[0]);
  expect(new Set(answers).size).toBeGreaterThan(2);
  await thread.close();
});

test('a thread that cannot start: detected in place', async () => {
  const thread = new LanguageThread('sv', inPlace, '/nonexistent/language-worker.js');
  expect(TEXTS.map((text) => thread.detectLater(text)()).join()).toBe(TEXTS.map(inPlace()).join());
  await thread.close();
});

test('tickets open when the thread is closed: detected in place', async () => {
  let inPlaceCalls = 0;
  const thread = new LanguageThread('sv', () => {
    inPlaceCalls++;
    return inPlace();
  });
  const first = thread.detectLater(TEXTS[0]);
  expect(first()).toBe('sv');
  const open = TEXTS.map((text) => thread.detectLater(text));
  await thread.close();
  expect(open.map((ticket) => ticket())).toEqual(TEXTS.map(inPlace()));
  expect(thread.detectLater(TEXTS[1])()).toBe('en');
  expect(inPlaceCalls).toBe(1);
});

test('a thread started before the language is known (the CLI starts it early) is taken by the first LanguageThread', async () => {
  startLanguageWorkerEarly();
  const thread = new LanguageThread('en', () => {
    throw new Error('detected in place');
  }, '/nonexistent/language-worker.js'); // only the early thread can answer
  const inPlaceEn = detectLanguage(detectAll, 'en');
  expect(TEXTS.map((text) => thread.detectLater(text)())).toEqual(TEXTS.map(inPlaceEn));
  await thread.close();
});

test('the CLI starts the thread early for an export or report that may check the language, never otherwise', () => {
  expect(mayCheckLanguage(['export', 'qa.jsonl', '--out', 'dist'])).toBe(true);
  expect(mayCheckLanguage(['report', 'qa.jsonl'])).toBe(true);
  expect(mayCheckLanguage(['export', 'qa.jsonl', '--language', 'off'])).toBe(false);
  expect(mayCheckLanguage(['export', 'qa.jsonl', '--language=off'])).toBe(false);
  expect(mayCheckLanguage(['export', '--help'])).toBe(false);
  expect(mayCheckLanguage(['export', 'qa.jsonl', '--dry-run'])).toBe(false);
  expect(mayCheckLanguage(['verify', 'dist'])).toBe(false);
  expect(mayCheckLanguage(['qa.jsonl'])).toBe(false);
  expect(mayCheckLanguage([])).toBe(false);
});

test('an export or report run in this process ends its language thread, also when it fails (a library caller runs many)', async () => {
  const terminate = jest.spyOn(Worker.prototype, 'terminate');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-language-thread-'));
  try {
    const input = path.join(ROOT, 'samples', 'qa_mixed.jsonl');
    await exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [input], out: path.join(dir, 'export'), quiet: true }));
    expect(terminate).toHaveBeenCalledTimes(1);
    await reportCommand(planFor('report', { inputs: [input], out: path.join(dir, 'report'), quiet: true, preset: 'qa-internal', maxLineBytes: 10 << 20 }));
    expect(terminate).toHaveBeenCalledTimes(2);
    // A run that fails after answers went to the thread (--fail-fast at a bad line) ends it too.
    const failing = path.join(dir, 'failing.jsonl');
    await fs.writeFile(failing, `${(await fs.readFile(input, 'utf8')).trimEnd()}\n{not json\n`);
    await expect(exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [failing], out: path.join(dir, 'failed'), quiet: true, failFast: true }))).rejects.toThrow(/ERR_JSON_PARSE|fail-fast/);
    expect(terminate).toHaveBeenCalledTimes(3);
    // A run that fails before any answer (an input that is not there) never started one.
    await expect(exportCommand(planFor('export', { ...EXPORT_DEFAULTS, preset: 'qa-internal', inputs: [path.join(dir, 'missing.jsonl')], out: path.join(dir, 'none'), quiet: true }))).rejects.toThrow();
    expect(terminate).toHaveBeenCalledTimes(3);
  } finally {
    terminate.mockRestore();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
