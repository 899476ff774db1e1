import type { RouteScope } from './scope.ts';

/** Every listener that takes requests over TCP, by the name the banner gives it. */
export type ListenerName =
  | 'otlp-grpc'
  | 'otlp-http'
  | 'zipkin'
  | 'jaeger-thrift-http'
  | 'jaeger-grpc'
  | 'sampling-http'
  | 'sampling-grpc'
  | 'admin'
  | 'query'
  | 'jaeger-ui';

/** The query API's routes, served on the query port and again on the Jaeger UI port. */
const QUERY_API: Record<string, RouteScope> = {
  'GET /api/services': 'read',
  'GET /api/services/:service/operations': 'read',
  'GET /api/operations': 'read',
  'GET /api/traces': 'read',
  'GET /api/traces/:traceID': 'read',
  // Jaeger UI's upload: converts OTLP JSON for display, stores nothing.
  'POST /api/transform': 'read',
  'GET /api/dependencies': 'read',
  'GET /api/v3/services': 'read',
  'GET /api/v3/operations': 'read',
  'GET /api/v3/traces': 'read',
  'GET /api/v3/traces/:traceId': 'read',
  'GET /api/v3/trace-summaries': 'read',
  'GET /api/metrics/calls': 'read',
  'GET /api/metrics/errors': 'read',
  'GET /api/metrics/latencies': 'read',
  'GET /api/metrics/minstep': 'read',
  'GET /api/completeness': 'read',
  'GET /api/completeness/traces/:traceId': 'read',
  'GET /api/quality-metrics': 'read',
  'GET /api/sampling/strategies': 'read',
  // The UI's OIDC sign-in (security/session-routes.ts): reached before anyone is signed
  // in; /logout checks the session's CSRF token itself, /api/session reads the cookie.
  'GET /login': 'public',
  'GET /login/callback': 'public',
  'POST /logout': 'public',
  'GET /api/session': 'public',
  // The UI's files (code, no data): a browser loads them before anyone signs in.
  'GET /': 'public',
  'GET /*': 'public',
};

/**
 * THE route table: the scope each route of each listener needs, in one place.
 *
 * Keys are `METHOD /path` as the listener's router writes them (fastify's patterns:
 * `:param` is one segment, a trailing `*` the rest; HEAD is answered as GET) and, for
 * gRPC, the full method path. A route missing here fails the build: fastify apps
 * refuse to register it (security/fastify-guard.ts), gRPC servers refuse to be
 * protected with it, and route-scopes.test.ts compares the raw HTTP servers' own
 * route lists with this table. A request to a path no route serves (a 404 or 405
 * on its way) needs valid credentials of any scope while auth is on.
 */
export const routeScopes: Record<ListenerName, Record<string, RouteScope>> = {
  'otlp-http': { 'POST /v1/traces': 'ingest' },
  'otlp-grpc': { '/opentelemetry.proto.collector.trace.v1.TraceService/Export': 'ingest' },
  zipkin: {
    'POST /api/v2/spans': 'ingest',
    'POST /api/v1/spans': 'ingest',
    'GET /api/v2/services': 'read',
    'GET /api/v2/spans': 'read',
    'GET /api/v2/remoteServices': 'read',
    'GET /api/v2/traces': 'read',
    'GET /api/v2/trace/:traceId': 'read',
    'GET /api/v2/traceMany': 'read',
    'GET /api/v2/dependencies': 'read',
    'GET /api/v2/autocompleteKeys': 'read',
    'GET /api/v2/autocompleteValues': 'read',
  },
  'jaeger-thrift-http': { 'POST /api/traces': 'ingest' },
  'jaeger-grpc': {
    '/jaeger.api_v2.CollectorService/PostSpans': 'ingest',
    // SDKs that send spans also ask how to sample them.
    '/jaeger.api_v2.SamplingManager/GetSamplingStrategy': 'ingest',
  },
  'sampling-http': { 'GET /sampling': 'ingest', 'GET /': 'ingest' },
  'sampling-grpc': { '/jaeger.api_v2.SamplingManager/GetSamplingStrategy': 'ingest' },
  admin: {
    // Orchestrators' probes carry no credentials; the answers hold no data.
    'GET /health': 'public',
    'GET /ready': 'public',
    // Public with security.metricsOpen.
    'GET /metrics': 'admin',
  },
  query: QUERY_API,
  'jaeger-ui': QUERY_API,
};

/** What a request needs: a declared route's scope, or `authenticated` (any valid credentials) for any other path. */
export type NeededScope = RouteScope | 'authenticated';

interface Pattern {
  method: string;
  segments: readonly string[];
  /** Ends in `*`: matches any rest. */
  rest: boolean;
  scope: RouteScope;
}

/**
 * One listener's table, compiled for lookups by request method and path (raw
 * node:http servers, whose routers are `if`s over paths).
 */
export class RouteScopeTable {
  readonly listener: ListenerName;
  readonly #exact = new Map<string, RouteScope>();
  readonly #patterns: Pattern[] = [];

  constructor(listener: ListenerName, overrides: Record<string, RouteScope> = {}) {
    this.listener = listener;
    for (const [key, scope] of Object.entries({ ...routeScopes[listener], ...overrides })) {
      const space = key.indexOf(' ');
      if (space === -1) {
        this.#exact.set(key, scope);
        continue;
      }
      const method = key.slice(0, space);
      const path = key.slice(space + 1);
      if (!path.includes(':') && !path.includes('*')) {
        this.#exact.set(key, scope);
        continue;
      }
      const segments = path.split('/');
      const rest = segments[segments.length - 1] === '*';
      if (rest) segments.pop();
      this.#patterns.push({ method, segments, rest, scope });
    }
  }

  /** The declared scope of a route key as the router writes it (`GET /api/traces/:traceID`, a gRPC path), or undefined. */
  declared(key: string): RouteScope | undefined {
    const found = this.#exact.get(key);
    if (found !== undefined) return found;
    for (const p of this.#patterns) {
      if (`${p.method} ${p.segments.join('/')}${p.rest ? '/*' : ''}` === key) return p.scope;
    }
    if (key.startsWith('HEAD ')) return this.declared(`GET ${key.slice(5)}`);
    return undefined;
  }

  /** What a request with this method and path (no query string) needs. */
  scopeOf(method: string, path: string): NeededScope {
    const m = method === 'HEAD' ? 'GET' : method;
    const exact = this.#exact.get(`${m} ${path}`);
    if (exact !== undefined) return exact;
    if (this.#patterns.length > 0) {
      const segments = path.split('/');
      for (const p of this.#patterns) {
        if (p.method === m && matches(p, segments)) return p.scope;
      }
    }
    return 'authenticated';
  }
}

function matches(p: Pattern, segments: readonly string[]): boolean {
  if (p.rest ? segments.length < p.segments.length : segments.length !== p.segments.length)
    return false;
  for (let i = 0; i < p.segments.length; i++) {
    const want = p.segments[i];
    if (want.startsWith(':') ? segments[i] === '' : want !== segments[i]) return false;
  }
  return true;
}
