import { InvalidParameterError } from '../errors.ts';
import { emptyDense, quantileOf } from '../model/latency-histogram.ts';
import { MAX_POINTS_PER_SERIES, METRICS_MINUTE } from './metrics-reader.ts';
import type { MetricPoint, MetricSeries, MetricsQuery } from './metrics-reader.ts';

/**
 * Evaluates `MetricsReader` queries over per-minute aggregates, for any backend: the
 * backend sums its delta rows per (series, minute) and hands them over ascending by
 * minute; this turns them into one point per step over sliding rate windows (see
 * `MetricsQuery`). Each minute enters and leaves a series' window once, so the cost is
 * the minutes read plus the points made.
 */

/**
 * One series' per-minute data as a backend reads it, in columns (a query over days reads
 * hundreds of thousands of entries; objects per entry cost more in garbage collection
 * than the arithmetic). Entry `i` is at `minutes[i]`.
 */
export interface SeriesColumns {
  service: string;
  /** Set when the query groups by operation. */
  operation?: string;
  /** Minute starts, µs, ascending; several entries may share a minute (delta rows add up). */
  minutes: number[];
}

export interface CallColumns extends SeriesColumns {
  calls: number[];
  /** Calls with status ERROR. */
  errors: number[];
}

export interface LatencyColumns extends SeriesColumns {
  /** Entry `i`'s histogram is `buckets` / `counts` at [starts[i], starts[i + 1]). */
  starts: number[];
  buckets: number[];
  counts: number[];
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
 * Walks a series' window along the points: `enter(i)` / `leave(i)` as entry `i` comes
 * in or goes out, then `value()` once per point (`changed` is false when the window
 * holds the same entries as at the previous point).
 */
function slide(
  minutes: readonly number[],
  plan: QueryPlan,
  enter: (i: number) => void,
  leave: (i: number) => void,
  value: (changed: boolean) => number,
): MetricPoint[] {
  const points: MetricPoint[] = [];
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < plan.times.length; k++) {
    const t = plan.times[k];
    let changed = k === 0;
    while (hi < minutes.length && minutes[hi] < t) {
      enter(hi++);
      changed = true;
    }
    while (lo < hi && minutes[lo] < t - plan.window) {
      leave(lo++);
      changed = true;
    }
    points.push({ time: t, value: value(changed) });
  }
  return points;
}

/** Whether entry i of the series is in some point's window. */
function inRange(s: SeriesColumns, i: number, plan: QueryPlan): boolean {
  return s.minutes[i] >= plan.fromMinute && s.minutes[i] < plan.toMinute;
}

function hasCalls(s: CallColumns, plan: QueryPlan): boolean {
  for (let i = 0; i < s.minutes.length; i++) if (s.calls[i] > 0 && inRange(s, i, plan)) return true;
  return false;
}

function series(s: SeriesColumns, points: MetricPoint[]): MetricSeries {
  return s.operation === undefined
    ? { service: s.service, points }
    : { service: s.service, operation: s.operation, points };
}

/** Calls per second over each point's window (0 when it has none). */
export function callRateSeries(input: readonly CallColumns[], plan: QueryPlan): MetricSeries[] {
  const seconds = plan.window / 1_000_000;
  const out: MetricSeries[] = [];
  for (const s of input) {
    if (!hasCalls(s, plan)) continue;
    let calls = 0;
    const points = slide(
      s.minutes,
      plan,
      (i) => (calls += s.calls[i]),
      (i) => (calls -= s.calls[i]),
      () => calls / seconds,
    );
    out.push(series(s, points));
  }
  return out;
}

/** The fraction of each point's window's calls with status ERROR (NaN when it has no calls). */
export function errorRateSeries(input: readonly CallColumns[], plan: QueryPlan): MetricSeries[] {
  const out: MetricSeries[] = [];
  for (const s of input) {
    if (!hasCalls(s, plan)) continue;
    let calls = 0;
    let errors = 0;
    const points = slide(
      s.minutes,
      plan,
      (i) => {
        calls += s.calls[i];
        errors += s.errors[i];
      },
      (i) => {
        calls -= s.calls[i];
        errors -= s.errors[i];
      },
      () => (calls > 0 ? errors / calls : NaN),
    );
    out.push(series(s, points));
  }
  return out;
}

/**
 * The `quantile` of the durations in each point's window, in milliseconds (NaN when it
 * has none). Counts are integers, so adding and removing entries keeps them exact.
 */
export function latencySeries(
  input: readonly LatencyColumns[],
  plan: QueryPlan,
  quantile: number,
): MetricSeries[] {
  const out: MetricSeries[] = [];
  const dense = emptyDense();
  for (const s of input) {
    let seen = false;
    for (let i = 0; i < s.minutes.length && !seen; i++) {
      seen = s.starts[i + 1] > s.starts[i] && inRange(s, i, plan);
    }
    if (!seen) continue;
    dense.fill(0);
    let last = NaN;
    const points = slide(
      s.minutes,
      plan,
      (i) => {
        for (let j = s.starts[i]; j < s.starts[i + 1]; j++) dense[s.buckets[j]] += s.counts[j];
      },
      (i) => {
        for (let j = s.starts[i]; j < s.starts[i + 1]; j++) dense[s.buckets[j]] -= s.counts[j];
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
