import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, loadFailure, type Load } from '../api.ts';
import { CopyButton } from '../components/copy-button.tsx';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import {
  DEFAULT_SAMPLING,
  samplingApiUrl,
  samplingFromParams,
  samplingUrl,
  type SamplingState,
} from '../model/sampling-query.ts';
import {
  baseProbability,
  describeStrategy,
  formatProbability,
  formatTracesPerSecond,
  operationRows,
  parseSamplingStrategies,
  rateBar,
  sortOperationRows,
  targetStanding,
  type OperationRow,
  type SamplingColumn,
  type SamplingStrategies,
  type ServedFrom,
  type ServiceStrategy,
  type StrategyExplanation,
} from '../model/sampling-strategies.ts';
import {
  JAEGER_GRPC_PORT,
  SAMPLING_HTTP_PORT,
  sdkSamplerSettings,
} from '../model/sdk-sampler-settings.ts';
import { formatTimestamp } from '../model/time-format.ts';
import { navigate } from '../router.ts';

const ORIGIN_TITLES: Record<string, string> = {
  file: 'its own entry in the strategies (file or YAML): pinned by the operator',
  adaptive: 'computed by the adaptive sampler from the traffic it sees',
  default: 'nothing specific for this service: the default strategy',
};

function Origin({ origin }: { origin: string }) {
  return (
    <span
      class={`badge origin origin-${origin}`}
      data-field="origin"
      title={ORIGIN_TITLES[origin] ?? origin}
    >
      {origin}
    </span>
  );
}

function Warnings({ warnings }: { warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul class="sampling-warnings" role="note" aria-label="Warnings">
      {warnings.map((w) => (
        <li key={w}>
          <span class="badge badge-warn">warning</span> {w}
        </li>
      ))}
    </ul>
  );
}

function Toolbar({
  state,
  services,
  onRefresh,
}: {
  state: SamplingState;
  services: string[];
  onRefresh: () => void;
}) {
  const options =
    !state.service || services.includes(state.service) ? services : [state.service, ...services];
  return (
    <div class="monitor-bar">
      <h1>Sampling</h1>
      <label>
        Service
        <select
          name="service"
          value={state.service}
          onChange={(e) =>
            navigate(
              samplingUrl({ ...state, service: (e.target as HTMLSelectElement).value }),
              true,
            )
          }
        >
          <option value="">All services</option>
          {options.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <button type="button" onClick={onRefresh} title="Fetch the strategies again">
        Refresh
      </button>
    </div>
  );
}

/** What an SDK keeps per operation beyond its probability. */
function boundsLine(e: StrategyExplanation): string {
  const ops = e.strategy.operationSampling;
  const parts: string[] = [];
  if (ops && ops.lowerBound > 0)
    parts.push(
      `each SDK instance keeps at least ${formatTracesPerSecond(ops.lowerBound)} traces/s per operation`,
    );
  if (ops && ops.upperBound > 0)
    parts.push(`at most ${formatTracesPerSecond(ops.upperBound)} traces/s per operation`);
  return parts.join(', ');
}

/** The served strategy in words, its origin, reason and warnings. */
function StrategyCard({
  title,
  explanation,
  service,
}: {
  title: string;
  explanation: StrategyExplanation;
  service?: string;
}) {
  const bounds = boundsLine(explanation);
  return (
    <section class="strategy-card" data-service={service} aria-label={title}>
      <h2>{title}</h2>
      <p class="strategy-line">
        <strong data-field="strategy">
          {describeStrategy(explanation.strategy, explanation.origin)}
        </strong>{' '}
        <Origin origin={explanation.origin} />
      </p>
      <p class="muted" data-field="reason">
        {explanation.reason}
      </p>
      {bounds && <p class="muted">{bounds}</p>}
      <Warnings warnings={explanation.warnings} />
    </section>
  );
}

function ServiceTable({ data }: { data: SamplingStrategies }) {
  return (
    <table class="ops-table sampling-services" aria-label="Strategy per service">
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Strategy</th>
          <th scope="col">Origin</th>
          <th scope="col" class="num">
            Operations
          </th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        {data.services.map((s) => (
          <tr key={s.service} data-service={s.service}>
            <th scope="row" class="op-name">
              <a
                href={samplingUrl({ ...DEFAULT_SAMPLING, service: s.service })}
                title={`${s.service}: its operations and how to point its SDKs at Skein`}
              >
                {s.service}
              </a>
            </th>
            <td data-field="strategy">
              {describeStrategy(s.strategy, s.origin)}
              {s.warnings.length > 0 && (
                <>
                  {' '}
                  <span class="badge badge-warn" title={s.warnings.join('\n')}>
                    {s.warnings.length === 1 ? '1 warning' : `${s.warnings.length} warnings`}
                  </span>
                </>
              )}
            </td>
            <td>
              <Origin origin={s.origin} />
            </td>
            <td class="num" data-field="operations">
              {operationRows(s).length}
            </td>
            <td class="muted" data-field="reason">
              {s.reason}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const COLUMN_LABELS: Record<SamplingColumn, string> = {
  operation: 'Operation',
  served: 'Served probability',
  computed: 'Computed',
  observed: 'Observed traces/s',
  sampled: 'Sampled traces/s',
  target: 'Target traces/s',
};

const COLUMN_TITLES: Record<SamplingColumn, string> = {
  operation: 'The root span name the strategy is for',
  served: 'The probability SDKs apply to a root span of this operation now',
  computed:
    'The probability the adaptive sampler computed (served unless the operator pinned the service)',
  observed: 'Root traces per second, sampled or not, as estimated from the sampled ones',
  sampled: 'Sampled root traces per second that reached Skein',
  target: 'The adaptive target: sampled traces per second per operation',
};

const SERVED_FROM: Record<ServedFrom, string> = {
  operation: 'listed in the served strategy',
  'operations-default': 'not listed: the operations’ default',
  service: 'the service’s probability',
  'rate-limit': 'rate limited, no probability',
};

function SortHeader({ column, state }: { column: SamplingColumn; state: SamplingState }) {
  const active = state.sort === column;
  const desc = active ? !state.desc : column !== 'operation';
  const numeric = column !== 'operation';
  return (
    <th
      scope="col"
      class={numeric ? 'num' : ''}
      aria-sort={active ? (state.desc ? 'descending' : 'ascending') : 'none'}
      title={COLUMN_TITLES[column]}
    >
      <button
        type="button"
        class="sort-button"
        data-column={column}
        onClick={() => navigate(samplingUrl({ ...state, sort: column, desc }), true)}
      >
        {COLUMN_LABELS[column]}
        <span class="sort-mark" aria-hidden="true">
          {active ? (state.desc ? '▼' : '▲') : ''}
        </span>
      </button>
    </th>
  );
}

function RateBarCell({ row }: { row: OperationRow }) {
  const bar = rateBar(row);
  if (!bar) return <td class="rate-bar-cell" />;
  const W = 120;
  const H = 12;
  const label = `sampled ${formatTracesPerSecond(row.sampled)}/s, target ${formatTracesPerSecond(row.target)}/s`;
  // Tenths of a pixel: enough for the eye, and stable numbers in the DOM.
  const px = (f: number) => Math.round(f * W * 10) / 10;
  const x = (f: number) => Math.min(W - 1, Math.max(1, px(f)));
  return (
    <td class="rate-bar-cell">
      <svg
        class="rate-bar"
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        role="img"
        aria-label={label}
      >
        <title>{label}</title>
        <rect class="track" x="0" y="0" width={W} height={H} rx="2" />
        <rect class="sampled" x="0" y="3" width={px(bar.sampled)} height={H - 6} />
        {bar.target !== null && (
          <line class="target" x1={x(bar.target)} x2={x(bar.target)} y1="0" y2={H} />
        )}
      </svg>
    </td>
  );
}

const STANDING: Record<string, { tone: string; text: string }> = {
  on: { tone: 'good', text: 'on target' },
  below: { tone: 'warn', text: 'below the target' },
  above: { tone: 'warn', text: 'above the target' },
  all: { tone: 'none', text: 'every trace kept: the traffic is under the target' },
};

function OperationTable({ service, state }: { service: ServiceStrategy; state: SamplingState }) {
  const rates = service.adaptiveOperations !== null;
  const rows = useMemo(
    () => sortOperationRows(operationRows(service), state.sort, state.desc),
    [service, state.sort, state.desc],
  );
  const columns: SamplingColumn[] = rates
    ? ['operation', 'served', 'computed', 'observed', 'sampled', 'target']
    : ['operation', 'served'];
  const s = service.strategy;
  if (rows.length === 0) {
    const base = baseProbability(s);
    return (
      <p class="muted" data-empty="operations">
        No per-operation strategies
        {rates ? ' and no root operations measured by the adaptive sampler yet' : ''}:{' '}
        {base !== null
          ? `SDKs sample every root span at ${formatProbability(base)}.`
          : s.maxTracesPerSecond !== null
            ? `each SDK instance keeps at most ${formatTracesPerSecond(s.maxTracesPerSecond)} traces per second.`
            : 'SDKs apply the service strategy above.'}
      </p>
    );
  }
  const updated = Math.max(0, ...(service.adaptiveOperations ?? []).map((r) => r.updatedAt));
  return (
    <>
      <table class="ops-table sampling-operations" aria-label={`Operations of ${service.service}`}>
        <thead>
          <tr>
            {columns.map((c) => (
              <SortHeader key={c} column={c} state={state} />
            ))}
            {rates && <th scope="col">Sampled vs target</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const standing = STANDING[targetStanding(r) ?? ''];
            return (
              <tr key={r.operation} data-operation={r.operation}>
                <th scope="row" class="op-name" title={r.operation}>
                  {r.operation}
                </th>
                <td
                  class={`num${r.servedFrom === 'operation' ? '' : ' muted'}`}
                  data-column="served"
                  title={SERVED_FROM[r.servedFrom]}
                >
                  {r.servedFrom === 'rate-limit' ? 'rate limit' : formatProbability(r.served)}
                </td>
                {rates && (
                  <>
                    <td class="num" data-column="computed">
                      {formatProbability(r.computed)}
                    </td>
                    <td class="num" data-column="observed">
                      {formatTracesPerSecond(r.observed)}
                    </td>
                    <td
                      class={`num${standing ? ` tone-${standing.tone}` : ''}`}
                      data-column="sampled"
                      title={standing?.text}
                    >
                      {formatTracesPerSecond(r.sampled)}
                    </td>
                    <td class="num" data-column="target">
                      {formatTracesPerSecond(r.target)}
                    </td>
                    <RateBarCell row={r} />
                  </>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {rates ? (
        <p class="muted">
          Observed and sampled rates are the adaptive sampler's smoothed estimates of root traces
          per second
          {updated > 0 ? `, last calculated ${formatTimestamp(updated * 1000).slice(0, 19)}` : ''}.
          The bar shows sampled traces per second against the target (the line).
        </p>
      ) : (
        <p class="muted">
          Observed and target rates per operation come from the adaptive sampler (
          <code>sampling.adaptive</code>), which does not run here.
        </p>
      )}
    </>
  );
}

/** How to point an SDK at Skein, written out for a service. */
function SdkBox({ service, probability }: { service: string; probability: number | null }) {
  const settings = sdkSamplerSettings({
    host: location.hostname,
    service,
    initialProbability: probability,
  });
  return (
    <details class="sdk-box" open={service !== ''}>
      <summary>How to point an SDK at Skein{service ? ` for ${service}` : ''}</summary>
      <p class="muted">
        SDKs ask Skein for their strategy about once a minute and sample root spans with it. Ports
        are Skein's defaults: HTTP <code>{SAMPLING_HTTP_PORT}</code> (
        <code>sampling.http.port</code>), gRPC <code>{JAEGER_GRPC_PORT}</code> (
        <code>receivers.jaegerGrpc.port</code>) or <code>5779</code> (
        <code>sampling.grpc.port</code>); use the host your services reach Skein at.
      </p>
      {settings.map((s) => (
        <div key={s.sdk} class="sdk-setting">
          <div class="sdk-head">
            <strong>{s.sdk}</strong> <span class="muted">{s.note}</span>{' '}
            <CopyButton text={s.text} />
          </div>
          <pre>{s.text}</pre>
        </div>
      ))}
    </details>
  );
}

function Overview({ data }: { data: SamplingStrategies }) {
  return (
    <>
      <p class="muted window-line">
        What each service's SDKs are served by the remote sampling ports now, and why. Adaptive
        sampling is <strong data-field="adaptive">{data.adaptive ? 'on' : 'off'}</strong>.
      </p>
      <StrategyCard title="Any other service" explanation={data.default} />
      <h2>Services</h2>
      {data.services.length === 0 ? (
        <Empty title="No service known yet">
          <p>
            Services appear here once the strategies name them, the adaptive sampler has computed
            probabilities for them, or their traces are stored. Until then every service gets the
            strategy above.
          </p>
        </Empty>
      ) : (
        <ServiceTable data={data} />
      )}
      <SdkBox service="" probability={baseProbability(data.default.strategy)} />
    </>
  );
}

function ServiceDetail({
  data,
  state,
  known,
}: {
  data: SamplingStrategies;
  state: SamplingState;
  known: boolean;
}) {
  const service = data.services.find((s) => s.service === state.service);
  if (!service)
    return <ErrorState title={`No answer for ${state.service}`} message="Try Refresh." />;
  return (
    <>
      <p class="muted window-line">
        <a href={samplingUrl({ ...state, service: '' })}>All services</a>
        {!known && ` · ${state.service} is not known to Skein yet: this is what it would get.`}
      </p>
      <StrategyCard title={service.service} explanation={service} service={service.service} />
      <h2>Operations</h2>
      <OperationTable service={service} state={state} />
      <SdkBox service={service.service} probability={baseProbability(service.strategy)} />
    </>
  );
}

export function SamplingPage({ params }: { params: URLSearchParams }) {
  const key = params.toString();
  const state = useMemo(() => samplingFromParams(params), [key]);
  const [refresh, setRefresh] = useState(0);
  const [result, setResult] = useState<Load<SamplingStrategies>>({ state: 'loading' });
  const [names, setNames] = useState<string[] | null>(null);

  useEffect(() => {
    document.title = 'Sampling · Skein';
  }, []);

  useEffect(() => {
    const ctl = new AbortController();
    setResult({ state: 'loading' });
    getJson<unknown>(samplingApiUrl(state), ctl.signal)
      .then(parseSamplingStrategies)
      .then(
        (value) => {
          setResult({ state: 'done', value });
          if (!state.service) setNames(value.services.map((s) => s.service));
        },
        (err: Error) => {
          if (err.name !== 'AbortError') setResult(loadFailure(err));
        },
      );
    return () => ctl.abort();
    // Sorting is done here: it must not fetch again.
  }, [state.service, refresh]);

  // With a service chosen, the select still lists every service Skein knows.
  useEffect(() => {
    if (!state.service || names !== null) return;
    const ctl = new AbortController();
    getJson<unknown>(samplingApiUrl(DEFAULT_SAMPLING), ctl.signal)
      .then(parseSamplingStrategies)
      .then(
        (value) => setNames(value.services.map((s) => s.service)),
        () => setNames([]),
      );
    return () => ctl.abort();
  }, [state.service, names === null]);

  let body;
  if (result.state === 'loading') body = <Loading what="sampling strategies" />;
  else if (result.state === 'error' && result.status === 501)
    body = (
      <ErrorState
        title="The sampling service does not run in this process"
        message={result.message}
      >
        <p>
          Strategies are served by the <code>sampling</code> module, which runs in the{' '}
          <code>all</code> and <code>collector</code> roles; a process running the{' '}
          <code>query</code> role alone cannot show them. See docs/configuration.md, Sampling.
        </p>
      </ErrorState>
    );
  else if (result.state === 'error')
    body = <ErrorState title="Could not load the sampling strategies" message={result.message} />;
  else if (state.service)
    body = (
      <ServiceDetail
        data={result.value}
        state={state}
        known={names === null || names.includes(state.service)}
      />
    );
  else body = <Overview data={result.value} />;

  return (
    <div class="page-pad monitor-page sampling-page">
      <Toolbar state={state} services={names ?? []} onRefresh={() => setRefresh((n) => n + 1)} />
      {body}
    </div>
  );
}
