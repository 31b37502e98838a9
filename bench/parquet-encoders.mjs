/* global process, console */
/**
 * bench/parquet-encoders.mjs — what encoding one 10 k-row group costs with the Parquet
 * encoder qa-hf keeps (hyparquet-writer, through lib/dataset/parquet.ts's one-file-per-row-group
 * path) and with an alternative (parquet-wasm: Rust's parquet crate in WebAssembly, fed
 * an Arrow table). Medians of RUNS runs over the same groups; snappy, 1 MiB pages.
 *
 *   node dist/bench/generate.js --records 100000 --seed 42 --out /tmp/corpus.jsonl
 *   node dist/cli.js --quiet /tmp/corpus.jsonl > /tmp/pairs.jsonl          # the flat rows
 *   npm i --no-save parquet-wasm@0.8.0 apache-arrow@21.2.0                  # the alternative
 *   node bench/parquet-encoders.mjs /tmp/pairs.jsonl [groups=5] [runs=5]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [file, groupsArg = '5', runsArg = '5'] = process.argv.slice(2);
const GROUP_ROWS = 10_000;
const groups = Number(groupsArg);
const runs = Number(runsArg);
const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, groups * GROUP_ROWS);
const rows = lines.map((line) => JSON.parse(line));
const columns = Object.keys(rows[0]);
const batches = Array.from({ length: groups }, (_, g) => rows.slice(g * GROUP_ROWS, (g + 1) * GROUP_ROWS));

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
function measure(name, encode) {
  const times = [];
  let bytes = 0;
  for (let run = -1; run < runs; run++) {
    bytes = 0;
    const start = process.hrtime.bigint();
    for (const batch of batches) bytes += encode(batch);
    if (run >= 0) times.push(Number(process.hrtime.bigint() - start) / 1e6 / batches.length); // run -1 warms up
  }
  console.log(`| ${name} | ${median(times).toFixed(1)} | ${(bytes / batches.length / 1e6).toFixed(2)} |`);
}

console.log(`${batches.length} groups of ${GROUP_ROWS} rows (${columns.join(', ')}), ${runs} runs, Node ${process.version}\n`);
console.log('| encoder | ms per 10 k-row group (median) | MB per group |\n| --- | --- | --- |');

const { ParquetShardWriter } = require('../dist/lib/dataset/parquet.js');
const { ByteWriter, ParquetWriter } = await import('hyparquet-writer');
const typed = columns.map((name) => ({ name, type: typeof rows[0][name] === 'number' ? 'float' : 'string' }));
const schema = [
  { name: 'schema', num_children: typed.length },
  ...typed.map((c) => (c.type === 'float' ? { name: c.name, type: 'DOUBLE', repetition_type: 'OPTIONAL' } : { name: c.name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' })),
];
measure('hyparquet-writer 0.17.0 alone (ParquetWriter on a ByteWriter)', (batch) => {
  const writer = new ByteWriter(1 << 20);
  const parquet = new ParquetWriter({ writer, schema });
  parquet.write({ columnData: typed.map((c) => ({ name: c.name, data: batch.map((row) => row[c.name]) })), rowGroupSize: batch.length, pageSize: 1 << 20 });
  parquet.finish();
  return writer.offset;
});
{
  // lib/dataset/parquet.ts as the export runs it: encode, move the group into the shard, footer at the end.
  let total = 0;
  const sink = { write: async (bytes) => void (total += bytes.length) };
  const times = [];
  for (let run = -1; run < runs; run++) {
    total = 0;
    const shard = await ParquetShardWriter.create(sink, { columns: typed });
    const start = process.hrtime.bigint();
    for (const batch of batches) await shard.write(batch);
    await shard.finish();
    if (run >= 0) times.push(Number(process.hrtime.bigint() - start) / 1e6 / batches.length);
  }
  console.log(`| qa-hf ParquetShardWriter (hyparquet-writer + lib/dataset/parquet-layout.ts) | ${median(times).toFixed(1)} | ${(total / batches.length / 1e6).toFixed(2)} |`);
}

let wasm;
let arrow;
try {
  wasm = require('parquet-wasm');
  arrow = require('apache-arrow');
} catch {
  console.log('| parquet-wasm | not installed (npm i --no-save parquet-wasm@0.8.0 apache-arrow@21.2.0) | |');
  process.exit(0);
}
const properties = () =>
  new wasm.WriterPropertiesBuilder().setCompression(wasm.Compression.SNAPPY).setMaxRowGroupSize(GROUP_ROWS).setDataPageSizeLimit(1 << 20).build();
const toArrow = (batch) =>
  arrow.tableFromArrays(
    Object.fromEntries(typed.map((c) => [c.name, c.type === 'float' ? Float64Array.from(batch, (row) => row[c.name]) : arrow.vectorFromArray(batch.map((row) => row[c.name]), new arrow.Utf8())])),
  );
measure('parquet-wasm 0.8.0, rows → Arrow table → IPC → writeParquet', (batch) => {
  const table = wasm.Table.fromIPCStream(arrow.tableToIPC(toArrow(batch), 'stream'));
  return wasm.writeParquet(table, properties()).length;
});
const ready = batches.map((batch) => arrow.tableToIPC(toArrow(batch), 'stream'));
let index = 0;
measure('parquet-wasm 0.8.0, writeParquet alone (IPC ready)', () => {
  const table = wasm.Table.fromIPCStream(ready[index++ % ready.length]);
  return wasm.writeParquet(table, properties()).length;
});
