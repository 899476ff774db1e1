import { SpanKind, StatusCode } from '../../../model/span.ts';
import type { Attribute, Resource, Span } from '../../../model/span.ts';

const resources = new Map<string, Resource>();

function resourceOf(service: string, tenant: string): Resource {
  const key = `${tenant}/${service}`;
  let r = resources.get(key);
  if (r === undefined) {
    r = {
      serviceName: service,
      tenant,
      attributes: [{ key: 'service.name', type: 1, value: service }],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    resources.set(key, r);
  }
  return r;
}

const scope = {
  name: 'adaptive-test',
  version: '1',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

let sequence = 0;

export interface RootSpanOptions {
  service?: string;
  name?: string;
  parentSpanId?: string;
  kind?: SpanKind;
  attributes?: Attribute[];
  traceState?: string;
  /** The resource's tenant ('' by default). */
  tenant?: string;
}

/** A span as a receiver would decode it; a root (no parent) unless told otherwise. */
export function rootSpan(o: RootSpanOptions = {}): Span {
  const n = ++sequence;
  return {
    traceId: n.toString(16).padStart(32, '0'),
    spanId: n.toString(16).padStart(16, '0'),
    parentSpanId: o.parentSpanId ?? '',
    traceState: o.traceState ?? '',
    flags: 1,
    name: o.name ?? 'GET /',
    kind: o.kind ?? SpanKind.Server,
    startTime: 1_700_000_000_000_000,
    duration: 1000,
    attributes: o.attributes ?? [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: StatusCode.Unset,
    statusMessage: '',
    resource: resourceOf(o.service ?? 'svc', o.tenant ?? ''),
    scope,
  };
}

/** The tags a Jaeger client puts on the root span it sampled. */
export function samplerTags(type: string, param: number | boolean | string): Attribute[] {
  const value: Attribute =
    typeof param === 'number'
      ? Number.isInteger(param)
        ? { key: 'sampler.param', type: 3, value: param }
        : { key: 'sampler.param', type: 4, value: param }
      : typeof param === 'boolean'
        ? { key: 'sampler.param', type: 2, value: param }
        : { key: 'sampler.param', type: 1, value: param };
  return [{ key: 'sampler.type', type: 1, value: type }, value];
}
