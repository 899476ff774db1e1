import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import { JaegerGrpcReceiver } from './jaeger-grpc-receiver.ts';
import { readBackApp } from './test-support/jaeger-client-trace.ts';
import {
  SAMPLE_SECONDS,
  collectorServiceClient,
  samplePostSpansRequest,
} from './test-support/jaeger-api-v2.ts';
import type { CollectorServiceClient } from './test-support/jaeger-api-v2.ts';

const TRACE_ID = '0af7651916cd43dd8494a2b3c4d5e6ff';

function postSpans(client: CollectorServiceClient, request: Record<string, unknown>) {
  return new Promise<unknown>((resolve, reject) => {
    client.PostSpans(request, (err, response) => (err ? reject(err) : resolve(response)));
  });
}

/** A raw unary call with any bytes as the request (for malformed messages). */
function postRaw(address: string, body: Buffer): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/jaeger.api_v2.CollectorService/PostSpans',
      (b: Buffer) => b,
      (b: Buffer) => b,
      body,
      (err) => {
        client.close();
        resolve(err);
      },
    );
  });
}

describe('Jaeger gRPC receiver', () => {
  let harness: IngestHarness;
  let receiver: JaegerGrpcReceiver;
  let address: string;
  let client: CollectorServiceClient;
  let app: FastifyInstance;

  before(async () => {
    let port: number;
    ({ harness, receiver, port } = await startReceiver(JaegerGrpcReceiver));
    address = `127.0.0.1:${port}`;
    client = collectorServiceClient(address);
    app = await readBackApp(harness.storage);
  });

  after(async () => {
    client.close();
    await app.close();
    await receiver.stop();
    await harness.close();
  });

  test('PostSpans from a client generated from the api_v2 protos reads back field by field', async () => {
    const response = await postSpans(client, samplePostSpansRequest());
    assert.deepEqual(response, {});
    await harness.written.atLeast(2);

    const res = await app.inject({ method: 'GET', url: `/api/traces/${TRACE_ID}` });
    assert.equal(res.statusCode, 200);
    const [trace] = res.json().data;
    const root = trace.spans.find((s: { spanID: string }) => s.spanID === '1111111111111111');
    const child = trace.spans.find((s: { spanID: string }) => s.spanID === '2222222222222222');
    const { processID: rootProcess, ...rootRest } = root;
    assert.deepEqual(rootRest, {
      traceID: TRACE_ID,
      spanID: '1111111111111111',
      flags: 1,
      operationName: 'GET /cart',
      references: [],
      startTime: SAMPLE_SECONDS * 1_000_000 + 123_456,
      duration: 1500,
      tags: [
        { key: 'otel.scope.name', type: 'string', value: 'cart-lib' },
        { key: 'ratio', type: 'float64', value: 0.25 },
        { key: 'cache.hit', type: 'bool', value: true },
        { key: 'big', type: 'int64', value: '-9007199254740993' },
        { key: 'blob', type: 'binary', value: 'AQID' },
        { key: 'span.kind', type: 'string', value: 'server' },
      ],
      logs: [
        {
          timestamp: SAMPLE_SECONDS * 1_000_000 + 200_000,
          fields: [
            { key: 'event', type: 'string', value: 'retry' },
            { key: 'attempt', type: 'int64', value: 2 },
          ],
        },
      ],
      warnings: null,
    });
    assert.deepEqual(trace.processes[rootProcess], {
      serviceName: 'checkout',
      tags: [
        { key: 'hostname', type: 'string', value: 'host-1' },
        { key: 'pid', type: 'int64', value: 4242 },
      ],
    });
    assert.deepEqual(child.references, [
      { refType: 'CHILD_OF', traceID: TRACE_ID, spanID: '1111111111111111' },
      { refType: 'FOLLOWS_FROM', traceID: TRACE_ID, spanID: '3333333333333333' },
    ]);
    assert.deepEqual(child.tags, [
      { key: 'span.kind', type: 'string', value: 'client' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'error', type: 'bool', value: true },
    ]);
    assert.equal(trace.processes[child.processID].serviceName, 'postgres');

    const v3 = await app.inject({ method: 'GET', url: `/api/v3/traces/${TRACE_ID}` });
    assert.equal(v3.statusCode, 200);
    const spans = v3
      .json()
      .result.resourceSpans.flatMap((r: { scopeSpans: Array<{ spans: unknown[] }> }) =>
        r.scopeSpans.flatMap((s) => s.spans),
      );
    const v3Child = spans.find((s: { spanId: string }) => s.spanId === '2222222222222222');
    assert.equal(v3Child.kind, 3);
    assert.equal(v3Child.parentSpanId, '1111111111111111');
    assert.equal(v3Child.status.code, 2);
    assert.equal(v3Child.startTimeUnixNano, String((SAMPLE_SECONDS * 1_000_000 + 300_000) * 1000));
    assert.equal(v3Child.endTimeUnixNano, String((SAMPLE_SECONDS * 1_000_000 + 1_300_000) * 1000));
  });

  test('a malformed message gets INVALID_ARGUMENT with a message', async () => {
    const err = await postRaw(address, Buffer.from([0x0a, 0x7f, 0x01]));
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err?.details ?? '', /cannot decode Jaeger api_v2 protobuf payload/);
  });
});

describe('Jaeger gRPC receiver when the pipeline is full', () => {
  test('answers RESOURCE_EXHAUSTED', async () => {
    const { port, close } = await startReceiver(JaegerGrpcReceiver, (c) => {
      c.pipeline.queue.maxSpans = 1;
    });
    const client = collectorServiceClient(`127.0.0.1:${port}`);
    try {
      await assert.rejects(
        postSpans(client, samplePostSpansRequest()),
        (err: grpc.ServiceError) => {
          assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
          assert.match(err.details, /ingest queue is full/);
          return true;
        },
      );
    } finally {
      client.close();
      await close();
    }
  });
});
