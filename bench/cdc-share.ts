/**
 * bench/cdc-share.ts — how much of a new version's Parquet Xet storage would deduplicate
 * against the old one (issue 19): a generated corpus is exported with `--format parquet`,
 * 1 % new records are inserted in its middle and it is exported again; both exports'
 * Parquet files are cut into Xet-like chunks (bench/xet-chunks.ts: gear hash, 64 KiB
 * average) and the share of the new files' bytes found among the old files' chunks is
 * printed, per build given.
 *
 *   node dist/bench/cdc-share.js --records 100000 --seed 42 [--cli dist/cli.js] [--cli /tmp/base/dist/cli.js] [--args "--compress zstd"]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { generateRecords } from "./generate";
import { sharedBytes } from "./xet-chunks";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "100000" },
    seed: { type: "string", default: "42" },
    cli: { type: "string", multiple: true },
    args: { type: "string", default: "" },
    keep: { type: "boolean", default: false },
  },
});
const records = Number(values.records);
const seed = Number(values.seed);
const clis = values.cli?.length ? values.cli : [path.join(__dirname, "..", "cli.js")];
const work = mkdtempSync(path.join(os.tmpdir(), "qa-hf-cdc-"));

// The corpus, and the same corpus with 1 % other records (another seed) in its middle.
const lines = [...generateRecords(records, seed)];
const inserted = [...generateRecords(Math.round(records / 100), seed + 1)];
const middle = Math.floor(lines.length / 2);
writeFileSync(path.join(work, "v1.jsonl"), lines.join("\n") + "\n");
writeFileSync(path.join(work, "v2.jsonl"), [...lines.slice(0, middle), ...inserted, ...lines.slice(middle)].join("\n") + "\n");

function parquetFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".parquet"))
    .sort()
    .map((file) => path.join(dir, file));
}

console.log(`${records} records (seed ${seed}), ${inserted.length} inserted after record ${middle}; export --format parquet ${values.args}\n`);
console.log("| build | files | v1 MB | v2 MB | v2 chunks | shared with v1 |\n| --- | --- | --- | --- | --- | --- |");
clis.forEach((cli, i) => {
  const files: Record<string, Record<string, Uint8Array[]>> = { v1: {}, v2: {} };
  for (const version of ["v1", "v2"]) {
    const out = path.join(work, `${i}-${version}`);
    const args = [cli, "export", path.join(work, `${version}.jsonl`), "--out", out, "--format", "parquet", "--quiet", ...values.args.split(" ").filter(Boolean)];
    const run = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
    if (run.status !== 0) throw new Error(`${cli} exited ${run.status}`);
    for (const file of parquetFiles(out)) {
      const config = path.relative(out, path.dirname(file)); // parquet, rejected/parquet, …
      (files[version][config] ??= []).push(readFileSync(file));
      (files[version]["all"] ??= []).push(readFileSync(file));
    }
  }
  const mb = (list: Uint8Array[]) => (list.reduce((sum, file) => sum + file.length, 0) / 1e6).toFixed(2);
  for (const config of Object.keys(files.v2)) {
    const { shared, total, chunks } = sharedBytes(files.v1[config] ?? [], files.v2[config]);
    console.log(`| ${cli} | ${config === "all" ? "all Parquet" : `${config}/`} | ${mb(files.v1[config] ?? [])} | ${mb(files.v2[config])} | ${chunks} | ${((100 * shared) / total).toFixed(1)} % |`);
  }
});
if (values.keep) console.log(`\nfiles in ${work}`);
else rmSync(work, { recursive: true, force: true });

