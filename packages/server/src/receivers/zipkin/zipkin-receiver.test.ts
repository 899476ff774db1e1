import { request as httpRequest } from 'node:http';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  SpanKind as OtelKind,
  SpanStatusCode,
  context,
  trace as otelTrace,
} from '@opentelemetry/api';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { FastifyInstance } from 'fastify';
import { startIngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import type { IngestHarness } from '../../pipeline/test-support/ingest-harness.ts';
import type { JaegerKeyValue, JaegerSpan, JaegerTrace } from '../../query/jaeger/jaeger-json.ts';
import { createQueryApp } from '../../query/query-app.ts';
import type { ZipkinSpan } from '../../query/zipkin/zipkin-json.ts';
import { startReceiver } from '../test-support/started-receiver.ts';
import {
  encodeZipkinProtoReference,
  v1JsonPayload,
  v1ThriftPayload,
} from './test-support/zipkin-payloads.ts';
import { sendZipkinJsTrace } from './test-support/zipkin-js-trace.ts';
import type { ZipkinJsTrace } from './test-support/zipkin-js-trace.ts';
import { sharedServerSpanId } from './zipkin-conventions.ts';
import { ZipkinReceiver } from './zipkin-receiver.ts';

let h: IngestHarness;
let receiver: ZipkinReceiver;
let base: string;
let query: FastifyInstance;

before(async () => {
  h = await startIngestHarness((c) => {
    c.receivers.zipkin = {
      ...c.receivers.zipkin,
      host: '127.0.0.1',
      port: 0,
      autocompleteKeys: 'http.path, retries',
    };
  });
  receiver = new ZipkinReceiver(h.config, h.pipeline, h.metrics, h.logger, h.storage);
  const { port } = await receiver.start();
  base = `http://127.0.0.1:${port}`;
  query = await createQueryApp({ reader: h.storage, defaultLimit: 20, maxLimit: 1500 });
});

after(async () => {
  await receiver.stop();
  await query.close();
  await h.close();
});

async function jaegerTrace(traceId: string): Promise<JaegerTrace> {
  const res = await query.inject({ method: 'GET', url: `/api/traces/${traceId}` });
  assert.equal(res.statusCode, 200, res.body);
  return (res.json() as { data: JaegerTrace[] }).data[0];
}

async function v3Spans(traceId: string): Promise<any[]> {
  const res = await query.inject({ method: 'GET', url: `/api/v3/traces/${traceId}` });
  assert.equal(res.statusCode, 200, res.body);
  const out: any[] = [];
  for (const rs of res.json().result.resourceSpans) {
    for (const ss of rs.scopeSpans)
      for (const s of ss.spans) out.push({ ...s, resource: rs.resource });
  }
  return out;
}

async function zipkinGet(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path);
  const text = await res.text();
  return {
    status: res.status,
    body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text,
  };
}

function tag(span: JaegerSpan, key: string): JaegerKeyValue | undefined {
  return span.tags.find((t) => t.key === key);
}

/** The Zipkin v2 JSON zipkin-js sends for `sendZipkinJsTrace` (what the read API must give back). */
function expectedZipkinJs(sent: ZipkinJsTrace): ZipkinSpan[] {
  return [
    {
      traceId: sent.traceId,
      id: sent.rootId,
      name: 'get /cart',
      kind: 'SERVER',
      timestamp: sent.t0,
      duration: 1000,
      localEndpoint: { serviceName: 'checkout', ipv4: '10.1.2.3', port: 8080 },
      annotations: [{ timestamp: sent.t0 + 10, value: 'cache miss' }],
      tags: { 'http.path': '/cart', retries: '3' },
    },
    {
      traceId: sent.traceId,
      parentId: sent.rootId,
      id: sent.childId,
      name: 'charge card',
      kind: 'CLIENT',
      timestamp: sent.t0 + 100,
      duration: 800,
      localEndpoint: { serviceName: 'checkout' },
      remoteEndpoint: { serviceName: 'payments', ipv4: '10.9.8.7', port: 8443 },
      tags: { error: 'card declined' },
    },
    {
      traceId: sent.traceId,
      parentId: sent.rootId,
      id: sent.childId,
      name: 'charge card',
      kind: 'SERVER',
      timestamp: sent.t0 + 200,
      duration: 500,
      shared: true,
      localEndpoint: { serviceName: 'payments' },
    },
  ];
}

/** Checks the zipkin-js trace through the Jaeger API, api_v3 and the Zipkin read API. */
async function checkZipkinJsTrace(sent: ZipkinJsTrace): Promise<void> {
  const trace = await jaegerTrace(sent.traceId);
  assert.equal(trace.traceID, sent.traceId);
  assert.equal(trace.spans.length, 3);
  const root = trace.spans.find((s) => s.spanID === sent.rootId)!;
  const child = trace.spans.find((s) => s.spanID === sent.childId)!;
  assert.equal(trace.processes[root.processID].serviceName, 'checkout');
  assert.equal(root.operationName, 'get /cart');
  assert.equal(root.startTime, sent.t0);
  assert.equal(root.duration, 1000);
  assert.deepEqual(root.references, []);
  assert.equal(root.flags, 1);
  assert.deepEqual(tag(root, 'http.path'), { key: 'http.path', type: 'string', value: '/cart' });
  assert.deepEqual(tag(root, 'retries'), { key: 'retries', type: 'string', value: '3' });
  assert.deepEqual(tag(root, 'net.host.ip'), {
    key: 'net.host.ip',
    type: 'string',
    value: '10.1.2.3',
  });
  assert.deepEqual(tag(root, 'net.host.port'), {
    key: 'net.host.port',
    type: 'int64',
    value: 8080,
  });
  assert.equal(tag(root, 'span.kind')?.value, 'server');
  assert.equal(tag(root, 'error'), undefined);
  assert.deepEqual(root.logs, [
    { timestamp: sent.t0 + 10, fields: [{ key: 'event', type: 'string', value: 'cache miss' }] },
  ]);
  assert.equal(child.operationName, 'charge card');
  assert.equal(child.startTime, sent.t0 + 100);
  assert.equal(child.duration, 800);
  assert.deepEqual(child.references, [
    { refType: 'CHILD_OF', traceID: sent.traceId, spanID: sent.rootId },
  ]);
  assert.equal(tag(child, 'span.kind')?.value, 'client');
  assert.deepEqual(tag(child, 'error'), { key: 'error', type: 'bool', value: true });
  assert.equal(tag(child, 'otel.status_description')?.value, 'card declined');
  assert.equal(tag(child, 'peer.service')?.value, 'payments');
  assert.equal(tag(child, 'net.peer.ip')?.value, '10.9.8.7');
  assert.equal(tag(child, 'net.peer.port')?.value, 8443);

  // The shared server span gets its own id, with the client span as its parent.
  const shared = trace.spans.find((s) => s.spanID === sharedServerSpanId(sent.childId))!;
  assert.equal(trace.processes[shared.processID].serviceName, 'payments');
  assert.equal(shared.startTime, sent.t0 + 200);
  assert.equal(shared.duration, 500);
  assert.deepEqual(shared.references, [
    { refType: 'CHILD_OF', traceID: sent.traceId, spanID: sent.childId },
  ]);
  assert.equal(tag(shared, 'span.kind')?.value, 'server');

  const v3 = await v3Spans(sent.traceId);
  const v3child = v3.find((s) => s.spanId === sent.childId);
  assert.equal(v3child.parentSpanId, sent.rootId);
  assert.equal(v3child.kind, 3);
  assert.deepEqual(v3child.status, { code: 2, message: 'card declined' });
  assert.ok(
    v3child.resource.attributes.some(
      (a: any) => a.key === 'service.name' && a.value.stringValue === 'checkout',
    ),
  );
  const v3root = v3.find((s) => s.spanId === sent.rootId);
  assert.equal(v3root.kind, 2);
  assert.equal(v3root.events[0].name, 'cache miss');

  const z = await zipkinGet(`/api/v2/trace/${sent.traceId}`);
  assert.equal(z.status, 200);
  assert.deepEqual(z.body, expectedZipkinJs(sent));
}

describe('Zipkin receiver with real clients, read back through the query API and Zipkin API', () => {
  test('zipkin-js, JSON v2 over zipkin-transport-http', async () => {
    const before = h.written.count;
    const sent = await sendZipkinJsTrace(`${base}/api/v2/spans`, 'JSON_V2');
    await h.written.atLeast(before + 3);
    await checkZipkinJsTrace(sent);
  });

  test('zipkin-js, JSON v1 over zipkin-transport-http', async () => {
    const before = h.written.count;
    const sent = await sendZipkinJsTrace(`${base}/api/v1/spans`, 'JSON_V1');
    await h.written.atLeast(before + 3);
    await checkZipkinJsTrace(sent);
  });

  test('@opentelemetry/exporter-zipkin: kinds, every attribute type, events, error status', async () => {
    const exporter = new ZipkinExporter({ url: `${base}/api/v2/spans` });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'otel-svc',
        'deployment.environment': 'test',
      }),
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    const tracer = provider.getTracer('zipkin-test-scope', '2.1.0');
    const before = h.written.count;
    const t0 = Date.now();
    const parent = tracer.startSpan('handle', { kind: OtelKind.SERVER, startTime: t0 });
    const parentContext = otelTrace.setSpan(context.active(), parent);
    const child = tracer.startSpan(
      'query db',
      {
        kind: OtelKind.CLIENT,
        startTime: t0 + 1,
        attributes: {
          s: 'text',
          i: 42,
          d: 2.5,
          b: true,
          arr: ['a', 'b'],
          'peer.service': 'postgres',
        },
      },
      parentContext,
    );
    child.addEvent('retry', { attempt: 2 }, t0 + 2);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'timeout' });
    child.end(t0 + 5);
    parent.setStatus({ code: SpanStatusCode.OK });
    parent.end(t0 + 10);
    await provider.forceFlush();
    await h.written.atLeast(before + 2);
    const traceId = parent.spanContext().traceId;
    const trace = await jaegerTrace(traceId);
    const p = trace.spans.find((s) => s.spanID === parent.spanContext().spanId)!;
    const c = trace.spans.find((s) => s.spanID === child.spanContext().spanId)!;
    assert.equal(trace.processes[p.processID].serviceName, 'otel-svc');
    assert.equal(p.operationName, 'handle');
    assert.equal(p.startTime, t0 * 1000);
    assert.equal(p.duration, 10_000);
    assert.equal(tag(p, 'otel.status_code')?.value, 'OK');
    assert.equal(
      tag(p, 'otel.scope.name')?.value,
      undefined,
      'exporter-zipkin does not send the scope',
    );
    assert.equal(c.operationName, 'query db');
    assert.deepEqual(c.references, [
      { refType: 'CHILD_OF', traceID: traceId, spanID: parent.spanContext().spanId },
    ]);
    // Zipkin tags are strings: every attribute type arrives as its text.
    assert.deepEqual(tag(c, 's'), { key: 's', type: 'string', value: 'text' });
    assert.deepEqual(tag(c, 'i'), { key: 'i', type: 'string', value: '42' });
    assert.deepEqual(tag(c, 'd'), { key: 'd', type: 'string', value: '2.5' });
    assert.deepEqual(tag(c, 'b'), { key: 'b', type: 'string', value: 'true' });
    assert.deepEqual(tag(c, 'arr'), { key: 'arr', type: 'string', value: 'a,b' });
    assert.equal(tag(c, 'deployment.environment')?.value, 'test');
    assert.equal(tag(c, 'span.kind')?.value, 'client');
    assert.deepEqual(tag(c, 'error'), { key: 'error', type: 'bool', value: true });
    assert.equal(tag(c, 'otel.status_description')?.value, 'timeout');
    assert.equal(c.logs.length, 1);
    assert.equal(c.logs[0].timestamp, (t0 + 2) * 1000);
    assert.deepEqual(c.logs[0].fields, [{ key: 'event', type: 'string', value: 'retry' }]);

    const z = await zipkinGet(`/api/v2/trace/${traceId}`);
    const zc = (z.body as ZipkinSpan[]).find((s) => s.id === child.spanContext().spanId)!;
    assert.equal(zc.kind, 'CLIENT');
    assert.deepEqual(zc.remoteEndpoint, { serviceName: 'postgres' });
    assert.equal(zc.tags?.error, 'timeout');
    assert.equal(zc.tags?.i, '42');
    assert.deepEqual(zc.annotations, [{ timestamp: (t0 + 2) * 1000, value: 'retry' }]);
    await provider.shutdown();
  });

  test('protobuf ListOfSpans (encoded by protobufjs from zipkin.proto), gzip', async () => {
    const before = h.written.count;
    const t0 = Date.now() * 1000;
    const body = await encodeZipkinProtoReference([
      {
        traceId: 'aa00000000000001',
        id: 'bb00000000000001',
        kind: 'SERVER',
        name: 'proto root',
        timestamp: t0,
        duration: 50,
        localEndpoint: { serviceName: 'proto-svc', ipv6: '2001:db8::1', port: 443 },
        annotations: [{ timestamp: t0 + 1, value: 'wr' }],
        tags: { 'otel.scope.name': 'lib', 'otel.scope.version': '1.0', k: 'v' },
        debug: true,
      },
      {
        traceId: 'aa00000000000001',
        id: 'bb00000000000001',
        parentId: 'cc00000000000001',
        kind: 'SERVER',
        shared: true,
        name: 'shared server',
        timestamp: t0 + 5,
        duration: 10,
        localEndpoint: { serviceName: 'other-svc' },
      },
    ]);
    const res = await fetch(`${base}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    assert.equal(res.status, 202);
    await h.written.atLeast(before + 2);
    const trace = await jaegerTrace('aa00000000000001');
    assert.equal(trace.traceID, '0000000000000000aa00000000000001');
    const root = trace.spans.find((s) => s.spanID === 'bb00000000000001')!;
    assert.equal(root.flags, 3, 'debug → flags bit 2');
    assert.equal(tag(root, 'otel.scope.name')?.value, 'lib');
    assert.equal(tag(root, 'net.host.ip')?.value, '2001:db8::1');
    const shared = trace.spans.find((s) => s.operationName === 'shared server')!;
    assert.equal(shared.spanID, '3b00000000000001', 'a shared server span gets its own id');
    assert.deepEqual(shared.references, [
      { refType: 'CHILD_OF', traceID: trace.traceID, spanID: 'bb00000000000001' },
    ]);
    const z = await zipkinGet('/api/v2/trace/aa00000000000001');
    const back = (z.body as ZipkinSpan[]).find((s) => s.name === 'shared server')!;
    assert.equal(back.id, 'bb00000000000001');
    assert.equal(back.shared, true);
    assert.equal(back.traceId, 'aa00000000000001');
    const zroot = (z.body as ZipkinSpan[]).find((s) => s.name === 'proto root')!;
    assert.equal(zroot.debug, true);
    assert.deepEqual(zroot.localEndpoint, {
      serviceName: 'proto-svc',
      ipv6: '2001:db8::1',
      port: 443,
    });
    assert.deepEqual(zroot.tags, { 'otel.scope.name': 'lib', 'otel.scope.version': '1.0', k: 'v' });
  });

  test('JSON v1 and thrift v1 with typed binary annotations and a two-sided span', async () => {
    for (const [type, body, traceId] of [
      [
        'application/json',
        v1JsonPayload('1111111111111111', Date.now() * 1000),
        '1111111111111111',
      ],
      [
        'application/x-thrift',
        v1ThriftPayload('2222222222222222', Date.now() * 1000),
        '2222222222222222',
      ],
    ] as const) {
      const before = h.written.count;
      const res = await fetch(`${base}/api/v1/spans`, {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      assert.equal(res.status, 202, await res.text());
      await h.written.atLeast(before + 2);
      const trace = await jaegerTrace(traceId);
      assert.equal(trace.spans.length, 2, type);
      const client = trace.spans.find((s) => tag(s, 'span.kind')?.value === 'client')!;
      const server = trace.spans.find((s) => tag(s, 'span.kind')?.value === 'server')!;
      assert.equal(trace.processes[client.processID].serviceName, 'web');
      assert.equal(trace.processes[server.processID].serviceName, 'api');
      assert.equal(client.duration, 100);
      assert.equal(server.duration, 80);
      assert.deepEqual(server.references, [
        { refType: 'CHILD_OF', traceID: trace.traceID, spanID: client.spanID },
      ]);
      assert.deepEqual(tag(server, 'count'), { key: 'count', type: 'int64', value: 7 });
      assert.deepEqual(tag(server, 'ratio'), { key: 'ratio', type: 'float64', value: 0.5 });
      assert.deepEqual(tag(server, 'cached'), { key: 'cached', type: 'bool', value: false });
      assert.equal(tag(client, 'peer.service')?.value, 'api');
      assert.equal(server.logs[0].fields[0].value, 'db query');
    }
  });
});

describe('Zipkin read API', () => {
  test('services, span names, remote services, autocomplete', async () => {
    const services = await zipkinGet('/api/v2/services');
    assert.ok(services.body.includes('checkout'));
    assert.deepEqual((await zipkinGet('/api/v2/spans?serviceName=checkout')).body, [
      'charge card',
      'get /cart',
    ]);
    assert.deepEqual((await zipkinGet('/api/v2/remoteServices?serviceName=checkout')).body, [
      'payments',
    ]);
    assert.deepEqual((await zipkinGet('/api/v2/autocompleteKeys')).body, ['http.path', 'retries']);
    assert.deepEqual((await zipkinGet('/api/v2/autocompleteValues?key=http.path')).body, ['/cart']);
    const missing = await zipkinGet('/api/v2/spans');
    assert.equal(missing.status, 400);
    assert.match(missing.body, /serviceName/);
  });

  test('traces: serviceName, spanName, annotationQuery, durations, limit', async () => {
    const find = async (q: string) =>
      (await zipkinGet(`/api/v2/traces?${q}`)).body as ZipkinSpan[][];
    const all = await find('serviceName=checkout&limit=10');
    assert.equal(all.length, 2);
    for (const t of all) assert.ok(t.some((s) => s.name === 'get /cart'));
    assert.equal((await find('serviceName=checkout&limit=1')).length, 1);
    assert.equal((await find('serviceName=checkout&spanName=charge%20card')).length, 2);
    assert.equal((await find('serviceName=checkout&spanName=nope')).length, 0);
    assert.equal(
      (await find('annotationQuery=' + encodeURIComponent('error and peer.service=payments')))
        .length,
      2,
    );
    assert.equal((await find('annotationQuery=' + encodeURIComponent('cache miss'))).length, 2);
    assert.equal(
      (await find('annotationQuery=' + encodeURIComponent('http.path=/cart and error'))).length,
      0,
      'terms hold on one span',
    );
    assert.equal((await find('serviceName=checkout&minDuration=900')).length, 2);
    assert.equal((await find('serviceName=checkout&minDuration=1001')).length, 0);
    assert.equal((await find('serviceName=checkout&minDuration=700&maxDuration=850')).length, 2);
    assert.equal(
      (await find(`serviceName=checkout&endTs=${Date.now() - 3_600_000}&lookback=1000`)).length,
      0,
    );
    const bad = await zipkinGet('/api/v2/traces?minDuration=abc');
    assert.equal(bad.status, 400);
    assert.match(bad.body, /minDuration/);
  });

  test('trace, traceMany, dependencies, errors', async () => {
    const ids = (
      (await zipkinGet('/api/v2/traces?serviceName=checkout')).body as ZipkinSpan[][]
    ).map((t) => t[0].traceId);
    const many = await zipkinGet(`/api/v2/traceMany?traceIds=${ids.join(',')}`);
    assert.equal(many.status, 200);
    assert.deepEqual(new Set((many.body as ZipkinSpan[][]).map((t) => t[0].traceId)), new Set(ids));
    assert.equal((await zipkinGet(`/api/v2/traceMany?traceIds=${ids[0]}`)).status, 400);
    const notFound = await zipkinGet('/api/v2/trace/ffffffffffffffff');
    assert.equal(notFound.status, 404);
    assert.equal((await zipkinGet('/api/v2/trace/xyz')).status, 400);
    const deps = await zipkinGet(
      `/api/v2/dependencies?endTs=${Date.now() + 60_000}&lookback=3600000`,
    );
    assert.equal(deps.status, 200);
    assert.ok(
      (deps.body as any[]).some((l) => l.parent === 'web' && l.child === 'api' && l.callCount >= 1),
    );
    assert.equal((await zipkinGet('/api/v2/dependencies')).status, 400);
    assert.equal((await zipkinGet('/api/v2/nope')).status, 404);
  });
});

describe('Zipkin receiver errors', () => {
  const post = (path: string, body: string | Uint8Array, headers: Record<string, string>) =>
    fetch(base + path, { method: 'POST', headers, body });

  test('malformed bodies get 400 with a message', async () => {
    for (const [path, type, body] of [
      ['/api/v2/spans', 'application/json', '{not json'],
      ['/api/v2/spans', 'application/json', '{"a":1}'],
      ['/api/v2/spans', 'application/json', '[{"traceId":1}]'],
      ['/api/v1/spans', 'application/json', '[{"annotations":{}}]'],
      ['/api/v2/spans', 'application/x-protobuf', '\u00ff\u00ff\u00ff'],
      ['/api/v1/spans', 'application/x-thrift', 'garbage'],
    ]) {
      const res = await post(path, body, { 'content-type': type });
      assert.equal(res.status, 400, `${path} ${type} ${body}`);
      assert.match(await res.text(), /cannot decode Zipkin/);
    }
  });

  test('415, 413, 405, 404, CORS preflight', async () => {
    const wrongType = await post('/api/v2/spans', '[]', { 'content-type': 'application/x-thrift' });
    assert.equal(wrongType.status, 415);
    assert.match(await wrongType.text(), /application\/x-protobuf/);
    assert.equal(
      (
        await post('/api/v2/spans', '[]', {
          'content-type': 'application/json',
          'content-encoding': 'br',
        })
      ).status,
      415,
    );
    const big = await post('/api/v2/spans', Buffer.alloc(h.config.receivers.maxBodyBytes + 1, 32), {
      'content-type': 'application/json',
    });
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${base}/api/v1/spans`)).status, 405);
    assert.equal(
      (await post('/api/v3/spans', '[]', { 'content-type': 'application/json' })).status,
      404,
    );
    // No CORS unless security.cors.zipkin allows an origin (security/cors-policy.ts).
    const preflight = await fetch(`${base}/api/v2/spans`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 405);
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    // A body without a Content-Type is not guessed to be JSON.
    const untyped = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/api/v2/spans`, { method: 'POST' }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('[]');
    });
    assert.equal(untyped, 415);
  });

  test('spans with bad ids are left out; the rest are accepted', async () => {
    const before = h.written.count;
    const t = Date.now() * 1000;
    const res = await post(
      '/api/v2/spans',
      JSON.stringify([
        { traceId: 'zz', id: '1', timestamp: t },
        { traceId: 'abc', id: '1', timestamp: t, localEndpoint: { serviceName: 'short-ids' } },
      ]),
      { 'content-type': 'application/json' },
    );
    assert.equal(res.status, 202);
    await h.written.atLeast(before + 1);
    const trace = await jaegerTrace('abc');
    assert.equal(trace.spans[0].spanID, '0000000000000001');
  });
});

describe('Zipkin receiver backpressure', () => {
  test('429 with Retry-After when the queue is full, 503 once the pipeline stops', async () => {
    const small = await startReceiver(ZipkinReceiver, (c) => {
      c.pipeline.queue.maxSpans = 1;
      c.pipeline.retryAfterSeconds = 7;
    });
    const url = `http://127.0.0.1:${small.port}/api/v2/spans`;
    const t = Date.now() * 1000;
    const body = JSON.stringify([
      { traceId: 'a'.repeat(16), id: '1'.repeat(16), timestamp: t },
      { traceId: 'a'.repeat(16), id: '2'.repeat(16), timestamp: t },
    ]);
    const headers = { 'content-type': 'application/json' };
    const full = await fetch(url, { method: 'POST', headers, body });
    assert.equal(full.status, 429);
    assert.equal(full.headers.get('retry-after'), '7');
    assert.match(await full.text(), /ingest queue is full/);
    await small.harness.pipeline.stop();
    const stopping = await fetch(url, { method: 'POST', headers, body });
    assert.equal(stopping.status, 503);
    assert.equal(stopping.headers.get('retry-after'), '7');
    await small.close();
  });
});
