/**
 * early-language — the second module the CLI loads (after commands/interrupt.ts): for an
 * export or report whose flags leave the language check on, it starts the report's language
 * thread (lib/io/language-thread.ts) before the rest of the CLI's modules are evaluated, so
 * the thread's start-up and tinyld's loading (~0.15 s of a small export's critical path)
 * overlap them instead of following them. Reads process.argv only; anything else (a config
 * file that turns the check off) is the run's plan's: then the thread idles and ends with
 * the process.
 */
import { startLanguageWorkerEarly } from '../lib/io/language-thread';

/** An export or report whose flags leave the language check on (a config file may still turn it off: then the thread idles). */
export function mayCheckLanguage(argv: readonly string[]): boolean {
  if (argv[0] !== 'export' && argv[0] !== 'report') return false;
  if (argv.some((arg) => arg === '--help' || arg === '-h' || arg === '--dry-run' || arg === '--language=off')) return false;
  return !argv.some((arg, i) => arg === '--language' && argv[i + 1] === 'off');
}

if (mayCheckLanguage(process.argv.slice(2))) startLanguageWorkerEarly();
