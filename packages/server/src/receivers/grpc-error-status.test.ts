import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { BufferUnavailableError, InvalidPayloadError } from '../errors.ts';
import { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { grpcErrorStatus } from './grpc-error-status.ts';
import { loadOtlpRoot } from './otlp/test-support/reference-otlp.ts';

const root = loadOtlpRoot();
const Status = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');
const logger = pino({ level: 'silent' });

describe('grpcErrorStatus', () => {
  test('an unreachable NATS buffer is UNAVAILABLE with a RetryInfo of its Retry-After', () => {
    const metrics = new IngestMetrics(new Registry());
    const err = new BufferUnavailableError(['disconnected'], { retryAfterSeconds: 7 });
    const answer = grpcErrorStatus(err, 'otlp-grpc', metrics, logger);
    assert.equal(answer.code, 14);
    const [bin] = answer.metadata?.get('grpc-status-details-bin') ?? [];
    assert.ok(bin instanceof Buffer, 'grpc-status-details-bin is set');
    const status = Status.toObject(Status.decode(bin), { longs: Number }) as {
      code: number;
      details: Array<{ typeUrl: string; value: Uint8Array }>;
    };
    assert.equal(status.code, 14);
    assert.equal(status.details[0].typeUrl, 'type.googleapis.com/google.rpc.RetryInfo');
    const retry = RetryInfo.toObject(RetryInfo.decode(status.details[0].value), {
      longs: Number,
    }) as { retryDelay: { seconds: number } };
    assert.equal(retry.retryDelay.seconds, 7);
  });

  test('a bad request carries no RetryInfo', () => {
    const metrics = new IngestMetrics(new Registry());
    const answer = grpcErrorStatus(
      new InvalidPayloadError(['x', 'y']),
      'otlp-grpc',
      metrics,
      logger,
    );
    assert.equal(answer.code, 3);
    assert.deepEqual(answer.metadata?.get('grpc-status-details-bin'), []);
  });
});
