/**
 * config-file — finds and reads the config file: `--config FILE`, else `qa-hf.yaml`
 * in the working directory, else none. Parsing and validation are lib/config.ts's.
 *
 *   const config = await loadConfigFile(args.config); // Config | null
 *
 * A --config FILE that cannot be read is one ERR_CONFIG line (exit 2); an absent
 * qa-hf.yaml is simply no config.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE, type Config, parseConfigText } from '../config';
import { QaHfError, toQaHfError } from '../errors';

/** The config of a run: the file --config names, or qa-hf.yaml in `cwd`, or null. */
export async function loadConfigFile(explicit: string | undefined, cwd = process.cwd()): Promise<Config | null> {
  const file = explicit ?? CONFIG_FILE;
  const resolved = path.resolve(cwd, file);
  let text: string;
  try {
    text = await fs.readFile(resolved, 'utf8');
  } catch (err) {
    if (explicit === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    const reason = toQaHfError(err).message.replace(`: ${resolved}`, '');
    throw new QaHfError('ERR_CONFIG', `cannot read ${explicit === undefined ? CONFIG_FILE : `--config ${file}`}: ${reason}`);
  }
  // Relative paths in the file resolve against its folder, expressed relative to the working directory.
  const baseDir = path.relative(cwd, path.dirname(resolved));
  return parseConfigText(text, file, baseDir);
}
