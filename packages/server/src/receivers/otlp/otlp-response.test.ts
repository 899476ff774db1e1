import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeExportTraceResponseJson,
  encodeExportTraceResponseProto,
  encodeRpcStatusJson,
  encodeRpcStatusProto,
} from './otlp-response.ts';
import { loadOtlpRoot } from './test-support/reference-otlp.ts';

// Reference decoder: protobufjs over the published OTLP schema, plus google.rpc.Status.
const root = loadOtlpRoot();
const ExportResponse = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);
const Status = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

describe('OTLP response encoders', () => {
  test('an all-accepted ExportTraceServiceResponse is empty', () => {
    assert.equal(encodeExportTraceResponseProto(0, '').length, 0);
    assert.equal(encodeExportTraceResponseJson(0, ''), '{}');
  });

  test('partial_success decodes with the reference decoder', () => {
    const message = 'spans[3]: trace id must be 16 bytes (and 299 more like it) ✓';
    const decoded = ExportResponse.toObject(
      ExportResponse.decode(encodeExportTraceResponseProto(300, message)),
      { longs: Number },
    );
    assert.deepEqual(decoded, { partialSuccess: { rejectedSpans: 300, errorMessage: message } });
    assert.deepEqual(JSON.parse(encodeExportTraceResponseJson(300, message)), {
      partialSuccess: { rejectedSpans: '300', errorMessage: message },
    });
  });

  test('google.rpc.Status carries code, message and a RetryInfo detail', () => {
    const decoded = Status.toObject(Status.decode(encodeRpcStatusProto(8, 'queue full', 3)), {
      longs: Number,
    }) as { code: number; message: string; details: Array<{ typeUrl: string; value: Uint8Array }> };
    assert.equal(decoded.code, 8);
    assert.equal(decoded.message, 'queue full');
    assert.equal(decoded.details.length, 1);
    assert.equal(decoded.details[0].typeUrl, 'type.googleapis.com/google.rpc.RetryInfo');
    assert.deepEqual(
      RetryInfo.toObject(RetryInfo.decode(decoded.details[0].value), { longs: Number }),
      { retryDelay: { seconds: 3 } },
    );
    const plain = Status.toObject(Status.decode(encodeRpcStatusProto(3, 'bad body')));
    assert.deepEqual(plain, { code: 3, message: 'bad body' });
    assert.deepEqual(JSON.parse(encodeRpcStatusJson(8, 'queue full', 3)), {
      code: 8,
      message: 'queue full',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }],
    });
  });
});
