import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TENANT, SpanKind, StatusCode, type Span } from '../../model/span.ts';
import { DependencyAggregates } from '../../pipeline/processors/dependencies/dependency-aggregates.ts';
import { countServiceEdges } from '../../pipeline/processors/dependencies/service-edges.ts';
import { digestSpan } from '../../pipeline/span-digest.ts';
import type { DependencyDelta } from '../dependency-writer.ts';
import type { Storage } from '../storage.ts';
import { hexId, makeSpan, testResource } from './test-spans.ts';

const MINUTE = 60_000_000;

/**
 * A small service graph over whole minutes: front → api (CLIENT/SERVER), api → db
 * (one failed), and a Zipkin shared span (one span id: CLIENT in api, SERVER in
 * cache) with a child in cache. `base` is a minute start.
 */
export function graphSpans(base: number, traces: number): Span[] {
  const front = testResource('dup-front');
  const api = testResource('dup-api');
  const db = testResource('dup-db');
  const cache = testResource('dup-cache');
  const spans: Span[] = [];
  for (let t = 0; t < traces; t++) {
    const traceId = hexId(0xd0d, t + 1, 32);
    const id = (n: number): string => hexId(0xd0d0 + t, n, 16);
    // Spread over minutes 0..4 of the window, a few seconds apart inside a trace.
    const start = base + (t % 5) * MINUTE + 1_000_000 + t * 1000;
    spans.push(
      makeSpan({
        traceId,
        spanId: id(1),
        resource: front,
        kind: SpanKind.Server,
        startTime: start,
      }),
      makeSpan({
        traceId,
        spanId: id(2),
        parentSpanId: id(1),
        resource: front,
        kind: SpanKind.Client,
        startTime: start + 10,
      }),
      makeSpan({
        traceId,
        spanId: id(3),
        parentSpanId: id(2),
        resource: api,
        kind: SpanKind.Server,
        startTime: start + 20,
      }),
      makeSpan({
        traceId,
        spanId: id(4),
        parentSpanId: id(3),
        resource: db,
        kind: SpanKind.Server,
        startTime: start + 30,
        statusCode: t === 0 ? StatusCode.Error : StatusCode.Unset,
      }),
      // Zipkin's shared span: same id 5, CLIENT in api and SERVER in cache.
      makeSpan({
        traceId,
        spanId: id(5),
        parentSpanId: id(3),
        resource: api,
        kind: SpanKind.Client,
        name: 'get',
        startTime: start + 40,
      }),
      makeSpan({
        traceId,
        spanId: id(5),
        parentSpanId: id(3),
        resource: cache,
        kind: SpanKind.Server,
        name: 'get',
        startTime: start + 41,
      }),
      makeSpan({
        traceId,
        spanId: id(6),
        parentSpanId: id(5),
        resource: cache,
        startTime: start + 50,
      }),
    );
  }
  return spans;
}

/** What the dependencies processor would write for these spans (whole traces, as the trace buffer assembles them). */
export function dependencyDeltaOf(spans: readonly Span[]): DependencyDelta {
  const agg = new DependencyAggregates();
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) {
    const list = byTrace.get(s.traceId);
    if (list === undefined) byTrace.set(s.traceId, [s]);
    else list.push(s);
  }
  for (const trace of byTrace.values()) {
    countServiceEdges(trace.map(digestSpan), agg);
    for (const s of trace) agg.counted(Math.floor(s.startTime / MINUTE) * MINUTE);
  }
  return agg.take();
}

/** The graph of `graphSpans(base, 5)`, as Jaeger counts it. */
const EXPECTED = [
  // cache's SERVER half (parent: api's SERVER span) and cache's child (parent id 5: the api CLIENT half; the cache half is the same service).
  { parent: 'dup-api', child: 'dup-cache', callCount: 10 },
  { parent: 'dup-api', child: 'dup-db', callCount: 5 },
  { parent: 'dup-front', child: 'dup-api', callCount: 5 },
];

/**
 * Writes that repeat (a retrying exporter, a replay after a crash, spans stored
 * before writes were idempotent) must not change any answer: each span reads back
 * once, searches and counts are unchanged, and Zipkin's shared client/server spans
 * (one span id, two spans) both stay. Dependencies read from the edges kept on write
 * (`DependencyWriter`) equal those joined from the spans.
 */
export function duplicateWriteCases(createStorage: () => Promise<Storage>): void {
  describe('the same spans written twice', () => {
    let store: Storage;
    const base = Math.floor((Date.now() * 1000) / MINUTE) * MINUTE - 30 * MINUTE;
    const spans = graphSpans(base, 5);
    // The window (endTs - lookback, endTs] is exactly the 10 whole minutes from base.
    const endTs = base + 10 * MINUTE - 1;
    const lookback = 10 * MINUTE;
    before(async () => {
      store = await createStorage();
      await store.open();
      await store.write(spans);
      // Again, as new objects in another order: a retry of the same request.
      await store.write(graphSpans(base, 5).reverse());
    });
    after(() => store.close());

    test('a trace reads back with each span once, shared spans both kept', async () => {
      const traceId = spans[0].traceId;
      const t = await store.getTrace(DEFAULT_TENANT, traceId);
      assert.ok(t);
      assert.equal(t.spans.length, 7);
      const shared = t.spans.filter((s) => s.spanId === spans[4].spanId);
      assert.deepEqual(shared.map((s) => s.resource.serviceName).sort(), ['dup-api', 'dup-cache']);
      const keys = t.spans.map((s) => `${s.spanId}/${s.resource.serviceName}`);
      assert.equal(new Set(keys).size, 7);
    });

    test('searches find each trace once, with each span once', async () => {
      const q = {
        tenant: DEFAULT_TENANT,
        serviceName: 'dup-api',
        tags: {},
        startTimeMin: base,
        startTimeMax: endTs,
        limit: 100,
      };
      const traces = await store.findTraces(q);
      assert.equal(traces.length, 5);
      for (const t of traces) assert.equal(t.spans.length, 7, t.traceId);
      const ids = await store.findTraceIds(q);
      assert.deepEqual(
        ids,
        traces.map((t) => t.traceId),
      );
    });

    test('services and operations are unchanged', async () => {
      const services = (await store.getServices(DEFAULT_TENANT)).filter((s) =>
        s.startsWith('dup-'),
      );
      assert.deepEqual(services, ['dup-api', 'dup-cache', 'dup-db', 'dup-front']);
      const ops = await store.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'dup-api' });
      assert.deepEqual(ops, [
        { name: 'get', spanKind: 'client' },
        { name: 'op', spanKind: 'server' },
      ]);
    });

    test('dependencies joined from the spans count each call once', async () => {
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, endTs, lookback), EXPECTED);
    });

    test('a delta added to an hour read before shows in the next read', async () => {
      const HOUR = 60 * MINUTE;
      const h = Math.floor(base / HOUR) * HOUR - 5 * HOUR;
      const minutes: number[] = [];
      for (let m = h; m < h + 3 * HOUR; m += MINUTE) minutes.push(m);
      const edge = (calls: number) => ({
        edges: [
          {
            tenant: DEFAULT_TENANT,
            minute: h + HOUR + 30 * MINUTE,
            parent: 'dup-hour-a',
            child: 'dup-hour-b',
            calls,
            errors: 0,
          },
        ],
        minutes,
      });
      await store.writeDependencies(edge(2));
      const read = async () =>
        (await store.getDependencies(DEFAULT_TENANT, h + 3 * HOUR - 1, 3 * HOUR)).filter(
          (l) => l.parent === 'dup-hour-a',
        );
      assert.deepEqual(await read(), [{ parent: 'dup-hour-a', child: 'dup-hour-b', callCount: 2 }]);
      await store.writeDependencies(edge(3));
      assert.deepEqual(await read(), [{ parent: 'dup-hour-a', child: 'dup-hour-b', callCount: 5 }]);
    });

    test('dependencies kept on write give the same answer, from the aggregates', async () => {
      // Written twice too: the processor never sees a duplicate twice, but the rows are deltas.
      await store.writeDependencies(dependencyDeltaOf(spans));
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, endTs, lookback), EXPECTED);
      // Counted minutes are read from the aggregates, not joined again: an edge only
      // the aggregates know shows up.
      await store.writeDependencies({
        edges: [
          {
            tenant: DEFAULT_TENANT,
            minute: base + MINUTE,
            parent: 'dup-only-kept',
            child: 'dup-api',
            calls: 3,
            errors: 0,
          },
        ],
        minutes: [base + MINUTE],
      });
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, endTs, lookback), [
        ...EXPECTED,
        { parent: 'dup-only-kept', child: 'dup-api', callCount: 3 },
      ]);
      // A window whose ends fall inside minutes: (base + 1025 µs, base + 1 min + 1,001,025 µs]
      // covers no whole minute, so it is joined from the spans (exact to the µs: trace
      // 0 whole, trace 1 up to its api SERVER span) and the aggregate-only edge is absent.
      const partial = await store.getDependencies(
        DEFAULT_TENANT,
        base + MINUTE + 1_000_000 + 1000 + 25,
        MINUTE + 1_000_000,
      );
      assert.deepEqual(partial, [
        { parent: 'dup-api', child: 'dup-cache', callCount: 2 },
        { parent: 'dup-api', child: 'dup-db', callCount: 1 },
        { parent: 'dup-front', child: 'dup-api', callCount: 2 },
      ]);
    });
  });
}
