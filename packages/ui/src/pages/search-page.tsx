import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, type JaegerEnvelope } from '../api.ts';
import { ScatterPlot } from '../components/scatter-plot.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { formatAgo, formatDuration, formatTimestamp } from '../model/time-format.ts';
import { traceUrl } from '../model/route.ts';
import {
  formFromParams,
  formToParams,
  LOOKBACKS,
  sortSummaries,
  summariesQuery,
  type SearchForm,
  type SortOrder,
  type TraceSummary,
} from '../model/search-query.ts';
import { navigate } from '../router.ts';
import { colorForName } from '../theme.ts';

type Load<T> =
  { state: 'loading' } | { state: 'error'; message: string } | { state: 'done'; value: T };

const SORT_LABELS: Record<SortOrder, string> = {
  recent: 'Most recent',
  longest: 'Longest first',
  shortest: 'Shortest first',
  'most-spans': 'Most spans',
};

/** µs since epoch ↔ the value of a datetime-local input (local time). */
function toLocalInput(us: number | null): string {
  if (us === null) return '';
  const d = new Date(us / 1000 - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}

function fromLocalInput(v: string): number | null {
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? ms * 1000 : null;
}

function useServices(): Load<string[]> {
  const [services, setServices] = useState<Load<string[]>>({ state: 'loading' });
  useEffect(() => {
    getJson<JaegerEnvelope<string[]>>('/api/services').then(
      (r) => setServices({ state: 'done', value: r.data ?? [] }),
      (err: Error) => setServices({ state: 'error', message: err.message }),
    );
  }, []);
  return services;
}

function useOperations(service: string): string[] {
  const [ops, setOps] = useState<string[]>([]);
  useEffect(() => {
    setOps([]);
    if (!service) return;
    const ctl = new AbortController();
    getJson<JaegerEnvelope<string[]>>(
      `/api/services/${encodeURIComponent(service)}/operations`,
      ctl.signal,
    ).then(
      (r) => setOps(r.data ?? []),
      () => setOps([]),
    );
    return () => ctl.abort();
  }, [service]);
  return ops;
}

function SearchFormView({ initial, services }: { initial: SearchForm; services: Load<string[]> }) {
  const [form, setForm] = useState(initial);
  useEffect(() => setForm(initial), [initial]);
  const operations = useOperations(form.service);
  const set = <K extends keyof SearchForm>(key: K, value: SearchForm[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  return (
    <form
      class="search-form"
      aria-label="Search traces"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(`/search?${formToParams(form)}`);
      }}
    >
      <label>
        Service
        <select
          name="service"
          value={form.service}
          onChange={(e) => setForm({ ...form, service: value(e), operation: '' })}
        >
          <option value="">All services</option>
          {services.state === 'done' &&
            services.value.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
        </select>
      </label>
      <label>
        Operation
        <select
          name="operation"
          value={form.operation}
          onChange={(e) => set('operation', value(e))}
          disabled={!form.service}
        >
          <option value="">{form.service ? 'All operations' : 'Choose a service first'}</option>
          {operations.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tags
        <input
          name="tags"
          value={form.tags}
          placeholder="http.status_code=500 error=true"
          title='logfmt: key=value pairs separated by spaces; quote values with spaces: msg="out of stock"'
          onInput={(e) => set('tags', value(e))}
        />
      </label>
      <label>
        Lookback
        <select name="lookback" value={form.lookback} onChange={(e) => set('lookback', value(e))}>
          {LOOKBACKS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      {form.lookback === 'custom' && (
        <div class="row2">
          <label>
            From
            <input
              type="datetime-local"
              name="start"
              value={toLocalInput(form.start)}
              onInput={(e) => set('start', fromLocalInput(value(e)))}
            />
          </label>
          <label>
            To
            <input
              type="datetime-local"
              name="end"
              value={toLocalInput(form.end)}
              onInput={(e) => set('end', fromLocalInput(value(e)))}
            />
          </label>
        </div>
      )}
      <div class="row2">
        <label>
          Min duration
          <input
            name="minDuration"
            value={form.minDuration}
            placeholder="e.g. 1.2s, 100ms"
            onInput={(e) => set('minDuration', value(e))}
          />
        </label>
        <label>
          Max duration
          <input
            name="maxDuration"
            value={form.maxDuration}
            placeholder="e.g. 5s"
            onInput={(e) => set('maxDuration', value(e))}
          />
        </label>
      </div>
      <label>
        Limit results
        <input
          name="limit"
          type="number"
          min={1}
          max={1500}
          value={form.limit}
          onInput={(e) => set('limit', Number(value(e)) || 20)}
        />
      </label>
      <button type="submit" class="primary">
        Find traces
      </button>
    </form>
  );
}

function ServiceChips({ summary }: { summary: TraceSummary }) {
  return (
    <div class="chips">
      {summary.services.map((s) => (
        <span
          key={s.name}
          class={`chip${s.errorSpanCount > 0 ? ' chip-error' : ''}`}
          title={`${s.spanCount} spans in ${s.name}${s.errorSpanCount ? `, ${s.errorSpanCount} with errors` : ''}`}
        >
          <i style={{ background: colorForName(s.name) }} />
          {s.name} ({s.spanCount})
        </span>
      ))}
    </div>
  );
}

function ResultList({ list, maxDuration }: { list: TraceSummary[]; maxDuration: number }) {
  const now = Date.now();
  return (
    <ol class="results" aria-label="Traces found">
      {list.map((t) => (
        <li
          key={t.traceId}
          class={`result${t.errorCount > 0 ? ' has-error' : ''}`}
          data-trace-id={t.traceId}
        >
          <a href={traceUrl(t.traceId)} class="result-head">
            <span class="result-title">
              {t.rootService ? `${t.rootService}: ${t.rootOperation}` : <em>no root span</em>}
              <span class="trace-id">{t.traceId.slice(0, 7)}</span>
            </span>
            <span class="result-duration">{formatDuration(t.duration)}</span>
          </a>
          <div class="duration-bar" aria-hidden="true">
            <span style={{ width: `${Math.max(0.5, (t.duration / maxDuration) * 100)}%` }} />
          </div>
          <div class="result-body">
            <span class="badge">{t.spanCount} spans</span>
            {t.errorCount > 0 && <span class="badge badge-error">{t.errorCount} errors</span>}
            {t.orphanCount > 0 && (
              <span
                class="badge badge-warn"
                title="Spans whose parent is not in the trace: lost spans or broken context propagation"
              >
                ⚠ {t.orphanCount} orphan spans
              </span>
            )}
            <ServiceChips summary={t} />
            <span class="result-time" title={formatTimestamp(t.startTime)}>
              {formatTimestamp(t.startTime).slice(0, 19)} · {formatAgo(t.startTime, now)}
            </span>
          </div>
        </li>
      ))}
    </ol>
  );
}

export function SearchPage({ params }: { params: URLSearchParams }) {
  const key = params.toString();
  const form = useMemo(() => formFromParams(params), [key]);
  const services = useServices();
  const [result, setResult] = useState<Load<TraceSummary[]>>({ state: 'loading' });

  useEffect(() => {
    const ctl = new AbortController();
    setResult({ state: 'loading' });
    let query: URLSearchParams;
    try {
      query = summariesQuery(form, Date.now());
    } catch (err) {
      setResult({ state: 'error', message: (err as Error).message });
      return;
    }
    getJson<{ summaries: TraceSummary[] }>(`/api/v3/trace-summaries?${query}`, ctl.signal).then(
      (r) => setResult({ state: 'done', value: r.summaries }),
      (err: Error) => {
        if (err.name !== 'AbortError') setResult({ state: 'error', message: err.message });
      },
    );
    return () => ctl.abort();
  }, [key]);

  const sorted = useMemo(
    () => (result.state === 'done' ? sortSummaries(result.value.slice(), form.sort) : []),
    [result, form.sort],
  );

  let body;
  if (services.state === 'done' && services.value.length === 0) {
    body = (
      <Empty title="No traces stored yet">
        <p>
          Point an OpenTelemetry SDK at Skein (OTLP gRPC on port 4317, HTTP on 4318), or send demo
          traces with <code>npx skein tracegen</code>, then search again.
        </p>
      </Empty>
    );
  } else if (result.state === 'loading') body = <Loading what="traces" />;
  else if (result.state === 'error')
    body = (
      <ErrorState title="The search failed" message={result.message}>
        Correct the field it names and search again.
      </ErrorState>
    );
  else if (sorted.length === 0)
    body = (
      <Empty title="No traces match">
        <p>Widen the lookback, remove tags or duration bounds, or search all services.</p>
      </Empty>
    );
  else {
    const maxDuration = sorted.reduce((m, t) => Math.max(m, t.duration), 1);
    body = (
      <>
        <ScatterPlot summaries={sorted} />
        <div class="results-bar">
          <strong>
            {sorted.length} trace{sorted.length === 1 ? '' : 's'}
          </strong>
          <label>
            Sort
            <select
              name="sort"
              value={form.sort}
              onChange={(e) =>
                navigate(
                  `/search?${formToParams({ ...form, sort: (e.target as HTMLSelectElement).value as SortOrder })}`,
                  true,
                )
              }
            >
              {Object.entries(SORT_LABELS).map(([v, l]) => (
                <option key={v} value={v}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        </div>
        <ResultList list={sorted} maxDuration={maxDuration} />
      </>
    );
  }
  return (
    <div class="search-page">
      <aside>
        {services.state === 'error' && (
          <ErrorState title="Could not list services" message={services.message} />
        )}
        <SearchFormView initial={form} services={services} />
      </aside>
      <section class="search-results">{body}</section>
    </div>
  );
}
