/**
 * Scales for the Monitor page's small line charts: a value axis from 0 to a round maximum,
 * and SVG paths over time series that break where a step has no value.
 */
import type { MetricPoint } from './metric-series.ts';

export interface ValueAxis {
  /** The top of the axis, a round number ≥ every value (1 when all values are 0). */
  max: number;
  /** Tick values from 0 to max, ascending. */
  ticks: number[];
}

const NICE = [1, 2, 2.5, 5, 10];

/** A 0-based axis whose top is a round number at or above `maxValue`, with ≤ maxTicks+1 ticks. */
export function valueAxis(maxValue: number, maxTicks = 4): ValueAxis {
  if (!(maxValue > 0) || !Number.isFinite(maxValue)) return { max: 1, ticks: [0, 0.5, 1] };
  const rough = maxValue / maxTicks;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = (NICE.find((n) => n * magnitude >= rough) ?? 10) * magnitude;
  const count = Math.max(1, Math.ceil(maxValue / step - 1e-9));
  const ticks: number[] = [];
  // Multiplying (not adding) keeps 0.1-steps free of float drift: 0.30000000000000004.
  for (let i = 0; i <= count; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { max: ticks[ticks.length - 1], ticks };
}

export interface Frame {
  /** Time range shown, ms since the epoch. */
  startMs: number;
  endMs: number;
  /** Value at the top of the plot. */
  max: number;
  /** Plot area in SVG units. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export function xOf(f: Frame, t: number): number {
  const span = f.endMs - f.startMs || 1;
  return f.left + ((t - f.startMs) / span) * (f.right - f.left);
}

export function yOf(f: Frame, v: number): number {
  return f.bottom - (v / (f.max || 1)) * (f.bottom - f.top);
}

/**
 * An SVG path through the points with values, as separate runs where a step has no value
 * (`M…L…M…L…`): a gap is shown as a gap, not as a line across it. Empty for no values.
 */
export function linePath(points: readonly MetricPoint[], f: Frame): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (p.v === null) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : d ? ' M' : 'M'}${xOf(f, p.t).toFixed(1)},${yOf(f, p.v).toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** Hour:minute labels for a time axis, or month-day hour:minute when the window spans days. */
export function timeLabel(t: number, windowMs: number): string {
  const d = new Date(t);
  const pad = (v: number) => String(v).padStart(2, '0');
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return windowMs > 86_400_000 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}` : hm;
}
