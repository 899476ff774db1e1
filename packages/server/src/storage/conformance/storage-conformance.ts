import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_TENANT, SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { Span, Trace } from '../../model/span.ts';
import type { Storage } from '../storage.ts';
import type { TraceQuery } from '../trace-reader.ts';
import { fixtureShiftMicros, loadFixtureSpans, loadQueryCases } from './jaeger-fixtures.ts';
import { duplicateWriteCases } from './duplicate-conformance.ts';
import { tagValueReaderCases } from './tag-value-conformance.ts';
import { tenantIsolationCases } from './tenant-isolation-conformance.ts';
import { fullFidelitySpan, hexId, makeSpan, testResource } from './test-spans.ts';

/**
 * The storage conformance suite (after Jaeger's StorageIntegration): every backend
 * registers it with a factory that returns a new, empty, unopened store.
 *
 * The search cases are Jaeger's own fixtures, decoded by the OTLP/JSON receiver's
 * decoder; the rest are built in code. Each group uses its own store, so groups
 * may run in any order.
 */
export function runStorageConformance(name: string, createStorage: () => Promise<Storage>): void {
  describe(`storage conformance: ${name}`, () => {
    jaegerFindTraces(createStorage);
    servicesAndOperations(createStorage);
    getTraceCases(createStorage);
    writeAndSearchCases(createStorage);
    dependencies(createStorage);
    duplicateWriteCases(createStorage);
    purge(createStorage);
    tagValueReaderCases(createStorage);
    tenantIsolationCases(createStorage);
  });
}

const HOUR = 3_600_000_000;

function bySpanId(a: Span, b: Span): number {
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function sortedSpans(spans: readonly Span[]): Span[] {
  return [...spans].sort(bySpanId);
}

/** Asserts `actual` holds exactly the traces in `expected` (trace id → spans), span for span. */
function assertTraces(actual: Trace[], expected: Map<string, Span[]>, context: string): void {
  assert.deepEqual(
    actual.map((t) => t.traceId).sort(),
    [...expected.keys()].sort(),
    `${context}: trace ids`,
  );
  for (const t of actual) {
    assert.deepStrictEqual(
      sortedSpans(t.spans),
      sortedSpans(expected.get(t.traceId)!),
      `${context}: spans of ${t.traceId}`,
    );
  }
}

function groupByTrace(spans: readonly Span[]): Map<string, Span[]> {
  const out = new Map<string, Span[]>();
  for (const s of spans) {
    const list = out.get(s.traceId);
    if (list === undefined) out.set(s.traceId, [s]);
    else list.push(s);
  }
  return out;
}

async function openStore(createStorage: () => Promise<Storage>): Promise<Storage> {
  const store = await createStorage();
  await store.open();
  return store;
}

function query(
  partial: Partial<TraceQuery> & Pick<TraceQuery, 'startTimeMin' | 'startTimeMax'>,
): TraceQuery {
  return { tenant: DEFAULT_TENANT, tags: {}, limit: 100, ...partial };
}

function jaegerFindTraces(createStorage: () => Promise<Storage>): void {
  describe('FindTraces on the Jaeger fixtures', () => {
    const shift = fixtureShiftMicros();
    const cases = loadQueryCases(shift);
    let store: Storage;
    const fixtureTraces = new Map<string, Map<string, Span[]>>();
    before(async () => {
      store = await openStore(createStorage);
      const names = new Set(cases.flatMap((c) => c.expectedFixtures));
      for (const fixture of names) {
        const spans = loadFixtureSpans(fixture, shift);
        fixtureTraces.set(fixture, groupByTrace(loadFixtureSpans(fixture, shift)));
        await store.write(spans);
      }
    });
    after(() => store.close());

    test('there are 25 cases', () => assert.equal(cases.length, 25));
    for (const c of cases) {
      test(c.caption, async () => {
        const expected = new Map<string, Span[]>();
        for (const f of c.expectedFixtures) {
          for (const [id, spans] of fixtureTraces.get(f)!)
            expected.set(id, [...(expected.get(id) ?? []), ...spans]);
        }
        const traces = await store.findTraces(c.query);
        assertTraces(traces, expected, c.caption);
        const ids = await store.findTraceIds(c.query);
        assert.deepEqual(
          ids,
          traces.map((t) => t.traceId),
          `${c.caption}: findTraceIds matches findTraces`,
        );
      });
    }
  });
}

function servicesAndOperations(createStorage: () => Promise<Storage>): void {
  describe('GetServices and GetOperations', () => {
    let store: Storage;
    before(async () => {
      store = await openStore(createStorage);
      await store.write(loadFixtureSpans('example_trace', fixtureShiftMicros()));
    });
    after(() => store.close());

    test('services of example_trace are exactly example-service-1..3', async () => {
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), [
        'example-service-1',
        'example-service-2',
        'example-service-3',
      ]);
    });
    test('operations of a service, all kinds', async () => {
      assert.deepEqual(
        await store.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'example-service-1' }),
        [
          { name: 'example-operation-1', spanKind: '' },
          { name: 'example-operation-3', spanKind: 'server' },
          { name: 'example-operation-4', spanKind: 'client' },
        ],
      );
    });
    test('operations of a service, one kind', async () => {
      assert.deepEqual(
        await store.getOperations({
          tenant: DEFAULT_TENANT,
          serviceName: 'example-service-1',
          spanKind: 'server',
        }),
        [{ name: 'example-operation-3', spanKind: 'server' }],
      );
      assert.deepEqual(
        await store.getOperations({
          tenant: DEFAULT_TENANT,
          serviceName: 'example-service-1',
          spanKind: 'producer',
        }),
        [],
      );
    });
    test('operations of an unknown service are empty', async () => {
      assert.deepEqual(
        await store.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'no-such-service' }),
        [],
      );
    });
  });
}

function getTraceCases(createStorage: () => Promise<Storage>): void {
  describe('GetTrace', () => {
    let store: Storage;
    const now = Date.now() * 1000;
    const example = loadFixtureSpans('example_trace', fixtureShiftMicros());
    const exampleId = example[0].traceId;
    before(async () => {
      store = await openStore(createStorage);
      await store.write(example);
    });
    after(() => store.close());

    test('a missing trace id returns null', async () => {
      assert.equal(await store.getTrace(DEFAULT_TENANT, '00000000000000000000000000badbad'), null);
      assert.equal(await store.getTrace(DEFAULT_TENANT, 'not hex at all'), null);
    });
    test('without a time range', async () => {
      const t = await store.getTrace(DEFAULT_TENANT, exampleId);
      assert.ok(t);
      assert.equal(t.traceId, exampleId);
      assert.deepStrictEqual(sortedSpans(t.spans), sortedSpans(example));
    });
    test('with a time range that holds the trace', async () => {
      const start = example[0].startTime;
      const t = await store.getTrace(DEFAULT_TENANT, exampleId, {
        start: start - HOUR,
        end: start + HOUR,
      });
      assert.ok(t);
      assert.deepStrictEqual(sortedSpans(t.spans), sortedSpans(example));
    });
    test('with a time range the trace is not in', async () => {
      assert.equal(
        await store.getTrace(DEFAULT_TENANT, exampleId, { start: now + HOUR, end: now + 2 * HOUR }),
        null,
      );
    });
    test('with a time range that falls between two spans of the trace', async () => {
      const traceId = hexId(0x6a9, 1, 32);
      const resource = testResource('gap-service');
      const first = makeSpan({
        traceId,
        spanId: hexId(0x6a9, 1, 16),
        resource,
        startTime: now - 3 * HOUR,
      });
      const last = makeSpan({
        traceId,
        spanId: hexId(0x6a9, 2, 16),
        resource,
        startTime: now - HOUR,
      });
      await store.write([first, last]);
      assert.equal(
        await store.getTrace(DEFAULT_TENANT, traceId, {
          start: now - 2.5 * HOUR,
          end: now - 1.5 * HOUR,
        }),
        null,
      );
      assert.equal(
        (await store.getTrace(DEFAULT_TENANT, traceId, { start: now - 2.5 * HOUR, end: now }))
          ?.spans.length,
        2,
      );
    });
    test('every field and value type reads back exactly as written', async () => {
      const span = fullFidelitySpan('000000000000000000000000f1de1177', now - 1000);
      await store.write([span]);
      const t = await store.getTrace(DEFAULT_TENANT, span.traceId);
      assert.ok(t);
      assert.deepStrictEqual(t.spans, [fullFidelitySpan(span.traceId, span.startTime)]);
    });
    test('a large trace (10,000 spans) reads back whole', async () => {
      const traceId = hexId(0x1a2e, 1, 32);
      const resource = testResource('large-trace-service');
      const spans: Span[] = [];
      for (let i = 0; i < 10_000; i++) {
        const span = makeSpan({
          traceId,
          spanId: hexId(0x1a2e, i + 1, 16),
          parentSpanId: i === 0 ? '' : hexId(0x1a2e, Math.floor(i / 10) + 1, 16),
          resource,
          name: `op-${i % 7}`,
          startTime: now - 60_000_000 + i * 3,
        });
        span.attributes.push({ key: 'i', type: ValueType.Int, value: i });
        spans.push(span);
      }
      await store.write(spans.slice(0, 4000));
      await store.write(spans.slice(4000));
      const t = await store.getTrace(DEFAULT_TENANT, traceId);
      assert.ok(t);
      assert.equal(t.spans.length, 10_000);
      assert.deepStrictEqual(sortedSpans(t.spans), spans);
    });
  });
}

function writeAndSearchCases(createStorage: () => Promise<Storage>): void {
  describe('writes and searches', () => {
    let store: Storage;
    const now = Date.now() * 1000;
    before(async () => {
      store = await openStore(createStorage);
    });
    after(() => store.close());

    test('duplicate spans do not break reads', async () => {
      const traceId = hexId(0xd0b1, 1, 32);
      const resource = testResource('dup-service');
      const root = makeSpan({
        traceId,
        spanId: hexId(0xd0b1, 1, 16),
        resource,
        name: 'dup-root',
        startTime: now - 5000,
      });
      const child = makeSpan({
        traceId,
        spanId: hexId(0xd0b1, 2, 16),
        parentSpanId: root.spanId,
        resource,
        startTime: now - 4000,
      });
      await store.write([root, child]);
      await store.write([root]);
      const t = await store.getTrace(DEFAULT_TENANT, traceId);
      assert.ok(t);
      assert.deepEqual(new Set(t.spans.map((s) => s.spanId)), new Set([root.spanId, child.spanId]));
      for (const s of t.spans) assert.deepStrictEqual(s, s.spanId === root.spanId ? root : child);
      const found = await store.findTraces(
        query({ serviceName: 'dup-service', startTimeMin: now - HOUR, startTimeMax: now }),
      );
      assert.deepEqual(
        found.map((f) => f.traceId),
        [traceId],
      );
    });

    test('search without a service name', async () => {
      const resource = testResource('no-service-search');
      const a = makeSpan({
        traceId: hexId(0x5e5, 1, 32),
        spanId: hexId(0x5e5, 1, 16),
        resource,
        startTime: now - 3000,
      });
      a.attributes.push({ key: 'order.id', type: ValueType.Int, value: 987654 });
      const b = makeSpan({
        traceId: hexId(0x5e5, 2, 32),
        spanId: hexId(0x5e5, 2, 16),
        resource,
        startTime: now - 2000,
      });
      b.attributes.push({ key: 'order.id', type: ValueType.Int, value: 111 });
      await store.write([a, b]);
      const found = await store.findTraces(
        query({ tags: { 'order.id': '987654' }, startTimeMin: now - HOUR, startTimeMax: now }),
      );
      assertTraces(found, new Map([[a.traceId, [a]]]), 'tag only');
    });

    test('most recent first, at most limit traces', async () => {
      const resource = testResource('limit-service');
      const spans: Span[] = [];
      for (let i = 0; i < 5; i++) {
        spans.push(
          makeSpan({
            traceId: hexId(0x11a, i, 32),
            spanId: hexId(0x11a, i, 16),
            resource,
            startTime: now - 10_000 + i,
          }),
        );
      }
      await store.write(spans);
      const ids = await store.findTraceIds(
        query({
          serviceName: 'limit-service',
          startTimeMin: now - HOUR,
          startTimeMax: now,
          limit: 3,
        }),
      );
      assert.deepEqual(ids, [spans[4].traceId, spans[3].traceId, spans[2].traceId]);
    });

    test("Jaeger's synthetic tags: error=true and span.kind", async () => {
      const resource = testResource('synthetic-tags');
      const failed = makeSpan({
        traceId: hexId(0xe7, 1, 32),
        spanId: hexId(0xe7, 1, 16),
        resource,
        kind: SpanKind.Server,
        statusCode: StatusCode.Error,
        startTime: now - 1000,
      });
      const ok = makeSpan({
        traceId: hexId(0xe7, 2, 32),
        spanId: hexId(0xe7, 2, 16),
        resource,
        kind: SpanKind.Client,
        startTime: now - 900,
      });
      await store.write([failed, ok]);
      const range = { serviceName: 'synthetic-tags', startTimeMin: now - HOUR, startTimeMax: now };
      assert.deepEqual(await store.findTraceIds(query({ ...range, tags: { error: 'true' } })), [
        failed.traceId,
      ]);
      assert.deepEqual(
        await store.findTraceIds(query({ ...range, tags: { 'span.kind': 'client' } })),
        [ok.traceId],
      );
    });

    test('ranking by most recent matching span holds across a long window', async () => {
      const resource = testResource('ranking-service');
      const minute = 60_000_000;
      const at = (trace: number, span: number, minutesAgo: number, tag: string): Span => {
        const s = makeSpan({
          traceId: hexId(0x7a4, trace, 32),
          spanId: hexId(0x7a4 + trace, span, 16),
          resource,
          startTime: now - minutesAgo * minute,
        });
        s.attributes.push({ key: 'rank', type: ValueType.String, value: tag });
        return s;
      };
      // Trace 5 matches 2 and 40 minutes ago, and has a newer span that does not match.
      await store.write([
        at(1, 1, 50, 'yes'),
        at(2, 1, 30, 'yes'),
        at(3, 1, 10, 'yes'),
        at(4, 1, 1, 'yes'),
        at(5, 1, 40, 'yes'),
        at(5, 2, 2, 'yes'),
        at(5, 3, 0.5, 'no'),
        at(6, 1, 3 * 60, 'yes'),
      ]);
      const id = (n: number): string => hexId(0x7a4, n, 32);
      const q = (limit: number, hours = 1) =>
        query({
          tags: { rank: 'yes' },
          startTimeMin: now - hours * HOUR,
          startTimeMax: now,
          limit,
        });
      assert.deepEqual(await store.findTraceIds(q(3)), [id(4), id(5), id(3)]);
      assert.deepEqual(await store.findTraceIds(q(10)), [id(4), id(5), id(3), id(2), id(1)]);
      assert.deepEqual(await store.findTraceIds(q(10, 4)), [
        id(4),
        id(5),
        id(3),
        id(2),
        id(1),
        id(6),
      ]);
      const traces = await store.findTraces(q(2));
      assert.deepEqual(
        traces.map((t) => [t.traceId, t.spans.length]),
        [
          [id(4), 1],
          [id(5), 3],
        ],
      );
    });

    test('duration bounds finer than a µs (Jaeger sends ns) are exact', async () => {
      const resource = testResource('fractional-durations');
      const spans = [4, 5, 6].map((d) =>
        makeSpan({
          traceId: hexId(0xd5, d, 32),
          spanId: hexId(0xd5, d, 16),
          resource,
          startTime: now - 100 + d,
          duration: d,
        }),
      );
      await store.write(spans);
      const q = query({
        serviceName: 'fractional-durations',
        startTimeMin: now - HOUR,
        startTimeMax: now,
        durationMin: 4.5,
        durationMax: 5.5,
      });
      assert.deepEqual(await store.findTraceIds(q), [spans[1].traceId]);
    });

    test('a search that matches nothing returns an empty list', async () => {
      const q = query({ serviceName: 'nobody', startTimeMin: now - HOUR, startTimeMax: now });
      assert.deepEqual(await store.findTraces(q), []);
      assert.deepEqual(await store.findTraceIds(q), []);
    });
  });
}

function dependencies(createStorage: () => Promise<Storage>): void {
  test('dependencies: one edge per cross-service parent → child, counted', async () => {
    const store = await openStore(createStorage);
    try {
      const now = Date.now() * 1000;
      const a = testResource('dep-a');
      const b = testResource('dep-b');
      const c = testResource('dep-c');
      const spans: Span[] = [];
      for (let t = 1; t <= 2; t++) {
        const traceId = hexId(0xde9, t, 32);
        const id = (n: number): string => hexId(0xde9 + t, n, 16);
        const start = now - 10 * 60_000_000 + t;
        spans.push(
          makeSpan({
            traceId,
            spanId: id(1),
            resource: a,
            kind: SpanKind.Server,
            startTime: start,
          }),
          makeSpan({
            traceId,
            spanId: id(2),
            parentSpanId: id(1),
            resource: a,
            kind: SpanKind.Client,
            startTime: start + 1,
          }),
          makeSpan({
            traceId,
            spanId: id(3),
            parentSpanId: id(2),
            resource: b,
            kind: SpanKind.Server,
            startTime: start + 2,
          }),
          makeSpan({
            traceId,
            spanId: id(4),
            parentSpanId: id(3),
            resource: b,
            startTime: start + 3,
          }),
        );
        if (t === 1) {
          spans.push(
            makeSpan({
              traceId,
              spanId: id(5),
              parentSpanId: id(3),
              resource: c,
              kind: SpanKind.Server,
              startTime: start + 4,
            }),
          );
        }
      }
      // Outside the window: not counted.
      const old = hexId(0xde9, 9, 32);
      spans.push(
        makeSpan({
          traceId: old,
          spanId: hexId(0xdea9, 1, 16),
          resource: c,
          startTime: now - 5 * HOUR,
        }),
        makeSpan({
          traceId: old,
          spanId: hexId(0xdea9, 2, 16),
          parentSpanId: hexId(0xdea9, 1, 16),
          resource: a,
          startTime: now - 5 * HOUR + 1,
        }),
      );
      await store.write(spans);
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, now, HOUR), [
        { parent: 'dep-a', child: 'dep-b', callCount: 2 },
        { parent: 'dep-b', child: 'dep-c', callCount: 1 },
      ]);
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, now, 6 * HOUR), [
        { parent: 'dep-a', child: 'dep-b', callCount: 2 },
        { parent: 'dep-b', child: 'dep-c', callCount: 1 },
        { parent: 'dep-c', child: 'dep-a', callCount: 1 },
      ]);
      // A write into a window that was already read shows up in the next read.
      const later = hexId(0xde9, 10, 32);
      spans.length = 0;
      spans.push(
        makeSpan({
          traceId: later,
          spanId: hexId(0xdeaa, 1, 16),
          resource: a,
          startTime: now - 3 * HOUR,
        }),
        makeSpan({
          traceId: later,
          spanId: hexId(0xdeaa, 2, 16),
          parentSpanId: hexId(0xdeaa, 1, 16),
          resource: c,
          startTime: now - 3 * HOUR + 1,
        }),
      );
      await store.write(spans);
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, now, 6 * HOUR), [
        { parent: 'dep-a', child: 'dep-b', callCount: 2 },
        { parent: 'dep-a', child: 'dep-c', callCount: 1 },
        { parent: 'dep-b', child: 'dep-c', callCount: 1 },
        { parent: 'dep-c', child: 'dep-a', callCount: 1 },
      ]);
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, now - 2 * HOUR, 2 * HOUR), [
        { parent: 'dep-a', child: 'dep-c', callCount: 1 },
      ]);
    } finally {
      await store.close();
    }
  });
}

function purge(createStorage: () => Promise<Storage>): void {
  test('purgeBefore removes old spans from every table', async () => {
    const store = await openStore(createStorage);
    try {
      const now = Date.now() * 1000;
      const oldRes = testResource('purge-old');
      const keepRes = testResource('purge-keep');
      const old = makeSpan({
        traceId: hexId(0x01d, 1, 32),
        spanId: hexId(0x01d, 1, 16),
        resource: oldRes,
        name: 'old-op',
        startTime: now - 48 * HOUR,
      });
      old.attributes.push({ key: 'purge', type: ValueType.String, value: 'yes' });
      const keep = makeSpan({
        traceId: hexId(0x01d, 2, 32),
        spanId: hexId(0x01d, 2, 16),
        resource: keepRes,
        name: 'new-op',
        startTime: now - HOUR,
      });
      keep.attributes.push({ key: 'purge', type: ValueType.String, value: 'yes' });
      await store.write([old, keep]);
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), ['purge-keep', 'purge-old']);

      assert.equal(await store.purgeBefore(now - 24 * HOUR), 1);
      assert.equal(await store.getTrace(DEFAULT_TENANT, old.traceId), null);
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), ['purge-keep']);
      assert.deepEqual(
        await store.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'purge-old' }),
        [],
      );
      const q = query({ tags: { purge: 'yes' }, startTimeMin: now - 72 * HOUR, startTimeMax: now });
      assert.deepEqual(await store.findTraceIds(q), [keep.traceId]);
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, now, 72 * HOUR), []);
      const kept = await store.getTrace(DEFAULT_TENANT, keep.traceId);
      assert.ok(kept);
      assert.deepStrictEqual(kept.spans, [keep]);
      assert.equal(await store.purgeBefore(now - 24 * HOUR), 0);
    } finally {
      await store.close();
    }
  });
}
