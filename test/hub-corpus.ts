/**
 * The Hub-layout tests' corpus (test/hub-export.test.ts, test/hub-resume.test.ts): seeded
 * records, duplicate questions spelled differently, a few bad lines; and their shared options.
 */
import { recordLines, seeded } from './helpers';

export const ALL_FORMATS = 'jsonl,parquet,csv,messages,alpaca,sharegpt';
export const SPLIT = 'train=0.8,validation=0.1,test=0.1';

/** The corpus: seeded records, duplicate questions spelled differently, a few bad lines. */
export function corpusLines(count: number, seed: number): string[] {
  const lines = recordLines(count, seed);
  const random = seeded(seed + 1);
  for (let i = 0; i < count / 100; i++) {
    const record = JSON.parse(lines[Math.floor(random() * lines.length)]);
    record.question = `  ${String(record.question).toUpperCase().replace(/ /g, '  ')} `;
    lines.splice(Math.floor(random() * lines.length), 0, JSON.stringify(record));
  }
  for (let i = 0; i < 20; i++) lines.splice(Math.floor(random() * lines.length), 0, i % 2 ? '{"question": ' : '[1,2]');
  return lines;
}
