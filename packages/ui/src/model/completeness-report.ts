/**
 * The answer of `GET /api/completeness` (docs/api.md, "Trace completeness") as the UI reads
 * it, and the orderings of its tables. Times on the wire are µs since the epoch; rates are
 * fractions 0..1, null where there was nothing to count.
 */

/** A break cause as the API names it; unknown causes from a newer server are kept as text. */
export type BreakCause =
  | 'orphan'
  | 'rootless'
  | 'multiple_roots'
  | 'unanswered_call'
  | 'split_trace'
  | 'async_break'
  | 'fragment'
  | 'sampled_out_parent'
  | 'late_span'
  | 'duplicate_span';

export interface CompletenessCounts {
  traces: number;
  complete: number;
  rate: number | null;
}

export interface ServiceRow {
  service: string;
  spans: number;
  spansInComplete: number;
  rate: number | null;
  /** Break counts at this service by cause (only non-zero causes). */
  breaks: Record<string, number>;
  /** Breaks that make a trace incomplete. */
  breakCount: number;
}

export interface EdgeRow {
  caller: string;
  callee: string;
  calls: number;
  answered: number;
  rate: number | null;
  breaks: Record<string, number>;
  breakCount: number;
}

/** An example trace; for a split, an async break or a fragment, the trace with the other half. */
export interface BreakExample {
  traceId: string;
  otherTraceId?: string;
}

export interface BreakPair {
  service: string;
  /** '' when unknown (orphans). */
  peer: string;
  count: number;
  examples: BreakExample[];
}

export interface CauseRow {
  cause: string;
  /** Whether the cause makes a trace incomplete (`late_span`, `duplicate_span` do not). */
  incomplete: boolean;
  count: number;
  top: BreakPair[];
  examples: BreakExample[];
}

export interface CompletenessPoint extends CompletenessCounts {
  /** Bucket start, µs since the epoch. */
  time: number;
}

export interface CompletenessReport {
  window: { start: number; end: number; step: number };
  service: string | null;
  summary: CompletenessCounts;
  rootServices: (CompletenessCounts & { service: string })[];
  services: ServiceRow[];
  edges: EdgeRow[];
  causes: CauseRow[];
  series: CompletenessPoint[];
}

function fail(what: string): never {
  throw new Error(`the completeness answer ${what}; is this Skein's /api/completeness?`);
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`has no number at ${what}`);
  return v;
}

function rate(v: unknown, what: string): number | null {
  return v === null || v === undefined ? null : num(v, what);
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(`has no text at ${what}`);
  return v;
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`has no list at ${what}`);
  return v;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) fail(`has no object at ${what}`);
  return v as Record<string, unknown>;
}

function counts(v: unknown, what: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (v === undefined || v === null) return out;
  for (const [k, n] of Object.entries(obj(v, what))) out[k] = num(n, `${what}.${k}`);
  return out;
}

const TRACE_ID = /^[0-9a-f]{1,32}$/;

function examples(v: unknown, what: string): BreakExample[] {
  const out: BreakExample[] = [];
  for (const [i, e] of list(v, what).entries()) {
    const o = obj(e, `${what}[${i}]`);
    const traceId = str(o.traceId, `${what}[${i}].traceId`);
    // Ids end up in URLs: anything but hex is not a trace id and is left out.
    if (!TRACE_ID.test(traceId)) continue;
    const other = o.otherTraceId;
    out.push(
      typeof other === 'string' && TRACE_ID.test(other)
        ? { traceId, otherTraceId: other }
        : { traceId },
    );
  }
  return out;
}

/**
 * The report inside the `{data, errors}` envelope of `/api/completeness`. Throws an Error
 * naming the first field that is not what the API documents.
 */
export function parseCompletenessReport(body: unknown): CompletenessReport {
  const d = obj(obj(body, 'top level').data, 'data');
  const w = obj(d.window, 'data.window');
  const summary = obj(d.summary, 'data.summary');
  const countsOf = (o: Record<string, unknown>, at: string): CompletenessCounts => ({
    traces: num(o.traces, `${at}.traces`),
    complete: num(o.complete, `${at}.complete`),
    rate: rate(o.rate, `${at}.rate`),
  });
  return {
    window: {
      start: num(w.start, 'data.window.start'),
      end: num(w.end, 'data.window.end'),
      step: num(w.step, 'data.window.step'),
    },
    service: typeof d.service === 'string' ? d.service : null,
    summary: countsOf(summary, 'data.summary'),
    rootServices: list(d.rootServices, 'data.rootServices').map((r, i) => {
      const o = obj(r, `data.rootServices[${i}]`);
      return {
        service: str(o.service, `data.rootServices[${i}].service`),
        ...countsOf(o, `data.rootServices[${i}]`),
      };
    }),
    services: list(d.services, 'data.services').map((r, i) => {
      const at = `data.services[${i}]`;
      const o = obj(r, at);
      return {
        service: str(o.service, `${at}.service`),
        spans: num(o.spans, `${at}.spans`),
        spansInComplete: num(o.spansInComplete, `${at}.spansInComplete`),
        rate: rate(o.rate, `${at}.rate`),
        breaks: counts(o.breaks, `${at}.breaks`),
        breakCount: num(o.breakCount, `${at}.breakCount`),
      };
    }),
    edges: list(d.edges, 'data.edges').map((r, i) => {
      const at = `data.edges[${i}]`;
      const o = obj(r, at);
      return {
        caller: str(o.caller, `${at}.caller`),
        callee: str(o.callee, `${at}.callee`),
        calls: num(o.calls, `${at}.calls`),
        answered: num(o.answered, `${at}.answered`),
        rate: rate(o.rate, `${at}.rate`),
        breaks: counts(o.breaks, `${at}.breaks`),
        breakCount: num(o.breakCount, `${at}.breakCount`),
      };
    }),
    causes: list(d.causes, 'data.causes').map((r, i) => {
      const at = `data.causes[${i}]`;
      const o = obj(r, at);
      return {
        cause: str(o.cause, `${at}.cause`),
        incomplete: o.incomplete !== false,
        count: num(o.count, `${at}.count`),
        top: list(o.top, `${at}.top`).map((p, j) => {
          const q = obj(p, `${at}.top[${j}]`);
          return {
            service: str(q.service, `${at}.top[${j}].service`),
            peer: typeof q.peer === 'string' ? q.peer : '',
            count: num(q.count, `${at}.top[${j}].count`),
            examples: examples(q.examples, `${at}.top[${j}].examples`),
          };
        }),
        examples: examples(o.examples, `${at}.examples`),
      };
    }),
    series: list(d.series, 'data.series')
      .map((p, i) => {
        const o = obj(p, `data.series[${i}]`);
        return { time: num(o.time, `data.series[${i}].time`), ...countsOf(o, `data.series[${i}]`) };
      })
      .sort((a, b) => a.time - b.time),
  };
}

/** Columns of the services table, each sortable. */
export const SERVICE_COLUMNS = ['service', 'spans', 'rate', 'breakCount'] as const;
export type ServiceColumn = (typeof SERVICE_COLUMNS)[number];

/** Columns of the edges table, each sortable. */
export const EDGE_COLUMNS = ['edge', 'calls', 'rate', 'breakCount'] as const;
export type EdgeColumn = (typeof EDGE_COLUMNS)[number];

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Orders by a numeric value (nulls last in either direction), ties by name ascending, so
 * the order is stable between refreshes.
 */
function byValue<T>(
  rows: T[],
  value: (r: T) => number | null,
  name: (r: T) => string,
  desc: boolean,
): T[] {
  return rows.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) {
      if (x === y) return compareText(name(a), name(b));
      return x === null ? 1 : -1;
    }
    return (desc ? y - x : x - y) || compareText(name(a), name(b));
  });
}

/** Sorts services in place; a tie on breaks puts the service with fewer complete spans first. */
export function sortServiceRows(
  rows: ServiceRow[],
  column: ServiceColumn,
  desc: boolean,
): ServiceRow[] {
  const name = (r: ServiceRow) => r.service;
  if (column === 'service')
    return rows.sort((a, b) =>
      desc ? compareText(b.service, a.service) : compareText(a.service, b.service),
    );
  if (column === 'breakCount') {
    return rows.sort(
      (a, b) =>
        (desc ? b.breakCount - a.breakCount : a.breakCount - b.breakCount) ||
        (a.rate ?? 1) - (b.rate ?? 1) ||
        compareText(a.service, b.service),
    );
  }
  return byValue(rows, (r) => (column === 'spans' ? r.spans : r.rate), name, desc);
}

/** `caller → callee`, as the edges table shows and sorts it. */
export function edgeName(e: { caller: string; callee: string }): string {
  return `${e.caller} → ${e.callee}`;
}

/** Sorts edges in place; a tie on breaks puts the edge with the lower answered rate first. */
export function sortEdgeRows(rows: EdgeRow[], column: EdgeColumn, desc: boolean): EdgeRow[] {
  if (column === 'edge')
    return rows.sort((a, b) =>
      desc ? compareText(edgeName(b), edgeName(a)) : compareText(edgeName(a), edgeName(b)),
    );
  if (column === 'breakCount') {
    return rows.sort(
      (a, b) =>
        (desc ? b.breakCount - a.breakCount : a.breakCount - b.breakCount) ||
        (a.rate ?? 1) - (b.rate ?? 1) ||
        compareText(edgeName(a), edgeName(b)),
    );
  }
  return byValue(rows, (r) => (column === 'calls' ? r.calls : r.rate), edgeName, desc);
}

/** Calls summed over the edges, and how many were answered in the same trace. */
export function callTotals(edges: readonly EdgeRow[]): { calls: number; answered: number } {
  let calls = 0;
  let answered = 0;
  for (const e of edges) {
    calls += e.calls;
    answered += e.answered;
  }
  return { calls, answered };
}

/** The examples of a cause recorded on one edge (its `top` pair with service = caller, peer = callee). */
export function edgeExamples(causes: readonly CauseRow[], edge: EdgeRow): BreakExample[] {
  const out: BreakExample[] = [];
  for (const c of causes) {
    if (!c.incomplete) continue;
    for (const p of c.top)
      if (p.service === edge.caller && p.peer === edge.callee) out.push(...p.examples);
  }
  return out;
}

/**
 * Causes in the order the page lists them: the propagation breaks, most first; then
 * fragments (the callee halves of splits and async breaks, fixed on the caller's side);
 * then the causes counted apart. The `selected` cause, if any, comes first.
 */
export function orderCauses(causes: readonly CauseRow[], selected = ''): CauseRow[] {
  const rank = (c: CauseRow) =>
    c.cause === selected ? 0 : !c.incomplete ? 3 : c.cause === 'fragment' ? 2 : 1;
  return causes
    .slice()
    .sort(
      (a, b) =>
        rank(a) - rank(b) ||
        b.count - a.count ||
        (a.cause < b.cause ? -1 : a.cause > b.cause ? 1 : 0),
    );
}

/**
 * Breaks that make traces incomplete, counting a split once: a `fragment` is the other
 * half of a `split_trace` or `async_break` already counted.
 */
export function breakTotal(causes: readonly CauseRow[]): number {
  let n = 0;
  for (const c of causes) if (c.incomplete && c.cause !== 'fragment') n += c.count;
  return n;
}
