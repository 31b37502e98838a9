/**
 * qa-hf export with the quality rules end to end: --pii redact in every format
 * (Parquet read back with DuckDB), --pii reject, --dedup exact/near on planted
 * duplicates, --tiers in the card and the files, byte identity across --workers
 * and across SIGKILL/resume with --pii redact --dedup near, and a changed rule
 * refusing to resume.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { spawn } from 'node:child_process';
import { CLI, ROOT, internalRecord, listFiles, readJson, runCli, runCliKilledAtCheckpoint, seeded, snapshot, expectSame } from './helpers';
import { useDuckDb } from './duckdb';

const duck = useDuckDb();
const ALL_FORMATS = ['--format', 'jsonl,parquet,csv,messages,alpaca,sharegpt'];
/** Raw PII planted in the corpus: none of it may reach a redacted output. */
const RAW_PII = ['070-123 45 67', '19850312-1231', 'anna.berg@region.se', 'SE45 5000 0000 0583 9825 7466', '4111 1111 1111 1111', '192.168.1.10'];
const WORDS = 'feber huvudvärk patient läkare behandling dos tablett dag vecka sjukhus vård blodtryck hjärta lunga njure lever mage rygg knä axel'.split(' ');

let dir: string;
let inputs: string[];
/** Lines (1-based, per file) of the planted duplicates: [file index, line, kind, original line]. */
const planted: Array<{ file: number; line: number; kind: 'exact' | 'near' }> = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-quality-'));
  const random = seeded(9);
  const text = (n: number) => Array.from({ length: n }, () => `${WORDS[Math.floor(random() * WORDS.length)]}${Math.floor(random() * 100)}`).join(' ');
  const files: string[][] = [[], []];
  const originals: Array<Record<string, unknown>> = [];
  // 1 500 records (~1 MB a file): ~13 planted exact and ~15 near duplicates, 30 records with PII (5 of each kind), and
  // checkpoints enough inside each file for the kills below (every 100 kB, or 200 lines in the Hub layout).
  for (let i = 0; i < 1500; i++) {
    const file = i < 750 ? 0 : 1;
    let record: Record<string, unknown>;
    if (i > 100 && i % 97 === 0) {
      // Copies of early records: whereever a kill cuts the run, duplicates after the cut repeat records before it.
      record = { ...originals[(i * 7) % 100] }; // an exact duplicate, spelled differently
      record.question = ` ${String(record.question).toUpperCase()} `;
      planted.push({ file, line: files[file].length + 1, kind: 'exact' });
    } else if (i > 100 && i % 89 === 0) {
      const original = originals[((i * 3) % 100) + 1];
      const words = String(original.answer).split(' ');
      words[40] = 'ändrat';
      record = { ...original, answer: words.join(' ') };
      planted.push({ file, line: files[file].length + 1, kind: 'near' });
    } else {
      const pii = i % 50 === 7 ? ` Kontakt: ${RAW_PII[(i / 50) % RAW_PII.length | 0]}.` : '';
      record = internalRecord({ question: `${text(6)}?`, answer: `${text(120)}${pii}`, score: Math.round(random() * 1000) / 1000, passed: random() < 0.9 });
    }
    originals.push(record);
    files[file].push(JSON.stringify(record));
  }
  inputs = [path.join(dir, 'a.jsonl'), path.join(dir, 'b.jsonl')];
  await Promise.all(inputs.map((input, i) => fs.writeFile(input, `${files[i].join('\n')}\n`)));
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function exportTo(name: string, args: string[]): Promise<string> {
  const out = path.join(dir, name);
  const result = await runCli(['export', ...inputs, '--out', out, '-q', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return out;
}

/** An export several tests read (the same folder and flags): run once, by the first test that needs it. */
const sharedExports = new Map<string, Promise<string>>();
function sharedExport(name: string, args: string[]): Promise<string> {
  if (!sharedExports.has(name)) sharedExports.set(name, exportTo(name, args));
  return sharedExports.get(name)!;
}
/** The default export (--pii report, --dedup off): the reject test's reference and the dedup test's `off`. */
const plainExport = () => sharedExport('plain', []);


const jsonl = async (file: string) => (await fs.readFile(file, 'utf8')).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));

describe('--pii', () => {
  test('redact: no raw value in any file of any format, placeholders instead; Parquet read back', async () => {
    const out = await exportTo('redact', [...ALL_FORMATS, '--pii', 'redact']);
    const names = (await listFiles(out)).filter((name) => name !== 'qa_errors.jsonl');
    expect(names.filter((name) => name.includes('/')).map((name) => name.split('/').slice(0, -1).join('/'))).toEqual(
      expect.arrayContaining(['jsonl', 'parquet', 'csv', 'messages', 'alpaca', 'sharegpt']),
    );
    for (const name of names) {
      const text = (await fs.readFile(path.join(out, name))).toString('latin1') + (await fs.readFile(path.join(out, name), 'utf8'));
      for (const raw of RAW_PII) expect([name, text.includes(raw)]).toEqual([name, false]);
    }
    for (const [folder, placeholder] of [['jsonl', '[PHONE]'], ['csv', '[PERSONNUMMER]'], ['messages', '[EMAIL]'], ['alpaca', '[IBAN]'], ['sharegpt', '[CARD]']]) {
      const [file] = (await listFiles(out, folder)).filter((name) => !name.includes('/.'));
      expect([folder, (await fs.readFile(path.join(out, file), 'utf8')).includes(placeholder)]).toEqual([folder, true]);
    }
    const parquet = (await listFiles(out, 'parquet')).map((name) => `'${path.join(out, name)}'`).join(',');
    const rows = await duck.query(`SELECT count(*) FILTER (WHERE answer LIKE '%[IP]%') AS ip, count(*) FILTER (WHERE answer LIKE '%192.168%') AS raw FROM read_parquet([${parquet}])`);
    expect(Number(rows[0].ip)).toBeGreaterThan(0);
    expect(Number(rows[0].raw)).toBe(0);
    const stats = await readJson(path.join(out, 'stats.json'));
    expect(Object.keys(stats.quality.pii)).toEqual(['mode', 'personnummer', 'email', 'phone', 'iban', 'card', 'ip', 'records', 'records_scanned', 'records_written', 'examples']);
    for (const kind of ['personnummer', 'email', 'phone', 'iban', 'card', 'ip']) expect([kind, stats.quality.pii[kind].records > 0]).toEqual([kind, true]);
    expect(stats.quality.pii.examples).toHaveLength(20);
    expect(stats.quality.pii.examples[0]).toEqual({ kind: expect.any(String), column: 'answer', masked: expect.stringContaining('*'), file: expect.stringMatching(/a\.jsonl$/), line: expect.any(Number) });
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('reject (simple layout): pairs with PII go to qa_rejected.jsonl with failure_reason pii, redacted there too; none stay', async () => {
    const reported = await plainExport();
    const out = await exportTo('reject', ['--pii', 'reject']);
    const pairs = await jsonl(path.join(out, 'qa_pairs.jsonl'));
    const rejected = await jsonl(path.join(out, 'qa_rejected.jsonl'));
    const moved = rejected.filter((row) => row.failure_reason === 'pii');
    const stats = await readJson(path.join(reported, 'stats.json'));
    expect(moved.length).toBeGreaterThan(0);
    expect(pairs.length + moved.length).toBe((await jsonl(path.join(reported, 'qa_pairs.jsonl'))).length);
    expect(pairs.some((row) => RAW_PII.some((raw) => String(row.answer).includes(raw)))).toBe(false);
    expect(rejected.some((row) => RAW_PII.some((raw) => String(row.answer).includes(raw)))).toBe(false);
    expect(moved.every((row) => /\[(PHONE|PERSONNUMMER|EMAIL|IBAN|CARD|IP)\]/.test(String(row.answer)))).toBe(true);
    // report mode counts the same records and moves nothing.
    expect(stats.quality.pii.mode).toBe('report');
    expect(stats.quality.pii.records).toBeGreaterThanOrEqual(moved.length);
  });
});

describe('--dedup', () => {
  test.each([
    ['off', 0, 0],
    ['exact', 1, 0],
    ['near', 1, 1],
  ] as const)('%s: planted duplicates are counted; moved as the mode says; no unrelated record flagged', async (mode, exactMoved, nearMoved) => {
    // off is the default: the plain export (the option accepting `off`: option-table.test.ts).
    const out = mode === 'off' ? await plainExport() : await exportTo(`dedup-${mode}`, ['--dedup', mode]);
    const stats = await readJson(path.join(out, 'stats.json'));
    const rejected = await jsonl(path.join(out, 'qa_rejected.jsonl'));
    const exact = planted.filter((p) => p.kind === 'exact').length;
    const near = planted.filter((p) => p.kind === 'near').length;
    // Planted copies of records that were themselves rejected by validation are not pairs: count the passing ones.
    const d = stats.quality.duplicates;
    expect(d.exact.records).toBeGreaterThan(exact / 2);
    expect(d.exact.records).toBeLessThanOrEqual(exact);
    if (mode !== 'near') expect(d.near.records).toBe(0);
    if (mode === 'near') {
      expect(d.near.records).toBeGreaterThan(near / 2);
      expect(d.near.records).toBeLessThanOrEqual(near);
    }
    expect(rejected.filter((row) => row.failure_reason === 'duplicate')).toHaveLength(exactMoved * d.exact.records);
    expect(rejected.filter((row) => row.failure_reason === 'near_duplicate')).toHaveLength(nearMoved * d.near.records);
    // Every example is a planted line: nothing unrelated was flagged.
    for (const example of d.examples) {
      const file = example.duplicate.file.endsWith('a.jsonl') ? 0 : 1;
      expect(planted.some((p) => p.file === file && p.line === example.duplicate.line && p.kind === example.kind)).toBe(true);
    }
  });
});

describe('--tiers', () => {
  test('each tier is a config in the card and a folder in every format; counts add up to the pairs', async () => {
    const out = await exportTo('tiers', ['--format', 'jsonl,parquet,messages', '--tiers', 'high=0.85,medium=0.7']);
    const card = await fs.readFile(path.join(out, 'README.md'), 'utf8');
    const metadata = parseYaml(card.split('---\n')[1]);
    expect(metadata.configs.map((config: { config_name: string }) => config.config_name)).toEqual(['tier_high', 'tier_medium', 'tier_low', 'rejected', 'tier_high_messages', 'tier_medium_messages', 'tier_low_messages']);
    expect(metadata.configs[0].data_files).toEqual([{ split: 'train', path: 'tier_high/jsonl/train-*' }]);
    const stats = await readJson(path.join(out, 'stats.json'));
    const tiers = stats.quality.tiers;
    expect(tiers.high + tiers.medium + tiers.low).toBe(stats.counts.pairs);
    for (const format of ['jsonl', 'parquet', 'messages']) {
      for (const tier of ['high', 'medium', 'low']) {
        const files = await listFiles(out, `tier_${tier}/${format}`);
        expect([format, tier, files.length]).toEqual([format, tier, 1]);
      }
    }
    const high = await jsonl(path.join(out, 'tier_high/jsonl/train-00000-of-00001.jsonl'));
    const low = await jsonl(path.join(out, 'tier_low/jsonl/train-00000-of-00001.jsonl'));
    expect([high.length, low.length]).toEqual([tiers.high, tiers.low]);
    expect(high.every((row) => row.validation_score >= 0.85)).toBe(true);
    expect(low.every((row) => row.validation_score < 0.7)).toBe(true);
    const rows = await duck.query(`SELECT count(*) AS n FROM read_parquet('${path.join(out, 'tier_medium/parquet/train-00000-of-00001.parquet')}')`);
    expect(Number(rows[0].n)).toBe(tiers.medium);
    expect((await runCli(['verify', out])).code).toBe(0);
  });

  test('tiers out of order: one line, exit 2, showing the sorted form; nothing written', async () => {
    const out = path.join(dir, 'tiers-out-of-order');
    const result = await runCli(['export', ...inputs, '--out', out, '--tiers', 'high=0.85,medium=0.9']);
    expect([result.code, result.stderr]).toEqual([
      2,
      'qa-hf: ERR_OPTION: --tiers must list the tiers from the highest minimum down (medium=0.9 is above high=0.85; sorted: medium=0.9,high=0.85), got "high=0.85,medium=0.9"\n',
    ]);
    await expect(fs.access(out)).rejects.toThrow();
  });
});

/** Runs `command` and SIGKILLs it once the checkpoint records a position inside an input other than the one it had: that position. */
async function killedAtNextCheckpoint(command: string[], out: string): Promise<string> {
  const file = path.join(out, '.qa-hf-checkpoint.json');
  const position = async () => {
    const text = await fs.readFile(file, 'utf8').catch(() => null);
    const parsed = text ? (JSON.parse(text) as { position: { input: number; offset: number } }) : null;
    return parsed && parsed.position.offset > 0 ? JSON.stringify(parsed.position) : null;
  };
  const before = await position();
  const child = spawn(process.execPath, [CLI, ...command], { cwd: ROOT, stdio: 'ignore' });
  const closed = new Promise((resolve) => child.on('close', resolve));
  let now: string | null = null;
  for (let i = 0; i < 2000 && (now === null || now === before); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    now = await position().catch(() => null); // read while being replaced: try again
  }
  child.kill('SIGKILL');
  await closed;
  return (await position()) ?? '';
}

const RULES = ['--pii', 'redact', '--dedup', 'near'];
const HUB = ['--format', 'jsonl,parquet', '--split', 'train=0.8,test=0.2', '--checkpoint-lines', '200'];
const LAYOUTS: Record<string, string[]> = { simple: ['--checkpoint-bytes', '100000'], hub: HUB };
/** The uninterrupted export of each layout with the rules (export's default --workers is 0); the simple one is pipe mode's reference too. */
const rulesReference = (layout: string) => sharedExport(`ref-${layout}/dataset`, [...LAYOUTS[layout], ...RULES]);

describe('byte identity', () => {
  /** The Hub layout's interrupted state (a copy, before the resume), for the changed-rule test. */
  let interrupted: string | null = null;

  test('--workers 0 and 2 write the same bytes', async () => {
    const zero = await snapshot(await rulesReference('hub'));
    const two = await snapshot(await exportTo('workers-2/dataset', [...HUB, ...RULES, '--workers', '2']));
    expectSame(two, zero);
  });

  test.each(Object.keys(LAYOUTS))('%s layout: SIGKILLed twice mid-file, then resumed: the bytes of an uninterrupted run', async (layout) => {
    const reference = await snapshot(await rulesReference(layout));
    const out = path.join(dir, `killed-${layout}`, 'dataset');
    const command = ['export', ...inputs, '--out', out, '-q', ...LAYOUTS[layout], ...RULES];
    // Two kills, each at a new checkpoint inside an input: the second resumes a resumed run.
    const positions = new Set<string>();
    for (let kill = 0; kill < 2; kill++) positions.add(await killedAtNextCheckpoint(command, out));
    expect(positions.size).toBe(2);
    expect((await fs.stat(path.join(out, '.qa-hf-dedup.partial'))).size).toBeGreaterThan(0);
    if (layout === 'hub') {
      interrupted = path.join(dir, 'changed', 'dataset');
      await fs.cp(out, interrupted, { recursive: true });
    }
    const last = await runCli(command);
    expect(last.code).toBe(0);
    expectSame(await snapshot(out), reference);
    expect((await listFiles(out)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  test('a changed rule refuses to resume', async () => {
    // The Hub kill loop's interrupted state (copied before its resume); alone, a run of its own killed mid-file.
    let out = interrupted;
    if (out === null) {
      out = path.join(dir, 'changed-alone', 'dataset');
      await runCliKilledAtCheckpoint(['export', ...inputs, '--out', out, '-q', ...HUB, ...RULES], out, true);
    }
    const refused = await runCli(['export', ...inputs, '--out', out, '-q', ...HUB, '--pii', 'redact', '--dedup', 'exact']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ERR_CHECKPOINT_MISMATCH: .*the options differ from the interrupted run/);
  });
});

describe('pipe mode', () => {
  test('--pii redact --dedup near: stdout and --rejected are the simple export\'s files, with 0 or 2 workers', async () => {
    // The simple layout's export with the same rules (its --checkpoint-bytes changes no byte).
    const out = await rulesReference('simple');
    for (const workers of ['0', '2']) {
      const rejected = path.join(dir, `pipe-rejected-${workers}.jsonl`);
      const result = await runCli([...inputs, '-q', '--pii', 'redact', '--dedup', 'near', '--workers', workers, '--rejected', rejected]);
      expect(result.code).toBe(0);
      expect(result.stdout.equals(await fs.readFile(path.join(out, 'qa_pairs.jsonl')))).toBe(true);
      expect((await fs.readFile(rejected)).equals(await fs.readFile(path.join(out, 'qa_rejected.jsonl')))).toBe(true);
    }
    expect((await fs.readFile(path.join(out, 'qa_rejected.jsonl'), 'utf8')).includes('"failure_reason":"near_duplicate"')).toBe(true);
  });

  test('--tiers is export\'s: one line, exit 2', async () => {
    const result = await runCli([inputs[0], '--tiers', 'high=0.9']);
    expect([result.code, result.stderr]).toEqual([2, 'qa-hf: ERR_USAGE: --tiers needs qa-hf export (each tier is a config of a dataset folder), got "high=0.9"\n']);
  });
});
