/**
 * OTLP/protobuf export requests exactly as the OpenTelemetry JS SDK sends them: spans
 * made by a real tracer (sdk-trace-base) of an instrumented HTTP service, collected in
 * BatchSpanProcessor's default 512-span batches and serialised by the same serializer
 * @opentelemetry/exporter-trace-otlp-proto uses (ProtobufTraceSerializer).
 *
 * Each trace is a SERVER span (HTTP semantic conventions) with a CLIENT call to another
 * service, a database CLIENT span (db.* attributes) and an INTERNAL span; ~1 in 20 server
 * spans records an exception event and sets status ERROR.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** BatchSpanProcessor's default maxExportBatchSize. */
export const SDK_BATCH = 512;

const ROUTES = ['/api/cart', '/api/orders/:id', '/api/products', '/api/checkout', '/healthz'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];

/** `requests` export requests of `SDK_BATCH` spans, from a service named `serviceName`. */
export function buildOtelSdkRequests(
  requests: number,
  serviceName: string,
  seed: number,
): Buffer[] {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ended: ReadableSpan[] = [];
  const collector: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span) => void ended.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': serviceName,
      'service.version': '1.4.2',
      'deployment.environment.name': 'production',
      'host.name': `${serviceName}-7d9f8b6c5-x2x9q`,
      'process.pid': 4242,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': '20.20.0',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.version': '2.12.1',
    }),
    spanProcessors: [collector],
  });
  const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.223.1');
  const requests_: Buffer[] = [];
  while (requests_.length < requests) {
    const route = ROUTES[Math.floor(random() * ROUTES.length)];
    const method = METHODS[Math.floor(random() * METHODS.length)];
    const failed = random() < 0.05;
    const server = tracer.startSpan(`${method} ${route}`, {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'http.route': route,
        'url.path': route.replace(':id', String(Math.floor(random() * 1e6))),
        'url.scheme': 'http',
        'server.address': `${serviceName}.prod.svc`,
        'server.port': 8080,
        'network.protocol.version': '1.1',
        'client.address': `10.0.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`,
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
        'http.response.status_code': failed ? 500 : 200,
      },
    });
    const ctx = trace.setSpan(context.active(), server);
    const client = tracer.startSpan(
      'POST',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': 'payments.prod.svc',
          'server.port': 8080,
          'url.full': 'http://payments.prod.svc:8080/v1/charge',
          'http.response.status_code': 200,
        },
      },
      ctx,
    );
    client.end();
    const db = tracer.startSpan(
      'SELECT orders',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.namespace': 'shop',
          'db.operation.name': 'SELECT',
          'db.query.text': 'SELECT id, total FROM orders WHERE customer_id = $1 LIMIT 20',
          'server.address': 'postgres.prod.svc',
          'server.port': 5432,
        },
      },
      ctx,
    );
    db.end();
    const internal = tracer.startSpan('render', { kind: SpanKind.INTERNAL }, ctx);
    internal.setAttribute('template', 'orders.html');
    internal.end();
    if (failed) {
      server.recordException(new Error('upstream payments timed out after 2000 ms'));
      server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timeout' });
    }
    server.end();
    while (ended.length >= SDK_BATCH && requests_.length < requests) {
      const bytes = ProtobufTraceSerializer.serializeRequest(ended.splice(0, SDK_BATCH));
      if (bytes === undefined) throw new Error('ProtobufTraceSerializer returned nothing');
      requests_.push(Buffer.from(bytes));
    }
  }
  return requests_;
}
