import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { loadOtlpRoot } from '../../src/receivers/otlp/test-support/reference-otlp.ts';
import { eventually } from './eventually.ts';
import { startSkein, type SkeinProcess } from './skein-process.ts';

/**
 * Per-tenant ingest limits end to end (issue 15): a real `skein all` with tokens bound
 * to two tenants, one of them held to a low rate by `tenants.overrides`. Over its rate
 * that tenant gets 429 + Retry-After on OTLP/HTTP and RESOURCE_EXHAUSTED + RetryInfo on
 * OTLP/gRPC, and nothing of the refused batches is stored; the other tenant is not
 * affected; /metrics counts both per tenant.
 */

const SECRET = {
  slow: 'slow-tenant-ingest-read-secret-01',
  fast: 'fast-tenant-ingest-read-secret-02',
  ops: 'ops-admin-secret-for-metrics-0003',
};

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const root = loadOtlpRoot();
const ExportRequest = root.lookupType(
  'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
);
const RpcStatus = root.lookupType('google.rpc.Status');
const RetryInfo = root.lookupType('google.rpc.RetryInfo');

const nowNs = BigInt(Date.now()) * 1_000_000n;
const traceId = (n: number): string =>
  `7e4a0000000000000000000000${n.toString(16).padStart(6, '0')}`;

/** An OTLP/JSON request: `count` spans of trace `n`. */
function otlpJson(n: number, count: number): string {
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: traceId(n),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `op-${i}`,
    kind: 2,
    startTimeUnixNano: String(nowNs - 60_000_000_000n + BigInt(i) * 1_000_000n),
    endTimeUnixNano: String(nowNs - 59_000_000_000n + BigInt(i) * 1_000_000n),
  }));
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'limited' } }] },
        scopeSpans: [{ scope: { name: 'tenant-limits' }, spans }],
      },
    ],
  });
}

/** The same as protobuf, for the gRPC Export. */
function otlpProto(n: number, count: number): Buffer {
  const json = JSON.parse(otlpJson(n, count)) as {
    resourceSpans: { scopeSpans: { spans: { traceId: string; spanId: string }[] }[] }[];
  };
  for (const s of json.resourceSpans[0].scopeSpans[0].spans) {
    Object.assign(s, {
      traceId: Buffer.from(s.traceId, 'hex'),
      spanId: Buffer.from(s.spanId, 'hex'),
    });
  }
  return Buffer.from(ExportRequest.encode(ExportRequest.fromObject(json)).finish());
}

function postHttp(base: string, tenant: 'slow' | 'fast', n: number, count: number) {
  return fetch(`${base}/v1/traces`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET[tenant]}`, 'content-type': 'application/json' },
    body: otlpJson(n, count),
  });
}

/** Zipkin v2 JSON: `count` spans of trace `n`. */
function postZipkin(base: string, tenant: 'slow' | 'fast', n: number, count: number) {
  const spans = Array.from({ length: count }, (_, i) => ({
    traceId: traceId(n),
    id: (i + 1).toString(16).padStart(16, '0'),
    name: `zipkin-op-${i}`,
    kind: 'SERVER',
    timestamp: Date.now() * 1000 - 60_000_000 + i,
    duration: 1000,
    localEndpoint: { serviceName: 'limited-zipkin' },
  }));
  return fetch(`${base}/api/v2/spans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET[tenant]}`, 'content-type': 'application/json' },
    body: JSON.stringify(spans),
  });
}

/** One Export call with a plain grpc-js client (no retries). */
function exportGrpc(base: string, tenant: 'slow' | 'fast', n: number, count: number) {
  const client = new Client(base.replace(/^http:\/\//, ''), credentials.createInsecure());
  const md = new Metadata();
  md.set('authorization', `Bearer ${SECRET[tenant]}`);
  return new Promise<ServiceError | null>((resolve) => {
    client.makeUnaryRequest(
      EXPORT_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      otlpProto(n, count),
      md,
      (err) => {
        client.close();
        resolve(err);
      },
    );
  });
}

describe('per-tenant ingest limits (a real skein, two tenants)', () => {
  let skein: SkeinProcess;
  let dir: string;
  let file: string;

  /** The config file: slow's override at `slowRate` spans/s. */
  const config = (slowRate: number) =>
    JSON.stringify({
      security: {
        tokens: [
          { name: 'slow', secret: SECRET.slow, scopes: ['ingest', 'read'], tenant: 'slow' },
          { name: 'fast', secret: SECRET.fast, scopes: ['ingest', 'read'], tenant: 'fast' },
          { name: 'ops', secret: SECRET.ops, scopes: ['admin'] },
        ],
      },
      // 10 spans at once, then one every 10 s: the test is over long before it refills.
      tenants: { overrides: { slow: { maxSpansPerSecond: slowRate, burstSpans: 10 } } },
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skein-tenant-limits-'));
    file = join(dir, 'skein.yaml');
    writeFileSync(file, config(0.1));
    skein = await startSkein('all', ['--config', file, '--storage.duckdb.path=:memory:']);
  });
  after(async () => {
    await skein?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('over its rate a tenant gets 429 + Retry-After and RESOURCE_EXHAUSTED; the other is not affected', async () => {
    const http = skein.urls.get('otlp-http') ?? assert.fail('no otlp-http url');
    const grpc = skein.urls.get('otlp-grpc') ?? assert.fail('no otlp-grpc url');
    const query = skein.urls.get('query') ?? assert.fail('no query url');
    const admin = skein.urls.get('admin') ?? assert.fail('no admin url');

    const first = await postHttp(http, 'slow', 1, 10);
    assert.equal(first.status, 200, await first.text());

    const refused = await postHttp(http, 'slow', 2, 5);
    assert.equal(refused.status, 429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 50, `Retry-After: ${retryAfter}`);
    const body = (await refused.json()) as { message: string };
    assert.match(body.message, /tenant "slow" is over its ingest rate of 0\.1 spans\/s/);

    const grpcRefused = await exportGrpc(grpc, 'slow', 3, 5);
    assert.equal(grpcRefused?.code, status.RESOURCE_EXHAUSTED);
    const [details] = grpcRefused.metadata.get('grpc-status-details-bin') as Buffer[];
    const rpcStatus = RpcStatus.decode(details) as unknown as {
      details: { typeUrl: string; value: Uint8Array }[];
    };
    assert.equal(rpcStatus.details[0].typeUrl, 'type.googleapis.com/google.rpc.RetryInfo');
    const retry = RetryInfo.toObject(RetryInfo.decode(rpcStatus.details[0].value), {
      longs: Number,
    }) as { retryDelay: { seconds: number } };
    assert.ok(retry.retryDelay.seconds >= 1, JSON.stringify(retry));

    // The other tenant sends 40 times as much at the same moment, on both ports.
    for (let n = 10; n < 14; n++) {
      const res = await postHttp(http, 'fast', n, 50);
      assert.equal(res.status, 200, await res.text());
    }
    for (let n = 20; n < 24; n++) assert.equal(await exportGrpc(grpc, 'fast', n, 50), null);

    // Every receiver passes the tenant: Zipkin's port too.
    const zipkin = skein.urls.get('zipkin') ?? assert.fail('no zipkin url');
    const zipkinRefused = await postZipkin(zipkin, 'slow', 4, 3);
    assert.equal(zipkinRefused.status, 429, await zipkinRefused.text());
    assert.ok(Number(zipkinRefused.headers.get('retry-after')) >= 1);
    const zipkinFast = await postZipkin(zipkin, 'fast', 30, 20);
    assert.equal(zipkinFast.status, 202, await zipkinFast.text());

    // What was taken is stored under its tenant; nothing of a refused batch is.
    const trace = async (tenant: 'slow' | 'fast', n: number) =>
      (
        await fetch(`${query}/api/traces/${traceId(n)}`, {
          headers: { authorization: `Bearer ${SECRET[tenant]}` },
        })
      ).status;
    await eventually(
      async () =>
        (await trace('slow', 1)) === 200 && (await trace('fast', 23)) === 200 ? true : undefined,
      'the accepted traces stored',
    );
    assert.equal(await trace('slow', 2), 404);
    assert.equal(await trace('slow', 3), 404);
    assert.equal(await trace('fast', 1), 404, "slow's trace is not fast's");

    const metrics = await fetch(`${admin}/metrics`, {
      headers: { authorization: `Bearer ${SECRET.ops}` },
    });
    assert.equal(metrics.status, 200);
    const text = await metrics.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    assert.equal(value('skein_tenant_spans_accepted_total{tenant="slow"}'), 10);
    assert.equal(value('skein_tenant_spans_accepted_total{tenant="fast"}'), 420);
    assert.equal(
      value('skein_tenant_spans_refused_total{tenant="slow",reason="rate_limited"}'),
      13,
    );
    assert.equal(
      value('skein_tenant_spans_refused_total{tenant="fast",reason="rate_limited"}'),
      undefined,
    );
    assert.ok((value('skein_tenant_bytes_accepted_total{tenant="fast"}') ?? 0) > 0);
  });

  test('a hot reload of tenants.overrides applies to the next batch', async () => {
    const http = skein.urls.get('otlp-http') ?? assert.fail('no otlp-http url');
    assert.equal((await postHttp(http, 'slow', 40, 5)).status, 429);
    writeFileSync(file, config(1000));
    await eventually(
      async () => ((await postHttp(http, 'slow', 41, 5)).status === 200 ? true : undefined),
      "slow's new rate in force",
    );
  });
});
