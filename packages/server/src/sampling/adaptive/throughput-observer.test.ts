import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpanKind } from '../../model/span.ts';
import { MAX_OPERATIONS_PER_SERVICE, ThroughputObserver } from './throughput-observer.ts';
import { rootSpan, samplerTags } from './test-support/root-span.ts';

describe('ThroughputObserver', () => {
  test('counts roots per service and operation, weighting each by 1/p', () => {
    const o = new ThroughputObserver();
    o.observe([
      rootSpan({ service: 'a', name: 'GET /x', attributes: samplerTags('probabilistic', 0.1) }),
      rootSpan({ service: 'a', name: 'GET /x', attributes: samplerTags('probabilistic', 0.5) }),
      rootSpan({ service: 'a', name: 'GET /x', attributes: samplerTags('lowerbound', 0.1) }),
      rootSpan({ service: 'a', name: 'GET /y', traceState: 'ot=th:c' }),
      rootSpan({ service: 'b', name: 'GET /x', attributes: samplerTags('ratelimiting', 2) }),
      rootSpan({ service: 'b', name: 'GET /x' }),
    ]);
    const rows = o
      .drain()
      .sort((p, q) => (p.service + p.operation).localeCompare(q.service + q.operation));
    assert.deepEqual(rows, [
      {
        tenant: '',
        service: 'a',
        operation: 'GET /x',
        roots: 3,
        probabilistic: 2,
        estimatedTraces: 12,
        unadaptable: 0,
      },
      {
        tenant: '',
        service: 'a',
        operation: 'GET /y',
        roots: 1,
        probabilistic: 1,
        estimatedTraces: 4,
        unadaptable: 0,
      },
      {
        tenant: '',
        service: 'b',
        operation: 'GET /x',
        roots: 2,
        probabilistic: 0,
        estimatedTraces: 0,
        unadaptable: 2,
      },
    ]);
  });

  test('two tenants with the same service and operation names are tallied apart', () => {
    const o = new ThroughputObserver();
    const tags = samplerTags('probabilistic', 0.5);
    o.observe([
      rootSpan({ service: 'a', name: 'GET /x', attributes: tags }),
      rootSpan({ service: 'a', name: 'GET /x', attributes: tags, tenant: 'acme' }),
    ]);
    o.observe([
      rootSpan({ service: 'a', name: 'GET /x', attributes: tags, tenant: 'acme' }),
      rootSpan({ service: 'a', name: 'GET /x', attributes: tags }),
      rootSpan({ service: 'a', name: 'GET /x', attributes: tags, tenant: 'globex' }),
      rootSpan({ service: 'a', name: 'GET /x', attributes: tags, tenant: 'acme' }),
    ]);
    const rows = o
      .drain()
      .map((r) => [r.tenant, r.service, r.operation, r.roots, r.estimatedTraces]);
    assert.deepEqual(rows.sort(), [
      ['', 'a', 'GET /x', 2, 4],
      ['acme', 'a', 'GET /x', 3, 6],
      ['globex', 'a', 'GET /x', 1, 2],
    ]);
    assert.deepEqual(o.drain(), [], 'the next interval starts from zero');
  });

  test('which spans are roots: no parent; or SERVER/CONSUMER with sampler tags; never a child by its th', () => {
    const o = new ThroughputObserver();
    const tags = samplerTags('probabilistic', 0.5);
    o.observe([
      // A child in the same trace carries the trace's tracestate: not a decision point.
      rootSpan({ parentSpanId: '00000000000000aa', traceState: 'ot=th:8' }),
      // A client span with a parent, even with tags, is not a root.
      rootSpan({ parentSpanId: '00000000000000aa', kind: SpanKind.Client, attributes: tags }),
      // A server span under a remote parent without tags followed its parent's decision.
      rootSpan({ parentSpanId: '00000000000000aa', kind: SpanKind.Server }),
      // A consumer that decided itself (Jaeger client) is a root.
      rootSpan({ parentSpanId: '00000000000000aa', kind: SpanKind.Consumer, attributes: tags }),
      // A parentless internal span is a root too (a scheduled job).
      rootSpan({ kind: SpanKind.Internal, attributes: tags }),
      // No service or no name: not counted.
      rootSpan({ service: '', attributes: tags }),
      rootSpan({ name: '', attributes: tags }),
    ]);
    assert.deepEqual(o.drain(), [
      {
        tenant: '',
        service: 'svc',
        operation: 'GET /',
        roots: 2,
        probabilistic: 2,
        estimatedTraces: 4,
        unadaptable: 0,
      },
    ]);
  });

  test('drain starts a new interval and forgets operations without roots', () => {
    const o = new ThroughputObserver();
    o.observe([rootSpan({ attributes: samplerTags('probabilistic', 0.25) })]);
    assert.equal(o.drain()[0].estimatedTraces, 4);
    assert.deepEqual(o.drain(), []);
    o.observe([rootSpan({ attributes: samplerTags('probabilistic', 0.5) })]);
    assert.equal(o.drain()[0].estimatedTraces, 2);
  });

  test('operations beyond the per-service limit are counted as overflow, not tallied', () => {
    const o = new ThroughputObserver();
    const spans = [];
    for (let i = 0; i < MAX_OPERATIONS_PER_SERVICE + 7; i++)
      spans.push(rootSpan({ name: `op-${i}` }));
    o.observe(spans);
    assert.equal(o.overflow, 7);
    assert.equal(o.drain().length, MAX_OPERATIONS_PER_SERVICE);
  });
});
