/**
 * hint — prints a whole-file hint (lib/input/input-hints.ts) on stderr, one line, not under --quiet.
 * Shared by pipe mode and export (and its dry run).
 */
export function printHint(hint: string, quiet: boolean, stderr: NodeJS.WritableStream = process.stderr): void {
  if (!quiet) stderr.write(`qa-hf: hint: ${hint}\n`);
}
