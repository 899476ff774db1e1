import { useState } from 'preact/hooks';
import { formatDuration, formatTimestamp } from '../model/time-format.ts';
import { timeTicks } from '../model/time-ticks.ts';
import { traceUrl } from '../model/route.ts';
import type { TraceSummary } from '../model/search-query.ts';
import { navigate } from '../router.ts';

const W = 1000;
const H = 180;
const PAD = { left: 64, right: 16, top: 12, bottom: 28 };

/** Traces by start time (x) and duration (y); error traces in red; click opens a trace. */
export function ScatterPlot({ summaries }: { summaries: TraceSummary[] }) {
  const [hover, setHover] = useState<TraceSummary | null>(null);
  let minT = Infinity;
  let maxT = -Infinity;
  let maxD = 1;
  let maxSpans = 1;
  for (const s of summaries) {
    minT = Math.min(minT, s.startTime);
    maxT = Math.max(maxT, s.startTime);
    maxD = Math.max(maxD, s.duration);
    maxSpans = Math.max(maxSpans, s.spanCount);
  }
  if (maxT === minT) {
    minT -= 1_000_000;
    maxT += 1_000_000;
  }
  const x = (t: number) => PAD.left + ((t - minT) / (maxT - minT)) * (W - PAD.left - PAD.right);
  const y = (d: number) => H - PAD.bottom - (d / maxD) * (H - PAD.top - PAD.bottom);
  const r = (n: number) => 3 + 5 * Math.sqrt(Math.log1p(n) / Math.log1p(maxSpans));
  const yTicks = timeTicks(0, maxD, 4);
  const xLabels = [minT, (minT + maxT) / 2, maxT];
  return (
    <figure class="scatter" aria-label="Trace durations over time">
      <svg viewBox={`0 0 ${W} ${H}`} role="img">
        {yTicks.map((t) => (
          <g key={t.time}>
            <line class="grid" x1={PAD.left} x2={W - PAD.right} y1={y(t.time)} y2={y(t.time)} />
            <text class="axis" x={PAD.left - 6} y={y(t.time) + 4} text-anchor="end">
              {t.label}
            </text>
          </g>
        ))}
        {xLabels.map((t, i) => (
          <text
            key={i}
            class="axis"
            x={x(t)}
            y={H - 8}
            text-anchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}
          >
            {formatTimestamp(t).slice(11, 19)}
          </text>
        ))}
        {summaries.map((s) => (
          <circle
            key={s.traceId}
            class={s.errorCount > 0 ? 'dot dot-error' : 'dot'}
            cx={x(s.startTime)}
            cy={y(s.duration)}
            r={r(s.spanCount)}
            data-trace-id={s.traceId}
            onMouseEnter={() => setHover(s)}
            onMouseLeave={() => setHover(null)}
            onClick={() => navigate(traceUrl(s.traceId))}
          >
            <title>
              {s.rootService}: {s.rootOperation} — {formatDuration(s.duration)}, {s.spanCount} spans
              {s.errorCount ? `, ${s.errorCount} errors` : ''}
            </title>
          </circle>
        ))}
      </svg>
      <figcaption>
        {hover
          ? `${hover.rootService || '?'}: ${hover.rootOperation || '?'} · ${formatDuration(hover.duration)} · ${hover.spanCount} spans`
          : 'Duration over start time; red = has errors, size = span count. Click a point to open the trace.'}
      </figcaption>
    </figure>
  );
}
