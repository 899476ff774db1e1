import type { TraceModel } from './trace-model.ts';

/**
 * The rows the timeline shows: span indices in display order, skipping the subtrees of
 * collapsed spans. One pass over the display order; a collapsed subtree is jumped over
 * in O(1) through `subtreeEnd`, so collapsing makes layout cheaper, never dearer.
 */
export function visibleRows(model: TraceModel, collapsed: Uint8Array): Int32Array {
  const n = model.order.length;
  const rows = new Int32Array(n);
  let count = 0;
  let pos = 0;
  while (pos < n) {
    const i = model.order[pos];
    rows[count++] = i;
    pos = collapsed[i] ? model.subtreeEnd[pos] : pos + 1;
  }
  return rows.subarray(0, count);
}

/** A collapse state with every span that has children collapsed. */
export function collapseAll(model: TraceModel): Uint8Array {
  const n = model.spans.length;
  const collapsed = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (model.childStart[i + 1] > model.childStart[i]) collapsed[i] = 1;
  }
  return collapsed;
}

/** Collapses every span at `depth` or deeper that has children (Jaeger's "collapse one level"). */
export function collapseBelow(model: TraceModel, depth: number): Uint8Array {
  const collapsed = collapseAll(model);
  for (let i = 0; i < collapsed.length; i++) if (model.depth[i] < depth) collapsed[i] = 0;
  return collapsed;
}

/** Expands every ancestor of span `i` so that it is visible; returns a new state. */
export function reveal(model: TraceModel, collapsed: Uint8Array, i: number): Uint8Array {
  let p = model.parent[i];
  let next: Uint8Array | null = null;
  while (p >= 0) {
    if (collapsed[p]) {
      next ??= collapsed.slice();
      next[p] = 0;
    }
    p = model.parent[p];
  }
  return next ?? collapsed;
}

/** Row index of span `i` among `rows`, or -1. */
export function rowOf(rows: Int32Array, i: number): number {
  return rows.indexOf(i);
}
