/**
 * bench/duckdb.ts — DuckDB doing qa-hf's jobs, the yardstick `npm run bench` divides by.
 *
 * Input:  argv: JOB INPUT OUTDIR [THREADS]; JOB is one of the keys of JOBS below, INPUT a corpus
 *         of bench/generate.ts, OUTDIR an empty directory, THREADS DuckDB's thread count
 *         (default 2, the machine's cores).
 * Output: the job's files in OUTDIR (rows written by DuckDB's COPY), nothing on stdout.
 * Errors: a failing statement exits 1 with DuckDB's message on stderr.
 *
 * The same mapping as qa-hf's default preset (flat question, answer, source, persona,
 * validation_score; passed records only, rejected ones where the qa-hf job writes them), read
 * with read_json and written with COPY … TO. DuckDB gives none of qa-hf's guarantees (no dead
 * letter, no resume, no bounded memory): it is the speed to match, not a reference output.
 * The split is DuckDB's own hash of the question, so it partitions like qa-hf's murmur3 does
 * (same ratios, not the same rows): the work per row is what is compared.
 *
 * Example: node dist/bench/duckdb.js hub-jsonl-parquet bench/out/corpus-s42-100000.jsonl /tmp/d
 */
import { DuckDBInstance } from "@duckdb/node-api";
import path from "node:path";

/** The columns read_json is told, so it does not sample the file to guess them. */
const INPUT_COLUMNS =
  "{question: 'VARCHAR', answer: 'VARCHAR', source_document: 'VARCHAR', " +
  "persona: 'STRUCT(roll VARCHAR, erfarenhet VARCHAR)', " +
  "validation: 'STRUCT(composite_score DOUBLE, passed BOOLEAN, failure_reason VARCHAR)'}";

/** The flat row of qa-hf's default preset. */
const FLAT = `question, answer, coalesce(source_document, '') AS source,
  persona.roll || '/' || persona.erfarenhet AS persona, validation.composite_score AS validation_score`;

type Split = { name: string; from: number; to: number };

/** Buckets of hash(question) % 100 per split, like qa-hf's cumulative ratios. */
const TRAIN_TEST: Split[] = [
  { name: "train", from: 0, to: 90 },
  { name: "test", from: 90, to: 100 },
];
const THREE_SPLITS: Split[] = [
  { name: "train", from: 0, to: 80 },
  { name: "validation", from: 80, to: 90 },
  { name: "test", from: 90, to: 100 },
];

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/** One statement per written file; `rows` is the view they select from. */
function copies(out: string, splits: Split[], formats: Array<{ dir: string; select: string; to: string; where?: string }>): string[] {
  const statements: string[] = [];
  for (const format of formats) {
    for (const split of splits) {
      const where = `bucket >= ${split.from} AND bucket < ${split.to}${format.where ? ` AND ${format.where}` : ""}`;
      const file = path.join(out, format.dir, `${split.name}.${format.to.split(" ")[0]}`);
      statements.push(`COPY (SELECT ${format.select} FROM rows WHERE ${where}) TO ${quote(file)} ${format.to.split(" ").slice(1).join(" ")}`);
    }
  }
  return statements;
}

const MESSAGES = `{'messages': [{'role': 'user', 'content': question}, {'role': 'assistant', 'content': answer}]} AS m`;

/** Each job: the directories it writes and its statements. */
const JOBS: Record<string, { dirs: string[]; materialize: boolean; statements: (out: string) => string[] }> = {
  // pipe mode: passed rows to one JSON-lines file.
  "pipe-json": {
    dirs: [],
    materialize: false,
    statements: (out) => [`COPY (SELECT * EXCLUDE (bucket, passed, failure_reason) FROM rows WHERE passed) TO ${quote(path.join(out, "pairs.jsonl"))} (FORMAT json)`],
  },
  // Hub --format jsonl,parquet --split train=0.9,test=0.1: passed rows, four files.
  "hub-jsonl-parquet": {
    dirs: ["jsonl", "parquet"],
    materialize: true,
    statements: (out) =>
      copies(out, TRAIN_TEST, [
        { dir: "jsonl", select: "* EXCLUDE (bucket, passed, failure_reason)", to: "jsonl (FORMAT json)", where: "passed" },
        { dir: "parquet", select: "* EXCLUDE (bucket, passed, failure_reason)", to: "parquet (FORMAT parquet)", where: "passed" },
      ]),
  },
  // Hub, all six formats, three splits, text formats gzipped; rejected rows in jsonl/parquet/csv.
  "hub-all-gzip": {
    dirs: ["jsonl", "parquet", "csv", "messages", "alpaca", "sharegpt", "rejected/jsonl", "rejected/parquet", "rejected/csv"],
    materialize: true,
    statements: (out) => {
      const flat = "* EXCLUDE (bucket, passed, failure_reason)";
      const rejected = "* EXCLUDE (bucket, passed)";
      return copies(out, THREE_SPLITS, [
        { dir: "jsonl", select: flat, to: "jsonl.gz (FORMAT json, COMPRESSION gzip)", where: "passed" },
        { dir: "parquet", select: flat, to: "parquet (FORMAT parquet)", where: "passed" },
        { dir: "csv", select: flat, to: "csv.gz (FORMAT csv, HEADER, COMPRESSION gzip)", where: "passed" },
        { dir: "messages", select: `unnest(${MESSAGES.replace(" AS m", "")})`, to: "jsonl.gz (FORMAT json, COMPRESSION gzip)", where: "passed" },
        { dir: "alpaca", select: "question AS instruction, '' AS input, answer AS output", to: "jsonl.gz (FORMAT json, COMPRESSION gzip)", where: "passed" },
        {
          dir: "sharegpt",
          select: "[{'from': 'human', 'value': question}, {'from': 'gpt', 'value': answer}] AS conversations",
          to: "jsonl.gz (FORMAT json, COMPRESSION gzip)",
          where: "passed",
        },
        { dir: "rejected/jsonl", select: rejected, to: "jsonl.gz (FORMAT json, COMPRESSION gzip)", where: "NOT passed" },
        { dir: "rejected/parquet", select: rejected, to: "parquet (FORMAT parquet)", where: "NOT passed" },
        { dir: "rejected/csv", select: rejected, to: "csv.gz (FORMAT csv, HEADER, COMPRESSION gzip)", where: "NOT passed" },
      ]);
    },
  },
};

async function main(): Promise<void> {
  const [job, input, out, threads = "2"] = process.argv.slice(2);
  const spec = JOBS[job];
  if (!spec || !input || !out) {
    throw new Error(`usage: duckdb.js JOB INPUT OUTDIR [THREADS], JOB one of ${Object.keys(JOBS).join(", ")}`);
  }
  const { mkdirSync } = await import("node:fs");
  for (const dir of spec.dirs) mkdirSync(path.join(out, dir), { recursive: true });
  const instance = await DuckDBInstance.create(":memory:", { threads });
  const connection = await instance.connect();
  try {
    // A job writing several files parses the input once into a table (the corpus in memory,
    // DuckDB's fastest form of the job); a one-file job streams from read_json.
    await connection.run(
      `CREATE ${spec.materialize ? "TEMP TABLE" : "VIEW"} rows AS SELECT ${FLAT}, validation.passed AS passed, coalesce(validation.failure_reason, '') AS failure_reason, ` +
        `hash(question) % 100 AS bucket FROM read_json(${quote(input)}, format = 'newline_delimited', columns = ${INPUT_COLUMNS})`,
    );
    for (const statement of spec.statements(out)) await connection.run(statement);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`duckdb: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
  process.exitCode = 1;
});
