/**
 * bar-chart-svg — report.html's bar chart drawn directly: the same SVG, byte for byte,
 * that vega-lite → vega's headless renderer draws for lib/quality/report-html.ts's
 * bar chart spec (360×160, ordinal x with whole labels at -40° — labelLimit 0, maxExtent 1000 —, linear y from
 * zero, "nice", about four ticks), without loading either (~0.1 s to load, ~12 ms a
 * chart). The one spec is fixed, so its layout is too: what vega computes at run time
 * — the band scale, the nice y domain and its ticks (d3-array's tickSpec, d3-scale's
 * nice), the tick labels' format (d3-format ",.Nf" at the ticks' precision), text
 * widths (vega-scenegraph's estimate without a canvas: 0.8 × characters × font size),
 * label truncation with "…" (the y labels'; x labels are whole), the rotated labels' bounds, the axes' and title's
 * positions and the padding that makes room for them — is computed here with the same
 * floating-point operations in the same order. test/bar-chart-svg.test.ts compares
 * both renderers on fuzzed charts; vega stays the reference and the fallback
 * (barChartSvgDirect returns null for what it does not cover: no items, repeated
 * labels, a label that trims to nothing, counts that are not whole numbers from 0 to
 * 1e12, all counts 0).
 *
 *   barChartSvgDirect('personas (train / pairs)', [{ label: 'a', count: 3 }], { x: 'persona', y: 'records' })
 */

import { niceDomain, spanFormat, ticks } from './chart-ticks';

/** The chart's frame (the spec's width and height). */
const WIDTH = 360;
const HEIGHT = 160;
/** vega-lite's band padding for bars. */
const PADDING_INNER = 0.1;
const PADDING_OUTER = 0.05;
/** The spec's labelAngle -40 as vega stores it, and labelLimit 0: no label is cut. */
const LABEL_ANGLE = 320;
const LABEL_LIMIT = 0;
/** The spec's x axis maxExtent: room for the longest label (vega's default, 200 px, would let the axis title overlap long rotated labels). */
const X_MAX_EXTENT = 1000;
/** vega's defaults: label and title font sizes, tick size, label and title padding, view padding. */
const LABEL_FONT = 10;
const AXIS_TITLE_FONT = 11;
const TITLE_FONT = 13;
const TICK_SIZE = 5;
const LABEL_PADDING = 2;
const TITLE_PADDING = 4;
const TITLE_OFFSET = 4;
const VIEW_PADDING = 5;
/** vega-lite's y tickCount: ceil(height / 40). */
const Y_TICK_COUNT = Math.ceil(HEIGHT / 40);
/** vega-scenegraph's domain caption lists at most this many values of a discrete scale. */
const CAPTION_VALUES = 7;
const DEG_TO_RAD = Math.PI / 180;

/** vega-scenegraph's SVG escapes, for text content and attribute values. */
const innerText = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const attrText = (value: string) =>
  innerText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#x9;').replace(/\n/g, '&#xA;').replace(/\r/g, '&#xD;');

/** vega-scenegraph's text width without a canvas. */
const estimateWidth = (text: string, fontSize: number) => ~~(0.8 * text.length * fontSize);

/** vega-scenegraph's baseline offset (rounded). */
const baselineOffset = (baseline: 'top' | 'middle' | 'bottom', h: number) => Math.round(baseline === 'top' ? 0.79 * h : baseline === 'middle' ? 0.3 * h : -0.21 * h);

/** vega-scenegraph's textValue: trimmed, and cut with an ellipsis past `limit` pixels. */
function textValue(text: string, fontSize: number, limit: number): string {
  text = text.trim();
  if (!(limit > 0) || text.length === 0) return text;
  if (estimateWidth(text, fontSize) < limit) return text;
  const ellipsis = '\u2026';
  limit -= estimateWidth(ellipsis, fontSize);
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = 1 + ((lo + hi) >>> 1);
    if (estimateWidth(text.slice(0, mid), fontSize) < limit) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + ellipsis;
}

/** A bounding box as vega-scenegraph's Bounds keeps it. */
class Box {
  x1 = Number.MAX_VALUE;
  y1 = Number.MAX_VALUE;
  x2 = -Number.MAX_VALUE;
  y2 = -Number.MAX_VALUE;

  set(x1: number, y1: number, x2: number, y2: number): this {
    if (x2 < x1) [this.x1, this.x2] = [x2, x1];
    else [this.x1, this.x2] = [x1, x2];
    if (y2 < y1) [this.y1, this.y2] = [y2, y1];
    else [this.y1, this.y2] = [y1, y2];
    return this;
  }

  add(x: number, y: number): this {
    if (x < this.x1) this.x1 = x;
    if (y < this.y1) this.y1 = y;
    if (x > this.x2) this.x2 = x;
    if (y > this.y2) this.y2 = y;
    return this;
  }

  union(b: Box): this {
    if (b.x1 < this.x1) this.x1 = b.x1;
    if (b.y1 < this.y1) this.y1 = b.y1;
    if (b.x2 > this.x2) this.x2 = b.x2;
    if (b.y2 > this.y2) this.y2 = b.y2;
    return this;
  }

  translate(dx: number, dy: number): this {
    this.x1 += dx;
    this.x2 += dx;
    this.y1 += dy;
    this.y2 += dy;
    return this;
  }

  rotate(angle: number, x: number, y: number): this {
    const { x1, y1, x2, y2 } = this;
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const cx = x - x * cos + y * sin;
    const cy = y - x * sin - y * cos;
    this.x1 = this.y1 = Number.MAX_VALUE;
    this.x2 = this.y2 = -Number.MAX_VALUE;
    return this.add(cos * x1 - sin * y1 + cx, sin * x1 + cos * y1 + cy)
      .add(cos * x1 - sin * y2 + cx, sin * x1 + cos * y2 + cy)
      .add(cos * x2 - sin * y1 + cx, sin * x2 + cos * y1 + cy)
      .add(cos * x2 - sin * y2 + cx, sin * x2 + cos * y2 + cy);
  }
}

/** vega-scenegraph's text bounds (single line) of a text at (x, y). */
function textBounds(text: string, x: number, y: number, fontSize: number, align: 'left' | 'center' | 'right', baseline: 'top' | 'middle' | 'bottom', angle: number): Box {
  const h = fontSize;
  let dx = 0;
  let dy = baselineOffset(baseline, h) - Math.round(0.8 * h);
  const w = estimateWidth(text, fontSize);
  if (align === 'center') dx -= w / 2;
  else if (align === 'right') dx -= w;
  const box = new Box().set((dx += x), (dy += y), dx + w, dy + h);
  return angle ? box.rotate(angle * DEG_TO_RAD, x, y) : box;
}

const LABEL_ATTRS = 'font-family="sans-serif" font-size="10px" fill="#000" opacity="1"';
const TITLE_ATTRS = (size: number) => `font-family="sans-serif" font-size="${size}px" font-weight="bold" fill="#000" opacity="1"`;
const GROUP_OPEN = (transform: string) => `<g transform="${transform}"><path class="background" aria-hidden="true" d="M0,0h0v0h0Z" pointer-events="none"/><g>`;
const GROUP_CLOSE = '</g><path class="foreground" aria-hidden="true" d="" pointer-events="none" display="none"/></g>';

/**
 * The chart's SVG as vega draws it, or null when the items are outside what this
 * renderer reproduces (the caller then asks vega).
 */
export function barChartSvgDirect(title: string, items: readonly { label: string; count: number }[], axis: { x: string; y: string }): string | null {
  const n = items.length;
  if (n === 0) return null;
  const labels = new Set<string>();
  let max = 0;
  for (const item of items) {
    if (typeof item.label !== 'string' || labels.has(item.label) || item.label.trim() === '') return null;
    if (!Number.isInteger(item.count) || item.count < 0 || item.count >= 1e12) return null;
    labels.add(item.label);
    if (item.count > max) max = item.count;
  }
  if (max === 0) return null;

  // x: vega-scale's band scale over [0, WIDTH].
  const space = n - PADDING_INNER + PADDING_OUTER * 2;
  const step = WIDTH / (space || 1);
  const start = 0 + (WIDTH - 0 - step * (n - PADDING_INNER)) * 0.5;
  const bandwidth = step * (1 - PADDING_INNER);
  const bandStart = (i: number) => start + step * i;
  // Ticks and labels sit at the band's middle, offset -0.5 (vega's axisBand tickOffset); ticks rounded.
  const labelX = (i: number) => bandStart(i) + bandwidth * 0.5 + -0.5;

  // y: linear from zero, nice, range [HEIGHT, 0] (d3-scale's normalize and interpolateNumber).
  const [d0, d1] = niceDomain(0, max);
  const span = d1 - d0;
  const y = (value: number) => {
    const t = (value - d0) / span;
    return HEIGHT * (1 - t) + 0 * t;
  };
  const yTicks = ticks(d0, d1, Y_TICK_COUNT);
  const yFormat = spanFormat(d0, d1, Y_TICK_COUNT);
  const yLabels = yTicks.map((value) => yFormat(value));

  // The y axis (left): ticks, labels, extent, title.
  const yAxisBounds = new Box();
  for (const value of yTicks) yAxisBounds.union(expandStroke(0, Math.round(y(value)), -TICK_SIZE, Math.round(y(value))));
  const labelXLeft = -TICK_SIZE - LABEL_PADDING;
  yTicks.forEach((value, i) => yAxisBounds.union(textBounds(textValue(yLabels[i], LABEL_FONT, 180), labelXLeft, y(value), LABEL_FONT, 'right', 'middle', 0)));
  const yExtent = Math.max(0, Math.min(200, -yAxisBounds.x1));
  yAxisBounds.add(-yExtent, 0).add(0, HEIGHT);
  const yTitle = textValue(axis.y, AXIS_TITLE_FONT, 0);
  const yTitleX = -1 * (yExtent + 0 + TITLE_PADDING);
  const yTitleY = HEIGHT + (0 - HEIGHT) * 0.5;
  // vega bounds the title where its encoding put it (x 0), then moves the bounds (vega-view-transforms axisTitleLayout).
  yAxisBounds.union(textBounds(yTitle, 0, yTitleY, AXIS_TITLE_FONT, 'center', 'bottom', -90).translate(-(0 - yTitleX), -0));

  // The x axis (bottom): ticks, rotated labels, extent, title.
  const xLabels = items.map((item) => textValue(item.label, LABEL_FONT, LABEL_LIMIT));
  const xAxisBounds = new Box();
  for (let i = 0; i < n; i++) xAxisBounds.union(expandStroke(Math.round(labelX(i)), 0, Math.round(labelX(i)), TICK_SIZE));
  for (let i = 0; i < n; i++) xAxisBounds.union(textBounds(xLabels[i], labelX(i), TICK_SIZE + LABEL_PADDING, LABEL_FONT, 'right', 'top', LABEL_ANGLE));
  const xExtent = Math.max(0, Math.min(X_MAX_EXTENT, xAxisBounds.y2));
  xAxisBounds.add(0, 0).add(WIDTH, xExtent);
  const xTitle = textValue(axis.x, AXIS_TITLE_FONT, 0);
  const xTitleX = 0 + (WIDTH - 0) * 0.5;
  const xTitleY = 1 * (xExtent + 0 + TITLE_PADDING);
  xAxisBounds.union(textBounds(xTitle, xTitleX, 0, AXIS_TITLE_FONT, 'center', 'top', 0).translate(-0, -(0 - xTitleY)));
  xAxisBounds.translate(0, HEIGHT);

  // The view: the frame, the bars, the axes; then the title above it all.
  const view = new Box().set(0, 0, WIDTH, HEIGHT);
  const bars = items.map((item) => {
    const top = y(item.count);
    const bottom = y(0);
    const x = bandStart(items.indexOf(item));
    const width = Math.max(0.25, bandwidth);
    return { x, y: Math.min(top, bottom), width, height: Math.abs(bottom - top) };
  });
  const barBounds = new Box();
  for (const bar of bars) barBounds.union(new Box().set(bar.x, bar.y, bar.x + bar.width, bar.y + bar.height));
  view.union(barBounds);
  const gridAxis = new Box().set(0, 0, 0, HEIGHT);
  view.union(new Box().set(0, 0, WIDTH, HEIGHT).union(gridAxis).union(yAxisBounds));
  view.union(new Box().set(0, 0, WIDTH, HEIGHT).union(xAxisBounds));
  const titleText = textValue(title, TITLE_FONT, 0);
  const titleBox = textBounds(titleText, 0, 0, TITLE_FONT, 'center', 'top', 0);
  const titleX = (0 + WIDTH) / 2;
  const titleY = view.y1 - (titleBox.y2 - titleBox.y1) - TITLE_OFFSET;
  view.union(titleBox.translate(titleX, titleY));

  const left = Math.max(0, Math.ceil(-view.x1));
  const top = Math.max(0, Math.ceil(-view.y1));
  const right = Math.max(0, Math.ceil(view.x2 - WIDTH));
  const bottom = Math.max(0, Math.ceil(view.y2 - HEIGHT));
  const svgWidth = WIDTH + left + right + 2 * VIEW_PADDING;
  const svgHeight = HEIGHT + top + bottom + 2 * VIEW_PADDING;

  const caption = (values: readonly string[]) =>
    `${values.length} value${values.length === 1 ? '' : 's'}: ${values.length > CAPTION_VALUES ? `${values.slice(0, CAPTION_VALUES - 2).join(', ')}, ending with ${values[values.length - 1]}` : values.join(', ')}`;
  const domainFormat = spanFormat(d0, d1, 5);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" class="marks" width="${svgWidth}" height="${svgHeight}" viewBox="0 0 ${svgWidth} ${svgHeight}">`,
    `<rect width="${svgWidth}" height="${svgHeight}" fill="white"/>`,
    `<g fill="none" stroke-miterlimit="10" transform="translate(${left + VIEW_PADDING},${top + VIEW_PADDING})">`,
    '<g class="mark-group role-frame root" role="graphics-object" aria-roledescription="group mark container"><g transform="translate(0,0)">',
    `<path class="background" aria-hidden="true" d="M0.5,0.5h${WIDTH}v${HEIGHT}h-${WIDTH}Z" stroke="#ddd"/><g>`,
  );
  // The grid (an axis of its own, hidden from screen readers).
  out.push('<g class="mark-group role-axis" aria-hidden="true">', GROUP_OPEN('translate(0.5,0.5)'), '<g class="mark-rule role-axis-grid" pointer-events="none">');
  for (const value of yTicks) out.push(`<line transform="translate(0,${Math.round(y(value))})" x2="${WIDTH}" y2="0" stroke="#ddd" stroke-width="1" opacity="1"/>`);
  out.push('</g>', GROUP_CLOSE, '</g>');
  // The x axis.
  const xCaption = `X-axis titled '${axis.x}' for a discrete scale with ${caption(items.map((item) => item.label))}`;
  out.push(`<g class="mark-group role-axis" role="graphics-symbol" aria-roledescription="axis" aria-label="${attrText(xCaption)}">`, GROUP_OPEN(`translate(0.5,${HEIGHT + 0.5})`));
  out.push('<g class="mark-rule role-axis-tick" pointer-events="none">');
  for (let i = 0; i < n; i++) out.push(`<line transform="translate(${Math.round(labelX(i))},0)" x2="0" y2="${TICK_SIZE}" stroke="#888" stroke-width="1" opacity="1"/>`);
  out.push('</g><g class="mark-text role-axis-label" pointer-events="none">');
  const labelDy = baselineOffset('top', LABEL_FONT);
  for (let i = 0; i < n; i++) {
    out.push(`<text text-anchor="end" transform="translate(${labelX(i)},${TICK_SIZE + LABEL_PADDING}) rotate(${LABEL_ANGLE}) translate(0,${labelDy})" ${LABEL_ATTRS}>${innerText(xLabels[i])}</text>`);
  }
  out.push(`</g><g class="mark-rule role-axis-domain" pointer-events="none"><line transform="translate(0,0)" x2="${WIDTH}" y2="0" stroke="#888" stroke-width="1" opacity="1"/></g>`);
  out.push(
    `<g class="mark-text role-axis-title" pointer-events="none"><text text-anchor="middle" transform="translate(${xTitleX},${xTitleY + baselineOffset('top', AXIS_TITLE_FONT)})" ${TITLE_ATTRS(AXIS_TITLE_FONT)}>${innerText(xTitle)}</text></g>`,
    GROUP_CLOSE,
    '</g>',
  );
  // The y axis.
  const yCaption = `Y-axis titled '${axis.y}' for a linear scale with values from ${domainFormat(d0)} to ${domainFormat(d1)}`;
  out.push(`<g class="mark-group role-axis" role="graphics-symbol" aria-roledescription="axis" aria-label="${attrText(yCaption)}">`, GROUP_OPEN('translate(0.5,0.5)'));
  out.push('<g class="mark-rule role-axis-tick" pointer-events="none">');
  for (const value of yTicks) out.push(`<line transform="translate(0,${Math.round(y(value))})" x2="-${TICK_SIZE}" y2="0" stroke="#888" stroke-width="1" opacity="1"/>`);
  out.push('</g><g class="mark-text role-axis-label" pointer-events="none">');
  const yLabelDy = baselineOffset('middle', LABEL_FONT);
  yTicks.forEach((value, i) => {
    out.push(`<text text-anchor="end" transform="translate(${labelXLeft},${y(value) + yLabelDy})" ${LABEL_ATTRS}>${innerText(textValue(yLabels[i], LABEL_FONT, 180))}</text>`);
  });
  out.push(`</g><g class="mark-rule role-axis-domain" pointer-events="none"><line transform="translate(0,${HEIGHT})" x2="0" y2="-${HEIGHT}" stroke="#888" stroke-width="1" opacity="1"/></g>`);
  out.push(
    `<g class="mark-text role-axis-title" pointer-events="none"><text text-anchor="middle" transform="translate(${yTitleX},${yTitleY}) rotate(-90) translate(0,${baselineOffset('bottom', AXIS_TITLE_FONT)})" ${TITLE_ATTRS(AXIS_TITLE_FONT)}>${innerText(yTitle)}</text></g>`,
    GROUP_CLOSE,
    '</g>',
  );
  // The bars.
  out.push('<g class="mark-rect role-mark marks" role="graphics-object" aria-roledescription="rect mark container">');
  items.forEach((item, i) => {
    const bar = bars[i];
    out.push(
      `<path aria-label="${attrText(`${axis.x}: ${item.label}; ${axis.y}: ${item.count}`)}" role="graphics-symbol" aria-roledescription="bar" d="M${bar.x},${bar.y}h${bar.width}v${bar.height}h${-bar.width}Z" fill="#4c78a8"/>`,
    );
  });
  out.push('</g>');
  // The title.
  out.push(
    '<g class="mark-group role-title">',
    GROUP_OPEN(`translate(${titleX},${titleY})`),
    `<g class="mark-text role-title-text" role="graphics-symbol" aria-roledescription="title" aria-label="${attrText(`Title text '${title}'`)}" pointer-events="none">`,
    `<text text-anchor="middle" transform="translate(0,${baselineOffset('top', TITLE_FONT)})" ${TITLE_ATTRS(TITLE_FONT)}>${innerText(titleText)}</text></g>`,
    GROUP_CLOSE,
    '</g>',
  );
  out.push('</g><path class="foreground" aria-hidden="true" d="" display="none"/></g></g></g></svg>');
  return out.join('');
}

/** A rule's bounds as vega-scenegraph keeps them: its end points, widened by the stroke width (1). */
function expandStroke(x1: number, y1: number, x2: number, y2: number): Box {
  const box = new Box().set(x1, y1, x2, y2);
  box.x1 -= 1;
  box.y1 -= 1;
  box.x2 += 1;
  box.y2 += 1;
  return box;
}
