/**
 * inputs — checks input paths before any stream exists, so a typo gives one clear
 * line instead of a half-done run.
 */
import { promises as fs } from 'node:fs';
import { QaHfError, inputError } from './errors';

/** Every path must be a readable regular file (or `-`, standard input). */
export async function checkInputFiles(files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (file === '-') continue;
    try {
      const stat = await fs.stat(file);
      if (stat.isDirectory()) {
        throw new QaHfError('ERR_INPUT', 'is a directory (pipe mode reads files; use `qa-hf export DIR --out OUT`)', { file });
      }
      await fs.access(file, fs.constants.R_OK);
    } catch (err) {
      if (err instanceof QaHfError) throw err;
      throw inputError(err, file);
    }
  }
}
