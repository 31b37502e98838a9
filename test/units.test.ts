/** lib/quality/units.ts: a text's UTF-16 units, as charCodeAt reads them, from a reused scratch. */
import { UnitScratch } from '../lib/quality/units';

test('load copies every unit (lone surrogates, emoji, Latin-1, long texts that grow the scratch) and says how many', () => {
  const scratch = new UnitScratch();
  for (const text of ['', 'a', 'två 😀', '\ud800x\udc00', 'é”°'.repeat(3000), 'short again']) {
    const length = scratch.load(text);
    expect(length).toBe(text.length);
    expect(Array.from(scratch.units.subarray(0, length))).toEqual([...Array(length).keys()].map((i) => text.charCodeAt(i)));
  }
});
