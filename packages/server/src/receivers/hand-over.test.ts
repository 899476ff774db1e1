import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import type { Span } from '../model/span.ts';
import type { SpanConsumer } from '../pipeline/span-consumer.ts';
import { startIngestHarness } from '../pipeline/test-support/ingest-harness.ts';
import type { IngestHarness } from '../pipeline/test-support/ingest-harness.ts';
import { handOver } from './hand-over.ts';
import { OtlpGrpcReceiver } from './otlp/otlp-grpc-receiver.ts';
import { OtlpHttpReceiver } from './otlp/otlp-http-receiver.ts';
import { loadOtlpRoot } from './otlp/test-support/reference-otlp.ts';
import type { Receiver } from './receiver.ts';
import { rawRequest } from './test-support/raw-http.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * A consumer that takes every batch and holds its acknowledgement (the durable intake
 * syncing) until `release`, keeping only a weak reference to the spans it was handed.
 */
class HeldConsumer implements SpanConsumer {
  handed: WeakRef<Span[]> | undefined;
  #release: (() => void) | undefined;
  #taken: (() => void) | undefined;
  readonly taken = new Promise<void>((resolve) => (this.#taken = resolve));

  consume(spans: Span[]): Promise<void> {
    this.handed = new WeakRef(spans);
    this.#taken!();
    return new Promise((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#release!();
  }
}

/**
 * Collects until the spans handed over are gone. Each pass collects in a job of its own:
 * `deref()` keeps its target alive until the job that called it ends.
 */
async function collected(ref: WeakRef<Span[]>): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    if (ref.deref() === undefined) return true;
  }
  return false;
}

const root = loadOtlpRoot();
const ExportRequest = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);

function exportRequest(count: number): Buffer {
  const traceId = Buffer.from('00000000000000000000000000000abc', 'hex');
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId,
    spanId: Buffer.from((i + 1).toString(16).padStart(16, '0'), 'hex'),
    name: `span ${i}`,
    kind: 2,
    startTimeUnixNano: `${Date.now()}000000`,
    endTimeUnixNano: `${Date.now() + 1}000000`,
  }));
  const message = ExportRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'held' } }] },
        scopeSpans: [{ scope: { name: 'held' }, spans }],
      },
    ],
  });
  return Buffer.from(ExportRequest.encode(message).finish());
}

describe('receivers keep no span of a request while it waits to be acknowledged', () => {
  let harness: IngestHarness;
  before(async () => {
    harness = await startIngestHarness();
  });
  after(() => harness.close());

  async function start<R extends Receiver>(
    Receiver: new (...args: ConstructorParameters<typeof OtlpHttpReceiver>) => R,
    consumer: SpanConsumer,
  ): Promise<{ receiver: R; port: number }> {
    const receiver = new Receiver(harness.config, consumer, harness.metrics, harness.logger);
    const { port } = await receiver.start();
    return { receiver, port };
  }

  test('OTLP/HTTP: the decoded spans are collectable before the answer; the answer is 200', async () => {
    const consumer = new HeldConsumer();
    const { receiver, port } = await start(OtlpHttpReceiver, consumer);
    try {
      const answer = rawRequest(
        port,
        { path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' } },
        exportRequest(200),
      );
      await consumer.taken;
      assert.ok(await collected(consumer.handed!), 'the spans outlived the hand-over');
      consumer.release();
      assert.equal((await answer).status, 200);
    } finally {
      await receiver.stop();
    }
  });

  test('OTLP/gRPC: the same, and the call succeeds once acknowledged', async () => {
    const consumer = new HeldConsumer();
    const { receiver, port } = await start(OtlpGrpcReceiver, consumer);
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const answer = new Promise<ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
          (b: Buffer) => b,
          (b: Buffer) => b,
          exportRequest(200),
          new Metadata(),
          (error) => resolve(error),
        ),
      );
      await consumer.taken;
      assert.ok(await collected(consumer.handed!), 'the spans outlived the hand-over');
      consumer.release();
      assert.equal(await answer, null);
    } finally {
      client.close();
      await receiver.stop();
    }
  });
});

describe('handOver', () => {
  test('a refusal thrown by consume comes back as a rejection', async () => {
    const refusing: SpanConsumer = {
      consume() {
        throw new Error('queue full');
      },
    };
    await assert.rejects(handOver(refusing, [], 0, 'test', '', 'answer'), /queue full/);
  });

  test('settles with the answer once the consumer acknowledges', async () => {
    const consumer = new HeldConsumer();
    let settled = false;
    const done = handOver(consumer, [], 0, 'test', '', 'answer').then((a) => {
      settled = true;
      return a;
    });
    await consumer.taken;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    consumer.release();
    assert.equal(await done, 'answer');
  });
});
