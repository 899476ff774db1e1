import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidPayloadError } from '../../errors.ts';
import { SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { decodeAgentPacket } from './jaeger-agent-decoder.ts';
import { decodeJaegerThriftBatch } from './jaeger-thrift-decoder.ts';
import { apacheEncodeMessage } from '../thrift/test-support/apache-thrift-encoder.ts';
import { ThriftMessageType, ThriftType } from '../thrift/thrift-type.ts';
import {
  batchValue,
  encodeBatch,
  encodeEmitBatch,
  sampleBatch,
  str,
} from './test-support/jaeger-thrift-payloads.ts';

const TRACE_ID = '0af7651916cd43dd8494a2b3c4d5e6ff';
const START = 1_700_000_000_000_000;

function checkSample(result: DecodeResult): void {
  assert.equal(result.rejectedSpans, 0);
  assert.equal(result.spans.length, 2);
  const [server, client] = result.spans;

  assert.equal(server.traceId, TRACE_ID);
  assert.equal(server.spanId, '1111111111111111');
  assert.equal(server.parentSpanId, '');
  assert.equal(server.name, 'GET /cart');
  assert.equal(server.kind, SpanKind.Server);
  assert.equal(server.flags, 1);
  assert.equal(server.startTime, START);
  assert.equal(server.duration, 1500);
  assert.equal(server.traceState, 'vendor=abc');
  assert.deepEqual(
    { name: server.scope.name, version: server.scope.version },
    { name: 'cart-lib', version: '1.2.3' },
  );
  assert.deepEqual(server.attributes, [
    { key: 'http.method', type: ValueType.String, value: 'GET' },
    { key: 'ratio', type: ValueType.Double, value: 0.25 },
    { key: 'cache.hit', type: ValueType.Bool, value: false },
    { key: 'http.status_code', type: ValueType.Int, value: 200 },
    { key: 'big', type: ValueType.Int, value: 9007199254740993n },
    { key: 'blob', type: ValueType.Bytes, value: new Uint8Array([0, 1, 2, 255]) },
  ]);
  assert.equal(server.statusCode, StatusCode.Unset);
  assert.deepEqual(server.events, [
    {
      time: START + 10,
      name: 'cache miss',
      attributes: [{ key: 'key', type: ValueType.String, value: 'cart:1' }],
      droppedAttributesCount: 0,
    },
    {
      time: START + 20,
      name: '',
      attributes: [
        { key: 'message', type: ValueType.String, value: 'no event field' },
        { key: 'n', type: ValueType.Int, value: 3 },
      ],
      droppedAttributesCount: 0,
    },
  ]);
  assert.equal(server.resource.serviceName, 'checkout');
  assert.deepEqual(server.resource.attributes, [
    { key: 'service.name', type: ValueType.String, value: 'checkout' },
    { key: 'hostname', type: ValueType.String, value: 'host-1' },
    { key: 'jaeger.version', type: ValueType.String, value: 'Node-3.19.0' },
    { key: 'pid', type: ValueType.Int, value: 4242 },
  ]);

  assert.equal(client.parentSpanId, '1111111111111111');
  assert.equal(client.kind, SpanKind.Client);
  assert.equal(client.statusCode, StatusCode.Error);
  assert.equal(client.statusMessage, 'connection reset');
  assert.deepEqual(client.attributes, [
    { key: 'db.system', type: ValueType.String, value: 'postgresql' },
  ]);
  // The CHILD_OF reference that repeats parentSpanId is gone; FOLLOWS_FROM is a link.
  assert.deepEqual(client.links, [
    {
      traceId: '00000000000000000000000000000005',
      spanId: '3333333333333333',
      traceState: '',
      attributes: [{ key: 'opentracing.ref_type', type: ValueType.String, value: 'follows_from' }],
      droppedAttributesCount: 0,
      flags: 0,
    },
  ]);
  assert.equal(client.resource, server.resource, 'spans of a batch share its resource');
  assert.equal(client.scope.name, '');
}

describe('Jaeger thrift decoders', () => {
  test('HTTP body: binary Batch maps every field', () => {
    checkSample(decodeJaegerThriftBatch(encodeBatch('binary', sampleBatch())));
  });

  test('agent: compact and binary emitBatch decode alike', () => {
    checkSample(decodeAgentPacket(encodeEmitBatch('compact', sampleBatch()), 'compact'));
    checkSample(decodeAgentPacket(encodeEmitBatch('binary', sampleBatch()), 'binary'));
  });

  test('agent: emitBatch written by Apache Thrift (compact and binary) decodes alike', () => {
    for (const protocol of ['compact', 'binary'] as const) {
      const packet = apacheEncodeMessage(protocol, 'emitBatch', ThriftMessageType.Oneway, 9, [
        [1, ThriftType.Struct, batchValue(sampleBatch())],
      ]);
      checkSample(decodeAgentPacket(packet, protocol));
    }
  });

  test('64-bit trace ids get leading zeros; CHILD_OF reference gives the parent', () => {
    const batch = sampleBatch();
    const span = batch.spans[1];
    span.traceIdHigh = 0n;
    span.traceIdLow = 0x42n;
    span.parentSpanId = 0n;
    span.references = [
      { refType: 1, traceIdLow: 0x42n, traceIdHigh: 0n, spanId: 0x7n },
      { refType: 0, traceIdLow: 0x42n, traceIdHigh: 0n, spanId: 0x9n },
      { refType: 0, traceIdLow: 0x42n, traceIdHigh: 0n, spanId: 0xan },
    ];
    batch.spans = [span];
    const [decoded] = decodeJaegerThriftBatch(encodeBatch('binary', batch)).spans;
    assert.equal(decoded.traceId, '00000000000000000000000000000042');
    assert.equal(decoded.parentSpanId, '0000000000000009');
    assert.deepEqual(
      decoded.links.map((l) => [l.spanId, l.attributes[0].value]),
      [
        ['0000000000000007', 'follows_from'],
        ['000000000000000a', 'child_of'],
      ],
    );
  });

  test('status: otel.status_code OK and ERROR, error=false kept, unknown kind kept', () => {
    const batch = sampleBatch();
    batch.spans = [batch.spans[0], structuredClone(batch.spans[0])];
    batch.spans[0].tags = [str('otel.status_code', 'OK'), str('span.kind', 'weird')];
    batch.spans[1].tags = [
      str('otel.status_code', 'ERROR'),
      str('otel.status_description', 'boom'),
      { key: 'error', vType: 2, vBool: false },
    ];
    const [ok, failed] = decodeJaegerThriftBatch(encodeBatch('binary', batch)).spans;
    assert.equal(ok.statusCode, StatusCode.Ok);
    assert.equal(ok.kind, SpanKind.Unspecified);
    assert.deepEqual(ok.attributes, [{ key: 'span.kind', type: ValueType.String, value: 'weird' }]);
    assert.equal(failed.statusCode, StatusCode.Error);
    assert.equal(failed.statusMessage, 'boom');
    assert.deepEqual(failed.attributes, [{ key: 'error', type: ValueType.Bool, value: false }]);
  });

  test('spans with zero ids are rejected and counted, the others kept', () => {
    const batch = sampleBatch();
    batch.spans[0].spanId = 0n;
    batch.spans[1].traceIdHigh = 0n;
    batch.spans[1].traceIdLow = 0n;
    const result = decodeJaegerThriftBatch(encodeBatch('binary', batch));
    assert.equal(result.spans.length, 0);
    assert.equal(result.rejectedSpans, 2);
    assert.match(result.errorMessage, /^2 spans rejected: span 0 has span id "0000000000000000"/);
  });

  test('int64 maximum, negative and past-2255 times are rejected per span, counted as times', () => {
    for (const [startTime, duration, reason] of [
      [2n ** 63n - 1n, 1500n, /span 0 has start time \d+ µs \(after 2255/],
      [-1_700_000_000_000_000n, 1500n, /span 0 has start time -1700000000000000 µs \(before 1970/],
      [1_700_000_000_000_000n, -5n, /span 0 has a negative duration \(-5 µs\)/],
      [1_700_000_000_000_000n, 2n ** 62n, /span 0 has duration \d+ µs, ending after 2255/],
    ] as const) {
      const batch = sampleBatch();
      batch.spans[0].startTime = startTime;
      batch.spans[0].duration = duration;
      for (const result of [
        decodeJaegerThriftBatch(encodeBatch('binary', batch)),
        decodeAgentPacket(encodeEmitBatch('compact', batch), 'compact'),
      ]) {
        assert.equal(result.rejectedSpans, 1);
        assert.equal(result.invalidTimeSpans, 1);
        assert.match(result.errorMessage, reason);
        assert.deepEqual(
          result.spans.map((s) => s.spanId),
          ['2222222222222222'],
        );
      }
    }
  });

  test('malformed payloads throw InvalidPayloadError with the place', () => {
    const good = encodeBatch('binary', sampleBatch());
    assert.throws(() => decodeJaegerThriftBatch(good.subarray(0, 40)), InvalidPayloadError);
    assert.throws(() => decodeJaegerThriftBatch(Buffer.from('{"spans":[]}')), InvalidPayloadError);
    assert.throws(() => decodeJaegerThriftBatch(Buffer.from([0])), /Batch has no process/);
    assert.throws(
      () => decodeAgentPacket(encodeEmitBatch('binary', sampleBatch()), 'compact'),
      /not 0x82/,
    );
    const wrongMethod = encodeEmitBatch('compact', sampleBatch());
    wrongMethod[5] = 'X'.charCodeAt(0);
    assert.throws(() => decodeAgentPacket(wrongMethod, 'compact'), /unknown method "eXitBatch"/);
  });
});
