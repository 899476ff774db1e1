import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, type JaegerEnvelope, loadFailure, type Load } from '../api.ts';
import { MetricChart } from '../components/metric-chart.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { formatLatencyMs, formatPercent, formatRate } from '../model/metric-format.ts';
import {
  hasValues,
  operationRows,
  parseMetricFamily,
  sortOperationRows,
  type MetricSeries,
  type OperationRow,
} from '../model/metric-series.ts';
import {
  chartRange,
  metricsUrl,
  MONITOR_LOOKBACKS,
  monitorFromParams,
  monitorUrl,
  searchUrlFor,
  SPAN_KINDS,
  tableRange,
  windowOf,
  type MetricsRange,
  type MetricsRequest,
  type MonitorState,
  type OperationColumn,
} from '../model/monitor-query.ts';
import { formatTimestamp } from '../model/time-format.ts';
import { navigate } from '../router.ts';

/** Skein keeps per-minute aggregates; used when `/api/metrics/minstep` does not answer. */
const FALLBACK_MIN_STEP_MS = 60_000;

const QUANTILES = [
  { q: 0.5, label: 'p50', tone: 'line-1' },
  { q: 0.95, label: 'p95', tone: 'line-2' },
  { q: 0.99, label: 'p99', tone: 'line-3' },
] as const;

const COLUMN_LABELS: Record<OperationColumn, string> = {
  operation: 'Operation',
  rate: 'Requests/s',
  errorRate: 'Error rate',
  p50: 'p50',
  p95: 'p95',
  p99: 'p99',
};

interface ServiceMetrics {
  window: { startMs: number; endMs: number };
  stepMs: number;
  calls: MetricSeries[];
  errors: MetricSeries[];
  latencies: MetricSeries[][];
  rows: OperationRow[];
}

function useServices(): Load<string[]> {
  const [services, setServices] = useState<Load<string[]>>({ state: 'loading' });
  useEffect(() => {
    getJson<JaegerEnvelope<string[]>>('/api/services').then(
      (r) => setServices({ state: 'done', value: (r.data ?? []).slice().sort() }),
      (err) => setServices(loadFailure(err)),
    );
  }, []);
  return services;
}

/** The metrics store's finest step (ms), from `/api/metrics/minstep` (`{"data": 60000}`). */
function useMinStep(): number | null {
  const [minStep, setMinStep] = useState<number | null>(null);
  useEffect(() => {
    getJson<JaegerEnvelope<number>>('/api/metrics/minstep').then(
      (r) => setMinStep(typeof r.data === 'number' && r.data > 0 ? r.data : FALLBACK_MIN_STEP_MS),
      () => setMinStep(FALLBACK_MIN_STEP_MS),
    );
  }, []);
  return minStep;
}

async function loadMetrics(
  state: MonitorState,
  minStepMs: number,
  signal: AbortSignal,
): Promise<ServiceMetrics> {
  const window = windowOf(state, Date.now());
  const get = (range: MetricsRange, req: MetricsRequest) =>
    getJson<unknown>(metricsUrl(state.service, state.spanKind, range, req), signal).then(
      parseMetricFamily,
    );
  const requests = (range: MetricsRange, groupByOperation: boolean) => [
    get(range, { metric: 'calls', groupByOperation }),
    get(range, { metric: 'errors', groupByOperation }),
    ...QUANTILES.map(({ q }) => get(range, { metric: 'latencies', quantile: q, groupByOperation })),
  ];
  const chart = chartRange(window, minStepMs);
  const [service, ops] = await Promise.all([
    Promise.all(requests(chart, false)),
    Promise.all(requests(tableRange(window, minStepMs), true)),
  ]);
  return {
    window,
    stepMs: chart.step,
    calls: service[0],
    errors: service[1],
    latencies: service.slice(2),
    rows: operationRows({ calls: ops[0], errors: ops[1], p50: ops[2], p95: ops[3], p99: ops[4] }),
  };
}

/** The points of the series for the chosen service (an answer may hold other label sets). */
function pointsOf(series: MetricSeries[], service: string) {
  return (series.find((s) => s.service === service) ?? series[0])?.points ?? [];
}

function Toolbar({
  state,
  services,
  onRefresh,
}: {
  state: MonitorState;
  services: string[];
  onRefresh: () => void;
}) {
  const go = (patch: Partial<MonitorState>) => navigate(monitorUrl({ ...state, ...patch }), true);
  const value = (e: Event) => (e.target as HTMLSelectElement).value;
  const options =
    services.includes(state.service) || !state.service ? services : [state.service, ...services];
  return (
    <div class="monitor-bar">
      <h1>Monitor</h1>
      <label>
        Service
        <select name="service" value={state.service} onChange={(e) => go({ service: value(e) })}>
          {options.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Span kind
        <select
          name="spanKind"
          value={state.spanKind}
          onChange={(e) => go({ spanKind: value(e) as MonitorState['spanKind'] })}
        >
          {SPAN_KINDS.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label>
        Window
        <select
          name="lookback"
          value={state.lookback}
          onChange={(e) => go({ lookback: value(e), end: null })}
        >
          {MONITOR_LOOKBACKS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={onRefresh} title="Fetch the metrics again">
        Refresh
      </button>
    </div>
  );
}

function SortHeader({ column, state }: { column: OperationColumn; state: MonitorState }) {
  const active = state.sort === column;
  const nextDesc = active ? !state.desc : column !== 'operation';
  return (
    <th
      scope="col"
      class={column === 'operation' ? '' : 'num'}
      aria-sort={active ? (state.desc ? 'descending' : 'ascending') : 'none'}
    >
      <button
        type="button"
        class="sort-button"
        data-column={column}
        title={`Sort by ${COLUMN_LABELS[column]}, ${nextDesc ? 'highest' : 'lowest'} first`}
        onClick={() => navigate(monitorUrl({ ...state, sort: column, desc: nextDesc }), true)}
      >
        {COLUMN_LABELS[column]}
        <span class="sort-mark" aria-hidden="true">
          {active ? (state.desc ? '▼' : '▲') : ''}
        </span>
      </button>
    </th>
  );
}

function OperationTable({ state, metrics }: { state: MonitorState; metrics: ServiceMetrics }) {
  const rows = useMemo(
    () => sortOperationRows(metrics.rows.slice(), state.sort, state.desc),
    [metrics, state.sort, state.desc],
  );
  if (rows.length === 0)
    return (
      <Empty title="No operations in this window">
        <p>The service has metrics but none grouped by operation; try a longer window.</p>
      </Empty>
    );
  return (
    <table class="ops-table" aria-label={`Operations of ${state.service}`}>
      <thead>
        <tr>
          {(['operation', 'rate', 'errorRate', 'p50', 'p95', 'p99'] as const).map((c) => (
            <SortHeader key={c} column={c} state={state} />
          ))}
          <th scope="col">Traces</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.operation} data-operation={r.operation}>
            <th scope="row" class="op-name" title={r.operation}>
              {r.operation || <em>no name</em>}
            </th>
            <td class="num" data-column="rate">
              {formatRate(r.rate)}
            </td>
            <td
              class={`num${r.errorRate !== null && r.errorRate > 0 ? ' has-errors' : ''}`}
              data-column="errorRate"
            >
              {formatPercent(r.errorRate)}
            </td>
            <td class="num" data-column="p50">
              {formatLatencyMs(r.p50)}
            </td>
            <td class="num" data-column="p95">
              {formatLatencyMs(r.p95)}
            </td>
            <td class="num" data-column="p99">
              {formatLatencyMs(r.p99)}
            </td>
            <td class="trace-links">
              <a
                href={searchUrlFor(state.service, r.operation, metrics.window, 'slow', r.p95)}
                data-link="slow"
                title={`Traces of ${r.operation} at or above its p95 (${formatLatencyMs(r.p95)}) in this window`}
              >
                slow
              </a>
              <a
                href={searchUrlFor(state.service, r.operation, metrics.window, 'failed', r.p95)}
                data-link="failed"
                class={r.errorRate ? '' : 'muted'}
                title={`Traces of ${r.operation} with an error in this window`}
              >
                failed
              </a>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Charts({ state, metrics }: { state: MonitorState; metrics: ServiceMetrics }) {
  return (
    <div class="monitor-charts">
      <MetricChart
        testId="chart-rate"
        title="Request rate (req/s)"
        window={metrics.window}
        format={formatRate}
        lines={[
          { label: 'requests/s', tone: 'line-0', points: pointsOf(metrics.calls, state.service) },
        ]}
      />
      <MetricChart
        testId="chart-errors"
        title="Error rate"
        window={metrics.window}
        format={formatPercent}
        lines={[
          { label: 'errors', tone: 'line-err', points: pointsOf(metrics.errors, state.service) },
        ]}
      />
      <MetricChart
        testId="chart-latency"
        title="Latency"
        window={metrics.window}
        format={formatLatencyMs}
        lines={QUANTILES.map((q, i) => ({
          label: q.label,
          tone: q.tone,
          points: pointsOf(metrics.latencies[i], state.service),
        }))}
      />
    </div>
  );
}

export function MonitorPage({ params }: { params: URLSearchParams }) {
  const key = params.toString();
  const state = useMemo(() => monitorFromParams(params), [key]);
  const services = useServices();
  const minStep = useMinStep();
  const [refresh, setRefresh] = useState(0);
  const [result, setResult] = useState<Load<ServiceMetrics>>({ state: 'loading' });

  // Open on the first service when none is named, keeping the rest of the URL.
  useEffect(() => {
    if (!state.service && services.state === 'done' && services.value.length > 0)
      navigate(monitorUrl({ ...state, service: services.value[0] }), true);
  }, [state, services]);

  useEffect(() => {
    if (!state.service || minStep === null) return;
    const ctl = new AbortController();
    setResult({ state: 'loading' });
    loadMetrics(state, minStep, ctl.signal).then(
      (value) => setResult({ state: 'done', value }),
      (err: Error) => {
        if (err.name !== 'AbortError') setResult(loadFailure(err));
      },
    );
    return () => ctl.abort();
    // Sorting is done here, not by the server: a new sort must not fetch again.
  }, [state.service, state.spanKind, state.lookback, state.end, minStep, refresh]);

  let body;
  if (services.state === 'error')
    body = <ErrorState title="Could not list services" message={services.message} />;
  else if (services.state === 'done' && services.value.length === 0 && !state.service)
    body = (
      <Empty title="No traces stored yet">
        <p>
          Point an OpenTelemetry SDK at Skein (OTLP gRPC on port 4317, HTTP on 4318), or send demo
          traces with <code>npx skein tracegen</code>; request rates, error rates and latencies
          appear here a minute later.
        </p>
      </Empty>
    );
  else if (!state.service || result.state === 'loading') body = <Loading what="metrics" />;
  else if (result.state === 'error' && result.status === 501)
    body = (
      <ErrorState title="Span metrics are turned off" message={result.message}>
        <p>
          Turn on the span metrics processor (<code>pipeline.processors.spanMetrics</code> in the
          config, see docs/configuration.md) to see request rates, error rates and latencies.
        </p>
      </ErrorState>
    );
  else if (result.state === 'error')
    body = <ErrorState title="Could not load metrics" message={result.message} />;
  else {
    const m = result.value;
    const any =
      hasValues(m.calls) || hasValues(m.errors) || m.latencies.some(hasValues) || m.rows.length > 0;
    body = !any ? (
      <Empty title={`No ${state.spanKind} spans of ${state.service} in this window`}>
        <p>
          Choose another span kind (a service that only calls others has <code>client</code> spans)
          or a longer window. Metrics are aggregated per minute, so spans that just arrived appear
          within a minute.
        </p>
      </Empty>
    ) : (
      <>
        <p class="muted window-line">
          {formatTimestamp(m.window.startMs * 1000).slice(0, 16)} –{' '}
          {formatTimestamp(m.window.endMs * 1000).slice(0, 16)}, one point per{' '}
          {m.stepMs >= 3_600_000 ? `${m.stepMs / 3_600_000} h` : `${m.stepMs / 60_000} min`}
        </p>
        <Charts state={state} metrics={m} />
        <h2>Operations</h2>
        <OperationTable state={state} metrics={m} />
        <p class="muted">
          Table figures are over the whole window: requests per second, the share of failed calls,
          and latency quantiles of all its calls. <em>slow</em> searches the operation's traces at
          or above its p95, <em>failed</em> those with an error.
        </p>
      </>
    );
  }

  return (
    <div class="page-pad monitor-page">
      <Toolbar
        state={state}
        services={services.state === 'done' ? services.value : []}
        onRefresh={() => setRefresh((n) => n + 1)}
      />
      {body}
    </div>
  );
}
