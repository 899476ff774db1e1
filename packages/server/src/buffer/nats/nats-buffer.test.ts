/**
 * The NATS JetStream buffer against a real nats-server (started from a config in a
 * temp dir): collectors' publisher → stream → ingesters' partition leases and
 * consumers → a real Pipeline → a writer that records what it was given.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { defaultConfig } from '../../config/config.ts';
import type { BufferConfig } from '../../config/config.ts';
import { BufferUnavailableError, TenantRateLimitedError } from '../../errors.ts';
import { DEFAULT_TENANT, type Span } from '../../model/span.ts';
import { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import { Pipeline } from '../../pipeline/pipeline.ts';
import { metricValue } from '../../pipeline/test-support/metric-value.ts';
import { compileTenantSettings } from '../../pipeline/tenant-limits/tenant-settings.ts';
import { TenantRateLimiter } from '../../pipeline/tenant-limits/tenant-rate-limiter.ts';
import { hexId, makeSpan, testResource } from '../../storage/conformance/test-spans.ts';
import type { SpanWriter } from '../../storage/span-writer.ts';
import { eventually } from '../../../test/e2e/eventually.ts';
import { natsServerInstalled, startNatsServer } from '../../../test/support/nats-server.ts';
import type { NatsTestServer } from '../../../test/support/nats-server.ts';
import {
  BufferMetrics,
  NatsBuffer,
  NatsIngester,
  NatsSpanPublisher,
  PartitionLeases,
  partitionOf,
} from './index.ts';

const logger = pino({ level: 'silent' });

/** The tenant each span id was written under. */
const writtenTenants = new Map<string, string>();

/** Records every span id written, with which ingester wrote it. */
class RecordingWriter implements SpanWriter {
  readonly written: Map<string, number>;
  readonly traces: Map<string, string>;
  readonly name: string;
  constructor(name: string, written: Map<string, number>, traces: Map<string, string>) {
    this.name = name;
    this.written = written;
    this.traces = traces;
  }
  async write(spans: readonly Span[]): Promise<void> {
    for (const s of spans) {
      this.written.set(s.spanId, (this.written.get(s.spanId) ?? 0) + 1);
      writtenTenants.set(s.spanId, s.resource.tenant);
      const owner = this.traces.get(s.traceId);
      this.traces.set(s.traceId, owner === undefined || owner === this.name ? this.name : 'both');
    }
  }
}

interface TestIngester {
  name: string;
  buffer: NatsBuffer;
  leases: PartitionLeases;
  ingester: NatsIngester;
  pipeline: Pipeline;
  metrics: BufferMetrics;
  stop(): Promise<void>;
}

let sequence = 0;

describe(
  'NATS JetStream buffer',
  { skip: !natsServerInstalled() && 'nats-server is not installed (apt-get install nats-server)' },
  () => {
    let nats: NatsTestServer;
    let config: BufferConfig['nats'];
    const written = new Map<string, number>();
    const traces = new Map<string, string>();

    before(async () => {
      nats = await startNatsServer();
      config = {
        ...structuredClone(defaultConfig.buffer.nats),
        urls: [nats.url],
        partitions: 8,
        leaseTtlMs: 4000,
        ackWaitSeconds: 3,
        publishTimeoutMs: 2000,
        retryAfterSeconds: 2,
      };
    });
    after(async () => {
      await nats?.stop();
    });

    function startBuffer(
      name: string,
      registry: Registry,
    ): { buffer: NatsBuffer; metrics: BufferMetrics } {
      const metrics = new BufferMetrics(registry);
      const buffer = new NatsBuffer({ config, name, metrics, logger });
      buffer.start();
      return { buffer, metrics };
    }

    function startIngester(name: string): TestIngester {
      const registry = new Registry();
      const { buffer, metrics } = startBuffer(name, registry);
      const ingester = new NatsIngester({ buffer, metrics, logger });
      const pipelineConfig = structuredClone(defaultConfig.pipeline);
      pipelineConfig.batch.maxDelayMs = 5;
      const pipeline = new Pipeline({
        writer: new RecordingWriter(name, written, traces),
        config: pipelineConfig,
        metrics: new IngestMetrics(registry),
        logger,
        journal: ingester,
      });
      ingester.target = pipeline;
      const leases = new PartitionLeases({ buffer, id: name, owner: ingester, metrics, logger });
      leases.start();
      return {
        name,
        buffer,
        leases,
        ingester,
        pipeline,
        metrics,
        async stop() {
          await leases.stop();
          await pipeline.stop();
          await buffer.close();
        },
      };
    }

    /** `traceCount` traces of `spansPerTrace` spans, ids unique per call. */
    function makeTraces(
      traceCount: number,
      spansPerTrace: number,
      tenant = DEFAULT_TENANT,
    ): Span[] {
      const resource = { ...testResource('buffer-test'), tenant };
      const spans: Span[] = [];
      const run = ++sequence;
      for (let t = 0; t < traceCount; t++) {
        const traceId = hexId(run, t, 32);
        for (let s = 0; s < spansPerTrace; s++) {
          spans.push(
            makeSpan({
              traceId,
              spanId: hexId(run, t * 1000 + s, 16),
              resource,
              startTime: 1_700_000_000_000_000 + t,
            }),
          );
        }
      }
      return spans;
    }

    async function allWritten(spans: Span[], what: string): Promise<void> {
      await eventually(
        async () => (spans.every((s) => written.has(s.spanId)) ? true : undefined),
        what,
        30_000,
      );
    }

    test('two ingesters split the partitions; every span published is written exactly once, each trace by one ingester', async () => {
      const publisherBuffer = startBuffer('collector', new Registry());
      const publisher = new NatsSpanPublisher(
        publisherBuffer.buffer,
        publisherBuffer.metrics,
        new IngestMetrics(new Registry()),
      );
      const a = startIngester('ingester-a');
      const b = startIngester('ingester-b');
      try {
        await publisherBuffer.buffer.whenReady();
        await eventually(
          async () =>
            a.leases.held.length + b.leases.held.length === 8 &&
            a.leases.held.length > 0 &&
            b.leases.held.length > 0
              ? true
              : undefined,
          'both ingesters holding partitions',
        );
        assert.deepEqual(
          [...a.leases.held, ...b.leases.held].sort((x, y) => x - y),
          [0, 1, 2, 3, 4, 5, 6, 7],
        );

        const spans = makeTraces(200, 5);
        // Published in requests of 50 spans that mix traces (a request is split by
        // partition), every other request for tenant acme.
        for (let i = 0; i < spans.length; i += 50) {
          await publisher.consume(
            spans.slice(i, i + 50),
            5000,
            'test',
            i % 100 === 0 ? 'acme' : DEFAULT_TENANT,
          );
        }
        await allWritten(spans, 'all 1000 spans written');
        // The tenant the collector stamped travels in the span batches to the ingesters.
        spans.forEach((s, i) =>
          assert.equal(writtenTenants.get(s.spanId), i % 100 < 50 ? 'acme' : DEFAULT_TENANT),
        );
        for (const s of spans)
          assert.equal(written.get(s.spanId), 1, `span ${s.spanId} written once`);
        const owners = new Set<string>();
        for (const s of spans) {
          const owner = traces.get(s.traceId);
          assert.notEqual(owner, 'both', `trace ${s.traceId} split between ingesters`);
          owners.add(owner!);
          const partition = partitionOf(s.traceId, 8);
          const holder = a.leases.held.includes(partition) ? a.name : b.name;
          assert.equal(
            owner,
            holder,
            `trace ${s.traceId} (partition ${partition}) written by its owner`,
          );
        }
        assert.equal(owners.size, 2);
        // Every batch was acknowledged after its write: nothing is left in flight.
        await eventually(
          async () => (a.ingester.inFlight + b.ingester.inFlight === 0 ? true : undefined),
          'acks',
        );

        // b leaves gracefully: a takes every partition, and new spans all reach a.
        await b.stop();
        await eventually(
          async () => (a.leases.held.length === 8 ? true : undefined),
          'a holding all 8',
          20_000,
        );
        const more = makeTraces(40, 3);
        await publisher.consume(more, 5000, 'test', DEFAULT_TENANT);
        await allWritten(more, 'spans after the rebalance written');
        for (const s of more) {
          assert.equal(written.get(s.spanId), 1);
          assert.equal(traces.get(s.traceId), a.name);
        }
      } finally {
        await a.stop();
        await b.stop();
        await publisherBuffer.buffer.close();
      }
    });

    test('a message that is not a span batch is counted and dropped; the partition keeps flowing', async () => {
      const a = startIngester('ingester-c');
      const nc = await connect({ servers: nats.url });
      try {
        await eventually(
          async () => (a.leases.held.length === 8 ? true : undefined),
          'c holding all 8',
          20_000,
        );
        const js = jetstream(nc);
        await js.publish(`${config.subjectPrefix}.3`, new Uint8Array([1, 2, 3]));
        const corrupt = async () => (await a.metrics.corruptBatches.get()).values[0]?.value ?? 0;
        await eventually(
          async () => ((await corrupt()) === 1 ? true : undefined),
          'the corrupt batch counted',
        );
        const publisherBuffer = startBuffer('collector-2', new Registry());
        const publisher = new NatsSpanPublisher(
          publisherBuffer.buffer,
          publisherBuffer.metrics,
          new IngestMetrics(new Registry()),
        );
        await publisherBuffer.buffer.whenReady();
        const spans = makeTraces(20, 2);
        await publisher.consume(spans, 1000, 'test', DEFAULT_TENANT);
        await allWritten(spans, 'spans after the corrupt one');
        await publisherBuffer.buffer.close();
      } finally {
        await nc.close();
        await a.stop();
      }
    });

    test("the collector's publisher enforces each tenant's rate before publishing", async () => {
      const publisherBuffer = startBuffer('collector-4', new Registry());
      const registry = new Registry();
      const limits = new TenantRateLimiter(
        compileTenantSettings({
          ...defaultConfig,
          tenants: { ...defaultConfig.tenants, overrides: { slow: { maxSpansPerSecond: 10 } } },
        }),
      );
      const publisher = new NatsSpanPublisher(
        publisherBuffer.buffer,
        publisherBuffer.metrics,
        new IngestMetrics(registry),
        limits,
      );
      const a = startIngester('ingester-e');
      try {
        await publisherBuffer.buffer.whenReady();
        const first = makeTraces(5, 2);
        await publisher.consume(first, 1000, 'test', 'slow');
        const published = await metricValue(registry, 'skein_tenant_spans_accepted_total', {
          tenant: 'slow',
        });
        assert.equal(published, 10);
        assert.throws(
          () => publisher.consume(makeTraces(1, 1), 100, 'test', 'slow'),
          (err: unknown) => err instanceof TenantRateLimitedError && err.retryAfterSeconds === 1,
        );
        const other = makeTraces(50, 2);
        await publisher.consume(other, 10_000, 'test', 'fast');
        await allWritten([...first, ...other], 'both tenants written');
        for (const s of first) assert.equal(writtenTenants.get(s.spanId), 'slow');
        assert.equal(
          await metricValue(registry, 'skein_tenant_spans_refused_total', {
            tenant: 'slow',
            reason: 'rate_limited',
          }),
          1,
        );
      } finally {
        await a.stop();
        await publisherBuffer.buffer.close();
      }
    });

    test('NATS down: the publisher refuses with 503 + Retry-After; after a restart it publishes again and nothing acknowledged is lost', async () => {
      const publisherBuffer = startBuffer('collector-3', new Registry());
      const publisher = new NatsSpanPublisher(
        publisherBuffer.buffer,
        publisherBuffer.metrics,
        new IngestMetrics(new Registry()),
      );
      try {
        await publisherBuffer.buffer.whenReady();
        const before = makeTraces(30, 2);
        await publisher.consume(before, 1000, 'test', DEFAULT_TENANT);
        await nats.stopProcess();
        await eventually(
          async () => (publisherBuffer.buffer.ready ? undefined : true),
          'the publisher noticing',
        );
        assert.throws(
          () => publisher.consume(makeTraces(1, 1), 100, 'test', DEFAULT_TENANT),
          (err: unknown) => {
            assert.ok(err instanceof BufferUnavailableError);
            assert.equal(err.statusCode, 503);
            assert.equal(err.retryAfterSeconds, 2);
            return true;
          },
        );
        await nats.start();
        await eventually(
          async () => (publisherBuffer.buffer.ready ? true : undefined),
          'ready after the restart',
          20_000,
        );
        const after = makeTraces(30, 2);
        await publisher.consume(after, 1000, 'test', DEFAULT_TENANT);
        // An ingester started now finds both, the batch acknowledged before the restart included.
        const d = startIngester('ingester-d');
        try {
          await allWritten([...before, ...after], 'spans from before and after the restart');
          for (const s of [...before, ...after]) assert.equal(written.get(s.spanId), 1);
        } finally {
          await d.stop();
        }
      } finally {
        await publisherBuffer.buffer.close();
      }
    });
  },
);
