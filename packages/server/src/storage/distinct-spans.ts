import type { Span } from '../model/span.ts';

/** Whether two spans with the same trace and span id are one span stored twice. */
function sameSpan(a: Span, b: Span): boolean {
  return (
    a.parentSpanId === b.parentSpanId &&
    a.kind === b.kind &&
    a.startTime === b.startTime &&
    a.duration === b.duration &&
    a.statusCode === b.statusCode &&
    a.name === b.name &&
    a.resource.serviceName === b.resource.serviceName
  );
}

/**
 * The spans with copies of one span removed (first copy kept, order kept): a span
 * re-sent and stored twice (before writes were idempotent, or past the dedupe
 * window) reads back once. "The same span" is what the pipeline's dedupe filter
 * fingerprints: trace id, span id, parent, name, kind, service, start, duration,
 * status. Zipkin's shared client/server spans (one span id, another kind or
 * service) both stay.
 *
 * Returns `spans` itself when there is nothing to remove.
 */
export function distinctSpans(spans: Span[]): Span[] {
  if (spans.length < 2) return spans;
  // Trace and span id → first span kept; further kept spans of that id chain through `next`.
  const first = new Map<string, number>();
  let next: Int32Array | undefined;
  let keep: Uint8Array | undefined;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i];
    const key = s.traceId + s.spanId;
    const head = first.get(key);
    if (head === undefined) {
      first.set(key, i);
      continue;
    }
    // Rare (shared spans, copies): compare with the kept spans of that id.
    next ??= new Int32Array(spans.length).fill(-1);
    for (let k = head; ; k = next[k]) {
      if (sameSpan(spans[k], s)) {
        keep ??= new Uint8Array(spans.length).fill(1);
        keep[i] = 0;
        break;
      }
      if (next[k] < 0) {
        next[k] = i;
        break;
      }
    }
  }
  if (keep === undefined) return spans;
  const out: Span[] = [];
  for (let i = 0; i < spans.length; i++) if (keep[i] === 1) out.push(spans[i]);
  return out;
}
