import type { RawSpan, RawTrace } from '../raw-trace.ts';

/** A span with defaults for every field a test does not care about. */
export function span(
  spanId: string,
  parentId: string,
  start: number,
  duration: number,
  more: Partial<RawSpan> = {},
): RawSpan {
  return {
    traceId: 't1',
    spanId,
    parentId,
    links: [],
    service: 'svc',
    processKey: 'p1',
    operation: `op-${spanId}`,
    kind: '',
    start,
    duration,
    tags: [],
    process: [],
    events: [],
    status: 'UNSET',
    statusMessage: '',
    warnings: [],
    ...more,
  };
}

export function trace(...spans: RawSpan[]): RawTrace {
  return { traceId: 't1', spans };
}

/** A trace of `n` spans: a root with `fanout` children each, breadth first (a wide, shallow tree). */
export function wideTrace(n: number, fanout: number): RawTrace {
  const spans: RawSpan[] = [span('s0', '', 0, n * 10)];
  for (let i = 1; i < n; i++) {
    const parent = Math.floor((i - 1) / fanout);
    spans.push(
      span(`s${i}`, `s${parent}`, i, 5, { service: `svc${i % 7}`, processKey: `p${i % 7}` }),
    );
  }
  return { traceId: 'wide', spans };
}

/** Operations of span indices, for readable assertions. */
export function ops(t: { spans: RawSpan[] }, indices: ArrayLike<number>): string[] {
  return Array.from(indices, (i) => t.spans[i].operation);
}
