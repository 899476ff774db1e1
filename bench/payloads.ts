/**
 * Deterministic, realistic OTLP trace export requests for benchmarks.
 *
 * One request looks like what an instrumented HTTP service's batch span
 * processor sends: one resource (service.name plus host/process/SDK attributes),
 * one scope, spans grouped in traces of `spansPerTrace` (a server root, client and
 * internal children), HTTP/DB/messaging attributes of mixed types, an exception
 * event on ~1 span in 10. The same seed always gives the same bytes.
 */
import { encodeOtlpJsonAsProto } from '../packages/server/src/receivers/otlp/test-support/reference-otlp.ts';

export interface OtlpRequestOptions {
  /** Spans in the request (default 100). */
  spans?: number;
  /** Attributes per span (default 10). */
  attributesPerSpan?: number;
  /** Resource attributes, service.name included (default 5). */
  resourceAttributes?: number;
  /** Spans per trace (default 10). */
  spansPerTrace?: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Resource service.name (default "checkout"). */
  serviceName?: string;
  /** Start of the first span, ns since the epoch as a decimal string. */
  startTimeUnixNano?: string;
}

type JsonKeyValue = { key: string; value: Record<string, unknown> };

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hexId(random: () => number, bytes: number): string {
  let s = '';
  for (let i = 0; i < bytes; i++)
    s += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return /^0+$/.test(s) ? `${s.slice(0, -1)}1` : s;
}

const ROUTES = ['/api/cart', '/api/orders/{id}', '/api/products', '/api/checkout', '/healthz'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const PEERS = ['inventory', 'payments', 'postgres', 'redis', 'kafka'];

/** Span attribute generators, in the order they are used (cycled past the end). */
const SPAN_ATTRIBUTES: ((random: () => number, i: number) => JsonKeyValue)[] = [
  (r) => ({ key: 'http.request.method', value: { stringValue: METHODS[Math.floor(r() * 4)] } }),
  (r) => ({ key: 'http.route', value: { stringValue: ROUTES[Math.floor(r() * ROUTES.length)] } }),
  (r) => ({ key: 'http.response.status_code', value: { intValue: r() < 0.95 ? 200 : 503 } }),
  (r) => ({ key: 'url.path', value: { stringValue: `/api/orders/${Math.floor(r() * 1e6)}` } }),
  (r) => ({ key: 'server.address', value: { stringValue: `${PEERS[Math.floor(r() * 5)]}.svc` } }),
  (r) => ({ key: 'server.port', value: { intValue: 8000 + Math.floor(r() * 100) } }),
  () => ({
    key: 'user_agent.original',
    value: {
      stringValue: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36',
    },
  }),
  (r) => ({ key: 'cache.hit', value: { boolValue: r() < 0.5 } }),
  (r) => ({ key: 'queue.wait_ratio', value: { doubleValue: Math.round(r() * 1e4) / 1e4 } }),
  (r) => ({ key: 'db.system.name', value: { stringValue: r() < 0.5 ? 'postgresql' : 'redis' } }),
  (r, i) => ({ key: `app.custom.${i}`, value: { stringValue: `value-${Math.floor(r() * 1000)}` } }),
];

const RESOURCE_ATTRIBUTES: JsonKeyValue[] = [
  { key: 'service.version', value: { stringValue: '2.14.1' } },
  { key: 'host.name', value: { stringValue: 'ip-10-0-12-34.ec2.internal' } },
  { key: 'process.pid', value: { intValue: 4242 } },
  { key: 'telemetry.sdk.language', value: { stringValue: 'nodejs' } },
  { key: 'telemetry.sdk.version', value: { stringValue: '2.12.1' } },
  { key: 'deployment.environment.name', value: { stringValue: 'production' } },
];

/** The request as OTLP/JSON (hex ids, string nanosecond times). */
export function buildOtlpJsonRequest(opts: OtlpRequestOptions = {}): object {
  const spanCount = opts.spans ?? 100;
  const attributesPerSpan = opts.attributesPerSpan ?? 10;
  const spansPerTrace = opts.spansPerTrace ?? 10;
  const random = prng(opts.seed ?? 1);
  const t0 = BigInt(opts.startTimeUnixNano ?? '1700000000000000000');

  const resourceAttributes: JsonKeyValue[] = [
    { key: 'service.name', value: { stringValue: opts.serviceName ?? 'checkout' } },
  ];
  for (let i = 0; resourceAttributes.length < (opts.resourceAttributes ?? 5); i++) {
    resourceAttributes.push(RESOURCE_ATTRIBUTES[i % RESOURCE_ATTRIBUTES.length]);
  }

  const spans: object[] = [];
  let traceId = '';
  let rootId = '';
  for (let i = 0; i < spanCount; i++) {
    const inTrace = i % spansPerTrace;
    const spanId = hexId(random, 8);
    if (inTrace === 0) {
      traceId = hexId(random, 16);
      rootId = spanId;
    }
    const start = t0 + BigInt(i) * 1_000_000n + BigInt(Math.floor(random() * 1e6));
    const duration = BigInt(Math.floor(random() * 50_000_000));
    const attributes: JsonKeyValue[] = [];
    for (let a = 0; a < attributesPerSpan; a++) {
      attributes.push(SPAN_ATTRIBUTES[a % SPAN_ATTRIBUTES.length](random, a));
    }
    const error = random() < 0.1;
    spans.push({
      traceId,
      spanId,
      parentSpanId: inTrace === 0 ? '' : rootId,
      name: inTrace === 0 ? 'GET /api/orders/{id}' : `SELECT orders ${inTrace}`,
      kind: inTrace === 0 ? 2 : 3,
      flags: 257,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + duration).toString(),
      attributes,
      events: error
        ? [
            {
              timeUnixNano: (start + duration / 2n).toString(),
              name: 'exception',
              attributes: [
                { key: 'exception.type', value: { stringValue: 'TimeoutError' } },
                {
                  key: 'exception.message',
                  value: { stringValue: 'upstream timed out after 5000 ms' },
                },
              ],
            },
          ]
        : [],
      status: error ? { code: 2, message: 'upstream timed out' } : { code: 0 },
    });
  }
  return {
    resourceSpans: [
      {
        resource: { attributes: resourceAttributes },
        schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
        scopeSpans: [
          {
            scope: { name: '@opentelemetry/instrumentation-http', version: '0.52.1' },
            spans,
          },
        ],
      },
    ],
  };
}

/** The request as OTLP/protobuf bytes (an ExportTraceServiceRequest). */
export function buildOtlpRequest(opts: OtlpRequestOptions = {}): Uint8Array {
  return encodeOtlpJsonAsProto(buildOtlpJsonRequest(opts));
}
