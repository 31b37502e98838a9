/**
 * literals — where chosen string values of a JSON object line sit in its byte
 * text, so a row writer can copy a value's literal instead of re-escaping it.
 *
 * A literal may be copied only when it is exactly what JSON.stringify would
 * write for its value ("canonical"). In a byte-text line (lib/input/byte-text.ts: valid
 * UTF-8, no `\u` escape) the only escapes left are \" \\ \/ \b \f \n \r \t;
 * JSON.stringify writes all of them the same way except `\/` (it leaves `/`
 * alone), and no raw character in valid JSON needs an escape. So a literal there
 * is canonical unless it holds `\/`.
 *
 * The locator follows JSON.parse where it matters: the last of duplicate keys
 * wins (a repeated key resets what an earlier one found, nested keys included),
 * and a key written with an escape (which could spell a wanted key) makes the
 * whole line unlocatable. It expects a line JSON.parse accepted as an object and
 * never reads past the end of any other.
 *
 *   const locator = new LiteralLocator([['question'], ['validation', 'failure_reason']]);
 *   if (locator.locate(byteText)) byteText.slice(locator.start(0), locator.end(0)) // '"Vad?"'
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

interface KeyNode {
  key: string;
  /** Index into the located ranges when a wanted path ends here, else -1. */
  slot: number;
  /** Wanted keys one level down, by key length (most keys then fail on length alone). */
  children: Map<number, KeyNode[]> | null;
  /** Slots of this node and everything under it, reset when the key repeats. */
  subtree: number[];
}

export class LiteralLocator {
  private readonly root: Map<number, KeyNode[]>;
  private readonly ranges: Int32Array;

  /** `paths[i]` is a list of object keys from the top level; slot i reports where its string literal is. */
  constructor(paths: ReadonlyArray<readonly string[]>) {
    this.root = new Map();
    this.ranges = new Int32Array(paths.length * 2).fill(-1);
    paths.forEach((path, slot) => {
      let level = this.root;
      let node: KeyNode | null = null;
      const chain: KeyNode[] = [];
      for (const key of path) {
        let bucket = level.get(key.length);
        if (!bucket) level.set(key.length, (bucket = []));
        node = bucket.find((candidate) => candidate.key === key) ?? null;
        if (!node) bucket.push((node = { key, slot: -1, children: null, subtree: [] }));
        chain.push(node);
        level = node.children ??= new Map();
      }
      if (node === null) throw new RangeError('a literal path needs at least one key');
      node.slot = slot;
      for (const ancestor of chain) ancestor.subtree.push(slot);
    });
  }

  /** Offset of slot i's literal (its opening quote), or -1 when the line has no string there. */
  start(slot: number): number {
    return this.ranges[slot * 2];
  }

  /** Offset just past slot i's closing quote. */
  end(slot: number): number {
    return this.ranges[slot * 2 + 1];
  }

  /** Finds the wanted literals of one line; false when the line cannot be read this way. */
  locate(text: string): boolean {
    this.ranges.fill(-1);
    const start = skipSpace(text, 0);
    if (text.charCodeAt(start) !== OPEN_OBJECT) return false;
    return this.object(text, start, this.root) > 0;
  }

  /** Reads the object at `open`; returns the offset after it, or -1. */
  private object(text: string, open: number, wanted: Map<number, KeyNode[]>): number {
    let at = skipSpace(text, open + 1);
    if (text.charCodeAt(at) === CLOSE_OBJECT) return at + 1;
    for (;;) {
      if (text.charCodeAt(at) !== QUOTE) return -1;
      const keyEnd = stringEnd(text, at);
      if (keyEnd < 0) return -1;
      const keyLength = keyEnd - at - 2;
      // A key written with an escape may spell a wanted one: give up on the line.
      for (let k = at + 1; k < keyEnd - 1; k++) if (text.charCodeAt(k) === BACKSLASH) return -1;
      let node: KeyNode | null = null;
      const bucket = wanted.get(keyLength);
      if (bucket !== undefined) {
        for (const candidate of bucket) {
          if (text.startsWith(candidate.key, at + 1)) {
            node = candidate;
            break;
          }
        }
      }
      at = skipSpace(text, keyEnd);
      if (text.charCodeAt(at) !== COLON) return -1;
      at = skipSpace(text, at + 1);
      const first = text.charCodeAt(at);
      if (node !== null) {
        for (const slot of node.subtree) this.ranges[slot * 2] = this.ranges[slot * 2 + 1] = -1;
        if (first === QUOTE && node.slot >= 0) {
          const end = stringEnd(text, at);
          if (end < 0) return -1;
          this.ranges[node.slot * 2] = at;
          this.ranges[node.slot * 2 + 1] = end;
          at = end;
        } else if (first === OPEN_OBJECT && node.children !== null && node.children.size > 0) {
          at = this.object(text, at, node.children);
        } else {
          at = skipValue(text, at);
        }
      } else {
        at = skipValue(text, at);
      }
      if (at < 0) return -1;
      at = skipSpace(text, at);
      const next = text.charCodeAt(at);
      if (next === CLOSE_OBJECT) return at + 1;
      if (next !== COMMA) return -1;
      at = skipSpace(text, at + 1);
    }
  }
}

/** True when the literal text[start, end) is what JSON.stringify writes for its value (see the header). */
export function isCanonicalLiteral(text: string, start: number, end: number): boolean {
  let at = start + 1;
  for (;;) {
    const escape = text.indexOf('\\', at);
    if (escape < 0 || escape >= end - 1) return true;
    const next = text.charCodeAt(escape + 1);
    if (next === SLASH || next === 0x75 /* u: never in byte text, but then not ours to judge */) return false;
    at = escape + 2;
  }
}

function skipSpace(text: string, at: number): number {
  for (;;) {
    const c = text.charCodeAt(at);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return at;
    at++;
  }
}

/** Offset just past the string literal opening at `open`, or -1 if it never closes. */
function stringEnd(text: string, open: number): number {
  let from = open + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if ((backslashes & 1) === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Offset just past the value at `at` (any JSON value), or -1. */
function skipValue(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    while (at < text.length) {
      const c = text.charCodeAt(at);
      if (c === QUOTE) {
        at = stringEnd(text, at);
        if (at < 0) return -1;
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) return at + 1;
      }
      at++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  while (at < text.length) {
    const c = text.charCodeAt(at);
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) return at;
    at++;
  }
  return at;
}
