/**
 * report-html — report.html from the report.json object: one self-contained file (no
 * script, no network: a Content-Security-Policy forbids both), read as a release page —
 * what a person deciding whether to publish needs is on the first screen, in this order:
 *
 *   1. the verdict: every --fail-on rule as written, its measured value and pass/fail
 *      (or "no gate set");
 *   2. one paragraph in words: pairs written per split, rejected rows by reason, personal
 *      data found by kind and what was done to it, duplicates, contamination, token budget;
 *   3. the rejected rows by failure_reason (report.json `rejected_reasons`);
 *
 * then the charts per split and channel, the personal data, duplicates, contamination,
 * tiers and preference sections (masked PII examples, duplicate examples side by side),
 * the tables per split and channel, and every count, metric and setting.
 *
 * Numbers are shown one way whatever the machine's locale: counts with en-US thousands
 * separators (1,586), shares as percentages with one decimal (0.6%; a share that is not 0
 * but rounds to it is `<0.1%`), other numbers with at most one decimal. report.json keeps
 * the exact values.
 *
 * Charts are inline SVG: vega-lite → vega's headless renderer's bytes, drawn by
 * lib/quality/bar-chart-svg.ts without loading vega (vega itself for what that does not
 * cover); rendering is async, so it runs once, at the end.
 *
 *   const html = await renderReportHtml(buildReport(accumulator, inputs), { title: 'dist' });
 *
 * Every text that comes from data (names, examples, column names, reasons) is escaped.
 */
import type { TopLevelSpec } from 'vega-lite';
import { barChartSvgDirect } from './bar-chart-svg';
import { isShareMetric } from './thresholds';
import { formatCount, formatCounted } from '../tally';
import { numberAt } from './report-json';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A bar chart as SVG: one bar per item, in the order given. Drawn by
 * lib/quality/bar-chart-svg.ts (vega's bytes without loading vega) when it covers the
 * items, else by vega (barChartSvgVega).
 */
export async function barChartSvg(title: string, items: readonly { label: string; count: number }[], axis: { x: string; y: string }): Promise<string> {
  return barChartSvgDirect(title, items, axis) ?? (await barChartSvgVega(title, items, axis));
}

/** The bar chart drawn by vega-lite → vega's headless renderer: the reference (test/bar-chart-svg.test.ts) and the fallback. */
export async function barChartSvgVega(title: string, items: readonly { label: string; count: number }[], axis: { x: string; y: string }): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 360,
    height: 160,
    data: { values: items.map((item, order) => ({ label: item.label, count: item.count, order })) },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      x: { field: 'label', type: 'ordinal', title: axis.x, sort: { field: 'order' }, axis: { labelAngle: -40, labelLimit: 0, maxExtent: 1000 } },
      y: { field: 'count', type: 'quantitative', title: axis.y },
    },
  };
  // Loaded on first use (~0.1 s): a run whose charts bar-chart-svg draws never pays it.
  const vega = await import('vega');
  const { compile } = await import('vega-lite');
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Fixed locales, never the machine's: the same report.html everywhere (a resumed run's too). */
const DECIMAL_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const SHARE_FORMAT = new Intl.NumberFormat('en-US', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** A count with thousands separators: `1,586` (lib/tally.ts, as the card writes counts). */
export { formatCount };

/** A number that is not a count or a share (a mean, a length): at most one decimal, `11.7`. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? formatCount(value) : DECIMAL_FORMAT.format(value);
}

/**
 * A share (0..1) as a percentage with one decimal: `0.6%`. A share that is not 0 (or 1) but
 * rounds to it says so (`<0.1%`, `>99.9%`): a gate's one record in 20,000 is not nothing.
 */
export function formatShare(share: number): string {
  if (share > 0 && share < 0.0005) return '<0.1%';
  if (share < 1 && share >= 0.9995) return '>99.9%';
  return SHARE_FORMAT.format(share);
}

/** Keys whose numbers are shares (0..1), wherever they sit; `share_over`'s values are too. */
const SHARE_KEYS: ReadonlySet<string> = new Set(['mismatch_share', 'similarity', 'share_over']);

/** Any JSON value as HTML: scalars as text, arrays of objects as a table, objects as a key table; numbers formatted (`share`: as percentages). */
export function renderJson(value: Json, share = false): string {
  if (value === null || value === undefined) return '<span class="none">–</span>';
  if (typeof value === 'number') return share ? formatShare(value) : formatNumber(value);
  if (typeof value !== 'object') return escapeHtml(String(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return '<span class="none">none</span>';
    if (value.every(isObject)) {
      const keys = [...new Set(value.flatMap((item) => Object.keys(item)))];
      const head = keys.map((key) => `<th>${escapeHtml(key)}</th>`).join('');
      const rows = value.map((item) => `<tr>${keys.map((key) => `<td${numeric(item[key])}>${renderJson(item[key], share || SHARE_KEYS.has(key))}</td>`).join('')}</tr>`).join('\n');
      return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
    }
    return value.map((item) => renderJson(item, share)).join(', ');
  }
  const rows = Object.entries(value).map(([key, item]) => `<tr><th>${escapeHtml(key)}</th><td${numeric(item)}>${renderJson(item, share || SHARE_KEYS.has(key))}</td></tr>`);
  return `<table class="keys"><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** Numbers right-aligned, so their digits line up. */
function numeric(value: Json): string {
  return typeof value === 'number' ? ' class="num"' : '';
}

/**
 * Examples as cards: an example's object-valued fields (the first record and its
 * duplicate, say) side by side, its other fields above them.
 */
export function renderExamples(examples: readonly Json[]): string {
  if (examples.length === 0) return '<p class="none">No examples.</p>';
  return examples
    .map((example) => {
      if (!isObject(example)) return `<div class="example">${renderJson(example)}</div>`;
      const sides = Object.entries(example).filter(([, value]) => isObject(value));
      const plain = Object.entries(example).filter(([, value]) => !isObject(value));
      const header = plain.map(([key, value]) => `<span class="tag">${escapeHtml(key)}: ${renderJson(value, SHARE_KEYS.has(key))}</span>`).join(' ');
      const columns = sides.map(([key, value]) => `<div class="side"><h4>${escapeHtml(key)}</h4>${renderJson(value)}</div>`).join('');
      return `<div class="example">${header}<div class="sides">${columns}</div></div>`;
    })
    .join('\n');
}

/** A quality section (pii, duplicates, tiers, …): its example lists as cards, the rest as tables. */
function renderSection(id: string, title: string, section: Json): string {
  if (!isObject(section)) return '';
  const lists = Object.entries(section).filter(([key, value]) => /examples$/.test(key) && Array.isArray(value)) as [string, Json[]][];
  const rest = Object.fromEntries(Object.entries(section).filter(([key]) => !lists.some(([name]) => name === key)));
  const parts = [`<section id="${id}"><h2>${escapeHtml(title)}</h2>`, renderJson(rest)];
  for (const [key, examples] of lists) parts.push(`<h3>${key === 'examples' ? 'Examples' : escapeHtml(key.replace(/_/g, ' '))}</h3>`, renderExamples(examples));
  parts.push('</section>');
  return parts.join('\n');
}

interface Bin {
  range: string;
  count: number;
}

interface Lengths {
  count: number;
  min: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
  histogram: Bin[];
}

interface GroupReport {
  split: string;
  channel: string;
  records: number;
  columns: Record<string, Record<string, Lengths>>;
  validation_score_histogram: Bin[];
  personas: { top: { name: string; count: number }[]; other: number };
  source_documents: { top: { name: string; count: number }[]; other: number };
  answers: Record<string, number>;
  language: Record<string, Json>;
  /** With --tokenizer MODEL_FOLDER: the rendered conversations' tokens and the shares over 512…4096. */
  conversation_tokens?: Lengths & { share_over: Record<string, number> };
}

interface Threshold {
  rule: string;
  value: number;
  passed: boolean;
}

/** What the rules of qa-hf that move a pair to rejected call it (lib/dataset/route.ts, lib/dataset/length-filters.ts, lib/quality/rules.ts, lib/quality/plan.ts). */
const REASON_ORIGINS: Record<string, string> = {
  below_min_score: '--min-score: validation_score below the minimum',
  too_short: '--min-chars: a column shorter than its minimum',
  too_long: '--max-chars: a column longer than its maximum',
  too_many_tokens: '--max-tokens: the rendered conversation is over the budget',
  pii: '--pii reject: personal data found',
  duplicate: '--dedup: an exact duplicate of an earlier pair',
  near_duplicate: '--dedup near: a near duplicate of an earlier pair',
  contaminated: '--decontaminate: shares an n-gram with an evaluation set',
};

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:72em;color:#222;padding:0 1em}
h1{font-size:1.5em;margin:.2em 0 .6em}h2{font-size:1.2em;margin:1.2em 0 .4em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.passed{color:#1a7f37;font-weight:bold}.failed{color:#c62828;font-weight:bold}.none{color:#888}
#verdict{border:2px solid #ccc;border-radius:6px;padding:.4em 1em}#verdict.gate-passed{border-color:#1a7f37}#verdict.gate-failed{border-color:#c62828}
#verdict h2{margin-top:.2em}#verdict .headline{font-size:1.2em;margin:.2em 0}#verdict td{font-weight:normal}
#summary p{max-width:60em}
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{max-width:100%;overflow-x:auto}.chart svg{display:block}
.example{border:1px solid #ddd;margin:.5em 0;padding:.5em}.sides{display:flex;gap:1em}.side{flex:1;min-width:0;overflow-wrap:anywhere}.side th{white-space:nowrap}
.tag{display:inline-block;background:#eef;padding:0 .4em;margin-right:.4em}
`;

/** report.html from the report.json object. */
export async function renderReportHtml(report: Record<string, Json>, options: { title: string }): Promise<string> {
  const groups = (report.groups as GroupReport[] | undefined) ?? [];
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Quality report: ${escapeHtml(options.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Quality report: ${escapeHtml(options.title)}</h1>`,
    renderVerdict((report.thresholds as Threshold[] | undefined) ?? []),
    `<section id="summary"><h2>In short</h2>\n<p>${summarySentences(report, groups).join(' ')}</p>\n</section>`,
    renderReasons(report),
    '<section id="charts"><h2>Charts</h2>',
  ];
  for (const group of groups) parts.push(await renderCharts(group));
  parts.push('</section>');
  if (report.pii !== undefined) parts.push(renderSection('pii', 'Personal data (PII)', report.pii));
  if (report.duplicates !== undefined) parts.push(renderSection('duplicates', 'Duplicates', report.duplicates));
  if (report.contamination !== undefined) parts.push(renderSection('contamination', 'Contamination', report.contamination));
  if (report.tiers !== undefined) parts.push(renderSection('tiers', 'Tiers', report.tiers));
  if (report.preference !== undefined) parts.push(renderSection('preference', 'Preference data (KTO, DPO)', report.preference));
  for (const group of groups) parts.push(renderGroupTables(group));
  parts.push(
    '<section id="numbers"><h2>All counts, metrics and settings</h2>',
    '<h3>Counts</h3>',
    renderJson(report.counts),
    '<h3>Metrics</h3>',
    renderMetrics((report.metrics as Record<string, number> | undefined) ?? {}),
    '<h3>Settings</h3>',
    renderJson(report.settings),
    '</section>',
    '</body></html>',
    '',
  );
  return parts.join('\n');
}

/** A metric's value as report.html shows it: a share as a percentage, a count with separators. */
function formatMetric(metric: string, value: number): string {
  return isShareMetric(metric) ? formatShare(value) : formatCount(value);
}

/** The metric a rule names: `pii>0` → `pii`. */
function ruleMetric(rule: string): string {
  return /^[a-z_]+/.exec(rule)?.[0] ?? rule;
}

/** 1. The verdict: every --fail-on rule as written with its measured value and pass/fail. */
function renderVerdict(thresholds: readonly Threshold[]): string {
  if (thresholds.length === 0) {
    return '<section id="verdict" class="gate-none"><h2>Verdict</h2>\n<p class="headline">No gate set: no <code>--fail-on</code> rule was given, so nothing was checked against a limit.</p>\n</section>';
  }
  const failed = thresholds.filter((result) => !result.passed).length;
  const headline =
    failed === 0
      ? `<p class="headline passed">Pass: all ${formatCount(thresholds.length)} <code>--fail-on</code> rules hold.</p>`
      : `<p class="headline failed">Fail: ${formatCount(failed)} of ${formatCount(thresholds.length)} <code>--fail-on</code> rules failed.</p>`;
  const rows = thresholds
    .map((result) => {
      const verdict = result.passed ? 'pass' : 'fail';
      return `<tr><td><code>${escapeHtml(result.rule)}</code></td><td class="num">${formatMetric(ruleMetric(result.rule), result.value)}</td><td class="${result.passed ? 'passed' : 'failed'}">${verdict}</td></tr>`;
    })
    .join('\n');
  return [
    `<section id="verdict" class="${failed === 0 ? 'gate-passed' : 'gate-failed'}"><h2>Verdict</h2>`,
    headline,
    '<table><thead><tr><th>rule (fails when it holds)</th><th>measured</th><th>result</th></tr></thead><tbody>',
    rows,
    '</tbody></table>',
    '</section>',
  ].join('\n');
}

/** A list in words: `a, b and c`. */
function inWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}


/** A failure_reason as the page names it: qa-hf's own as code, the input's (free text, often a sentence) in quotes, '' as a row without one. */
function reasonText(reason: string): string {
  if (reason === '') return '<span class="none">(no reason given)</span>';
  return Object.hasOwn(REASON_ORIGINS, reason) ? `<code>${escapeHtml(reason)}</code>` : `“${escapeHtml(reason)}”`;
}

/** How many reasons the paragraph names before it points to the table. */
const SUMMARY_REASONS = 5;

/** 2. The paragraph in words, as sentences (HTML; data escaped). */
function summarySentences(report: Record<string, Json>, groups: readonly GroupReport[]): string[] {
  const sentences: string[] = [];
  const counts = isObject(report.counts) ? report.counts : {};
  const pairs = numberAt(counts, 'pairs') ?? 0;
  // Written, per split (the groups of channel pairs, in the plan's order).
  const perSplit = groups.filter((group) => group.channel === 'pairs').map((group) => `${formatCount(group.records)} to <b>${escapeHtml(group.split)}</b>`);
  sentences.push(`<b>${formatCounted(pairs, 'pair')} written</b>${perSplit.length > 0 ? `: ${inWords(perSplit)}` : ''}.`);
  const notSampled = numberAt(counts, 'not_sampled');
  if (notSampled) sentences.push(`${formatCounted(notSampled, 'passed pair')} left out of the sample (<code>--target-samples</code>).`);
  // Rejected, by reason.
  const reasons = Array.isArray(report.rejected_reasons) ? (report.rejected_reasons as { reason: string; count: number }[]) : null;
  const rejected = reasons ? reasons.reduce((sum, item) => sum + item.count, 0) : (numberAt(counts, 'rejected') ?? 0);
  if (rejected === 0) sentences.push('<b>No row rejected.</b>');
  else {
    const named = (reasons ?? []).slice(0, SUMMARY_REASONS).map((item) => `${formatCount(item.count)} ${reasonText(item.reason)}`);
    const more = (reasons?.length ?? 0) - named.length;
    sentences.push(`<b>${formatCounted(rejected, 'row')} rejected</b>${named.length > 0 ? `: ${inWords(more > 0 ? [...named, `${formatCounted(more, 'other reason')} (table below)`] : named)}` : ''}.`);
  }
  const errors = numberAt(counts, 'errors') ?? 0;
  if (errors > 0) sentences.push(`${formatCounted(errors, 'bad line')} went to <code>qa_errors.jsonl</code>.`);
  if (isObject(report.pii)) sentences.push(piiSentence(report.pii));
  if (isObject(report.duplicates)) sentences.push(duplicatesSentence(report.duplicates));
  if (isObject(report.contamination)) sentences.push(contaminationSentence(report.contamination));
  const tokens = tokensSentence(report, groups);
  if (tokens !== null) sentences.push(tokens);
  return sentences;
}

/** Personal data found, by kind, and what --pii did to it. */
function piiSentence(pii: Record<string, Json>): string {
  const mode = typeof pii.mode === 'string' ? pii.mode : 'report';
  const records = numberAt(pii, 'records') ?? 0;
  const written = numberAt(pii, 'records_written') ?? 0;
  const kinds = Object.entries(pii)
    .filter(([, value]) => isObject(value) && typeof value.matches === 'number' && value.matches > 0)
    .map(([kind, value]) => `${formatCount(numberAt(value, 'matches')!)} ${escapeHtml(kind)}`);
  const option = `<code>--pii ${escapeHtml(mode)}</code>`;
  if (records === 0) {
    const scanned = numberAt(pii, 'records_scanned');
    return `<b>Personal data: none found</b>${scanned === undefined ? '' : ` in ${formatCounted(scanned, 'record')} scanned`} (${option}).`;
  }
  const found = `<b>Personal data: ${formatCounted(records, 'record')} with a match</b> (${inWords(kinds)})`;
  if (mode === 'redact') return `${found}; ${option} replaced every match by its placeholder (<code>[PERSONNUMMER]</code>, <code>[EMAIL]</code>, …) in every file written; ${formatCounted(written, 'record')} written with a match.`;
  if (mode === 'reject') return `${found}; ${option} moved the pairs with one to rejected (<code>pii</code>) and replaced every match by its placeholder; ${formatCounted(written, 'record')} written with a match.`;
  return `${found}; ${option} counted them and left them as they were: <b class="failed">${formatCounted(written, 'record')} written hold personal data</b> — export with <code>--pii redact</code> before publishing.`;
}

/** Exact and near duplicates beyond the first of their group, what --dedup did, and the split leaks. */
function duplicatesSentence(duplicates: Record<string, Json>): string {
  const exact = numberAt(duplicates, 'exact', 'records') ?? 0;
  const near = numberAt(duplicates, 'near', 'records') ?? 0;
  const nearChecked = !Array.isArray(duplicates.checked) || duplicates.checked.includes('near');
  const mode = typeof duplicates.mode === 'string' ? duplicates.mode : null;
  const found = nearChecked ? `${formatCounted(exact, 'exact duplicate')} and ${formatCounted(near, 'near duplicate')}` : formatCounted(exact, 'exact duplicate');
  const done = mode === 'off' ? 'counted and left in the data (<code>--dedup off</code>)' : mode ? `moved to rejected (<code>--dedup ${escapeHtml(mode)}</code>)` : '';
  const leaks = numberAt(duplicates, 'across_splits');
  const leakText = leaks === undefined ? '' : leaks === 0 ? '; none has its first copy in another split' : `; <b>${formatCount(leaks)} ${leaks === 1 ? 'has its' : 'have their'} first copy in another split</b> (<code>leaks</code>)`;
  return `<b>Duplicates: ${found}</b> beyond the first of their group${done ? `, ${done}` : ''}${leakText}${nearChecked ? '' : '; near duplicates not looked for'}.`;
}

/** --decontaminate: pairs that share an n-gram with an evaluation set, per file. */
function contaminationSentence(contamination: Record<string, Json>): string {
  const records = numberAt(contamination, 'records') ?? 0;
  const ngram = numberAt(contamination, 'ngram');
  const files = (Array.isArray(contamination.files) ? contamination.files : []).filter(isObject);
  const perFile = files.map((file) => `${formatCount(numberAt(file, 'records') ?? 0)} with <code>${escapeHtml(String(file.file))}</code>`);
  const what = `share a${ngram === undefined ? 'n n-gram' : ` ${formatCount(ngram)}-word n-gram`} with an evaluation set`;
  if (records === 0) return `<b>Contamination: no pair</b> ${what.replace(/^share/, 'shares')} (${inWords(files.map((file) => `<code>${escapeHtml(String(file.file))}</code>`))}).`;
  return `<b>Contamination: ${formatCounted(records, 'pair')}</b> ${what} and went to rejected (<code>contaminated</code>)${perFile.length > 1 ? `: ${inWords(perFile)}` : ''}.`;
}

/** The context length TRL's SFTTrainer cuts at by default (max_length 1024): the share over it is the one the paragraph names. */
const TRAINER_DEFAULT_TOKENS = '1024';

/** The token budget: the written pairs' rendered conversations per split, and the pairs --max-tokens moved. */
function tokensSentence(report: Record<string, Json>, groups: readonly GroupReport[]): string | null {
  const metrics = isObject(report.metrics) ? report.metrics : {};
  const moved = numberAt(metrics, 'too_many_tokens');
  const measured = groups.filter((group) => group.channel === 'pairs' && group.conversation_tokens !== undefined);
  if (measured.length === 0 && moved === undefined) return null;
  const perSplit = measured.map((group) => {
    const tokens = group.conversation_tokens!;
    const over = tokens.share_over[TRAINER_DEFAULT_TOKENS];
    return `<b>${escapeHtml(group.split)}</b> at most ${formatCount(tokens.max ?? 0)} tokens${over === undefined ? '' : `, ${formatShare(over)} over ${formatCount(Number(TRAINER_DEFAULT_TOKENS))}`}`;
  });
  const parts: string[] = [];
  if (perSplit.length > 0) parts.push(`the written pairs' conversations, rendered with the chat template, have ${inWords(perSplit)}`);
  if (moved !== undefined) parts.push(`<code>--max-tokens</code> moved ${formatCounted(moved, 'pair')} over the budget to rejected (<code>too_many_tokens</code>)`);
  return `<b>Token budget:</b> ${parts.join('; ')}.`;
}

/** 3. Every rejected row by failure_reason: count, share of the rejected, and the qa-hf rule that gives it. */
function renderReasons(report: Record<string, Json>): string {
  const reasons = Array.isArray(report.rejected_reasons) ? (report.rejected_reasons as { reason: string; count: number }[]) : [];
  const total = reasons.reduce((sum, item) => sum + item.count, 0);
  if (total === 0) return '<section id="reasons"><h2>Rejected rows by reason</h2>\n<p class="none">No row was rejected.</p>\n</section>';
  const rows = reasons.map(
    (item) =>
      `<tr><td>${reasonText(item.reason)}</td><td class="num">${formatCount(item.count)}</td><td class="num">${formatShare(item.count / total)}</td><td>${escapeHtml(REASON_ORIGINS[item.reason] ?? 'given by the input')}</td></tr>`,
  );
  return [
    '<section id="reasons"><h2>Rejected rows by reason</h2>',
    '<table><thead><tr><th>failure_reason</th><th>rows</th><th>share of rejected</th><th>from</th></tr></thead><tbody>',
    ...rows,
    `<tr><th>all</th><td class="num"><b>${formatCount(total)}</b></td><td class="num">${formatShare(1)}</td><td></td></tr>`,
    '</tbody></table>',
    '</section>',
  ].join('\n');
}

/** The metrics as a table: shares as percentages, counts with separators. */
function renderMetrics(metrics: Record<string, number>): string {
  const rows = Object.entries(metrics).map(([metric, value]) => `<tr><th>${escapeHtml(metric)}</th><td class="num">${formatMetric(metric, value)}</td></tr>`);
  return rows.length === 0 ? '<span class="none">none</span>' : `<table class="keys"><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function groupName(group: GroupReport): string {
  return `${group.split} / ${group.channel}`;
}

/** One split and channel's charts: validation_score, question and answer lengths, personas. */
async function renderCharts(group: GroupReport): Promise<string> {
  const name = groupName(group);
  const charts: string[] = [];
  const scores = group.validation_score_histogram.map((bin) => ({ label: bin.range, count: bin.count }));
  charts.push(await barChartSvg(`validation_score (${name})`, scores, { x: 'validation_score', y: 'records' }));
  for (const [column, lengths] of Object.entries(group.columns)) {
    if (column !== 'question' && column !== 'answer') continue;
    const bins = lengths.chars.histogram.map((bin) => ({ label: bin.range, count: bin.count }));
    charts.push(await barChartSvg(`${column} length in characters (${name})`, bins, { x: 'characters', y: 'records' }));
  }
  if (group.personas.top.length > 0) {
    const items = group.personas.top.map((item) => ({ label: item.name, count: item.count }));
    if (group.personas.other > 0) items.push({ label: '(other)', count: group.personas.other });
    charts.push(await barChartSvg(`personas (${name})`, items, { x: 'persona', y: 'records' }));
  }
  return [`<h3>${escapeHtml(name)}: ${formatCounted(group.records, 'record')}</h3>`, `<div class="charts">${charts.map((svg) => `<div class="chart">${svg}</div>`).join('\n')}</div>`].join('\n');
}

/** One split and channel's tables: lengths, conversation tokens, answers, language, source documents, personas. */
function renderGroupTables(group: GroupReport): string {
  const lengthRows: string[] = [];
  for (const [column, measures] of Object.entries(group.columns)) {
    for (const [unit, stats] of Object.entries(measures)) {
      const cells = [stats.count, stats.min, stats.p50, stats.p90, stats.p99, stats.max, stats.mean].map((value) => `<td${numeric(value)}>${renderJson(value)}</td>`).join('');
      lengthRows.push(`<tr><th>${escapeHtml(column)}</th><td>${escapeHtml(unit)}</td>${cells}</tr>`);
    }
  }
  return [
    `<section class="group"><h2>${escapeHtml(groupName(group))}: ${formatCounted(group.records, 'record')}</h2>`,
    '<h3>Lengths</h3>',
    `<table><thead><tr><th>column</th><th>unit</th><th>count</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>max</th><th>mean</th></tr></thead><tbody>\n${lengthRows.join('\n')}\n</tbody></table>`,
    ...(group.conversation_tokens === undefined ? [] : ['<h3>Conversation tokens (chat template)</h3>', renderJson(group.conversation_tokens)]),
    '<h3>Answers</h3>',
    renderJson(group.answers),
    '<h3>Language</h3>',
    renderJson(group.language),
    '<h3>Source documents</h3>',
    renderJson(group.source_documents),
    '<h3>Personas</h3>',
    renderJson(group.personas),
    '</section>',
  ].join('\n');
}
