import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { getJson, type JaegerEnvelope, loadFailure, type Load } from '../api.ts';
import { MetricChart } from '../components/metric-chart.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { causeInfo } from '../model/break-causes.ts';
import {
  completenessApiUrl,
  completenessFromParams,
  completenessUrl,
  COMPLETENESS_LOOKBACKS,
  lookbackLabel,
  type CompletenessState,
} from '../model/completeness-query.ts';
import {
  breakTotal,
  callTotals,
  edgeExamples,
  edgeName,
  orderCauses,
  parseCompletenessReport,
  sortEdgeRows,
  sortServiceRows,
  type BreakExample,
  type CauseRow,
  type CompletenessReport,
  type EdgeColumn,
  type ServiceColumn,
} from '../model/completeness-report.ts';
import { edgeTone } from '../model/edge-completeness.ts';
import { formatPercent } from '../model/metric-format.ts';
import { traceUrl } from '../model/route.ts';
import { formatTimestamp } from '../model/time-format.ts';
import { shortTraceId } from '../model/trace-verdict.ts';
import { navigate } from '../router.ts';

const count = (n: number) => n.toLocaleString('en-US');

function Toolbar({
  state,
  services,
  onRefresh,
}: {
  state: CompletenessState;
  services: string[];
  onRefresh: () => void;
}) {
  const go = (patch: Partial<CompletenessState>) =>
    navigate(completenessUrl({ ...state, ...patch }), true);
  const value = (e: Event) => (e.target as HTMLSelectElement).value;
  const options =
    !state.service || services.includes(state.service) ? services : [state.service, ...services];
  const windows = COMPLETENESS_LOOKBACKS.some((l) => l.value === state.lookback)
    ? COMPLETENESS_LOOKBACKS
    : [{ value: state.lookback, label: lookbackLabel(state.lookback) }, ...COMPLETENESS_LOOKBACKS];
  return (
    <div class="monitor-bar">
      <h1>Trace completeness</h1>
      <label>
        Service
        <select name="service" value={state.service} onChange={(e) => go({ service: value(e) })}>
          <option value="">All services</option>
          {options.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Window
        <select name="lookback" value={state.lookback} onChange={(e) => go({ lookback: value(e) })}>
          {windows.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={onRefresh} title="Fetch the numbers again">
        Refresh
      </button>
    </div>
  );
}

/** A sortable column header: a button (Tab, Enter/Space), its order in the URL. */
function SortHeader({
  label,
  href,
  active,
  desc,
  numeric,
  column,
}: {
  label: string;
  href: string;
  active: boolean;
  desc: boolean;
  numeric: boolean;
  column: string;
}) {
  return (
    <th
      scope="col"
      class={numeric ? 'num' : ''}
      aria-sort={active ? (desc ? 'descending' : 'ascending') : 'none'}
    >
      <button
        type="button"
        class="sort-button"
        data-column={column}
        title={`Sort by ${label}`}
        onClick={() => navigate(href, true)}
      >
        {label}
        <span class="sort-mark" aria-hidden="true">
          {active ? (desc ? '▼' : '▲') : ''}
        </span>
      </button>
    </th>
  );
}

function breakList(breaks: Record<string, number>): string {
  return Object.entries(breaks)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, n]) => `${causeInfo(cause).label.toLowerCase()} ${count(n)}`)
    .join(', ');
}

/** An example trace and, for a split, a link to its other half. */
function Example({ cause, example }: { cause: string; example: BreakExample }) {
  const other = example.otherTraceId;
  const otherLabel = cause === 'fragment' ? "caller's half" : 'other half';
  return (
    <span class="example" data-trace-id={example.traceId}>
      <a href={traceUrl(example.traceId)} class="trace-id" title={`Open trace ${example.traceId}`}>
        {shortTraceId(example.traceId)}
      </a>
      {other && (
        <>
          {' ⇄ '}
          <a
            href={traceUrl(other)}
            class="trace-id other-half"
            data-other-trace-id={other}
            title={`Open the ${otherLabel}: trace ${other}`}
          >
            {shortTraceId(other)}
          </a>
        </>
      )}
    </span>
  );
}

function CauseCard({
  cause,
  state,
  selected,
}: {
  cause: CauseRow;
  state: CompletenessState;
  selected: boolean;
}) {
  const info = causeInfo(cause.cause);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (selected) ref.current?.scrollIntoView({ block: 'start' });
  }, [selected]);
  return (
    <article
      ref={ref}
      class={`cause-card${selected ? ' selected' : ''}${cause.incomplete ? '' : ' apart'}`}
      data-cause={cause.cause}
      aria-current={selected ? 'true' : undefined}
    >
      <header>
        <h3>
          <a
            href={completenessUrl({ ...state, cause: selected ? '' : cause.cause })}
            title={selected ? 'Show every cause' : `Open the page on ${info.label.toLowerCase()}`}
          >
            {info.label}
          </a>
        </h3>
        <span class="cause-count" data-count={cause.count}>
          {count(cause.count)}
        </span>
        <span class="muted">
          {cause.incomplete ? 'makes traces incomplete' : 'counted apart: the trace stays whole'}
        </span>
      </header>
      <p class="cause-meaning">
        <strong>What happened:</strong> {info.meaning}.
      </p>
      <p class="cause-fix">
        <strong>Where to fix:</strong> {info.fix}.
      </p>
      {cause.top.length > 0 && (
        <table
          class="ops-table pairs-table"
          aria-label={`Where ${info.label.toLowerCase()} breaks happen`}
        >
          <thead>
            <tr>
              <th scope="col">Service</th>
              <th scope="col">Other side</th>
              <th scope="col" class="num">
                Breaks
              </th>
              <th scope="col">Example traces</th>
            </tr>
          </thead>
          <tbody>
            {cause.top.map((p) => (
              <tr key={`${p.service}\u0000${p.peer}`} data-service={p.service} data-peer={p.peer}>
                <td>{p.service || <em>none</em>}</td>
                <td>{p.peer || <em class="muted">unknown</em>}</td>
                <td class="num">{count(p.count)}</td>
                <td class="examples">
                  {p.examples.slice(0, 3).map((e) => (
                    <Example key={e.traceId} cause={cause.cause} example={e} />
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </article>
  );
}

const SERVICE_LABELS: Record<ServiceColumn, string> = {
  service: 'Service',
  spans: 'Spans',
  rate: 'In complete traces',
  breakCount: 'Breaks',
};

function ServiceTable({ state, report }: { state: CompletenessState; report: CompletenessReport }) {
  const rows = useMemo(
    () => sortServiceRows(report.services.slice(), state.serviceSort, state.serviceDesc),
    [report, state.serviceSort, state.serviceDesc],
  );
  if (rows.length === 0) return <p class="muted">No spans of any service in this window.</p>;
  const header = (column: ServiceColumn) => {
    const active = state.serviceSort === column;
    const desc = active ? !state.serviceDesc : column !== 'service';
    return (
      <SortHeader
        key={column}
        column={column}
        label={SERVICE_LABELS[column]}
        href={completenessUrl({ ...state, serviceSort: column, serviceDesc: desc })}
        active={active}
        desc={state.serviceDesc}
        numeric={column !== 'service'}
      />
    );
  };
  return (
    <table class="ops-table completeness-services" aria-label="Completeness per service">
      <thead>
        <tr>
          {(['service', 'spans', 'rate', 'breakCount'] as const).map(header)}
          <th scope="col">Causes</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.service} data-service={r.service}>
            <th scope="row" class="op-name">
              <a
                href={completenessUrl({ ...state, service: r.service, cause: '' })}
                title={`Only what concerns ${r.service}`}
              >
                {r.service || <em>no service</em>}
              </a>
            </th>
            <td class="num" data-column="spans">
              {count(r.spans)}
            </td>
            <td class={`num tone-${edgeTone(r.rate)}`} data-column="rate">
              {formatPercent(r.rate)}
            </td>
            <td class={`num${r.breakCount > 0 ? ' has-errors' : ''}`} data-column="breakCount">
              {count(r.breakCount)}
            </td>
            <td class="muted">{breakList(r.breaks)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const EDGE_LABELS: Record<EdgeColumn, string> = {
  edge: 'Caller → callee',
  calls: 'Calls',
  rate: 'Answered',
  breakCount: 'Breaks',
};

function EdgeTable({ state, report }: { state: CompletenessState; report: CompletenessReport }) {
  const rows = useMemo(
    () => sortEdgeRows(report.edges.slice(), state.edgeSort, state.edgeDesc),
    [report, state.edgeSort, state.edgeDesc],
  );
  if (rows.length === 0)
    return (
      <p class="muted">
        No calls between instrumented services in this window (only CLIENT and PRODUCER spans to a
        service that emits SERVER or CONSUMER spans are judged).
      </p>
    );
  const header = (column: EdgeColumn) => {
    const active = state.edgeSort === column;
    const desc = active ? !state.edgeDesc : column !== 'edge';
    return (
      <SortHeader
        key={column}
        column={column}
        label={EDGE_LABELS[column]}
        href={completenessUrl({ ...state, edgeSort: column, edgeDesc: desc })}
        active={active}
        desc={state.edgeDesc}
        numeric={column !== 'edge'}
      />
    );
  };
  return (
    <table class="ops-table completeness-edges" aria-label="Completeness per call edge">
      <thead>
        <tr>
          {(['edge', 'calls', 'rate', 'breakCount'] as const).map(header)}
          <th scope="col">Causes</th>
          <th scope="col">Example traces</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((e) => (
          <tr key={edgeName(e)} data-edge={`${e.caller}->${e.callee}`}>
            <th scope="row" class="op-name">
              {e.caller} → {e.callee}
            </th>
            <td class="num" data-column="calls">
              {count(e.calls)}
            </td>
            <td
              class={`num tone-${edgeTone(e.rate)}`}
              data-column="rate"
              title={`${count(e.answered)} of ${count(e.calls)} calls answered in the same trace`}
            >
              {formatPercent(e.rate)}
            </td>
            <td class={`num${e.breakCount > 0 ? ' has-errors' : ''}`} data-column="breakCount">
              {count(e.breakCount)}
            </td>
            <td class="muted">{breakList(e.breaks)}</td>
            <td class="examples">
              {edgeExamples(report.causes, e)
                .slice(0, 2)
                .map((x) => (
                  <Example key={x.traceId} cause="split_trace" example={x} />
                ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Summary({ report }: { report: CompletenessReport }) {
  const { summary } = report;
  const calls = callTotals(report.edges);
  const breaks = breakTotal(report.causes);
  const card = (id: string, label: string, value: string, detail: string, tone = '') => (
    <div class={`stat-card${tone ? ` tone-${tone}` : ''}`} data-stat={id}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
      <span class="muted">{detail}</span>
    </div>
  );
  return (
    <div class="stat-cards">
      {card(
        'rate',
        'Complete traces',
        formatPercent(summary.rate),
        `${count(summary.complete)} of ${count(summary.traces)} traces`,
        edgeTone(summary.rate),
      )}
      {card(
        'incomplete',
        'Incomplete traces',
        count(summary.traces - summary.complete),
        'with at least one break',
      )}
      {card(
        'calls',
        'Calls answered',
        formatPercent(calls.calls > 0 ? calls.answered / calls.calls : null),
        `${count(calls.answered)} of ${count(calls.calls)} judged calls`,
        edgeTone(calls.calls > 0 ? calls.answered / calls.calls : null),
      )}
      {card('breaks', 'Breaks', count(breaks), 'propagation breaks (a split counts once)')}
    </div>
  );
}

export function CompletenessPage({ params }: { params: URLSearchParams }) {
  const key = params.toString();
  const state = useMemo(() => completenessFromParams(params), [key]);
  const [services, setServices] = useState<string[]>([]);
  const [refresh, setRefresh] = useState(0);
  const [result, setResult] = useState<Load<CompletenessReport>>({ state: 'loading' });

  useEffect(() => {
    document.title = 'Completeness · Skein';
    getJson<JaegerEnvelope<string[]>>('/api/services').then(
      (r) => setServices((r.data ?? []).slice().sort()),
      () => setServices([]),
    );
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    setResult({ state: 'loading' });
    getJson<unknown>(completenessApiUrl(state, Date.now()), ctl.signal)
      .then(parseCompletenessReport)
      .then(
        (value) => setResult({ state: 'done', value }),
        (err: Error) => {
          if (err.name !== 'AbortError') setResult(loadFailure(err));
        },
      );
    return () => ctl.abort();
    // Sorting and the chosen cause are done here: they must not fetch again.
  }, [state.service, state.lookback, refresh]);

  let body;
  if (result.state === 'loading') body = <Loading what="trace completeness" />;
  else if (result.state === 'error' && result.status === 501)
    body = (
      <ErrorState title="Trace completeness is turned off" message={result.message}>
        <p>
          Turn on the completeness processor (<code>pipeline.processors.completeness.enabled</code>,
          see docs/configuration.md) to measure where traces break.
        </p>
      </ErrorState>
    );
  else if (result.state === 'error')
    body = <ErrorState title="Could not load trace completeness" message={result.message} />;
  else {
    const r = result.value;
    const win = { startMs: r.window.start / 1000, endMs: r.window.end / 1000 };
    const nothing = r.summary.traces === 0 && r.causes.length === 0 && r.edges.length === 0;
    const causes = orderCauses(r.causes, state.cause);
    body = nothing ? (
      <Empty
        title={`No assembled traces ${state.service ? `of ${state.service} ` : ''}in this window`}
      >
        <p>
          Traces are judged once they have been idle for a few seconds (
          <code>pipeline.traceBuffer.idleSeconds</code>, 10 by default). Send traces (try{' '}
          <code>skein tracegen --break 'split:frontend&gt;catalog=0.1'</code>) or choose a longer
          window.
        </p>
      </Empty>
    ) : (
      <>
        <p class="muted window-line">
          {formatTimestamp(r.window.start).slice(0, 16)} –{' '}
          {formatTimestamp(r.window.end).slice(0, 16)}
          {r.service ? `, traces rooted at ${r.service}` : ', every service'}
        </p>
        <Summary report={r} />
        <div class="monitor-charts">
          <MetricChart
            testId="chart-completeness"
            title="Complete traces"
            window={win}
            format={formatPercent}
            lines={[
              {
                label: 'complete',
                tone: 'line-1',
                points: r.series.map((p) => ({ t: p.time / 1000, v: p.rate })),
              },
            ]}
          />
        </div>
        <h2 id="causes">Why traces break</h2>
        {causes.length === 0 ? (
          <p class="muted">No breaks in this window: every trace is whole.</p>
        ) : (
          <div class="cause-list">
            {state.cause && !r.causes.some((c) => c.cause === state.cause) && (
              <p class="muted">
                No {causeInfo(state.cause).label.toLowerCase()} breaks in this window.
              </p>
            )}
            {causes.map((c) => (
              <CauseCard key={c.cause} cause={c} state={state} selected={c.cause === state.cause} />
            ))}
          </div>
        )}
        <h2>Call edges</h2>
        <EdgeTable state={state} report={r} />
        <p class="muted">
          A call is judged when its callee is a known instrumented service; it is answered when the
          callee's span is in the same trace. Green ≥ 99%, amber ≥ 90%, red below.
        </p>
        <h2>Services</h2>
        <ServiceTable state={state} report={r} />
        <p class="muted">
          The share of each service's spans that are in complete traces, and the breaks recorded at
          it.
        </p>
      </>
    );
  }

  return (
    <div class="page-pad monitor-page completeness-page">
      <Toolbar state={state} services={services} onRefresh={() => setRefresh((n) => n + 1)} />
      {body}
    </div>
  );
}
