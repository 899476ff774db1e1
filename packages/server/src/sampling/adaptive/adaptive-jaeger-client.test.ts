import assert from 'node:assert/strict';
import { test } from 'node:test';
import jaeger from 'jaeger-client';
import httpSenderModule from 'jaeger-client/dist/src/reporters/http_sender.js';
import probabilisticSamplerModule from 'jaeger-client/dist/src/samplers/probabilistic_sampler.js';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { defaultConfig } from '../../config/config.ts';
import type { Span } from '../../model/span.ts';
import { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import { JaegerThriftHttpReceiver } from '../../receivers/jaeger/jaeger-thrift-http-receiver.ts';
import { DuckDbStorage } from '../../storage/duckdb/duckdb-storage.ts';
import { AdaptiveSampling } from './adaptive-sampling.ts';
import { compileAdaptiveSection } from './adaptive-settings.ts';

const RATE = 0.05;
const REQUESTS = 2000;
const INTERVAL_S = 10;

test('a real jaeger-client (probabilistic 0.05, HTTP sender → Jaeger thrift receiver): the traffic estimate is its sampled roots × 20 over the interval, children are not counted, and the probability follows', async () => {
  const config = structuredClone(defaultConfig);
  config.receivers.jaegerThriftHttp = { enabled: true, host: '127.0.0.1', port: 0 };
  const storage = new DuckDbStorage({ path: ':memory:' });
  await storage.open();
  let now = 1_800_000_000_000;
  const sampling = new AdaptiveSampling({
    store: storage,
    settings: compileAdaptiveSection({
      ...config.sampling.adaptive,
      enabled: true,
      calculationIntervalSeconds: INTERVAL_S,
      targetSamplesPerSecond: 2,
    }),
    now: () => now,
    timer: false,
  });
  await sampling.start();

  // What the receiver accepts goes to adaptive sampling, as the pipeline will hand it.
  let received = 0;
  let waiting: { count: number; resolve: () => void } | undefined;
  const consumer = {
    consume(spans: Span[]) {
      sampling.observe(spans);
      received += spans.length;
      if (waiting !== undefined && received >= waiting.count) waiting.resolve();
      return Promise.resolve();
    },
  };
  const logger = pino({ level: 'silent' });
  const receiver = new JaegerThriftHttpReceiver(
    config,
    consumer,
    new IngestMetrics(new Registry()),
    logger,
  );
  const { port } = await receiver.start();
  const reporter = new jaeger.RemoteReporter(
    new httpSenderModule.default({
      endpoint: `http://127.0.0.1:${port}/api/traces`,
      logger: { info: () => {}, error: (m: string) => assert.fail(m) },
    }),
    { bufferFlushInterval: 50, logger: { info: () => {}, error: (m: string) => assert.fail(m) } },
  );
  const tracer = new jaeger.Tracer('shop', reporter, new probabilisticSamplerModule.default(RATE));
  try {
    let sampledRoots = 0;
    for (let i = 0; i < REQUESTS; i++) {
      const root = tracer.startSpan('GET /cart', { tags: { 'span.kind': 'server' } });
      const child = tracer.startSpan('SELECT cart', { childOf: root.context() });
      child.finish();
      root.finish();
      if ((root.context().flags & 1) === 1) sampledRoots++;
    }
    assert.ok(
      sampledRoots > 50 && sampledRoots < 150,
      `${sampledRoots} of ${REQUESTS} sampled at ${RATE}`,
    );
    await new Promise<void>((resolve) => {
      waiting = { count: 2 * sampledRoots, resolve };
      if (received >= waiting.count) resolve();
    });
    assert.equal(received, 2 * sampledRoots, 'the client sent only sampled traces (root + child)');

    now += INTERVAL_S * 1000;
    assert.equal(await sampling.tick(), 'calculated');
    const [rate] = sampling.source.operationRates('shop');
    assert.equal(rate.operation, 'GET /cart');
    assert.equal(
      sampling.source.operationRates('shop').length,
      1,
      'the child operation is not a root',
    );
    // Each sampled root reported sampler.param=0.05: it stands for 20 requests.
    assert.ok(
      Math.abs(rate.tracesPerSecond - (sampledRoots * 20) / INTERVAL_S) < 1e-9,
      `${rate.tracesPerSecond}`,
    );
    assert.ok(
      Math.abs(rate.tracesPerSecond - REQUESTS / INTERVAL_S) / (REQUESTS / INTERVAL_S) < 0.35,
    );
    // 2 traces/s wanted out of ~200 requests/s: from 0.001 the probability doubles (capped).
    assert.equal(rate.probability, 0.002);
  } finally {
    await new Promise<void>((resolve) => tracer.close(() => resolve()));
    await receiver.stop();
    await sampling.stop();
    await storage.close();
  }
});
