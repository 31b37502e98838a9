/**
 * report.html in a real browser: headless Chromium (the build shipped inside the npm
 * package @sparticuz/chromium, a devDependency: `npm ci` brings it, no system package and
 * no download from elsewhere) opens the file with every section filled in — PII and
 * duplicate examples too, and data that is HTML — and the test asserts no console error,
 * no request beyond the file itself, no injected element, and a non-zero size for every
 * chart, the verdict, the paragraph and the reason table on the first screen, no chart label
 * cut; screenshots (the whole page, the first screen) go to test-output/ (gitignored). It never skips.
 */
import { execFile } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import puppeteer from 'puppeteer-core';
import { detect } from 'tinyld';
import { newEntry, type Batch, type Row } from '../lib/batch';
import { ReportAccumulator } from '../lib/quality/report';
import { buildReport, computeMetrics } from '../lib/quality/report-json';
import { renderReportHtml } from '../lib/quality/report-html';
import { evaluateThresholds, parseThresholds } from '../lib/quality/thresholds';
import { emptyCounts } from '../lib/tally';
import { ROOT } from './helpers';

const run = promisify(execFile);
const SV = 'Patienten ska få information om behandlingen innan den påbörjas och kan alltid ställa frågor.';
/** A persona name longer than the chart's old label limit (120 px): drawn whole now. */
const LONG_PERSONA = 'sjukskoterska_erfaren_med_specialistutbildning_intensivvard';
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';

/** @sparticuz/chromium's version: its major is the Chromium major it ships. */
async function bundledVersion(): Promise<string> {
  return JSON.parse(await fs.readFile(path.join(ROOT, 'node_modules', '@sparticuz', 'chromium', 'package.json'), 'utf8')).version;
}

/**
 * The bundled Chromium, inflated once per package version into node_modules/.cache (CHROMIUM_PATH
 * overrides it, for a platform the Linux x64 build does not run on). executablePath() inflates
 * into os.tmpdir() and trusts whatever it finds there, so a child process runs it with TMPDIR
 * set to a staging folder that is renamed into place when complete: no run sees a half-written
 * or stale binary, and nothing lands in /tmp.
 */
async function chromiumPath(): Promise<string> {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  const version = await bundledVersion();
  const cache = path.join(ROOT, 'node_modules', '.cache', `sparticuz-chromium-${version}`);
  const binary = path.join(cache, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = `${cache}.${process.pid}.tmp`;
  await fs.mkdir(staging, { recursive: true });
  const inflate = "require('@sparticuz/chromium').executablePath().catch((err) => { console.error(err.message); process.exitCode = 1; })";
  await run(process.execPath, ['-e', inflate], { cwd: ROOT, env: { ...process.env, TMPDIR: staging } });
  // Another run may have renamed its own copy into place first: then this one is dropped.
  await fs.rename(staging, cache).catch(() => fs.rm(staging, { recursive: true, force: true }));
  return binary;
}

function batchOf(rows: { channel: 'pairs' | 'rejected'; split: number; row: Row }[]): Batch {
  const entries = rows.map((item, i) => {
    const entry = newEntry(i + 1, i * 100, '');
    entry.channel = item.channel;
    entry.split = item.split;
    entry.row = item.row;
    return entry;
  });
  return { file: 'a.jsonl', entries, endOffset: rows.length * 100, endLine: rows.length, fileEnd: true, output: null, stop: null };
}

async function reportHtml(): Promise<string> {
  const rows = Array.from({ length: 40 }, (_, i) => ({
    channel: (i % 5 === 4 ? 'rejected' : 'pairs') as 'pairs' | 'rejected',
    split: i % 3 === 0 ? 1 : 0,
    row: {
      question: `Fråga ${i}: ${'hur '.repeat(i % 9)}?`,
      answer: i === 7 ? 'The patient should always be informed about the treatment before it starts.' : `${SV} ${'mer '.repeat(i)}`,
      source: `dok/${i % 4}.pdf`,
      persona: i === 3 ? HOSTILE : i % 3 === 2 ? LONG_PERSONA : `roll${i % 3}/erfaren`,
      validation_score: (i % 10) / 10 + 0.05,
      ...(i % 5 === 4 ? { failure_reason: i % 10 === 4 ? 'för vag' : 'below_min_score' } : {}),
    },
  }));
  const report = new ReportAccumulator({ language: 'sv', detect, splitNames: ['train', 'test'] });
  report.add(batchOf(rows));
  const counts = { ...emptyCounts(), lines: 42, pairs: 32, rejected: 8, errors: 2 };
  const sections = {
    pii: {
      personnummer: { matches: 2, records: 2 },
      email: { matches: 1, records: 1 },
      records: 3,
      mode: 'redact',
      examples: [
        { kind: 'personnummer', column: 'answer', masked: '********-****', file: 'qa.jsonl', line: 12 },
        { kind: 'email', column: 'question', masked: `a***@${HOSTILE}`, file: 'qa.jsonl', line: 30 },
      ],
    },
    duplicates: {
      exact: { records: 1, groups: 1 },
      near: { records: 1, groups: 1 },
      across_splits: 1,
      examples: [
        { kind: 'near', similarity: 0.87, first: { file: 'qa.jsonl', line: 2, question: 'Vad är NEWS2?', answer: SV }, duplicate: { file: 'qa.jsonl', line: 9, question: 'Vad är NEWS2-poäng?', answer: HOSTILE } },
      ],
    },
    tiers: { high: 20, medium: 8, low: 4 },
    contamination: { ngram: 13, records: 0, files: [{ file: 'eval/mmlu.jsonl', records: 0 }], examples: [] },
  };
  const metrics = computeMetrics(report, counts, sections);
  const thresholds = evaluateThresholds(parseThresholds('pii>0,duplicates>0.01,pass_rate<0.6'), metrics);
  return renderReportHtml(buildReport(report, { counts, metrics, thresholds, sections, tokenizer: null }), { title: `demo ${HOSTILE}` });
}

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qa-hf-report-browser-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('headless Chromium: no console error, no request, no injected element, every chart has a size', async () => {
  const html = await reportHtml();
  const file = path.join(dir, 'report.html');
  await fs.writeFile(file, html);
  const charts = (html.match(/<svg /g) ?? []).length;
  expect(charts).toBe(16); // 4 groups (train, test × pairs, rejected) × score, question length, answer length, personas
  // 'shell': the bundled build is chrome-headless-shell.
  const browser = await puppeteer.launch({ executablePath: await chromiumPath(), headless: 'shell', args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    // The bundled build ran, not a system Chromium of another version.
    const major = (version: string) => version.replace(/^\D*/, '').split('.')[0];
    if (!process.env.CHROMIUM_PATH) expect(major(await browser.version())).toBe(major(await bundledVersion()));
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') problems.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
    page.on('request', (request) => requests.push(request.url()));
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    const sizes = await page.$$eval('svg', (svgs) => svgs.map((svg) => svg.getBoundingClientRect()).map((box) => [box.width, box.height]));
    expect(sizes).toHaveLength(charts);
    for (const [width, height] of sizes) {
      expect(width).toBeGreaterThan(0);
      expect(height).toBeGreaterThan(0);
    }
    expect(problems).toEqual([]);
    expect(requests).toEqual([`file://${file}`]);
    // The hostile text is shown as text, never run or parsed as markup.
    expect(await page.title()).toBe(`Quality report: demo ${HOSTILE}`);
    expect(await page.$$eval('script, img', (elements) => elements.length)).toBe(0);
    const text = await page.$eval('body', (body) => body.textContent ?? '');
    expect(text).toContain('********-****');
    expect(text).not.toContain('19850312');
    expect(await page.$$eval('.sides .side', (sides) => sides.length)).toBe(2);
    expect(await page.$eval('#verdict .headline', (element) => element.textContent)).toBe('Fail: 2 of 3 --fail-on rules failed.'); // pii>0 and duplicates>0.01; pass_rate 0.8 passes
    // The release page's first screen (1280×900): the verdict, the paragraph and the reason table, whole.
    const bottoms = await page.$$eval('#verdict, #summary, #reasons', (sections) => sections.map((section) => section.getBoundingClientRect().bottom));
    expect(bottoms).toHaveLength(3);
    for (const bottom of bottoms) expect(bottom).toBeLessThanOrEqual(900);
    // No chart label is cut (vega's ellipsis), and the long persona name is drawn whole.
    expect(await page.$$eval('svg text', (texts) => texts.filter((t) => (t.textContent ?? '').includes('\u2026')).length)).toBe(0);
    expect(await page.$$eval('svg text', (texts, name) => texts.filter((t) => t.textContent === name).length, LONG_PERSONA)).toBeGreaterThan(0);
    const shots = path.join(ROOT, 'test-output');
    await fs.mkdir(shots, { recursive: true });
    const shot = path.join(shots, 'report.png');
    await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
    expect((await fs.stat(shot)).size).toBeGreaterThan(10_000);
    const first = path.join(shots, 'report-first-screen.png');
    await page.screenshot({ path: first as `${string}.png` });
    expect((await fs.stat(first)).size).toBeGreaterThan(10_000);
  } finally {
    await browser.close();
  }
});
