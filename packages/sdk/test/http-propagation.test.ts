import assert from 'node:assert/strict';
import type * as Http from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { start, type SkeinKit } from '../src/index.ts';
import { parentOf, tagOf, TestSkein } from './support/skein.ts';

/**
 * Layer 1 over real sockets: a kit-instrumented node:http server calls a second one
 * with node:http and with fetch (undici); the trace is read back from a real Skein
 * and every hop's parent/child ids are checked, as is request-id alignment.
 */
const skein = new TestSkein();
let kit: SkeinKit;
let http: typeof Http;
const servers: Server[] = [];
let downstreamHeaders: IncomingHttpHeaders[] = [];
let upstreamUrl = '';

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

before(async () => {
  await skein.start();
  kit = start({
    service: 'sdk-http-test',
    endpoint: skein.otlp,
    samplingEndpoint: skein.sampling,
    shutdownOnExit: false,
  });
  http = await import('node:http');
  const downstream = await listen(
    http.createServer((req, res) => {
      downstreamHeaders.push(req.headers);
      res.end('ok');
    }),
  );
  upstreamUrl = await listen(
    http.createServer((req, res) => {
      const viaHttp = new Promise<void>((resolve, reject) =>
        http
          .get(`${downstream}/via-http`, (r) => r.resume().on('end', resolve))
          .on('error', reject),
      );
      void viaHttp
        .then(() =>
          fetch(`${downstream}/via-fetch`, { headers: { 'x-request-id': 'given-by-app' } }),
        )
        .then((r) => r.text())
        .then(
          () => res.end('done'),
          (err) => res.writeHead(500).end(String(err)),
        );
    }),
  );
});

after(async () => {
  for (const s of servers) s.close();
  await kit?.shutdown();
  await skein.stop();
});

test('HTTP server and clients (node:http, fetch) continue one trace, read back from Skein', async () => {
  downstreamHeaders = [];
  const root = kit.tracer.startSpan('test-root');
  const res = await context.with(trace.setSpan(context.active(), root), () =>
    fetch(`${upstreamUrl}/orders/7`, { headers: { 'x-request-id': 'req-abc' } }),
  );
  assert.equal(await res.text(), 'done');
  root.end();
  await kit.forceFlush();
  const traceId = root.spanContext().traceId;
  // test-root, fetch client, upstream server, http client, downstream server, fetch client, downstream server
  const stored = await skein.trace(traceId, 7);
  const servers = stored.spans.filter((s) => tagOf(s, 'span.kind') === 'server');
  const clients = stored.spans.filter((s) => tagOf(s, 'span.kind') === 'client');
  assert.equal(servers.length, 3, 'three server spans');
  assert.equal(clients.length, 3, 'three client spans');
  const byId = new Map(stored.spans.map((s) => [s.spanID, s]));
  for (const s of servers) {
    const parent = byId.get(parentOf(s));
    assert.ok(parent, `server span ${s.operationName} has its parent in the trace`);
    assert.equal(
      tagOf(parent, 'span.kind'),
      'client',
      'every server span is a child of a client span',
    );
  }
  const upstream = servers.find((s) => tagOf(s, 'http.request.header.x-request-id') !== undefined);
  assert.ok(upstream, 'the upstream server span records the incoming x-request-id');
  assert.match(String(tagOf(upstream, 'http.request.header.x-request-id')), /req-abc/);
  const rootClient = byId.get(parentOf(upstream))!;
  assert.equal(
    parentOf(rootClient),
    root.spanContext().spanId,
    'fetch client span is a child of test-root',
  );
  for (const s of clients.filter((c) => c !== rootClient))
    assert.equal(
      parentOf(s),
      upstream.spanID,
      'downstream calls are children of the upstream server span',
    );

  // Request-id alignment on the wire: set from the trace id when absent, kept when given.
  const ids = downstreamHeaders.map((h) => h['x-request-id']).sort();
  assert.deepEqual(ids, ['given-by-app', traceId].sort());
  for (const h of downstreamHeaders)
    assert.match(String(h.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
});

test('remote sampling: the kit polls Skein :5778 and applies the served strategy', async () => {
  await kit.sampler!.ready;
  assert.equal(kit.sampler!.strategy?.strategyType, 'PROBABILISTIC');
});
