import { useEffect, useState } from 'preact/hooks';
import { getJson, readJson, takePrefetchedTrace, type JaegerEnvelope } from '../api.ts';
import { CompletenessBanner } from '../components/completeness-banner.tsx';
import { ErrorState, Loading } from '../components/states.tsx';
import { TraceView } from '../components/trace-view.tsx';
import { fromJaegerTrace, type JaegerTrace } from '../model/from-jaeger.ts';
import type { RawTrace } from '../model/raw-trace.ts';

type State =
  | { state: 'loading' }
  | { state: 'error'; status: number; message: string }
  | { state: 'done'; trace: RawTrace };

/** A stored trace, read through `/api/traces/{id}`. */
export function TracePage({ traceId, spanId }: { traceId: string; spanId: string }) {
  const [state, setState] = useState<State>({ state: 'loading' });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ state: 'loading' });
    const url = `/api/traces/${encodeURIComponent(traceId)}`;
    const prefetched = takePrefetchedTrace(traceId);
    if (!prefetched) performance.mark('skein:trace-fetch');
    const request = prefetched
      ? readJson<JaegerEnvelope<JaegerTrace[]>>(url, prefetched)
      : getJson<JaegerEnvelope<JaegerTrace[]>>(url, ctl.signal);
    request.then(
      (r) => {
        performance.mark('skein:trace-fetched');
        setState({ state: 'done', trace: fromJaegerTrace(r.data[0]) });
      },
      (err: Error & { status?: number }) => {
        if (err.name !== 'AbortError')
          setState({ state: 'error', status: err.status ?? 0, message: err.message });
      },
    );
    return () => ctl.abort();
  }, [traceId]);
  useEffect(() => {
    document.title = `Trace ${traceId.slice(0, 7)} · Skein`;
  }, [traceId]);
  if (state.state === 'loading') return <Loading what={`trace ${traceId}`} />;
  if (state.state === 'error') {
    return (
      <ErrorState
        title={
          state.status === 404 ? `Trace ${traceId} was not found` : 'The trace could not be loaded'
        }
        message={state.status === 404 ? '' : state.message}
      >
        <p>
          {state.status === 404
            ? 'It may be older than the retention period, not yet written (spans are batched for a moment), or the id may be mistyped. '
            : ''}
          <a href="/search">Search for traces</a> or <a href="/upload">open a trace file</a>.
        </p>
      </ErrorState>
    );
  }
  return (
    <div class="trace-page">
      <CompletenessBanner traceId={traceId} />
      <TraceView
        key={state.trace.traceId}
        trace={state.trace}
        initialSpanId={spanId}
        source="stored"
      />
    </div>
  );
}
