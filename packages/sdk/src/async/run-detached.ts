import {
  context,
  trace,
  SpanStatusCode,
  type Attributes,
  type Span,
  type SpanKind,
} from '@opentelemetry/api';

/** How a detached run relates to the span that started it. */
export type DetachedRelation = 'child' | 'link';

export interface RunDetachedOptions {
  /** `child` (default): same trace, child of the caller. `link`: a new trace whose root links to the caller. */
  relation?: DetachedRelation;
  kind?: SpanKind;
  attributes?: Attributes;
}

/**
 * Runs `fn` as fire-and-forget work in its own span `name`: a child of the current
 * span, or (`relation: 'link'`) the root of a new trace linked to it, for work that
 * outlives the request (its duration would distort the request's trace). The span
 * ends when `fn`'s promise settles and records its error; the returned promise is
 * `fn`'s (callers may ignore it; a rejection is recorded, then re-thrown to them).
 */
export function runDetached<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: RunDetachedOptions = {},
): Promise<T> {
  const tracer = trace.getTracer('@skein/node');
  const caller = trace.getActiveSpan()?.spanContext();
  const linked = options.relation === 'link';
  const parent = linked ? trace.deleteSpan(context.active()) : context.active();
  const span = tracer.startSpan(
    name,
    {
      kind: options.kind,
      attributes: options.attributes,
      root: linked,
      links: linked && caller !== undefined ? [{ context: caller }] : undefined,
    },
    parent,
  );
  return context.with(trace.setSpan(parent, span), () => runInSpan(span, fn));
}

/** Runs `fn(span)`, ends `span` when it settles, recording a thrown error. */
export async function runInSpan<T>(span: Span, fn: (span: Span) => Promise<T> | T): Promise<T> {
  try {
    return await fn(span);
  } catch (err) {
    span.recordException(err as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
    throw err;
  } finally {
    span.end();
  }
}
