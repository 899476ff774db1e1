import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TENANT, SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { Span } from '../../model/span.ts';
import type { CompletenessReader } from '../completeness-reader.ts';
import type { CompletenessDelta, CompletenessWriter } from '../completeness-writer.ts';
import type { DependencyEdgeRow, DependencyWriter } from '../dependency-writer.ts';
import type { MetricSeries, MetricsQuery, MetricsReader } from '../metrics-reader.ts';
import { isSamplingStore } from '../sampling-store.ts';
import type { SpanMetricsRow, SpanMetricsWriter } from '../span-metrics-writer.ts';
import type { Storage } from '../storage.ts';
import { isTagValueReader } from '../tag-value-reader.ts';
import type { TagValueReader } from '../tag-value-reader.ts';
import type { TraceQuery } from '../trace-reader.ts';
import { hexId, makeSpan, testResource } from './test-spans.ts';

/*
 * Tenant isolation, run by every backend (storage-conformance.ts): two tenants, 'acme'
 * and 'globex', write the SAME trace id with the SAME span ids but different content,
 * and overlapping service names ('front' in both). Every reader must answer each tenant
 * with its own rows only, and DEFAULT_TENANT (data sent without a tenant) with neither.
 * Optional capabilities (tag values, metrics, completeness, dependency aggregates,
 * sampling state) are checked when the backend has them.
 *
 * Per tenant, in minute T0:
 *   shared trace SHARED: root R 'front' (SERVER, name `${tenant}-root`, customer=<tenant>-1)
 *                        → child C (acme: 'back' CLIENT with key acme.flag; globex: 'db')
 *   own trace:           one 'front' span (acme: ACME_OWN, globex: GLOBEX_OWN)
 * Dependencies joined from the spans: acme front→back, globex front→db, once each (a
 * join across tenants would pair each child with both roots).
 */

const MINUTE = 60_000_000;
const HOUR = 60 * MINUTE;
/** A whole hour, so the minutes below are whole minutes. */
const T0 = 1_700_002_800_000_000;
const ACME = 'acme';
const GLOBEX = 'globex';
const P = 0x7e0;
const SHARED = hexId(P, 1, 32);
const ACME_OWN = hexId(P, 2, 32);
const GLOBEX_OWN = hexId(P, 3, 32);
const ROOT = hexId(P, 1, 16);
const CHILD = hexId(P, 2, 16);
const OWN = hexId(P, 3, 16);

type Capable = Storage &
  Partial<SpanMetricsWriter & MetricsReader & CompletenessWriter & CompletenessReader> &
  Partial<DependencyWriter>;

function tenantSpans(tenant: string): Span[] {
  const childService = tenant === ACME ? 'back' : 'db';
  const root = makeSpan({
    traceId: SHARED,
    spanId: ROOT,
    resource: testResource('front', tenant),
    name: `${tenant}-root`,
    kind: SpanKind.Server,
    startTime: T0 + 1000,
    duration: tenant === ACME ? 5000 : 9000,
  });
  root.attributes.push({ key: 'customer', type: ValueType.String, value: `${tenant}-1` });
  const child = makeSpan({
    traceId: SHARED,
    spanId: CHILD,
    parentSpanId: ROOT,
    resource: testResource(childService, tenant),
    name: `${tenant}-call`,
    kind: tenant === ACME ? SpanKind.Client : SpanKind.Server,
    startTime: T0 + 2000,
    statusCode: tenant === ACME ? StatusCode.Unset : StatusCode.Error,
  });
  if (tenant === ACME)
    child.attributes.push({ key: 'acme.flag', type: ValueType.Bool, value: true });
  const own = makeSpan({
    traceId: tenant === ACME ? ACME_OWN : GLOBEX_OWN,
    spanId: OWN,
    resource: testResource('front', tenant),
    name: `${tenant}-own`,
    kind: SpanKind.Server,
    startTime: T0 + 3000,
  });
  return [root, child, own];
}

function bySpanId(a: Span, b: Span): number {
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function sorted(spans: readonly Span[]): Span[] {
  return [...spans].sort(bySpanId);
}

function search(tenant: string, partial: Partial<TraceQuery> = {}): TraceQuery {
  return {
    tenant,
    tags: {},
    startTimeMin: T0 - MINUTE,
    startTimeMax: T0 + MINUTE,
    limit: 100,
    ...partial,
  };
}

function metricsRow(tenant: string, calls: number): SpanMetricsRow {
  return {
    tenant,
    minute: T0,
    service: 'front',
    operation: `${tenant}-root`,
    kind: SpanKind.Server,
    statusCode: StatusCode.Unset,
    calls,
    durationSum: calls * 1000,
    latency: { buckets: [100], counts: [calls] },
  };
}

function metricsQuery(tenant: string): MetricsQuery {
  return {
    tenant,
    services: ['front'],
    groupByOperation: true,
    spanKinds: [SpanKind.Server],
    endTime: T0 + MINUTE,
    lookback: MINUTE,
    step: MINUTE,
    ratePer: MINUTE,
  };
}

function seriesTotal(series: MetricSeries[]): number {
  let total = 0;
  for (const s of series) for (const p of s.points) if (Number.isFinite(p.value)) total += p.value;
  return total;
}

function completenessDelta(tenant: string, traces: number, complete: number): CompletenessDelta {
  return {
    roots: [{ tenant, minute: T0, rootService: 'front', traces, complete }],
    services: [{ tenant, minute: T0, service: 'front', spans: traces, spansInComplete: complete }],
    edges: [
      { tenant, minute: T0, caller: 'front', callee: 'back', calls: traces, answered: complete },
    ],
    breaks: [
      {
        tenant,
        minute: T0,
        cause: 'orphan',
        service: 'front',
        peer: '',
        count: traces - complete,
        examples: [`${tenant}-example`],
      },
    ],
  };
}

/** Edge aggregates two hours after T0, where no span is: read from the aggregates only. */
const AGG_MINUTE = T0 + 2 * HOUR;

function edgeRow(tenant: string, child: string, calls: number): DependencyEdgeRow {
  return { tenant, minute: AGG_MINUTE, parent: 'front', child, calls, errors: 0 };
}

async function writeBoth(store: Capable): Promise<{ acme: Span[]; globex: Span[] }> {
  const acme = tenantSpans(ACME);
  const globex = tenantSpans(GLOBEX);
  // One batch holding both tenants' spans, as the pipeline may hand them over.
  await store.write([...acme, ...globex]);
  return { acme, globex };
}

export function tenantIsolationCases(createStorage: () => Promise<Storage>): void {
  describe('tenant isolation', () => {
    let store: Capable;
    let written: { acme: Span[]; globex: Span[] };
    before(async () => {
      store = await createStorage();
      await store.open();
      written = await writeBoth(store);
    });
    after(() => store.close());

    test("getTrace: the same trace id reads back each tenant's own spans", async () => {
      for (const [tenant, spans] of [
        [ACME, written.acme],
        [GLOBEX, written.globex],
      ] as const) {
        const t = await store.getTrace(tenant, SHARED);
        assert.ok(t, tenant);
        assert.deepStrictEqual(sorted(t.spans), sorted(spans.slice(0, 2)), tenant);
        for (const s of t.spans) assert.equal(s.resource.tenant, tenant);
      }
      assert.equal(await store.getTrace(DEFAULT_TENANT, SHARED), null);
      assert.equal(await store.getTrace(GLOBEX, ACME_OWN), null, "another tenant's own trace");
      assert.equal(await store.getTrace(ACME, GLOBEX_OWN), null);
    });

    test("findTraces and findTraceIds: only the tenant's traces, with only its spans", async () => {
      for (const [tenant, own, spans] of [
        [ACME, ACME_OWN, written.acme],
        [GLOBEX, GLOBEX_OWN, written.globex],
      ] as const) {
        const q = search(tenant, { serviceName: 'front' });
        const traces = await store.findTraces(q);
        assert.deepEqual(traces.map((t) => t.traceId).sort(), [SHARED, own].sort(), tenant);
        for (const t of traces) {
          const expected = spans.filter((s) => s.traceId === t.traceId);
          assert.deepStrictEqual(sorted(t.spans), sorted(expected), `${tenant} ${t.traceId}`);
        }
        assert.deepEqual(
          await store.findTraceIds(q),
          traces.map((t) => t.traceId),
          `${tenant}: ids as findTraces`,
        );
      }
      assert.deepEqual(await store.findTraces(search(DEFAULT_TENANT)), []);
      assert.deepEqual(await store.findTraceIds(search(DEFAULT_TENANT)), []);
    });

    test("search conditions match the asking tenant's spans only", async () => {
      // Span attribute, span name, resource attribute (service.name), synthetic error tag.
      const cases: [Partial<TraceQuery>, string[], string[]][] = [
        [{ tags: { customer: 'acme-1' } }, [SHARED], []],
        [{ tags: { customer: 'globex-1' } }, [], [SHARED]],
        [{ operationName: 'globex-root', serviceName: 'front' }, [], [SHARED]],
        [{ tags: { 'service.name': 'back' } }, [SHARED], []],
        [{ serviceName: 'db' }, [], [SHARED]],
        [{ tags: { error: 'true' } }, [], [SHARED]],
        [{ serviceName: 'front', durationMin: 8000 }, [], [SHARED]],
      ];
      for (const [partial, acme, globex] of cases) {
        const context = JSON.stringify(partial);
        assert.deepEqual(await store.findTraceIds(search(ACME, partial)), acme, `acme ${context}`);
        assert.deepEqual(
          await store.findTraceIds(search(GLOBEX, partial)),
          globex,
          `globex ${context}`,
        );
        assert.deepEqual(await store.findTraceIds(search(DEFAULT_TENANT, partial)), []);
      }
    });

    test('getServices and getOperations: each tenant lists its own', async () => {
      assert.deepEqual(await store.getServices(ACME), ['back', 'front']);
      assert.deepEqual(await store.getServices(GLOBEX), ['db', 'front']);
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), []);
      assert.deepEqual(await store.getOperations({ tenant: ACME, serviceName: 'front' }), [
        { name: 'acme-own', spanKind: 'server' },
        { name: 'acme-root', spanKind: 'server' },
      ]);
      assert.deepEqual(await store.getOperations({ tenant: GLOBEX, serviceName: 'front' }), [
        { name: 'globex-own', spanKind: 'server' },
        { name: 'globex-root', spanKind: 'server' },
      ]);
      assert.deepEqual(await store.getOperations({ tenant: GLOBEX, serviceName: 'back' }), []);
      assert.deepEqual(
        await store.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'front' }),
        [],
      );
    });

    test('getDependencies from the spans: parent and child of the same tenant only', async () => {
      const end = T0 + 10 * MINUTE;
      assert.deepEqual(await store.getDependencies(ACME, end, HOUR), [
        { parent: 'front', child: 'back', callCount: 1 },
      ]);
      assert.deepEqual(await store.getDependencies(GLOBEX, end, HOUR), [
        { parent: 'front', child: 'db', callCount: 1 },
      ]);
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, end, HOUR), []);
    });

    test('getDependencies from the edge aggregates: each tenant its own rows', async (t) => {
      if (typeof store.writeDependencies !== 'function') {
        t.skip('no DependencyWriter');
        return;
      }
      await store.writeDependencies({
        edges: [edgeRow(ACME, 'back', 3), edgeRow(GLOBEX, 'db', 7), edgeRow(GLOBEX, 'back', 2)],
        minutes: [AGG_MINUTE],
      });
      const end = AGG_MINUTE + MINUTE - 1;
      assert.deepEqual(await store.getDependencies(ACME, end, MINUTE), [
        { parent: 'front', child: 'back', callCount: 3 },
      ]);
      assert.deepEqual(await store.getDependencies(GLOBEX, end, MINUTE), [
        { parent: 'front', child: 'back', callCount: 2 },
        { parent: 'front', child: 'db', callCount: 7 },
      ]);
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, end, MINUTE), []);
    });

    test("tag values and keyed search (TagValueReader): the tenant's own", async (t) => {
      if (!isTagValueReader(store)) {
        t.skip('no TagValueReader');
        return;
      }
      const reader: TagValueReader = store;
      const window = { startTimeMin: T0 - MINUTE, startTimeMax: T0 + MINUTE, limit: 100 };
      const values = (tenant: string) =>
        reader.getTagValues({ tenant, key: 'customer', ...window });
      assert.deepEqual(await values(ACME), ['acme-1']);
      assert.deepEqual(await values(GLOBEX), ['globex-1']);
      assert.deepEqual(await values(DEFAULT_TENANT), []);
      const keyed = (tenant: string, key: string) =>
        reader.findTraceIdsWithKeys({ ...search(tenant), keys: [key] });
      assert.deepEqual(await keyed(ACME, 'acme.flag'), [SHARED]);
      assert.deepEqual(await keyed(GLOBEX, 'acme.flag'), []);
      assert.deepEqual(await keyed(DEFAULT_TENANT, 'customer'), []);
    });

    test('span metrics: each tenant reads its own rows', async (t) => {
      if (typeof store.writeSpanMetrics !== 'function' || typeof store.calls !== 'function') {
        t.skip('no span metrics');
        return;
      }
      await store.writeSpanMetrics([metricsRow(ACME, 60), metricsRow(GLOBEX, 120)]);
      const acme = await store.calls(metricsQuery(ACME));
      const globex = await store.calls(metricsQuery(GLOBEX));
      assert.deepEqual(
        acme.map((s) => s.operation),
        ['acme-root'],
      );
      assert.deepEqual(
        globex.map((s) => s.operation),
        ['globex-root'],
      );
      assert.ok(seriesTotal(acme) > 0);
      assert.equal(seriesTotal(globex), 2 * seriesTotal(acme));
      assert.deepEqual(await store.calls(metricsQuery(DEFAULT_TENANT)), []);
    });

    test('completeness: each tenant reads its own rows', async (t) => {
      if (
        typeof store.writeCompleteness !== 'function' ||
        typeof store.completeness !== 'function'
      ) {
        t.skip('no completeness');
        return;
      }
      await store.writeCompleteness(completenessDelta(ACME, 4, 3));
      await store.writeCompleteness(completenessDelta(GLOBEX, 10, 1));
      const window = { start: T0, end: T0 + MINUTE, step: MINUTE };
      const acme = await store.completeness({ ...window, tenant: ACME });
      const globex = await store.completeness({ ...window, tenant: GLOBEX });
      const none = await store.completeness({ ...window, tenant: DEFAULT_TENANT });
      assert.deepEqual(acme.summary, { traces: 4, complete: 3, rate: 3 / 4 });
      assert.deepEqual(globex.summary, { traces: 10, complete: 1, rate: 1 / 10 });
      assert.deepEqual(none.summary, { traces: 0, complete: 0, rate: null });
      assert.deepEqual(
        acme.edges.map((e) => [e.calls, e.answered]),
        [[4, 3]],
      );
      assert.deepEqual(
        acme.causes.map((c) => [c.cause, c.count, c.examples.map((e) => e.traceId)]),
        [['orphan', 1, ['acme-example']]],
      );
      assert.deepEqual(
        globex.causes.map((c) => [c.cause, c.count, c.examples.map((e) => e.traceId)]),
        [['orphan', 9, ['globex-example']]],
      );
      assert.deepEqual(none.causes, []);
      assert.deepEqual(
        (await store.completeness({ ...window, tenant: ACME, service: 'front' })).services.map(
          (s) => [s.service, s.spans],
        ),
        [['front', 4]],
      );
    });

    test('sampling state (SamplingStore): rows keep their tenant', async (t) => {
      if (!isSamplingStore(store)) {
        t.skip('no SamplingStore');
        return;
      }
      const lease = await store.tryAcquireSamplingLease('tenancy', 'h', 1_000, 60_000);
      assert.equal(lease.holder, 'h');
      const probability = (tenant: string, p: number) => ({
        tenant,
        service: 'front',
        operation: 'GET /',
        probability: p,
        tracesPerSecond: 1,
        sampledPerSecond: p,
        updatedAt: 1_000,
      });
      assert.equal(
        await store.writeSamplingProbabilities('tenancy', 'h', 1_000, [
          probability(ACME, 0.25),
          probability(GLOBEX, 0.5),
        ]),
        true,
      );
      const read = await store.readSamplingProbabilities();
      assert.deepEqual(read.map((r) => [r.tenant, r.service, r.operation, r.probability]).sort(), [
        [ACME, 'front', 'GET /', 0.25],
        [GLOBEX, 'front', 'GET /', 0.5],
      ]);
      const throughput = (tenant: string, roots: number) => ({
        tenant,
        service: 'front',
        operation: 'GET /',
        roots,
        probabilistic: roots,
        estimatedTraces: roots,
        unadaptable: 0,
      });
      await store.addSamplingThroughput('h', 2_000, [throughput(ACME, 3), throughput(GLOBEX, 5)]);
      const taken = await store.takeSamplingThroughput(0);
      assert.deepEqual(taken.map((r) => [r.tenant, r.service, r.roots]).sort(), [
        [ACME, 'front', 3],
        [GLOBEX, 'front', 5],
      ]);
    });
  });

  describe("tenant isolation: a write changes the writing tenant's dependencies only", () => {
    let store: Capable;
    before(async () => {
      store = await createStorage();
      await store.open();
      await writeBoth(store);
    });
    after(() => store.close());

    test("after whole hours were read, a new edge shows for its tenant, not another's", async () => {
      // Whole hours T0 - 1 h and T0 are in the window: a backend may cache them.
      const end = T0 + HOUR + 10 * MINUTE;
      const read = async () => ({
        acme: await store.getDependencies(ACME, end, 3 * HOUR),
        globex: await store.getDependencies(GLOBEX, end, 3 * HOUR),
      });
      assert.deepEqual(await read(), {
        acme: [{ parent: 'front', child: 'back', callCount: 1 }],
        globex: [{ parent: 'front', child: 'db', callCount: 1 }],
      });
      await store.write([
        makeSpan({
          traceId: SHARED,
          spanId: hexId(P, 4, 16),
          parentSpanId: ROOT,
          resource: testResource('cache', ACME),
          startTime: T0 + 4000,
        }),
      ]);
      assert.deepEqual(await read(), {
        acme: [
          { parent: 'front', child: 'back', callCount: 1 },
          { parent: 'front', child: 'cache', callCount: 1 },
        ],
        globex: [{ parent: 'front', child: 'db', callCount: 1 }],
      });
    });
  });

  describe('tenant isolation: purge scopes', () => {
    let store: Capable;
    const cutoff = T0 + HOUR;
    before(async () => {
      store = await createStorage();
      await store.open();
      await writeBoth(store);
      await store.write(tenantSpans(DEFAULT_TENANT));
      if (typeof store.writeSpanMetrics === 'function') {
        await store.writeSpanMetrics([
          metricsRow(ACME, 60),
          metricsRow(GLOBEX, 120),
          metricsRow(DEFAULT_TENANT, 30),
        ]);
      }
      if (typeof store.writeCompleteness === 'function') {
        for (const tenant of [ACME, GLOBEX, DEFAULT_TENANT]) {
          await store.writeCompleteness(completenessDelta(tenant, 4, 3));
        }
      }
      if (typeof store.writeDependencies === 'function') {
        await store.writeDependencies({
          edges: [
            { ...edgeRow(ACME, 'back', 3), minute: T0 },
            { ...edgeRow(GLOBEX, 'db', 7), minute: T0 },
            { ...edgeRow(DEFAULT_TENANT, 'db', 1), minute: T0 },
          ],
          minutes: [T0],
        });
      }
    });
    after(() => store.close());

    /** What `tenant` can still read of everything written before the cutoff. */
    async function remaining(tenant: string): Promise<Record<string, unknown>> {
      const out: Record<string, unknown> = {
        trace: (await store.getTrace(tenant, SHARED))?.spans.length ?? 0,
        ids: (await store.findTraceIds(search(tenant))).length,
        services: await store.getServices(tenant),
        dependencies: (await store.getDependencies(tenant, T0 + 10 * MINUTE, HOUR)).length,
      };
      if (typeof store.calls === 'function') {
        out.metrics = (await store.calls(metricsQuery(tenant))).length;
      }
      if (typeof store.completeness === 'function') {
        const window = { start: T0, end: T0 + MINUTE, step: MINUTE, tenant };
        out.completeness = (await store.completeness(window)).summary.traces;
      }
      return out;
    }

    const kept = (services: string[]) => ({
      trace: 2,
      ids: 2,
      services,
      dependencies: 1,
      metrics: 1,
      completeness: 4,
    });
    const gone = { trace: 0, ids: 0, services: [], dependencies: 0, metrics: 0, completeness: 0 };
    /** Optional capabilities the backend lacks are not in `remaining`'s answer. */
    function expected(e: Record<string, unknown>): Record<string, unknown> {
      const out = { ...e };
      if (typeof store.calls !== 'function') delete out.metrics;
      if (typeof store.completeness !== 'function') delete out.completeness;
      return out;
    }

    test('the fixture is readable by each of the three tenants before any purge', async () => {
      assert.deepEqual(await remaining(ACME), expected(kept(['back', 'front'])));
      assert.deepEqual(await remaining(GLOBEX), expected(kept(['db', 'front'])));
      assert.deepEqual(await remaining(DEFAULT_TENANT), expected(kept(['db', 'front'])));
    });

    test("{tenant} purges that tenant's spans and aggregates only", async () => {
      assert.equal(await store.purgeBefore(cutoff, { tenant: ACME }), 3);
      assert.deepEqual(await remaining(ACME), expected(gone));
      assert.deepEqual(await remaining(GLOBEX), expected(kept(['db', 'front'])));
      assert.deepEqual(await remaining(DEFAULT_TENANT), expected(kept(['db', 'front'])));
    });

    test('{exceptTenants} spares the listed tenants', async () => {
      assert.equal(await store.purgeBefore(cutoff, { exceptTenants: [GLOBEX] }), 3);
      assert.deepEqual(await remaining(DEFAULT_TENANT), expected(gone));
      assert.deepEqual(await remaining(GLOBEX), expected(kept(['db', 'front'])));
    });

    test('no scope purges every tenant', async () => {
      assert.equal(await store.purgeBefore(cutoff), 3);
      assert.deepEqual(await remaining(GLOBEX), expected(gone));
    });
  });
}
