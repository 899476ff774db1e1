import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../../../test/e2e/eventually.ts';
import {
  clickhouseInstalled,
  startClickHouseCluster,
} from '../../../test/support/clickhouse-cluster.ts';
import type { ClickHouseCluster } from '../../../test/support/clickhouse-cluster.ts';
import { DEFAULT_TENANT, SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { Resource, Span } from '../../model/span.ts';
import { hexId, makeSpan, testResource } from '../conformance/test-spans.ts';
import { ClickHouseStorage } from './clickhouse-storage.ts';
import { ClickHouseConnection } from './connection.ts';
import { schemaStatements, serverFeatures } from './schema.ts';
import { applySchema } from './schema-init.ts';
import { SpanRowEncoder } from './span-row.ts';

/*
 * Tenants on the real 2 × 2 cluster (ClickHouse 18.16): two tenants write the same
 * trace and span ids under overlapping service names; every reader returns only the
 * tenant's own rows; purges scoped to a tenant (or to all but some) leave the others'
 * rows; and a database created before tenants existed is migrated by open() and reads
 * as the default tenant.
 */

const MINUTE = 60_000_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const A = 'acme';
const G = 'globex';

function resource(service: string, tenant: string): Resource {
  return { ...testResource(service), tenant };
}

let cluster: ClickHouseCluster | undefined;
let databases = 0;

function options(database: string): ConstructorParameters<typeof ClickHouseStorage>[0] {
  if (cluster === undefined) throw new Error('the ClickHouse cluster did not start');
  return {
    urls: cluster.urls,
    cluster: cluster.cluster,
    database,
    username: 'default',
    password: '',
    requestTimeoutMs: 30_000,
    createSchema: true,
  };
}

async function openStore(): Promise<ClickHouseStorage> {
  const store = new ClickHouseStorage(options(`skein_tenancy_${process.pid}_${++databases}`));
  await store.open();
  return store;
}

/** Rows of a table on every shard (first replica of each), read through the Distributed table. */
async function sql(query: string): Promise<string> {
  const res = await fetch(cluster!.urls[0], { method: 'POST', body: query });
  const text = await res.text();
  if (!res.ok) throw new Error(text);
  return text.trim();
}

/**
 * One trace id, two tenants. acme: shared(1) → acme-only(2); globex: globex-root(1) →
 * shared(2). Joined across tenants, globex-root → acme-only would be an edge.
 */
function tenantTrace(now: number): { acme: Span[]; globex: Span[]; traceId: string } {
  const traceId = hexId(0x7e7, 1, 32);
  const s1 = hexId(0x7e7, 1, 16);
  const s2 = hexId(0x7e7, 2, 16);
  const acme = [
    makeSpan({
      traceId,
      spanId: s1,
      resource: resource('shared', A),
      name: 'acme-root-op',
      kind: SpanKind.Server,
      startTime: now - 10 * MINUTE,
    }),
    makeSpan({
      traceId,
      spanId: s2,
      parentSpanId: s1,
      resource: resource('acme-only', A),
      name: 'acme-child-op',
      startTime: now - 10 * MINUTE + 5,
    }),
  ];
  acme[0].attributes.push({ key: 'customer', type: ValueType.String, value: 'acme-secret' });
  const globex = [
    makeSpan({
      traceId,
      spanId: s1,
      resource: resource('globex-root', G),
      name: 'globex-root-op',
      kind: SpanKind.Server,
      startTime: now - 10 * MINUTE + 1,
    }),
    makeSpan({
      traceId,
      spanId: s2,
      parentSpanId: s1,
      resource: resource('shared', G),
      name: 'globex-child-op',
      startTime: now - 10 * MINUTE + 6,
    }),
  ];
  globex[1].attributes.push({ key: 'customer', type: ValueType.String, value: 'globex-secret' });
  return { acme, globex, traceId };
}

describe(
  'ClickHouse tenants on a 2 × 2 cluster',
  {
    skip:
      !clickhouseInstalled() &&
      'clickhouse-server / zookeeper not installed (apt-get install clickhouse-server zookeeper)',
  },
  () => {
    before(async () => {
      cluster = await startClickHouseCluster();
    });
    after(async () => {
      await cluster?.stop();
    });

    describe('every read is confined to its tenant', () => {
      let store: ClickHouseStorage;
      const now = Date.now() * 1000;
      const { acme, globex, traceId } = tenantTrace(now);
      const window = { startTimeMin: now - HOUR, startTimeMax: now, limit: 20 };
      before(async () => {
        store = await openStore();
        await store.write(acme);
        await store.write(globex);
      });
      after(() => store?.close());

      test('getTrace: the same trace id is two traces', async () => {
        const a = await store.getTrace(A, traceId);
        const g = await store.getTrace(G, traceId);
        assert.deepEqual(a?.spans.map((s) => s.name).sort(), ['acme-child-op', 'acme-root-op']);
        assert.deepEqual(g?.spans.map((s) => s.name).sort(), ['globex-child-op', 'globex-root-op']);
        assert.ok(a!.spans.every((s) => s.resource.tenant === A));
        assert.ok(g!.spans.every((s) => s.resource.tenant === G));
        assert.equal(await store.getTrace(DEFAULT_TENANT, traceId), null);
        assert.equal(await store.getTrace('initech', traceId), null);
      });

      test('search: a service both tenants have, and tag conditions', async () => {
        const a = await store.findTraces({ tenant: A, serviceName: 'shared', tags: {}, ...window });
        assert.equal(a.length, 1);
        assert.deepEqual(a[0].spans.map((s) => s.name).sort(), ['acme-child-op', 'acme-root-op']);
        const tag = { customer: 'globex-secret' };
        assert.deepEqual(await store.findTraceIds({ tenant: A, tags: tag, ...window }), []);
        assert.deepEqual(await store.findTraceIds({ tenant: G, tags: tag, ...window }), [traceId]);
        // A resource condition goes through the origins: only the tenant's own.
        const res = { 'service.name': 'acme-only' };
        assert.deepEqual(await store.findTraceIds({ tenant: G, tags: res, ...window }), []);
        assert.deepEqual(await store.findTraceIds({ tenant: A, tags: res, ...window }), [traceId]);
        assert.deepEqual(
          await store.findTraceIdsWithKeys({ tenant: G, tags: {}, keys: ['customer'], ...window }),
          [traceId],
        );
        assert.deepEqual(
          await store.findTraceIdsWithKeys({
            tenant: 'initech',
            tags: {},
            keys: ['customer'],
            ...window,
          }),
          [],
        );
      });

      test('services, operations and tag values', async () => {
        assert.deepEqual(await store.getServices(A), ['acme-only', 'shared']);
        assert.deepEqual(await store.getServices(G), ['globex-root', 'shared']);
        assert.deepEqual(await store.getServices(DEFAULT_TENANT), []);
        assert.deepEqual(await store.getOperations({ tenant: G, serviceName: 'shared' }), [
          { name: 'globex-child-op', spanKind: 'internal' },
        ]);
        assert.deepEqual(await store.getTagValues({ tenant: A, key: 'customer', ...window }), [
          'acme-secret',
        ]);
        assert.deepEqual(
          await store.getTagValues({
            tenant: G,
            key: 'customer',
            serviceName: 'shared',
            ...window,
          }),
          ['globex-secret'],
        );
      });

      test('dependencies from spans: parent and child of the same tenant only', async () => {
        assert.deepEqual(await store.getDependencies(A, now, HOUR), [
          { parent: 'shared', child: 'acme-only', callCount: 1 },
        ]);
        assert.deepEqual(await store.getDependencies(G, now, HOUR), [
          { parent: 'globex-root', child: 'shared', callCount: 1 },
        ]);
      });

      test('dependency edges, span metrics and completeness rows of one tenant', async () => {
        const minute = Math.floor((now - 30 * MINUTE) / MINUTE) * MINUTE;
        await store.writeDependencies({
          edges: [
            { tenant: A, minute, parent: 'x', child: 'y', calls: 3, errors: 0 },
            { tenant: G, minute, parent: 'x', child: 'y', calls: 7, errors: 1 },
          ],
          minutes: [minute],
        });
        const deps = async (tenant: string): Promise<number | undefined> =>
          (await store.getDependencies(tenant, minute + MINUTE, 2 * MINUTE)).find(
            (l) => l.parent === 'x',
          )?.callCount;
        assert.equal(await deps(A), 3);
        assert.equal(await deps(G), 7);
        assert.equal(await deps(DEFAULT_TENANT), undefined);

        const metric = (tenant: string, calls: number) => ({
          tenant,
          minute,
          service: 'shared',
          operation: 'op',
          kind: SpanKind.Server,
          statusCode: StatusCode.Unset,
          calls,
          durationSum: calls * 1000,
          latency: { buckets: [10], counts: [calls] },
        });
        await store.writeSpanMetrics([metric(A, 600), metric(G, 60)]);
        const peak = async (tenant: string): Promise<number> => {
          const series = await store.calls({
            tenant,
            services: ['shared'],
            groupByOperation: false,
            spanKinds: [SpanKind.Server],
            endTime: minute + 5 * MINUTE,
            lookback: 10 * MINUTE,
            step: MINUTE,
            ratePer: MINUTE,
          });
          return Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.value)));
        };
        assert.equal(await peak(A), 10);
        assert.equal(await peak(G), 1);
        assert.equal(await peak('initech'), 0);

        await store.writeCompleteness({
          roots: [
            { tenant: A, minute, rootService: 'shared', traces: 10, complete: 5 },
            { tenant: G, minute, rootService: 'shared', traces: 4, complete: 4 },
          ],
          services: [],
          edges: [],
          breaks: [],
        });
        const summary = async (tenant: string) =>
          (
            await store.completeness({
              tenant,
              start: minute,
              end: minute + MINUTE,
              step: MINUTE,
            })
          ).summary;
        assert.deepEqual([(await summary(A)).traces, (await summary(A)).complete], [10, 5]);
        assert.deepEqual([(await summary(G)).traces, (await summary(G)).complete], [4, 4]);
        assert.equal((await summary('initech')).traces, 0);
      });
    });

    describe('purge scopes', () => {
      test('{tenant} purges only that tenant; {exceptTenants} all but those', async () => {
        const store = await openStore();
        try {
          const now = Date.now() * 1000;
          const spans: Span[] = [];
          // Each tenant: one span 3 days old, one 2 hours old, same ids across tenants.
          for (const tenant of [A, G, DEFAULT_TENANT, 'initech']) {
            for (const [n, age] of [
              [1, 3 * DAY],
              [2, 2 * HOUR],
            ]) {
              spans.push(
                makeSpan({
                  traceId: hexId(0x9a6, n, 32),
                  spanId: hexId(0x9a6, n, 16),
                  resource: resource('svc', tenant),
                  name: `op-${tenant || 'default'}-${n}`,
                  startTime: now - age,
                }),
              );
            }
          }
          // A day only acme has (4 days old): its partitions go whole.
          spans.push(
            makeSpan({
              traceId: hexId(0x9a6, 3, 32),
              spanId: hexId(0x9a6, 3, 16),
              resource: resource('svc', A),
              startTime: now - 4 * DAY,
            }),
          );
          await store.write(spans);
          const old = hexId(0x9a6, 1, 32);
          const recent = hexId(0x9a6, 2, 32);
          const has = async (tenant: string, id: string): Promise<boolean> =>
            (await store.getTrace(tenant, id)) !== null;

          assert.equal(await store.purgeBefore(now - DAY, { tenant: A }), 2);
          assert.equal(await has(A, old), false);
          assert.equal(await has(A, hexId(0x9a6, 3, 32)), false);
          assert.equal(await has(A, recent), true);
          assert.equal(await has(G, old), true);
          assert.equal(await has(DEFAULT_TENANT, old), true);
          // Again: nothing more of acme's to hide.
          assert.equal(await store.purgeBefore(now - DAY, { tenant: A }), 0);

          // The default tenant's and initech's old spans: the same ids, two spans.
          assert.equal(await store.purgeBefore(now - DAY, { exceptTenants: [G] }), 2);
          assert.equal(await has(DEFAULT_TENANT, old), false);
          assert.equal(await has('initech', old), false);
          assert.equal(await has(DEFAULT_TENANT, recent), true);
          assert.equal(await has(G, old), true);

          // Hidden at once, and gone from disk once the mutations ran: only globex's
          // old row is left in the old days.
          const db = `skein_tenancy_${process.pid}_${databases}`;
          await eventually(
            async () =>
              (await sql(
                `SELECT tenant FROM ${db}.spans WHERE start_time < ${now - DAY} ORDER BY tenant`,
              )) === G
                ? true
                : undefined,
            'the purged tenants old rows to leave the spans table',
            60_000,
          );

          assert.equal(await store.purgeBefore(now - DAY), 1);
          assert.equal(await has(G, old), false);
          assert.equal(await has(G, recent), true);
          assert.deepEqual(await store.getServices(G), ['svc']);
        } finally {
          await store.close();
        }
      });
    });

    describe('a database created before tenants', () => {
      test('open() adds the columns; old rows read as the default tenant', async () => {
        const database = `skein_pre_tenancy_${process.pid}`;
        const o = options(database);
        const connection = new ClickHouseConnection(o);
        try {
          const features = serverFeatures('18.16.1');
          // The layout before tenants: no tenant column, nor in the sort keys.
          const old = schemaStatements(o, features).map((ddl) =>
            ddl
              .replace(', scope UInt8, tenant String, except_tenants Array(String)', '')
              .replace(/tenant String,\s*/g, '')
              .replace(/ORDER BY \(tenant, /g, 'ORDER BY ('),
          );
          assert.ok(old.every((ddl) => !/tenant/.test(ddl)));
          for (const ddl of old) await connection.command(ddl);

          const now = Date.now() * 1000;
          const span = makeSpan({
            traceId: hexId(0x01d, 1, 32),
            spanId: hexId(0x01d, 1, 16),
            resource: resource('legacy', DEFAULT_TENANT),
            name: 'legacy-op',
            startTime: now - HOUR,
          });
          const encoder = new SpanRowEncoder();
          const row = encoder.encode(span).replace(',"tenant":""', '');
          const [origin] = encoder.origins.values();
          const day = JSON.stringify(new Date(span.startTime / 1000).toISOString().slice(0, 10));
          const t = (name: string): string => `${database}.${name}`;
          await connection.insert(
            t('origins'),
            JSON.stringify({
              day: JSON.parse(day),
              origin_id: origin.row.id,
              resource: origin.row.resource,
              scope: origin.row.scope,
              terms: origin.row.terms,
            }) + '\n',
            { insert_distributed_sync: 1 },
          );
          await connection.insert(t('spans'), row, { insert_distributed_sync: 1 });
          await connection.insert(
            t('trace_index'),
            `{"day":${day},"trace_id":"${span.traceId}","start_min":${span.startTime},"start_max":${span.startTime}}\n`,
            { insert_distributed_sync: 1 },
          );
          await connection.insert(
            t('operations'),
            `{"day":${day},"service":"legacy","name":"legacy-op","kind":1}\n`,
            { insert_distributed_sync: 1 },
          );

          // Without createSchema, a store refuses the old tables and says what to run.
          const strict = new ClickHouseStorage({ ...o, createSchema: false });
          await assert.rejects(strict.open(), /run `skein schema init` first/);
          await strict.close();

          const store = new ClickHouseStorage(o);
          await store.open();
          try {
            const read = await store.getTrace(DEFAULT_TENANT, span.traceId);
            assert.deepStrictEqual(read?.spans, [span]);
            assert.equal(await store.getTrace(A, span.traceId), null);
            assert.deepEqual(await store.getServices(DEFAULT_TENANT), ['legacy']);
            assert.deepEqual(await store.getServices(A), []);
            // New rows carry their tenant in the migrated tables.
            await store.write([{ ...span, resource: resource('legacy', A) }]);
            assert.equal((await store.getTrace(A, span.traceId))?.spans.length, 1);
            assert.equal((await store.getTrace(DEFAULT_TENANT, span.traceId))?.spans.length, 1);
          } finally {
            await store.close();
          }
          const migrated = new ClickHouseStorage({ ...o, createSchema: false });
          await migrated.open();
          await migrated.close();
          // Migrated once: a second run only re-runs the IF NOT EXISTS statements.
          const again = await applySchema(connection, o, features);
          assert.deepEqual(again, schemaStatements(o, features));
        } finally {
          await connection.close();
        }
      });
    });
  },
);
