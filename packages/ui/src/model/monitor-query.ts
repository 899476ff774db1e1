/**
 * The Monitor page's state, kept in the URL (`/monitor?service=cart&lookback=1h&spanKind=server`)
 * so a view can be bookmarked and shared, and its translation to Jaeger's SPM API
 * (`/api/metrics/{calls,errors,latencies}`) and to Search page links.
 */
import { lookbackMs } from './search-query.ts';

/** Span kinds Jaeger's SPM API filters on (`spanKind=`); `server` is Jaeger UI's default. */
export const SPAN_KINDS = ['server', 'client', 'producer', 'consumer', 'internal'] as const;
export type SpanKindFilter = (typeof SPAN_KINDS)[number];

/** Monitor windows; Jaeger UI offers up to 2 days. */
export const MONITOR_LOOKBACKS: readonly { value: string; label: string }[] = [
  { value: '5m', label: 'Last 5 minutes' },
  { value: '15m', label: 'Last 15 minutes' },
  { value: '30m', label: 'Last 30 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '2h', label: 'Last 2 hours' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '12h', label: 'Last 12 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '2d', label: 'Last 2 days' },
];

/** Columns of the per-operation table, each sortable. */
export const OPERATION_COLUMNS = ['operation', 'rate', 'errorRate', 'p50', 'p95', 'p99'] as const;
export type OperationColumn = (typeof OPERATION_COLUMNS)[number];

export interface MonitorState {
  /** '' = not chosen yet (the page picks the first service). */
  service: string;
  /** A key of MONITOR_LOOKBACKS. */
  lookback: string;
  spanKind: SpanKindFilter;
  /** ms since the epoch the window ends at; null = now (the window follows the clock). */
  end: number | null;
  sort: OperationColumn;
  desc: boolean;
}

export const DEFAULT_MONITOR: MonitorState = {
  service: '',
  lookback: '1h',
  spanKind: 'server',
  end: null,
  sort: 'rate',
  desc: true,
};

/** Reads the state from URL parameters; missing or invalid values take defaults. */
export function monitorFromParams(params: URLSearchParams): MonitorState {
  const lookback = params.get('lookback') ?? '';
  const kind = params.get('spanKind') as SpanKindFilter | null;
  const sort = params.get('sort') as OperationColumn | null;
  const endText = params.get('end');
  const end = endText !== null && /^\d{1,15}$/.test(endText) ? Number(endText) : null;
  const sortOk = sort !== null && OPERATION_COLUMNS.includes(sort);
  return {
    service: params.get('service') ?? '',
    lookback: MONITOR_LOOKBACKS.some((l) => l.value === lookback)
      ? lookback
      : DEFAULT_MONITOR.lookback,
    spanKind: kind !== null && SPAN_KINDS.includes(kind) ? kind : DEFAULT_MONITOR.spanKind,
    end,
    sort: sortOk ? sort : DEFAULT_MONITOR.sort,
    // A column named without an order sorts the way people expect: names A→Z, numbers high first.
    desc: params.has('order')
      ? params.get('order') !== 'asc'
      : sortOk
        ? sort !== 'operation'
        : DEFAULT_MONITOR.desc,
  };
}

/** The state as URL parameters, leaving out values at their defaults (service always kept). */
export function monitorToParams(state: MonitorState): URLSearchParams {
  const p = new URLSearchParams();
  if (state.service) p.set('service', state.service);
  p.set('lookback', state.lookback);
  if (state.spanKind !== DEFAULT_MONITOR.spanKind) p.set('spanKind', state.spanKind);
  if (state.end !== null) p.set('end', String(state.end));
  if (state.sort !== DEFAULT_MONITOR.sort || state.desc !== DEFAULT_MONITOR.desc) {
    p.set('sort', state.sort);
    p.set('order', state.desc ? 'desc' : 'asc');
  }
  return p;
}

/** The Monitor page URL for a state. */
export function monitorUrl(state: MonitorState): string {
  return `/monitor?${monitorToParams(state)}`;
}

/** Step sizes a chart may use, ms: round numbers people read on an axis. */
const STEPS_MS = [
  60_000,
  2 * 60_000,
  5 * 60_000,
  10 * 60_000,
  15 * 60_000,
  30 * 60_000,
  3_600_000,
  2 * 3_600_000,
  3 * 3_600_000,
  6 * 3_600_000,
];

/** Points a chart aims for at most: enough to see a shape, few enough to read each one. */
export const TARGET_POINTS = 60;

/**
 * The chart step for a window: the smallest round step giving at most TARGET_POINTS points,
 * and never below the server's `/api/metrics/minstep` (Skein stores per-minute aggregates,
 * so 60 s there; a larger minimum is rounded up to a multiple of itself).
 */
export function stepFor(windowMs: number, minStepMs: number): number {
  const wanted = windowMs / TARGET_POINTS;
  const round = STEPS_MS.find((s) => s >= wanted) ?? STEPS_MS[STEPS_MS.length - 1];
  if (round >= minStepMs) return round;
  return minStepMs > 0 ? minStepMs * Math.max(1, Math.ceil(wanted / minStepMs)) : round;
}

/** The time window a state shows, ms since the epoch, resolved against `nowMs`. */
export function windowOf(state: MonitorState, nowMs: number): { startMs: number; endMs: number } {
  const endMs = state.end ?? nowMs;
  return { startMs: endMs - (lookbackMs(state.lookback) ?? 3_600_000), endMs };
}

export type MetricKind = 'calls' | 'errors' | 'latencies';

export interface MetricsRequest {
  metric: MetricKind;
  /** For latencies: 0.5, 0.95, 0.99. */
  quantile?: number;
  groupByOperation: boolean;
}

/**
 * The points a metrics request asks for, in the SPM API's terms (all ms): points at
 * `endTs - lookback + k·step` up to `endTs`, each the rate, error fraction or quantile over
 * the `ratePer` before it (Prometheus's `rate(…[ratePer])` evaluated at each point).
 */
export interface MetricsRange {
  endTs: number;
  lookback: number;
  step: number;
  ratePer: number;
}

/**
 * The charts' range: a point per step across the window, each over its own step, so the
 * points together cover the window once and a busy minute shows as a peak.
 */
export function chartRange(window: { startMs: number; endMs: number }, minStepMs: number) {
  const lookback = Math.round(window.endMs - window.startMs);
  const step = stepFor(lookback, minStepMs);
  return { endTs: Math.round(window.endMs), lookback, step, ratePer: step };
}

/**
 * The table's range: one point at the window's end whose rate window is the whole window,
 * so each operation's rate, error fraction and p50/p95/p99 are over the window itself
 * (quantiles of all its calls, not an average of per-minute quantiles).
 */
export function tableRange(window: { startMs: number; endMs: number }, minStepMs: number) {
  const ratePer = Math.max(Math.round(window.endMs - window.startMs), minStepMs, 1);
  return { endTs: Math.round(window.endMs), lookback: 0, step: Math.max(minStepMs, 1), ratePer };
}

/**
 * The `/api/metrics/{metric}?…` URL Jaeger UI would send for this view: `service`,
 * `endTs`, `lookback`, `step` and `ratePer` (ms), `spanKind`, and `quantile` /
 * `groupByOperation` when asked.
 */
export function metricsUrl(
  service: string,
  spanKind: SpanKindFilter,
  range: MetricsRange,
  req: MetricsRequest,
): string {
  const p = new URLSearchParams();
  p.set('service', service);
  if (req.quantile !== undefined) p.set('quantile', String(req.quantile));
  if (req.groupByOperation) p.set('groupByOperation', 'true');
  p.set('endTs', String(range.endTs));
  p.set('lookback', String(range.lookback));
  p.set('step', String(range.step));
  p.set('ratePer', String(range.ratePer));
  p.set('spanKind', spanKind);
  return `/api/metrics/${req.metric}?${p}`;
}

/**
 * A latency in ms as a Go duration the search form and API accept, rounded down to the
 * microsecond so a trace exactly at the bound is still found: 12.3456 → `12.345ms`.
 */
export function goDurationFromMs(ms: number): string {
  const us = Math.max(0, Math.floor(ms * 1000 + 1e-6));
  if (us < 1000) return `${us}us`;
  return `${Number((us / 1000).toFixed(3))}ms`;
}

/**
 * How far a latency quantile may be from the duration it stands for: Skein's histograms are
 * log-scale with ±2.5% buckets (Prometheus's are coarser still). The p95 of calls of
 * 200…900 ms may read 922 ms, above every call.
 */
export const QUANTILE_TOLERANCE = 0.025;

/** What a click-through from an operation row searches for. */
export type TraceFilter = 'slow' | 'failed';

/**
 * The Search page URL for the slow (operation duration ≥ its p95) or failed (`error=true`)
 * traces of an operation in the window the Monitor page showed. `start`/`end` are µs, as
 * the Search page keeps them; slow traces come longest first. The slow bound is the low
 * end of the p95's tolerance, so the calls the p95 was measured from are among the results.
 */
export function searchUrlFor(
  service: string,
  operation: string,
  window: { startMs: number; endMs: number },
  filter: TraceFilter,
  p95Ms: number | null,
): string {
  const p = new URLSearchParams();
  p.set('service', service);
  p.set('operation', operation);
  if (filter === 'failed') p.set('tags', 'error=true');
  p.set('lookback', 'custom');
  p.set('start', String(Math.floor(window.startMs) * 1000));
  p.set('end', String(Math.ceil(window.endMs) * 1000));
  if (filter === 'slow') {
    if (p95Ms !== null && p95Ms > 0)
      p.set('minDuration', goDurationFromMs(p95Ms * (1 - QUANTILE_TOLERANCE)));
    p.set('sort', 'longest');
  }
  return `/search?${p}`;
}
