import dagre from '@dagrejs/dagre';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, type DependencyLink, type JaegerEnvelope } from '../api.ts';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
import { parseCompletenessReport, type EdgeRow } from '../model/completeness-report.ts';
import {
  edgeLabel,
  edgeTitle,
  graphEdges,
  type EdgeTone,
  type GraphEdge,
} from '../model/edge-completeness.ts';
import { lookbackMs } from '../model/search-query.ts';
import { navigate } from '../router.ts';
import { colorForName } from '../theme.ts';

const WINDOWS = [
  { value: '15m', label: 'Last 15 minutes' },
  { value: '1h', label: 'Last hour' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '2d', label: 'Last 2 days' },
  { value: '7d', label: 'Last 7 days' },
];

const NODE_H = 36;
const CHAR_W = 8.2;

interface Laid {
  width: number;
  height: number;
  nodes: { name: string; x: number; y: number; w: number }[];
  edges: (GraphEdge & { label: string; path: string; lx: number; ly: number })[];
}

const LABEL_CHAR_W = 7.2;

/** Lays the graph out left to right with dagre. */
function layout(edges: GraphEdge[]): Laid {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 90, edgesep: 16, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set<string>();
  for (const e of edges) {
    names.add(e.from);
    names.add(e.to);
  }
  for (const name of names)
    g.setNode(name, { width: Math.max(90, name.length * CHAR_W + 44), height: NODE_H });
  const labels = edges.map(edgeLabel);
  edges.forEach((e, i) =>
    g.setEdge(e.from, e.to, {
      label: labels[i],
      width: 8 + labels[i].length * LABEL_CHAR_W,
      height: 18,
      labelpos: 'c',
    }),
  );
  dagre.layout(g);
  const graph = g.graph();
  const nodes = [...names].map((name) => {
    const n = g.node(name);
    return { name, x: n.x, y: n.y, w: n.width };
  });
  const laid = edges.map((e, i) => {
    const d = g.edge(e.from, e.to) as {
      points: { x: number; y: number }[];
      x: number;
      y: number;
    };
    const path = d.points
      .map((p, k) => `${k === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
      .join(' ');
    return { ...e, label: labels[i], path, lx: d.x, ly: d.y };
  });
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges: laid };
}

const TONE_LEGEND: { tone: EdgeTone; label: string }[] = [
  { tone: 'good', label: '≥ 99% answered' },
  { tone: 'warn', label: '≥ 90%' },
  { tone: 'bad', label: '< 90%' },
  { tone: 'none', label: 'not judged' },
];

/**
 * The completeness of each caller → callee edge for the window, or null when it is not
 * available (completeness turned off: 501, or any failure): the graph is drawn without colours.
 */
function useEdgeCompleteness(lookback: string): { edges: EdgeRow[] | null; loaded: boolean } {
  const [edges, setEdges] = useState<{ edges: EdgeRow[] | null; loaded: boolean }>({
    edges: null,
    loaded: false,
  });
  useEffect(() => {
    const ctl = new AbortController();
    setEdges({ edges: null, loaded: false });
    const end = Date.now() * 1000;
    const q = new URLSearchParams({
      start: String(end - (lookbackMs(lookback) ?? 86_400_000) * 1000),
      end: String(end),
    });
    getJson<unknown>(`/api/completeness?${q}`, ctl.signal)
      .then(parseCompletenessReport)
      .then(
        (r) => setEdges({ edges: r.edges, loaded: true }),
        (err: Error) => {
          if (err.name !== 'AbortError') setEdges({ edges: null, loaded: true });
        },
      );
    return () => ctl.abort();
  }, [lookback]);
  return edges;
}

type State =
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'done'; links: DependencyLink[] };

export function DependenciesPage({ params }: { params: URLSearchParams }) {
  const lookback = WINDOWS.some((w) => w.value === params.get('lookback'))
    ? params.get('lookback')!
    : '24h';
  const [state, setState] = useState<State>({ state: 'loading' });
  useEffect(() => {
    const ctl = new AbortController();
    setState({ state: 'loading' });
    const q = new URLSearchParams({
      endTs: String(Date.now()),
      lookback: String(lookbackMs(lookback)),
    });
    getJson<JaegerEnvelope<DependencyLink[]>>(`/api/dependencies?${q}`, ctl.signal).then(
      (r) => setState({ state: 'done', links: r.data ?? [] }),
      (err: Error) => {
        if (err.name !== 'AbortError') setState({ state: 'error', message: err.message });
      },
    );
    return () => ctl.abort();
  }, [lookback]);
  const completeness = useEdgeCompleteness(lookback);
  const laid = useMemo(() => {
    // Wait for completeness (or its failure) so the graph is laid out once.
    if (state.state !== 'done' || !completeness.loaded) return null;
    const edges = graphEdges(state.links, completeness.edges);
    return edges.length > 0 ? layout(edges) : null;
  }, [state, completeness]);
  const selfCalls = state.state === 'done' ? state.links.filter((l) => l.parent === l.child) : [];

  let body;
  if (state.state === 'loading' || (state.state === 'done' && !completeness.loaded))
    body = <Loading what="the service graph" />;
  else if (state.state === 'error')
    body = <ErrorState title="Could not load dependencies" message={state.message} />;
  else if (!laid)
    body = (
      <Empty title="No calls between services in this window">
        <p>
          Choose a longer window, or send traces whose spans cross services (try{' '}
          <code>skein tracegen</code>).
        </p>
      </Empty>
    );
  else
    body = (
      <div class="graph-scroll">
        <svg
          class="dep-graph"
          width={laid.width}
          height={laid.height}
          viewBox={`0 0 ${laid.width} ${laid.height}`}
          role="img"
          aria-label="Service dependency graph"
        >
          <defs>
            {TONE_LEGEND.map(({ tone }) => (
              <marker
                key={tone}
                id={`arrow-${tone}`}
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerWidth="7"
                markerHeight="7"
                orient="auto-start-reverse"
                class={`tone-${tone}`}
              >
                <path d="M0,0 L10,5 L0,10 z" class="arrow" />
              </marker>
            ))}
          </defs>
          {laid.edges.map((e) => (
            <g
              key={`${e.from}->${e.to}`}
              class={`dep-edge tone-${e.tone}${e.calls === 0 ? ' broken-only' : ''}`}
              data-edge={`${e.from}->${e.to}`}
              data-calls={e.calls}
              data-tone={e.tone}
              data-rate={e.completeness?.rate ?? undefined}
            >
              <title>{edgeTitle(e)}</title>
              <path d={e.path} marker-end={`url(#arrow-${e.tone})`} />
              <rect
                x={e.lx - 4 - e.label.length * (LABEL_CHAR_W / 2)}
                y={e.ly - 9}
                width={8 + e.label.length * LABEL_CHAR_W}
                height={18}
                rx={4}
              />
              <text x={e.lx} y={e.ly + 4} text-anchor="middle">
                {e.label}
              </text>
            </g>
          ))}
          {laid.nodes.map((n) => (
            <g
              key={n.name}
              class="dep-node"
              data-service={n.name}
              role="link"
              tabIndex={0}
              onClick={() =>
                navigate(`/search?service=${encodeURIComponent(n.name)}&lookback=${lookback}`)
              }
              onKeyDown={(e) => {
                if (e.key === 'Enter')
                  navigate(`/search?service=${encodeURIComponent(n.name)}&lookback=${lookback}`);
              }}
            >
              <title>Search traces of {n.name}</title>
              <rect
                x={n.x - n.w / 2}
                y={n.y - NODE_H / 2}
                width={n.w}
                height={NODE_H}
                rx={8}
                style={{ stroke: colorForName(n.name) }}
              />
              <circle
                cx={n.x - n.w / 2 + 14}
                cy={n.y}
                r={5}
                style={{ fill: colorForName(n.name) }}
              />
              <text x={n.x + 7} y={n.y + 4} text-anchor="middle">
                {n.name}
              </text>
            </g>
          ))}
        </svg>
      </div>
    );
  return (
    <div class="page-pad deps-page">
      <div class="deps-bar">
        <h1>Service dependencies</h1>
        <label>
          Window
          <select
            name="lookback"
            value={lookback}
            onChange={(e) =>
              navigate(`/dependencies?lookback=${(e.target as HTMLSelectElement).value}`, true)
            }
          >
            {WINDOWS.map((w) => (
              <option key={w.value} value={w.value}>
                {w.label}
              </option>
            ))}
          </select>
        </label>
        {laid && (
          <span class="muted">
            {laid.nodes.length} services, {laid.edges.length} edges; numbers are calls
            {completeness.edges ? ' and the share answered in the same trace' : ''}. Click a service
            to search its traces.
          </span>
        )}
        {laid && completeness.edges && (
          <span class="legend edge-legend" aria-label="Edge colours: trace completeness">
            {TONE_LEGEND.map((l) => (
              <span key={l.tone} class={`legend-item tone-${l.tone}`} data-tone={l.tone}>
                <i aria-hidden="true" />
                {l.label}
              </span>
            ))}
            <a href={`/completeness?lookback=${lookback}`}>why?</a>
          </span>
        )}
      </div>
      {selfCalls.length > 0 && (
        <p class="muted">
          Calls within a service: {selfCalls.map((l) => `${l.parent} (${l.callCount})`).join(', ')}
        </p>
      )}
      {body}
    </div>
  );
}
