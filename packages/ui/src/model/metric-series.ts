/**
 * Jaeger's SPM API answers (`/api/metrics/{calls,errors,latencies}`) as time series, and
 * the per-operation table built from them. The wire shape is Jaeger's `MetricFamily` in
 * protobuf JSON, as jaeger-ui reads it:
 *
 * ```json
 * { "name": "service_operation_call_rate", "type": "GAUGE", "help": "…",
 *   "metrics": [ { "labels": [ { "name": "service_name", "value": "cart" },
 *                              { "name": "operation", "value": "GET /cart" } ],
 *                  "metricPoints": [ { "gaugeValue": { "doubleValue": 1.5 },
 *                                      "timestamp": "2026-05-01T10:00:00Z" } ] } ] }
 * ```
 *
 * Units: call rates are per second, error rates a fraction 0..1, latencies milliseconds.
 * protobuf JSON writes NaN and ±Infinity as strings; they become gaps (null).
 */

export interface MetricPoint {
  /** ms since the epoch. */
  t: number;
  /** null: no value in this step (NaN on the wire, e.g. an error rate with no calls). */
  v: number | null;
}

export interface MetricSeries {
  service: string;
  /** '' when the answer is not grouped by operation. */
  operation: string;
  /** Ascending by time. */
  points: MetricPoint[];
}

function valueOf(gauge: unknown): number | null {
  const raw = (gauge as { doubleValue?: unknown } | null | undefined)?.doubleValue;
  const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  return Number.isFinite(v) ? v : null;
}

/**
 * The series of a MetricFamily answer, one per label set, points sorted by time; points
 * without a readable timestamp are left out. Throws with a message naming what is wrong
 * when the body is not a MetricFamily at all.
 */
export function parseMetricFamily(body: unknown): MetricSeries[] {
  const family = body as { metrics?: unknown } | null;
  if (family === null || typeof family !== 'object' || !('metrics' in family)) {
    throw new Error('the metrics answer has no "metrics" list; is this a Jaeger SPM API?');
  }
  // protobuf JSON leaves an empty repeated field out entirely, and some servers write null.
  if (family.metrics === null || family.metrics === undefined) return [];
  if (!Array.isArray(family.metrics))
    throw new Error('the metrics answer\'s "metrics" is not a list');
  const out: MetricSeries[] = [];
  for (const m of family.metrics as { labels?: unknown; metricPoints?: unknown }[]) {
    let service = '';
    let operation = '';
    for (const label of Array.isArray(m?.labels) ? m.labels : []) {
      const { name, value } = (label ?? {}) as { name?: unknown; value?: unknown };
      if (typeof value !== 'string') continue;
      if (name === 'service_name') service = value;
      else if (name === 'operation') operation = value;
    }
    const points: MetricPoint[] = [];
    for (const p of Array.isArray(m?.metricPoints) ? m.metricPoints : []) {
      const point = (p ?? {}) as { gaugeValue?: unknown; timestamp?: unknown };
      const t = typeof point.timestamp === 'string' ? Date.parse(point.timestamp) : NaN;
      if (!Number.isFinite(t)) continue;
      points.push({ t, v: valueOf(point.gaugeValue) });
    }
    points.sort((a, b) => a.t - b.t);
    out.push({ service, operation, points });
  }
  return out;
}

/** The largest value of some series (0 when none has a value). */
export function maxValue(series: readonly MetricSeries[]): number {
  let max = 0;
  for (const s of series) for (const p of s.points) if (p.v !== null && p.v > max) max = p.v;
  return max;
}

/** Whether any series has at least one value. */
export function hasValues(series: readonly MetricSeries[]): boolean {
  return series.some((s) => s.points.some((p) => p.v !== null));
}

/** One row of the per-operation table; null = no value in the window. */
export interface OperationRow {
  operation: string;
  /** Calls per second, averaged over the window. */
  rate: number | null;
  /** Failed calls / calls over the window, 0..1. */
  errorRate: number | null;
  /** Latency quantiles over the window, ms. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface OperationMetrics {
  calls: readonly MetricSeries[];
  errors: readonly MetricSeries[];
  p50: readonly MetricSeries[];
  p95: readonly MetricSeries[];
  p99: readonly MetricSeries[];
}

/**
 * The mean of a series' values weighted by the call rate at the same time (a step with no
 * calls weighs nothing), or the plain mean where no call rate is known. With one point per
 * series (the table asks for one step spanning the window) this is that point's value.
 */
function weightedMean(points: readonly MetricPoint[], callsAt: Map<number, number> | undefined) {
  let sum = 0;
  let weight = 0;
  let plainSum = 0;
  let plainN = 0;
  for (const p of points) {
    if (p.v === null) continue;
    plainSum += p.v;
    plainN++;
    const w = callsAt?.get(p.t);
    if (w !== undefined && w > 0) {
      sum += p.v * w;
      weight += w;
    }
  }
  if (weight > 0) return sum / weight;
  return plainN > 0 ? plainSum / plainN : null;
}

function byOperation(series: readonly MetricSeries[]): Map<string, MetricSeries> {
  const map = new Map<string, MetricSeries>();
  for (const s of series) map.set(s.operation, s);
  return map;
}

/**
 * Merges the operation-grouped answers into one row per operation seen in any of them.
 * Rates are averaged over the steps that have one; error rates and quantiles are weighted
 * by each step's calls, so a busy minute counts more than a quiet one.
 */
export function operationRows(m: OperationMetrics): OperationRow[] {
  const calls = byOperation(m.calls);
  const errors = byOperation(m.errors);
  const p50 = byOperation(m.p50);
  const p95 = byOperation(m.p95);
  const p99 = byOperation(m.p99);
  const names = new Set<string>();
  for (const map of [calls, errors, p50, p95, p99]) for (const k of map.keys()) names.add(k);
  const rows: OperationRow[] = [];
  for (const operation of names) {
    const c = calls.get(operation);
    const callsAt = c
      ? new Map(c.points.filter((p) => p.v !== null).map((p) => [p.t, p.v as number]))
      : undefined;
    const of = (s: MetricSeries | undefined) => (s ? weightedMean(s.points, callsAt) : null);
    rows.push({
      operation,
      rate: c ? weightedMean(c.points, undefined) : null,
      errorRate: of(errors.get(operation)),
      p50: of(p50.get(operation)),
      p95: of(p95.get(operation)),
      p99: of(p99.get(operation)),
    });
  }
  return rows;
}

/**
 * Sorts rows in place by a column; rows without a value go last in either direction, and
 * ties are broken by operation name so the order is stable between refreshes.
 */
export function sortOperationRows(
  rows: OperationRow[],
  column: keyof OperationRow,
  desc: boolean,
): OperationRow[] {
  const byName = (a: OperationRow, b: OperationRow) =>
    a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0;
  return rows.sort((a, b) => {
    if (column === 'operation') return desc ? byName(b, a) : byName(a, b);
    const x = a[column];
    const y = b[column];
    if (x === null || y === null) {
      if (x === y) return byName(a, b);
      return x === null ? 1 : -1;
    }
    return (desc ? y - x : x - y) || byName(a, b);
  });
}
