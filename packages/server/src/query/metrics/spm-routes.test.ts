import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { latencyBucket } from '../../model/latency-histogram.ts';
import { SpanKind, StatusCode } from '../../model/span.ts';
import type { SpanKind as SpanKindType, StatusCode as StatusCodeType } from '../../model/span.ts';
import { DuckDbStorage } from '../../storage/duckdb/duckdb-storage.ts';
import type { SpanMetricsRow } from '../../storage/span-metrics-writer.ts';
import { createQueryApp } from '../query-app.ts';
import type { MetricFamilyJson } from './metric-family-json.ts';
import { timestampJson } from './metric-family-json.ts';

/*
 * Jaeger's SPM API over a real in-memory DuckDB store, rows written through
 * writeSpanMetrics. Per-minute rows (T0 = 2026-03-01T10:00:00Z):
 *   cart  server GET /cart        T0: 60 calls of 10 ms;  T0+1: 120 of 20 ms + 30 errors of 1000 ms
 *   cart  server POST /checkout   T0+1: 4 calls of 5 ms, 1 an error
 *   cart  client GET /stock       T0: 600 calls of 2 ms
 *   cart  server GET /now         the minute before the current one: 600 calls of 3 ms
 * Responses are checked field by field against what Jaeger UI's Monitor tab reads
 * (reducers/metrics.ts): `metrics[0].labels[0].value` as the service, the label named
 * `operation`, `metricPoints[].gaugeValue.doubleValue.toFixed(2)` (a non-number becomes
 * a gap), `new Date(timestamp)`.
 */
const MIN = 60_000_000;
const T0 = Date.UTC(2026, 2, 1, 10, 0, 0) * 1000;
const T0_MS = T0 / 1000;
const NOW_MINUTE = Math.floor((Date.now() * 1000) / MIN) * MIN - MIN;

function row(
  minute: number,
  operation: string,
  kind: SpanKindType,
  statusCode: StatusCodeType,
  ms: number,
  calls: number,
): SpanMetricsRow {
  return {
    tenant: '',
    minute,
    service: 'cart',
    operation,
    kind,
    statusCode,
    calls,
    durationSum: ms * 1000 * calls,
    latency: { buckets: [latencyBucket(ms * 1000)], counts: [calls] },
  };
}

const ROWS: SpanMetricsRow[] = [
  row(T0, 'GET /cart', SpanKind.Server, StatusCode.Unset, 10, 60),
  row(T0 + MIN, 'GET /cart', SpanKind.Server, StatusCode.Unset, 20, 120),
  row(T0 + MIN, 'GET /cart', SpanKind.Server, StatusCode.Error, 1000, 30),
  row(T0 + MIN, 'POST /checkout', SpanKind.Server, StatusCode.Ok, 5, 3),
  row(T0 + MIN, 'POST /checkout', SpanKind.Server, StatusCode.Error, 5, 1),
  row(T0, 'GET /stock', SpanKind.Client, StatusCode.Unset, 2, 600),
  row(NOW_MINUTE, 'GET /now', SpanKind.Server, StatusCode.Unset, 3, 600),
];

/** Points at T0, T0+1m, T0+2m over the minute before each (Jaeger UI's own parameter names). */
const RANGE = `endTs=${T0_MS + 120_000}&lookback=120000&step=60000&ratePer=60000`;

function values(family: MetricFamilyJson, i = 0): unknown[] {
  return family.metrics[i].metricPoints.map((p) => p.gaugeValue.doubleValue);
}

/** What Jaeger UI's reducer makes of a point's value: toFixed(2) or, when that throws, a gap. */
function uiValue(v: unknown): number | null {
  try {
    return parseFloat((v as number).toFixed(2));
  } catch {
    return null;
  }
}

describe('Jaeger SPM API', () => {
  let store: DuckDbStorage;
  let app: FastifyInstance;
  let disabled: FastifyInstance;

  before(async () => {
    store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    await store.writeSpanMetrics(ROWS);
    app = await createQueryApp({ reader: store, metrics: store, defaultLimit: 20, maxLimit: 100 });
    disabled = await createQueryApp({ reader: store, defaultLimit: 20, maxLimit: 100 });
  });
  after(async () => {
    await app.close();
    await disabled.close();
    await store.close();
  });

  async function get(
    url: string,
    on = app,
  ): Promise<{ status: number; body: unknown; raw: string }> {
    const r = await on.inject({ method: 'GET', url });
    return { status: r.statusCode, body: JSON.parse(r.body) as unknown, raw: r.body };
  }

  test('calls: a MetricFamily of gauges, service_name label, RFC 3339 timestamps, calls/s', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/metrics/calls?service=cart&${RANGE}` });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const body = JSON.parse(r.body) as MetricFamilyJson;
    assert.deepEqual(Object.keys(body), ['name', 'type', 'help', 'metrics']);
    assert.equal(body.name, 'service_call_rate');
    assert.equal(body.type, 'GAUGE');
    assert.equal(body.help, 'calls/sec, grouped by service');
    assert.equal(body.metrics.length, 1);
    const [metric] = body.metrics;
    assert.deepEqual(Object.keys(metric), ['labels', 'metricPoints']);
    assert.deepEqual(metric.labels, [{ name: 'service_name', value: 'cart' }]);
    assert.deepEqual(metric.metricPoints, [
      { gaugeValue: { doubleValue: 0 }, timestamp: '2026-03-01T10:00:00Z' },
      { gaugeValue: { doubleValue: 1 }, timestamp: '2026-03-01T10:01:00Z' },
      { gaugeValue: { doubleValue: 154 / 60 }, timestamp: '2026-03-01T10:02:00Z' },
    ]);
    assert.deepEqual(
      metric.metricPoints.map((p) => new Date(p.timestamp).getTime()),
      [T0_MS, T0_MS + 60_000, T0_MS + 120_000],
    );
    assert.deepEqual(
      metric.metricPoints.map((p) => uiValue(p.gaugeValue.doubleValue)),
      [0, 1, 2.57],
    );
  });

  test('calls grouped by operation: service_operation_call_rate, labels service_name then operation', async () => {
    const { status, body } = await get(
      `/api/metrics/calls?service=cart&groupByOperation=true&${RANGE}`,
    );
    assert.equal(status, 200);
    const family = body as MetricFamilyJson;
    assert.equal(family.name, 'service_operation_call_rate');
    assert.equal(family.help, 'calls/sec, grouped by service & operation');
    assert.deepEqual(
      family.metrics.map((m) => m.labels),
      [
        [
          { name: 'service_name', value: 'cart' },
          { name: 'operation', value: 'GET /cart' },
        ],
        [
          { name: 'service_name', value: 'cart' },
          { name: 'operation', value: 'POST /checkout' },
        ],
      ],
    );
    assert.deepEqual(values(family, 0), [0, 1, 2.5]);
    assert.deepEqual(values(family, 1), [0, 0, 4 / 60]);
  });

  test('errors: fraction of calls, "NaN" (a gap in Jaeger UI) where a window has no calls', async () => {
    const { status, body } = await get(
      `/api/metrics/errors?service=cart&groupByOperation=1&${RANGE}`,
    );
    assert.equal(status, 200);
    const family = body as MetricFamilyJson;
    assert.equal(family.name, 'service_operation_error_rate');
    assert.equal(
      family.help,
      'error rate, computed as a fraction of errors/sec over calls/sec, grouped by service & operation',
    );
    assert.deepEqual(values(family, 0), ['NaN', 0, 0.2]);
    assert.deepEqual(values(family, 1), ['NaN', 'NaN', 0.25]);
    assert.deepEqual(values(family, 0).map(uiValue), [null, 0, 0.2]);
  });

  test('latencies: the quantile in ms (±2.5%), named and described as Jaeger does', async () => {
    const { status, body } = await get(
      `/api/metrics/latencies?service=cart&quantile=0.95&${RANGE}`,
    );
    assert.equal(status, 200);
    const family = body as MetricFamilyJson;
    assert.equal(family.name, 'service_latencies');
    assert.equal(family.help, '0.95th quantile latency, grouped by service');
    const v = values(family);
    assert.equal(v[0], 'NaN');
    assert.ok(Math.abs((v[1] as number) - 10) <= 0.25, `p95 of minute T0 ≈ 10 ms, got ${v[1]}`);
    assert.ok(Math.abs((v[2] as number) - 1000) <= 25, `p95 of minute T0+1 ≈ 1000 ms, got ${v[2]}`);

    const grouped = (
      await get(`/api/metrics/latencies?service=cart&quantile=0.5&groupByOperation=true&${RANGE}`)
    ).body as MetricFamilyJson;
    assert.equal(grouped.name, 'service_operation_latencies');
    assert.equal(grouped.help, '0.50th quantile latency, grouped by service & operation');
    assert.deepEqual(
      grouped.metrics.map((m) => m.labels[1].value),
      ['GET /cart', 'POST /checkout'],
    );
    const checkout = values(grouped, 1)[2] as number;
    assert.ok(Math.abs(checkout - 5) <= 0.125, `p50 of POST /checkout ≈ 5 ms, got ${checkout}`);
  });

  test('spanKind: repeated and case-insensitive; the default is server', async () => {
    const client = (await get(`/api/metrics/calls?service=cart&spanKind=CLIENT&${RANGE}`))
      .body as MetricFamilyJson;
    assert.deepEqual(values(client), [0, 10, 0]);
    const both = (
      await get(`/api/metrics/calls?service=cart&spanKind=server&spanKind=client&${RANGE}`)
    ).body as MetricFamilyJson;
    assert.deepEqual(values(both), [0, 11, 154 / 60]);
  });

  test('defaults: endTs now, lookback 1 h, step 5 s, ratePer 10 min', async () => {
    const before = Date.now();
    const { status, body } = await get('/api/metrics/calls?service=cart');
    const afterMs = Date.now();
    assert.equal(status, 200);
    const points = (body as MetricFamilyJson).metrics[0].metricPoints;
    assert.equal(points.length, 721);
    const last = new Date(points[720].timestamp).getTime();
    assert.ok(last >= before && last <= afterMs, 'the last point is at the request time');
    assert.equal(new Date(points[0].timestamp).getTime(), last - 3_600_000);
    assert.equal(
      new Date(points[1].timestamp).getTime() - new Date(points[0].timestamp).getTime(),
      5000,
    );
    // The previous minute's 600 server calls over a 10-minute window: 1 call/s.
    assert.equal(points[720].gaugeValue.doubleValue, 1);
  });

  test('a service with no data has an empty metrics list (Jaeger UI reads metrics[0])', async () => {
    const { status, body } = await get(`/api/metrics/calls?service=nobody&${RANGE}`);
    assert.equal(status, 200);
    assert.deepEqual((body as MetricFamilyJson).metrics, []);
    const injected = (
      await get(`/api/metrics/errors?service=${encodeURIComponent("cart' OR 1=1 --")}&${RANGE}`)
    ).body as MetricFamilyJson;
    assert.deepEqual(injected.metrics, [], 'service names are bound values, not SQL');
  });

  test('minstep: the envelope with one minute in ms', async () => {
    const { status, body } = await get('/api/metrics/minstep');
    assert.equal(status, 200);
    assert.deepEqual(body, { data: 60000, total: 0, limit: 0, offset: 0, errors: null });
  });

  test('prettyPrint indents the JSON', async () => {
    const { raw, body } = await get(`/api/metrics/calls?service=nobody&prettyPrint=true&${RANGE}`);
    assert.equal(raw, JSON.stringify(body, null, 4));
  });

  test("bad parameters: 400 in Jaeger's error envelope, naming the parameter", async () => {
    const cases: [string, string][] = [
      ['/api/metrics/calls', 'service'],
      ['/api/metrics/calls?service=cart&spanKind=bogus', 'spanKind'],
      ['/api/metrics/calls?service=cart&spanKind=', 'spanKind'],
      ['/api/metrics/errors?service=cart&groupByOperation=maybe', 'groupByOperation'],
      ['/api/metrics/calls?service=cart&endTs=yesterday', 'endTs'],
      ['/api/metrics/calls?service=cart&lookback=1h', 'lookback'],
      ['/api/metrics/calls?service=cart&lookback=-5', 'lookback'],
      ['/api/metrics/calls?service=cart&step=0', 'step'],
      ['/api/metrics/calls?service=cart&ratePer=-1', 'ratePer'],
      ['/api/metrics/calls?service=cart&lookback=86400000&step=1', 'step'],
      ['/api/metrics/latencies?service=cart', 'quantile'],
      ['/api/metrics/latencies?service=cart&quantile=2', 'quantile'],
      ['/api/metrics/latencies?service=cart&quantile=0', 'quantile'],
      ['/api/metrics/latencies?service=cart&quantile=p95', 'quantile'],
    ];
    for (const [url, param] of cases) {
      const { status, body } = await get(url);
      assert.equal(status, 400, url);
      const env = body as {
        data: unknown;
        total: number;
        limit: number;
        offset: number;
        errors: { code: number; msg: string }[];
      };
      assert.deepEqual(
        {
          data: env.data,
          total: env.total,
          limit: env.limit,
          offset: env.offset,
          code: env.errors[0].code,
        },
        { data: null, total: 0, limit: 0, offset: 0, code: 400 },
        url,
      );
      assert.match(env.errors[0].msg, new RegExp(`parameter "${param}"`), url);
    }
  });

  test("without a metrics reader: 501 with Jaeger's message; parameters are still checked first", async () => {
    for (const url of [
      '/api/metrics/calls?service=cart',
      '/api/metrics/errors?service=cart',
      '/api/metrics/latencies?service=cart&quantile=0.95',
      '/api/metrics/minstep',
    ]) {
      const { status, body } = await get(url, disabled);
      assert.equal(status, 501, url);
      const env = body as { data: unknown; errors: { code: number; msg: string }[] };
      assert.equal(env.data, null);
      assert.equal(env.errors[0].code, 501);
      assert.match(
        env.errors[0].msg,
        /^trace metrics are currently disabled - no metrics backend configured/,
      );
    }
    assert.equal((await get('/api/metrics/calls', disabled)).status, 400);
  });
});

describe('timestampJson (google.protobuf.Timestamp in protobuf JSON)', () => {
  test('whole seconds have no fraction; ms and µs get 3 or 6 digits', () => {
    assert.equal(timestampJson(T0), '2026-03-01T10:00:00Z');
    assert.equal(timestampJson(T0 + 120_000), '2026-03-01T10:00:00.120Z');
    assert.equal(timestampJson(T0 + 5), '2026-03-01T10:00:00.000005Z');
    assert.equal(timestampJson(T0 + 999_999), '2026-03-01T10:00:00.999999Z');
  });
});
