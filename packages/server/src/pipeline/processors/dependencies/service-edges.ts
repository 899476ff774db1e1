import { StatusCode } from '../../../model/span.ts';
import type { SpanDigest } from '../../span-digest.ts';

/** A parent is an edge's caller only when it starts within this of the child (µs); the store's span join uses the same bound. */
export const PARENT_WINDOW_US = 3_600_000_000;

/** Receives the edges of one trace. */
export interface ServiceEdgeSink {
  /** The child span (starting at `childStart` µs, failed when `error`) has a parent in another service. */
  edge(parent: string, child: string, childStart: number, error: boolean): void;
}

/** Whether two digests are the same span sent twice (every field a digest keeps is equal). */
function sameSpan(a: SpanDigest, b: SpanDigest): boolean {
  return (
    a.parentSpanId === b.parentSpanId &&
    a.service === b.service &&
    a.kind === b.kind &&
    a.startTime === b.startTime &&
    a.duration === b.duration &&
    a.statusCode === b.statusCode &&
    a.nameHash === b.nameHash
  );
}

/**
 * The service dependency edges of one assembled trace, as Jaeger counts them: for
 * every span whose parent span (by id, in the same trace) belongs to another
 * service, one call from the parent's service to the span's service, whatever the
 * spans' kinds. When several spans share the parent's id (Zipkin's shared
 * client/server spans), each one in another service is a parent, as in a join of
 * the stored spans. A span present twice (the same span re-sent) counts once.
 *
 * Returns how many spans were skipped as duplicates.
 */
export function countServiceEdges(spans: readonly SpanDigest[], sink: ServiceEdgeSink): number {
  // Span id → first index; further spans with that id chain through `next`.
  const first = new Map<string, number>();
  const next = new Int32Array(spans.length).fill(-1);
  const duplicate = new Uint8Array(spans.length);
  let duplicates = 0;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    const head = first.get(s.spanId);
    if (head === undefined) {
      first.set(s.spanId, i);
      continue;
    }
    let j = head;
    for (;;) {
      if (sameSpan(spans[j], s)) {
        duplicate[i] = 1;
        duplicates++;
        break;
      }
      if (next[j] < 0) {
        next[j] = i;
        break;
      }
      j = next[j];
    }
  }
  for (let i = 0; i < spans.length; i++) {
    if (duplicate[i] === 1) continue;
    const child = spans[i];
    if (child.parentSpanId === '') continue;
    const error = child.statusCode === StatusCode.Error;
    for (let j = first.get(child.parentSpanId) ?? -1; j >= 0; j = next[j]) {
      const parent = spans[j];
      if (parent.service === child.service) continue;
      const gap = parent.startTime - child.startTime;
      if (gap > PARENT_WINDOW_US || gap < -PARENT_WINDOW_US) continue;
      sink.edge(parent.service, child.service, child.startTime, error);
    }
  }
  return duplicates;
}
