/**
 * Synthetic but realistic traces for `skein tracegen`: a small web shop whose
 * services call each other over HTTP, gRPC, a database, a cache and a queue.
 * This module only plans spans (pure, seeded); `tracegen.ts` emits them through the
 * real OpenTelemetry SDK.
 */

export type PlannedKind = 'server' | 'client' | 'internal' | 'producer' | 'consumer';

export interface PlannedSpan {
  /**
   * Index of the (causal) parent in the plan's span list, -1 for the root. When the
   * parent is in another `trace`, this span is emitted as the root of its own trace.
   */
  parent: number;
  service: string;
  name: string;
  kind: PlannedKind;
  /** µs offset from the trace start. */
  start: number;
  /** µs. */
  duration: number;
  attributes: Record<string, string | number | boolean | string[]>;
  error: string | null;
  events: { name: string; offset: number; attributes: Record<string, string | number> }[];
  /**
   * Set by break injection only: which trace of the plan the span is emitted in
   * (absent or 0 = the main trace, 1.. = a fragment with a trace id of its own).
   */
  trace?: number;
  /** Set by break injection only: the span is created (so children get its id) but never sent. */
  dropped?: boolean;
  /** Set by break injection only: the span is sent well after the rest of its trace. */
  late?: boolean;
}

/** A call between two instrumented services in the shop's topology. */
export interface PlannedCall {
  caller: string;
  callee: string;
  /** `http`/`grpc`: a CLIENT → SERVER call; `queue`: PRODUCER → CONSUMER. */
  protocol: 'http' | 'grpc' | 'queue';
}

/** A deterministic PRNG (mulberry32), so a seed reproduces a run. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Call {
  service: string;
  /** The server-side operation; the caller's client span gets the same name. */
  operation: string;
  protocol: 'http' | 'grpc' | 'db' | 'cache' | 'queue';
  /** Typical self time in ms. */
  selfMs: number;
  /** Probability of an error on this call. */
  errorRate: number;
  children: Call[];
  /** Probability this call happens at all (for branching traces). */
  probability?: number;
}

const DB: Call = {
  service: 'postgres',
  operation: 'SELECT',
  protocol: 'db',
  selfMs: 3,
  errorRate: 0.01,
  children: [],
};
const CACHE: Call = {
  service: 'redis',
  operation: 'GET',
  protocol: 'cache',
  selfMs: 0.4,
  errorRate: 0.002,
  children: [],
};

const TOPOLOGY: Call[] = [
  {
    service: 'frontend',
    operation: 'GET /product/{id}',
    protocol: 'http',
    selfMs: 4,
    errorRate: 0.01,
    children: [
      {
        service: 'catalog',
        operation: 'catalog.v1.Catalog/GetProduct',
        protocol: 'grpc',
        selfMs: 2,
        errorRate: 0.02,
        children: [CACHE, DB],
      },
      {
        service: 'recommendations',
        operation: 'GET /recommendations',
        protocol: 'http',
        selfMs: 12,
        errorRate: 0.03,
        probability: 0.7,
        children: [CACHE],
      },
      {
        service: 'ads',
        operation: 'ads.v1.Ads/GetAds',
        protocol: 'grpc',
        selfMs: 5,
        errorRate: 0.05,
        probability: 0.5,
        children: [],
      },
    ],
  },
  {
    service: 'frontend',
    operation: 'POST /checkout',
    protocol: 'http',
    selfMs: 6,
    errorRate: 0.02,
    children: [
      {
        service: 'cart',
        operation: 'GET /cart',
        protocol: 'http',
        selfMs: 2,
        errorRate: 0.01,
        children: [CACHE],
      },
      {
        service: 'checkout',
        operation: 'checkout.v1.Checkout/PlaceOrder',
        protocol: 'grpc',
        selfMs: 8,
        errorRate: 0.03,
        children: [
          {
            service: 'payments',
            operation: 'POST /charge',
            protocol: 'http',
            selfMs: 40,
            errorRate: 0.08,
            children: [DB],
          },
          {
            service: 'shipping',
            operation: 'orders process',
            protocol: 'queue',
            selfMs: 15,
            errorRate: 0.02,
            children: [DB],
          },
          DB,
        ],
      },
    ],
  },
  {
    service: 'frontend',
    operation: 'GET /search',
    protocol: 'http',
    selfMs: 3,
    errorRate: 0.01,
    children: [
      {
        service: 'search',
        operation: 'GET /query',
        protocol: 'http',
        selfMs: 25,
        errorRate: 0.02,
        children: [CACHE, DB, DB],
      },
    ],
  },
];

const USER_AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64)',
  'Mozilla/5.0 (Macintosh)',
  'curl/8.5.0',
  'okhttp/4.12.0',
];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];

/** The services a plan can mention, for documentation and tests. */
export function plannedServices(): string[] {
  const names = new Set<string>();
  const visit = (c: Call) => {
    // Databases and caches are not instrumented; their callers' client spans stand for them.
    if (c.protocol !== 'db' && c.protocol !== 'cache') names.add(c.service);
    c.children.forEach(visit);
  };
  TOPOLOGY.forEach(visit);
  return [...names].sort();
}

/** The calls between instrumented services the topology can make (db and cache calls left out), sorted. */
export function plannedCalls(): PlannedCall[] {
  const calls = new Map<string, PlannedCall>();
  const visit = (c: Call) => {
    for (const child of c.children) {
      if (child.protocol !== 'db' && child.protocol !== 'cache') {
        calls.set(`${c.service}>${child.service}`, {
          caller: c.service,
          callee: child.service,
          protocol: child.protocol,
        });
      }
      visit(child);
    }
  };
  TOPOLOGY.forEach(visit);
  return [...calls.keys()].sort().map((k) => calls.get(k) as PlannedCall);
}

/** Plans one trace: spans with parents, times relative to the trace start, attributes, errors. */
export function planTrace(random: () => number): PlannedSpan[] {
  const spans: PlannedSpan[] = [];
  const root = TOPOLOGY[Math.floor(random() * TOPOLOGY.length)];
  const userId = `user-${Math.floor(random() * 5000)}`;
  planCall(root, -1, null, 0, random, spans, userId);
  return spans;
}

function jitter(ms: number, random: () => number): number {
  // Long-tailed latency: most calls near the typical time, a few much slower.
  const r = random();
  const factor = r < 0.9 ? 0.5 + r : 1.5 + (r - 0.9) * 80;
  return Math.max(20, Math.round(ms * factor * 1000));
}

/** Plans `call` (and its subtree) starting at `start`; returns the µs it took. */
function planCall(
  call: Call,
  parent: number,
  callerService: string | null,
  start: number,
  random: () => number,
  spans: PlannedSpan[],
  userId: string,
): number {
  const failed = random() < call.errorRate;
  let serverParent = parent;
  let clientIndex = -1;
  const networkUs = callerService === null ? 0 : Math.round(200 + random() * 800);

  if (callerService !== null && (call.protocol === 'db' || call.protocol === 'cache')) {
    // Databases and caches are not instrumented: only the caller's client span exists.
    const duration = jitter(call.selfMs, random);
    const statement =
      call.protocol === 'db'
        ? 'SELECT * FROM products WHERE id = $1'
        : `GET product:${Math.floor(random() * 1000)}`;
    spans.push({
      parent,
      service: callerService,
      name: call.protocol === 'db' ? `SELECT shop.products` : 'GET',
      kind: 'client',
      start,
      duration,
      attributes:
        call.protocol === 'db'
          ? {
              'db.system': 'postgresql',
              'db.namespace': 'shop',
              'db.query.text': statement,
              'server.address': 'postgres',
              'server.port': 5432,
            }
          : {
              'db.system': 'redis',
              'db.query.text': statement,
              'server.address': 'redis',
              'server.port': 6379,
            },
      error: failed
        ? call.protocol === 'db'
          ? 'connection reset by peer'
          : "READONLY You can't write against a read only replica"
        : null,
      events: [],
    });
    return duration;
  }

  if (callerService !== null) {
    clientIndex = spans.length;
    spans.push({
      parent,
      service: callerService,
      name: call.protocol === 'queue' ? 'orders publish' : call.operation,
      kind: call.protocol === 'queue' ? 'producer' : 'client',
      start,
      duration: 0,
      attributes: clientAttributes(call),
      error: null,
      events: [],
    });
    serverParent = clientIndex;
  }

  const serverIndex = spans.length;
  const serverStart = start + networkUs;
  const server: PlannedSpan = {
    parent: serverParent,
    service: call.service,
    name: call.operation,
    kind: call.protocol === 'queue' ? 'consumer' : 'server',
    start: serverStart,
    duration: 0,
    attributes: serverAttributes(call, random, userId, failed),
    error: null,
    events: [],
  };
  spans.push(server);

  let cursor = serverStart + jitter(call.selfMs / 2, random);
  for (const child of call.children) {
    if (child.probability !== undefined && random() > child.probability) continue;
    cursor += planCall(child, serverIndex, call.service, cursor, random, spans, userId);
  }
  if (call.protocol === 'http' && random() < 0.3) {
    spans.push({
      parent: serverIndex,
      service: call.service,
      name: 'render',
      kind: 'internal',
      start: cursor,
      duration: jitter(1, random),
      attributes: { 'template.name': `${call.service}.html` },
      error: null,
      events: [],
    });
    cursor += spans[spans.length - 1].duration;
  }
  cursor += jitter(call.selfMs / 2, random);
  server.duration = cursor - serverStart;
  if (failed) {
    server.error = call.protocol === 'http' ? 'upstream returned 503' : 'deadline exceeded';
    server.events.push({
      name: 'exception',
      offset: Math.round(server.duration * 0.8),
      attributes: { 'exception.type': 'Error', 'exception.message': server.error },
    });
    if (call.protocol === 'http') server.attributes['http.response.status_code'] = 503;
    if (call.protocol === 'grpc') server.attributes['rpc.grpc.status_code'] = 4;
  }
  if (clientIndex >= 0) {
    const client = spans[clientIndex];
    client.duration =
      call.protocol === 'queue'
        ? Math.round(300 + random() * 500)
        : server.duration + 2 * networkUs;
    if (failed && call.protocol !== 'queue') {
      client.error = server.error;
      if (call.protocol === 'http') client.attributes['http.response.status_code'] = 503;
    }
    return client.duration;
  }
  return server.duration;
}

function clientAttributes(call: Call): PlannedSpan['attributes'] {
  if (call.protocol === 'grpc') {
    const [service, method] = call.operation.split('/');
    return {
      'rpc.system': 'grpc',
      'rpc.service': service,
      'rpc.method': method,
      'server.address': call.service,
      'server.port': 50051,
    };
  }
  if (call.protocol === 'queue') {
    return {
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.operation.type': 'publish',
    };
  }
  const [method, route] = call.operation.split(' ');
  return {
    'http.request.method': method,
    'url.full': `http://${call.service}:8080${route}`,
    'server.address': call.service,
    'server.port': 8080,
    'http.response.status_code': 200,
  };
}

function serverAttributes(
  call: Call,
  random: () => number,
  userId: string,
  failed: boolean,
): PlannedSpan['attributes'] {
  const common = {
    'enduser.id': userId,
    'cloud.region': REGIONS[Math.floor(random() * REGIONS.length)],
  };
  if (call.protocol === 'grpc') {
    const [service, method] = call.operation.split('/');
    return {
      ...common,
      'rpc.system': 'grpc',
      'rpc.service': service,
      'rpc.method': method,
      'rpc.grpc.status_code': 0,
    };
  }
  if (call.protocol === 'queue') {
    return {
      ...common,
      'messaging.system': 'kafka',
      'messaging.destination.name': 'orders',
      'messaging.operation.type': 'process',
      'messaging.kafka.message.offset': Math.floor(random() * 1e6),
    };
  }
  const [method, route] = call.operation.split(' ');
  return {
    ...common,
    'http.request.method': method,
    'http.route': route,
    'url.path': route.replace('{id}', String(Math.floor(random() * 1000))),
    'http.response.status_code': failed ? 503 : 200,
    'user_agent.original': USER_AGENTS[Math.floor(random() * USER_AGENTS.length)],
    'client.address': `10.0.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}`,
    'feature.flags': random() < 0.5 ? ['new-checkout', 'fast-search'] : ['fast-search'],
    'http.request.body.size': Math.floor(random() * 4096),
  };
}
