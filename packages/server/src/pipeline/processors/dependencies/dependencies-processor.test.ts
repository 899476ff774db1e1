import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Resource, Span } from '../../../model/span.ts';
import { graphSpans } from '../../../storage/conformance/duplicate-conformance.ts';
import { DuckDbStorage } from '../../../storage/duckdb/duckdb-storage.ts';
import { digestSpan } from '../../span-digest.ts';
import { TraceBuffer, type AssembledTrace } from '../../trace-buffer.ts';
import { DependenciesMetrics } from './dependencies-metrics.ts';
import { DependenciesProcessor } from './dependencies-processor.ts';
import { DependencyAggregates } from './dependency-aggregates.ts';
import { countServiceEdges } from './service-edges.ts';

const MINUTE = 60_000_000;
const noCounters = { changed: () => undefined, dropped: () => undefined };

function edgesOf(spans: Span[]): Map<string, number> {
  const out = new Map<string, number>();
  countServiceEdges(spans.map(digestSpan), {
    edge(parent, child) {
      const k = `${parent}>${child}`;
      out.set(k, (out.get(k) ?? 0) + 1);
    },
  });
  return out;
}

describe('countServiceEdges', () => {
  const base = 100 * MINUTE;
  const trace = graphSpans(base, 1);

  test("Jaeger's rule: every span whose parent is in another service, any kind; shared spans each a parent", () => {
    assert.deepEqual(
      edgesOf(trace),
      new Map([
        ['dup-front>dup-api', 1],
        ['dup-api>dup-db', 1],
        ['dup-api>dup-cache', 2],
      ]),
    );
  });

  test('a span present twice counts once; a parent present twice is one parent', () => {
    const twice = [...trace, ...graphSpans(base, 1)];
    assert.deepEqual(edgesOf(twice), edgesOf(trace));
  });

  test('a parent starting more than an hour from its child is not its caller (as in the join)', () => {
    const far = trace.map((s) =>
      s.resource.serviceName === 'dup-db' ? { ...s, startTime: s.startTime + 61 * MINUTE } : s,
    );
    assert.equal(edgesOf(far).get('dup-api>dup-db'), undefined);
  });

  test('errors are counted per minute of the child', () => {
    const agg = new DependencyAggregates();
    countServiceEdges(trace.map(digestSpan), agg);
    const delta = agg.take();
    const db = delta.edges.find((e) => e.child === 'dup-db');
    assert.deepEqual(db, {
      tenant: '',
      minute: base,
      parent: 'dup-api',
      child: 'dup-db',
      calls: 1,
      errors: 1,
    });
    assert.equal(agg.size, 0);
  });
});

describe('DependenciesProcessor', () => {
  test('assembled traces reach the store as per-minute edges that /api/dependencies reads', async () => {
    const store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    const registry = new Registry();
    const base = Math.floor((Date.now() * 1000) / MINUTE) * MINUTE - 20 * MINUTE;
    // The processor starts a minute before the traces and flushes 15 minutes after.
    let clockMs = (base - MINUTE) / 1000;
    const processor = new DependenciesProcessor(
      { flushIntervalMs: 60_000, idleMs: 1000 },
      {
        logger: pino({ level: 'silent' }),
        metrics: new DependenciesMetrics(registry),
        writer: store,
        now: () => clockMs,
      },
    );
    try {
      const spans = graphSpans(base, 5);
      // A real trace buffer assembles the traces (released at flush), as in the chain.
      const buffer = new TraceBuffer({
        idleMs: 1000,
        maxTraces: 100,
        maxSpans: 1000,
        maxHeldBytes: 0,
        rememberReleased: 100,
        onRelease: (t: AssembledTrace) => processor.assembled(t, noCounters) ?? true,
        onLateSpan: () => undefined,
      });
      for (const s of spans) buffer.add(s);
      buffer.flush();
      clockMs = (base + 15 * MINUTE) / 1000;
      await processor.flush();
      // No span was written: every answer below comes from the edges kept on write
      // (minutes 0-13 after base are vouched for; the window is minutes 0-9).
      const deps = await store.getDependencies('', base + 10 * MINUTE - 1, 10 * MINUTE);
      assert.deepEqual(deps, [
        { parent: 'dup-api', child: 'dup-cache', callCount: 10 },
        { parent: 'dup-api', child: 'dup-db', callCount: 5 },
        { parent: 'dup-front', child: 'dup-api', callCount: 5 },
      ]);
      assert.match(
        await registry.getSingleMetricAsString('skein_dependency_edges_total'),
        /skein_dependency_edges_total 20$/m,
      );
    } finally {
      await processor.stop();
      await store.close();
    }
  });

  test('two tenants with the same trace id and service names get their own edges', async () => {
    const rows: { tenant: string; parent: string; child: string; calls: number }[] = [];
    const base = 100 * MINUTE;
    const processor = new DependenciesProcessor(
      { flushIntervalMs: 60_000, idleMs: 1000 },
      {
        logger: pino({ level: 'silent' }),
        metrics: new DependenciesMetrics(new Registry()),
        writer: {
          writeDependencies(delta) {
            for (const e of delta.edges)
              rows.push({ tenant: e.tenant, parent: e.parent, child: e.child, calls: e.calls });
            return Promise.resolve();
          },
        },
        now: () => base / 1000,
      },
    );
    const ofTenant = (spans: Span[], tenant: string): Span[] => {
      const resources = new Map<Resource, Resource>();
      return spans.map((s) => {
        let r = resources.get(s.resource);
        if (r === undefined) resources.set(s.resource, (r = { ...s.resource, tenant }));
        return { ...s, resource: r };
      });
    };
    const plain = ofTenant(graphSpans(base, 1), '');
    // acme sends the first three spans of the same trace (same ids, same services): front → api only.
    const acme = ofTenant(plain.slice(0, 3), 'acme');
    const buffer = new TraceBuffer({
      idleMs: 1000,
      maxTraces: 100,
      maxSpans: 1000,
      maxHeldBytes: 0,
      rememberReleased: 100,
      onRelease: (t: AssembledTrace) => processor.assembled(t, noCounters) ?? true,
      onLateSpan: () => undefined,
    });
    for (let i = 0; i < plain.length; i++) {
      buffer.add(plain[i]);
      if (i < acme.length) buffer.add(acme[i]);
    }
    buffer.flush();
    await processor.stop();
    const sorted = rows.sort((a, b) =>
      `${a.tenant}>${a.parent}>${a.child}`.localeCompare(`${b.tenant}>${b.parent}>${b.child}`),
    );
    assert.deepEqual(sorted, [
      { tenant: '', parent: 'dup-api', child: 'dup-cache', calls: 2 },
      { tenant: '', parent: 'dup-api', child: 'dup-db', calls: 1 },
      { tenant: '', parent: 'dup-front', child: 'dup-api', calls: 1 },
      { tenant: 'acme', parent: 'dup-front', child: 'dup-api', calls: 1 },
    ]);
  });

  test('only minutes that ended an idle time ago, after the start, are vouched for', async () => {
    const deltas: { minutes: number[] }[] = [];
    const start = 1000 * MINUTE + 30_000_000; // µs: half-way through minute 1000
    let clockMs = start / 1000;
    const processor = new DependenciesProcessor(
      { flushIntervalMs: 60_000, idleMs: 10_000 },
      {
        logger: pino({ level: 'silent' }),
        metrics: new DependenciesMetrics(new Registry()),
        writer: {
          writeDependencies(delta) {
            deltas.push(delta);
            return Promise.resolve();
          },
        },
        now: () => clockMs,
      },
    );
    // Minute 1001 ends at 1002:00; vouched for from 1002:12 (idle 10 s + 2 s slack).
    clockMs = (1002 * MINUTE + 11_000_000) / 1000;
    await processor.flush();
    assert.equal(deltas.length, 0);
    clockMs = (1004 * MINUTE + 12_000_000) / 1000;
    await processor.flush();
    await processor.stop();
    assert.deepEqual(
      deltas.map((d) => d.minutes),
      [[1001 * MINUTE, 1002 * MINUTE, 1003 * MINUTE]],
    );
  });

  test('a failed write is kept and written by the next flush', async () => {
    const written: number[] = [];
    let fail = true;
    const processor = new DependenciesProcessor(
      { flushIntervalMs: 60_000, idleMs: 1000 },
      {
        logger: pino({ level: 'silent' }),
        metrics: new DependenciesMetrics(new Registry()),
        writer: {
          writeDependencies(delta) {
            if (fail) return Promise.reject(new Error('store down'));
            for (const e of delta.edges) written.push(e.calls);
            return Promise.resolve();
          },
        },
      },
    );
    const trace = graphSpans(100 * MINUTE, 1);
    processor.assembled(
      {
        tenant: '',
        traceId: trace[0].traceId,
        spans: trace.map(digestSpan),
        held: undefined,
        reason: 'idle',
        notes: undefined,
      },
      noCounters,
    );
    await processor.flush();
    fail = false;
    await processor.stop();
    assert.deepEqual(written.sort(), [1, 1, 2]);
  });
});
