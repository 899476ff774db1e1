import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { AdminServer } from '../admin/admin-server.ts';
import { defaultConfig } from '../config/config.ts';
import { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../pipeline/span-consumer.ts';
import { createQueryApp } from '../query/query-app.ts';
import { registerUi } from '../query/ui-static.ts';
import { JaegerGrpcReceiver } from '../receivers/jaeger/jaeger-grpc-receiver.ts';
import { JaegerThriftHttpReceiver } from '../receivers/jaeger/jaeger-thrift-http-receiver.ts';
import { OtlpGrpcReceiver } from '../receivers/otlp/otlp-grpc-receiver.ts';
import { OtlpHttpReceiver } from '../receivers/otlp/otlp-http-receiver.ts';
import { ZipkinReceiver } from '../receivers/zipkin/zipkin-receiver.ts';
import { SamplingGrpcServer } from '../sampling/sampling-grpc-server.ts';
import { SamplingHttpServer } from '../sampling/sampling-http-server.ts';
import { samplingManagerService } from '../sampling/sampling-manager-service.ts';
import type { ServedStrategies } from '../sampling/served-strategies.ts';
import { RouteScopeTable, routeScopes, type ListenerName } from './route-scopes.ts';
import { SecurityLayer } from './security-layer.ts';

const logger = pino({ level: 'silent' });
const config = structuredClone(defaultConfig);
// Never called: the servers are built to list their routes, not started.
const consumer = {} as SpanConsumer;
const strategies = {} as ServedStrategies;

/** Every route each listener registers, as its router names it (`METHOD /path`, gRPC paths). */
async function registeredRoutes(): Promise<Record<ListenerName, string[]>> {
  const metrics = new IngestMetrics(new Registry());
  const jaegerGrpc = new JaegerGrpcReceiver(config, consumer, metrics, logger);
  const sampling = samplingManagerService(strategies);
  jaegerGrpc.addService(sampling.definition, sampling.implementation);
  const fastifyRoutes = async (withUi: boolean) => {
    const seen: string[] = [];
    const app = await createQueryApp({
      reader: {} as never,
      defaultLimit: 20,
      maxLimit: 100,
      protect: (a) =>
        a.addHook('onRoute', (r) => {
          for (const m of [r.method].flat()) if (m !== 'HEAD') seen.push(`${m} ${r.url}`);
        }),
    });
    if (withUi) await registerUi(app);
    await app.close();
    return seen;
  };
  const query = await fastifyRoutes(true);
  return {
    'otlp-http': [...new OtlpHttpReceiver(config, consumer, metrics, logger).routes],
    'otlp-grpc': [...new OtlpGrpcReceiver(config, consumer, metrics, logger).methods],
    zipkin: [...new ZipkinReceiver(config, consumer, metrics, logger).routes],
    'jaeger-thrift-http': [
      ...new JaegerThriftHttpReceiver(config, consumer, metrics, logger).routes,
    ],
    'jaeger-grpc': [...jaegerGrpc.methods],
    'sampling-http': [
      ...new SamplingHttpServer({ listener: config.sampling.http, strategies, logger }).routes,
    ],
    'sampling-grpc': [
      ...new SamplingGrpcServer({ listener: config.sampling.grpc, service: sampling, logger })
        .methods,
    ],
    admin: [...new AdminServer(config.admin, new Registry(), logger).routes],
    query,
    // The Jaeger UI port serves the same query API and its own `/` and `/*` (checked
    // against the table when it registers: jaeger-ui-port.test.ts starts it guarded).
    'jaeger-ui': query,
  };
}

test('the route table declares exactly the routes every listener registers, and nothing stale', async () => {
  const registered = await registeredRoutes();
  for (const listener of Object.keys(routeScopes) as ListenerName[]) {
    assert.deepEqual(
      [...new Set(registered[listener])].sort(),
      Object.keys(routeScopes[listener]).sort(),
      `${listener}: the routes it serves and security/route-scopes.ts disagree`,
    );
  }
  assert.deepEqual(Object.keys(registered).sort(), Object.keys(routeScopes).sort());
});

test('a Fastify route, a gRPC method or a raw HTTP route without a declared scope refuses to be served', async () => {
  const layer = new SecurityLayer({ config, registry: new Registry(), logger });
  const app = Fastify();
  layer.fastify(app, 'query');
  app.get('/api/services', async () => []);
  assert.throws(
    () => app.get('/api/new-endpoint', async () => []),
    /GET \/api\/new-endpoint on the query listener declares no scope/,
  );
  await app.close();

  const metrics = new IngestMetrics(new Registry());
  const otlp = new OtlpGrpcReceiver(config, consumer, metrics, logger);
  const sampling = samplingManagerService(strategies);
  otlp.addService(sampling.definition, sampling.implementation);
  assert.throws(
    () => otlp.protect(layer.grpc('otlp-grpc')),
    /SamplingManager\/GetSamplingStrategy on the otlp-grpc listener declares no scope/,
  );
  const zipkin = new ZipkinReceiver(config, consumer, metrics, logger);
  assert.throws(
    () => zipkin.protect(layer.http('otlp-http')),
    /POST \/api\/v2\/spans on the otlp-http listener/,
  );
});

test('scope lookups: exact paths, :params, trailing *, HEAD as GET; unknown paths need any valid credentials', () => {
  const zipkin = new RouteScopeTable('zipkin');
  assert.equal(zipkin.scopeOf('POST', '/api/v2/spans'), 'ingest');
  assert.equal(zipkin.scopeOf('GET', '/api/v2/trace/0123456789abcdef'), 'read');
  assert.equal(zipkin.scopeOf('HEAD', '/api/v2/services'), 'read');
  assert.equal(zipkin.scopeOf('OPTIONS', '/api/v2/spans'), 'authenticated');
  assert.equal(zipkin.scopeOf('GET', '/api/v2/trace/'), 'authenticated');
  assert.equal(zipkin.scopeOf('DELETE', '/api/v2/spans'), 'authenticated');
  assert.equal(zipkin.scopeOf('GET', '/elsewhere'), 'authenticated');
  const admin = new RouteScopeTable('admin', { 'GET /metrics': 'public' });
  assert.equal(admin.scopeOf('GET', '/metrics'), 'public');
  assert.equal(new RouteScopeTable('admin').scopeOf('GET', '/metrics'), 'admin');
  const query = new RouteScopeTable('query');
  assert.equal(query.declared('HEAD /api/traces/:traceID'), 'read');
  assert.equal(query.declared('GET /*'), 'public');
  assert.equal(query.declared('GET /api/nope'), undefined);
});
