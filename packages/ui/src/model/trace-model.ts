import type { RawSpan, RawTrace } from './raw-trace.ts';

export interface ServiceSummary {
  name: string;
  /** Colour slot, in order of first appearance in the display order. */
  color: number;
  spanCount: number;
  errorCount: number;
}

/**
 * A trace ready to display: the spans plus flat, typed arrays describing the tree.
 * Arrays named per span are indexed by span index (position in `spans`); `order` and
 * `subtreeEnd` are indexed by display position (depth-first, children by start time).
 * Built once per trace; nothing here changes when the user collapses or searches.
 */
export interface TraceModel {
  traceId: string;
  spans: RawSpan[];
  /** Earliest start and latest end in µs since the epoch. */
  start: number;
  end: number;
  /** Display position → span index. */
  order: Int32Array;
  /** Span index → display position. */
  position: Int32Array;
  /** Display position → first position after its subtree. */
  subtreeEnd: Int32Array;
  /** Span index → parent span index, -1 for roots and orphans. */
  parent: Int32Array;
  depth: Int32Array;
  /** Children of span i are `childList[childStart[i] .. childStart[i + 1]]`, by start time. */
  childStart: Int32Array;
  childList: Int32Array;
  /** 1 when the span names a parent that is not in the trace. */
  orphan: Uint8Array;
  error: Uint8Array;
  serviceIndex: Int32Array;
  /** µs of the span not covered by any child. */
  selfTime: Float64Array;
  services: ServiceSummary[];
  maxDepth: number;
  errorCount: number;
  orphanCount: number;
  /** Spans dropped because an earlier span had the same id. */
  duplicateCount: number;
}

/** Builds the display model; O(n log n) for sorting siblings, linear otherwise. */
export function buildTraceModel(raw: RawTrace): TraceModel {
  const byId = new Map<string, number>();
  const spans: RawSpan[] = [];
  for (const s of raw.spans) {
    if (byId.has(s.spanId)) continue;
    byId.set(s.spanId, spans.length);
    spans.push(s);
  }
  const n = spans.length;
  const parent = new Int32Array(n);
  const orphan = new Uint8Array(n);
  const error = new Uint8Array(n);
  const childCount = new Int32Array(n + 1);
  let start = Infinity;
  let end = -Infinity;
  let errorCount = 0;
  let orphanCount = 0;
  for (let i = 0; i < n; i++) {
    const s = spans[i];
    let p = -1;
    if (s.parentId !== '') {
      const found = byId.get(s.parentId);
      if (found === undefined || found === i) {
        orphan[i] = 1;
        orphanCount++;
      } else p = found;
    }
    parent[i] = p;
    if (p >= 0) childCount[p]++;
    if (s.status === 'ERROR') {
      error[i] = 1;
      errorCount++;
    }
    if (s.start < start) start = s.start;
    if (s.start + s.duration > end) end = s.start + s.duration;
  }
  if (n === 0) start = end = 0;

  // Children in CSR form, then each sibling group sorted by start time.
  const childStart = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) childStart[i + 1] = childStart[i] + childCount[i];
  const fill = childStart.slice(0, n);
  const childList = new Int32Array(childStart[n]);
  const roots: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = parent[i];
    if (p >= 0) childList[fill[p]++] = i;
    else roots.push(i);
  }
  const byStart = (a: number, b: number) => spans[a].start - spans[b].start || a - b;
  for (let i = 0; i < n; i++) {
    if (childStart[i + 1] - childStart[i] > 1)
      childList.subarray(childStart[i], childStart[i + 1]).sort(byStart);
  }
  roots.sort(byStart);

  // Depth-first order with an explicit stack (deep traces would overflow recursion).
  const order = new Int32Array(n);
  const position = new Int32Array(n);
  const depth = new Int32Array(n);
  const visited = new Uint8Array(n);
  const stack = new Int32Array(n + 1);
  let placed = 0;
  let maxDepth = 0;
  const walkFrom = (root: number) => {
    let top = 0;
    stack[top++] = root;
    while (top > 0) {
      const i = stack[--top];
      if (visited[i]) continue;
      visited[i] = 1;
      position[i] = placed;
      order[placed++] = i;
      const d = parent[i] >= 0 ? depth[parent[i]] + 1 : 0;
      depth[i] = d;
      if (d > maxDepth) maxDepth = d;
      for (let c = childStart[i + 1] - 1; c >= childStart[i]; c--) {
        if (!visited[childList[c]]) stack[top++] = childList[c];
      }
    }
  };
  for (const r of roots) walkFrom(r);
  if (placed < n) {
    // Spans in a parent cycle are reachable from no root: break each cycle at one span.
    for (let i = 0; i < n; i++) {
      if (visited[i]) continue;
      parent[i] = -1;
      orphan[i] = 1;
      orphanCount++;
      walkFrom(i);
    }
  }

  const size = new Int32Array(n).fill(1);
  for (let pos = n - 1; pos >= 0; pos--) {
    const i = order[pos];
    if (parent[i] >= 0) size[parent[i]] += size[i];
  }
  const subtreeEnd = new Int32Array(n);
  for (let pos = 0; pos < n; pos++) subtreeEnd[pos] = pos + size[order[pos]];

  const serviceIndex = new Int32Array(n);
  const services: ServiceSummary[] = [];
  const serviceByName = new Map<string, number>();
  for (let pos = 0; pos < n; pos++) {
    const i = order[pos];
    const name = spans[i].service;
    let si = serviceByName.get(name);
    if (si === undefined) {
      si = services.length;
      serviceByName.set(name, si);
      services.push({ name, color: si, spanCount: 0, errorCount: 0 });
    }
    serviceIndex[i] = si;
    services[si].spanCount++;
    if (error[i]) services[si].errorCount++;
  }

  return {
    traceId: raw.traceId || (n > 0 ? spans[0].traceId : ''),
    spans,
    start,
    end,
    order,
    position,
    subtreeEnd,
    parent,
    depth,
    childStart,
    childList,
    orphan,
    error,
    serviceIndex,
    selfTime: computeSelfTimes(spans, childStart, childList),
    services,
    maxDepth,
    errorCount,
    orphanCount,
    duplicateCount: raw.spans.length - n,
  };
}

/** Self time: the span's duration minus the union of its children's overlap with it. */
function computeSelfTimes(
  spans: RawSpan[],
  childStart: Int32Array,
  childList: Int32Array,
): Float64Array {
  const n = spans.length;
  const self = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = spans[i];
    const sEnd = s.start + s.duration;
    let covered = 0;
    let runStart = 0;
    let runEnd = -Infinity;
    for (let c = childStart[i]; c < childStart[i + 1]; c++) {
      const child = spans[childList[c]];
      const cs = Math.max(child.start, s.start);
      const ce = Math.min(child.start + child.duration, sEnd);
      if (ce <= cs) continue;
      if (cs > runEnd) {
        if (runEnd > runStart) covered += runEnd - runStart;
        runStart = cs;
        runEnd = ce;
      } else if (ce > runEnd) runEnd = ce;
    }
    if (runEnd > runStart) covered += runEnd - runStart;
    self[i] = Math.max(0, s.duration - covered);
  }
  return self;
}

/** Number of children of span `i`. */
export function childCountOf(model: TraceModel, i: number): number {
  return model.childStart[i + 1] - model.childStart[i];
}
