import dagre from '@dagrejs/dagre';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, type DependencyLink, type JaegerEnvelope } from '../api.ts';
import { Empty, ErrorState, Loading } from '../components/states.tsx';
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
  edges: { from: string; to: string; calls: number; path: string; lx: number; ly: number }[];
}

/** Lays the graph out left to right with dagre. */
function layout(links: DependencyLink[]): Laid {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 90, edgesep: 16, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set<string>();
  for (const l of links) {
    names.add(l.parent);
    names.add(l.child);
  }
  for (const name of names)
    g.setNode(name, { width: Math.max(90, name.length * CHAR_W + 44), height: NODE_H });
  for (const l of links) {
    if (l.parent !== l.child)
      g.setEdge(l.parent, l.child, {
        label: String(l.callCount),
        width: 40,
        height: 18,
        labelpos: 'c',
      });
  }
  dagre.layout(g);
  const graph = g.graph();
  const nodes = [...names].map((name) => {
    const n = g.node(name);
    return { name, x: n.x, y: n.y, w: n.width };
  });
  const edges = links
    .filter((l) => l.parent !== l.child)
    .map((l) => {
      const e = g.edge(l.parent, l.child) as {
        points: { x: number; y: number }[];
        x: number;
        y: number;
      };
      const path = e.points
        .map((p, k) => `${k === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
        .join(' ');
      return { from: l.parent, to: l.child, calls: l.callCount, path, lx: e.x, ly: e.y };
    });
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges };
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
  const laid = useMemo(
    () => (state.state === 'done' && state.links.length > 0 ? layout(state.links) : null),
    [state],
  );
  const selfCalls = state.state === 'done' ? state.links.filter((l) => l.parent === l.child) : [];

  let body;
  if (state.state === 'loading') body = <Loading what="the service graph" />;
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
            <marker
              id="arrow"
              viewBox="0 0 10 10"
              refX="9"
              refY="5"
              markerWidth="7"
              markerHeight="7"
              orient="auto-start-reverse"
            >
              <path d="M0,0 L10,5 L0,10 z" class="arrow" />
            </marker>
          </defs>
          {laid.edges.map((e) => (
            <g
              key={`${e.from}->${e.to}`}
              class="dep-edge"
              data-edge={`${e.from}->${e.to}`}
              data-calls={e.calls}
            >
              <path d={e.path} marker-end="url(#arrow)">
                <title>
                  {e.from} → {e.to}: {e.calls} calls
                </title>
              </path>
              <rect
                x={e.lx - 4 - String(e.calls).length * 3.6}
                y={e.ly - 9}
                width={8 + String(e.calls).length * 7.2}
                height={18}
                rx={4}
              />
              <text x={e.lx} y={e.ly + 4} text-anchor="middle">
                {e.calls}
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
            {laid.nodes.length} services, {laid.edges.length} edges; numbers are calls. Click a
            service to search its traces.
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
