import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { Span } from '../../model/span.ts';
import { decodeOtlpJson } from '../../receivers/otlp/otlp-json-decoder.ts';
import { makeResource, makeScope, makeSpan } from '../test-support/span-builders.ts';
import { encodeOtlpJson, microsToNanoString } from './encode-otlp-json.ts';

const T = '0af7651916cd43dd8448eb211c80319c';

function richSpans(): Span[] {
  const resource = makeResource('cart', [
    { key: 'host.name', type: ValueType.String, value: 'h1' },
  ]);
  resource.schemaUrl = 'https://opentelemetry.io/schemas/1.21.0';
  resource.droppedAttributesCount = 2;
  const scopeA = makeScope('http', '1.0.0');
  scopeA.attributes = [{ key: 'scope.attr', type: ValueType.Bool, value: true }];
  scopeA.schemaUrl = 'https://example.com/scope';
  const scopeB = makeScope('db', '');
  const other = makeResource('payment');
  return [
    makeSpan({
      traceId: T,
      spanId: '0000000000000001',
      name: 'GET /cart',
      kind: SpanKind.Server,
      startTime: 1_700_000_000_123_456,
      duration: 789,
      flags: 0x101,
      traceState: 'k=v',
      statusCode: StatusCode.Error,
      statusMessage: 'boom',
      droppedAttributesCount: 1,
      droppedEventsCount: 2,
      droppedLinksCount: 3,
      attributes: [
        { key: 's', type: ValueType.String, value: 'x' },
        { key: 'i', type: ValueType.Int, value: 42 },
        { key: 'big', type: ValueType.Int, value: -9007199254740993n },
        { key: 'd', type: ValueType.Double, value: 0.25 },
        { key: 'b', type: ValueType.Bool, value: false },
        { key: 'bytes', type: ValueType.Bytes, value: new Uint8Array([1, 2, 255]) },
        {
          key: 'arr',
          type: ValueType.Array,
          value: [
            { type: ValueType.String, value: 'a' },
            { type: ValueType.Int, value: 1 },
          ],
        },
        {
          key: 'map',
          type: ValueType.KvList,
          value: [{ key: 'inner', type: ValueType.Double, value: 1.5 }],
        },
        { key: 'empty', type: ValueType.Empty, value: null },
      ],
      events: [
        {
          time: 1_700_000_000_123_500,
          name: 'exception',
          attributes: [{ key: 'exception.type', type: ValueType.String, value: 'Error' }],
          droppedAttributesCount: 4,
        },
      ],
      links: [
        {
          traceId: 'ffffffffffffffffffffffffffffffff',
          spanId: 'eeeeeeeeeeeeeeee',
          traceState: 'a=b',
          attributes: [{ key: 'l', type: ValueType.Int, value: 7 }],
          droppedAttributesCount: 5,
          flags: 1,
        },
      ],
      resource,
      scope: scopeA,
    }),
    makeSpan({
      traceId: T,
      spanId: '0000000000000002',
      parentSpanId: '0000000000000001',
      kind: SpanKind.Client,
      resource,
      scope: scopeB,
    }),
    makeSpan({ traceId: T, spanId: '0000000000000003', resource, scope: scopeA }),
    makeSpan({ traceId: T, spanId: '0000000000000004', resource: other, scope: scopeB }),
  ];
}

describe('encodeOtlpJson', () => {
  test('writes the OTLP JSON mapping: hex ids, ns strings, int64 strings, enums as numbers, base64 bytes', () => {
    const out = encodeOtlpJson(richSpans().slice(0, 1));
    assert.deepEqual(out, {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'cart' } },
              { key: 'host.name', value: { stringValue: 'h1' } },
            ],
            droppedAttributesCount: 2,
          },
          schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
          scopeSpans: [
            {
              scope: {
                name: 'http',
                version: '1.0.0',
                attributes: [{ key: 'scope.attr', value: { boolValue: true } }],
              },
              schemaUrl: 'https://example.com/scope',
              spans: [
                {
                  traceId: T,
                  spanId: '0000000000000001',
                  traceState: 'k=v',
                  flags: 0x101,
                  name: 'GET /cart',
                  kind: 2,
                  startTimeUnixNano: '1700000000123456000',
                  endTimeUnixNano: '1700000000124245000',
                  attributes: [
                    { key: 's', value: { stringValue: 'x' } },
                    { key: 'i', value: { intValue: '42' } },
                    { key: 'big', value: { intValue: '-9007199254740993' } },
                    { key: 'd', value: { doubleValue: 0.25 } },
                    { key: 'b', value: { boolValue: false } },
                    { key: 'bytes', value: { bytesValue: 'AQL/' } },
                    {
                      key: 'arr',
                      value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } },
                    },
                    {
                      key: 'map',
                      value: {
                        kvlistValue: { values: [{ key: 'inner', value: { doubleValue: 1.5 } }] },
                      },
                    },
                    { key: 'empty', value: {} },
                  ],
                  droppedAttributesCount: 1,
                  events: [
                    {
                      timeUnixNano: '1700000000123500000',
                      name: 'exception',
                      attributes: [{ key: 'exception.type', value: { stringValue: 'Error' } }],
                      droppedAttributesCount: 4,
                    },
                  ],
                  droppedEventsCount: 2,
                  links: [
                    {
                      traceId: 'ffffffffffffffffffffffffffffffff',
                      spanId: 'eeeeeeeeeeeeeeee',
                      traceState: 'a=b',
                      attributes: [{ key: 'l', value: { intValue: '7' } }],
                      droppedAttributesCount: 5,
                      flags: 1,
                    },
                  ],
                  droppedLinksCount: 3,
                  status: { code: 2, message: 'boom' },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  test('groups by resource and scope object identity, in order of first appearance', () => {
    const out = encodeOtlpJson(richSpans());
    assert.equal(out.resourceSpans.length, 2);
    const [cart, payment] = out.resourceSpans;
    assert.deepEqual(
      cart.scopeSpans.map((ss) => [ss.scope.name, ss.spans.map((s) => s.spanId)]),
      [
        ['http', ['0000000000000001', '0000000000000003']],
        ['db', ['0000000000000002']],
      ],
    );
    assert.deepEqual(
      payment.scopeSpans.map((ss) => ss.spans.map((s) => s.spanId)),
      [['0000000000000004']],
    );
    assert.equal(cart.scopeSpans[1].spans[0].parentSpanId, '0000000000000001');
    assert.deepEqual(cart.scopeSpans[1].spans[0].status, {});
  });

  test('round-trips through decodeOtlpJson', () => {
    const spans = richSpans();
    const decoded = decodeOtlpJson(JSON.parse(JSON.stringify(encodeOtlpJson(spans))));
    assert.equal(decoded.rejectedSpans, 0);
    const byId = (a: Span, b: Span) => (a.spanId < b.spanId ? -1 : 1);
    assert.deepEqual(decoded.spans.sort(byId), spans.sort(byId));
  });
});

describe('microsToNanoString', () => {
  test('is exact beyond 2^53 ns', () => {
    assert.equal(microsToNanoString(0), '0');
    assert.equal(microsToNanoString(1_700_000_000_123_457), '1700000000123457000');
    assert.equal(microsToNanoString(1.5), '1500');
  });
});
