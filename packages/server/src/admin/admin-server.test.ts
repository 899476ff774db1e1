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

  test('/metrics answers OpenMetrics when Prometheus asks for it, and plain text after', async () => {
    admin.addExposition((format) =>
      format === 'openmetrics'
        ? '# HELP extra_calls Extra.\n# TYPE extra_calls counter\nextra_calls_total 3 # {trace_id="ab"} 1 1.5\n'
        : '# HELP extra_calls_total Extra.\n# TYPE extra_calls_total counter\nextra_calls_total 3\n',
    );
    const accept =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    // Two scrapes in different formats at once must not mix their formats.
    const [om, text] = await Promise.all([
      fetch(`${base}/metrics`, { headers: { accept } }),
      fetch(`${base}/metrics`),
    ]);
    assert.equal(
      om.headers.get('content-type'),
      'application/openmetrics-text; version=1.0.0; charset=utf-8',
    );
    const omText = await om.text();
    assert.match(omText, /^# TYPE skein_spans_received counter$/m);
    assert.match(omText, /^skein_spans_received_total\{protocol="otlp_http"\} 5$/m);
    assert.match(
      omText,
      /^# TYPE extra_calls counter\nextra_calls_total 3 # \{trace_id="ab"\} 1 1\.5$/m,
    );
    assert.ok(omText.endsWith('\n# EOF\n'), 'one # EOF at the very end');
    assert.equal(omText.split('# EOF').length, 2);

    assert.equal(text.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const plain = await text.text();
    assert.match(plain, /^# TYPE skein_spans_received_total counter$/m);
    assert.match(plain, /^skein_spans_received_total\{protocol="otlp_http"\} 5$/m);
    assert.match(plain, /^extra_calls_total 3$/m);
    assert.doesNotMatch(plain, /# EOF/);

    // An OpenMetrics scrape leaves the registry as it was for the next plain one.
    const again = await (await fetch(`${base}/metrics`)).text();
    assert.match(again, /^# TYPE skein_spans_received_total counter$/m);
    assert.match(again, /^process_cpu_user_seconds_total /m);
    assert.match(again, /^skein_write_batch_duration_seconds_bucket\{le="\+Inf"\} 0$/m);
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
