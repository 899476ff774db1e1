import { SpanKind, StatusCode } from '../../../../model/span.ts';
import type { Resource, Scope, Span } from '../../../../model/span.ts';

const scope: Scope = {
  name: 't',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const resources = new Map<string, Resource>();
let spanSequence = 0;

/** The shared resource of `service` of `tenant` (as a decoder shares one per ResourceSpans). */
export function resourceOf(service: string, tenant = ''): Resource {
  const key = `${tenant}/${service}`;
  let resource = resources.get(key);
  if (resource === undefined) {
    resource = {
      serviceName: service,
      tenant,
      attributes: [{ key: 'service.name', type: 1, value: service }],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    resources.set(key, resource);
  }
  return resource;
}

export interface TestSpanFields {
  service?: string;
  name?: string;
  kind?: SpanKind;
  status?: StatusCode;
  /** µs since epoch. */
  start?: number;
  /** µs. */
  duration?: number;
  traceId?: string;
  /** The resource's tenant ('' by default). */
  tenant?: string;
}

/** One span for span-metrics tests; ids unique per call unless given. */
export function testSpan(fields: TestSpanFields = {}): Span {
  const n = ++spanSequence;
  return {
    traceId: fields.traceId ?? n.toString(16).padStart(32, '0'),
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: '',
    traceState: '',
    flags: 1,
    name: fields.name ?? 'GET /orders',
    kind: fields.kind ?? SpanKind.Server,
    startTime: fields.start ?? 1_700_000_000_000_000,
    duration: fields.duration ?? 1000,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: fields.status ?? StatusCode.Unset,
    statusMessage: '',
    resource: resourceOf(fields.service ?? 'shop', fields.tenant),
    scope,
  };
}
