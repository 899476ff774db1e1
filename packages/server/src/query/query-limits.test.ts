import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { ValueType } from '../model/span.ts';
import type { Span } from '../model/span.ts';
import { loadConfig } from '../config/load-config.ts';
import { DuckDbStorage } from '../storage/duckdb/duckdb-storage.ts';
import type { JaegerEnvelope, JaegerTrace } from './jaeger/jaeger-json.ts';
import { createQueryApp } from './query-app.ts';
import { QueryGate } from './query-gate.ts';
import { makeResource, makeScope, makeSpan } from './test-support/span-builders.ts';
import type { ApiV3Error } from './v3/api-v3-routes.ts';
import { ZipkinQueryApi } from './zipkin/zipkin-query-api.ts';

/*
 * The query API's limits against a real in-memory DuckDB store: one big trace (3,000
 * spans, ~1.3 MB of Jaeger JSON), 60 small ones (~12 KB each), an answer limit of
 * 256 KiB, and a gate of one running query and one waiting.
 */
const NOW = Date.now() * 1000;
const BIG = 'b1'.repeat(16);
const MAX_RESPONSE = 256 * 1024;
const MAX_TRANSFORM = 64 * 1024;
const resource = makeResource('shop');
const scope = makeScope();

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function spansOf(traceId: string, count: number, start: number): Span[] {
  const out: Span[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      makeSpan({
        traceId,
        spanId: hex(i + 1, 16),
        parentSpanId: i === 0 ? '' : hex(1, 16),
        name: 'GET /items/{id}',
        startTime: start + i,
        duration: 1000,
        attributes: [
          { key: 'http.url', type: ValueType.String, value: 'https://shop.example/items/' + i },
          { key: 'note', type: ValueType.String, value: 'x'.repeat(200) },
        ],
        resource,
        scope,
      }),
    );
  }
  return out;
}

let storage: DuckDbStorage;
let app: FastifyInstance;
let gate: QueryGate;
const small: string[] = [];

before(async () => {
  storage = new DuckDbStorage({ path: ':memory:' });
  await storage.open();
  await storage.write(spansOf(BIG, 3000, NOW - 60e6));
  for (let t = 0; t < 60; t++) {
    const id = hex(t + 1, 32);
    small.push(id);
    await storage.write(spansOf(id, 30, NOW - 30e6 + t * 1000));
  }
  gate = new QueryGate({ maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 60_000 });
  app = await createQueryApp({
    reader: storage,
    logger: false,
    defaultLimit: 20,
    maxLimit: 1500,
    gate,
    maxResponseBytes: MAX_RESPONSE,
    maxTransformBodyBytes: MAX_TRANSFORM,
  });
});

after(async () => {
  await app.close();
  await storage.close();
});

type TracesEnvelope = JaegerEnvelope<JaegerTrace[]>;

describe('answer size (query.maxResponseBytes)', () => {
  test('a normal trace is answered whole, spans in start order', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/traces/${small[0]}` });
    assert.equal(res.statusCode, 200);
    const body = res.json() as TracesEnvelope;
    assert.equal(body.data[0].spans.length, 30);
    const starts = body.data[0].spans.map((s) => s.startTime);
    assert.deepEqual(
      starts,
      [...starts].sort((a, b) => a - b),
    );
  });

  test('a trace over the limit is a 413 with its code, on both APIs', async () => {
    const legacy = await app.inject({ method: 'GET', url: `/api/traces/${BIG}` });
    assert.equal(legacy.statusCode, 413);
    const msg = (legacy.json() as JaegerEnvelope<null>).errors?.[0].msg ?? '';
    assert.match(msg, new RegExp(`trace ${BIG} is over the answer limit of ${MAX_RESPONSE} bytes`));
    assert.match(msg, /query\.maxResponseBytes/);
    const v3 = await app.inject({ method: 'GET', url: `/api/v3/traces/${BIG}` });
    assert.equal(v3.statusCode, 413);
    assert.equal((v3.json() as ApiV3Error).error.httpCode, 413);
  });

  test('traceID= lists keep what fits and report the rest', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/traces?traceID=${small[1]}&traceID=${BIG}&traceID=${small[2]}`,
    });
    assert.equal(res.statusCode, 200);
    const body = res.json() as TracesEnvelope;
    assert.deepEqual(
      body.data.map((t) => t.traceID),
      [small[1]],
    );
    assert.ok(body.errors?.some((e) => e.code === 413));
  });

  test('a search with a huge limit answers the newest traces that fit, under the limit', async () => {
    const end = NOW + 1e6;
    const res = await app.inject({
      method: 'GET',
      url: `/api/traces?service=shop&start=${NOW - 3600e6}&end=${end}&limit=1000000000`,
    });
    assert.equal(res.statusCode, 200);
    assert.ok(res.rawPayload.length <= MAX_RESPONSE, `${res.rawPayload.length} bytes`);
    const body = res.json() as TracesEnvelope;
    assert.ok(body.data.length > 0 && body.data.length < 61, `${body.data.length} traces`);
    // Most recent first: the last small traces written.
    assert.equal(body.data[0].traceID, small[small.length - 1]);
    assert.equal(body.total, body.data.length);
    const note = body.errors?.find((e) => e.code === 413);
    assert.match(note?.msg ?? '', /left out.*query\.maxResponseBytes/);
  });

  test('a search that fits is answered whole, without errors', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/api/traces?service=shop&start=${NOW - 40e6}&end=${NOW + 1e6}&limit=3`,
    });
    assert.equal(res.statusCode, 200);
    const body = res.json() as TracesEnvelope;
    assert.equal(body.data.length, 3);
    assert.equal(body.errors, null);
  });
});

describe("Zipkin's read API under the same budget", () => {
  test('a trace over it is 413; traceMany and searches answer what fits', async () => {
    const zipkin = new ZipkinQueryApi({
      reader: storage,
      autocompleteKeys: [],
      lookbackMs: 3_600_000,
      maxLimit: 1000,
      maxResponseBytes: MAX_RESPONSE,
    });
    const none = new URLSearchParams();
    const big = await zipkin.handle('', `/api/v2/trace/${BIG}`, none);
    assert.equal(big.statusCode, 413);
    assert.match(big.body, /query\.maxResponseBytes/);
    const many = await zipkin.handle(
      '',
      '/api/v2/traceMany',
      new URLSearchParams({ traceIds: `${small[5]},${BIG},${small[6]}` }),
    );
    assert.equal(many.statusCode, 200);
    assert.equal((JSON.parse(many.body) as unknown[]).length, 1);
    const search = await zipkin.handle(
      '',
      '/api/v2/traces',
      new URLSearchParams({ serviceName: 'shop', limit: '1000' }),
    );
    assert.equal(search.statusCode, 200);
    const found = JSON.parse(search.body) as unknown[];
    assert.ok(found.length > 0 && found.length < 61, `${found.length} traces`);
    assert.ok(search.body.length < MAX_RESPONSE * 1.5, `${search.body.length} bytes`);
  });
});

/** Resolves once no query holds a turn (a response's close event is asynchronous). */
async function eventuallyIdle(): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (gate.active !== 0) {
    assert.ok(Date.now() < deadline, `${gate.active} turns still held`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('heavy query admission (query.maxConcurrentQueries)', () => {
  test('past the running and waiting queries, a 503 with Retry-After; the waiting one is answered', async () => {
    let release!: () => void;
    const held = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    // Waits behind the held turn (the one queue place).
    const waiting = app.inject({ method: 'GET', url: `/api/traces/${small[3]}` });
    await new Promise<void>((resolve) => {
      const poll = () => (gate.waiting === 1 ? resolve() : setImmediate(poll));
      poll();
    });
    // A transform is refused before its body is read.
    const transform = await app.inject({
      method: 'POST',
      url: '/api/transform',
      headers: { 'content-type': 'application/json' },
      payload: '{"resourceSpans":[]}',
    });
    assert.equal(transform.statusCode, 503);
    const refused = await app.inject({ method: 'GET', url: `/api/traces/${small[4]}` });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.headers['retry-after'], '1');
    assert.match(
      (refused.json() as JaegerEnvelope<null>).errors?.[0].msg ?? '',
      /busy.*query\.maxConcurrentQueries/,
    );
    const v3 = await app.inject({ method: 'GET', url: '/api/v3/traces?query.service_name=shop' });
    assert.equal(v3.statusCode, 503);
    // Cheap reads are not gated.
    const services = await app.inject({ method: 'GET', url: '/api/services' });
    assert.equal(services.statusCode, 200);
    release();
    await held;
    const answered = await waiting;
    assert.equal(answered.statusCode, 200);
    assert.equal(gate.active, 0);
    // A transform gives its turn back once answered, whether it succeeded or not.
    for (const payload of ['{"resourceSpans":[]}', '{"resourceSpans": 3']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/transform',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      assert.ok(res.statusCode === 200 || res.statusCode === 400, String(res.statusCode));
      await eventuallyIdle();
    }
  });
});

describe('POST /api/transform limits', () => {
  const otlp = (name: string) =>
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'up' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '83a9efd15c1c98a977e0711cc93ee28b',
                  spanId: 'e127af99e3b3e074',
                  name,
                  kind: 2,
                  startTimeUnixNano: '1706678909209712000',
                  endTimeUnixNano: '1706678909209835000',
                },
              ],
            },
          ],
        },
      ],
    });
  const names = (res: { json(): unknown }) =>
    (res.json() as TracesEnvelope).data.map((t) => t.spans[0].operationName);

  test('JSON, text/plain and no Content-Type are taken; other types are 415 naming what to send', async () => {
    for (const type of ['application/json', 'text/plain;charset=UTF-8']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/transform',
        headers: { 'content-type': type },
        payload: otlp('typed'),
      });
      assert.equal(res.statusCode, 200, type);
      assert.deepEqual(names(res), ['typed']);
    }
    const xml = await app.inject({
      method: 'POST',
      url: '/api/transform',
      headers: { 'content-type': 'application/xml' },
      payload: otlp('x'),
    });
    assert.equal(xml.statusCode, 415);
    assert.match(
      (xml.json() as JaegerEnvelope<null>).errors?.[0].msg ?? '',
      /"application\/xml" is not supported here; send one of: application\/json/,
    );
  });

  test('gzip and deflate bodies are decoded; other encodings are 415', async () => {
    for (const [encoding, body] of [
      ['gzip', gzipSync(otlp('gz'))],
      ['deflate', deflateSync(otlp('gz'))],
    ] as const) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/transform',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        payload: body,
      });
      assert.equal(res.statusCode, 200, encoding);
      assert.deepEqual(names(res), ['gz']);
    }
    const br = await app.inject({
      method: 'POST',
      url: '/api/transform',
      headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
      payload: otlp('br'),
    });
    assert.equal(br.statusCode, 415);
  });

  test('bodies over query.maxTransformBodyBytes are 413, also once decompressed', async () => {
    const big = otlp('y'.repeat(MAX_TRANSFORM));
    const plain = await app.inject({
      method: 'POST',
      url: '/api/transform',
      headers: { 'content-type': 'application/json' },
      payload: big,
    });
    assert.equal(plain.statusCode, 413);
    assert.match(
      (plain.json() as JaegerEnvelope<null>).errors?.[0].msg ?? '',
      /query\.maxTransformBodyBytes/,
    );
    // A few KB of gzip that inflate past the limit.
    const bomb = gzipSync(big);
    assert.ok(bomb.length < MAX_TRANSFORM);
    const zipped = await app.inject({
      method: 'POST',
      url: '/api/transform',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: bomb,
    });
    assert.equal(zipped.statusCode, 413);
  });
});

test('the query limits are settings, checked at load', () => {
  const config = loadConfig({
    overrides: {
      'query.maxConcurrentQueries': '2',
      'query.maxQueuedQueries': '0',
      'query.maxResponseBytes': '1048576',
    },
  });
  assert.equal(config.query.maxConcurrentQueries, 2);
  assert.equal(config.query.maxQueuedQueries, 0);
  assert.equal(config.query.maxResponseBytes, 1048576);
  for (const [key, value] of [
    ['query.maxConcurrentQueries', '0'],
    ['query.maxQueuedQueries', '-1'],
    ['query.queueTimeoutMs', '0'],
    ['query.maxResponseBytes', '0'],
    ['query.maxTransformBodyBytes', '1.5'],
  ]) {
    assert.throws(
      () => loadConfig({ overrides: { [key]: value } }),
      new RegExp(key.replace('.', '\\.')),
      key,
    );
  }
});
