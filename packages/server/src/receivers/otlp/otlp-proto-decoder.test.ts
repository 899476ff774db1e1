import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import protobuf from 'protobufjs';
import { InvalidPayloadError } from '../../errors.ts';
import { SpanKind, StatusCode, UNKNOWN_SERVICE, ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { SpanLimits } from '../span-limits.ts';
import { MAX_ANY_VALUE_DEPTH } from './limits.ts';
import { decodeOtlpJson } from './otlp-json-decoder.ts';
import { decodeOtlpProto } from './otlp-proto-decoder.ts';
import { captureExporterPayloads } from './test-support/exporter-payloads.ts';
import {
  encodeOtlpJsonAsProto,
  encodeOtlpRequest,
  loadOtlpRoot,
  referenceDecodeOtlpProto,
} from './test-support/reference-otlp.ts';

const FIXTURES = new URL('../../../test/fixtures/', import.meta.url);

function fixture(path: string): Buffer {
  return readFileSync(new URL(path, FIXTURES));
}

/** decodeOtlpProto and the protobufjs reference agree (the rejection message aside). */
function assertMatchesReference(buf: Uint8Array): DecodeResult {
  const ours = decodeOtlpProto(buf);
  const reference = referenceDecodeOtlpProto(buf);
  assert.deepEqual(ours.spans, reference.spans);
  assert.equal(ours.rejectedSpans, reference.rejectedSpans);
  return ours;
}

function assertInvalid(buf: Uint8Array, message: RegExp): void {
  assert.throws(
    () => decodeOtlpProto(buf),
    (err: unknown) => {
      assert.ok(err instanceof InvalidPayloadError, `not an InvalidPayloadError: ${String(err)}`);
      assert.match(err.message, message);
      return true;
    },
  );
}

// ---- hand-made wire bytes ---------------------------------------------------------

function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? b : b | 0x80);
  } while (v !== 0n);
  return out;
}

/** A length-delimited field: tag, length, bytes. */
function field(number: number, bytes: ArrayLike<number>): number[] {
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...Array.from(bytes)];
}

const TRACE_ID = Buffer.from('5b8efff798038103d269b633813fc60c', 'hex');
const SPAN_ID = Buffer.from('eee19b7ec3c1b174', 'hex');

function span(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    name: 'op',
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000001000000',
    ...fields,
  };
}

function request(spans: unknown[], resourceAttributes: unknown[] = []): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: resourceAttributes },
        scopeSpans: [{ scope: { name: 'lib' }, spans }],
      },
    ],
  };
}

/** A logical request using every field, in OTLP/JSON form (hex ids). */
const FULL_JSON = {
  resourceSpans: [
    {
      resource: {
        attributes: [
          { key: 'service.name', value: { stringValue: 'checkout' } },
          { key: 'host.arch', value: { stringValue: 'amd64' } },
        ],
        droppedAttributesCount: 3,
      },
      schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
      scopeSpans: [
        {
          scope: {
            name: 'io.skein.test',
            version: '2.0.1',
            attributes: [{ key: 'scope.attr', value: { boolValue: true } }],
            droppedAttributesCount: 1,
          },
          schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
          spans: [
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b174',
              parentSpanId: 'eee19b7ec3c1b173',
              traceState: 'vendor=a:b,other=1',
              flags: 769,
              name: 'POST /cart',
              kind: 2,
              startTimeUnixNano: '1485449191639875999',
              endTimeUnixNano: '1485449191649875001',
              attributes: [
                {
                  key: 'str',
                  value: { stringValue: 'grüße 🌍, a longer value than the fast path' },
                },
                { key: 'short', value: { stringValue: 'ñ' } },
                { key: 'empty.string', value: { stringValue: '' } },
                { key: 'bool', value: { boolValue: true } },
                { key: 'int', value: { intValue: '-42' } },
                { key: 'int.max', value: { intValue: '9223372036854775807' } },
                { key: 'int.min', value: { intValue: '-9223372036854775808' } },
                { key: 'int.safe', value: { intValue: '9007199254740991' } },
                { key: 'int.unsafe', value: { intValue: '-9007199254740992' } },
                { key: 'double', value: { doubleValue: -0.125 } },
                { key: 'bytes', value: { bytesValue: '3q2+7wABAg==' } },
                {
                  key: 'array',
                  value: {
                    arrayValue: {
                      values: [
                        { stringValue: 'x' },
                        { intValue: '7' },
                        {},
                        { arrayValue: { values: [{ doubleValue: 1.5 }, { arrayValue: {} }] } },
                      ],
                    },
                  },
                },
                {
                  key: 'kvlist',
                  value: {
                    kvlistValue: {
                      values: [
                        { key: 'a', value: { boolValue: false } },
                        { key: 'b', value: { kvlistValue: { values: [{ key: 'c' }] } } },
                        { key: 'd', value: { arrayValue: { values: [{ bytesValue: 'AA==' }] } } },
                      ],
                    },
                  },
                },
                { key: 'empty' },
              ],
              droppedAttributesCount: 4,
              events: [
                {
                  timeUnixNano: '1485449191640000000',
                  name: 'exception',
                  attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }],
                  droppedAttributesCount: 2,
                },
                { timeUnixNano: '1485449191641000999', name: 'bare' },
              ],
              droppedEventsCount: 5,
              links: [
                {
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: 'b7ad6b7169203331',
                  traceState: 'k=v',
                  attributes: [{ key: 'link.attr', value: { intValue: '1' } }],
                  droppedAttributesCount: 6,
                  flags: 257,
                },
                { traceId: '0af7651916cd43dd8448eb211c80319d', spanId: 'b7ad6b7169203332' },
              ],
              droppedLinksCount: 7,
              status: { code: 2, message: 'payment declined' },
            },
            {
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: 'eee19b7ec3c1b173',
              name: 'root',
              kind: 1,
              startTimeUnixNano: '1485449191639000000',
              endTimeUnixNano: '1485449191638000000',
              status: { code: 1 },
            },
          ],
        },
        { scope: { name: 'second' }, spans: [] },
      ],
    },
    {
      resource: { attributes: [{ key: 'host.name', value: { stringValue: 'h1' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: '0000000000000000000000000000000a',
              spanId: '000000000000000b',
              parentSpanId: '0000000000000000',
              name: 'no service',
              kind: 5,
              startTimeUnixNano: '1',
              endTimeUnixNano: '2001',
            },
          ],
        },
      ],
    },
  ],
};

describe('decodeOtlpProto', () => {
  describe('payloads from the real OpenTelemetry JS exporters', () => {
    const versions = JSON.parse(fixture('otlp/versions.json').toString()) as { spanCount: number };

    for (const file of ['otlp/exporter-proto.bin', 'otlp/exporter-grpc.bin']) {
      test(`saved ${file} matches the reference decoder`, () => {
        const result = assertMatchesReference(fixture(file));
        assert.equal(result.rejectedSpans, 0);
        assert.equal(result.spans.length, versions.spanCount);
      });
    }

    test('saved exporter-http.json decodes to the same spans as the protobuf payload', () => {
      const json = decodeOtlpJson(JSON.parse(fixture('otlp/exporter-http.json').toString()));
      assert.deepEqual(json, decodeOtlpProto(fixture('otlp/exporter-proto.bin')));
    });

    test('the saved payloads carry what the capture script put in them', () => {
      const { spans } = decodeOtlpProto(fixture('otlp/exporter-proto.bin'));
      const byName = new Map(spans.map((s) => [s.name, s]));
      const server = byName.get('GET /orders/{id}')!;
      assert.equal(server.kind, SpanKind.Server);
      assert.equal(server.parentSpanId, 'b7ad6b7169203331', 'remote parent');
      assert.equal(server.traceState, 'vendor=opaque,other=1');
      assert.ok(server.droppedAttributesCount > 0 && server.droppedEventsCount > 0);
      const types = new Set(server.attributes.map((a) => a.type));
      for (const t of [
        ValueType.String,
        ValueType.Int,
        ValueType.Double,
        ValueType.Bool,
        ValueType.Array,
      ]) {
        assert.ok(types.has(t), `span attribute type ${t}`);
      }
      const resourceTypes = new Set(server.resource.attributes.map((a) => a.type));
      assert.ok(resourceTypes.has(ValueType.Bytes) && resourceTypes.has(ValueType.KvList));
      assert.equal(server.resource.serviceName, 'capture-service');
      const client = byName.get('SELECT orders')!;
      assert.equal(client.statusCode, StatusCode.Error);
      assert.equal(client.parentSpanId, server.spanId);
      assert.equal(client.events[0].name, 'exception');
      const producer = byName.get('orders publish')!;
      assert.equal(producer.links.length, 2);
      assert.equal(producer.droppedLinksCount, 1);
      const withAttributes = producer.links.find((l) => l.attributes.length > 0);
      assert.ok(withAttributes !== undefined, 'a link with attributes');
      assert.match(withAttributes.traceId, /^[0-9a-f]{32}$/);
      assert.equal(byName.get('template')!.parentSpanId, byName.get('render')!.spanId);
    });

    test('live: the installed exporters, run now, produce payloads both decoders read identically', async () => {
      const live = await captureExporterPayloads();
      const proto = assertMatchesReference(live.proto);
      assert.equal(proto.rejectedSpans, 0);
      assert.equal(proto.spans.length, live.spanCount);
      assert.deepEqual(assertMatchesReference(live.grpc), proto);
      const json = decodeOtlpJson(JSON.parse(Buffer.from(live.json).toString('utf8')));
      assert.deepEqual(json, proto);
    });
  });

  describe('agrees with the JSON decoder on the same logical request', () => {
    test('a request using every field', () => {
      const bytes = encodeOtlpJsonAsProto(FULL_JSON);
      const proto = assertMatchesReference(bytes);
      assert.deepEqual(proto, decodeOtlpJson(FULL_JSON));
      assert.equal(proto.spans.length, 3);
    });

    const dir = new URL('jaeger-storage/traces/', FIXTURES);
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      test(`jaeger-storage/${file}`, () => {
        const json = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as object;
        const proto = assertMatchesReference(encodeOtlpJsonAsProto(json));
        assert.equal(proto.rejectedSpans, 0);
        assert.deepEqual(proto, decodeOtlpJson(json));
      });
    }
  });

  describe('fields', () => {
    const full = decodeOtlpProto(encodeOtlpJsonAsProto(FULL_JSON));
    const [s0, s1, s2] = full.spans;

    test('ids, times, kind, flags, trace state, status', () => {
      assert.equal(s0.traceId, '5b8efff798038103d269b633813fc60c');
      assert.equal(s0.spanId, 'eee19b7ec3c1b174');
      assert.equal(s0.parentSpanId, 'eee19b7ec3c1b173');
      assert.equal(s0.traceState, 'vendor=a:b,other=1');
      assert.equal(s0.flags, 769);
      assert.equal(s0.kind, SpanKind.Server);
      assert.equal(s0.startTime, 1485449191639875, 'ns to µs exactly, not rounded');
      assert.equal(s0.duration, 10000);
      assert.equal(s0.statusCode, StatusCode.Error);
      assert.equal(s0.statusMessage, 'payment declined');
      assert.equal(s1.parentSpanId, '');
      assert.equal(s1.duration, 0, 'end before start clamps to 0');
      assert.equal(s1.statusCode, StatusCode.Ok);
      assert.equal(s2.parentSpanId, '', 'an all-zero parent span id means root');
      assert.equal(s2.kind, SpanKind.Consumer);
      assert.equal(s2.startTime, 0);
      assert.equal(s2.duration, 2);
    });

    test('every AnyValue type, nested arrays and kvlists', () => {
      const byKey = new Map(s0.attributes.map((a) => [a.key, a]));
      assert.equal(byKey.get('str')!.value, 'grüße 🌍, a longer value than the fast path');
      assert.equal(byKey.get('short')!.value, 'ñ');
      assert.equal(byKey.get('empty.string')!.value, '');
      assert.equal(byKey.get('bool')!.value, true);
      assert.equal(byKey.get('int')!.value, -42);
      assert.equal(byKey.get('int.max')!.value, 9223372036854775807n);
      assert.equal(byKey.get('int.min')!.value, -9223372036854775808n);
      assert.equal(byKey.get('int.safe')!.value, Number.MAX_SAFE_INTEGER);
      assert.equal(byKey.get('int.unsafe')!.value, -9007199254740992n);
      assert.equal(byKey.get('double')!.value, -0.125);
      assert.deepEqual(
        byKey.get('bytes')!.value,
        new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2]),
      );
      assert.deepEqual(byKey.get('array'), {
        key: 'array',
        type: ValueType.Array,
        value: [
          { type: ValueType.String, value: 'x' },
          { type: ValueType.Int, value: 7 },
          { type: ValueType.Empty, value: null },
          {
            type: ValueType.Array,
            value: [
              { type: ValueType.Double, value: 1.5 },
              { type: ValueType.Array, value: [] },
            ],
          },
        ],
      });
      assert.deepEqual(byKey.get('kvlist'), {
        key: 'kvlist',
        type: ValueType.KvList,
        value: [
          { key: 'a', type: ValueType.Bool, value: false },
          {
            key: 'b',
            type: ValueType.KvList,
            value: [{ key: 'c', type: ValueType.Empty, value: null }],
          },
          {
            key: 'd',
            type: ValueType.Array,
            value: [{ type: ValueType.Bytes, value: new Uint8Array([0]) }],
          },
        ],
      });
      assert.deepEqual(byKey.get('empty'), { key: 'empty', type: ValueType.Empty, value: null });
    });

    test('events, links with attributes and flags, dropped counts', () => {
      assert.deepEqual(s0.events, [
        {
          time: 1485449191640000,
          name: 'exception',
          attributes: [{ key: 'exception.message', type: ValueType.String, value: 'boom' }],
          droppedAttributesCount: 2,
        },
        { time: 1485449191641000, name: 'bare', attributes: [], droppedAttributesCount: 0 },
      ]);
      assert.deepEqual(s0.links[0], {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceState: 'k=v',
        attributes: [{ key: 'link.attr', type: ValueType.Int, value: 1 }],
        droppedAttributesCount: 6,
        flags: 257,
      });
      assert.equal(s0.links[1].flags, 0);
      assert.equal(s0.droppedAttributesCount, 4);
      assert.equal(s0.droppedEventsCount, 5);
      assert.equal(s0.droppedLinksCount, 7);
    });

    test('resource and scope, shared; missing service.name', () => {
      assert.equal(s0.resource, s1.resource);
      assert.equal(s0.scope, s1.scope);
      assert.notEqual(s0.resource, s2.resource);
      assert.equal(s0.resource.serviceName, 'checkout');
      assert.equal(s0.resource.droppedAttributesCount, 3);
      assert.equal(s0.resource.schemaUrl, 'https://opentelemetry.io/schemas/1.24.0');
      assert.deepEqual(s0.scope, {
        name: 'io.skein.test',
        version: '2.0.1',
        attributes: [{ key: 'scope.attr', type: ValueType.Bool, value: true }],
        droppedAttributesCount: 1,
        schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
      });
      assert.equal(s2.resource.serviceName, UNKNOWN_SERVICE);
      assert.equal(s2.scope.name, '');
    });

    test('bytes values are plain Uint8Array copies, not views into the request', () => {
      const bytes = encodeOtlpJsonAsProto(FULL_JSON);
      // A Buffer at a non-zero offset of a larger allocation, as request bodies often are.
      const big = Buffer.alloc(bytes.length + 17);
      big.set(bytes, 17);
      const body = big.subarray(17);
      const result = decodeOtlpProto(body);
      const value = result.spans[0].attributes.find((a) => a.key === 'bytes')!.value as Uint8Array;
      assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
      body.fill(0);
      assert.deepEqual(value, new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 1, 2]));
      assert.equal(result.spans[0].name, 'POST /cart');
    });

    test('nanosecond times become microseconds exactly up to 2^53 µs', () => {
      const result = decodeOtlpProto(
        encodeOtlpRequest(
          request([
            span({
              startTimeUnixNano: '9007199254740991999',
              endTimeUnixNano: '9007199254740991999',
            }),
          ]),
        ),
      );
      assert.equal(result.spans[0].startTime, Number.MAX_SAFE_INTEGER);
      assert.equal(result.spans[0].duration, 0);
    });

    test('enum numbers OTLP does not define read as unspecified', () => {
      const result = assertMatchesReference(
        encodeOtlpRequest(request([span({ kind: 9, status: { code: 5 } }), span({ kind: -1 })])),
      );
      assert.equal(result.spans[0].kind, SpanKind.Unspecified);
      assert.equal(result.spans[0].statusCode, StatusCode.Unset);
      assert.equal(result.spans[1].kind, SpanKind.Unspecified);
    });

    test('fields in any order: spans before their resource still share it', () => {
      const type = loadOtlpRoot().lookupType('opentelemetry.proto.trace.v1.ResourceSpans');
      const scopeSpans = type
        .encode(type.fromObject({ scopeSpans: [{ spans: [span(), span()] }] }))
        .finish();
      const resource = type
        .encode(
          type.fromObject({
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'late' } }] },
          }),
        )
        .finish();
      const body = new Uint8Array(field(1, [...scopeSpans, ...resource]));
      const result = assertMatchesReference(body);
      assert.equal(result.spans[0].resource.serviceName, 'late');
      assert.equal(result.spans[0].resource, result.spans[1].resource);
    });

    test('empty bodies', () => {
      const empty = { spans: [], rejectedSpans: 0, errorMessage: '' };
      assert.deepEqual(decodeOtlpProto(new Uint8Array(0)), empty);
      assert.deepEqual(decodeOtlpProto(encodeOtlpRequest({ resourceSpans: [] })), empty);
      assert.deepEqual(
        decodeOtlpProto(encodeOtlpRequest({ resourceSpans: [{}, { scopeSpans: [{}] }] })),
        empty,
      );
    });
  });

  describe('unknown fields', () => {
    // Every message type gets extra fields of each skippable wire type.
    const MESSAGES = [
      'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
      'opentelemetry.proto.trace.v1.ResourceSpans',
      'opentelemetry.proto.resource.v1.Resource',
      'opentelemetry.proto.trace.v1.ScopeSpans',
      'opentelemetry.proto.common.v1.InstrumentationScope',
      'opentelemetry.proto.trace.v1.Span',
      'opentelemetry.proto.trace.v1.Span.Event',
      'opentelemetry.proto.trace.v1.Span.Link',
      'opentelemetry.proto.trace.v1.Status',
      'opentelemetry.proto.common.v1.KeyValue',
      'opentelemetry.proto.common.v1.AnyValue',
      'opentelemetry.proto.common.v1.ArrayValue',
      'opentelemetry.proto.common.v1.KeyValueList',
    ];
    const EXTRA = {
      xVarint: '18446744073709551615',
      xFixed64: '81985529216486895',
      xLen: 'unknown field payload',
      xFixed32: 0xdeadbeef,
      xSmallVarint: 1,
    };

    function extendedRoot(): protobuf.Root {
      const root = loadOtlpRoot();
      for (const name of MESSAGES) {
        const type = root.lookupType(name);
        type.add(new protobuf.Field('xVarint', 1001, 'uint64'));
        type.add(new protobuf.Field('xFixed64', 2047, 'fixed64'));
        type.add(new protobuf.Field('xLen', 536870911, 'string')); // the largest field number
        type.add(new protobuf.Field('xFixed32', 17, 'fixed32'));
        type.add(new protobuf.Field('xSmallVarint', 99, 'int32'));
      }
      root.resolveAll();
      return root;
    }

    /** A copy of an OTLP/JSON-shaped value with the extra fields added to every object. */
    function withExtras(value: unknown): unknown {
      if (Array.isArray(value)) return value.map(withExtras);
      if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
      const out: Record<string, unknown> = { ...EXTRA };
      for (const [k, v] of Object.entries(value)) out[k] = withExtras(v);
      return out;
    }

    test('of every wire type, at every level, are skipped', () => {
      const plain = encodeOtlpJsonAsProto(FULL_JSON);
      const type = extendedRoot().lookupType(MESSAGES[0]);
      const object = JSON.parse(JSON.stringify(FULL_JSON), (k, v: unknown) =>
        ['traceId', 'spanId', 'parentSpanId'].includes(k) ? Buffer.from(v as string, 'hex') : v,
      ) as object;
      const extended = type.encode(type.fromObject(withExtras(object) as object)).finish();
      assert.ok(extended.length > plain.length * 2, 'the extras were encoded');
      assert.deepEqual(decodeOtlpProto(extended), decodeOtlpProto(plain));
      assertMatchesReference(extended);
    });

    test('the unused schema fields (entity_refs, *_strindex, reserved Status field 1) are skipped', () => {
      const body = encodeOtlpRequest({
        resourceSpans: [
          {
            resource: { entityRefs: [{ type: 'service', idKeys: ['service.name'] }] },
            scopeSpans: [
              {
                spans: [
                  span({
                    attributes: [{ key: 'k', keyStrindex: 3, value: { stringValueStrindex: 4 } }],
                  }),
                ],
              },
            ],
          },
        ],
      });
      const result = assertMatchesReference(body);
      assert.deepEqual(result.spans[0].attributes, [
        { key: 'k', type: ValueType.Empty, value: null },
      ]);
      // Status field 1 (reserved, once `deprecated_code`) as a varint.
      const withReserved = new Uint8Array(
        field(
          1,
          field(
            2,
            field(2, [
              ...field(1, TRACE_ID),
              ...field(2, SPAN_ID),
              ...field(15, [0x08, 0x02, 0x18, 0x02]),
            ]),
          ),
        ),
      );
      assert.equal(decodeOtlpProto(withReserved).spans[0].statusCode, StatusCode.Error);
    });
  });

  describe('spans with bad ids are rejected, the rest kept', () => {
    test('count and first reason', () => {
      const result = decodeOtlpProto(
        encodeOtlpRequest(
          request([
            span(),
            span(),
            span({ traceId: Buffer.alloc(5, 1) }),
            span(),
            span({ spanId: Buffer.alloc(8) }),
          ]),
        ),
      );
      assert.equal(result.spans.length, 3);
      assert.equal(result.rejectedSpans, 2);
      assert.equal(
        result.errorMessage,
        '2 spans rejected: span 2 has a 5-byte trace id (want 16 bytes)',
      );
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['missing trace id', { traceId: undefined }, /^1 span rejected: span 0 has no trace id$/],
      ['all-zero trace id', { traceId: Buffer.alloc(16) }, /all-zero trace id/],
      ['missing span id', { spanId: undefined }, /span 0 has no span id/],
      ['9-byte span id', { spanId: Buffer.alloc(9, 1) }, /9-byte span id \(want 8 bytes\)/],
      ['all-zero span id', { spanId: Buffer.alloc(8) }, /all-zero span id/],
      ['4-byte parent span id', { parentSpanId: Buffer.alloc(4, 1) }, /4-byte parent span id/],
      [
        'bad link trace id',
        { links: [{ traceId: Buffer.alloc(3, 1), spanId: SPAN_ID }] },
        /span 0 link 0 has a 3-byte trace id/,
      ],
      [
        'all-zero link span id',
        {
          links: [
            { traceId: TRACE_ID, spanId: SPAN_ID },
            { traceId: TRACE_ID, spanId: Buffer.alloc(8) },
          ],
        },
        /link 1 has an all-zero span id/,
      ],
    ];
    for (const [name, fields, message] of cases) {
      test(name, () => {
        const body = encodeOtlpRequest(request([span(fields)]));
        const result = assertMatchesReference(body);
        assert.equal(result.spans.length, 0);
        assert.equal(result.rejectedSpans, 1);
        assert.match(result.errorMessage, message);
      });
    }
  });

  describe('malformed bodies throw InvalidPayloadError', () => {
    const payload = fixture('otlp/exporter-proto.bin');

    test('every truncation of a real payload', () => {
      // One ResourceSpans: every proper prefix cuts a length-delimited field short.
      assert.equal(referenceDecodeOtlpProto(payload).spans.length > 0, true);
      for (let n = 1; n < payload.length; n++) {
        assert.throws(
          () => decodeOtlpProto(payload.subarray(0, n)),
          InvalidPayloadError,
          `prefix ${n}`,
        );
      }
    });

    test('a 2 GB length prefix in a 100-byte body throws instead of allocating', () => {
      const body = new Uint8Array(100);
      body.set([0x0a, ...varint(2 ** 31)]);
      assertInvalid(
        body,
        /ExportTraceServiceRequest field 1 at byte 6: length 2147483648 runs past the end of its message \(94 bytes left\)/,
      );
    });

    test('a length prefix beyond 2^32 (which uint32 truncation would make small)', () => {
      const body = new Uint8Array([0x0a, ...varint(2n ** 32n + 2n), 0, 0]);
      assertInvalid(body, /length 4294967298 runs past the end/);
    });

    test('a nested length that fits the buffer but not its parent message', () => {
      // ResourceSpans of 3 bytes holding a ScopeSpans that claims 10.
      const body = new Uint8Array([0x0a, 3, 0x12, 10, 0, ...new Array(20).fill(0)]);
      assertInvalid(
        body,
        /ResourceSpans field 2 at byte 4: length 10 runs past the end of its message \(1 bytes left\)/,
      );
    });

    test('a varint over 10 bytes', () => {
      assertInvalid(
        new Uint8Array([0x08, ...new Array(11).fill(0xff)]),
        /varint longer than 10 bytes/,
      );
    });

    test('a truncated varint, fixed32 and fixed64', () => {
      assertInvalid(new Uint8Array([0x08, 0xff]), /truncated varint/);
      const spanWith = (bytes: number[]) => new Uint8Array(field(1, field(2, field(2, bytes))));
      assertInvalid(spanWith([0x39, 1, 2, 3]), /Span field 7 at byte \d+: truncated fixed64/);
      assertInvalid(spanWith([0x85, 0x01, 1, 2]), /Span field 16 at byte \d+: truncated fixed32/);
      assertInvalid(
        spanWith([0x4a, 3, 0x12, 1, 0x21]),
        /AnyValue field 4 at byte \d+: truncated double/,
      );
      assertInvalid(spanWith([0x1d, 1]), /truncated fixed32/);
    });

    test('group wire types, invalid wire types and field number 0', () => {
      assertInvalid(
        new Uint8Array([0x0b, 0x0c]),
        /field 1 at byte 1: group wire types \(3, 4\) are not used by OTLP/,
      );
      assertInvalid(new Uint8Array([0x0c]), /group wire types/);
      assertInvalid(new Uint8Array([0x0e]), /invalid wire type 6/);
      assertInvalid(new Uint8Array([0x0f]), /invalid wire type 7/);
      assertInvalid(new Uint8Array([0x00, 0x00]), /field number 0/);
    });

    test('AnyValue nesting deeper than the limit (both decoders)', () => {
      // protobufjs refuses to encode this deep, so the bytes are built by hand.
      const nestedBody = (levels: number, wrap: (inner: number[]) => number[]) => {
        let value = field(1, Buffer.from('leaf'));
        for (let i = 0; i < levels; i++) value = wrap(value);
        const keyValue = [...field(1, Buffer.from('deep')), ...field(2, value)];
        return new Uint8Array(
          field(
            1,
            field(
              2,
              field(2, [...field(1, TRACE_ID), ...field(2, SPAN_ID), ...field(9, keyValue)]),
            ),
          ),
        );
      };
      const inArray = (inner: number[]) => field(5, field(1, inner));
      const inKvlist = (inner: number[]) =>
        field(6, field(1, [...field(1, [0x6b]), ...field(2, inner)]));
      assertInvalid(
        nestedBody(MAX_ANY_VALUE_DEPTH + 1, inArray),
        /AnyValue field 5 at byte \d+: arrays and kvlists nested deeper than 64 levels/,
      );
      assertInvalid(nestedBody(MAX_ANY_VALUE_DEPTH + 1, inKvlist), /nested deeper than 64 levels/);
      assert.equal(decodeOtlpProto(nestedBody(MAX_ANY_VALUE_DEPTH, inArray)).spans.length, 1);
      assert.equal(decodeOtlpProto(nestedBody(MAX_ANY_VALUE_DEPTH, inKvlist)).spans.length, 1);

      let value: object = { stringValue: 'leaf' };
      for (let i = 0; i < MAX_ANY_VALUE_DEPTH; i++) value = { arrayValue: { values: [value] } };
      const json = (v: object) => ({
        resourceSpans: [{ scopeSpans: [{ spans: [{ attributes: [{ key: 'deep', value: v }] }] }] }],
      });
      assert.equal(decodeOtlpJson(json(value)).rejectedSpans, 1, 'decodes (the span lacks ids)');
      assert.throws(
        () => decodeOtlpJson(json({ arrayValue: { values: [value] } })),
        /arrays and kvlists nested deeper than 64 levels/,
      );
    });

    test('the error names the payload format and says what to check', () => {
      try {
        decodeOtlpProto(new Uint8Array([0x0a, 0x05]));
        assert.fail('did not throw');
      } catch (err) {
        assert.ok(err instanceof InvalidPayloadError);
        assert.equal(err.code, 'SKEIN_INVALID_PAYLOAD');
        assert.match(err.message, /^cannot decode OTLP\/protobuf payload: .*Content-Type/);
      }
    });
  });
});

describe('input limits in both OTLP decoders', () => {
  const LIMITS = new SpanLimits({
    maxAttributesPerSpan: 4,
    maxAttributeValueLength: 16,
    maxEventsPerSpan: 2,
    maxLinksPerSpan: 1,
    maxAttributesPerEvent: 1,
    maxAttributesPerLink: 1,
    maxSpanBytes: 1_000_000,
  });
  const kv = (i: number) => ({ key: `k${i}`, value: { stringValue: `v${i}` } });

  function both(json: object): DecodeResult[] {
    return [
      decodeOtlpProto(encodeOtlpJsonAsProto(json), LIMITS),
      decodeOtlpJson(JSON.parse(JSON.stringify(json)), LIMITS),
    ];
  }

  test('start times past 2^53 µs (uint64 max) are rejected per span as partial success', () => {
    const hex = '5b8efff798038103d269b633813fc60c';
    const json = request([
      {
        traceId: hex,
        spanId: 'eee19b7ec3c1b174',
        name: 'bad',
        startTimeUnixNano: '18446744073709551615',
        endTimeUnixNano: '18446744073709551615',
      },
      {
        traceId: hex,
        spanId: 'eee19b7ec3c1b175',
        name: 'ends late',
        startTimeUnixNano: '1700000000000000000',
        endTimeUnixNano: '9300000000000000000',
      },
      {
        traceId: hex,
        spanId: 'eee19b7ec3c1b176',
        name: 'ok',
        startTimeUnixNano: '1700000000000000000',
        endTimeUnixNano: '1700000000001000000',
      },
    ]);
    for (const result of both(json)) {
      assert.deepEqual(
        result.spans.map((s) => s.name),
        ['ok'],
      );
      assert.equal(result.rejectedSpans, 2);
      assert.equal(result.invalidTimeSpans, 2);
      assert.match(
        result.errorMessage,
        /^2 spans rejected: span 0 has start time \d+ µs \(after 2255/,
      );
    }
  });

  test('over-limit lists are cut while decoding and counted as dropped, the span marked', () => {
    const hex = '5b8efff798038103d269b633813fc60c';
    const json = request([
      {
        traceId: hex,
        spanId: 'eee19b7ec3c1b174',
        name: 'big',
        startTimeUnixNano: '1700000000000000000',
        endTimeUnixNano: '1700000000001000000',
        attributes: Array.from({ length: 10 }, (_, i) => kv(i)),
        droppedAttributesCount: 1,
        events: Array.from({ length: 5 }, (_, i) => ({
          timeUnixNano: '1700000000000000000',
          name: `e${i}`,
          attributes: [kv(1), kv(2), kv(3)],
        })),
        links: Array.from({ length: 3 }, () => ({
          traceId: hex,
          spanId: 'eee19b7ec3c1b170',
          attributes: [kv(1), { key: 'long', value: { stringValue: 'x'.repeat(100) } }],
        })),
      },
    ]);
    const [proto, fromJson] = both(json);
    assert.deepEqual(proto, fromJson);
    const [span] = proto.spans;
    assert.deepEqual(
      span.attributes.map((a) => a.key),
      ['k0', 'k1', 'k2', 'k3', 'skein.truncated'],
    );
    assert.equal(
      span.attributes[4].value,
      'attributes,events,links,event_attributes,link_attributes',
    );
    assert.equal(span.droppedAttributesCount, 7);
    assert.equal(span.events.length, 2);
    assert.equal(span.droppedEventsCount, 3);
    assert.deepEqual(
      span.events.map((e) => e.droppedAttributesCount),
      [2, 2],
    );
    assert.equal(span.links.length, 1);
    assert.equal(span.droppedLinksCount, 2);
    assert.equal(span.links[0].droppedAttributesCount, 1);
  });

  test('a million attributes on one span never become a million objects', () => {
    // 1,000,000 KeyValues of key "a" and no value: 5 bytes each on the wire.
    const one = field(9, field(1, [0x61]));
    const spanBytes = [
      ...field(1, TRACE_ID),
      ...field(2, SPAN_ID),
      ...[0x39, ...Buffer.from(new BigUint64Array([1_700_000_000_000_000_000n]).buffer)],
    ];
    const attributes = Buffer.alloc(one.length * 1_000_000);
    for (let i = 0; i < 1_000_000; i++) attributes.set(one, i * one.length);
    const spanMessage = Buffer.concat([Buffer.from(spanBytes), attributes]);
    const body = Buffer.concat([
      Buffer.from([0x0a, ...varint(spanMessage.length + 10)]),
      Buffer.from([0x12, ...varint(spanMessage.length + 5)]),
      Buffer.from([0x12, ...varint(spanMessage.length)]),
      spanMessage,
    ]);
    const { spans } = decodeOtlpProto(body, LIMITS);
    assert.equal(spans.length, 1);
    assert.equal(spans[0].attributes.length, 5);
    assert.equal(spans[0].droppedAttributesCount, 1_000_000 - 4);
  });
});
