import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import {
  prometheusMissing,
  startPrometheus,
  type PrometheusProcess,
} from './prometheus-process.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/**
 * Span metrics scraped by a real Prometheus (Debian's package, started here on a
 * free port with exemplar storage) from a real `skein all`: spans sent with the
 * OpenTelemetry SDK's OTLP exporter pass the processor chain, and PromQL through
 * Prometheus's HTTP API returns what was sent.
 */

interface Kind {
  kind: SpanKind;
  status: SpanStatusCode;
  durationMs: number;
}

const OK: Kind = { kind: SpanKind.SERVER, status: SpanStatusCode.UNSET, durationMs: 3 };
const FAILED: Kind = { kind: SpanKind.SERVER, status: SpanStatusCode.ERROR, durationMs: 30 };
const CLIENT_OK: Kind = { kind: SpanKind.CLIENT, status: SpanStatusCode.OK, durationMs: 700 };

/**
 * Sends one-span traces of `service` named `name`, `count` of each shape, in one
 * export request (so one scrape sees all of them or none); returns their trace ids.
 */
async function send(
  endpoint: string,
  service: string,
  name: string,
  batch: [Kind, number][],
): Promise<string[]> {
  const exporter = new CountingExporter(new OTLPTraceExporter({ url: endpoint }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('prometheus-e2e');
  const traceIds: string[] = [];
  let total = 0;
  for (const [shape, count] of batch) {
    for (let i = 0; i < count; i++) {
      const start = Date.now();
      const span = tracer.startSpan(name, { kind: shape.kind, startTime: start });
      if (shape.status !== SpanStatusCode.UNSET) span.setStatus({ code: shape.status });
      span.end(start + shape.durationMs);
      traceIds.push(span.spanContext().traceId);
      total++;
    }
  }
  await provider.forceFlush();
  await provider.shutdown();
  assert.equal(exporter.failed, 0, `${service}: exporter reported ${exporter.lastError}`);
  assert.equal(exporter.exported, total);
  return traceIds;
}

interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('span metrics scraped by a real Prometheus', { skip: prometheusMissing() }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-prometheus-e2e-'));
  let skein: SkeinProcess | undefined;
  let endpoint = '';
  let prometheus: PrometheusProcess | undefined;
  const sentTraces = new Set<string>();

  /** Runs `query` until `done` accepts its result (Prometheus scrapes every second). */
  async function until(
    query: string,
    done: (result: VectorSample[]) => boolean,
    time?: number,
  ): Promise<VectorSample[]> {
    const timeoutMs = 20_000;
    const p = prometheus as PrometheusProcess;
    const deadline = Date.now() + timeoutMs;
    let last: VectorSample[] = [];
    for (;;) {
      const params: Record<string, string> = { query };
      if (time !== undefined) params.time = String(time);
      last = await p.api<{ result: VectorSample[] }>('/api/v1/query', params).then((d) => d.result);
      if (done(last)) return last;
      if (Date.now() > deadline) {
        const targets = await p.api<unknown>('/api/v1/targets', {});
        assert.fail(
          `${query} did not reach the expected value within ${timeoutMs} ms; last: ${JSON.stringify(last)}; targets: ${JSON.stringify(targets)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  function byLabels(result: VectorSample[], ...labels: string[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of result) out[labels.map((l) => s.metric[l]).join('/')] = Number(s.value[1]);
    return out;
  }

  before(async () => {
    skein = await startSkein('all', [`--storage.duckdb.path=${dir}`]);
    const admin = new URL(skein.urls.get('admin') ?? assert.fail('no admin url in the banner'));
    const otlp = skein.urls.get('otlp-http') ?? assert.fail('no otlp-http url in the banner');
    endpoint = `${otlp}/v1/traces`;
    prometheus = await startPrometheus(admin.host);
    // The target must be up (every scrape parsed) before anything is sent.
    await until('up{job="skein"}', (r) => r.length === 1 && r[0].value[1] === '1');
  });

  after(async () => {
    await prometheus?.stop();
    const code = await skein?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, `skein exited with ${code}:\n${skein?.output.join('\n')}`);
  });

  test('calls, errors and durations per service, span kind and status match what was sent', async () => {
    // First a few spans so the series exist in Prometheus, then the bulk, in the same
    // proportions (2 ok : 1 failed), so rate() over the two series extrapolates alike.
    const first = await send(endpoint, 'checkout', 'POST /checkout', [
      [OK, 2],
      [FAILED, 1],
    ]);
    for (const id of first) sentTraces.add(id);
    await until(
      'sum(traces_span_metrics_calls_total{service_name="checkout"})',
      (r) => r.length === 1 && r[0].value[1] === '3',
    );
    const bulk = await send(endpoint, 'checkout', 'POST /checkout', [
      [OK, 8],
      [FAILED, 4],
    ]);
    for (const id of bulk) sentTraces.add(id);
    await send(endpoint, 'payments', 'charge card', [[CLIENT_OK, 3]]);
    // A service name with a quote and a backslash: the exposition escapes, Prometheus parses.
    await send(endpoint, 'we"ird\\svc', 'op', [[OK, 1]]);

    const totals = await until(
      'sum by (service_name, span_kind, status_code) (traces_span_metrics_calls_total)',
      (r) => r.reduce((n, s) => n + Number(s.value[1]), 0) === 19,
    );
    assert.deepEqual(byLabels(totals, 'service_name', 'span_kind', 'status_code'), {
      'checkout/SPAN_KIND_SERVER/STATUS_CODE_UNSET': 10,
      'checkout/SPAN_KIND_SERVER/STATUS_CODE_ERROR': 5,
      'payments/SPAN_KIND_CLIENT/STATUS_CODE_OK': 3,
      'we"ird\\svc/SPAN_KIND_SERVER/STATUS_CODE_UNSET': 1,
    });

    // Error rate as dashboards compute it: errors over calls, per second.
    const errorRatio = await until(
      'sum(rate(traces_span_metrics_calls_total{service_name="checkout",status_code="STATUS_CODE_ERROR"}[1m])) / sum(rate(traces_span_metrics_calls_total{service_name="checkout"}[1m]))',
      (r) => r.length === 1,
    );
    assert.ok(
      Math.abs(Number(errorRatio[0].value[1]) - 1 / 3) < 1e-9,
      `error ratio ${errorRatio[0].value[1]}, sent 5 of 15`,
    );
    // Call rate: 12 calls arrived after the series existed; rate() extrapolates to the
    // window's edges, so its increase is at least what was observed, never below.
    // Both at one evaluation time, so they see the same samples.
    const evaluatedAt = Date.now() / 1000;
    const increase = await until(
      'sum(increase(traces_span_metrics_calls_total{service_name="checkout"}[1m]))',
      (r) => r.length === 1,
      evaluatedAt,
    );
    const increased = Number(increase[0].value[1]);
    assert.ok(increased >= 12 && increased < 30, `increase over 1m: ${increased}, 12 observed`);
    const rate = await until(
      'sum(rate(traces_span_metrics_calls_total{service_name="checkout"}[1m]))',
      (r) => r.length === 1,
      evaluatedAt,
    );
    assert.ok(
      Math.abs(Number(rate[0].value[1]) - increased / 60) < 1e-9,
      'rate is the increase per second',
    );

    // The latency histogram: ok spans took 3 ms (bucket le=4), failed ones 30 ms (le=50).
    const buckets = await until(
      'sum by (status_code, le) (traces_span_metrics_duration_milliseconds_bucket{service_name="checkout"})',
      (r) => r.length > 0,
    );
    const at = (status: string, le: number): number =>
      Number(
        buckets.find(
          (s) =>
            s.metric.status_code === status &&
            (s.metric.le === '+Inf' ? Infinity : Number(s.metric.le)) === le,
        )?.value[1],
      );
    assert.equal(at('STATUS_CODE_UNSET', 2), 0);
    assert.equal(at('STATUS_CODE_UNSET', 4), 10);
    assert.equal(at('STATUS_CODE_ERROR', 10), 0);
    assert.equal(at('STATUS_CODE_ERROR', 50), 5);
    assert.equal(at('STATUS_CODE_ERROR', Infinity), 5);
    // p50 as dashboards compute it, from the bucket rates: 12 spans arrived after the
    // series existed, 8 of them in (2, 4] ms, so the median interpolates to 3.5 ms.
    const p50 = await until(
      'histogram_quantile(0.5, sum by (le) (rate(traces_span_metrics_duration_milliseconds_bucket{service_name="checkout"}[1m])))',
      (r) => r.length === 1,
    );
    assert.ok(Math.abs(Number(p50[0].value[1]) - 3.5) < 1e-9, `checkout p50 ${p50[0].value[1]}`);
    // The payments series appeared at once (no rate yet): quantile over the counts.
    // Its 700 ms spans sit in (400, 800], the median of 3 interpolates to 600 ms.
    const payments = await until(
      'histogram_quantile(0.5, sum by (le) (traces_span_metrics_duration_milliseconds_bucket{service_name="payments",span_kind="SPAN_KIND_CLIENT"}))',
      (r) => r.length === 1,
    );
    assert.equal(Number(payments[0].value[1]), 600);
  });

  test('exemplars on the latency buckets carry the trace ids that were sent', async () => {
    const p = prometheus as PrometheusProcess;
    const deadline = Date.now() + 20_000;
    let found: string[] = [];
    while (found.length === 0) {
      const now = Date.now() / 1000;
      const data = await p.api<
        { seriesLabels: Record<string, string>; exemplars: { labels: Record<string, string> }[] }[]
      >('/api/v1/query_exemplars', {
        query: 'traces_span_metrics_duration_milliseconds_bucket{service_name="checkout"}',
        start: String(now - 300),
        end: String(now + 60),
      });
      found = data.flatMap((series) =>
        series.exemplars.map((e) => e.labels.trace_id).filter((id) => sentTraces.has(id)),
      );
      if (found.length === 0) {
        assert.ok(
          Date.now() < deadline,
          `no exemplar with a sent trace id: ${JSON.stringify(data)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    assert.ok(found.length > 0);
  });
});
