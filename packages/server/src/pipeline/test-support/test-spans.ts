import type { Resource, Scope, Span } from '../../model/span.ts';
import { SpanKind, StatusCode } from '../../model/span.ts';

const resource: Resource = {
  serviceName: 'pipeline-test',
  tenant: '',
  attributes: [{ key: 'service.name', type: 1, value: 'pipeline-test' }],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

const scope: Scope = {
  name: 'pipeline-test-scope',
  version: '1.0.0',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

let sequence = 0;

/** `count` valid spans of one new trace (ids unique per call), for pipeline tests. */
export function makeTestSpans(count: number): Span[] {
  const trace = ++sequence;
  const traceId = trace.toString(16).padStart(32, '0');
  const spans: Span[] = [];
  for (let i = 0; i < count; i++) {
    spans.push({
      traceId,
      spanId: (trace * 100_000 + i + 1).toString(16).padStart(16, '0'),
      parentSpanId: '',
      traceState: '',
      flags: 1,
      name: `op-${i}`,
      kind: SpanKind.Server,
      startTime: 1_700_000_000_000_000 + i,
      duration: 1000,
      attributes: [{ key: 'i', type: 3, value: i }],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: StatusCode.Unset,
      statusMessage: '',
      resource,
      scope,
    });
  }
  return spans;
}
