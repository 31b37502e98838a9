/**
 * bench/dedup.ts — memory and time of the duplicate index (lib/quality/dedup.ts) and the PII scan
 * (lib/quality/pii.ts) at scale, without the rest of the export.
 *
 * Input:  environment only (all optional)
 *           DEDUP_RECORDS  records fed to the index    default 1000000
 *           DEDUP_NEAR     1: near (MinHash) too        default 1
 *           DEDUP_PII      1: also scan every record for PII (time only)  default 0
 * Output: one line of JSON on stdout: records, ms per record, peak RSS and heap (MB), the
 *         index's bytes and bytes per record (its typed arrays, capacity included),
 *         and the resume log's bytes per record.
 *
 * Records come from bench/generate.ts (the ~1.3 kB Swedish healthcare records of `npm run bench`),
 * generated on the fly and dropped after use, so what grows is the index alone.
 *
 *   npm run build && DEDUP_RECORDS=1000000 node --expose-gc dist/bench/dedup.js
 */
import { DedupIndex, recordLogBytes } from "../lib/quality/dedup";
import { findPii } from "../lib/quality/pii";
import { generateRecords } from "./generate";

const records = Number(process.env.DEDUP_RECORDS ?? 1_000_000);
const near = (process.env.DEDUP_NEAR ?? "1") === "1";
const pii = process.env.DEDUP_PII === "1";

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const baseline = process.memoryUsage().rss;
let peakRss = baseline;
let peakHeap = 0;
const index = new DedupIndex({ near });
let duplicates = 0;
let matches = 0;
let checkMs = 0;
const started = performance.now();
let i = 0;
for (const line of generateRecords(records, 42)) {
  const record = JSON.parse(line) as { question?: unknown; answer?: unknown };
  const question = typeof record.question === "string" ? record.question : "";
  const answer = typeof record.answer === "string" ? record.answer : "";
  const t = performance.now();
  if (pii) matches += findPii(question).length + findPii(answer).length;
  if (index.check(question, answer, { split: 0, input: 0, line: ++i }).kind !== null) duplicates++;
  checkMs += performance.now() - t;
  if (i % 50_000 === 0) {
    const memory = process.memoryUsage();
    peakRss = Math.max(peakRss, memory.rss);
    peakHeap = Math.max(peakHeap, memory.heapUsed);
    process.stderr.write(`${i} records, ${(memory.rss / 1e6).toFixed(0)} MB RSS\n`);
  }
}
gc?.();
const memory = process.memoryUsage();
peakRss = Math.max(peakRss, memory.rss);
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
process.stdout.write(
  `${JSON.stringify({
    records: i,
    near,
    pii,
    duplicates,
    pii_matches: matches,
    ms_per_record: Math.round((checkMs / i) * 1000) / 1000,
    wall_s: Math.round((performance.now() - started) / 100) / 10,
    baseline_rss_mb: mb(baseline),
    peak_rss_mb: mb(peakRss),
    peak_heap_mb: mb(peakHeap),
    index_bytes: index.bytes,
    index_bytes_per_record: Math.round(index.bytes / i),
    log_bytes_per_record: recordLogBytes(near),
  })}\n`,
);
