import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidPayloadError } from '../../errors.ts';
import { SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import { decodePostSpansRequest } from './jaeger-proto-decoder.ts';
import { encodePostSpansRequest } from './test-support/jaeger-api-v2.ts';

const TRACE = Buffer.from('0af7651916cd43dd8494a2b3c4d5e6ff', 'hex');
const ROOT_ID = Buffer.from('1111111111111111', 'hex');
const CHILD_ID = Buffer.from('2222222222222222', 'hex');
const SECONDS = 1_700_000_000;

/** A PostSpansRequest as protobufjs takes it (ids as bytes, times as Timestamp/Duration). */
export function samplePostSpansRequest(): Record<string, unknown> {
  return {
    batch: {
      process: {
        serviceName: 'checkout',
        tags: [
          { key: 'hostname', vStr: 'host-1' },
          { key: 'pid', vType: 2, vInt64: 4242 },
        ],
      },
      spans: [
        {
          traceId: TRACE,
          spanId: ROOT_ID,
          operationName: 'GET /cart',
          flags: 1,
          startTime: { seconds: SECONDS, nanos: 123_456_789 },
          duration: { seconds: 0, nanos: 1_500_000 },
          tags: [
            { key: 'span.kind', vStr: 'server' },
            { key: 'ratio', vType: 3, vFloat64: 0.25 },
            { key: 'cache.hit', vType: 1, vBool: true },
            { key: 'big', vType: 2, vInt64: '-9007199254740993' },
            { key: 'blob', vType: 4, vBinary: Buffer.from([1, 2, 3]) },
            { key: 'otel.scope.name', vStr: 'cart-lib' },
          ],
          logs: [
            {
              timestamp: { seconds: SECONDS, nanos: 200_000_000 },
              fields: [
                { key: 'event', vStr: 'retry' },
                { key: 'attempt', vType: 2, vInt64: 2 },
              ],
            },
          ],
        },
        {
          traceId: TRACE,
          spanId: CHILD_ID,
          operationName: 'SELECT cart',
          references: [
            { traceId: TRACE, spanId: ROOT_ID },
            { traceId: TRACE, spanId: Buffer.from('3333333333333333', 'hex'), refType: 1 },
          ],
          startTime: { seconds: SECONDS, nanos: 300_000_000 },
          duration: { seconds: 1, nanos: 0 },
          tags: [
            { key: 'span.kind', vStr: 'client' },
            { key: 'error', vType: 1, vBool: true },
          ],
          process: { serviceName: 'postgres' },
        },
      ],
    },
  };
}

describe('Jaeger api_v2 protobuf decoder', () => {
  test('maps a PostSpansRequest encoded by protobufjs from the official protos', () => {
    const result = decodePostSpansRequest(encodePostSpansRequest(samplePostSpansRequest()));
    assert.equal(result.rejectedSpans, 0);
    const [root, child] = result.spans;
    assert.equal(root.traceId, '0af7651916cd43dd8494a2b3c4d5e6ff');
    assert.equal(root.spanId, '1111111111111111');
    assert.equal(root.parentSpanId, '');
    assert.equal(root.kind, SpanKind.Server);
    assert.equal(root.flags, 1);
    assert.equal(root.startTime, SECONDS * 1_000_000 + 123_456);
    assert.equal(root.duration, 1500);
    assert.equal(root.scope.name, 'cart-lib');
    assert.deepEqual(root.attributes, [
      { key: 'ratio', type: ValueType.Double, value: 0.25 },
      { key: 'cache.hit', type: ValueType.Bool, value: true },
      { key: 'big', type: ValueType.Int, value: -9007199254740993n },
      { key: 'blob', type: ValueType.Bytes, value: new Uint8Array([1, 2, 3]) },
    ]);
    assert.deepEqual(root.events, [
      {
        time: SECONDS * 1_000_000 + 200_000,
        name: 'retry',
        attributes: [{ key: 'attempt', type: ValueType.Int, value: 2 }],
        droppedAttributesCount: 0,
      },
    ]);
    assert.equal(root.resource.serviceName, 'checkout');
    assert.deepEqual(root.resource.attributes, [
      { key: 'service.name', type: ValueType.String, value: 'checkout' },
      { key: 'hostname', type: ValueType.String, value: 'host-1' },
      { key: 'pid', type: ValueType.Int, value: 4242 },
    ]);

    assert.equal(child.parentSpanId, '1111111111111111', 'the CHILD_OF reference is the parent');
    assert.deepEqual(
      child.links.map((l) => [l.spanId, l.attributes[0].value]),
      [['3333333333333333', 'follows_from']],
    );
    assert.equal(child.statusCode, StatusCode.Error);
    assert.equal(child.duration, 1_000_000);
    assert.equal(child.resource.serviceName, 'postgres', "a span's own process wins");
  });

  test('64-bit trace ids (8 bytes) get leading zeros; bad ids reject the span', () => {
    const request = samplePostSpansRequest() as {
      batch: { spans: Array<Record<string, unknown>> };
    };
    request.batch.spans[0].traceId = Buffer.from('00000000000000ff', 'hex');
    request.batch.spans[1].spanId = Buffer.from('abcd', 'hex');
    request.batch.spans[1].references = [];
    const result = decodePostSpansRequest(encodePostSpansRequest(request));
    assert.equal(result.spans[0].traceId, '000000000000000000000000000000ff');
    assert.equal(result.rejectedSpans, 1);
    assert.match(result.errorMessage, /span 1 has span id ""/);
  });

  test('malformed bytes throw InvalidPayloadError naming the message', () => {
    const good = encodePostSpansRequest(samplePostSpansRequest());
    assert.throws(
      () => decodePostSpansRequest(good.subarray(0, good.length - 3)),
      (err) => {
        assert.ok(err instanceof InvalidPayloadError);
        assert.match(err.message, /Jaeger api_v2 protobuf/);
        return true;
      },
    );
  });
});
