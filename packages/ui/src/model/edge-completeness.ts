/**
 * Dependency-graph edges coloured by trace completeness: the share of a caller → callee
 * edge's judged calls whose callee span is in the same trace (`edges[]` of
 * `/api/completeness`), merged into the call graph of `/api/dependencies`.
 */
import type { EdgeRow } from './completeness-report.ts';

/** At or above: the edge is whole (green). */
export const GOOD_RATE = 0.99;
/** At or above (and below GOOD_RATE): some calls break (amber); below: red. */
export const WARN_RATE = 0.9;

/** `good` ≥ 99%, `warn` ≥ 90%, `bad` below, `none` when nothing was judged on the edge. */
export type EdgeTone = 'good' | 'warn' | 'bad' | 'none';

export function edgeTone(rate: number | null | undefined): EdgeTone {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return 'none';
  if (rate >= GOOD_RATE) return 'good';
  if (rate >= WARN_RATE) return 'warn';
  return 'bad';
}

export interface DependencyLink {
  parent: string;
  child: string;
  callCount: number;
}

/** An edge of the graph: calls from the dependencies, completeness when known. */
export interface GraphEdge {
  from: string;
  to: string;
  /** Calls seen in stored traces (`/api/dependencies`); 0 for an edge only completeness knows. */
  calls: number;
  completeness: EdgeRow | null;
  tone: EdgeTone;
}

/**
 * The graph's edges: every dependency link (self-calls left out), each with the
 * completeness of the same caller → callee edge, then the completeness edges the
 * dependencies do not have (every call broken: the callee never appears under the caller,
 * so no stored trace links them), sorted by caller and callee.
 */
export function graphEdges(
  links: readonly DependencyLink[],
  edges: readonly EdgeRow[] | null,
): GraphEdge[] {
  const byKey = new Map<string, EdgeRow>();
  for (const e of edges ?? []) byKey.set(`${e.caller}\u0000${e.callee}`, e);
  const out: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const l of links) {
    if (l.parent === l.child) continue;
    const key = `${l.parent}\u0000${l.child}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const c = byKey.get(key) ?? null;
    out.push({
      from: l.parent,
      to: l.child,
      calls: l.callCount,
      completeness: c,
      tone: edgeTone(c?.rate),
    });
  }
  const extra: GraphEdge[] = [];
  for (const [key, c] of byKey) {
    if (seen.has(key) || c.caller === c.callee || c.calls <= 0) continue;
    extra.push({ from: c.caller, to: c.callee, calls: 0, completeness: c, tone: edgeTone(c.rate) });
  }
  extra.sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1));
  return out.concat(extra);
}

function pct(rate: number): string {
  const p = rate * 100;
  if (p > 99.9 && p < 100) return '99.9%';
  return `${Number(p.toFixed(p >= 10 ? 1 : 2))}%`;
}

/** The short label on an edge: calls, and the answered rate when known (`638 · 91.5%`). */
export function edgeLabel(e: GraphEdge): string {
  const calls = e.calls > 0 ? String(e.calls) : '';
  const rate = e.completeness?.rate;
  if (rate === null || rate === undefined) return calls || '0';
  return calls ? `${calls} · ${pct(rate)}` : pct(rate);
}

/** The edge's tooltip: calls, the answered rate in words, and its breaks by cause. */
export function edgeTitle(e: GraphEdge): string {
  const head = `${e.from} → ${e.to}: ${e.calls} calls`;
  const c = e.completeness;
  if (!c) return `${head}; no completeness data for this edge`;
  if (c.rate === null) return `${head}; no judged calls in this window`;
  const breaks = Object.entries(c.breaks)
    .filter(([, n]) => n > 0)
    .map(([cause, n]) => `${n} ${cause.replace(/_/g, ' ')}`)
    .join(', ');
  return (
    `${head}; ${pct(c.rate)} of ${c.calls} judged calls answered in the same trace` +
    (breaks ? ` (${breaks})` : '')
  );
}
