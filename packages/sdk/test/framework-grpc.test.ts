import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as Grpc from '@grpc/grpc-js';
import type { Server } from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { start, type SkeinKit } from '../src/index.ts';
import { parentOf, tagOf, TestSkein } from './support/skein.ts';

/**
 * Layers 1 (gRPC) and 2 (Fastify, Express) over real sockets, read back from Skein:
 * server spans are named after route templates, a handler error is recorded on the
 * span, and a gRPC call's server span is the client span's child.
 */
const skein = new TestSkein();
let kit: SkeinKit;
const closers: (() => Promise<unknown> | void)[] = [];

before(async () => {
  await skein.start();
  kit = start({
    service: 'sdk-framework-test',
    endpoint: skein.otlp,
    samplingEndpoint: false,
    shutdownOnExit: false,
  });
});

after(async () => {
  for (const close of closers) await close();
  await kit.shutdown();
  await skein.stop();
});

type ReserveFn = (
  req: { sku: string; quantity: number },
  cb: (e: Error | null, reply: { ok: boolean }) => void,
) => void;

async function inRoot<T>(
  name: string,
  fn: () => Promise<T>,
): Promise<{ traceId: string; spanId: string; value: T }> {
  const root = kit.tracer.startSpan(name, { root: true });
  const value = await context.with(trace.setSpan(context.active(), root), fn);
  root.end();
  return { ...root.spanContext(), value };
}

test('Fastify: span named after the route template, errors recorded', async () => {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/orders/:id', async (req) => {
    const { id } = req.params as { id: string };
    if (id === 'bad') throw new Error('order bad is unknown');
    return { id };
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  const ok = await inRoot('fastify-root', () => fetch(`${base}/orders/7`).then((r) => r.status));
  const bad = await inRoot('fastify-bad', () => fetch(`${base}/orders/bad`).then((r) => r.status));
  assert.equal(ok.value, 200);
  assert.equal(bad.value, 500);
  await kit.forceFlush();
  const t = await skein.trace(ok.traceId, 3);
  const server = t.spans.find((s) => tagOf(s, 'span.kind') === 'server');
  assert.equal(server?.operationName, 'GET /orders/:id');
  const failed = await skein.trace(bad.traceId, 3);
  assert.ok(
    failed.spans.some(
      (s) => tagOf(s, 'error') === true && tagOf(s, 'http.route') === '/orders/:id',
    ),
    'a span of the failed request carries the error and the route',
  );
});

test('Express: span named after the route template', async () => {
  const { default: express } = await import('express');
  const app = express();
  app.get('/items/:sku', (req, res) => void res.json({ sku: req.params.sku }));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closers.push(() => void server.close());
  const port = (server.address() as { port: number }).port;
  const r = await inRoot('express-root', () =>
    fetch(`http://127.0.0.1:${port}/items/abc`).then((x) => x.status),
  );
  assert.equal(r.value, 200);
  await kit.forceFlush();
  const t = await skein.trace(r.traceId, 3);
  const srv = t.spans.find((s) => tagOf(s, 'span.kind') === 'server');
  assert.equal(srv?.operationName, 'GET /items/:sku');
});

test('gRPC: the server span is the client span’s child', async () => {
  // Under tsx the ESM namespace of a CJS package is not hooked (under plain node it is):
  // require it, as a CJS app would.
  const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof Grpc;
  const loader = await import('@grpc/proto-loader');
  const def = loader.loadSync(fileURLToPath(new URL('./fixtures/catalog.proto', import.meta.url)));
  const proto = grpc.loadPackageDefinition(def) as unknown as {
    catalog: { Catalog: Grpc.ServiceClientConstructor };
  };
  const server = new grpc.Server();
  server.addService(proto.catalog.Catalog.service, {
    Reserve: (_call: unknown, cb: (e: null, r: { ok: boolean }) => void) => cb(null, { ok: true }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  closers.push(() => void server.forceShutdown());
  const client = new proto.catalog.Catalog(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  closers.push(() => client.close());
  const r = await inRoot(
    'grpc-root',
    () =>
      new Promise<boolean>((resolve, reject) =>
        (client as unknown as { Reserve: ReserveFn }).Reserve(
          { sku: 'a', quantity: 1 },
          (e: Error | null, reply: { ok: boolean }) => (e ? reject(e) : resolve(reply.ok)),
        ),
      ),
  );
  assert.equal(r.value, true);
  await kit.forceFlush();
  const t = await skein.trace(r.traceId, 3);
  const clientSpan = t.spans.find((s) => tagOf(s, 'span.kind') === 'client');
  const serverSpan = t.spans.find((s) => tagOf(s, 'span.kind') === 'server');
  assert.ok(clientSpan && serverSpan, t.spans.map((s) => s.operationName).join(', '));
  assert.equal(clientSpan.operationName, 'grpc.catalog.Catalog/Reserve');
  assert.equal(parentOf(clientSpan), r.spanId);
  assert.equal(parentOf(serverSpan), clientSpan.spanID);
});
