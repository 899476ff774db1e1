/**
 * The NATS JetStream buffer's own cost, as a functional figure: spans/s from a
 * collector's publisher (split by partition, span-batch encoded, every JetStream
 * ack awaited) through a real nats-server to 1 or 2 ingesters (leases, fetch,
 * decode, a real Pipeline with the default batching) into a writer that only counts
 * — so storage is not in the figure (ClickHouse's write rate is in its own section).
 *
 *   node --import tsx bench/nats-buffer.ts [--spans 200000] [--batch 100] [--concurrency 8]
 *
 * Prints publish rate (acknowledged by JetStream), end-to-end rate (acknowledged
 * after the "write"), the ack delay and the most lag seen, per ingester count.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  BufferMetrics,
  NatsBuffer,
  NatsIngester,
  NatsSpanPublisher,
  PartitionLeases,
} from '../packages/server/src/buffer/nats/index.ts';
import { defaultConfig } from '../packages/server/src/config/config.ts';
import { DEFAULT_TENANT, type Span } from '../packages/server/src/model/span.ts';
import { IngestMetrics } from '../packages/server/src/pipeline/ingest-metrics.ts';
import { Pipeline } from '../packages/server/src/pipeline/pipeline.ts';
import { decodeOtlpProto } from '../packages/server/src/receivers/otlp/otlp-proto-decoder.ts';
import { startNatsServer } from '../packages/server/test/support/nats-server.ts';
import { buildOtlpRequest } from './payloads.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '8' },
  },
});
const total = Number(args.spans);
const batchSize = Number(args.batch);
const concurrency = Number(args.concurrency);
const logger = pino({ level: 'silent' });

let written = 0;
const counting = {
  async write(spans: readonly Span[]): Promise<void> {
    written += spans.length;
  },
};

const rows: Record<string, string>[] = [];
for (const ingesters of [1, 2]) {
  const nats = await startNatsServer();
  const config = {
    ...structuredClone(defaultConfig.buffer.nats),
    urls: [nats.url],
    stream: `bench-${ingesters}`,
    partitions: 16,
    leaseTtlMs: 5000,
  };
  const stops: (() => Promise<void>)[] = [];
  const leases: PartitionLeases[] = [];
  const metricsOf: BufferMetrics[] = [];
  for (let i = 0; i < ingesters; i++) {
    const registry = new Registry();
    const metrics = new BufferMetrics(registry);
    metricsOf.push(metrics);
    const buffer = new NatsBuffer({ config, name: `bench ingester ${i}`, metrics, logger });
    buffer.start();
    const ingester = new NatsIngester({ buffer, metrics, logger });
    const pipeline = new Pipeline({
      writer: counting,
      config: defaultConfig.pipeline,
      metrics: new IngestMetrics(registry),
      logger,
      journal: ingester,
    });
    ingester.target = pipeline;
    const lease = new PartitionLeases({
      buffer,
      id: `bench-${i}`,
      owner: ingester,
      metrics,
      logger,
    });
    lease.start();
    leases.push(lease);
    stops.push(async () => {
      await lease.stop();
      await pipeline.stop();
      await buffer.close();
    });
  }
  const pubRegistry = new Registry();
  const pubMetrics = new BufferMetrics(pubRegistry);
  const pubBuffer = new NatsBuffer({
    config,
    name: 'bench collector',
    metrics: pubMetrics,
    logger,
  });
  pubBuffer.start();
  await pubBuffer.whenReady();
  const publisher = new NatsSpanPublisher(pubBuffer, pubMetrics, new IngestMetrics(pubRegistry));
  while (leases.reduce((n, l) => n + l.held.length, 0) < config.partitions) {
    await new Promise((r) => setTimeout(r, 100));
  }

  // Fresh spans per request (ids from the seed), decoded once up front.
  const requests: Span[][] = [];
  for (let i = 0; i * batchSize < total; i++) {
    requests.push(decodeOtlpProto(buildOtlpRequest({ spans: batchSize, seed: i + 1 })).spans);
  }
  written = 0;
  let maxLag = 0;
  const lagTimer = setInterval(() => {
    void Promise.all(metricsOf.map((m) => m.consumerLag.get())).then((all) => {
      const lag = all.flatMap((m) => m.values).reduce((n, v) => n + v.value, 0);
      maxLag = Math.max(maxLag, lag);
    });
  }, 100);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests.length) {
        const spans = requests[next++];
        await publisher.consume(spans, spans.length * 500, 'bench', DEFAULT_TENANT);
      }
    }),
  );
  const published = performance.now() - t0;
  const sent = requests.reduce((n, r) => n + r.length, 0);
  while (written < sent) await new Promise((r) => setTimeout(r, 20));
  const end = performance.now() - t0;
  clearInterval(lagTimer);
  const delays = await Promise.all(metricsOf.map((m) => m.ackDelay.get()));
  const sum = delays
    .flatMap((d) => d.values.filter((v) => v.metricName?.endsWith('_sum')))
    .reduce((n, v) => n + v.value, 0);
  const count = delays
    .flatMap((d) => d.values.filter((v) => v.metricName?.endsWith('_count')))
    .reduce((n, v) => n + v.value, 0);
  rows.push({
    ingesters: String(ingesters),
    spans: sent.toLocaleString('en-US'),
    'published spans/s': Math.round((sent * 1000) / published).toLocaleString('en-US'),
    'written spans/s': Math.round((sent * 1000) / end).toLocaleString('en-US'),
    'mean ack delay ms': ((sum / Math.max(count, 1)) * 1000).toFixed(0),
    'max lag (batches)': String(maxLag),
  });
  for (const stop of stops) await stop();
  await pubBuffer.close();
  await nats.stop();
}
console.table(rows);
