import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routeScopes, type ListenerName } from '../../src/security/route-scopes.ts';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/**
 * Tenant isolation end to end (issue 15): two tenants send traces with the SAME trace
 * and span ids and overlapping service names to a real `skein all`; every read route of
 * the query API and of Zipkin's read API, taken from the route table, shows each tenant
 * its own data and nothing of the other's, and a tenant-bound token cannot cross over
 * with a header.
 */

const SECRET = {
  acme: 'acme-ingest-and-read-secret-0001',
  globex: 'globex-ingest-and-read-secret-02',
  unbound: 'unbound-every-scope-secret-00003',
};
const TOKENS = [
  { name: 'acme', secret: SECRET.acme, scopes: ['ingest', 'read'], tenant: 'acme' },
  { name: 'globex', secret: SECRET.globex, scopes: ['ingest', 'read'], tenant: 'globex' },
  { name: 'ops', secret: SECRET.unbound, scopes: ['ingest', 'read', 'admin'] },
];

/** Who reads: two bound tokens, a tenant named by header, and the default tenant. */
type Viewer = 'acme' | 'globex' | 'initech' | 'default';
const VIEWERS: Viewer[] = ['acme', 'globex', 'initech', 'default'];
/** The tenants that write data (initech writes through the header). */
const WRITERS = ['acme', 'globex', 'initech'] as const;

function headers(v: Viewer): Record<string, string> {
  switch (v) {
    case 'acme':
    case 'globex':
      return { authorization: `Bearer ${SECRET[v]}` };
    case 'initech':
      return { authorization: `Bearer ${SECRET.unbound}`, 'x-scope-orgid': 'initech' };
    case 'default':
      return { authorization: `Bearer ${SECRET.unbound}` };
  }
}

/** The same ids for every tenant: tenants must not meet even on a trace id. */
const TRACE_1 = '5eed0000000000000000000000000001';
const TRACE_2 = '5eed0000000000000000000000000002';
const SPAN = (n: number): string => `00000000000000a${n}`;

const nowMs = Date.now();
const startNs = (offsetMs: number): string =>
  String(BigInt(nowMs - 60_000 + offsetMs) * 1_000_000n);

/**
 * A trace `<t>-edge` → frontend → cart: the tenant's own service at the root, shared
 * service names below, operation names and an attribute carrying the tenant's name.
 */
function otlpTrace(tenant: string, traceId: string): unknown {
  const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
  const span = (
    id: number,
    parent: number,
    name: string,
    kind: number,
    extra: { key: string; value: { stringValue: string } }[] = [],
  ) => ({
    traceId,
    spanId: SPAN(id),
    parentSpanId: parent === 0 ? '' : SPAN(parent),
    name,
    kind,
    startTimeUnixNano: startNs(id),
    endTimeUnixNano: startNs(id + 20),
    attributes: [str('owner', tenant), ...extra],
  });
  const resource = (service: string, spans: unknown[]) => ({
    resource: { attributes: [str('service.name', service)] },
    scopeSpans: [{ scope: { name: 'tenant-isolation' }, spans }],
  });
  return {
    resourceSpans: [
      resource(`${tenant}-edge`, [
        span(1, 0, `${tenant}-checkout`, 2),
        span(2, 1, `${tenant}-call`, 3, [str('peer.service', `${tenant}-peer`)]),
      ]),
      resource('frontend', [
        span(3, 2, `${tenant}-checkout`, 2),
        span(4, 3, `${tenant}-cart-call`, 3),
      ]),
      resource('cart', [span(5, 4, `${tenant}-add`, 2)]),
    ],
  };
}

/** Every other tenant's name: none may appear in `viewer`'s answers. */
function foreign(viewer: Viewer): string[] {
  return WRITERS.filter((t) => t !== viewer);
}

/** Query strings that make each read route return data (when there is any). */
function urlFor(route: string): string {
  const path = route.slice(route.indexOf(' ') + 1);
  const end = nowMs + 60_000;
  const start = nowMs - 3_600_000;
  const rfc = (ms: number) => new Date(ms).toISOString();
  const concrete = path.replace(/:trace[iI][dD]/, TRACE_1).replace(':service', 'frontend');
  const q: Record<string, string> = {
    '/api/operations': 'service=frontend',
    '/api/traces': `service=frontend&start=${start * 1000}&end=${end * 1000}&limit=20`,
    '/api/dependencies': `endTs=${end}&lookback=3600000`,
    '/api/v3/operations': 'service=frontend',
    '/api/v3/traces': `query.service_name=frontend&query.start_time_min=${rfc(start)}&query.start_time_max=${rfc(end)}`,
    '/api/v3/trace-summaries': `query.service_name=frontend&query.start_time_min=${rfc(start)}&query.start_time_max=${rfc(end)}`,
    '/api/metrics/calls': `service=frontend&groupByOperation=true&endTs=${end}&lookback=3600000&step=60000&ratePer=600000`,
    '/api/metrics/errors': `service=frontend&groupByOperation=true&endTs=${end}&lookback=3600000&step=60000&ratePer=600000`,
    '/api/metrics/latencies': `service=frontend&groupByOperation=true&quantile=0.95&endTs=${end}&lookback=3600000&step=60000&ratePer=600000`,
    '/api/completeness': `start=${start * 1000}&end=${end * 1000}`,
    '/api/quality-metrics': 'hours=2',
    '/api/sampling/strategies': 'service=frontend',
    '/api/v2/spans': 'serviceName=frontend',
    '/api/v2/remoteServices': `serviceName=${'{tenant}'}-edge`,
    '/api/v2/traces': `serviceName=frontend&endTs=${end}&lookback=3600000`,
    '/api/v2/traceMany': `traceIds=${TRACE_1},${TRACE_2}`,
    '/api/v2/dependencies': `endTs=${end}&lookback=3600000`,
    '/api/v2/autocompleteValues': 'key=owner',
  };
  const qs = q[path];
  return qs === undefined ? concrete : `${concrete}?${qs}`;
}

/** Routes whose answer must show the viewer's own tenant name once its data is in. */
const SHOWS_OWN = new Set([
  'GET /api/services',
  'GET /api/services/:service/operations',
  'GET /api/operations',
  'GET /api/traces',
  'GET /api/traces/:traceID',
  'GET /api/dependencies',
  'GET /api/v3/services',
  'GET /api/v3/operations',
  'GET /api/v3/traces',
  'GET /api/v3/traces/:traceId',
  'GET /api/v3/trace-summaries',
  'GET /api/metrics/calls',
  'GET /api/metrics/latencies',
  'GET /api/completeness',
  'GET /api/v2/services',
  'GET /api/v2/spans',
  'GET /api/v2/remoteServices',
  'GET /api/v2/traces',
  'GET /api/v2/trace/:traceId',
  'GET /api/v2/traceMany',
  'GET /api/v2/dependencies',
  'GET /api/v2/autocompleteValues',
]);

/** The read routes to check: every GET of the query and Zipkin tables that needs `read`. */
function readRoutes(): { listener: ListenerName; route: string }[] {
  const out: { listener: ListenerName; route: string }[] = [];
  for (const listener of ['query', 'zipkin'] as const) {
    for (const [route, scope] of Object.entries(routeScopes[listener])) {
      if (scope === 'read' && route.startsWith('GET ')) out.push({ listener, route });
    }
  }
  return out;
}

describe('tenant isolation (a real skein, two tenants with the same trace ids)', () => {
  let skein: SkeinProcess;
  before(async () => {
    skein = await startSkein('all', [
      '--storage.duckdb.path=:memory:',
      `--security.tokens=${JSON.stringify(TOKENS)}`,
      '--pipeline.traceBuffer.idleSeconds=1',
      '--pipeline.processors.completeness.flushIntervalSeconds=1',
      '--pipeline.processors.spanMetrics.flushIntervalSeconds=1',
      '--pipeline.processors.dependencies.flushIntervalSeconds=1',
    ]);
    const otlp = skein.urls.get('otlp-http') ?? assert.fail('no otlp-http url');
    for (const tenant of WRITERS) {
      const viewer: Viewer = tenant;
      for (const traceId of [TRACE_1, TRACE_2]) {
        const res = await fetch(`${otlp}/v1/traces`, {
          method: 'POST',
          headers: { ...headers(viewer), 'content-type': 'application/json' },
          body: JSON.stringify(otlpTrace(tenant, traceId)),
        });
        assert.equal(res.status, 200, `${tenant} send: ${await res.text()}`);
      }
    }
  });
  after(async () => {
    await skein?.stop('SIGKILL');
  });

  test('every read route shows each tenant its own data and nothing of the others', async () => {
    const routes = readRoutes();
    assert.ok(routes.length >= 25, `${routes.length} read routes in the table`);
    // Aggregates (metrics, completeness, dependencies) arrive after their flush: poll
    // until every viewer sees its own data on every route that shows it.
    let failures: string[] = [];
    const settled = await eventually(
      async () => {
        failures = [];
        for (const viewer of VIEWERS) {
          for (const { listener, route } of routes) {
            const base = skein.urls.get(listener) ?? assert.fail(`no ${listener} url`);
            const url = `${base}${urlFor(route).replace('{tenant}', viewer)}`;
            const res = await fetch(url, { headers: headers(viewer) });
            const body = await res.text();
            const where = `${viewer} ${route} → ${res.status}`;
            if (res.status >= 500 || res.status === 401 || res.status === 403)
              failures.push(`${where}: ${body.slice(0, 200)}`);
            for (const other of foreign(viewer)) {
              if (body.includes(other)) failures.push(`${where} shows ${other}'s data`);
            }
            // The quality banner names no service: its count is the tenant's 2 traces, not 6.
            if (
              route === 'GET /api/quality-metrics' &&
              viewer !== 'default' &&
              !body.includes('of 2 traces complete')
            )
              failures.push(`${where} does not count ${viewer}'s 2 traces: ${body.slice(0, 200)}`);
            if (viewer !== 'default' && SHOWS_OWN.has(route) && !body.includes(viewer))
              failures.push(`${where} does not show ${viewer}'s own data: ${body.slice(0, 200)}`);
          }
        }
        // A leak is final: stop at once. Missing own data may still be on its way.
        if (failures.some((f) => f.includes("'s data") && !f.includes('own data'))) return false;
        return failures.length === 0 ? true : undefined;
      },
      'every viewer to see its own data on every read route',
      30_000,
    ).catch(() => false);
    assert.deepEqual(failures, []);
    assert.equal(settled, true);
  });

  test('the default tenant sees none of the named tenants, and their shared trace id is not found', async () => {
    const query = skein.urls.get('query')!;
    const services = await fetch(`${query}/api/services`, { headers: headers('default') });
    assert.deepEqual(((await services.json()) as { data: string[] }).data, []);
    const trace = await fetch(`${query}/api/traces/${TRACE_1}`, { headers: headers('default') });
    assert.equal(trace.status, 404);
  });

  test('each tenant reads its own version of the shared trace id, whole', async () => {
    const query = skein.urls.get('query')!;
    for (const tenant of WRITERS) {
      const res = await fetch(`${query}/api/traces/${TRACE_1}`, { headers: headers(tenant) });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        data: { spans: { operationName: string; tags: { key: string; value: unknown }[] }[] }[];
      };
      assert.equal(body.data.length, 1);
      const spans = body.data[0].spans;
      assert.equal(spans.length, 5, `${tenant}: one copy of each span`);
      for (const s of spans) {
        assert.ok(s.operationName.startsWith(`${tenant}-`), `${tenant}: ${s.operationName}`);
        assert.deepEqual(
          s.tags.find((t) => t.key === 'owner'),
          { key: 'owner', type: 'string', value: tenant },
        );
      }
    }
  });

  test('a token bound to a tenant cannot read or write another by sending a header', async () => {
    const query = skein.urls.get('query')!;
    const otlp = skein.urls.get('otlp-http')!;
    const read = await fetch(`${query}/api/services`, {
      headers: { ...headers('acme'), 'x-scope-orgid': 'globex' },
    });
    assert.equal(read.status, 403);
    await read.arrayBuffer();
    const write = await fetch(`${otlp}/v1/traces`, {
      method: 'POST',
      headers: { ...headers('acme'), 'x-tenant': 'globex', 'content-type': 'application/json' },
      body: JSON.stringify(otlpTrace('acme', TRACE_1)),
    });
    assert.equal(write.status, 403);
    await write.arrayBuffer();
  });
});
