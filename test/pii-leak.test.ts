/**
 * "Nothing leaked" (issue 16, item 4): every PII kind the recognizers know (lib/quality/pii.ts)
 * is planted in valid rows (every string field), rejected rows (failure_reason too),
 * duplicates and bad lines of every kind (not JSON, schema errors, a personnummer as a
 * JSON number, values glued to an escape or behind `\u0040`, a parse error quoting
 * the line, an over-long line, invalid UTF-8, a cut-off last line). Exports with
 * --pii redact and --pii reject — the Hub layout with every format, splits, tiers,
 * the rejected config, gzip and zstd; the simple layout; two ranks and their merge —
 * then every byte of every file in the folder is searched for the planted values
 * (gzip and zstd decompressed, Parquet read back with DuckDB as well as raw): none
 * may be there, in any spelling. Exports run in-process (exportCommand, mergeCommand);
 * pipe mode (--errors, --rejected, --report) once through the CLI.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'zstd-napi';
import { exportCommand, type ExportArgs } from '../commands/export';
import { mergeCommand } from '../commands/export/merge';
import { PII_KINDS, type PiiKind, findPii } from '../lib/quality/pii';
import type { QaHfError } from '../lib/errors';
import { useDuckDb } from './duckdb';
import { internalRecord, listFiles, readJson, runCli, planFor } from './helpers';

const duck = useDuckDb();

/** Every kind, in the spellings lib/quality/pii.ts recognizes. */
const PLANTED: Record<PiiKind, string[]> = {
  personnummer: ['19850312-1231', '850312-1231', '8503121231', '198503121231', '121212+1212', '850372-1238'],
  email: ['anna.berg@region.se', 'a+b@mail.vgregion.se'],
  phone: ['070-123 45 67', '08-123 456 78', '+46 70 123 45 67', '0046 70 123 45 67', '0701234568', '(08) 123 45 67', '+46(0)70-123 45 67'],
  iban: ['SE45 5000 0000 0583 9825 7466', 'DE89370400440532013000'],
  card: ['4111 1111 1111 1111', '5555-5555-5555-4444'],
  ip: ['192.168.1.10'],
};
const VALUES = Object.values(PLANTED).flat();
/** What no file may hold: each value as planted, and its digits alone when it has separators (another spelling of it). */
const FORBIDDEN = [...new Set([...VALUES, ...VALUES.map((value) => value.replace(/[^0-9A-Za-z@.+]/g, '')).filter((digits) => digits.length >= 10)])];
const ALL_FORMATS = 'jsonl,parquet,csv,messages,alpaca,sharegpt,prompt-completion,kto,dpo';
const MAX_LINE = 2048;

let dir: string;
let input: string;

/** One value of each kind per record, the kinds taking turns. */
const value = (i: number) => VALUES[i % VALUES.length];

function corpus(): string {
  const lines: string[] = [];
  for (let i = 0; i < 120; i++) {
    const passed = i % 5 !== 0;
    // Every string field of a record holds a value now and then; every other answer (so --pii reject leaves pairs).
    const record = internalRecord({
      question: i % 7 === 0 ? `Vem når jag på ${value(i + 3)} om ${i}?` : `Fråga nummer ${i} om vården?`,
      // Beside other numbers and in parentheses too, as people write them (`säng 4 850312-1231 17`).
      answer: i % 2 === 0 ? (i % 4 === 0 ? `Svar ${i}: kontakta ${value(i / 2)} vardagar, eller se journalen.` : `Svar ${i}: säng 4 (${value(i / 2)}) 17 år.`) : `Svar ${i}: se journalen.`,
      source_document: i % 6 === 0 ? `intyg ${value(i + 5)}.pdf` : `riktlinje-${i % 4}.pdf`,
      roll: i % 11 === 0 ? `läkare ${value(i + 7)}` : 'läkare',
      erfarenhet: i % 13 === 0 ? `ny, ${value(i + 9)}` : 'ny',
      score: 0.5 + ((i * 37) % 50) / 100,
      passed,
      ...(passed ? {} : { failure_reason: `nämner ${value(i + 11)}` }),
    });
    lines.push(JSON.stringify(record));
    // An exact duplicate of a record whose question holds a value: the report's duplicate examples quote it.
    if (i % 7 === 0 && i > 0) lines.push(JSON.stringify(record));
  }
  // Bad lines: every kind of value in each shape.
  VALUES.forEach((v, k) => {
    lines.push(`{"question": "Ring ${v}", trasig`); // not JSON
    lines.push(JSON.stringify({ question: `Kontakt ${v}?`, answer: 'Ja.' })); // schema: no persona, validation
    lines.push(`{"question": "Hej\\n${v}", "answer": 1}`); // glued to an escape
    lines.push(`{"q":NaN,"a":"${v}"}`); // V8's message quotes the text around the error
    if (k === 0) lines.push('{"question": 198503121231, "answer": "siffror"}'); // a personnummer as a JSON number
    if (v.includes('@')) lines.push(`{"question": "${v.replace('@', '\\u0040')}", "x": }`); // behind an escape
  });
  lines.push(`{"question": "${value(2)} ${'lång '.repeat(MAX_LINE)}"}`); // over-long: its first 1 KiB is kept
  lines.push(`{"question": "\xff ${value(4)}"}`); // invalid UTF-8 (written as latin1 below)
  return `${lines.join('\n')}\n{"question": "avkapad ${value(6)}`; // a last line cut off
}

/** The text of every file under `root`, decompressed (and Parquet's rows as DuckDB reads them), by name. */
async function texts(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const name of await listFiles(root)) {
    const file = path.join(root, name);
    const bytes = await fs.readFile(file);
    let text = bytes.toString('latin1') + bytes.toString('utf8');
    if (name.endsWith('.gz')) text += gunzipSync(bytes).toString('utf8');
    if (name.endsWith('.zst')) text += zstdDecompress(bytes).toString('utf8');
    if (name.endsWith('.parquet')) text += JSON.stringify(await duck.query(`SELECT * FROM read_parquet('${file}')`));
    found.set(name, text);
  }
  return found;
}

/** The planted values (any spelling) found in any file: [file, value]; none expected. */
async function leaks(root: string): Promise<Array<[string, string]>> {
  const found: Array<[string, string]> = [];
  for (const [name, text] of await texts(root)) for (const forbidden of FORBIDDEN) if (text.includes(forbidden)) found.push([name, forbidden]);
  return found;
}

function args(out: string, extra: Partial<ExportArgs> & Record<string, unknown>): ExportArgs {
  return { inputs: [input], out, failFast: false, dryRun: false, restart: false, quiet: true, maxLineBytes: MAX_LINE, preset: 'qa-internal', ...extra } as ExportArgs;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-pii-leak-'));
  input = path.join(dir, 'in', 'qa.jsonl');
  await fs.mkdir(path.dirname(input));
  // The invalid UTF-8 line: its \xff as the one raw byte 0xFF (UTF-8 would write C3 BF).
  const bytes = Buffer.from(corpus(), 'utf8');
  const at = bytes.indexOf(Buffer.from('"\u00ff ', 'utf8'));
  await fs.writeFile(input, Buffer.concat([bytes.subarray(0, at + 1), Buffer.from([0xff]), bytes.subarray(at + 3)]));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

test('the corpus holds what the search looks for: every kind, in rows, rejected rows and bad lines', async () => {
  const text = (await fs.readFile(input)).toString('latin1');
  for (const v of VALUES) expect([v, text.includes(v) || text.includes(v.replace('@', '\\u0040'))]).toEqual([v, true]);
  for (const kind of PII_KINDS) expect(PLANTED[kind].every((v) => findPii(` ${v} `).map((match) => match.kind).includes(kind))).toBe(true);
  // Before redaction an export holds them all: the search finds what it looks for.
  const out = path.join(dir, 'report');
  await exportCommand(planFor('export', args(out, { format: 'jsonl,csv', split: 'train=0.8,test=0.2' })));
  expect((await leaks(out)).length).toBeGreaterThan(VALUES.length);
});

describe.each([
  ['redact', 'gzip'],
  ['reject', 'zstd'],
] as const)('--pii %s', (mode, compress) => {
  test(`Hub layout, every format, tiers, rejected config, ${compress}: no planted value in any file; the card says what was done`, async () => {
    const out = path.join(dir, `hub-${mode}`);
    const counts = await exportCommand(planFor('export', args(out, { format: ALL_FORMATS, split: 'train=0.8,test=0.2', tiers: 'high=0.8', dedup: 'exact', compress, pii: mode, systemPrompt: 'Du är en vårdassistent.', failOn: 'pii_written>0' })));
    expect(counts.errors).toBeGreaterThan(4 * VALUES.length);
    const files = await listFiles(out);
    expect(files).toEqual(expect.arrayContaining(['README.md', 'dataset_info.json', 'manifest.json', 'qa_errors.jsonl', 'report.html', 'report.json', 'stats.json']));
    for (const folder of ['tier_high/jsonl', 'tier_low/parquet', 'tier_low/csv', 'tier_low/messages', 'tier_low/alpaca', 'tier_low/sharegpt', 'tier_low/prompt-completion', 'kto', 'rejected/jsonl', 'rejected/parquet', 'rejected/csv']) {
      expect([folder, files.some((file) => file.startsWith(`${folder}/`))]).toEqual([folder, true]);
    }
    expect(await leaks(out)).toEqual([]);
    // Redacted, not dropped: the placeholders are there, in the rows and the dead letter.
    const errors = await fs.readFile(path.join(out, 'qa_errors.jsonl'), 'utf8');
    for (const placeholder of ['[PERSONNUMMER]', '[EMAIL]', '[PHONE]', '[IBAN]', '[CARD]', '[IP]']) expect([placeholder, errors.includes(placeholder)]).toEqual([placeholder, true]);
    const report = await readJson(path.join(out, 'report.json'));
    for (const kind of PII_KINDS) expect([kind, report.pii[kind].records > 0]).toEqual([kind, true]);
    expect([report.pii.records_written, report.metrics.pii_written, report.thresholds]).toEqual([0, 0, [{ rule: 'pii_written>0', value: 0, passed: true }]]);
    // Under reject a pair with a value is moved before the duplicate check: only redact's examples quote one.
    if (mode === 'redact') expect(report.duplicates.examples.some((example: { question: string }) => /\[(PHONE|EMAIL|PERSONNUMMER|IBAN|CARD|IP)\]/.test(example.question))).toBe(true);
    const card = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    expect(card).toContain(`Personal data (\`--pii ${mode}\`)`);
    expect(card).toContain("every match was replaced by its placeholder (`[PERSONNUMMER]`, `[EMAIL]`, `[PHONE]`, `[IBAN]`, `[CARD]`, `[IP]`) in every file of this folder");
    expect(card).toContain('| `pii_written>0` | 0 | passed |');
    if (mode === 'reject') {
      const rejected = (await fs.readFile(path.join(out, 'rejected/jsonl/train-00000-of-00001.jsonl.zst'))) as Buffer;
      const rows = zstdDecompress(rejected).toString('utf8').trim().split('\n').map((line) => JSON.parse(line));
      expect(rows.filter((row) => row.failure_reason === 'pii').length).toBeGreaterThan(10);
    }
  });
});

test('--pii redact with --workers 2: the bytes of --workers 0 (the bad lines are redacted in the workers alike)', async () => {
  const options = { format: 'jsonl,parquet,csv', split: 'train=0.8,test=0.2', dedup: 'exact', pii: 'redact', compress: 'gzip' };
  const [zero, two] = [path.join(dir, 'workers-0', 'out'), path.join(dir, 'workers-2', 'out')];
  await exportCommand(planFor('export', args(zero, { ...options, workers: 0 })));
  await exportCommand(planFor('export', args(two, { ...options, workers: 2 })));
  const files = (await listFiles(zero)).filter((name) => name !== 'manifest.json' && name !== 'stats.json');
  expect(await listFiles(two)).toEqual([...files, 'manifest.json', 'stats.json'].sort());
  for (const file of files) expect([file, (await fs.readFile(path.join(zero, file))).equals(await fs.readFile(path.join(two, file)))]).toEqual([file, true]);
  expect((await fs.readFile(path.join(two, 'qa_errors.jsonl'), 'utf8')).includes('[PHONE]')).toBe(true);
});

test('simple layout, --pii redact: qa_pairs, qa_rejected, qa_errors, stats, report: no planted value', async () => {
  const out = path.join(dir, 'simple');
  await exportCommand(planFor('export', args(out, { pii: 'redact' })));
  expect(await listFiles(out)).toEqual(['manifest.json', 'qa_errors.jsonl', 'qa_pairs.jsonl', 'qa_rejected.jsonl', 'report.html', 'report.json', 'stats.json']);
  expect(await leaks(out)).toEqual([]);
});

test('two ranks and their merge, --pii redact: the ranks\' folders hold none either; the merge writes the single export\'s bytes', async () => {
  const hub = { format: 'jsonl,csv,messages', split: 'train=0.8,test=0.2', dedup: 'exact', pii: 'redact' };
  const single = path.join(dir, 'ranks-single', 'out');
  const multi = path.join(dir, 'ranks-multi', 'out');
  await exportCommand(planFor('export', args(single, hub)));
  for (const rank of ['0', '1']) await exportCommand(planFor('export', args(multi, { ...hub, rank, worldSize: '2' })));
  expect((await listFiles(multi)).filter((file) => file.startsWith('ranks/')).length).toBe(4);
  expect(await leaks(multi)).toEqual([]); // ranks/ only, so far
  await mergeCommand(planFor('merge', { dir: multi, quiet: true }));
  expect(await leaks(multi)).toEqual([]);
  for (const file of (await listFiles(single)).filter((name) => name !== 'manifest.json' && name !== 'stats.json')) {
    const [a, b] = await Promise.all([fs.readFile(path.join(single, file)), fs.readFile(path.join(multi, file))]);
    expect([file, a.equals(b)]).toEqual([file, true]);
  }
});

test('--fail-on pii_written>0: breached without redaction (the rows and bad lines written hold personal data), passed with it', async () => {
  const breached = await exportCommand(planFor('export', args(path.join(dir, 'gate-report'), { failOn: 'pii_written>0,pii>0' }))).then(
    () => null,
    (err: QaHfError) => err,
  );
  expect([breached?.code, breached?.message]).toEqual(['ERR_THRESHOLD', expect.stringContaining('2 of 2 --fail-on rules breached')]);
  const report = await readJson(path.join(dir, 'gate-report', 'report.json'));
  // Every record that held a value is written with it, and so is every bad line: 120 + 17 duplicates + every bad line.
  expect(report.metrics.pii_written).toBe(report.pii.records + report.counts.errors);
  await exportCommand(planFor('export', args(path.join(dir, 'gate-redact'), { failOn: 'pii_written>0', pii: 'redact' })));
});

test('pipe mode, --pii redact: stdout, --rejected, --errors and --report hold no planted value', async () => {
  const rejected = path.join(dir, 'pipe', 'rejected.jsonl');
  const errors = path.join(dir, 'pipe', 'errors.jsonl');
  const report = path.join(dir, 'pipe', 'report');
  await fs.mkdir(path.dirname(rejected));
  const run = await runCli([input, '--pii', 'redact', '--max-line-bytes', String(MAX_LINE), '--rejected', rejected, '--errors', errors, '--report', report, '--fail-on', 'pii_written>0', '-q']);
  expect([run.code, run.stderr]).toEqual([0, '']);
  await fs.writeFile(path.join(dir, 'pipe', 'pairs.jsonl'), run.stdout);
  expect(await leaks(path.join(dir, 'pipe'))).toEqual([]);
  expect((await fs.readFile(errors, 'utf8')).split('\n').filter(Boolean).length).toBeGreaterThan(4 * VALUES.length);
});
