import { formatDuration } from './time-format.ts';

export interface Tick {
  /** µs from the trace start. */
  time: number;
  /** 0..1 across the visible window. */
  fraction: number;
  label: string;
}

const STEPS = [1, 2, 5];

/**
 * Ticks for a time axis over [from, to] µs (relative to the trace start): a round step
 * (1, 2 or 5 × 10^k µs) giving at most `maxTicks` ticks, first tick at or after `from`.
 */
export function timeTicks(from: number, to: number, maxTicks: number): Tick[] {
  const span = to - from;
  if (!(span > 0) || maxTicks < 1)
    return [{ time: from, fraction: 0, label: formatDuration(from) }];
  const rough = span / maxTicks;
  let magnitude = 10 ** Math.floor(Math.log10(rough));
  let step = 0;
  for (;;) {
    const found = STEPS.find((s) => s * magnitude >= rough);
    if (found !== undefined) {
      step = found * magnitude;
      break;
    }
    magnitude *= 10;
  }
  const ticks: Tick[] = [];
  const first = Math.ceil(from / step - 1e-9) * step;
  for (let k = 0; ; k++) {
    const t = first + k * step;
    if (t > to + step * 1e-9) break;
    // Rounding keeps 0.1 + 0.2 style noise out of the labels.
    const time = Number(t.toPrecision(12));
    ticks.push({ time, fraction: (time - from) / span, label: formatDuration(time) });
  }
  return ticks;
}
