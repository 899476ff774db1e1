import type { SpanKind } from '../model/span.ts';

/**
 * A RED metrics query, with the semantics of Jaeger's SPM API (`metricstore.BaseQueryParameters`
 * evaluated the way Prometheus evaluates `rate(...[ratePer])` over a range query).
 *
 * Points are at `endTime - lookback + k·step` for every k ≥ 0 up to `endTime`
 * (inclusive when `lookback` is a multiple of `step`). The value at time `t` is computed
 * over the **rate window** ending at `t`: the minutes whose start is in `[t - W, t)`,
 * where `W` is `ratePer` rounded up to whole minutes (at least one minute), because the
 * aggregates are kept per minute. The minute that holds `t` itself is therefore not in
 * the window unless `t` is after its start; the current, partly filled minute counts in
 * the point at `now`.
 */
export interface MetricsQuery {
  /** Only this tenant's aggregates. */
  tenant: string;
  /** Services whose series are returned (logical OR); at least one. */
  services: readonly string[];
  /** One series per (service, operation) instead of per service. */
  groupByOperation: boolean;
  /** Span kinds counted (logical OR); at least one. Jaeger's API defaults to server. */
  spanKinds: readonly SpanKind[];
  /** End of the range, µs since epoch. */
  endTime: number;
  /** Length of the range before `endTime`, µs, ≥ 0. */
  lookback: number;
  /** Distance between points, µs, > 0. */
  step: number;
  /** Length of each point's rate window, µs, > 0 (rounded up to whole minutes). */
  ratePer: number;
}

export interface LatencyQuery extends MetricsQuery {
  /** The quantile, 0 < q ≤ 1 (0.5, 0.75, 0.95, 0.99, ...). */
  quantile: number;
}

export interface MetricPoint {
  /** µs since epoch. */
  time: number;
  /** The value; NaN when the window has no value (no calls for an error rate or a latency). */
  value: number;
}

/** One time series: a service, or a service's operation when grouped by operation. */
export interface MetricSeries {
  service: string;
  /** The operation (span name); undefined unless the query groups by operation. */
  operation?: string;
  /** Every point of the query range, ascending by time. */
  points: MetricPoint[];
}

/** The most points one series may have (Prometheus's limit for a range query). */
export const MAX_POINTS_PER_SERIES = 11_000;

/** Resolution of the stored aggregates: one minute, µs. */
export const METRICS_MINUTE = 60_000_000;

/**
 * Reads span metrics (RED: rate, errors, duration) per service or per operation, from
 * the aggregates the span-metrics processor wrote through `SpanMetricsWriter`.
 *
 * Contract:
 * - A series is returned when its service and one of the span kinds had at least one
 *   call in some point's rate window; series are sorted by service, then operation.
 *   A service without such calls has no series (an empty array, not an error).
 *   Every returned series has a point at every time of the range (see
 *   {@link MetricsQuery}); windows without calls have the value the metric defines
 *   for them (0 calls/s, NaN error rate, NaN latency).
 * - `calls`: calls per second over the window (calls in the window / W in seconds).
 * - `errors`: the fraction (0..1) of the window's calls whose status is ERROR.
 * - `latencies`: the `quantile` of the window's span durations, in **milliseconds**,
 *   within ±2.5% of a duration that was recorded (log-scale histograms).
 * - Rows written with `writeSpanMetrics` are seen by reads that start after it resolved.
 * - Returned objects are owned by the caller.
 * - Rejects with `InvalidParameterError` when the query would make more than
 *   {@link MAX_POINTS_PER_SERIES} points per series, or has no service or span kind,
 *   and with `StorageError` when the backend fails.
 */
export interface MetricsReader {
  calls(q: MetricsQuery): Promise<MetricSeries[]>;
  errors(q: MetricsQuery): Promise<MetricSeries[]>;
  latencies(q: LatencyQuery): Promise<MetricSeries[]>;
  /** The smallest step that gives distinct windows, µs ({@link METRICS_MINUTE} for per-minute aggregates). */
  readonly minStep: number;
}
