/**
 * The ClickHouse backend on a real local cluster: 2 shards × 2 replicas + ZooKeeper
 * (Debian's ClickHouse 18.16, started by packages/server/test/support/clickhouse-cluster.ts),
 * loaded with the storage benchmark's realistic workload (bench/storage-workload.ts)
 * through ClickHouseStorage.write, then reads timed through the Distributed tables.
 *
 *   node --import tsx bench/clickhouse-storage.ts --spans 1000000 [--batch 10000] [--reps 30]
 *     [--tenants 1]
 *
 * With `--tenants N` (N > 1) the traces are dealt round-robin to tenants t0…t(N-1)
 * (each tenant the same services), and every read is tenant t0's: what a per-tenant
 * read costs when the tables hold N tenants (`tenant` first in every sort key).
 *
 * Prints write throughput, bytes per span on disk (per copy: every replica's
 * `spans_local` + `trace_index_local` + `operations_local` parts summed, divided by
 * spans × replicas) and the read latencies. On this 2-core box all five servers, the
 * generator and the client share the cores: a functional figure, not a capacity claim.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TENANT } from '../packages/server/src/model/span.ts';
import type { Resource, Span } from '../packages/server/src/model/span.ts';
import { ClickHouseStorage } from '../packages/server/src/storage/clickhouse/index.ts';
import { startClickHouseCluster } from '../packages/server/test/support/clickhouse-cluster.ts';
import { createWorkload } from './storage-workload.ts';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '30' },
    tenants: { type: 'string', default: '1' },
  },
});
const totalSpans = Number(args.spans);
const batchSize = Number(args.batch);
const reps = Number(args.reps);
const tenantCount = Math.max(1, Number(args.tenants));
const tenantNames =
  tenantCount === 1 ? [DEFAULT_TENANT] : Array.from({ length: tenantCount }, (_, i) => `t${i}`);
const TENANT = tenantNames[0];

/** The workload's shared resources, one copy per tenant (spans of a request share one). */
const tenantResources = new Map<Resource, Resource[]>();
function inTenant(spans: Span[], t: number): void {
  if (tenantCount === 1) return;
  for (const s of spans) {
    let copies = tenantResources.get(s.resource);
    if (copies === undefined) {
      const base = s.resource;
      copies = tenantNames.map((tenant) => ({ ...base, tenant }));
      tenantResources.set(base, copies);
    }
    s.resource = copies[t];
  }
}
const HOUR = 3_600_000_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function time(fn: () => Promise<unknown>, n: number): Promise<{ p50: number; p95: number }> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 0.5), p95: percentile(ms, 0.95) };
}

const cluster = await startClickHouseCluster();
try {
  const store = new ClickHouseStorage({
    urls: cluster.urls,
    cluster: cluster.cluster,
    database: 'skein_bench',
    username: 'default',
    password: '',
    requestTimeoutMs: 120_000,
    createSchema: true,
  });
  await store.open();
  const now = Date.now() * 1000;
  const windowStart = now - 24 * HOUR;
  const workload = createWorkload(42);
  const sampleIds: string[] = [];
  let written = 0;
  let traces = 0;
  let writeMs = 0;
  let batch: Span[] = [];
  while (written < totalSpans) {
    while (batch.length < batchSize && written + batch.length < totalSpans) {
      const start = windowStart + Math.floor(((written + batch.length) / totalSpans) * 24 * HOUR);
      const trace = workload.nextTrace(start);
      const t = traces % tenantCount;
      inTenant(trace, t);
      if (traces++ % 97 === 0 && t === 0) sampleIds.push(trace[0].traceId);
      for (const s of trace) batch.push(s);
    }
    const t0 = performance.now();
    await store.write(batch);
    writeMs += performance.now() - t0;
    written += batch.length;
    batch = [];
    process.stderr.write(
      `\r${written} spans, ${Math.round(written / (writeMs / 1000))} spans/s   `,
    );
  }
  process.stderr.write('\n');

  // Merged parts are what stays on disk; OPTIMIZE ... FINAL would rewrite everything,
  // so the figure is taken once background merges settle for a few seconds.
  const sql = async (url: string, query: string): Promise<string> =>
    (await (await fetch(`${url}/?query=${encodeURIComponent(query)}`)).text()).trim();
  let bytes = 0;
  for (const node of cluster.nodes) {
    bytes += Number(
      await sql(
        node.url,
        `SELECT sum(bytes_on_disk) FROM system.parts WHERE active AND database = 'skein_bench'
         AND table IN ('spans_local', 'trace_index_local', 'operations_local')`,
      ),
    );
  }
  const replicas = cluster.nodes.filter((n) => n.shard === 1).length;
  const stored = Number(await sql(cluster.urls[0], 'SELECT count() FROM skein_bench.spans'));

  const services = await store.getServices(TENANT);
  let k = 0;
  const pick = <T>(list: readonly T[]): T => list[k++ % list.length];
  const rows: [string, string, string][] = [];
  const row = (name: string, t: { p50: number; p95: number }): void => {
    rows.push([name, t.p50.toFixed(1) + ' ms', t.p95.toFixed(1) + ' ms']);
  };
  row('getTrace', await time(() => store.getTrace(TENANT, pick(sampleIds)), reps));
  row(
    'findTraces service+tag+minDuration, 1 h, limit 20',
    await time(
      () =>
        store.findTraces({
          tenant: TENANT,
          serviceName: pick(services),
          tags: { 'http.method': 'POST' },
          durationMin: 1000,
          startTimeMin: now - HOUR,
          startTimeMax: now,
          limit: 20,
        }),
      reps,
    ),
  );
  row(
    'findTraceIds service, 24 h, limit 20',
    await time(
      () =>
        store.findTraceIds({
          tenant: TENANT,
          serviceName: pick(services),
          tags: {},
          startTimeMin: now - 24 * HOUR,
          startTimeMax: now,
          limit: 20,
        }),
      reps,
    ),
  );
  row('getServices', await time(() => store.getServices(TENANT), reps));
  row(
    'getOperations',
    await time(() => store.getOperations({ tenant: TENANT, serviceName: pick(services) }), reps),
  );
  row('getDependencies 1 h', await time(() => store.getDependencies(TENANT, now, HOUR), 5));
  row('getDependencies 24 h', await time(() => store.getDependencies(TENANT, now, 24 * HOUR), 3));
  await store.close();

  console.log(
    `ClickHouse ${store.serverFeatures?.version}, 2 shards × ${replicas} replicas, ` +
      `${tenantCount} tenant(s), reads as ${JSON.stringify(TENANT)}`,
  );
  console.log(
    `${written} spans written (${stored} rows read back), ${traces} traces, batches of ${batchSize}`,
  );
  console.log(`write: ${Math.round(written / (writeMs / 1000))} spans/s`);
  console.log(
    `bytes on disk per span per copy: ${(bytes / replicas / written).toFixed(1)} ` +
      `(${(bytes / 1e6).toFixed(1)} MB over all ${cluster.nodes.length} servers)`,
  );
  console.log('| read | p50 | p95 |\n| --- | --- | --- |');
  for (const [name, p50, p95] of rows) console.log(`| ${name} | ${p50} | ${p95} |`);
} finally {
  await cluster.stop();
}
