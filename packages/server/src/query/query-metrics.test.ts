import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import type { Histogram } from 'prom-client';
import { DEFAULT_TENANT } from '../model/span.ts';
import { fullFidelitySpan } from '../storage/conformance/test-spans.ts';
import { DuckDbThreadStorage } from '../storage/duckdb-thread/thread-storage.ts';
import { createQueryApp } from './query-app.ts';
import { QueryMetrics, UNMATCHED_ROUTE } from './query-metrics.ts';

/*
 * Query latency on /metrics, over a real socket, against the DuckDB store on its own
 * thread (the default; its methods use private fields, so the timed reader must call
 * them on the store itself).
 */

const TRACE = '0000000000000000000000000000beef';

/** The count of `histogram`'s observations whose labels include `labels`. */
async function count(
  histogram: Histogram<string>,
  labels: Record<string, string>,
): Promise<number> {
  let n = 0;
  for (const v of (await histogram.get()).values) {
    if (!(v.metricName ?? '').endsWith('_count')) continue;
    if (Object.entries(labels).every(([k, x]) => v.labels[k] === x)) n += v.value;
  }
  return n;
}

describe('query metrics: request and read latency', () => {
  const registry = new Registry();
  const metrics = new QueryMetrics(registry);
  const store = new DuckDbThreadStorage({ path: ':memory:' });
  let app: FastifyInstance;
  let base = '';

  before(async () => {
    await store.open();
    await store.write([fullFidelitySpan(TRACE, Date.now() * 1000 - 60_000_000)]);
    const reader = metrics.timed(store);
    app = await createQueryApp({
      reader,
      completeness: reader,
      defaultLimit: 20,
      maxLimit: 100,
      timing: { metrics, port: 'query' },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(typeof address === 'object' && address !== null);
    base = `http://127.0.0.1:${address.port}`;
  });

  after(async () => {
    await app.close();
    await store.close();
  });

  test('each request is counted under its route pattern and status class', async () => {
    assert.equal((await fetch(`${base}/api/traces/${TRACE}`)).status, 200);
    assert.equal((await fetch(`${base}/api/traces/${'1'.repeat(32)}`)).status, 404);
    assert.equal((await fetch(`${base}/api/traces/not-hex`)).status, 400);
    assert.equal((await fetch(`${base}/api/nothing-here`)).status, 404);
    const requests = metrics.requestDuration;
    const route = '/api/traces/:traceID';
    assert.equal(await count(requests, { port: 'query', route, status: '2xx' }), 1);
    assert.equal(await count(requests, { port: 'query', route, status: '4xx' }), 2);
    assert.equal(await count(requests, { route: UNMATCHED_ROUTE, status: '4xx' }), 1);
    // The URL never becomes a label value.
    const text = await registry.getSingleMetricAsString('skein_query_request_duration_seconds');
    assert.doesNotMatch(text, /beef|not-hex|nothing-here/);
  });

  test('each read of the store is counted under its method, with its time', async () => {
    const reads = metrics.readDuration;
    const before = await count(reads, { method: 'getTrace' });
    const services = (await (await fetch(`${base}/api/services`)).json()) as { data: string[] };
    assert.deepEqual(services.data, ['fidelity-service']);
    await fetch(`${base}/api/traces/${TRACE}`);
    assert.equal(await count(reads, { method: 'getTrace' }), before + 1);
    assert.ok((await count(reads, { method: 'getServices' })) >= 1);
    const sum = (await reads.get()).values.find(
      (v) =>
        v.metricName === 'skein_storage_read_duration_seconds_sum' &&
        v.labels.method === 'getTrace',
    );
    assert.ok(sum !== undefined && sum.value > 0, 'the reads took measurable time');
  });

  test('a read that fails is timed too, and the timed reader answers like the store', async () => {
    const reader = metrics.timed(store);
    assert.deepEqual(await reader.getServices(DEFAULT_TENANT), ['fidelity-service']);
    const closed = new DuckDbThreadStorage({ path: ':memory:' });
    const timedClosed = metrics.timed(closed);
    const before = await count(metrics.readDuration, { method: 'getOperations' });
    await assert.rejects(timedClosed.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'x' }));
    assert.equal(await count(metrics.readDuration, { method: 'getOperations' }), before + 1);
  });
});
