import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { credentials, Client, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { CountingExporter } from '../../src/tracegen/counting-exporter.ts';
import { routeScopes, type ListenerName } from '../../src/security/route-scopes.ts';
import type { RouteScope, Scope } from '../../src/security/scope.ts';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/** One token per scope, bound to tenant "a", and one unbound token with every scope. */
const SECRETS: Record<Scope | 'all', string> = {
  ingest: 'ingest-secret-for-tenant-a-0001',
  read: 'read-secret-for-tenant-a-000002',
  admin: 'admin-secret-for-tenant-a-00003',
  all: 'all-scopes-unbound-secret-00004',
};
const TOKENS = [
  // One secret given as its hash, as a config file would keep it.
  {
    name: 'ingest-a',
    secret: `sha256:${createHash('sha256').update(SECRETS.ingest).digest('hex')}`,
    scopes: ['ingest'],
    tenant: 'a',
  },
  { name: 'read-a', secret: SECRETS.read, scopes: ['read'], tenant: 'a' },
  { name: 'admin-a', secret: SECRETS.admin, scopes: ['admin'], tenant: 'a' },
  { name: 'all', secret: SECRETS.all, scopes: ['ingest', 'read', 'admin'] },
];

type Case = 'none' | 'bad token' | 'wrong scope' | 'other tenant' | 'right';
const CASES: Case[] = ['none', 'bad token', 'wrong scope', 'other tenant', 'right'];

/** The headers a case sends to a route needing `scope`. */
function headersFor(c: Case, scope: RouteScope): Record<string, string> {
  const need: Scope = scope === 'public' ? 'read' : scope;
  const wrong: Scope = need === 'read' ? 'ingest' : 'read';
  switch (c) {
    case 'none':
      return {};
    case 'bad token':
      return { authorization: 'Bearer not-a-token-skein-knows' };
    case 'wrong scope':
      return { authorization: `Bearer ${SECRETS[wrong]}` };
    case 'other tenant':
      return { authorization: `Bearer ${SECRETS[need]}`, 'x-scope-orgid': 'b' };
    case 'right':
      return { authorization: `Bearer ${SECRETS[need]}`, 'x-scope-orgid': 'a' };
  }
}

/** What each case must get: the HTTP status class, or the gRPC code. */
function expected(c: Case, scope: RouteScope): 'allowed' | 401 | 403 {
  if (scope === 'public' || c === 'right') return 'allowed';
  return c === 'none' || c === 'bad token' ? 401 : 403;
}

/** A concrete path for a route pattern. */
function concrete(pattern: string): string {
  return pattern
    .replace(/:trace[iI][dD]/, '0123456789abcdef0123456789abcdef')
    .replace(':service', 'svc')
    .replace(/\/\*$/, '/some/page');
}

const GRPC_LISTENERS = new Set<ListenerName>(['otlp-grpc', 'jaeger-grpc', 'sampling-grpc']);

function grpcCall(url: string, path: string, md: Metadata): Promise<number> {
  const client = new Client(url.replace(/^http:\/\//, ''), credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      md,
      (err: ServiceError | null) => {
        client.close();
        resolve(err === null ? status.OK : err.code);
      },
    );
  });
}

async function sendTrace(service: string, inner: SpanExporter): Promise<CountingExporter> {
  const exporter = new CountingExporter(inner);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  provider.getTracer('auth-e2e').startSpan('GET /secure').end();
  // A refused export rejects the flush; the counting exporter has recorded it.
  await provider.forceFlush().catch(() => undefined);
  await provider.shutdown().catch(() => undefined);
  return exporter;
}

describe('auth on every listener (a real skein with static tokens)', () => {
  let skein: SkeinProcess;
  before(async () => {
    skein = await startSkein('all', [
      '--storage.duckdb.path=:memory:',
      `--security.tokens=${JSON.stringify(TOKENS)}`,
      // The matrix fails on purpose hundreds of times from one address.
      '--security.maxFailuresPerMinute=100000',
    ]);
  });
  after(async () => {
    await skein?.stop('SIGKILL');
  });

  test('the banner says auth is on', () => {
    assert.ok(
      skein.output.some((l) => /auth: on \(4 static token\(s\)\)/.test(l)),
      skein.output.join('\n'),
    );
  });

  test('the auth matrix, generated from the route table: {none, bad token, wrong scope, other tenant, right} on every route', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const listener of Object.keys(routeScopes) as ListenerName[]) {
      const base = skein.urls.get(listener);
      if (listener === 'jaeger-ui') continue; // Off unless query.jaegerUi.dir is set; same table as query.
      assert.ok(base, `${listener} in the banner: ${skein.output.join('\n')}`);
      for (const [route, scope] of Object.entries(routeScopes[listener])) {
        for (const c of CASES) {
          const want = expected(c, scope);
          checked++;
          if (GRPC_LISTENERS.has(listener)) {
            const md = new Metadata();
            for (const [k, v] of Object.entries(headersFor(c, scope))) md.set(k, v);
            const code = await grpcCall(base, route, md);
            const ok =
              want === 'allowed'
                ? code !== status.UNAUTHENTICATED && code !== status.PERMISSION_DENIED
                : code === (want === 401 ? status.UNAUTHENTICATED : status.PERMISSION_DENIED);
            if (!ok)
              failures.push(`${listener} ${route} [${c}]: gRPC code ${code}, wanted ${want}`);
            continue;
          }
          const space = route.indexOf(' ');
          const method = route.slice(0, space);
          const path = concrete(route.slice(space + 1));
          const body = method === 'POST' ? '{}' : undefined;
          const res = await fetch(`${base}${path}`, {
            method,
            headers: {
              ...headersFor(c, scope),
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body,
          });
          await res.arrayBuffer();
          const ok =
            want === 'allowed' ? res.status !== 401 && res.status !== 403 : res.status === want;
          if (!ok)
            failures.push(`${listener} ${method} ${path} [${c}]: ${res.status}, wanted ${want}`);
          if (want === 401) {
            const challenge = res.headers.get('www-authenticate') ?? '';
            const wanted =
              c === 'bad token'
                ? 'Bearer realm="skein", error="invalid_token"'
                : 'Bearer realm="skein"';
            if (challenge !== wanted)
              failures.push(
                `${listener} ${method} ${path} [${c}]: WWW-Authenticate "${challenge}"`,
              );
          }
          if (want === 403 && c === 'wrong scope') {
            const challenge = res.headers.get('www-authenticate') ?? '';
            if (!challenge.includes(`error="insufficient_scope", scope="${scope}"`))
              failures.push(
                `${listener} ${method} ${path} [${c}]: WWW-Authenticate "${challenge}"`,
              );
          }
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(checked > 150, `${checked} cases`);
  });

  test('a path no route serves needs valid credentials before it is told 404', async () => {
    const query = skein.urls.get('query');
    const otlp = skein.urls.get('otlp-http');
    assert.equal((await fetch(`${otlp}/v1/logs`, { method: 'POST' })).status, 401);
    const authed = await fetch(`${otlp}/v1/logs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRETS.ingest}` },
    });
    assert.equal(authed.status, 404);
    // The UI's files are public; the API behind them is not.
    assert.equal((await fetch(`${query}/api/nope`)).status, 404);
    assert.equal((await fetch(`${query}/api/services`)).status, 401);
  });

  test('the OTel JS exporters (HTTP protobuf, HTTP JSON, gRPC) send with a token; without one they are refused', async () => {
    const otlpHttp = `${skein.urls.get('otlp-http')}/v1/traces`;
    const otlpGrpc = skein.urls.get('otlp-grpc') ?? '';
    const auth = { authorization: `Bearer ${SECRETS.ingest}` };
    const md = new Metadata();
    md.set('authorization', `Bearer ${SECRETS.ingest}`);
    const sent = [
      await sendTrace('auth-proto', new ProtoExporter({ url: otlpHttp, headers: auth })),
      await sendTrace('auth-json', new JsonExporter({ url: otlpHttp, headers: auth })),
      await sendTrace('auth-grpc', new GrpcExporter({ url: otlpGrpc, metadata: md })),
    ];
    for (const e of sent) assert.equal(e.failed, 0, String(e.lastError));
    const refused = [
      await sendTrace('anon-proto', new ProtoExporter({ url: otlpHttp })),
      await sendTrace('anon-grpc', new GrpcExporter({ url: otlpGrpc })),
    ];
    for (const e of refused) {
      assert.equal(e.exported, 0);
      assert.ok(e.failed > 0);
    }
    const query = skein.urls.get('query');
    const services = await eventually(async () => {
      const res = await fetch(`${query}/api/services`, {
        headers: { authorization: `Bearer ${SECRETS.read}` },
      });
      const body = (await res.json()) as { data: string[] };
      return ['auth-proto', 'auth-json', 'auth-grpc'].every((s) => body.data.includes(s))
        ? body.data
        : undefined;
    }, 'the three services to be queryable');
    assert.ok(!services.includes('anon-proto') && !services.includes('anon-grpc'));
  });

  test('failures are counted on /metrics (which itself needs the admin scope)', async () => {
    const admin = skein.urls.get('admin');
    assert.equal((await fetch(`${admin}/metrics`)).status, 401);
    assert.equal((await fetch(`${admin}/health`)).status, 200);
    const res = await fetch(`${admin}/metrics`, {
      headers: { authorization: `Bearer ${SECRETS.admin}` },
    });
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const reason of ['missing', 'bad_token', 'scope', 'tenant'])
      assert.match(
        text,
        new RegExp(`skein_auth_failures_total\\{listener="query",reason="${reason}"\\} [1-9]`),
      );
    assert.match(text, /skein_auth_failures_total\{listener="otlp-grpc",reason="missing"\} [1-9]/);
  });
});
