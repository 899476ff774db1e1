/**
 * How the Monitor page writes metric values: rates per second, error rates as percentages,
 * latencies (ms on the SPM API) as durations.
 */
import { formatDuration } from './time-format.ts';

function trimmed(v: number, digits: number): string {
  return String(Number(v.toFixed(digits)));
}

/** Calls per second: `120`, `12.5`, `1.25`, `0.0042`; `–` for no value. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return '–';
  const a = Math.abs(perSecond);
  if (a === 0) return '0';
  if (a >= 100) return trimmed(perSecond, 0);
  if (a >= 10) return trimmed(perSecond, 1);
  if (a >= 0.1) return trimmed(perSecond, 2);
  return String(Number(perSecond.toPrecision(2)));
}

/** A fraction 0..1 as a percentage: `0%`, `<0.1%`, `2.5%`, `33%`, `100%`; `–` for no value. */
export function formatPercent(fraction: number | null): string {
  if (fraction === null || !Number.isFinite(fraction)) return '–';
  const pct = fraction * 100;
  if (pct === 0) return '0%';
  if (pct < 0.1) return '<0.1%';
  return `${trimmed(pct, pct < 10 ? 1 : 0)}%`;
}

/** A latency in ms as a duration: `850µs`, `12.3ms`, `1.25s`; `–` for no value. */
export function formatLatencyMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '–';
  return formatDuration(ms * 1000);
}
