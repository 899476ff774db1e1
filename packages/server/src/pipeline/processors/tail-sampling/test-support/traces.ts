import { randomBytes } from 'node:crypto';
import {
  SpanKind,
  StatusCode,
  ValueType,
  type Attribute,
  type Resource,
  type Scope,
  type Span,
} from '../../../../model/span.ts';
import type { HeldTrace } from '../policy.ts';

export const str = (key: string, value: string): Attribute => ({
  key,
  type: ValueType.String,
  value,
});
export const int = (key: string, value: number | bigint): Attribute => ({
  key,
  type: ValueType.Int,
  value,
});
export const dbl = (key: string, value: number): Attribute => ({
  key,
  type: ValueType.Double,
  value,
});
export const bool = (key: string, value: boolean): Attribute => ({
  key,
  type: ValueType.Bool,
  value,
});

export function resourceOf(service: string, ...attributes: Attribute[]): Resource {
  return {
    serviceName: service,
    tenant: '',
    attributes: [str('service.name', service), ...attributes],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
}

/** What an OpenTelemetry SDK's tracer gives its spans. */
export const OTEL_SCOPE: Scope = {
  name: '@opentelemetry/instrumentation-http',
  version: '0.200.0',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

/** What the Jaeger and Zipkin receivers give spans from Jaeger / Zipkin clients. */
export const NO_SCOPE: Scope = {
  name: '',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

const DEFAULT_RESOURCE = resourceOf('checkout', str('deployment.environment', 'prod'));

/** Fields a test sets on a span; the rest get defaults. Times in ms for readability. */
export interface SpanSpec {
  name?: string;
  startMs?: number;
  durationMs?: number;
  status?: StatusCode;
  attributes?: Attribute[];
  resource?: Resource;
  scope?: Scope;
  flags?: number;
}

const T0_US = 1_700_000_000_000_000;

/** A trace with one span per spec (default: one 10 ms OK-unset span of `checkout`). */
export function traceOf(
  specs: SpanSpec[] = [{}],
  traceId = randomTraceId(),
  tenant = '',
): HeldTrace {
  const spans: Span[] = specs.map((spec, i) => ({
    traceId,
    spanId: (i + 1).toString(16).padStart(16, '0'),
    parentSpanId: i === 0 ? '' : '0000000000000001',
    traceState: '',
    flags: spec.flags ?? 1,
    name: spec.name ?? `op-${i}`,
    kind: i === 0 ? SpanKind.Server : SpanKind.Internal,
    startTime: T0_US + (spec.startMs ?? 0) * 1000,
    duration: (spec.durationMs ?? 10) * 1000,
    attributes: spec.attributes ?? [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: spec.status ?? StatusCode.Unset,
    statusMessage: '',
    resource: spec.resource ?? DEFAULT_RESOURCE,
    scope: spec.scope ?? OTEL_SCOPE,
  }));
  return { tenant, traceId, spans };
}

/** A trace of `n` default spans (of `tenant`). */
export function traceOfSize(n: number, traceId = randomTraceId(), tenant = ''): HeldTrace {
  return traceOf(
    Array.from({ length: n }, () => ({})),
    traceId,
    tenant,
  );
}

export function randomTraceId(): string {
  return randomBytes(16).toString('hex');
}
