import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, credentials, Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import { metricValue } from '../../pipeline/test-support/metric-value.ts';
import {
  assertStoredTrace,
  exportSpans,
  makeOtelTrace,
} from '../../pipeline/test-support/otel-test-trace.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import { OtlpGrpcReceiver } from './otlp-grpc-receiver.ts';
import { loadOtlpRoot } from './test-support/reference-otlp.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';

type Compression = NonNullable<ConstructorParameters<typeof GrpcExporter>[0]>['compression'];

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const MAX_BODY = 64 * 1024;

// Reference encoder/decoder for raw requests: protobufjs over the published schema.
const root = loadOtlpRoot();
const ExportRequest = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
const ExportResponse = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse',
);
const RpcStatus = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** An encoded ExportTraceServiceRequest with `count` spans of one trace. */
function exportRequest(
  count: number,
  trace: number,
  options: { badTraceIdAt?: number; name?: string } = {},
): Buffer {
  const traceId = Buffer.from(trace.toString(16).padStart(32, '0'), 'hex');
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: i === options.badTraceIdAt ? traceId.subarray(0, 8) : traceId,
    spanId: Buffer.from((i + 1).toString(16).padStart(16, '0'), 'hex'),
    name: options.name ?? 'raw span',
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n.toString(),
    endTimeUnixNano: 1_700_000_000_001_000_000n.toString(),
  }));
  const message = ExportRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-grpc' } }] },
        scopeSpans: [{ scope: { name: 'raw' }, spans }],
      },
    ],
  });
  return Buffer.from(ExportRequest.encode(message).finish());
}

function traceIdHex(trace: number): string {
  return trace.toString(16).padStart(32, '0');
}

interface RawResult {
  error: ServiceError | null;
  response?: Buffer;
}

/** One Export call with a plain grpc-js client (no retries), optionally gzip-compressed. */
function rawExport(port: number, body: Buffer, gzip = false): Promise<RawResult> {
  const client = new Client(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
    gzip ? { 'grpc.default_compression_algorithm': 2 } : {},
  );
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      EXPORT_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      new Metadata(),
      (error, response) => {
        client.close();
        resolve({ error, response });
      },
    );
  });
}

describe('OtlpGrpcReceiver', () => {
  let harness: IngestHarness;
  let receiver: OtlpGrpcReceiver;
  let port = 0;

  before(async () => {
    ({ harness, receiver, port } = await startReceiver(OtlpGrpcReceiver, (c) => {
      c.receivers.maxBodyBytes = MAX_BODY;
    }));
    assert.equal(receiver.listening, true);
  });
  after(async () => {
    await receiver.stop();
    await harness.close();
  });

  for (const gzip of [false, true]) {
    test(`stores every field of spans sent by the OTel JS gRPC exporter${gzip ? ' with gzip' : ''}`, async () => {
      const service = `grpc-${gzip ? 'gzip' : 'plain'}`;
      const spans = await makeOtelTrace(service);
      const exporter = new GrpcExporter({
        url: `http://127.0.0.1:${port}`,
        ...(gzip ? { compression: 'gzip' as Compression } : {}),
      });
      const before = harness.written.count;
      await exportSpans(exporter, spans);
      await exporter.shutdown();
      await harness.written.atLeast(before + spans.length);
      await assertStoredTrace(harness.storage, spans, service);
    });
  }

  test('answers OK with partial_success for spans the decoder rejected', async () => {
    const before = harness.written.count;
    const result = await rawExport(port, exportRequest(3, 0xd1, { badTraceIdAt: 1 }));
    assert.equal(result.error, null);
    const response = ExportResponse.toObject(ExportResponse.decode(result.response!), {
      longs: Number,
    }) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
    assert.equal(response.partialSuccess.rejectedSpans, 1);
    assert.match(response.partialSuccess.errorMessage, /1 span rejected/);
    await harness.written.atLeast(before + 2);
    assert.equal(
      (await harness.storage.getTrace(DEFAULT_TENANT, traceIdHex(0xd1)))?.spans.length,
      2,
    );
    assert.equal(
      await metricValue(harness.registry, 'skein_spans_refused_total', {
        protocol: 'otlp_grpc',
        reason: 'invalid',
      }),
      1,
    );
  });

  test('an all-accepted call gets an empty ExportTraceServiceResponse', async () => {
    const result = await rawExport(port, exportRequest(2, 0xd2), true);
    assert.equal(result.error, null);
    assert.equal(result.response?.length, 0);
  });

  test('INVALID_ARGUMENT with the decoder message for a malformed body', async () => {
    const { error } = await rawExport(port, Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02]));
    assert.equal(error?.code, status.INVALID_ARGUMENT);
    assert.match(error.details, /cannot decode/);
    assert.ok(
      (await metricValue(harness.registry, 'skein_receiver_requests_refused_total', {
        protocol: 'otlp_grpc',
        reason: 'SKEIN_INVALID_PAYLOAD',
      })) >= 1,
    );
  });

  test('random bytes never crash the receiver: each answer is OK or INVALID_ARGUMENT', async () => {
    let seed = 11;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const codes = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const body = Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)),
      );
      codes.add((await rawExport(port, body)).error?.code ?? status.OK);
    }
    assert.ok(
      [...codes].every((c) => c === status.OK || c === status.INVALID_ARGUMENT),
      `codes: ${[...codes]}`,
    );
    assert.ok(codes.has(status.INVALID_ARGUMENT));
    assert.equal((await rawExport(port, exportRequest(1, 0xd4))).error, null);
  });

  test('RESOURCE_EXHAUSTED for a message over maxBodyBytes, compressed or not', async () => {
    const big = exportRequest(1, 0xd3, { name: 'x'.repeat(MAX_BODY) });
    const plain = await rawExport(port, big);
    assert.equal(plain.error?.code, status.RESOURCE_EXHAUSTED);
    const compressed = await rawExport(port, big, true);
    assert.equal(compressed.error?.code, status.RESOURCE_EXHAUSTED);
    assert.equal(await harness.storage.getTrace(DEFAULT_TENANT, traceIdHex(0xd3)), null);
  });
});

describe('OtlpGrpcReceiver backpressure and shutdown', () => {
  test('RESOURCE_EXHAUSTED with RetryInfo when the queue is full', async () => {
    const { harness, port, close } = await startReceiver(OtlpGrpcReceiver, (c) => {
      c.pipeline.queue.maxSpans = 3;
      c.pipeline.retryAfterSeconds = 6;
    });
    try {
      const { error } = await rawExport(port, exportRequest(5, 0xe1));
      assert.equal(error?.code, status.RESOURCE_EXHAUSTED);
      assert.match(error.details, /ingest queue is full/);
      const [details] = error.metadata.get('grpc-status-details-bin') as Buffer[];
      const rpcStatus = RpcStatus.decode(details) as unknown as {
        code: number;
        details: Array<{ typeUrl: string; value: Uint8Array }>;
      };
      assert.equal(rpcStatus.code, status.RESOURCE_EXHAUSTED);
      assert.equal(rpcStatus.details[0].typeUrl, 'type.googleapis.com/google.rpc.RetryInfo');
      const retryInfo = RetryInfo.toObject(RetryInfo.decode(rpcStatus.details[0].value), {
        longs: Number,
      });
      assert.deepEqual(retryInfo, { retryDelay: { seconds: 6 } });
      assert.equal(
        await metricValue(harness.registry, 'skein_spans_refused_total', {
          protocol: 'otlp_grpc',
          reason: 'queue_full',
        }),
        5,
      );
    } finally {
      await close();
    }
  });

  test('UNAVAILABLE once the pipeline is shutting down', async () => {
    const { harness, port, close } = await startReceiver(OtlpGrpcReceiver);
    try {
      await harness.pipeline.stop();
      const { error } = await rawExport(port, exportRequest(1, 0xe2));
      assert.equal(error?.code, status.UNAVAILABLE);
      assert.match(error.details, /shutting down/);
    } finally {
      await close();
    }
  });

  test('after receiver and pipeline stop, every accepted span is stored', async () => {
    const { harness, receiver, port } = await startReceiver(OtlpGrpcReceiver, (c) => {
      c.pipeline.batch.maxDelayMs = 60_000;
    });
    const traces = [0xf1, 0xf2, 0xf3, 0xf4];
    const results = await Promise.all(traces.map((t) => rawExport(port, exportRequest(25, t))));
    assert.deepEqual(
      results.map((r) => r.error),
      [null, null, null, null],
    );
    assert.equal(harness.written.count, 0, 'nothing is due before stop');
    await receiver.stop();
    assert.equal(receiver.listening, false);
    await harness.pipeline.stop();
    for (const trace of traces) {
      assert.equal(
        (await harness.storage.getTrace(DEFAULT_TENANT, traceIdHex(trace)))?.spans.length,
        25,
      );
    }
    await harness.close();
  });
});
