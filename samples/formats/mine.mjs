// A custom output format for qa-hf (`formats: { mine: { module: ./samples/formats/mine.mjs } }`):
// each passed row becomes {"q","a","n_chars"}; the card declares these three features.
export const name = 'mine';

export const columns = [
  { name: 'q', type: 'string' },
  { name: 'a', type: 'string' },
  { name: 'n_chars', type: 'int' },
];

export function row(r) {
  return { q: r.question, a: r.answer, n_chars: [...r.answer].length };
}
