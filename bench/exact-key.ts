/**
 * bench/exact-key.ts — the exact-duplicate key over every pair of a corpus: exactKey (JavaScript,
 * lib/quality/dedup-keys.ts) against exactKeyWasm (lib/quality/exact-key-wasm.ts), the whole call
 * (the copy of the units into the kernel's memory included), rounds interleaved, medians printed.
 *
 * Input:  argv[2]: a JSONL corpus (bench/generate.ts); environment (optional):
 *           KEY_ROUNDS  rounds of each implementation    default 9
 * Output: per implementation and mode, the median ms of a round over all pairs and ns per UTF-16
 *         unit, on stdout; a key or measure that differs between the two exits 1.
 * Modes: `latinOnly` is the call DedupIndex.fingerprint makes first (lib/quality/dedup.ts: with the
 * measures; a pair it refuses costs what its units before the refusal cost); `full` reads every unit
 * of every pair (the call fingerprint makes after NFKC, here on the raw text).
 *
 *   node dist/bench/generate.js --records 50000 --seed 42 --out /tmp/wk.jsonl
 *   npm run build && chrt -f 10 node dist/bench/exact-key.js /tmp/wk.jsonl
 */
import * as fs from "node:fs";
import { exactKey } from "../lib/quality/dedup-keys";
import { exactKeyWasm } from "../lib/quality/exact-key-wasm";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: node dist/bench/exact-key.js CORPUS.jsonl\n");
  process.exit(2);
}
const rounds = Number(process.env.KEY_ROUNDS ?? 9);

const pairs: Array<[string, string]> = [];
let units = 0;
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
  if (line === "") continue;
  const record = JSON.parse(line) as { question?: unknown; answer?: unknown };
  if (typeof record.question !== "string" || typeof record.answer !== "string") continue;
  pairs.push([record.question, record.answer]);
  units += record.question.length + record.answer.length;
}

const IMPLEMENTATIONS = { js: exactKey, wasm: exactKeyWasm };
type Name = keyof typeof IMPLEMENTATIONS;
const MODES = ["latinOnly", "full"] as const;

/** One round: every pair once; returns ms and a digest of every output (so nothing is optimized away, and the two can be compared). */
function round(name: Name, latinOnly: boolean): { ms: number; digest: number } {
  const key = IMPLEMENTATIONS[name];
  const out = new Uint32Array(2);
  const measures = new Int32Array(4);
  let digest = 0;
  const started = performance.now();
  for (const [question, answer] of pairs) {
    const accepted = key(question, answer, out, latinOnly, latinOnly ? measures : null);
    digest = (Math.imul(digest, 31) + (accepted ? out[0] ^ out[1] ^ measures[0] ^ measures[1] ^ measures[2] ^ measures[3] : 1)) | 0;
  }
  return { ms: performance.now() - started, digest };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

process.stdout.write(`${pairs.length} pairs, ${units} UTF-16 units; ${rounds} rounds each, interleaved\n`);
for (const mode of MODES) {
  const latinOnly = mode === "latinOnly";
  const times: Record<Name, number[]> = { js: [], wasm: [] };
  const digests = new Set<number>();
  // One warm-up round each, not counted.
  for (let r = -1; r < rounds; r++) {
    for (const name of Object.keys(IMPLEMENTATIONS) as Name[]) {
      const { ms, digest } = round(name, latinOnly);
      digests.add(digest);
      if (r >= 0) times[name].push(ms);
    }
  }
  if (digests.size !== 1) {
    process.stderr.write(`${mode}: the implementations' outputs differ\n`);
    process.exitCode = 1;
  }
  for (const name of Object.keys(IMPLEMENTATIONS) as Name[]) {
    const ms = median(times[name]);
    process.stdout.write(`${mode.padEnd(9)} ${name.padEnd(4)} median ${ms.toFixed(1).padStart(7)} ms  ${((ms * 1e6) / units).toFixed(2)} ns/unit  (${times[name].map((t) => t.toFixed(0)).join(", ")})\n`);
  }
}
