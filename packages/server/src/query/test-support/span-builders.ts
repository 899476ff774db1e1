import { SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { Attribute, Resource, Scope, Span } from '../../model/span.ts';

/** Test support for the query tests: spans built in code with every field set explicitly. */

export function makeResource(serviceName: string, extra: Attribute[] = []): Resource {
  return {
    serviceName,
    tenant: '',
    attributes: [{ key: 'service.name', type: ValueType.String, value: serviceName }, ...extra],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
}

export function makeScope(name = 'test-scope', version = '1.0.0'): Scope {
  return { name, version, attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
}

export function makeSpan(fields: Partial<Span> & Pick<Span, 'traceId' | 'spanId'>): Span {
  return {
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: 'op',
    kind: SpanKind.Server,
    startTime: 1_700_000_000_000_000,
    duration: 1000,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: StatusCode.Unset,
    statusMessage: '',
    resource: makeResource('svc'),
    scope: makeScope(),
    ...fields,
  };
}
