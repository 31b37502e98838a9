/**
 * report-html — report.html from the report.json object: one self-contained
 * file (no script, no network: a Content-Security-Policy forbids both), a
 * summary with the thresholds passed or failed, then per split and channel the
 * counts, the length table and charts, then the PII, duplicates and tiers
 * sections as their helpers gave them (masked PII examples, duplicate examples
 * side by side). Charts are inline SVG: vega-lite → vega's headless renderer's
 * bytes, drawn by lib/quality/bar-chart-svg.ts without loading vega (vega itself
 * for what that does not cover); rendering is async, so it runs once, at the end.
 *
 *   const html = await renderReportHtml(buildReport(accumulator, inputs), { title: 'dist' });
 *
 * Every text that comes from data (names, examples, column names) is escaped.
 */
import type { TopLevelSpec } from 'vega-lite';
import { barChartSvgDirect } from './bar-chart-svg';

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

/** Any JSON value as HTML: scalars as text, arrays of objects as a table, objects as a key table. */
export function renderJson(value: Json): string {
  if (value === null || value === undefined) return '<span class="none">–</span>';
  if (typeof value !== 'object') return escapeHtml(String(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return '<span class="none">none</span>';
    if (value.every(isObject)) {
      const keys = [...new Set(value.flatMap((item) => Object.keys(item)))];
      const head = keys.map((key) => `<th>${escapeHtml(key)}</th>`).join('');
      const rows = value.map((item) => `<tr>${keys.map((key) => `<td>${renderJson(item[key])}</td>`).join('')}</tr>`).join('\n');
      return `<table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
    }
    return value.map((item) => renderJson(item)).join(', ');
  }
  const rows = Object.entries(value).map(([key, item]) => `<tr><th>${escapeHtml(key)}</th><td>${renderJson(item)}</td></tr>`);
  return `<table class="keys"><tbody>\n${rows.join('\n')}\n</tbody></table>`;
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
      const header = plain.map(([key, value]) => `<span class="tag">${escapeHtml(key)}: ${renderJson(value)}</span>`).join(' ');
      const columns = sides.map(([key, value]) => `<div class="side"><h4>${escapeHtml(key)}</h4>${renderJson(value)}</div>`).join('');
      return `<div class="example">${header}<div class="sides">${columns}</div></div>`;
    })
    .join('\n');
}

/** A quality section (pii, duplicates, tiers): its examples as cards, the rest as tables. */
function renderSection(title: string, section: Json): string {
  if (!isObject(section)) return '';
  const { examples, ...rest } = section;
  const parts = [`<section><h2>${escapeHtml(title)}</h2>`, renderJson(rest)];
  if (Array.isArray(examples)) parts.push(`<h3>Examples</h3>`, renderExamples(examples));
  parts.push('</section>');
  return parts.join('\n');
}

interface Bin {
  range: string;
  count: number;
}

interface GroupReport {
  split: string;
  channel: string;
  records: number;
  columns: Record<string, Record<string, { count: number; min: number | null; p50: number | null; p90: number | null; p99: number | null; max: number | null; mean: number | null; histogram: Bin[] }>>;
  validation_score_histogram: Bin[];
  personas: { top: { name: string; count: number }[]; other: number };
  source_documents: { top: { name: string; count: number }[]; other: number };
  answers: Record<string, number>;
  language: Record<string, Json>;
  /** With --tokenizer MODEL_FOLDER: the rendered conversations' tokens and the shares over 512…4096. */
  conversation_tokens?: Json;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.passed{color:#1a7f37;font-weight:bold}.failed{color:#c62828;font-weight:bold}
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart svg{display:block}.none{color:#888}
.example{border:1px solid #ddd;margin:.5em 0;padding:.5em}.sides{display:flex;gap:1em}.side{flex:1;min-width:0;overflow-wrap:anywhere}
.tag{display:inline-block;background:#eef;padding:0 .4em;margin-right:.4em}
`;

/** report.html from the report.json object. */
export async function renderReportHtml(report: Record<string, Json>, options: { title: string }): Promise<string> {
  const thresholds = (report.thresholds as { rule: string; value: number; passed: boolean }[]) ?? [];
  const failed = thresholds.filter((result) => !result.passed).length;
  const verdict =
    thresholds.length === 0
      ? '<p>No thresholds set (<code>--fail-on</code>).</p>'
      : failed === 0
        ? `<p class="passed">All ${thresholds.length} thresholds passed.</p>`
        : `<p class="failed">${failed} of ${thresholds.length} thresholds failed.</p>`;
  const thresholdRows = thresholds
    .map((result) => `<tr><td><code>${escapeHtml(result.rule)}</code></td><td>${escapeHtml(String(result.value))}</td><td class="${result.passed ? 'passed' : 'failed'}">${result.passed ? 'passed' : 'failed'}</td></tr>`)
    .join('\n');
  const parts: string[] = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Quality report: ${escapeHtml(options.title)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>Quality report: ${escapeHtml(options.title)}</h1>`,
    '<section><h2>Summary</h2>',
    verdict,
    thresholds.length ? `<table><thead><tr><th>rule</th><th>value</th><th>result</th></tr></thead><tbody>\n${thresholdRows}\n</tbody></table>` : '',
    '<h3>Counts</h3>',
    renderJson(report.counts),
    '<h3>Metrics</h3>',
    renderJson(report.metrics),
    '<h3>Settings</h3>',
    renderJson(report.settings),
    '</section>',
  ];
  for (const group of (report.groups as GroupReport[]) ?? []) parts.push(await renderGroup(group));
  if (report.pii !== undefined) parts.push(renderSection('Personal data (PII)', report.pii));
  if (report.duplicates !== undefined) parts.push(renderSection('Duplicates', report.duplicates));
  if (report.tiers !== undefined) parts.push(renderSection('Tiers', report.tiers));
  parts.push('</body></html>', '');
  return parts.join('\n');
}

async function renderGroup(group: GroupReport): Promise<string> {
  const name = `${group.split} / ${group.channel}`;
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
  const lengthRows: string[] = [];
  for (const [column, measures] of Object.entries(group.columns)) {
    for (const [unit, stats] of Object.entries(measures)) {
      const cells = [stats.count, stats.min, stats.p50, stats.p90, stats.p99, stats.max, stats.mean].map((value) => `<td>${renderJson(value)}</td>`).join('');
      lengthRows.push(`<tr><th>${escapeHtml(column)}</th><td>${escapeHtml(unit)}</td>${cells}</tr>`);
    }
  }
  return [
    `<section><h2>${escapeHtml(name)}: ${group.records} records</h2>`,
    `<div class="charts">${charts.map((svg) => `<div class="chart">${svg}</div>`).join('\n')}</div>`,
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
