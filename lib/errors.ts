/**
 * errors — the one error class of qa-hf and its codes.
 *
 * Record-level codes (a bad line is data: it goes to the error channel with its
 * provenance) and run-level codes (the run stops with a one-line message and an
 * exit code) share one class so every message has the same shape:
 *
 *   new QaHfError('ERR_JSON_PARSE', 'Unexpected token } at position 12', { file, line, byteOffset })
 *   err.toLine() // "qa.jsonl:3 (offset 412): ERR_JSON_PARSE: Unexpected token } at position 12"
 */

/** Codes a single input line can earn; each has its own row in README's errors table. */
export type RecordErrorCode =
  | 'ERR_INVALID_UTF8'
  | 'ERR_LINE_TOO_LONG'
  | 'ERR_JSON_PARSE'
  | 'ERR_TRUNCATED_LINE'
  | 'ERR_NOT_OBJECT'
  | 'ERR_SCHEMA'
  | 'ERR_MAPPING'
  | 'ERR_LONE_SURROGATE';

/** Codes that end a run. */
export type RunErrorCode =
  | 'ERR_USAGE'
  | 'ERR_OPTION'
  | 'ERR_CONFIG'
  | 'ERR_FORMAT_MODULE'
  | 'ERR_SCHEMA_FILE'
  | 'ERR_INPUT'
  | 'ERR_IO'
  | 'ERR_S3'
  | 'ERR_HUB'
  | 'ERR_NO_SPACE'
  | 'ERR_FAIL_FAST'
  | 'ERR_CHECKPOINT_MISMATCH'
  | 'ERR_VERIFY'
  | 'ERR_THRESHOLD'
  | 'ERR_UNUSABLE_INPUT'
  | 'ERR_CHAT_TEMPLATE'
  | 'ERR_INTERRUPTED';

export type ErrorCode = RecordErrorCode | RunErrorCode;

/**
 * Codes a run ends with only after every file is written: a breached --fail-on
 * rule (exit 4), an input that gave nothing usable (exit 5). The export is
 * complete (verify passes); an export to S3 is published before the code is raised.
 */
export const AFTER_WRITE_CODES: readonly RunErrorCode[] = ['ERR_THRESHOLD', 'ERR_UNUSABLE_INPUT'];

export const RECORD_ERROR_CODES: readonly RecordErrorCode[] = [
  'ERR_INVALID_UTF8',
  'ERR_LINE_TOO_LONG',
  'ERR_JSON_PARSE',
  'ERR_TRUNCATED_LINE',
  'ERR_NOT_OBJECT',
  'ERR_SCHEMA',
  'ERR_MAPPING',
  'ERR_LONE_SURROGATE',
];

export interface ErrorContext {
  file?: string;
  /** 1-based line number in `file`. */
  line?: number;
  /** Byte offset of the line's first byte in `file`. */
  byteOffset?: number;
  /** 1-based column in `line` (a config file's positions: `qa-hf.yaml:3:5`). */
  column?: number;
  /**
   * ERR_CONFIG: the JSON pointer (RFC 6901) of the offending node of a config or
   * mapping spec, e.g. `/columns/answer/jsonata`; whoever read the file turns it
   * into file:line:column (the `yaml` library keeps positions).
   */
  pointer?: string;
  /**
   * ERR_OPTION (and other option checks): the option whose value is refused, by its
   * kebab-case key (`min-score`), so a caller routes by it (lib/config-merge.ts
   * withConfigPositions places a file's value at its key), never by the message.
   */
  option?: string;
}

export class QaHfError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly byteOffset?: number;
  readonly column?: number;
  readonly pointer?: string;
  readonly option?: string;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}) {
    super(message);
    this.name = 'QaHfError';
    this.code = code;
    this.file = context.file;
    this.line = context.line;
    this.byteOffset = context.byteOffset;
    this.column = context.column;
    if (context.pointer !== undefined) this.pointer = context.pointer;
    if (context.option !== undefined) this.option = context.option;
  }

  /** The one line a user sees: where, what code, what happened. */
  toLine(): string {
    let where = '';
    if (this.file !== undefined) {
      where = this.line !== undefined ? `${this.file}:${this.line}` : this.file;
      if (this.line !== undefined && this.column !== undefined) where += `:${this.column}`;
      if (this.byteOffset !== undefined) where += ` (offset ${this.byteOffset})`;
      where += ': ';
    } else if (this.pointer !== undefined) {
      where = `${this.pointer === '' ? '/' : this.pointer}: `;
    }
    return `${where}${this.code}: ${this.message}`;
  }
}

/** Turns any thrown value into a QaHfError, mapping Node's system errors to friendly words. */
export function toQaHfError(err: unknown, fallback: RunErrorCode = 'ERR_IO'): QaHfError {
  if (err instanceof QaHfError) return err;
  const sys = err as NodeJS.ErrnoException | undefined;
  if (sys && typeof sys === 'object' && typeof sys.code === 'string') {
    const path = typeof sys.path === 'string' ? sys.path : undefined;
    const what = SYSTEM_ERROR_WORDS[sys.code];
    if (what) {
      const code: RunErrorCode = sys.code === 'ENOSPC' || sys.code === 'EDQUOT' ? 'ERR_NO_SPACE' : fallback;
      return new QaHfError(code, `${what}${path ? `: ${path}` : ''} (${sys.code})`);
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new QaHfError(fallback, message.split('\n')[0]);
}

const SYSTEM_ERROR_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  EEXIST: 'file already exists',
  EIO: 'input/output error',
  EPIPE: 'broken pipe',
};

/** An input that cannot be read: the path goes in the context, not twice in the text. */
export function inputError(err: unknown, file: string): QaHfError {
  if (err instanceof QaHfError && err.code === 'ERR_S3') return err; // names its URL already
  const message = toQaHfError(err, 'ERR_INPUT').message.replace(`: ${file}`, '');
  return new QaHfError('ERR_INPUT', `cannot read input: ${message}`, { file });
}

/**
 * A bad config or mapping spec: ERR_CONFIG with the JSON pointer of the node at
 * fault (`/columns/answer/jsonata`); the message does not repeat the pointer.
 *
 *   configError('/columns/answer/type', 'unknown column type, got "text"').toLine()
 *   // "/columns/answer/type: ERR_CONFIG: unknown column type, got \"text\""
 */
export function configError(pointer: string, message: string): QaHfError & { pointer: string } {
  return new QaHfError('ERR_CONFIG', message, { pointer }) as QaHfError & { pointer: string };
}

/** A JSON pointer (RFC 6901) from its reference tokens: `pointerOf(['columns', 'a/b'])` → `/columns/a~1b`. */
export function pointerOf(tokens: readonly (string | number)[]): string {
  return tokens.map((token) => `/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** The kebab-case key of an option named in camelCase (`minScore` → `min-score`; a kebab key stays): QaHfError.option. */
export function optionKey(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** An ERR_OPTION (or `code`: an ERR_USAGE of options that do not go together) refusing the value of option `name` (camelCase or kebab-case), with the option as a field. */
export function optionError(name: string, message: string, code: RunErrorCode = 'ERR_OPTION'): QaHfError {
  return new QaHfError(code, message, { option: optionKey(name) });
}

/** Shape of a message ending, as node-csv does: `got ${JSON.stringify(v)}`. */
export function got(value: unknown): string {
  return `got ${JSON.stringify(value)}`;
}
