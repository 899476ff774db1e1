import { linePath, timeLabel, valueAxis, xOf, yOf, type Frame } from '../model/chart-scale.ts';
import type { MetricPoint } from '../model/metric-series.ts';

const W = 420;
const H = 170;
const PAD = { left: 56, right: 12, top: 10, bottom: 24 };

export interface ChartLine {
  /** Shown in the legend and in each point's tooltip. */
  label: string;
  /** `line-0`…`line-3`: a stroke colour per theme (styles.css). */
  tone: string;
  points: readonly MetricPoint[];
}

/**
 * A small line chart of metric series over the page's time window: a 0-based value axis
 * with round ticks, one line per series (gaps where a step has no value) and a dot per
 * value with its time and value as a tooltip. Values reach the page as text nodes only.
 */
export function MetricChart({
  title,
  lines,
  window,
  format,
  testId,
}: {
  title: string;
  lines: readonly ChartLine[];
  window: { startMs: number; endMs: number };
  format: (v: number) => string;
  testId: string;
}) {
  let max = 0;
  let count = 0;
  for (const l of lines)
    for (const p of l.points)
      if (p.v !== null) {
        count++;
        if (p.v > max) max = p.v;
      }
  const axis = valueAxis(max);
  const f: Frame = {
    startMs: window.startMs,
    endMs: window.endMs,
    max: axis.max,
    left: PAD.left,
    right: W - PAD.right,
    top: PAD.top,
    bottom: H - PAD.bottom,
  };
  const span = window.endMs - window.startMs;
  const xTicks = [window.startMs, window.startMs + span / 2, window.endMs];
  return (
    <figure class="metric-chart" data-testid={testId} data-points={count}>
      <figcaption>
        <strong>{title}</strong>
        {lines.length > 1 && (
          <span class="legend">
            {lines.map((l) => (
              <span key={l.label} class={`legend-item ${l.tone}`}>
                <i aria-hidden="true" />
                {l.label}
              </span>
            ))}
          </span>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title} over time`}>
        {axis.ticks.map((t) => (
          <g key={t}>
            <line class="grid" x1={f.left} x2={f.right} y1={yOf(f, t)} y2={yOf(f, t)} />
            <text class="axis" x={f.left - 6} y={yOf(f, t) + 4} text-anchor="end">
              {t === 0 ? '0' : format(t)}
            </text>
          </g>
        ))}
        {xTicks.map((t, i) => (
          <text
            key={i}
            class="axis"
            x={xOf(f, t)}
            y={H - 6}
            text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}
          >
            {timeLabel(t, span)}
          </text>
        ))}
        {count === 0 && (
          <text
            class="axis no-data"
            x={(f.left + f.right) / 2}
            y={(f.top + f.bottom) / 2}
            text-anchor="middle"
          >
            no data in this window
          </text>
        )}
        {lines.map((l) => (
          <g key={l.label} class={`series ${l.tone}`} data-series={l.label}>
            <path d={linePath(l.points, f)} />
            {l.points.map((p) =>
              p.v === null ? null : (
                <circle key={p.t} class="pt" cx={xOf(f, p.t)} cy={yOf(f, p.v)} r={2.4}>
                  <title>
                    {l.label} {timeLabel(p.t, span)}: {format(p.v)}
                  </title>
                </circle>
              ),
            )}
          </g>
        ))}
      </svg>
    </figure>
  );
}
