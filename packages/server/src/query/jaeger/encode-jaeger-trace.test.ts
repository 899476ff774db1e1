import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import { makeResource, makeScope, makeSpan } from '../test-support/span-builders.ts';
import { encodeJaegerTrace, encodeKeyValue } from './encode-jaeger-trace.ts';

const T = '0af7651916cd43dd8448eb211c80319c';

describe('encodeJaegerTrace', () => {
  test('maps a span the way Jaeger v2 does, tags in translator order', () => {
    const span = makeSpan({
      traceId: T,
      spanId: 'b7ad6b7169203331',
      parentSpanId: '00f067aa0ba902b7',
      name: 'GET /cart',
      kind: SpanKind.Client,
      startTime: 1_700_000_000_123_456,
      duration: 789,
      flags: 1,
      traceState: 'rojo=00f067aa0ba902b7',
      statusCode: StatusCode.Error,
      statusMessage: 'boom',
      attributes: [{ key: 'http.status_code', type: ValueType.Int, value: 500 }],
      scope: makeScope('io.opentelemetry.http', '1.2.3'),
    });
    const out = encodeJaegerTrace({ traceId: T, spans: [span] });
    assert.equal(out.traceID, T);
    assert.equal(out.warnings, null);
    assert.deepEqual(out.spans[0], {
      traceID: T,
      spanID: 'b7ad6b7169203331',
      flags: 1,
      operationName: 'GET /cart',
      references: [{ refType: 'CHILD_OF', traceID: T, spanID: '00f067aa0ba902b7' }],
      startTime: 1_700_000_000_123_456,
      duration: 789,
      tags: [
        { key: 'otel.scope.name', type: 'string', value: 'io.opentelemetry.http' },
        { key: 'otel.scope.version', type: 'string', value: '1.2.3' },
        { key: 'http.status_code', type: 'int64', value: 500 },
        { key: 'span.kind', type: 'string', value: 'client' },
        { key: 'otel.status_code', type: 'string', value: 'ERROR' },
        { key: 'error', type: 'bool', value: true },
        { key: 'otel.status_description', type: 'string', value: 'boom' },
        { key: 'w3c.tracestate', type: 'string', value: 'rojo=00f067aa0ba902b7' },
      ],
      logs: [],
      processID: 'p1',
      warnings: null,
    });
  });

  test('OK status gives otel.status_code=OK and no error tag; unspecified kind gives no span.kind', () => {
    const span = makeSpan({
      traceId: T,
      spanId: '0000000000000001',
      kind: SpanKind.Unspecified,
      statusCode: StatusCode.Ok,
      scope: makeScope('', ''),
    });
    const tags = encodeJaegerTrace({ traceId: T, spans: [span] }).spans[0].tags;
    assert.deepEqual(tags, [{ key: 'otel.status_code', type: 'string', value: 'OK' }]);
  });

  test('links become FOLLOWS_FROM after the parent, or CHILD_OF with opentracing.ref_type', () => {
    const link = (spanId: string, refType?: string) => ({
      traceId: T,
      spanId,
      traceState: '',
      attributes:
        refType === undefined
          ? []
          : [{ key: 'opentracing.ref_type', type: ValueType.String, value: refType } as const],
      droppedAttributesCount: 0,
      flags: 0,
    });
    const span = makeSpan({
      traceId: T,
      spanId: '0000000000000002',
      parentSpanId: '0000000000000001',
      links: [
        link('00000000000000aa'),
        link('00000000000000bb', 'child_of'),
        link('0000000000000001', 'follows_from'),
      ],
    });
    assert.deepEqual(encodeJaegerTrace({ traceId: T, spans: [span] }).spans[0].references, [
      // The link to the parent itself only changes the parent reference's type.
      { refType: 'FOLLOWS_FROM', traceID: T, spanID: '0000000000000001' },
      { refType: 'FOLLOWS_FROM', traceID: T, spanID: '00000000000000aa' },
      { refType: 'CHILD_OF', traceID: T, spanID: '00000000000000bb' },
    ]);
  });

  test('events become logs with an event field for the name', () => {
    const span = makeSpan({
      traceId: T,
      spanId: '0000000000000001',
      events: [
        {
          time: 1_700_000_000_000_500,
          name: 'exception',
          attributes: [{ key: 'exception.message', type: ValueType.String, value: 'x' }],
          droppedAttributesCount: 0,
        },
        {
          time: 1_700_000_000_000_600,
          name: 'ignored',
          attributes: [{ key: 'event', type: ValueType.String, value: 'explicit' }],
          droppedAttributesCount: 0,
        },
      ],
    });
    assert.deepEqual(encodeJaegerTrace({ traceId: T, spans: [span] }).spans[0].logs, [
      {
        timestamp: 1_700_000_000_000_500,
        fields: [
          { key: 'event', type: 'string', value: 'exception' },
          { key: 'exception.message', type: 'string', value: 'x' },
        ],
      },
      {
        timestamp: 1_700_000_000_000_600,
        fields: [{ key: 'event', type: 'string', value: 'explicit' }],
      },
    ]);
  });

  test('equal processes share an id, by identity or by content; service.name is not a tag', () => {
    const host = { key: 'host.name', type: ValueType.String, value: 'h1' } as const;
    const a = makeResource('cart', [host]);
    const aCopy = makeResource('cart', [host]);
    const b = makeResource('payment');
    const spans = [
      makeSpan({ traceId: T, spanId: '0000000000000001', resource: a }),
      makeSpan({ traceId: T, spanId: '0000000000000002', resource: b }),
      makeSpan({ traceId: T, spanId: '0000000000000003', resource: a }),
      makeSpan({ traceId: T, spanId: '0000000000000004', resource: aCopy }),
    ];
    const out = encodeJaegerTrace({ traceId: T, spans });
    assert.deepEqual(
      out.spans.map((s) => s.processID),
      ['p1', 'p2', 'p1', 'p1'],
    );
    assert.deepEqual(out.processes, {
      p1: { serviceName: 'cart', tags: [{ key: 'host.name', type: 'string', value: 'h1' }] },
      p2: { serviceName: 'payment', tags: [] },
    });
  });
});

describe('encodeKeyValue', () => {
  test('types every value as Jaeger does', () => {
    assert.deepEqual(encodeKeyValue('s', { type: ValueType.String, value: 'x' }), {
      key: 's',
      type: 'string',
      value: 'x',
    });
    assert.deepEqual(encodeKeyValue('b', { type: ValueType.Bool, value: false }), {
      key: 'b',
      type: 'bool',
      value: false,
    });
    assert.deepEqual(encodeKeyValue('d', { type: ValueType.Double, value: 72.5 }), {
      key: 'd',
      type: 'float64',
      value: 72.5,
    });
    assert.deepEqual(encodeKeyValue('i', { type: ValueType.Int, value: 12n }), {
      key: 'i',
      type: 'int64',
      value: 12,
    });
    assert.deepEqual(encodeKeyValue('big', { type: ValueType.Int, value: 9007199254740993n }), {
      key: 'big',
      type: 'int64',
      value: '9007199254740993',
    });
    assert.deepEqual(
      encodeKeyValue('bin', {
        type: ValueType.Bytes,
        value: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      }),
      { key: 'bin', type: 'binary', value: '3q2+7w==' },
    );
    assert.deepEqual(encodeKeyValue('e', { type: ValueType.Empty, value: null }), {
      key: 'e',
      type: 'string',
      value: '',
    });
  });

  test('renders arrays and maps as JSON strings', () => {
    const arr = encodeKeyValue('a', {
      type: ValueType.Array,
      value: [
        { type: ValueType.String, value: 'x' },
        { type: ValueType.Int, value: 9007199254740993n },
        { type: ValueType.Double, value: 1.5 },
        { type: ValueType.Bool, value: true },
        { type: ValueType.Empty, value: null },
      ],
    });
    assert.deepEqual(arr, {
      key: 'a',
      type: 'string',
      value: '["x",9007199254740993,1.5,true,null]',
    });
    const map = encodeKeyValue('m', {
      type: ValueType.KvList,
      value: [
        { key: 'k"q', type: ValueType.String, value: 'v' },
        {
          key: 'nested',
          type: ValueType.KvList,
          value: [{ key: 'n', type: ValueType.Int, value: 1 }],
        },
      ],
    });
    assert.deepEqual(map, { key: 'm', type: 'string', value: '{"k\\"q":"v","nested":{"n":1}}' });
  });
});
