import { InvalidParameterError } from '../errors.ts';
import { addSparse, emptyDense, quantileOf } from '../model/latency-histogram.ts';
import type { SparseHistogram } from '../model/latency-histogram.ts';
import { MAX_POINTS_PER_SERIES, METRICS_MINUTE } from './metrics-reader.ts';
import type { MetricPoint, MetricSeries, MetricsQuery } from './metrics-reader.ts';

/**
 * Evaluates `MetricsReader` queries over per-minute aggregates, for any backend: the
 * backend sums its delta rows per (series, minute) and hands them over ascending by
 * minute; this turns them into one point per step over sliding rate windows (see
 * `MetricsQuery`). Each minute enters and leaves a series' window once, so the cost is
 * the minutes read plus the points made.
 */

/** One series' per-minute sums, as a backend reads them. */
export interface SeriesMinutes<M> {
  service: string;
  /** Set when the query groups by operation. */
  operation?: string;
  /** Ascending by `minute`; several entries may share a minute (delta rows), they add up. */
  minutes: M[];
}

export interface MinuteCalls {
  /** Start of the minute, µs. */
  minute: number;
  calls: number;
  /** Calls with status ERROR. */
  errors: number;
}

export interface MinuteLatency {
  minute: number;
  /** The minute's durations merged over every row of the series. */
  latency: SparseHistogram;
}

/** The times of a query's points and the minutes its windows read. */
export interface QueryPlan {
  /** Point times, µs, ascending. */
  times: number[];
  /** The rate window, µs: a whole number of minutes. */
  window: number;
  /** Minutes with a start in [fromMinute, toMinute) are in some point's window. */
  fromMinute: number;
  toMinute: number;
}

/**
 * Checks a query and lays out its points. Throws `InvalidParameterError` naming the
 * Jaeger API parameter at fault.
 */
export function planMetricsQuery(q: MetricsQuery): QueryPlan {
  if (q.services.length === 0) {
    throw new InvalidParameterError(['service', 'is required: give at least one service name']);
  }
  if (q.spanKinds.length === 0) {
    throw new InvalidParameterError(['spanKind', 'must name at least one span kind']);
  }
  if (!(q.step > 0)) throw new InvalidParameterError(['step', 'must be a positive duration']);
  if (!(q.ratePer > 0)) throw new InvalidParameterError(['ratePer', 'must be a positive duration']);
  if (!(q.lookback >= 0)) throw new InvalidParameterError(['lookback', 'must not be negative']);
  const count = Math.floor(q.lookback / q.step) + 1;
  if (count > MAX_POINTS_PER_SERIES) {
    throw new InvalidParameterError([
      'step',
      `gives ${count} points per series over the lookback, more than ${MAX_POINTS_PER_SERIES}: use a larger step or a shorter lookback`,
    ]);
  }
  const start = q.endTime - q.lookback;
  const times = new Array<number>(count);
  for (let k = 0; k < count; k++) times[k] = start + k * q.step;
  const window = Math.max(1, Math.ceil(q.ratePer / METRICS_MINUTE)) * METRICS_MINUTE;
  const last = times[count - 1];
  return {
    times,
    window,
    fromMinute: Math.ceil((start - window) / METRICS_MINUTE) * METRICS_MINUTE,
    toMinute: Math.ceil(last / METRICS_MINUTE) * METRICS_MINUTE,
  };
}

/**
 * Walks a series' window along the points: `enter(i)` / `leave(i)` as minute `i` comes
 * in or goes out, then `value()` once per point (`changed` is false when the window
 * holds the same minutes as at the previous point).
 */
function slide<M extends { minute: number }>(
  minutes: readonly M[],
  plan: QueryPlan,
  enter: (m: M) => void,
  leave: (m: M) => void,
  value: (changed: boolean) => number,
): MetricPoint[] {
  const points: MetricPoint[] = [];
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < plan.times.length; k++) {
    const t = plan.times[k];
    let changed = k === 0;
    while (hi < minutes.length && minutes[hi].minute < t) {
      enter(minutes[hi++]);
      changed = true;
    }
    while (lo < hi && minutes[lo].minute < t - plan.window) {
      leave(minutes[lo++]);
      changed = true;
    }
    points.push({ time: t, value: value(changed) });
  }
  return points;
}

function hasCalls(s: SeriesMinutes<MinuteCalls>, plan: QueryPlan): boolean {
  for (const m of s.minutes) {
    if (m.calls > 0 && m.minute >= plan.fromMinute && m.minute < plan.toMinute) return true;
  }
  return false;
}

function series<M>(s: SeriesMinutes<M>, points: MetricPoint[]): MetricSeries {
  return s.operation === undefined
    ? { service: s.service, points }
    : { service: s.service, operation: s.operation, points };
}

/** Calls per second over each point's window (0 when it has none). */
export function callRateSeries(
  input: readonly SeriesMinutes<MinuteCalls>[],
  plan: QueryPlan,
): MetricSeries[] {
  const seconds = plan.window / 1_000_000;
  const out: MetricSeries[] = [];
  for (const s of input) {
    if (!hasCalls(s, plan)) continue;
    let calls = 0;
    const points = slide(
      s.minutes,
      plan,
      (m) => (calls += m.calls),
      (m) => (calls -= m.calls),
      () => calls / seconds,
    );
    out.push(series(s, points));
  }
  return out;
}

/** The fraction of each point's window's calls with status ERROR (NaN when it has no calls). */
export function errorRateSeries(
  input: readonly SeriesMinutes<MinuteCalls>[],
  plan: QueryPlan,
): MetricSeries[] {
  const out: MetricSeries[] = [];
  for (const s of input) {
    if (!hasCalls(s, plan)) continue;
    let calls = 0;
    let errors = 0;
    const points = slide(
      s.minutes,
      plan,
      (m) => {
        calls += m.calls;
        errors += m.errors;
      },
      (m) => {
        calls -= m.calls;
        errors -= m.errors;
      },
      () => (calls > 0 ? errors / calls : NaN),
    );
    out.push(series(s, points));
  }
  return out;
}

/**
 * The `quantile` of the durations in each point's window, in milliseconds (NaN when it
 * has none). Counts are integers, so adding and removing minutes keeps them exact.
 */
export function latencySeries(
  input: readonly SeriesMinutes<MinuteLatency>[],
  plan: QueryPlan,
  quantile: number,
): MetricSeries[] {
  const out: MetricSeries[] = [];
  const dense = emptyDense();
  for (const s of input) {
    let seen = false;
    for (const m of s.minutes) {
      if (m.latency.buckets.length > 0 && m.minute >= plan.fromMinute && m.minute < plan.toMinute) {
        seen = true;
        break;
      }
    }
    if (!seen) continue;
    dense.fill(0);
    let last = NaN;
    const points = slide(
      s.minutes,
      plan,
      (m) => addSparse(dense, m.latency),
      (m) => {
        const h = m.latency;
        for (let i = 0; i < h.buckets.length; i++) dense[h.buckets[i]] -= h.counts[i];
      },
      (changed) => {
        if (changed) last = quantileOf(dense, quantile) / 1000;
        return last;
      },
    );
    out.push(series(s, points));
  }
  return out;
}
