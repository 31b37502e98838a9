/**
 * messages — one-line messages that say what to do next, for mistakes that yargs
 * or the file layer would word in their own terms (pure: the callers look at the
 * file system and pass what they found).
 *
 *   unknownCommand('expor', ['export', 'verify'], false) // 'unknown command "expor"; did you mean qa-hf export? (see --help)'
 *   usageMessage('Not enough arguments following: version') // '--version needs a value, e.g. --version 1.0.0 (see --help)'
 *   withNextStep(error, NO_SPACE_STEP_RESUME)             // the same error, its message ending with what to do
 *   versionsFolderMessage('vers', ['v1.0.0'])             // '--out vers is a versions folder (v1.0.0/ …); add a version with --version, e.g. --version 1.0.1, …'
 */
import { closest, distance } from 'fastest-levenshtein';
import { QaHfError } from './errors';
import { type CommandName, OPTION_TABLE } from './option-table';

/**
 * A first argument that names no file but is a slip of a command's name: the
 * message saying so, else null (it is pipe mode's input file, or nothing like a
 * command). A slip is two edits at most, and fewer than half the word's letters.
 */
export function unknownCommand(word: string, commands: readonly string[], isPath: boolean): string | null {
  if (isPath || word.startsWith('-') || commands.includes(word) || commands.length === 0) return null;
  const near = closest(word.toLowerCase(), [...commands]);
  const edits = distance(word.toLowerCase(), near);
  if (edits > 2 || edits * 2 >= word.length) return null;
  return `unknown command ${JSON.stringify(word)}; did you mean qa-hf ${near}? (see --help)`;
}

/** The message of an option typed without its value: say a value is expected, with an example. */
export function missingValueMessage(option: string, command?: CommandName): string {
  // The example is the option's row's (lib/option-table.ts), the command's own where two commands' rows share a name.
  const rows = OPTION_TABLE.filter((row) => row.name === option);
  const example = (rows.find((row) => command !== undefined && row.commands.includes(command)) ?? rows[0])?.example;
  return example === undefined ? `--${option} needs a value after it` : `--${option} needs a value, e.g. --${option} ${example}`;
}

/** yargs' own words for an option typed without its value (requiresArg). */
const NOT_ENOUGH_ARGUMENTS = /^Not enough arguments following: (\S+)$/;

/** yargs' own words for options the command does not declare (strict mode): `Unknown arguments: out, format`. */
const UNKNOWN_ARGUMENTS = /^Unknown arguments?: (.+)$/;

/** How a command is typed (`pipe` is qa-hf with files). */
const typed = (command: CommandName) => (command === 'pipe' ? 'pipe mode (qa-hf FILE…)' : `qa-hf ${command}`);

/**
 * The message of an option the command does not take: another command's option says
 * which command takes it (`qa-hf in.jsonl --out dist` meant export); a slip of one of
 * the command's own options (two edits at most) says which; else yargs' words.
 */
export function unknownOptionMessage(name: string, command: CommandName): string | null {
  // yargs names it as typed, or camel-cased when it also saw the dashed form.
  const option = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  // A token on the command line is what `ps` shows: push has none on purpose.
  if (option === 'token' && command === 'push') return 'push takes no --token (ps would show it): set HF_TOKEN, or give --token-file FILE';
  const elsewhere = [...new Set(OPTION_TABLE.filter((row) => row.name === option && row.positional === undefined).flatMap((row) => row.commands))].filter((other) => other !== command);
  if (elsewhere.length > 0) return `--${option} is not an option of ${typed(command)}; it is one of ${elsewhere.map((other) => (other === 'pipe' ? 'pipe mode' : `qa-hf ${other}`)).join(', ')}`;
  const own = OPTION_TABLE.filter((row) => row.commands.includes(command) && row.positional === undefined && row.hidden === undefined).map((row) => row.name);
  if (own.length === 0) return null;
  const near = closest(option, own);
  const edits = distance(option, near);
  return edits <= 2 && edits * 2 < option.length ? `unknown option --${option} of ${typed(command)}; did you mean --${near}?` : null;
}

/** A yargs usage failure in words that say what to do (others as yargs words them), ending with the pointer to --help. */
export function usageMessage(message: string, command?: CommandName): string {
  // yargs' failures carry no code: its (English) message is all there is to go by.
  const missing = NOT_ENOUGH_ARGUMENTS.exec(message);
  if (missing) return `${missingValueMessage(missing[1], command)} (see --help)`;
  const unknown = UNKNOWN_ARGUMENTS.exec(message);
  const better = unknown && command !== undefined ? unknownOptionMessage(unknown[1].split(', ')[0], command) : null;
  return `${better ?? message} (see --help)`;
}

/** What to do after a full disk: a resumable run keeps what it committed. */
export const NO_SPACE_STEP_RESUME = 'free space, then run the same command again to resume';
/** … and after a run that cannot resume (pipe mode). */
export const NO_SPACE_STEP_RERUN = 'free space, then run it again';

/** `error` with `step` (what to do) at the end of its message, its place kept; an error already saying it is returned as it is. */
export function withNextStep(error: QaHfError, step: string): QaHfError {
  if (error.message.endsWith(step)) return error;
  return new QaHfError(error.code, `${error.message}; ${step}`, { file: error.file, line: error.line, byteOffset: error.byteOffset, column: error.column, pointer: error.pointer });
}

/** MAJOR.MINOR.PATCH of a version folder's name (`v1.2.3`, pre-release and build ignored), or null. */
function versionNumbers(folder: string): [number, number, number] | null {
  const match = /^v(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(folder);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : null;
}

/**
 * The top folders among `files` (relative paths in --out) that hold a version's
 * export: named `vX.Y.Z` and holding manifest.json or a checkpoint. Those the
 * caller confirms qa-hf wrote make --out a versions folder.
 */
export function versionFolderCandidates(files: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    const [top, name, ...rest] = file.split('/');
    if (rest.length === 0 && (name === 'manifest.json' || name === '.qa-hf-checkpoint.json') && versionNumbers(top) !== null) found.add(top);
  }
  return [...found].sort();
}

/** True when every file lies inside one of the version folders (nothing else to call foreign). */
export function onlyVersionFolders(files: readonly string[], folders: readonly string[]): boolean {
  return folders.length > 0 && files.every((file) => folders.includes(file.split('/')[0]) && file.includes('/'));
}

/** The next patch version after the highest of the folders (`v1.0.0`, `v1.2.0` → `1.2.1`). */
export function nextVersion(folders: readonly string[]): string {
  const versions = folders.map(versionNumbers).filter((v): v is [number, number, number] => v !== null);
  if (versions.length === 0) return '1.0.0';
  const [major, minor, patch] = versions.reduce((a, b) => (a[0] !== b[0] ? (a[0] > b[0] ? a : b) : a[1] !== b[1] ? (a[1] > b[1] ? a : b) : a[2] >= b[2] ? a : b));
  return `${major}.${minor}.${patch + 1}`;
}

/** An --out that holds dataset versions (OUT/vX.Y.Z/, written with --version): what it is and how to add one. */
export function versionsFolderMessage(out: string, folders: readonly string[]): string {
  const named = folders.length > 3 ? `${folders.slice(0, 3).join('/, ')}/ and ${folders.length - 3} more` : `${folders.join('/, ')}/`;
  return `--out ${out} is a versions folder (${named}: qa-hf exports written with --version); add a version with --version, e.g. --version ${nextVersion(folders)}, or choose another --out`;
}
