import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidPayloadError } from '../../errors.ts';
import { SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import { decodePostSpansRequest } from './jaeger-proto-decoder.ts';
import {
  SAMPLE_SECONDS as SECONDS,
  encodePostSpansRequest,
  samplePostSpansRequest,
} from './test-support/jaeger-api-v2.ts';

describe('Jaeger api_v2 protobuf decoder', () => {
  test('negative and past-2255 times are rejected per span, counted as times', () => {
    for (const [startTime, duration, reason] of [
      [{ seconds: -5, nanos: 0 }, { seconds: 0, nanos: 1000 }, /before 1970/],
      [{ seconds: '9223372036854775807', nanos: 0 }, { seconds: 0, nanos: 1000 }, /after 2255/],
      [{ seconds: SECONDS, nanos: 0 }, { seconds: -1, nanos: 0 }, /negative duration/],
    ] as const) {
      const request = samplePostSpansRequest() as {
        batch: { spans: Record<string, unknown>[] };
      };
      request.batch.spans[0].startTime = startTime;
      request.batch.spans[0].duration = duration;
      const result = decodePostSpansRequest(encodePostSpansRequest(request));
      assert.equal(result.rejectedSpans, 1, String(reason));
      assert.equal(result.invalidTimeSpans, 1);
      assert.match(result.errorMessage, reason);
      assert.equal(result.spans.length, 1);
    }
  });

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
