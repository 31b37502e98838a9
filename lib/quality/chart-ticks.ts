/**
 * chart-ticks — the scale arithmetic of report.html's bar chart (lib/quality/bar-chart-svg.ts),
 * as vega computes it through d3: d3-array's ticks (3.2.5), d3-scale's linear nice() with its
 * default count, and vega's formatSpan (d3-format ",.Nf" at the ticks' precision), with the
 * same floating-point operations in the same order (test/bar-chart-svg.test.ts compares the
 * charts with vega's).
 *
 *   niceDomain(0, 262)          // [0, 280]
 *   ticks(0, 280, 4)            // [0, 50, 100, 150, 200, 250]
 *   spanFormat(0, 280, 4)(1000) // '1,000'
 */

// d3-array's ticks (3.2.5), for a start ≤ stop.
const E10 = Math.sqrt(50);
const E5 = Math.sqrt(10);
const E2 = Math.sqrt(2);
function tickSpec(start: number, stop: number, count: number): [number, number, number] {
  const step = (stop - start) / Math.max(0, count);
  const power = Math.floor(Math.log10(step));
  const error = step / Math.pow(10, power);
  const factor = error >= E10 ? 10 : error >= E5 ? 5 : error >= E2 ? 2 : 1;
  let i1: number;
  let i2: number;
  let inc: number;
  if (power < 0) {
    inc = Math.pow(10, -power) / factor;
    i1 = Math.round(start * inc);
    i2 = Math.round(stop * inc);
    if (i1 / inc < start) ++i1;
    if (i2 / inc > stop) --i2;
    inc = -inc;
  } else {
    inc = Math.pow(10, power) * factor;
    i1 = Math.round(start / inc);
    i2 = Math.round(stop / inc);
    if (i1 * inc < start) ++i1;
    if (i2 * inc > stop) --i2;
  }
  if (i2 < i1 && 0.5 <= count && count < 2) return tickSpec(start, stop, count * 2);
  return [i1, i2, inc];
}
export function ticks(start: number, stop: number, count: number): number[] {
  if (start === stop) return [start];
  const [i1, i2, inc] = tickSpec(start, stop, count);
  if (!(i2 >= i1)) return [];
  const n = i2 - i1 + 1;
  const out: number[] = new Array<number>(n);
  if (inc < 0) for (let i = 0; i < n; ++i) out[i] = (i1 + i) / -inc;
  else for (let i = 0; i < n; ++i) out[i] = (i1 + i) * inc;
  return out;
}
const tickIncrement = (start: number, stop: number, count: number) => tickSpec(start, stop, count)[2];
function tickStep(start: number, stop: number, count: number): number {
  const inc = tickIncrement(start, stop, count);
  return inc < 0 ? 1 / -inc : inc;
}

/** d3-scale's linear nice() with its default count (10), for a domain [start, stop], start ≤ stop. */
export function niceDomain(start: number, stop: number): [number, number] {
  let prestep: number | undefined;
  for (let maxIter = 10; maxIter-- > 0; ) {
    const step = tickIncrement(start, stop, 10);
    if (step === prestep) return [start, stop];
    else if (step > 0) {
      start = Math.floor(start / step) * step;
      stop = Math.ceil(stop / step) * step;
    } else if (step < 0) {
      start = Math.ceil(start * step) / step;
      stop = Math.floor(stop * step) / step;
    } else break;
    prestep = step;
  }
  return [start, stop];
}

/** d3-format's exponent of a number's decimal form. */
function decimalExponent(x: number): number {
  if (!isFinite(x) || x === 0) return NaN;
  const text = Math.abs(x).toExponential();
  return +text.slice(text.indexOf('e') + 1);
}

/** vega's formatSpan: d3-format ",.Nf" with N from the tick step of [start, stop] in `count` ticks. */
export function spanFormat(start: number, stop: number, count: number): (value: number) => string {
  const precision = Math.max(0, -decimalExponent(Math.abs(tickStep(start, stop, count))));
  return (value) => {
    const [integer, fraction] = value.toFixed(Number.isNaN(precision) ? 6 : precision).split('.');
    const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return fraction === undefined ? grouped : `${grouped}.${fraction}`;
  };
}
