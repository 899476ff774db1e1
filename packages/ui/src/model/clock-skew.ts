import type { TraceModel } from './trace-model.ts';

export interface SkewAdjustment {
  /** µs to add to each span's start (and its events' times); 0 for unadjusted spans. */
  offset: Float64Array;
  /** Spans moved because they did not fit in their parent. */
  adjusted: number;
}

/**
 * Clock-skew adjustment, as Jaeger UI does it: a span from another process that starts
 * before its parent or ends after it is assumed to come from a machine whose clock is
 * off; it is moved (with its whole subtree) to the middle of its parent, or to the
 * parent's start when it is longer than its parent. Asynchronous edges (a producer
 * parent, a consumer child) are left alone: their children may outlive the parent.
 * One pass in display order, so a parent's offset is known before its children's.
 */
export function adjustClockSkew(model: TraceModel): SkewAdjustment {
  const { spans, order, parent } = model;
  const n = order.length;
  const offset = new Float64Array(n);
  let adjusted = 0;
  for (let pos = 0; pos < n; pos++) {
    const i = order[pos];
    const p = parent[i];
    if (p < 0) continue;
    const child = spans[i];
    const par = spans[p];
    let delta = offset[p];
    if (
      child.processKey !== par.processKey &&
      par.kind !== 'producer' &&
      child.kind !== 'consumer'
    ) {
      const ps = par.start + offset[p];
      const pe = ps + par.duration;
      const cs = child.start + delta;
      if (cs < ps || cs + child.duration > pe) {
        const target =
          child.duration <= par.duration ? ps + (par.duration - child.duration) / 2 : ps;
        delta += target - cs;
        adjusted++;
      }
    }
    offset[i] = delta;
  }
  return { offset, adjusted };
}
