/**
 * The arithmetic of the dashboard's charts, free of the DOM so it is unit-tested in node
 * (test/web-chart.test.ts): "nice" axis ticks and the mapping of values to SVG coordinates.
 */

/** A step of 1, 2, 2.5 or 5 times a power of ten, at least `rough`: axis labels people read at a glance. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= rough - 1e-12 * power) return m * power;
  return 10 * power;
}

export interface Axis {
  min: number;
  max: number;
  ticks: number[];
}

/**
 * The y axis for some values: starts at 0 (counts and latencies are never negative; a bar from a
 * non-zero base misleads), ends at the first tick at or above the largest value, about `count` ticks.
 * Empty or all-zero data still gets an axis 0..1 so the chart draws a flat line, not NaN.
 */
export function niceAxis(values: Array<number | null | undefined>, count = 4): Axis {
  const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite);
  if (hi === lo) return { min: 0, max: 1, ticks: [0, 1] };
  const step = niceStep((hi - lo) / Math.max(1, count));
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  // Rounded to the step's decimals: 0.1 + 0.2 must label as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  for (let t = min; t <= max + step / 2; t += step) ticks.push(Number(t.toFixed(decimals)));
  return { min, max, ticks };
}

/** A linear map from [d0, d1] onto [r0, r1] (r0 > r1 for an SVG y axis, whose origin is at the top). */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0;
  return (v) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** The x centre of point i of n spread over [left, right]: one point sits in the middle. */
export function bandCenter(i: number, n: number, left: number, right: number): number {
  const band = (right - left) / Math.max(1, n);
  return left + band * (i + 0.5);
}

/** Which of n x labels to print so that at most `max` show (always the first and the last). */
export function labelIndexes(n: number, max: number): number[] {
  if (n <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const every = Math.ceil((n - 1) / Math.max(1, max - 1));
  const out: number[] = [];
  for (let i = 0; i < n - 1; i += every) out.push(i);
  // The last label replaces a neighbour closer than `every`: labels must not overlap.
  if (out.length && n - 1 - out[out.length - 1]! < every) out.pop();
  out.push(n - 1);
  return out;
}

/** A short number for an axis label: 1200 → "1.2k", 3500000 → "3.5M", 0.25 → "0.25". */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => String(Number(x.toFixed(1)));
  if (a >= 1e9) return `${trim(v / 1e9)}B`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return String(Number(v.toFixed(2)));
}

/** The SVG path of a line through the points; a null breaks the line (no data is not zero). */
export function linePath(points: Array<[number, number] | null>): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** The sum of a series (nulls skipped). */
export const sum = (values: Array<number | null>) => values.reduce<number>((a, v) => a + (v ?? 0), 0);
