/**
 * hub-push-card — the dataset card (README.md) keeps what people wrote. Pure.
 *
 * qa-hf's card is YAML front matter and a Markdown part between two marker lines
 * (HTML comments, which the Hub does not show): `markGenerated` puts them around what
 * lib/dataset/card.ts renders. `mergeCard(existing, generated)` gives the card to write where
 * a card is already (the repo's README.md on `qa-hf push`, the folder's on an export
 * run again into it):
 *   - the text outside the markers is kept as it is, the part between them replaced;
 *   - the front matter is merged key by key: the keys the new card writes take its
 *     values, in its order; the others (a user's `license`, `annotations_creators`)
 *     are kept after them, in their order;
 *   - a card without the markers is a user's own README, kept below the generated
 *     part, unless it is `ownedBefore`: qa-hf's card of a version before the markers,
 *     unedited (its sha256 is the one the earlier manifest lists), replaced whole.
 * A key qa-hf wrote before and writes no more (`version` after an export without
 * --version) cannot be told from a user's: it stays until someone deletes it.
 * Merging again with the same generated card changes nothing (a push of an unchanged
 * export makes no commit).
 *
 *   mergeCard('---\nlicense: mit\n---\nMy intro.\n', markGenerated(renderCard(d)))
 *   // '---\npretty_name: …\nlicense: mit\n---\n\n<!-- qa-hf:begin … -->…<!-- qa-hf:end … -->\n\nMy intro.\n'
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/** The line before the generated part. */
export const GENERATED_BEGIN = '<!-- qa-hf:begin generated part: qa-hf replaces what is between this line and qa-hf:end on the next export or push; write your own text outside them -->';
/** The line after it. */
export const GENERATED_END = '<!-- qa-hf:end generated part -->';

interface SplitCard {
  /** The front matter's text without the `---` lines (ends in a newline), or null when there is none. */
  yaml: string | null;
  body: string;
}

function splitCard(text: string): SplitCard {
  const normalized = text.replace(/\r\n/g, '\n');
  if (!normalized.startsWith('---\n')) return { yaml: null, body: normalized };
  const close = normalized.indexOf('\n---', 3);
  if (close < 0) return { yaml: null, body: normalized };
  const after = close + '\n---'.length;
  if (after < normalized.length && normalized[after] !== '\n') return { yaml: null, body: normalized };
  return { yaml: normalized.slice(4, close + 1), body: normalized.slice(after + 1) };
}

function yamlObject(yaml: string | null): Record<string, unknown> {
  if (yaml === null) return {};
  try {
    const value: unknown = parseYaml(yaml);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    // A front matter that is no YAML mapping is not the Hub's metadata: nothing of it can be merged.
    return {};
  }
}

/** A rendered card (front matter and Markdown) with its Markdown between the marker lines. */
export function markGenerated(card: string): string {
  const { yaml, body } = splitCard(card);
  const block = `${GENERATED_BEGIN}\n\n${body.trim()}\n\n${GENERATED_END}`;
  return yaml === null ? `${block}\n` : `---\n${yaml}---\n\n${block}\n`;
}

/** The generated part of a marked card (the marker lines included), or null when it has none. */
function generatedPart(body: string): { before: string; block: string; after: string } | null {
  const begin = body.indexOf(GENERATED_BEGIN);
  if (begin < 0) return null;
  const end = body.indexOf(GENERATED_END, begin);
  if (end < 0) return null;
  const stop = end + GENERATED_END.length;
  return { before: body.slice(0, begin), block: body.slice(begin, stop), after: body.slice(stop) };
}

/**
 * The card to write over `existing` (see the header); `generated` is a marked card
 * (markGenerated). `ownedBefore`: `existing` is the card qa-hf wrote last time, as
 * it wrote it (its sha256 is the earlier manifest's), so a card without the markers
 * is replaced rather than kept as a user's text.
 */
export function mergeCard(existing: string | null, generated: string, options: { ownedBefore?: boolean } = {}): string {
  if (existing === null) return generated;
  const fresh = splitCard(generated);
  const old = splitCard(existing);
  const freshPart = generatedPart(fresh.body);
  if (freshPart === null) throw new Error('mergeCard: the generated card has no generated part (markGenerated)');
  const oldPart = generatedPart(old.body);
  if (oldPart === null && options.ownedBefore) return generated;

  // The front matter: the new card's keys, then the keys only the old one has.
  const freshKeys = yamlObject(fresh.yaml);
  const oldKeys = yamlObject(old.yaml);
  const userKeys = Object.keys(oldKeys).filter((key) => !(key in freshKeys));
  let yaml = fresh.yaml;
  if (userKeys.length > 0) {
    const merged: Record<string, unknown> = { ...freshKeys };
    for (const key of userKeys) merged[key] = oldKeys[key];
    yaml = stringifyYaml(merged, { lineWidth: 0, indentSeq: false });
  }
  const front = yaml === null ? '' : `---\n${yaml}---\n`;

  let body: string;
  if (oldPart !== null) body = `${oldPart.before}${freshPart.block}${oldPart.after}`;
  else if (old.body.trim() === '') body = fresh.body;
  else body = `\n${freshPart.block}\n\n${old.body.trim()}\n`;
  return `${front}${body}`;
}

/** A string as the card's Python snippets quote it (lib/dataset/card-training.ts python). */
const quoted = (text: string): string => JSON.stringify(text);

/**
 * The card of an export made into a folder, as the repo `repo` (OWNER/NAME) shows it:
 * in the generated part, the loading instructions name the repo instead of the folder,
 * as an export to hf://datasets/OWNER/NAME writes them — `load_dataset("OWNER/NAME", …)`,
 * data files under `hf://datasets/OWNER/NAME/`, axolotl's `path:`. The folder's name is
 * the one the card loads by (its first `load_dataset("…")` of a config), else `folder`
 * (what the export named it by, lib/dataset/card-configs.ts localLoadPath). The rest of
 * the card, and a card without the markers, stay as they are; a card that loads `repo`
 * already is returned unchanged.
 *
 *   cardForRepo(card, 'me/qa', 'dist')   // load_dataset("dist") → load_dataset("me/qa")
 */
export function cardForRepo(card: string, repo: string, folder: string): string {
  const begin = card.indexOf(GENERATED_BEGIN);
  const end = card.indexOf(GENERATED_END, begin);
  if (begin < 0 || end < 0) return card;
  let part = card.slice(begin, end);
  const call = /load_dataset\(("(?:[^"\\]|\\.)*")(?:\)|, ")/.exec(part);
  const local = call ? (JSON.parse(call[1]) as string) : folder;
  if (local === repo) return card;
  const replace = (from: string, to: string) => {
    part = part.split(from).join(to);
  };
  replace(`load_dataset(${quoted(local)}`, `load_dataset(${quoted(repo)}`);
  replace(quoted(`hf://datasets/${local}/`).slice(0, -1), quoted(`hf://datasets/${repo}/`).slice(0, -1));
  // data_files patterns: "FOLDER/parquet/train-*" → "hf://datasets/OWNER/NAME/parquet/train-*"
  replace(quoted(`${local}/`).slice(0, -1), quoted(`hf://datasets/${repo}/`).slice(0, -1));
  const axolotl = (path: string) => `\n- ${stringifyYaml({ path }, { lineWidth: 0 }).trimEnd()}\n`;
  replace(axolotl(local), axolotl(repo));
  return card.slice(0, begin) + part + card.slice(end);
}
