import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { AdminServer } from './admin-server.ts';

describe('AdminServer', () => {
  const registry = new Registry();
  const metrics = new IngestMetrics(registry);
  const admin = new AdminServer(
    { enabled: true, host: '127.0.0.1', port: 0 },
    registry,
    pino({ level: 'silent' }),
  );
  let base = '';
  let storageOpen = false;

  before(async () => {
    const { host, port } = await admin.start();
    base = `http://${host}:${port}`;
    admin.addReadinessCheck('storage', () => storageOpen || 'storage is not open yet');
    admin.addReadinessCheck('receivers', async () => true);
  });
  after(() => admin.stop());

  test('/health is 200 while running', async () => {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  test('/ready is 503 until every check passes, naming the failing one', async () => {
    const notReady = await fetch(`${base}/ready`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), {
      status: 'not ready',
      checks: { storage: 'storage is not open yet', receivers: 'ok' },
    });
    storageOpen = true;
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      checks: { storage: 'ok', receivers: 'ok' },
    });
  });

  test('a check that throws makes /ready 503 with its message', async () => {
    admin.addReadinessCheck('flaky', () => {
      throw new Error('boom');
    });
    const res = await fetch(`${base}/ready`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as { checks: Record<string, string> };
    assert.equal(body.checks.flaky, 'check failed: boom');
    admin.addReadinessCheck('flaky', () => true);
  });

  test('/metrics serves the shared registry with the process metrics', async () => {
    metrics.spansReceived.inc({ protocol: 'otlp_http' }, 5);
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/plain/);
    const text = await res.text();
    assert.match(text, /^skein_spans_received_total\{protocol="otlp_http"\} 5$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  });

  test('unknown paths are 404 and other methods 405', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const post = await fetch(`${base}/health`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  test('/health and /ready are 503 once shutting down', async () => {
    admin.markShuttingDown();
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(await health.json(), { status: 'shutting down' });
    const ready = await fetch(`${base}/ready`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { status: string }).status, 'shutting down');
  });
});
