/**
 * bench/cdc.ts — PageChunker.pages (lib/dataset/parquet-cdc.ts) over one string column of a
 * corpus's answers, a fresh chunker a round at the default page sizes: the gear hash in
 * JavaScript (rollBytes, the reference: `wasm` false) against WebAssembly (assembly/gear-hash.ts,
 * the default; the UTF-8 encoding into its memory included), rounds interleaved, medians printed.
 *
 * Input:  argv[2]: a JSONL corpus (bench/generate.ts); environment (optional):
 *           CDC_ROWS    rows of the column (its first answers)   default 45000
 *           CDC_ROUNDS  rounds of each implementation            default 9
 * Output: per implementation the median ms of a round and ns per UTF-8 byte, on stdout; page
 *         starts that differ between the two exit 1.
 *
 *   node dist/bench/generate.js --records 50000 --seed 42 --out /tmp/cw.jsonl
 *   npm run build && chrt -f 10 node dist/bench/cdc.js /tmp/cw.jsonl
 */
import * as fs from "node:fs";
import { PageChunker } from "../lib/dataset/parquet-cdc";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node dist/bench/cdc.js CORPUS.jsonl\n");
  process.exit(2);
}
const rows = Number(process.env.CDC_ROWS ?? 45_000);
const rounds = Number(process.env.CDC_ROUNDS ?? 9);

const answers: string[] = [];
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
  if (line === "" || answers.length >= rows) continue;
  const record = JSON.parse(line) as { answer?: unknown };
  if (typeof record.answer === "string") answers.push(record.answer);
}
const bytes = answers.reduce((total, answer) => total + Buffer.byteLength(answer), 0);

const NAMES = ["js", "wasm"] as const;
type Name = (typeof NAMES)[number];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

process.stdout.write(`${answers.length} answers, ${bytes} UTF-8 bytes; ${rounds} rounds each, interleaved\n`);
const times: Record<Name, number[]> = { js: [], wasm: [] };
const outputs = new Set<string>();
// One warm-up round each, not counted.
for (let r = -1; r < rounds; r++) {
  for (const name of NAMES) {
    const started = performance.now();
    const starts = new PageChunker(undefined, undefined, name === "wasm").pages(answers, "string");
    const ms = performance.now() - started;
    outputs.add(starts.join());
    if (r >= 0) times[name].push(ms);
  }
}
if (outputs.size !== 1) {
  process.stderr.write("the implementations' pages differ\n");
  process.exitCode = 1;
}
for (const name of NAMES) {
  const ms = median(times[name]);
  process.stdout.write(`${name.padEnd(4)} median ${ms.toFixed(2).padStart(7)} ms  ${((ms * 1e6) / bytes).toFixed(2)} ns/byte  (${times[name].map((t) => t.toFixed(1)).join(", ")})\n`);
}
