/**
 * lib/quality/bar-chart-svg.ts draws report.html's bar chart without vega: its SVG must be
 * vega's, byte for byte. The reference is vega-lite → vega's headless renderer itself
 * (report-html's barChartSvgVega), on charts like the report's and on fuzzed ones (long
 * labels drawn whole, HTML and quotes in labels, padded labels, long titles that widen the
 * chart, counts from 1 to 1e9 so the y labels' precision and width vary, 1 to 60 bars).
 */
import { barChartSvgDirect } from '../lib/quality/bar-chart-svg';
import { barChartSvg, barChartSvgVega } from '../lib/quality/report-html';

type Items = { label: string; count: number }[];

/** A seeded generator (an LCG): the same charts on every run. */
function generator(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

const WORDS = ['a', 'Sjuksköterska erfaren', '0.0-0.1', '(other)', 'x & y <z>', 'läkare "specialist"', 'a persona name long enough to be cut at the label limit', '  padded  ', 'ü', '1,000-2,000', 'tab\there', '😀 emoji'];
const TITLES = ['validation_score (train / pairs)', 'answer length in characters (validation / rejected)', 'personas (a split name so long that the title is wider than the chart / pairs)', 'T', ' padded title '];
const AXES = [
  { x: 'validation_score', y: 'records' },
  { x: 'persona', y: 'records' },
  { x: 'characters', y: 'records' },
];

function fuzzedChart(random: () => number): { title: string; items: Items; axis: { x: string; y: string } } {
  const n = 1 + Math.floor(random() * (random() < 0.2 ? 60 : 12));
  const magnitude = [2, 3, 7, 10, 100, 1000, 1e4, 1e5, 1e6, 1e9][Math.floor(random() * 10)];
  const items: Items = [];
  const used = new Set<string>();
  for (let i = 0; i < n; i++) {
    let label = random() < 0.5 ? `${i * 10}-${i * 10 + 10}` : WORDS[Math.floor(random() * WORDS.length)] + (random() < 0.5 ? ` ${i}` : '');
    if (used.has(label)) label += `#${i}`;
    used.add(label);
    items.push({ label, count: random() < 0.2 ? 0 : Math.floor(random() * magnitude) });
  }
  if (items.every((item) => item.count === 0)) items[0].count = 1;
  return { title: TITLES[Math.floor(random() * TITLES.length)], items, axis: AXES[Math.floor(random() * AXES.length)] };
}

test('the report charts of a small export: the same bytes as vega', async () => {
  const scores: Items = ['0.0-0.1', '0.1-0.2', '0.2-0.3', '0.3-0.4', '0.4-0.5', '0.5-0.6', '0.6-0.7', '0.7-0.8', '0.8-0.9', '0.9-1.0'].map((label, i) => ({ label, count: i < 7 ? 0 : 262 + i }));
  const personas: Items = [
    { label: 'sjukskoterska_erfaren', count: 120 },
    { label: 'lakare_specialist_med_ett_mycket_langt_namn_som_klipps', count: 80 },
    { label: `underskoterska_${'natt_'.repeat(20)}slut`, count: 7 },
    { label: '(other)', count: 1 },
  ];
  for (const [title, items, axis] of [
    ['validation_score (train / pairs)', scores, AXES[0]],
    ['personas (train / rejected)', personas, AXES[1]],
  ] as const) {
    const direct = barChartSvgDirect(title, items, axis);
    expect(direct).not.toBeNull();
    expect(direct).toBe(await barChartSvgVega(title, items, axis));
  }
});

test('no label is cut: every persona name whole, no ellipsis, the axis title below the longest label', () => {
  const long = `underskoterska_${'natt_'.repeat(20)}slut`; // 120 characters: ~960 px of text, more than vega's default maxExtent of 200 px once rotated
  const items: Items = [
    { label: 'lakare_specialist_med_ett_mycket_langt_namn_som_klipps', count: 80 },
    { label: long, count: 7 },
  ];
  const svg = barChartSvgDirect('personas (train / pairs)', items, AXES[1])!;
  for (const item of items) expect(svg).toContain(`>${item.label}</text>`);
  expect(svg).not.toContain('\u2026');
  const labelTop = Number(/<text text-anchor="end" transform="translate\([^,]+,(\d+)\) rotate/.exec(svg)![1]);
  const titleY = Number(/<text text-anchor="middle" transform="translate\(180,([\d.]+)\)"[^>]*>persona</.exec(svg)![1]);
  // The rotated label reaches 960 × sin 40° ≈ 617 px below the axis; the title sits below that.
  expect(titleY - labelTop).toBeGreaterThan(600);
});

test('fuzzed charts: the same bytes as vega', async () => {
  const random = generator(20261207);
  let compared = 0;
  for (let k = 0; k < 150; k++) {
    const { title, items, axis } = fuzzedChart(random);
    const direct = barChartSvgDirect(title, items, axis);
    expect(direct).not.toBeNull();
    const reference = await barChartSvgVega(title, items, axis);
    if (direct !== reference) throw new Error(`differs from vega for ${JSON.stringify({ title, items, axis })}`);
    compared++;
  }
  expect(compared).toBe(150);
});

test.each([
  ['no items', [] as Items],
  ['a repeated label', [{ label: 'a', count: 1 }, { label: 'a', count: 2 }]],
  ['a label that trims to nothing', [{ label: '  ', count: 1 }]],
  ['every count 0', [{ label: 'a', count: 0 }]],
  ['a count that is not whole', [{ label: 'a', count: 1.5 }]],
])('%s: left to vega (barChartSvg still draws it)', async (_name, items) => {
  expect(barChartSvgDirect('t', items, AXES[0])).toBeNull();
  expect(await barChartSvg('t', items, AXES[0])).toBe(await barChartSvgVega('t', items, AXES[0]));
});
