import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { SpanKind, StatusCode, ValueType } from '../model/span.ts';
import type { Span } from '../model/span.ts';
import { decodeOtlpJson } from '../receivers/otlp/otlp-json-decoder.ts';
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import type { JaegerEnvelope, JaegerTrace } from './jaeger/jaeger-json.ts';
import type { OtlpTracesData } from './otlp/encode-otlp-json.ts';
import { createQueryApp } from './query-app.ts';
import { makeResource, makeScope, makeSpan } from './test-support/span-builders.ts';
import type { TraceSummary } from './v3/summarize-trace.ts';

/*
 * The query app against a real in-memory DuckDB store. Four traces, all started a few
 * minutes ago so the default search window finds them:
 *   A  frontend GET /checkout (server) → cart AddItem (server, ERROR, http.status_code=500)
 *   B  cart ListItems (server, 250 ms)
 *   C  id with leading zeros: payment Charge (client) whose parent span is not stored (orphan)
 *   D  an hour before the others: frontend GET /old (server)
 */
const NOW = Date.now() * 1000;
const START = NOW - 5 * 60 * 1e6;
const TA = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const TB = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const TC = '00000000000000000000000000c0ffee';
const TD = 'dddddddddddddddddddddddddddddddd';
const MISSING = '12345678901234567890123456789012';

const frontend = makeResource('frontend', [
  { key: 'host.name', type: ValueType.String, value: 'fe-1' },
]);
const cart = makeResource('cart');
const payment = makeResource('payment');
const scope = makeScope('http', '1.0.0');

function spans(): Span[] {
  return [
    makeSpan({
      traceId: TA,
      spanId: 'a000000000000001',
      name: 'GET /checkout',
      kind: SpanKind.Server,
      startTime: START,
      duration: 50_000,
      resource: frontend,
      scope,
    }),
    makeSpan({
      traceId: TA,
      spanId: 'a000000000000002',
      parentSpanId: 'a000000000000001',
      name: 'AddItem',
      kind: SpanKind.Server,
      startTime: START + 1000,
      duration: 20_000,
      statusCode: StatusCode.Error,
      statusMessage: 'out of stock',
      attributes: [{ key: 'http.status_code', type: ValueType.Int, value: 500 }],
      events: [
        {
          time: START + 2000,
          name: 'exception',
          attributes: [{ key: 'exception.message', type: ValueType.String, value: 'nope' }],
          droppedAttributesCount: 0,
        },
      ],
      resource: cart,
      scope,
    }),
    makeSpan({
      traceId: TB,
      spanId: 'b000000000000001',
      name: 'ListItems',
      kind: SpanKind.Server,
      startTime: START + 10_000_000,
      duration: 250_000,
      attributes: [{ key: 'http.status_code', type: ValueType.Int, value: 200 }],
      resource: cart,
      scope,
    }),
    makeSpan({
      traceId: TC,
      spanId: 'c000000000000002',
      parentSpanId: 'c000000000000001',
      name: 'Charge',
      kind: SpanKind.Client,
      startTime: START + 20_000_000,
      duration: 3000,
      resource: payment,
      scope,
    }),
    makeSpan({
      traceId: TD,
      spanId: 'd000000000000001',
      name: 'GET /old',
      kind: SpanKind.Server,
      startTime: START - 3600 * 1e6,
      duration: 1000,
      resource: frontend,
      scope,
    }),
  ];
}

let storage: DuckDbStorage;
let app: FastifyInstance;

before(async () => {
  storage = new DuckDbStorage({ path: ':memory:' });
  await storage.open();
  await storage.write(spans());
  app = await createQueryApp({ reader: storage, logger: false, defaultLimit: 20, maxLimit: 100 });
});

after(async () => {
  await app.close();
  await storage.close();
});

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() as T };
}

type TracesEnvelope = JaegerEnvelope<JaegerTrace[]>;
const ids = (body: TracesEnvelope) => body.data.map((t) => t.traceID).sort();
const q = (params: Record<string, string | string[]>) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const value of Array.isArray(v) ? v : [v]) search.append(k, value);
  }
  return search.toString();
};

/** Asserts a legacy 400 whose single error names the parameter. */
async function assertLegacy400(url: string, parameter: string): Promise<void> {
  const { status, body } = await get<JaegerEnvelope<null>>(url);
  assert.equal(status, 400, url);
  assert.equal(body.data, null);
  assert.equal(body.errors?.length, 1);
  assert.equal(body.errors?.[0].code, 400);
  assert.match(body.errors?.[0].msg ?? '', new RegExp(`parameter "${parameter}"`));
}

describe('Jaeger legacy API', () => {
  test('GET /api/services lists services sorted, in the envelope', async () => {
    const { status, body } = await get<JaegerEnvelope<string[]>>('/api/services');
    assert.equal(status, 200);
    assert.deepEqual(body, {
      data: ['cart', 'frontend', 'payment'],
      total: 3,
      limit: 0,
      offset: 0,
      errors: null,
    });
  });

  test('GET /api/services/:service/operations lists operation names', async () => {
    const { body } = await get<JaegerEnvelope<string[]>>('/api/services/cart/operations');
    assert.deepEqual(body.data, ['AddItem', 'ListItems']);
  });

  test('service names longer than 100 characters work in the path', async () => {
    const { status, body } = await get<JaegerEnvelope<string[]>>(
      `/api/services/${'x'.repeat(300)}/operations`,
    );
    assert.equal(status, 200);
    assert.deepEqual(body.data, []);
  });

  test('GET /api/operations filters by span kind and requires service', async () => {
    const all = await get<JaegerEnvelope<{ name: string; spanKind: string }[]>>(
      '/api/operations?service=frontend',
    );
    assert.deepEqual(all.body.data, [
      { name: 'GET /checkout', spanKind: 'server' },
      { name: 'GET /old', spanKind: 'server' },
    ]);
    const clients = await get<JaegerEnvelope<unknown[]>>(
      '/api/operations?service=payment&spanKind=server',
    );
    assert.deepEqual(clients.body.data, []);
    await assertLegacy400('/api/operations', 'service');
    await assertLegacy400('/api/operations?service=cart&spanKind=sever', 'spanKind');
  });

  test('GET /api/traces searches one service, by operation, tags and duration', async () => {
    const byService = await get<TracesEnvelope>(
      `/api/traces?${q({ service: 'cart', lookback: '1h' })}`,
    );
    assert.equal(byService.status, 200);
    assert.deepEqual(ids(byService.body), [TA, TB]);
    // Whole traces come back, not only the matching span.
    const a = byService.body.data.find((t) => t.traceID === TA)!;
    assert.equal(a.spans.length, 2);
    assert.deepEqual(
      Object.values(a.processes)
        .map((p) => p.serviceName)
        .sort(),
      ['cart', 'frontend'],
    );

    const byOperation = await get<TracesEnvelope>(
      `/api/traces?${q({ service: 'cart', operation: 'ListItems' })}`,
    );
    assert.deepEqual(ids(byOperation.body), [TB]);

    const byJsonTags = await get<TracesEnvelope>(
      `/api/traces?${q({ service: 'cart', tags: '{"http.status_code":"500"}' })}`,
    );
    assert.deepEqual(ids(byJsonTags.body), [TA]);

    const byTag = await get<TracesEnvelope>(
      `/api/traces?${q({ service: 'cart', tag: 'error:true' })}`,
    );
    assert.deepEqual(ids(byTag.body), [TA]);

    const slow = await get<TracesEnvelope>(
      `/api/traces?${q({ service: 'cart', minDuration: '100ms' })}`,
    );
    assert.deepEqual(ids(slow.body), [TB]);
    const fast = await get<TracesEnvelope>(
      `/api/traces?${q({ service: 'cart', maxDuration: '100ms' })}`,
    );
    assert.deepEqual(ids(fast.body), [TA]);
  });

  test('GET /api/traces without service searches every service; limit and window apply', async () => {
    const all = await get<TracesEnvelope>('/api/traces?lookback=1h');
    assert.deepEqual(ids(all.body), [TC, TA, TB].sort());
    const wide = await get<TracesEnvelope>('/api/traces?lookback=2h');
    assert.deepEqual(ids(wide.body), [TC, TA, TB, TD].sort());
    const limited = await get<TracesEnvelope>('/api/traces?lookback=2h&limit=2');
    assert.equal(limited.body.data.length, 2);
    const window = await get<TracesEnvelope>(
      `/api/traces?${q({ start: String(START - 3600 * 1e6 - 1), end: String(START - 1), lookback: 'custom' })}`,
    );
    assert.deepEqual(ids(window.body), [TD]);
  });

  test('GET /api/traces finding nothing is a 200 with empty data', async () => {
    const { status, body } = await get<TracesEnvelope>('/api/traces?service=nobody');
    assert.equal(status, 200);
    assert.deepEqual(body, { data: [], total: 0, limit: 0, offset: 0, errors: null });
  });

  test('GET /api/traces rejects bad parameters with a 400 naming them', async () => {
    await assertLegacy400('/api/traces?minDuration=10', 'minDuration');
    await assertLegacy400('/api/traces?minDuration=2s&maxDuration=1s', 'maxDuration');
    await assertLegacy400('/api/traces?tags=notjson', 'tags');
    await assertLegacy400('/api/traces?tag=novalue', 'tag');
    await assertLegacy400('/api/traces?start=yesterday', 'start');
    await assertLegacy400('/api/traces?lookback=1d', 'lookback');
    await assertLegacy400('/api/traces?limit=-1', 'limit');
    await assertLegacy400('/api/traces?traceID=zz', 'traceID');
  });

  test('GET /api/traces?traceID=… returns exactly those traces and reports missing ones', async () => {
    const { status, body } = await get<TracesEnvelope>(
      `/api/traces?${q({ traceID: [TA, 'C0FFEE', MISSING], service: 'nobody' })}`,
    );
    assert.equal(status, 200);
    assert.deepEqual(ids(body), [TC, TA].sort());
    assert.deepEqual(body.errors, [{ code: 404, msg: 'trace not found', traceID: MISSING }]);
  });

  test('GET /api/traces/:traceID maps the trace the Jaeger way', async () => {
    const { status, body } = await get<TracesEnvelope>(`/api/traces/${TA.toUpperCase()}`);
    assert.equal(status, 200);
    assert.equal(body.errors, null);
    const trace = body.data[0];
    assert.equal(trace.traceID, TA);
    const child = trace.spans.find((s) => s.spanID === 'a000000000000002')!;
    assert.deepEqual(child.references, [
      { refType: 'CHILD_OF', traceID: TA, spanID: 'a000000000000001' },
    ]);
    assert.equal(child.startTime, START + 1000);
    assert.equal(child.duration, 20_000);
    assert.deepEqual(child.tags, [
      { key: 'otel.scope.name', type: 'string', value: 'http' },
      { key: 'otel.scope.version', type: 'string', value: '1.0.0' },
      { key: 'http.status_code', type: 'int64', value: 500 },
      { key: 'span.kind', type: 'string', value: 'server' },
      { key: 'otel.status_code', type: 'string', value: 'ERROR' },
      { key: 'error', type: 'bool', value: true },
      { key: 'otel.status_description', type: 'string', value: 'out of stock' },
    ]);
    assert.deepEqual(child.logs, [
      {
        timestamp: START + 2000,
        fields: [
          { key: 'event', type: 'string', value: 'exception' },
          { key: 'exception.message', type: 'string', value: 'nope' },
        ],
      },
    ]);
    const root = trace.spans.find((s) => s.spanID === 'a000000000000001')!;
    assert.deepEqual(trace.processes[root.processID], {
      serviceName: 'frontend',
      tags: [{ key: 'host.name', type: 'string', value: 'fe-1' }],
    });
  });

  test('GET /api/traces/:traceID pads short ids, takes a µs range, 404s unknown ones', async () => {
    const short = await get<TracesEnvelope>('/api/traces/c0ffee');
    assert.equal(short.status, 200);
    assert.equal(short.body.data[0].traceID, TC);
    const ranged = await get<TracesEnvelope>(`/api/traces/${TB}?start=${START}&end=${NOW}`);
    assert.equal(ranged.status, 200);
    const missing = await get<JaegerEnvelope<null>>(`/api/traces/${MISSING}`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, {
      data: null,
      total: 0,
      limit: 0,
      offset: 0,
      errors: [{ code: 404, msg: 'trace not found' }],
    });
    await assertLegacy400('/api/traces/not-hex', 'traceID');
    await assertLegacy400(`/api/traces/${TA}?start=later`, 'start');
  });

  test('GET /api/dependencies counts cross-service calls in the window (ms)', async () => {
    const url = `/api/dependencies?endTs=${Math.ceil(NOW / 1000)}&lookback=${3600 * 1000}`;
    const { status, body } = await get<JaegerEnvelope<unknown[]>>(url);
    assert.equal(status, 200);
    assert.deepEqual(body.data, [{ parent: 'frontend', child: 'cart', callCount: 1 }]);
    const before = await get<JaegerEnvelope<unknown[]>>(
      `/api/dependencies?endTs=${Math.floor(START / 1000) - 1}&lookback=1000`,
    );
    assert.deepEqual(before.body.data, []);
    await assertLegacy400('/api/dependencies?endTs=soon', 'endTs');
    await assertLegacy400('/api/dependencies?lookback=0', 'lookback');
  });

  test('POST /api/transform turns OTLP JSON into Jaeger UI traces (text/plain as Jaeger UI sends it, or no Content-Type)', async () => {
    const otlp = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'uploaded' } }] },
          scopeSpans: [
            {
              scope: { name: 'lib' },
              spans: [
                {
                  traceId: '83a9efd15c1c98a977e0711cc93ee28b',
                  spanId: 'e127af99e3b3e074',
                  parentSpanId: '909541b92cf05311',
                  name: 'okey-dokey-0',
                  kind: 2,
                  startTimeUnixNano: '1706678909209712000',
                  endTimeUnixNano: '1706678909209835000',
                  attributes: [{ key: 'peer.service', value: { stringValue: 'client' } }],
                  status: {},
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await app.inject({
      method: 'POST',
      url: '/api/transform',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      payload: JSON.stringify(otlp),
    });
    assert.equal(res.statusCode, 200);
    const body = res.json() as TracesEnvelope;
    assert.equal(body.errors, null);
    assert.deepEqual(body.data, [
      {
        traceID: '83a9efd15c1c98a977e0711cc93ee28b',
        spans: [
          {
            traceID: '83a9efd15c1c98a977e0711cc93ee28b',
            spanID: 'e127af99e3b3e074',
            flags: 0,
            operationName: 'okey-dokey-0',
            references: [
              {
                refType: 'CHILD_OF',
                traceID: '83a9efd15c1c98a977e0711cc93ee28b',
                spanID: '909541b92cf05311',
              },
            ],
            startTime: 1706678909209712,
            duration: 123,
            tags: [
              { key: 'otel.scope.name', type: 'string', value: 'lib' },
              { key: 'peer.service', type: 'string', value: 'client' },
              { key: 'span.kind', type: 'string', value: 'server' },
            ],
            logs: [],
            processID: 'p1',
            warnings: null,
          },
        ],
        processes: { p1: { serviceName: 'uploaded', tags: [] } },
        warnings: null,
      },
    ]);

    // Uploaded trace files are often larger than Fastify's default 1 MiB body limit.
    const large = await app.inject({
      method: 'POST',
      url: '/api/transform',
      payload: JSON.stringify({ ...otlp, padding: 'x'.repeat(3 * 1024 * 1024) }),
    });
    assert.equal(large.statusCode, 200);
    assert.equal((large.json() as TracesEnvelope).data.length, 1);

    const bad = await app.inject({
      method: 'POST',
      url: '/api/transform',
      payload: '{"resourceSpans": 3',
    });
    assert.equal(bad.statusCode, 400);
    assert.equal((bad.json() as JaegerEnvelope<null>).errors?.[0].code, 400);
    const wrongShape = await app.inject({
      method: 'POST',
      url: '/api/transform',
      headers: { 'content-type': 'application/json' },
      payload: '{"resourceSpans": 3}',
    });
    assert.equal(wrongShape.statusCode, 400);
    assert.match(
      (wrongShape.json() as JaegerEnvelope<null>).errors?.[0].msg ?? '',
      /resourceSpans/,
    );
  });

  test('unknown routes are 404s with the route-not-found message', async () => {
    const { status, body } = await get<JaegerEnvelope<null>>('/api/nothing?x=1');
    assert.equal(status, 404);
    assert.deepEqual(body.errors, [
      {
        code: 404,
        msg: 'no endpoint GET /api/nothing; see docs/api.md for the endpoints Skein serves',
      },
    ]);
  });
});

type ApiV3Error = { error: { httpCode: number; message: string } };

async function assertV3400(url: string, parameter: string): Promise<void> {
  const { status, body } = await get<ApiV3Error>(url);
  assert.equal(status, 400, url);
  assert.equal(body.error.httpCode, 400);
  assert.match(body.error.message, new RegExp(`parameter "${parameter.replace(/\./g, '\\.')}"`));
}

const spanIdsOf = (data: OtlpTracesData) =>
  data.resourceSpans
    .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => s.spanId)))
    .sort();

describe('Jaeger api_v3', () => {
  test('GET /api/v3/services and /api/v3/operations', async () => {
    const services = await get<{ services: string[] }>('/api/v3/services');
    assert.deepEqual(services.body, { services: ['cart', 'frontend', 'payment'] });
    const ops = await get<{ operations: unknown[] }>('/api/v3/operations?service=payment');
    assert.deepEqual(ops.body, { operations: [{ name: 'Charge', spanKind: 'client' }] });
    const servers = await get<{ operations: unknown[] }>(
      '/api/v3/operations?service=payment&span_kind=server',
    );
    assert.deepEqual(servers.body, { operations: [] });
    await assertV3400('/api/v3/operations', 'service');
  });

  test('GET /api/v3/traces returns OTLP JSON under result', async () => {
    const min = new Date((START - 1e6) / 1000).toISOString();
    const max = new Date(NOW / 1000 + 1000).toISOString();
    const snake = await get<{ result: OtlpTracesData }>(
      `/api/v3/traces?${q({
        'query.service_name': 'cart',
        'query.attributes': '{"http.status_code":"500"}',
        'query.start_time_min': min,
        'query.start_time_max': max,
        'query.search_depth': '10',
        'query.raw_traces': 'true',
      })}`,
    );
    assert.equal(snake.status, 200);
    assert.deepEqual(spanIdsOf(snake.body.result), ['a000000000000001', 'a000000000000002']);
    const span = snake.body.result.resourceSpans
      .flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans))
      .find((s) => s.spanId === 'a000000000000002')!;
    assert.equal(span.startTimeUnixNano, `${START + 1000}000`);
    assert.deepEqual(span.status, { code: 2, message: 'out of stock' });
    assert.deepEqual(span.attributes, [{ key: 'http.status_code', value: { intValue: '500' } }]);

    const camel = await get<{ result: OtlpTracesData }>(
      `/api/v3/traces?${q({ 'query.serviceName': 'cart', 'query.durationMin': '100ms', 'query.startTimeMin': min })}`,
    );
    assert.deepEqual(spanIdsOf(camel.body.result), ['b000000000000001']);
  });

  test('GET /api/v3/traces finding nothing is a 200 with no resourceSpans', async () => {
    const none = await get<{ result: OtlpTracesData }>('/api/v3/traces?query.service_name=nobody');
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, { result: { resourceSpans: [] } });
  });

  test('GET /api/v3/traces rejects bad parameters in the api_v3 error shape', async () => {
    await assertV3400('/api/v3/traces?query.start_time_min=yesterday', 'query.start_time_min');
    await assertV3400('/api/v3/traces?query.duration_min=5', 'query.duration_min');
    await assertV3400(
      '/api/v3/traces?query.durationMin=2s&query.durationMax=1s',
      'query.durationMax',
    );
    await assertV3400('/api/v3/traces?query.attributes=%5B%5D', 'query.attributes');
    await assertV3400('/api/v3/traces?query.search_depth=many', 'query.search_depth');
    await assertV3400('/api/v3/traces?query.raw_traces=maybe', 'query.raw_traces');
    await assertV3400(
      '/api/v3/traces?query.start_time_min=2026-01-02T00:00:00Z&query.start_time_max=2026-01-01T00:00:00Z',
      'query.start_time_min',
    );
  });

  test('GET /api/v3/traces/:traceId returns one trace, 404s in the api_v3 shape', async () => {
    const found = await get<{ result: OtlpTracesData }>(`/api/v3/traces/${TA.toUpperCase()}`);
    assert.equal(found.status, 200);
    assert.deepEqual(spanIdsOf(found.body.result), ['a000000000000001', 'a000000000000002']);
    assert.deepEqual(
      found.body.result.resourceSpans
        .map((rs) => (rs.resource.attributes[0].value as { stringValue: string }).stringValue)
        .sort(),
      ['cart', 'frontend'],
    );
    const ranged = await get<{ result: OtlpTracesData }>(
      `/api/v3/traces/c0ffee?${q({ start_time: new Date(START / 1000).toISOString(), end_time: new Date(NOW / 1000).toISOString() })}`,
    );
    assert.deepEqual(spanIdsOf(ranged.body.result), ['c000000000000002']);
    const missing = await get<ApiV3Error>(`/api/v3/traces/${MISSING}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.httpCode, 404);
    assert.match(missing.body.error.message, new RegExp(`trace ${MISSING} not found`));
    await assertV3400('/api/v3/traces/nothex', 'trace_id');
    await assertV3400(`/api/v3/traces/${TA}?start_time=noon`, 'start_time');
  });

  test('GET /api/v3/traces/:traceId round-trips through the OTLP JSON decoder to the written spans', async () => {
    const { body } = await get<{ result: OtlpTracesData }>(`/api/v3/traces/${TA}`);
    const decoded = decodeOtlpJson(body.result);
    assert.equal(decoded.rejectedSpans, 0);
    const bySpanId = (a: Span, b: Span) => (a.spanId < b.spanId ? -1 : 1);
    const written = spans()
      .filter((s) => s.traceId === TA)
      .sort(bySpanId);
    assert.deepEqual(decoded.spans.sort(bySpanId), written);
  });

  test('GET /api/v3/trace-summaries summarizes each trace with Skein and Jaeger fields', async () => {
    const { status, body } = await get<{ summaries: TraceSummary[] }>(
      `/api/v3/trace-summaries?${q({ 'query.startTimeMin': new Date((START - 1e6) / 1000).toISOString() })}`,
    );
    assert.equal(status, 200);
    const byId = new Map(body.summaries.map((s) => [s.traceId, s]));
    assert.deepEqual([...byId.keys()].sort(), [TC, TA, TB].sort());
    assert.deepEqual(byId.get(TA), {
      traceId: TA,
      rootService: 'frontend',
      rootOperation: 'GET /checkout',
      startTime: START,
      duration: 50_000,
      spanCount: 2,
      errorCount: 1,
      orphanCount: 0,
      services: [
        { name: 'cart', spanCount: 1, errorSpanCount: 1 },
        { name: 'frontend', spanCount: 1, errorSpanCount: 0 },
      ],
      rootServiceName: 'frontend',
      rootOperationName: 'GET /checkout',
      minStartTimeUnixNano: `${START}000`,
      maxEndTimeUnixNano: `${START + 50_000}000`,
      errorSpanCount: 1,
      orphanSpanCount: 0,
    });
    const orphan = byId.get(TC)!;
    assert.equal(orphan.orphanCount, 1);
    assert.equal(orphan.rootService, '');
    await assertV3400('/api/v3/trace-summaries?query.searchDepth=0', 'query.searchDepth');
  });

  test('unknown api_v3 routes are 404s in the api_v3 shape', async () => {
    const { status, body } = await get<ApiV3Error>('/api/v3/nothing');
    assert.equal(status, 404);
    assert.deepEqual(body, {
      error: {
        httpCode: 404,
        message: 'no endpoint GET /api/v3/nothing; see docs/api.md for the endpoints Skein serves',
      },
    });
  });
});

describe('storage failures', () => {
  test('are 500s in the error shape of the route, logged once with their cause', async () => {
    const closed = new DuckDbStorage({ path: ':memory:' });
    await closed.open();
    await closed.close();
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const failing = await createQueryApp({
      reader: closed,
      logger: pino({ level: 'info' }, sink),
      defaultLimit: 20,
      maxLimit: 100,
    });
    try {
      const legacy = await failing.inject({ method: 'GET', url: '/api/services' });
      assert.equal(legacy.statusCode, 500);
      const body = legacy.json() as JaegerEnvelope<null>;
      assert.equal(body.data, null);
      assert.equal(body.errors?.[0].code, 500);
      // The code and where to look, never the backend's own text.
      assert.match(body.errors?.[0].msg ?? '', /^SKEIN_STORAGE_ERROR: .*server log/);
      assert.doesNotMatch(body.errors?.[0].msg ?? '', /closed/);
      const v3 = await failing.inject({ method: 'GET', url: '/api/v3/services' });
      assert.equal(v3.statusCode, 500);
      assert.equal((v3.json() as ApiV3Error).error.httpCode, 500);
      const logged = lines.map((l) => JSON.parse(l) as { msg: string; err?: { code?: string } });
      assert.deepEqual(
        logged.map((l) => [l.msg, l.err?.code]),
        [
          ['query API request failed', 'SKEIN_STORAGE_ERROR'],
          ['query API request failed', 'SKEIN_STORAGE_ERROR'],
        ],
      );
    } finally {
      await failing.close();
    }
  });
});
