import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { bandCenter, labelIndexes, linear, linePath, niceAxis, shortNumber, sum } from './chart-scale';

export interface ChartSeries {
  name: string;
  values: Array<number | null>;
  /** What the legend and the summary say for the whole range; default: the sum of the values. */
  total?: string;
}

interface Props {
  title: string;
  /** One label per bucket (x axis and the data table's first column). */
  labels: string[];
  series: ChartSeries[];
  kind?: 'line' | 'bar';
  /** Appended to numbers in the summary and the table, e.g. "ms". */
  unit?: string;
}

// Distinct at a glance and each at least 4.5:1 on white (the legend text uses them too).
const COLORS = ['#5b21b6', '#0e7490', '#b45309', '#be123c', '#15803d'];
const HEIGHT = 200;
const PAD = { top: 10, right: 10, bottom: 26, left: 44 };

const fmt = (v: number | null, unit?: string) => (v === null ? 'no data' : `${Number(v.toFixed(2)).toLocaleString()}${unit ? ` ${unit}` : ''}`);

/**
 * A small SVG line or bar chart. Sighted users get axes and a legend; screen readers get a summary
 * (the svg's title and description: every series' total and its peak) and the numbers themselves in
 * a visually hidden table. Drawn at the container's pixel width so labels stay legible at 360 px.
 */
export function Chart({ title, labels, series, kind = 'line', unit }: Props) {
  const id = useId();
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(([e]) => e && setWidth(Math.max(240, Math.floor(e.contentRect.width))));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const totals = series.map((s) => s.total ?? fmt(sum(s.values), unit));
  const summary = series
    .map((s, i) => {
      let peak = -1;
      s.values.forEach((v, j) => v !== null && v > 0 && (peak < 0 || v > s.values[peak]!) && (peak = j));
      return `${s.name}: ${totals[i]}${peak >= 0 ? `, highest ${fmt(s.values[peak]!, unit)} on ${labels[peak]}` : ''}`;
    })
    .join('; ');

  const axis = niceAxis(series.flatMap((s) => s.values));
  const left = PAD.left;
  const right = width - PAD.right;
  const y = linear(axis.min, axis.max, HEIGHT - PAD.bottom, PAD.top);
  const n = labels.length;
  // Labels are ~6.5 px a character at 11 px: as many as fit side by side, each kept inside the chart.
  const labelW = Math.max(...labels.map((l) => l.length), 1) * 6.5;
  const shown = labelIndexes(n, Math.max(2, Math.floor((right - left) / (labelW + 12))));
  const labelX = (i: number) => Math.min(Math.max(bandCenter(i, n, left, right), left + labelW / 2), width - 2 - labelW / 2);
  const band = (right - left) / Math.max(1, n);
  const barW = Math.max(1, (band * 0.8) / Math.max(1, series.length));

  return (
    <figure class="chart-figure">
      <figcaption class="chart-title">{title}</figcaption>
      <div ref={box} class="chart-box">
        <svg class="chart" role="img" aria-labelledby={`${id}-t ${id}-d`} width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`}>
          <title id={`${id}-t`}>{title}</title>
          <desc id={`${id}-d`}>{summary}</desc>
          {axis.ticks.map((t) => (
            <g key={t}>
              <line x1={left} x2={right} y1={y(t)} y2={y(t)} stroke="#e5e7eb" />
              <text x={left - 6} y={y(t) + 4} text-anchor="end" font-size="11" fill="#4b5563">
                {shortNumber(t)}
              </text>
            </g>
          ))}
          {shown.map((i) => (
            <text key={i} x={labelX(i)} y={HEIGHT - 8} text-anchor="middle" font-size="11" fill="#4b5563">
              {labels[i]}
            </text>
          ))}
          {series.every((s) => s.values.every((v) => !v)) && (
            <text x={(left + right) / 2} y={(HEIGHT - PAD.bottom + PAD.top) / 2} text-anchor="middle" font-size="13" fill="#4b5563">
              None in this range
            </text>
          )}
          {series.map((s, si) =>
            kind === 'bar' ? (
              <g key={s.name} fill={COLORS[si % COLORS.length]}>
                {s.values.map((v, i) =>
                  v ? <rect key={i} x={left + band * i + band * 0.1 + barW * si} y={y(Math.max(0, v))} width={barW} height={Math.abs(y(0) - y(v))} /> : null,
                )}
              </g>
            ) : (
              <g key={s.name}>
                <path d={linePath(s.values.map((v, i) => (v === null ? null : [bandCenter(i, n, left, right), y(v)])))} fill="none" stroke={COLORS[si % COLORS.length]} stroke-width="2" />
                {/* Dots on short series, and always on a lone point (a one-point path draws nothing). */}
                {s.values.map((v, i) =>
                  v === null || (n > 31 && (s.values[i - 1] ?? null) !== null) || (n > 31 && (s.values[i + 1] ?? null) !== null) ? null : (
                    <circle key={i} cx={bandCenter(i, n, left, right)} cy={y(v)} r="2.5" fill={COLORS[si % COLORS.length]} />
                  ),
                )}
              </g>
            ),
          )}
        </svg>
      </div>
      <ul class="chart-legend" aria-hidden="true">
        {series.map((s, i) => (
          <li key={s.name} style={{ color: COLORS[i % COLORS.length] }}>
            <span class="swatch" style={{ background: COLORS[i % COLORS.length] }} />
            {s.name}: {totals[i]}
          </li>
        ))}
      </ul>
      {/* A table ignores width: 1px, so the wrapper is what hides it. */}
      <div class="visually-hidden">
      <table>
        <caption>
          {title} — {summary}
        </caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            {series.map((s) => (
              <th key={s.name} scope="col">
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {labels.map((l, i) => (
            <tr key={i}>
              <th scope="row">{l}</th>
              {series.map((s) => (
                <td key={s.name}>{fmt(s.values[i] ?? null, unit)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    </figure>
  );
}
