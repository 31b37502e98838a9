/**
 * hub-card — the card an export writes into a folder that may hold one already: an
 * export run again into a folder whose README.md a user edited keeps the user's
 * text (lib/dataset/hub-push-card.ts mergeCard), as `qa-hf push` does with the repo's card.
 * A folder without a card gets the generated one as it is.
 *
 *   await cardOverExisting('dist', markGenerated(renderCard(description)))
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { mergeCard } from '../dataset/hub-push-card';

const CARD_FILE = 'README.md';
const MANIFEST_FILE = 'manifest.json';

/** The card to write into `out`: `generated` (a marked card), merged with the README.md already there. */
export async function cardOverExisting(out: string, generated: string): Promise<string> {
  const existing = await fs.readFile(path.join(out, CARD_FILE), 'utf8').catch(() => null);
  if (existing === null || existing === generated) return generated;
  // The card of the earlier export, unedited (its manifest's sha256): replaced whole.
  const manifest = await fs.readFile(path.join(out, MANIFEST_FILE), 'utf8').catch(() => null);
  return mergeCard(existing, generated, { ownedBefore: listedSha256(manifest) === createHash('sha256').update(existing).digest('hex') });
}

/** The sha256 the earlier manifest lists for the card, or null. */
function listedSha256(manifest: string | null): string | null {
  try {
    const outputs = (JSON.parse(manifest ?? 'null') as { outputs?: Array<{ path: string; sha256: string }> } | null)?.outputs;
    return outputs?.find((file) => file.path === CARD_FILE)?.sha256 ?? null;
  } catch {
    return null;
  }
}
