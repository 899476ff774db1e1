import {
  DEFAULT_TENANT,
  SpanKind,
  StatusCode,
  ValueType,
} from '../packages/server/src/model/span.ts';
import type { Attribute, Resource, Scope, Span } from '../packages/server/src/model/span.ts';

/**
 * A seeded, realistic span workload for storage benchmarks (scenario
 * `normal_prod_like`): ten services calling each other in trees 2–6 levels deep,
 * ~10 attributes per span drawn from realistic cardinalities (methods, routes,
 * 50k users, templated SQL), 2% errors with an exception event, 10% of spans with
 * a log event, two instances per service, timestamps spread over a window.
 */

/** Mulberry32: fast, seeded, good enough for benchmark data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HEX = '0123456789abcdef';

function hexId(r: () => number, chars: number): string {
  let s = '';
  for (let i = 0; i < chars; i++) s += HEX[(r() * 16) | 0];
  return s;
}

function str(key: string, value: string): Attribute {
  return { key, type: ValueType.String, value };
}
function int(key: string, value: number): Attribute {
  return { key, type: ValueType.Int, value };
}
function bool(key: string, value: boolean): Attribute {
  return { key, type: ValueType.Bool, value };
}

interface ServiceDef {
  name: string;
  routes: string[];
  calls: string[];
  db: boolean;
}

const SERVICES: ServiceDef[] = [
  {
    name: 'frontend',
    routes: ['/', '/cart', '/checkout', '/product/:id', '/search'],
    calls: ['api-gateway'],
    db: false,
  },
  {
    name: 'api-gateway',
    routes: ['/api/cart', '/api/order', '/api/product', '/api/search'],
    calls: ['auth', 'cart', 'checkout', 'catalog', 'search'],
    db: false,
  },
  { name: 'auth', routes: ['/token', '/verify'], calls: ['user-db'], db: true },
  {
    name: 'cart',
    routes: ['/cart/items', '/cart/add', '/cart/remove'],
    calls: ['user-db', 'catalog'],
    db: true,
  },
  {
    name: 'checkout',
    routes: ['/checkout/start', '/checkout/confirm'],
    calls: ['payment', 'inventory', 'email'],
    db: true,
  },
  { name: 'payment', routes: ['/charge', '/refund'], calls: [], db: true },
  { name: 'inventory', routes: ['/reserve', '/release'], calls: ['user-db'], db: true },
  { name: 'catalog', routes: ['/products', '/products/:id'], calls: ['search'], db: true },
  { name: 'search', routes: ['/query', '/suggest'], calls: [], db: false },
  { name: 'email', routes: ['/send'], calls: [], db: false },
  { name: 'user-db', routes: ['/sql'], calls: [], db: true },
];
const BY_NAME = new Map(SERVICES.map((s) => [s.name, s]));

const STATEMENTS = [
  'SELECT * FROM users WHERE id = ?',
  'SELECT * FROM products WHERE id = ?',
  'UPDATE carts SET items = ? WHERE user_id = ?',
  'INSERT INTO orders (user_id, total) VALUES (?, ?)',
  'SELECT count(*) FROM inventory WHERE sku = ?',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];

export interface Workload {
  /** Spans of the next trace (all share resource/scope objects per service instance). */
  nextTrace(startTime: number): Span[];
}

export function createWorkload(seed: number): Workload {
  const r = rng(seed);
  const resources = new Map<string, [Resource, Resource]>();
  const scopes = new Map<string, Scope>();
  for (const s of SERVICES) {
    const instance = (i: number): Resource => ({
      serviceName: s.name,
      tenant: DEFAULT_TENANT,
      attributes: [
        str('service.name', s.name),
        str('service.version', '1.4.' + i),
        str('host.name', `${s.name}-${i}.prod.internal`),
        int('process.pid', 1000 + i * 17),
        str('telemetry.sdk.name', 'opentelemetry'),
        str('telemetry.sdk.language', 'nodejs'),
        str('telemetry.sdk.version', '2.1.0'),
        str('deployment.environment', 'production'),
      ],
      droppedAttributesCount: 0,
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    });
    resources.set(s.name, [instance(0), instance(1)]);
    scopes.set(s.name, {
      name: '@opentelemetry/instrumentation-http',
      version: '0.52.0',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    });
  }

  function span(
    traceId: string,
    parentSpanId: string,
    svc: ServiceDef,
    instance: number,
    name: string,
    kind: SpanKind,
    startTime: number,
    duration: number,
    attributes: Attribute[],
  ): Span {
    const error = r() < 0.02;
    const s: Span = {
      traceId,
      spanId: hexId(r, 16),
      parentSpanId,
      traceState: '',
      flags: 1,
      name,
      kind,
      startTime,
      duration,
      attributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: error ? StatusCode.Error : StatusCode.Unset,
      statusMessage: error ? 'upstream request failed' : '',
      resource: resources.get(svc.name)![instance],
      scope: scopes.get(svc.name)!,
    };
    if (error) {
      s.events.push({
        time: startTime + Math.floor(duration / 2),
        name: 'exception',
        attributes: [
          str('exception.type', 'Error'),
          str('exception.message', 'connect ECONNREFUSED 10.0.3.7:5432'),
        ],
        droppedAttributesCount: 0,
      });
    } else if (r() < 0.1) {
      s.events.push({
        time: startTime + Math.floor(duration / 3),
        name: 'cache.lookup',
        attributes: [bool('cache.hit', r() < 0.7)],
        droppedAttributesCount: 0,
      });
    }
    return s;
  }

  function httpAttrs(svc: ServiceDef, route: string, method: string, user: number): Attribute[] {
    return [
      str('http.method', method),
      str('http.route', route),
      int('http.status_code', r() < 0.97 ? 200 : 503),
      str('http.scheme', 'https'),
      str('net.host.name', svc.name + '.svc.cluster.local'),
      int('net.host.port', 8080),
      str('user.id', 'u' + user),
      str('cloud.region', REGIONS[(r() * REGIONS.length) | 0]),
      int('http.response_content_length', (r() * 20000) | 0),
      bool('sampled.tail', false),
    ];
  }

  function callTree(
    out: Span[],
    traceId: string,
    parent: string,
    svc: ServiceDef,
    start: number,
    budget: number,
    depth: number,
    user: number,
  ): void {
    const instance = r() < 0.5 ? 0 : 1;
    const route = svc.routes[(r() * svc.routes.length) | 0];
    const method = METHODS[(r() * METHODS.length) | 0];
    const server = span(
      traceId,
      parent,
      svc,
      instance,
      `${method} ${route}`,
      SpanKind.Server,
      start,
      budget,
      httpAttrs(svc, route, method, user),
    );
    out.push(server);
    let t = start + 50;
    if (svc.db && r() < 0.8) {
      const stmt = STATEMENTS[(r() * STATEMENTS.length) | 0];
      const d = Math.max(1, Math.floor(budget * 0.1 * r()));
      out.push(
        span(traceId, server.spanId, svc, instance, 'pg.query', SpanKind.Client, t, d, [
          str('db.system', 'postgresql'),
          str('db.name', 'shop'),
          str('db.statement', stmt),
          str('db.operation', stmt.split(' ')[0]),
          str('net.peer.name', 'pg-primary.prod.internal'),
          int('net.peer.port', 5432),
          str('db.user', 'app'),
          int('db.rows_affected', (r() * 50) | 0),
          str('user.id', 'u' + user),
          bool('db.pool.reused', r() < 0.9),
        ]),
      );
      t += d;
    }
    if (depth >= 5) return;
    const callees = svc.calls.filter(() => r() < 0.6);
    for (const name of callees) {
      const callee = BY_NAME.get(name)!;
      const d = Math.max(10, Math.floor((budget - (t - start)) * (0.2 + 0.4 * r())));
      const clientRoute = callee.routes[(r() * callee.routes.length) | 0];
      const client = span(
        traceId,
        server.spanId,
        svc,
        instance,
        `${method} ${name}`,
        SpanKind.Client,
        t,
        d,
        httpAttrs(svc, clientRoute, method, user),
      );
      out.push(client);
      callTree(out, traceId, client.spanId, callee, t + 5, Math.max(5, d - 10), depth + 1, user);
      t += Math.floor(d / 2);
    }
  }

  return {
    nextTrace(startTime: number): Span[] {
      const out: Span[] = [];
      const traceId = hexId(r, 32);
      const user = (r() * 50_000) | 0;
      const budget = 2_000 + Math.floor(r() * r() * 2_000_000);
      callTree(out, traceId, '', SERVICES[0], startTime, budget, 0, user);
      return out;
    },
  };
}
