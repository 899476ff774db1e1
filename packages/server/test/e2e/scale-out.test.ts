/**
 * Scale-out end to end with separate processes: 2 collectors and 2 ingesters with
 * NATS JetStream between them, 1 query node, all on a real ClickHouse cluster
 * (2 shards, ZooKeeper) and a real nats-server, every one started by this test from
 * configs in temp dirs and stopped by pid. Traces go in through a real OTel OTLP
 * exporter and are read back through the query API: every acknowledged span
 * exactly once, across a kill -9 of an ingester mid-stream (its partitions move),
 * a nats-server restart, and collectors that lose NATS (503 + Retry-After).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { exportSpans } from '../../src/pipeline/test-support/otel-test-trace.ts';
import { clickhouseInstalled, startClickHouseCluster } from '../support/clickhouse-cluster.ts';
import type { ClickHouseCluster } from '../support/clickhouse-cluster.ts';
import { natsServerInstalled, startNatsServer } from '../support/nats-server.ts';
import type { NatsTestServer } from '../support/nats-server.ts';
import { eventually } from './eventually.ts';
import { startSkein } from './skein-process.ts';
import type { SkeinProcess } from './skein-process.ts';

const PARTITIONS = 8;

/**
 * A three-span trace (server → client → internal) made now by the OTel SDK (stored
 * spans must be within retention, which the ingesters enforce).
 */
async function makeTrace(service: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('scale-out-test');
  const root = tracer.startSpan('GET /orders');
  const child = tracer.startSpan('SELECT orders', {}, trace.setSpan(context.active(), root));
  const leaf = tracer.startSpan('parse rows', {}, trace.setSpan(context.active(), child));
  leaf.end();
  child.end();
  root.end();
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

interface Collector {
  process: SkeinProcess;
  exporter: OTLPTraceExporter;
}

const missing = !natsServerInstalled()
  ? 'nats-server is not installed (apt-get install nats-server)'
  : !clickhouseInstalled()
    ? 'clickhouse-server / zookeeper not installed (apt-get install clickhouse-server zookeeper)'
    : false;

describe(
  'scale-out: collectors → NATS JetStream → ingesters → ClickHouse → query',
  { skip: missing },
  () => {
    let cluster: ClickHouseCluster;
    let nats: NatsTestServer;
    const processes: SkeinProcess[] = [];
    let roleArgs: string[];

    before(async () => {
      [cluster, nats] = await Promise.all([
        startClickHouseCluster({ shards: 2, replicas: 1 }),
        startNatsServer(),
      ]);
      roleArgs = [
        '--storage.backend=clickhouse',
        `--storage.clickhouse.urls=${cluster.urls.join(',')}`,
        `--storage.clickhouse.cluster=${cluster.cluster}`,
        `--storage.clickhouse.database=skein_scale_${process.pid}`,
        '--storage.clickhouse.createSchema=true',
        '--buffer.kind=nats',
        `--buffer.nats.urls=${nats.url}`,
        `--buffer.nats.partitions=${PARTITIONS}`,
        '--buffer.nats.leaseTtlMs=4000',
        '--buffer.nats.ackWaitSeconds=4',
        '--buffer.nats.publishTimeoutMs=2000',
        '--buffer.nats.retryAfterSeconds=3',
        '--pipeline.batch.maxDelayMs=50',
        '--pipeline.traceBuffer.idleSeconds=1',
      ];
    });

    after(async () => {
      // Only those still running: a process killed earlier has already exited.
      await Promise.all(
        processes
          .filter((p) => p.child.exitCode === null && p.child.signalCode === null)
          .map((p) => p.stop('SIGKILL')),
      );
      await Promise.all([cluster?.stop(), nats?.stop()]);
    });

    /** The last lines each role logged and its buffer/write metrics, for a failure message. */
    async function outputs(): Promise<string> {
      const parts: string[] = [];
      for (const [i, p] of processes.entries()) {
        let metrics: string;
        try {
          const text = await (await fetch(`${p.urls.get('admin')}/metrics`)).text();
          metrics = text
            .split('\n')
            .filter((l) => /^skein_(buffer|spans_written|spans_dropped|storage_write)/.test(l))
            .join('\n');
        } catch {
          metrics = '(no metrics: it exited)';
        }
        parts.push(`--- process ${i}:\n${p.output.slice(-8).join('\n')}\n${metrics}`);
      }
      return parts.join('\n');
    }

    async function start(role: string): Promise<SkeinProcess> {
      const p = await startSkein(role, roleArgs);
      processes.push(p);
      return p;
    }

    function collector(p: SkeinProcess): Collector {
      const url = p.urls.get('otlp-http');
      assert.ok(url, `collector banner lists otlp-http: ${p.output.join('\n')}`);
      return {
        process: p,
        exporter: new OTLPTraceExporter({ url: `${url}/v1/traces`, timeoutMillis: 4000 }),
      };
    }

    /** The spans the query API returns for a trace (Jaeger JSON), or [] when not found. */
    async function querySpans(query: SkeinProcess, traceId: string): Promise<string[]> {
      const r = await fetch(`${query.urls.get('query')}/api/traces/${traceId}`);
      if (r.status === 404) return [];
      assert.equal(r.status, 200, `GET trace ${traceId}`);
      const body = (await r.json()) as { data: { spans: { spanID: string }[] }[] };
      return body.data.flatMap((t) => t.spans.map((s) => s.spanID));
    }

    /** Every trace complete in the query results, each span exactly once. */
    async function assertExactlyOnce(
      query: SkeinProcess,
      traces: ReadableSpan[][],
      what: string,
    ): Promise<void> {
      const pending = new Set(traces);
      await eventually(
        async () => {
          for (const t of [...pending]) {
            const got = await querySpans(query, t[0].spanContext().traceId);
            if (got.length >= t.length) pending.delete(t);
          }
          return pending.size === 0 ? true : undefined;
        },
        `${what}: traces complete`,
        60_000,
      ).catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}; ${pending.size} are not:\n${await outputs()}`);
      });
      for (const t of traces) {
        const got = await querySpans(query, t[0].spanContext().traceId);
        const sent = t.map((s) => s.spanContext().spanId).sort();
        assert.deepEqual(
          got.sort(),
          sent,
          `${what}: trace ${t[0].spanContext().traceId} spans exactly once`,
        );
      }
    }

    /** Exports `count` new traces round-robin over the collectors; returns those acknowledged. */
    async function exportTraces(
      collectors: Collector[],
      count: number,
      during?: (i: number) => Promise<void>,
    ): Promise<{ acked: ReadableSpan[][]; failed: number }> {
      const acked: ReadableSpan[][] = [];
      let failed = 0;
      for (let i = 0; i < count; i++) {
        await during?.(i);
        const spans = await makeTrace(`svc-${i % 3}`);
        try {
          await exportSpans(collectors[i % collectors.length].exporter, spans);
          acked.push(spans);
        } catch {
          failed++;
        }
      }
      return { acked, failed };
    }

    async function ready(p: SkeinProcess): Promise<{ status: number; body: string }> {
      const r = await fetch(`${p.urls.get('admin')}/ready`);
      return { status: r.status, body: await r.text() };
    }

    test('every acknowledged span exactly once through kill -9 of an ingester, a NATS restart and collectors without NATS', async () => {
      const t0 = Date.now();
      const ingesterA = await start('ingester');
      const ingesterB = await start('ingester');
      const collectors = [collector(await start('collector')), collector(await start('collector'))];
      const query = await start('query');
      for (const p of [ingesterA, ingesterB, ...collectors.map((c) => c.process)]) {
        await eventually(
          async () => ((await ready(p)).status === 200 ? true : undefined),
          'roles ready',
        );
      }

      // 1. Steady state: both collectors, both ingesters.
      const first = await exportTraces(collectors, 30);
      assert.equal(first.failed, 0, 'every export acknowledged while everything is up');
      await assertExactlyOnce(query, first.acked, 'steady state');

      // 2. kill -9 an ingester mid-stream: its partitions move to the other one, and
      //    what it had taken but not acknowledged is redelivered there.
      const second = await exportTraces(collectors, 30, async (i) => {
        if (i === 10) ingesterA.child.kill('SIGKILL');
      });
      assert.equal(second.failed, 0, 'collectors acknowledge while an ingester dies');
      await assertExactlyOnce(query, second.acked, 'after kill -9 of an ingester');
      // The survivor holds every partition now.
      const owned = await eventually(async () => {
        const text = await (await fetch(`${ingesterB.urls.get('admin')}/metrics`)).text();
        return /^skein_buffer_partitions_owned 8$/m.test(text) ? true : undefined;
      }, 'the surviving ingester owning all partitions');
      assert.equal(owned, true);

      // 3. NATS stops: collectors answer 503 with Retry-After (never 200) and say so on /ready.
      await nats.stopProcess();
      const otlpHttp = collectors[0].process.urls.get('otlp-http')!;
      const refused = await eventually(async () => {
        const r = await fetch(`${otlpHttp}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            resourceSpans: [
              {
                resource: { attributes: [] },
                scopeSpans: [
                  {
                    spans: [
                      {
                        traceId: '5b8efff798038103d269b633813fc60c',
                        spanId: 'eee19b7ec3c1b174',
                        name: 'while NATS is down',
                        startTimeUnixNano: '1700000000000000000',
                        endTimeUnixNano: '1700000000001000000',
                      },
                    ],
                  },
                ],
              },
            ],
          }),
        });
        return r.status === 200 ? assert.fail('a collector answered 200 while NATS was down') : r;
      }, 'a refusal while NATS is down');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get('retry-after'), '3');
      assert.match(await refused.text(), /NATS JetStream/);
      const notReady = await ready(collectors[1].process);
      assert.equal(notReady.status, 503);
      assert.match(notReady.body, /buffer/);

      // 4. NATS comes back (same store): everything acknowledged before and after is there once.
      await nats.start();
      for (const c of collectors) {
        await eventually(
          async () => ((await ready(c.process)).status === 200 ? true : undefined),
          'collector ready again',
          30_000,
        );
      }
      const third = await exportTraces(collectors, 20);
      assert.equal(third.failed, 0);
      await assertExactlyOnce(
        query,
        [...first.acked, ...second.acked, ...third.acked],
        'after the NATS restart',
      );
      console.log(`# scale-out scenario took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      for (const c of collectors) await c.exporter.shutdown();
    });
  },
);
