/**
 * interrupt — the first module the CLI loads (cli.ts imports it before anything else,
 * so before the ~0.3 s of loading the rest): from then on a SIGINT or SIGTERM that no
 * command's own handler takes (start-up, before an export has its StopSignals; report,
 * verify, presets) ends the process with one line, exit 130, instead of Node's silent
 * default. Where a command listens (commands/signals.ts), this handler steps aside.
 * No imports: it must cost nothing and work before the rest is loaded.
 */
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, (received: NodeJS.Signals) => {
    if (process.listenerCount(received) > 1) return; // the command's own handler answers it
    // The line of QaHfError.toLine() for ERR_INTERRUPTED, written here without loading lib/errors.
    process.stderr.write(`qa-hf: ERR_INTERRUPTED: stopped by ${received}; run the same command again\n`);
    process.exit(130);
  });
}

export {};
