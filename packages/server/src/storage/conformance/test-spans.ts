import { DEFAULT_TENANT, SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { Resource, Scope, Span } from '../../model/span.ts';

/** Spans built in code for the conformance cases the Jaeger fixtures do not cover. */

export function testResource(serviceName: string, tenant: string = DEFAULT_TENANT): Resource {
  return {
    serviceName,
    tenant,
    attributes: [{ key: 'service.name', type: ValueType.String, value: serviceName }],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
}

export const TEST_SCOPE: Scope = {
  name: 'conformance',
  version: '1.0.0',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

/** Hex id of `n` in `chars` digits, with a prefix that keeps suites from colliding. */
export function hexId(prefix: number, n: number, chars: number): string {
  return (prefix.toString(16) + n.toString(16).padStart(chars - 4, '0')).padStart(chars, '0');
}

export interface SpanInit {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  resource: Resource;
  name?: string;
  kind?: SpanKind;
  startTime: number;
  duration?: number;
  statusCode?: StatusCode;
}

export function makeSpan(init: SpanInit): Span {
  return {
    traceId: init.traceId,
    spanId: init.spanId,
    parentSpanId: init.parentSpanId ?? '',
    traceState: '',
    flags: 1,
    name: init.name ?? 'op',
    kind: init.kind ?? SpanKind.Internal,
    startTime: init.startTime,
    duration: init.duration ?? 1000,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: init.statusCode ?? StatusCode.Unset,
    statusMessage: '',
    resource: init.resource,
    scope: TEST_SCOPE,
  };
}

/** A span that uses every field and every value type, to check reads return what was written. */
export function fullFidelitySpan(traceId: string, startTime: number): Span {
  const resource: Resource = {
    serviceName: 'fidelity-service',
    tenant: DEFAULT_TENANT,
    attributes: [
      { key: 'service.name', type: ValueType.String, value: 'fidelity-service' },
      { key: 'host.cores', type: ValueType.Int, value: 8 },
      {
        key: 'k8s.labels',
        type: ValueType.KvList,
        value: [{ key: 'app', type: ValueType.String, value: 'x' }],
      },
    ],
    droppedAttributesCount: 2,
    schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
  };
  const scope: Scope = {
    name: 'fidelity-lib',
    version: '0.0.1',
    attributes: [{ key: 'scope.flag', type: ValueType.Bool, value: true }],
    droppedAttributesCount: 1,
    schemaUrl: 'https://example.com/scope-schema',
  };
  return {
    traceId,
    spanId: 'f00000000000000f',
    parentSpanId: 'a00000000000000a',
    traceState: 'vendor=abc,other=1',
    flags: 0x301,
    name: 'all the fields',
    kind: SpanKind.Consumer,
    startTime,
    duration: 123_456,
    attributes: [
      { key: 'str', type: ValueType.String, value: 'héllo, wörld \u0001 "quoted"' },
      { key: 'empty.str', type: ValueType.String, value: '' },
      { key: 'bool', type: ValueType.Bool, value: false },
      { key: 'int', type: ValueType.Int, value: -42 },
      { key: 'int.max', type: ValueType.Int, value: 9223372036854775807n },
      { key: 'int.min', type: ValueType.Int, value: -9223372036854775808n },
      { key: 'int.over53', type: ValueType.Int, value: 9007199254740993n },
      { key: 'double', type: ValueType.Double, value: 72.5 },
      { key: 'double.neg0', type: ValueType.Double, value: -0 },
      { key: 'double.tiny', type: ValueType.Double, value: 5e-324 },
      { key: 'double.nan', type: ValueType.Double, value: NaN },
      { key: 'double.inf', type: ValueType.Double, value: -Infinity },
      { key: 'bytes', type: ValueType.Bytes, value: new Uint8Array([0, 0, 48, 57, 255]) },
      { key: 'empty', type: ValueType.Empty, value: null },
      {
        key: 'array',
        type: ValueType.Array,
        value: [
          { type: ValueType.String, value: 'a' },
          { type: ValueType.Int, value: 1 },
          { type: ValueType.Array, value: [{ type: ValueType.Bool, value: true }] },
          {
            type: ValueType.KvList,
            value: [{ key: 'deep', type: ValueType.Bytes, value: new Uint8Array([1, 2]) }],
          },
        ],
      },
      {
        key: 'kvlist',
        type: ValueType.KvList,
        value: [
          { key: 'a', type: ValueType.Double, value: 1.5 },
          { key: 'b', type: ValueType.Empty, value: null },
        ],
      },
      { key: 'key\u0000with nul, \u0001 and = sign', type: ValueType.String, value: 'v=1' },
    ],
    droppedAttributesCount: 3,
    events: [
      {
        time: startTime + 10,
        name: 'exception',
        attributes: [
          { key: 'exception.message', type: ValueType.String, value: 'boom' },
          { key: 'event.int', type: ValueType.Int, value: 123 },
        ],
        droppedAttributesCount: 1,
      },
      { time: startTime - 5, name: '', attributes: [], droppedAttributesCount: 0 },
    ],
    droppedEventsCount: 4,
    links: [
      {
        traceId: '0000000000000000000000000000abcd',
        spanId: '00000000000000ef',
        traceState: 'k=v',
        attributes: [{ key: 'link.attr', type: ValueType.Double, value: 0.1 }],
        droppedAttributesCount: 2,
        flags: 1,
      },
    ],
    droppedLinksCount: 5,
    statusCode: StatusCode.Error,
    statusMessage: 'it failed',
    resource,
    scope,
  };
}
