import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidPayloadError, ZeroIdError } from '../../errors.ts';
import type { Span } from '../../model/span.ts';
import { SpanKind, StatusCode, UNKNOWN_SERVICE, ValueType } from '../../model/span.ts';
import { encodeZipkinTrace } from '../../query/zipkin/encode-zipkin-span.ts';
import type { ZipkinSpan } from '../../query/zipkin/zipkin-json.ts';
import {
  encodeZipkinProtoReference,
  sampleZipkinV2Spans,
  v1JsonPayload,
  v1ThriftPayload,
} from './test-support/zipkin-payloads.ts';
import { decodeZipkinJsonV1 } from './zipkin-json-v1-decoder.ts';
import { decodeZipkinJsonV2 } from './zipkin-json-v2-decoder.ts';
import { decodeZipkinProto } from './zipkin-proto-decoder.ts';
import { decodeZipkinThrift } from './zipkin-thrift-decoder.ts';

const T0 = 1_700_000_000_000_000;

function one(spans: ZipkinSpan[] | unknown[]): Span {
  const result = decodeZipkinJsonV2(spans);
  assert.equal(result.rejectedSpans, 0, result.errorMessage);
  assert.equal(result.spans.length, 1);
  return result.spans[0];
}

function attr(span: Span, key: string): unknown {
  return span.attributes.find((a) => a.key === key)?.value;
}

const base = { traceId: 'a'.repeat(16), id: 'b'.repeat(16), timestamp: T0, duration: 5 };

describe('Zipkin → span model mapping', () => {
  test('ids: 64-bit trace ids padded to 32 digits, short and upper-case ids normalised', () => {
    const s = one([{ ...base, traceId: 'ABC', id: 'F1', parentId: '00000000000000e2' }]);
    assert.equal(s.traceId, '0'.repeat(29) + 'abc');
    assert.equal(s.spanId, '0'.repeat(14) + 'f1');
    assert.equal(s.parentSpanId, '00000000000000e2');
    assert.equal(one([{ ...base, parentId: '0000000000000000' }]).parentSpanId, '');
  });

  test('kind names, absent kind is INTERNAL; local endpoint → resource and net.host.*', () => {
    assert.equal(one([{ ...base, kind: 'PRODUCER' }]).kind, SpanKind.Producer);
    assert.equal(one([{ ...base, kind: 'CONSUMER' }]).kind, SpanKind.Consumer);
    const s = one([{ ...base, localEndpoint: { serviceName: 'svc', ipv6: '::1', port: 9 } }]);
    assert.equal(s.kind, SpanKind.Internal);
    assert.equal(s.resource.serviceName, 'svc');
    assert.deepEqual(s.resource.attributes, [
      { key: 'service.name', type: ValueType.String, value: 'svc' },
    ]);
    assert.equal(attr(s, 'net.host.ip'), '::1');
    assert.equal(attr(s, 'net.host.port'), 9);
    assert.equal(one([base]).resource.serviceName, UNKNOWN_SERVICE);
  });

  test('spans of one request share resource and scope objects per service and scope', () => {
    const r = decodeZipkinJsonV2([
      { ...base, localEndpoint: { serviceName: 'a' } },
      { ...base, id: 'c'.repeat(16), localEndpoint: { serviceName: 'a' } },
      { ...base, id: 'd'.repeat(16), localEndpoint: { serviceName: 'b' } },
    ]);
    assert.equal(r.spans[0].resource, r.spans[1].resource);
    assert.notEqual(r.spans[0].resource, r.spans[2].resource);
    assert.equal(r.spans[0].scope, r.spans[2].scope);
  });

  test('status: error tag, otel.status_code and otel.status_description', () => {
    const err = one([{ ...base, tags: { error: 'boom' } }]);
    assert.equal(err.statusCode, StatusCode.Error);
    assert.equal(err.statusMessage, 'boom');
    assert.deepEqual(err.attributes, []);
    const errTrue = one([{ ...base, tags: { error: 'true' } }]);
    assert.equal(errTrue.statusCode, StatusCode.Error);
    assert.equal(errTrue.statusMessage, '');
    const otel = one([
      {
        ...base,
        tags: { 'otel.status_code': 'ERROR', 'otel.status_description': 'x', error: 'y' },
      },
    ]);
    assert.equal(otel.statusCode, StatusCode.Error);
    assert.equal(otel.statusMessage, 'x');
    assert.deepEqual(otel.attributes, []);
    const ok = one([{ ...base, tags: { 'otel.status_code': 'OK' } }]);
    assert.equal(ok.statusCode, StatusCode.Ok);
    const unknown = one([{ ...base, tags: { 'otel.status_code': 'MAYBE' } }]);
    assert.equal(unknown.statusCode, StatusCode.Unset);
    assert.equal(attr(unknown, 'otel.status_code'), 'MAYBE');
  });

  test('otel.scope.* and otel.library.* → scope; dropped counts; remote endpoint → peer attributes', () => {
    const s = one([
      {
        ...base,
        kind: 'CLIENT',
        remoteEndpoint: { serviceName: 'db', ipv4: '10.0.0.9', port: 5432 },
        tags: {
          'otel.library.name': 'lib',
          'otel.scope.version': '3',
          'otel.dropped_attributes_count': '2',
          'otel.dropped_events_count': '1',
        },
      },
    ]);
    assert.equal(s.scope.name, 'lib');
    assert.equal(s.scope.version, '3');
    assert.equal(s.droppedAttributesCount, 2);
    assert.equal(s.droppedEventsCount, 1);
    assert.equal(attr(s, 'peer.service'), 'db');
    assert.equal(attr(s, 'net.peer.ip'), '10.0.0.9');
    assert.equal(attr(s, 'net.peer.port'), 5432);
  });

  test('annotations → events; a span without timestamp takes its first annotation', () => {
    const s = one([
      {
        traceId: base.traceId,
        id: base.id,
        annotations: [
          { timestamp: T0 + 7, value: 'b' },
          { timestamp: T0 + 3, value: 'a' },
        ],
      },
    ]);
    assert.equal(s.startTime, T0 + 3);
    assert.deepEqual(
      s.events.map((e) => [e.time, e.name]),
      [
        [T0 + 7, 'b'],
        [T0 + 3, 'a'],
      ],
    );
  });

  test('debug → flags 3; shared SERVER span → own id, client as parent, zipkin.shared', () => {
    assert.equal(one([{ ...base, debug: true }]).flags, 3);
    assert.equal(one([base]).flags, 1);
    const s = one([{ ...base, kind: 'SERVER', shared: true, parentId: 'c'.repeat(16) }]);
    assert.equal(s.spanId, '3' + 'b'.repeat(15));
    assert.equal(s.parentSpanId, 'b'.repeat(16));
    assert.equal(attr(s, 'zipkin.shared'), true);
    assert.equal(one([{ ...base, kind: 'CLIENT', shared: true }]).spanId, 'b'.repeat(16));
  });

  test('bad spans are counted with a reason, the others kept', () => {
    const r = decodeZipkinJsonV2([
      { ...base, traceId: 'xyz' },
      { ...base, parentId: '123456789012345678' },
      { traceId: base.traceId, id: base.id },
      base,
    ]);
    assert.equal(r.spans.length, 1);
    assert.equal(r.rejectedSpans, 3);
    assert.match(r.errorMessage, /^3 spans rejected: span 0 has trace id "xyz"/);
  });

  test('an all-zero trace id or span id refuses the request (400) saying what to send', () => {
    const zeroTrace = { ...base, traceId: '0'.repeat(32) };
    const zeroSpan = { ...base, id: '0'.repeat(16) };
    const isZeroId = (field: string) => (err: unknown) =>
      err instanceof ZeroIdError &&
      err.statusCode === 400 &&
      err.message.includes(`span 1 has an all-zero ${field}`) &&
      /send random, non-zero ids/.test(err.message);
    assert.throws(() => decodeZipkinJsonV2([base, zeroTrace]), isZeroId('traceId'));
    assert.throws(() => decodeZipkinJsonV2([base, zeroSpan]), isZeroId('id'));
    assert.throws(() => decodeZipkinJsonV1([base, zeroSpan]), isZeroId('id'));
  });

  test('an all-zero id in protobuf and thrift refuses the request too', async () => {
    const [span] = sampleZipkinV2Spans(T0);
    const proto = await encodeZipkinProtoReference([span, { ...span, traceId: '0'.repeat(16) }]);
    assert.throws(() => decodeZipkinProto(proto), ZeroIdError);
    assert.throws(() => decodeZipkinThrift(v1ThriftPayload('0'.repeat(16), T0)), ZeroIdError);
  });

  test('times past 2255 and negative ones are rejected per span, counted as times', async () => {
    const late = 2 ** 53;
    const r = decodeZipkinJsonV2([{ ...base, timestamp: T0, duration: late - T0 }, base]);
    assert.equal(r.spans.length, 1);
    assert.equal(r.rejectedSpans, 1);
    assert.equal(r.invalidTimeSpans, 1);
    assert.match(r.errorMessage, /span 0 has duration \d+ µs, ending after 2255/);
    // JSON numbers past 2^53 are not exact: the body is refused (as before).
    assert.throws(() => decodeZipkinJsonV2([{ ...base, timestamp: late }]), InvalidPayloadError);
    const [span] = sampleZipkinV2Spans(T0);
    const proto = decodeZipkinProto(
      await encodeZipkinProtoReference([{ ...span, timestamp: late }]),
    );
    assert.equal(proto.invalidTimeSpans, 1);
    assert.match(proto.errorMessage, /after 2255/);
    const thrift = decodeZipkinThrift(v1ThriftPayload('a'.repeat(16), -T0));
    assert.equal(thrift.spans.length, 0);
    assert.ok((thrift.invalidTimeSpans ?? 0) >= 1, thrift.errorMessage);
    assert.match(thrift.errorMessage, /before 1970/);
  });

  test('wrong JSON types are InvalidPayloadError naming the field', () => {
    assert.throws(() => decodeZipkinJsonV2({}), /request body: expected a JSON array/);
    assert.throws(
      () => decodeZipkinJsonV2([{ ...base, timestamp: 'soon' }]),
      (err: unknown) =>
        err instanceof InvalidPayloadError && /spans\[0\]\.timestamp/.test(err.message),
    );
    assert.throws(
      () => decodeZipkinJsonV2([{ ...base, tags: { a: { b: 1 } } }]),
      /spans\[0\]\.tags\.a/,
    );
    assert.throws(() => decodeZipkinJsonV2([{ ...base, localEndpoint: [] }]), /localEndpoint/);
    assert.throws(
      () =>
        decodeZipkinJsonV1([
          { ...base, binaryAnnotations: [{ key: 'k', value: 'x', type: 'I32' }] },
        ]),
      /binaryAnnotations\[0\]\.value/,
    );
  });
});

describe('Zipkin decoders agree', () => {
  test('protobuf (encoded by protobufjs) decodes to the same spans as JSON v2', async () => {
    const spans = sampleZipkinV2Spans(T0);
    const fromJson = decodeZipkinJsonV2(JSON.parse(JSON.stringify(spans)));
    const fromProto = decodeZipkinProto(await encodeZipkinProtoReference(spans));
    assert.equal(fromProto.rejectedSpans, 0, fromProto.errorMessage);
    assert.deepEqual(fromProto.spans, fromJson.spans);
  });

  test('protobuf: unknown fields skipped, truncation is InvalidPayloadError', async () => {
    const body = await encodeZipkinProtoReference(sampleZipkinV2Spans(T0).slice(0, 1));
    const withUnknown = new Uint8Array([...body, 0xf8, 0x01, 0x05]); // field 31 varint
    assert.equal(decodeZipkinProto(withUnknown).spans.length, 1);
    assert.throws(() => decodeZipkinProto(body.subarray(0, body.length - 3)), /Zipkin protobuf/);
  });

  test('thrift v1 and JSON v1 give the same spans', () => {
    const fromJson = decodeZipkinJsonV1(JSON.parse(v1JsonPayload('1111111111111111', T0)));
    const fromThrift = decodeZipkinThrift(v1ThriftPayload('1111111111111111', T0));
    assert.equal(fromThrift.spans.length, 2);
    assert.deepEqual(fromThrift.spans, fromJson.spans);
  });

  test('read back as Zipkin v2 JSON: what was sent', () => {
    const spans = sampleZipkinV2Spans(T0);
    const decoded = decodeZipkinJsonV2(JSON.parse(JSON.stringify(spans)));
    const back = encodeZipkinTrace(decoded.spans);
    const key = (s: ZipkinSpan) => `${s.timestamp}`;
    assert.deepEqual(
      [...back].sort((a, b) => key(a).localeCompare(key(b))),
      [...spans].sort((a, b) => key(a).localeCompare(key(b))),
    );
  });
});
