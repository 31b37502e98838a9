/**
 * bench/baseline.ts — the naive way to do qa-hf's core job, as a yardstick for `npm run bench`.
 *
 * Input:  a JSONL corpus in the internal format (bench/generate.ts), from the file named by
 *         the first argument, or stdin when there is none.
 * Output: one flat HF row per record whose validation.passed is true, as JSONL on stdout:
 *         {"question","answer","source","persona":"roll/erfarenhet","validation_score"}.
 * Errors: unparseable lines are skipped and counted on stderr (a baseline must not crash
 *         where the engine reports); an I/O error ends the process with exit code 1.
 *
 * Deliberately what one writes in ten minutes: readline, JSON.parse, JSON.stringify, one
 * stdout write per row. The only care taken is waiting for 'drain', so memory stays bounded
 * when stdout is a slow pipe (when it is a file, Node writes synchronously and never asks).
 *
 * Example: node dist/bench/baseline.js bench/out/corpus-s42-100000.jsonl > rows.jsonl
 */
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { QaRecord } from "./generate";

async function main(): Promise<void> {
  const file = process.argv[2];
  const lines = createInterface({ input: file ? createReadStream(file) : process.stdin, crlfDelay: Infinity });
  let skipped = 0;
  for await (const line of lines) {
    let record: QaRecord | null;
    try {
      record = JSON.parse(line) as QaRecord | null;
    } catch {
      skipped++;
      continue;
    }
    if (record?.validation?.passed !== true) continue;
    const row = {
      question: record.question,
      answer: record.answer,
      source: record.source_document ?? "",
      persona: record.persona.roll + "/" + record.persona.erfarenhet,
      validation_score: record.validation.composite_score,
    };
    if (!process.stdout.write(JSON.stringify(row) + "\n")) await once(process.stdout, "drain");
  }
  if (skipped > 0) process.stderr.write(`baseline: skipped ${skipped} unparseable lines\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`baseline: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
