/**
 * bench/run.ts — `npm run bench`: throughput and peak memory of qa-hf against a naive baseline.
 *
 * Input:  environment only (all optional)
 *           BENCH_RECORDS  comma-separated corpus sizes      default "100000,400000"
 *           BENCH_RUNS     runs per command and size         default 5
 *           BENCH_SEED     generator seed                    default 42
 *           BENCH_EXTRA    JSON array of {"name","argv"}; argv may use {input} (the corpus; appended
 *                          when absent) and {outdir} (a fresh directory per run); a leading "node"
 *                          means this Node binary; paths are relative to the repo root. E.g.
 *                          '[{"name":"export","argv":["node","dist/cli.js","export","{input}","--out","{outdir}"]}]'
 *           BENCH_ONLY     semicolon-separated command names to run (default: all; names may hold commas), e.g.
 *                          'baseline;duckdb pipe;qa-hf;qa-hf --workers 0;qa-hf --workers 2'
 * Output: a markdown table on stdout (paste it into bench/README.md); progress on stderr.
 *         Corpora are cached in bench/out/ by seed and size; each command's stdout goes to
 *         bench/out/<command>-<records>.out so output bytes can be compared with the baseline.
 * Errors: a command whose script is missing is reported as skipped; one that exits non-zero
 *         is reported as failed with its last stderr line; neither stops the other commands.
 *
 * Wall time is measured here (hrtime around the child); peak RSS by GNU time's %M (KiB).
 * Medians, never assertions: this is a measurement, not a test.
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, openSync, closeSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { writeCorpus } from "./generate";

interface BenchCommand {
  name: string;
  argv: string[];
  /** The DuckDB command doing the same job: the table shows DuckDB's time ÷ this one's. */
  versus?: string;
  /** The HF `datasets` command doing the same job: the table shows its time ÷ this one's. */
  versusDatasets?: string;
}

interface BenchConfig {
  recordCounts: number[];
  runs: number;
  seed: number;
  extra: BenchCommand[];
}

interface RunResult {
  seconds: number;
  peakRssKib: number | null;
  exitCode: number;
  stderrTail: string;
}

interface Row {
  command: string;
  records: number;
  inputBytes: number;
  /** "ok", or why there are no numbers: "skipped: …" / "failed: …". */
  status: string;
  medianSeconds?: number;
  peakRssKib?: number | null;
  outputBytes?: number;
  /** Set for commands that write rows to stdout (not to {outdir}), to compare with the baseline. */
  stdoutFile?: string;
  /** "yes, bytes" | "yes, values" | "no, line N" | "—" (nothing to compare). */
  sameAsBaseline?: string;
  /** DuckDB's median time for the same job ÷ this command's: ≥ 1 is as fast or faster. */
  versusDuckDb?: number;
  /** HF `datasets`' median time for the same job ÷ this command's. */
  versusDatasets?: number;
}

// dist/bench/run.js → repo root; commands and bench/out/ are resolved from there.
const REPO_ROOT = path.resolve(__dirname, "..", "..");
const OUT_DIR = path.join(REPO_ROOT, "bench", "out");
const GNU_TIME = "/usr/bin/time";
// Only the end of a child's stderr is kept: enough for the error line and GNU time's %M line.
const STDERR_TAIL_CHARS = 4096;
const MB = 1e6; // decimal megabytes everywhere, input, output and RSS alike

const BASELINE = "baseline";
const DUCKDB_PIPE = "duckdb pipe";
const DUCKDB_HUB = "duckdb hub jsonl,parquet";
const DUCKDB_HUB_ALL = "duckdb hub all formats gzip";
const DATASETS_HUB = "datasets hub jsonl,parquet";
/** The Python that runs bench/hf_datasets.py: one that can import `datasets` (e.g. a venv's). */
const PYTHON = process.env.BENCH_PYTHON ?? "python3";
const DEFAULT_COMMANDS: BenchCommand[] = [
  // The floor: JSON.parse + JSON.stringify of every line, no mapping, no output (n feeds the
  // exit code only so the work cannot be optimized away). A tool that parses every record
  // cannot beat it by much; the gap between a tool and the floor is that tool's plumbing.
  {
    name: "floor (parse+stringify)",
    argv: [
      "node", "-e",
      "let rest='',n=0;require('fs').createReadStream(process.argv[1],'utf8').on('data',c=>{const ls=(rest+c).split('\\n');" +
        "rest=ls.pop();for(const l of ls)if(l)n+=JSON.stringify(JSON.parse(l)).length}).on('end',()=>process.exitCode=n>0?0:1)",
      "{input}",
    ],
  },
  { name: BASELINE, argv: ["node", "dist/bench/baseline.js", "{input}"] },
  // The issue's yardstick: Python's stdlib json loop doing the same mapping.
  { name: "python stdlib", argv: ["python3", "bench/baseline.py", "{input}"] },
  // DuckDB (2 threads) doing qa-hf's jobs: the yardstick of the ratio column (bench/duckdb.ts).
  { name: DUCKDB_PIPE, argv: ["node", "dist/bench/duckdb.js", "pipe-json", "{input}", "{outdir}"] },
  { name: DUCKDB_HUB, argv: ["node", "dist/bench/duckdb.js", "hub-jsonl-parquet", "{input}", "{outdir}"] },
  { name: DUCKDB_HUB_ALL, argv: ["node", "dist/bench/duckdb.js", "hub-all-gzip", "{input}", "{outdir}"] },
  // HF datasets doing the Hub jsonl,parquet job as a Python user would (bench/hf_datasets.py).
  { name: DATASETS_HUB, argv: [PYTHON, "bench/hf_datasets.py", "{input}", "{outdir}"] },
  { name: `${DATASETS_HUB} num_proc=2`, argv: [PYTHON, "bench/hf_datasets.py", "{input}", "{outdir}", "2"] },
  // Without --workers: the default worker count (min(cores, 4) from 64 MiB of input; streams/chain.ts).
  { name: "qa-hf", argv: ["node", "dist/cli.js", "--quiet", "{input}"], versus: DUCKDB_PIPE },
  { name: "qa-hf --workers 0", argv: ["node", "dist/cli.js", "--quiet", "--workers", "0", "{input}"], versus: DUCKDB_PIPE },
  { name: "qa-hf --workers 2", argv: ["node", "dist/cli.js", "--quiet", "--workers", "2", "{input}"], versus: DUCKDB_PIPE },
  // Issue 10: the same mapping declared in a config file (plain paths; one JSONata column), one thread,
  // against "qa-hf --workers 0" (the hand-written preset).
  { name: "qa-hf mapped, plain paths", argv: ["node", "dist/cli.js", "--quiet", "--workers", "0", "--config", "bench/configs/mapped-plain.yaml", "{input}"], versus: DUCKDB_PIPE },
  { name: "qa-hf mapped, JSONata column", argv: ["node", "dist/cli.js", "--quiet", "--workers", "0", "--config", "bench/configs/mapped-jsonata.yaml", "{input}"], versus: DUCKDB_PIPE },
  // Export with its default checkpoint cadence (every 50 000 input lines, and 8 MiB or 2 s) and with checkpoints off:
  // the difference is what checkpointing costs.
  { name: "qa-hf export", argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet"] },
  // Issue 9: the quality rules. "qa-hf export" runs their defaults (PII counted, exact duplicates counted);
  // these rows move records, and the near-duplicate index is the costly one.
  { name: "qa-hf export --pii redact --dedup exact", argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--pii", "redact", "--dedup", "exact"] },
  { name: "qa-hf export --pii redact --dedup near", argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--pii", "redact", "--dedup", "near"] },
  // The same with the quality rules' per-row work in two worker threads (lib/quality/facts.ts).
  { name: "qa-hf export --workers 2", argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--workers", "2"] },
  { name: "qa-hf export --dedup exact --workers 2", argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--dedup", "exact", "--workers", "2"] },
  { name: "qa-hf export --dedup near --workers 2", argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--dedup", "near", "--workers", "2"] },
  {
    name: "qa-hf export, no checkpoints",
    argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--checkpoint-bytes", "1e15", "--checkpoint-ms", "1e12", "--checkpoint-lines", "1000000000000"],
  },
  {
    name: "qa-hf export hub jsonl,parquet",
    argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--format", "jsonl,parquet", "--split", "train=0.9,test=0.1"],
    versus: DUCKDB_HUB,
    versusDatasets: DATASETS_HUB,
  },
  {
    name: "qa-hf export hub jsonl,parquet --workers 2",
    argv: ["node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet", "--format", "jsonl,parquet", "--split", "train=0.9,test=0.1", "--workers", "2"],
    versus: DUCKDB_HUB,
    versusDatasets: DATASETS_HUB,
  },
  {
    name: "qa-hf export hub all formats gzip",
    argv: [
      "node", "dist/cli.js", "export", "{input}", "--out", "{outdir}", "--quiet",
      "--format", "jsonl,parquet,csv,messages,alpaca,sharegpt", "--split", "train=0.8,validation=0.1,test=0.1", "--compress", "gzip",
    ],
    versus: DUCKDB_HUB_ALL,
  },
];

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function parseExtra(raw: string | undefined): BenchCommand[] {
  if (raw === undefined || raw.trim() === "") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`BENCH_EXTRA must be JSON, got ${JSON.stringify(raw)}`);
  }
  const isCommand = (candidate: unknown): candidate is BenchCommand => {
    const { name, argv } = (candidate ?? {}) as Partial<BenchCommand>;
    return typeof name === "string" && name !== "" &&
      Array.isArray(argv) && argv.length > 0 && argv.every((arg) => typeof arg === "string");
  };
  if (!Array.isArray(parsed) || !parsed.every(isCommand)) {
    throw new Error(`BENCH_EXTRA must be an array of {"name": string, "argv": string[]}, got ${JSON.stringify(raw)}`);
  }
  return parsed;
}

function readConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const recordCounts = (env.BENCH_RECORDS ?? "100000,400000")
    .split(",")
    .map((part) => positiveInteger("BENCH_RECORDS", part.trim()));
  const seed = Number(env.BENCH_SEED ?? "42");
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`BENCH_SEED must be an integer in 0..4294967295, got ${JSON.stringify(env.BENCH_SEED)}`);
  }
  return { recordCounts, runs: positiveInteger("BENCH_RUNS", env.BENCH_RUNS ?? "5"), seed, extra: parseExtra(env.BENCH_EXTRA) };
}

const log = (message: string): void => void process.stderr.write(`bench: ${message}\n`);
const slug = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");

async function ensureCorpus(records: number, seed: number): Promise<string> {
  const file = path.join(OUT_DIR, `corpus-s${seed}-${records}.jsonl`);
  // writeCorpus renames into place only when complete, so an existing file is a whole corpus.
  if (existsSync(file)) {
    log(`reusing ${path.relative(REPO_ROOT, file)}`);
  } else {
    log(`generating ${records} records (seed ${seed}) → ${path.relative(REPO_ROOT, file)}`);
    await writeCorpus(file, { records, seed });
  }
  return file;
}

/** Reads a file once, so the first timed run does not pay for the disk and the rest do not. */
async function warmPageCache(file: string): Promise<void> {
  for await (const _chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    // discard: only the read matters
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** Parses both lines and compares the values re-serialized (so 1.0 equals 1; key order counts). */
function sameJsonValue(left: string, right: string): boolean {
  try {
    return JSON.stringify(JSON.parse(left)) === JSON.stringify(JSON.parse(right));
  } catch {
    return false;
  }
}

/**
 * Whether a command produced the baseline's rows: identical bytes, or line-by-line equal JSON
 * values (a tool may write 1 as 1.0 on purpose), or the first line where they differ.
 * Streams both files in lockstep, so memory stays bounded.
 */
async function compareWithBaseline(file: string, baselineFile: string): Promise<string> {
  if ((await sha256File(file)) === (await sha256File(baselineFile))) return "yes, bytes";
  const open = (name: string) => createInterface({ input: createReadStream(name), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const [ours, theirs] = [open(file), open(baselineFile)];
  try {
    for (let line = 1; ; line++) {
      const [a, b] = await Promise.all([ours.next(), theirs.next()]);
      if (a.done && b.done) return "yes, values";
      if (a.done || b.done || !sameJsonValue(a.value, b.value)) return `no, line ${line}`;
    }
  } finally {
    // Closes the readline interfaces and their file streams on an early return.
    await Promise.all([ours.return?.(), theirs.return?.()]);
  }
}

function totalBytes(target: string): number {
  const stats = statSync(target);
  if (!stats.isDirectory()) return stats.size;
  return readdirSync(target).reduce((sum, entry) => sum + totalBytes(path.join(target, entry)), 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Resolves placeholders and the leading "node"; appends the input when argv does not name it. */
function resolveArgv(command: BenchCommand, input: string, outDir: string): string[] {
  const argv = command.argv.map((arg) => arg.replaceAll("{input}", input).replaceAll("{outdir}", outDir));
  if (!command.argv.some((arg) => arg.includes("{input}"))) argv.push(input);
  if (argv[0] === "node") argv[0] = process.execPath;
  return argv;
}

/** Whether PYTHON can import `datasets` (asked once). */
let datasetsImport: boolean | null = null;
function hasDatasets(): boolean {
  datasetsImport ??= spawnSync(PYTHON, ["-c", "import datasets"], { stdio: "ignore" }).status === 0;
  return datasetsImport;
}

/** Why a command cannot run yet (e.g. the engine is not built), or null when it can. */
function missingScript(command: BenchCommand): string | null {
  const [program, script] = command.argv;
  if (script === "bench/hf_datasets.py" && !hasDatasets()) return `skipped: ${PYTHON} cannot import datasets (set BENCH_PYTHON to a venv's python with it: bench/README.md)`;
  if (program !== "node" || script === undefined || script.startsWith("-")) return null;
  return existsSync(path.resolve(REPO_ROOT, script)) ? null : `skipped: ${script} not found (not built yet?)`;
}

function runOnce(argv: string[], stdoutFile: string): Promise<RunResult> {
  const timed = existsSync(GNU_TIME);
  const stdoutFd = openSync(stdoutFile, "w");
  const started = process.hrtime.bigint();
  const child = spawn(timed ? GNU_TIME : argv[0], timed ? ["-f", "%M", ...argv] : argv.slice(1), {
    cwd: REPO_ROOT,
    stdio: ["ignore", stdoutFd, "pipe"],
  });
  let stderr = "";
  // stdio[2] is "pipe", so stderr exists; the overloads just cannot type a numeric stdout fd.
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (text: string) => (stderr = (stderr + text).slice(-STDERR_TAIL_CHARS)));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      closeSync(stdoutFd);
      const lines = stderr.trimEnd().split("\n");
      // GNU time prints %M as the very last stderr line, after anything the child wrote.
      const peakRssKib = timed ? Number(lines.pop()) : null;
      resolve({ seconds, peakRssKib: Number.isFinite(peakRssKib) ? peakRssKib : null, exitCode: code ?? 1, stderrTail: lines.join("\n") });
    });
  });
}

/** Runs every command `runs` times, round-robin, so drift (thermal, caches) hits all alike. */
async function benchCorpus(commands: BenchCommand[], input: string, records: number, runs: number): Promise<Row[]> {
  const inputBytes = statSync(input).size;
  const rows = commands.map((command): Row => ({ command: command.name, records, inputBytes, status: missingScript(command) ?? "ok" }));
  const results: RunResult[][] = commands.map(() => []);
  for (const row of rows) if (row.status !== "ok") log(`${row.command}: ${row.status}`);
  await warmPageCache(input);
  for (let run = 1; run <= runs; run++) {
    for (const [index, command] of commands.entries()) {
      const row = rows[index];
      if (row.status !== "ok") continue;
      const base = path.join(OUT_DIR, `${slug(command.name)}-${records}`);
      rmSync(`${base}.d`, { recursive: true, force: true });
      if (command.argv.some((arg) => arg.includes("{outdir}"))) mkdirSync(`${base}.d`);
      const result = await runOnce(resolveArgv(command, input, `${base}.d`), `${base}.out`);
      if (result.exitCode !== 0) {
        const lastLine = result.stderrTail.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("Command exited")).pop();
        row.status = `failed (exit ${result.exitCode}): ${lastLine ?? "no stderr"}`;
        log(`${command.name}: ${row.status}`);
        continue;
      }
      results[index].push(result);
      log(`${command.name} ${records} run ${run}/${runs}: ${result.seconds.toFixed(2)} s, ` +
        `${result.peakRssKib === null ? "?" : ((result.peakRssKib * 1024) / MB).toFixed(0)} MB RSS`);
      if (run === runs) {
        const stdoutBytes = totalBytes(`${base}.out`);
        const dirBytes = existsSync(`${base}.d`) ? totalBytes(`${base}.d`) : 0;
        row.outputBytes = stdoutBytes + dirBytes;
        if (stdoutBytes > 0 && dirBytes === 0) row.stdoutFile = `${base}.out`;
      }
    }
  }
  const baseline = rows.find((row) => row.command === BASELINE && row.status === "ok");
  for (const [index, row] of rows.entries()) {
    if (row.status !== "ok") continue;
    if (row !== baseline && row.stdoutFile && baseline?.stdoutFile) {
      row.sameAsBaseline = await compareWithBaseline(row.stdoutFile, baseline.stdoutFile);
    }
    row.medianSeconds = median(results[index].map((r) => r.seconds));
    const rss = results[index].map((r) => r.peakRssKib).filter((kib): kib is number => kib !== null);
    row.peakRssKib = rss.length > 0 ? Math.max(...rss) : null;
  }
  for (const [index, row] of rows.entries()) {
    const versus = rows.find((other) => other.command === commands[index].versus);
    if (row.medianSeconds !== undefined && versus?.medianSeconds !== undefined) row.versusDuckDb = versus.medianSeconds / row.medianSeconds;
    const python = rows.find((other) => other.command === commands[index].versusDatasets);
    if (row.medianSeconds !== undefined && python?.medianSeconds !== undefined) row.versusDatasets = python.medianSeconds / row.medianSeconds;
  }
  return rows;
}

function formatTable(rows: Row[], config: BenchConfig): string {
  const cpus = os.cpus();
  const header = [
    `### qa-hf bench, ${new Date().toISOString().slice(0, 10)}`,
    "",
    `${cpus[0]?.model ?? "unknown CPU"}, ${cpus.length} cores, ${(os.totalmem() / 1e9).toFixed(0)} GB RAM, ` +
      `${os.type()} ${os.release()}, Node ${process.version}; median of ${config.runs} runs, seed ${config.seed}`,
    "",
    "| command | records | input MB | median s | MB/s | records/s | peak RSS MB | output MB | output = baseline | × DuckDB | × datasets |",
    "|---|--:|--:|--:|--:|--:|--:|--:|:-:|--:|--:|",
  ];
  const body = rows.map((row) => {
    const inputMb = (row.inputBytes / MB).toFixed(1);
    if (row.status !== "ok" || row.medianSeconds === undefined) {
      return `| ${row.command} | ${row.records} | ${inputMb} | ${row.status} | | | | | | | |`;
    }
    return `| ${row.command} | ${row.records} | ${inputMb} | ${row.medianSeconds.toFixed(2)} | ` +
      `${(row.inputBytes / MB / row.medianSeconds).toFixed(1)} | ${Math.round(row.records / row.medianSeconds)} | ` +
      `${row.peakRssKib == null ? "n/a" : ((row.peakRssKib * 1024) / MB).toFixed(0)} | ` +
      `${((row.outputBytes ?? 0) / MB).toFixed(1)} | ${row.sameAsBaseline ?? "—"} | ` +
      `${row.versusDuckDb === undefined ? "" : `${row.versusDuckDb.toFixed(2)}×`} | ` +
      `${row.versusDatasets === undefined ? "" : `${row.versusDatasets.toFixed(2)}×`} |`;
  });
  return [...header, ...body].join("\n") + "\n";
}

async function main(): Promise<void> {
  const config = readConfig(process.env);
  const only = process.env.BENCH_ONLY?.split(";").map((name) => name.trim());
  const commands = [...DEFAULT_COMMANDS, ...config.extra].filter((command) => !only || only.includes(command.name));
  // Output files are named by slug, so two commands with one slug would overwrite each other.
  const slugs = commands.map((command) => slug(command.name));
  const clash = commands.find((_, index) => slugs.indexOf(slugs[index]) !== index);
  if (clash) throw new Error(`BENCH_EXTRA names must differ from each other and from the defaults, got ${JSON.stringify(clash.name)}`);
  if (!existsSync(GNU_TIME)) log(`${GNU_TIME} not found: peak RSS will read n/a`);
  mkdirSync(OUT_DIR, { recursive: true });
  const rows: Row[] = [];
  for (const records of config.recordCounts) {
    const input = await ensureCorpus(records, config.seed);
    rows.push(...(await benchCorpus(commands, input, records, config.runs)));
  }
  process.stdout.write(formatTable(rows, config));
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
