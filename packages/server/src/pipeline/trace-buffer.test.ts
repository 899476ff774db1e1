import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpanKind, ValueType, type Span } from '../model/span.ts';
import { makeResource, makeSpan } from '../query/test-support/span-builders.ts';
import { TraceBuffer, type AssembledTrace, type TraceBufferOptions } from './trace-buffer.ts';

const tid = (n: number) => n.toString(16).padStart(32, '0');
const sid = (n: number) => n.toString(16).padStart(16, '0');

function setup(options: Partial<TraceBufferOptions> = {}) {
  let clock = 1_000_000;
  const released: AssembledTrace[] = [];
  const late: Span[] = [];
  const buffer = new TraceBuffer({
    idleMs: 1000,
    maxTraces: 100,
    maxSpans: 1000,
    maxHeldBytes: 1_000_000,
    rememberReleased: 100,
    onRelease: (t) => (released.push(t), true),
    onLateSpan: (s) => late.push(s),
    now: () => clock,
    ...options,
  });
  return {
    buffer,
    released,
    late,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe('TraceBuffer', () => {
  test('assembles spans by trace id and releases a trace once idle, digests intact', () => {
    const { buffer, released, advance } = setup();
    const client = makeSpan({
      traceId: tid(1),
      spanId: 'abcdef0123456789',
      parentSpanId: 'fedcba9876543210',
      kind: SpanKind.Client,
      name: 'GET /x',
      startTime: 1_700_000_000_123_456,
      duration: 789,
      flags: 0x301,
      resource: makeResource('frontend'),
      attributes: [
        { key: 'server.address', type: ValueType.String, value: 'catalog' },
        { key: 'peer.service', type: ValueType.String, value: 'catalog-svc' },
      ],
      links: [
        {
          traceId: tid(9),
          spanId: sid(99),
          traceState: '',
          attributes: [],
          droppedAttributesCount: 0,
          flags: 0,
        },
      ],
    });
    buffer.add(client);
    buffer.add(makeSpan({ traceId: tid(2), spanId: sid(2) }));
    advance(600);
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(3), parentSpanId: 'abcdef0123456789' }));
    advance(500);
    buffer.tick();
    assert.deepEqual(
      released.map((t) => t.traceId),
      [tid(2)],
      'trace 1 got a span 500 ms ago: not idle',
    );
    advance(500);
    buffer.tick();
    assert.deepEqual(
      released.map((t) => t.traceId),
      [tid(2), tid(1)],
    );
    const [a, b] = released[1].spans;
    assert.equal(released[1].reason, 'idle');
    assert.deepEqual(
      { ...a },
      {
        spanId: 'abcdef0123456789',
        parentSpanId: 'fedcba9876543210',
        service: 'frontend',
        nameHash: a.nameHash,
        kind: SpanKind.Client,
        startTime: 1_700_000_000_123_456,
        duration: 789,
        flags: 1,
        statusCode: 0,
        peerService: 'catalog-svc',
        serverAddress: 'catalog',
        destination: '',
        linkedSpanIds: [sid(99)],
      },
    );
    assert.equal(b.parentSpanId, 'abcdef0123456789');
    assert.equal(buffer.traces, 0);
    assert.equal(buffer.spans, 0);
  });

  test('a span of a released trace is late, not a new trace', () => {
    const { buffer, released, late, advance } = setup();
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(1) }));
    advance(1000);
    buffer.tick();
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(2), parentSpanId: sid(1) }));
    assert.equal(late.length, 1);
    assert.equal(buffer.traces, 0);
    assert.equal(released.length, 1);
  });

  test('two tenants sending the same trace id make two traces, released and decided apart', () => {
    const decisions = new Map<string, boolean>([
      ['', true],
      ['acme', false],
    ]);
    const released: AssembledTrace[] = [];
    const late: [string, string, boolean][] = [];
    let clock = 0;
    const buffer = new TraceBuffer({
      idleMs: 1000,
      maxTraces: 100,
      maxSpans: 100,
      maxHeldBytes: 1_000_000,
      rememberReleased: 100,
      onRelease: (t) => (released.push(t), decisions.get(t.tenant) as boolean),
      onLateSpan: (s, kept) => late.push([s.resource.tenant, s.spanId, kept]),
      now: () => clock,
    });
    const plain = makeResource('shop');
    const acme = { ...makeResource('shop'), tenant: 'acme' };
    const globex = { ...makeResource('shop'), tenant: 'globex' };
    // Interleaved, so the run-of-one-trace shortcut must tell the tenants apart too.
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(1), resource: plain }), 0, true);
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(2), resource: acme }), 0, true);
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(3), resource: acme }), 0, true);
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(4), resource: plain }), 0, true);
    assert.equal(buffer.traces, 2);
    assert.equal(buffer.note('acme', tid(1), 'mark', 'acme'), true);
    assert.equal(
      buffer.note('globex', tid(1), 'mark', 'globex'),
      false,
      'globex has no such trace',
    );
    clock = 1000;
    buffer.tick();
    const byTenant = new Map(released.map((t) => [t.tenant, t]));
    assert.equal(released.length, 2);
    assert.deepEqual(
      byTenant.get('')?.spans.map((s) => s.spanId),
      [sid(1), sid(4)],
    );
    assert.deepEqual(
      byTenant.get('acme')?.held?.map((s) => s.spanId),
      [sid(2), sid(3)],
    );
    assert.equal(byTenant.get('acme')?.notes?.get('mark'), 'acme');
    assert.equal(byTenant.get('')?.notes, undefined);
    // Late spans follow their own tenant's decision; a third tenant's span starts a new trace.
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(5), resource: acme }));
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(6), resource: plain }));
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(7), resource: globex }));
    assert.deepEqual(late, [
      ['acme', sid(5), false],
      ['', sid(6), true],
    ]);
    assert.equal(buffer.traces, 1);
    buffer.flush();
    assert.equal(released[2].tenant, 'globex');
    assert.equal(released[2].traceId, tid(1));
  });

  test('when maxTraces is reached the oldest trace is released early, as evicted', () => {
    const { buffer, released } = setup({ maxTraces: 3 });
    for (let i = 1; i <= 5; i++) buffer.add(makeSpan({ traceId: tid(i), spanId: sid(i) }));
    assert.deepEqual(
      released.map((t) => [t.traceId, t.reason]),
      [
        [tid(1), 'evicted'],
        [tid(2), 'evicted'],
      ],
    );
    assert.equal(buffer.traces, 3);
  });

  test('when the span slab is full the oldest traces make room; slots are reused', () => {
    const { buffer, released, advance } = setup({ maxSpans: 10, maxTraces: 1000 });
    for (let t = 1; t <= 4; t++)
      for (let s = 0; s < 3; s++)
        buffer.add(makeSpan({ traceId: tid(t), spanId: sid(t * 10 + s) }));
    // 12 spans into 10 slots: trace 1 (3 spans) was evicted to make room.
    assert.deepEqual(
      released.map((t) => t.traceId),
      [tid(1)],
    );
    assert.equal(released[0].spans.length, 3);
    assert.equal(buffer.spans, 9);
    advance(1000);
    buffer.tick();
    assert.equal(released.length, 4);
    // Thousands of traces through the same 10 slots keep every span of every trace.
    for (let t = 100; t < 3100; t++) {
      buffer.add(makeSpan({ traceId: tid(t), spanId: sid(1) }));
      buffer.add(makeSpan({ traceId: tid(t), spanId: sid(2), parentSpanId: sid(1) }));
      advance(1000);
      buffer.tick();
    }
    assert.equal(released.length, 3004);
    assert.ok(
      released.slice(4).every((t) => t.spans.length === 2 && t.spans[1].parentSpanId === sid(1)),
    );
  });

  test('a trace alone larger than the slab: the overflow is counted late, never lost silently', () => {
    const { buffer, released, late } = setup({ maxSpans: 4 });
    for (let s = 1; s <= 6; s++) buffer.add(makeSpan({ traceId: tid(1), spanId: sid(s) }));
    assert.equal(released.length, 1);
    assert.equal(released[0].reason, 'evicted');
    assert.equal(released[0].spans.length + late.length, 6);
  });

  test('flush releases everything as shutdown, with the notes processors attached', () => {
    const { buffer, released } = setup();
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(1) }));
    buffer.add(makeSpan({ traceId: tid(2), spanId: sid(2) }));
    assert.equal(buffer.note('', tid(2), 'fragment', { caller: 'x' }), true);
    assert.equal(buffer.note('', tid(3), 'fragment', {}), false, 'not buffered');
    assert.equal(buffer.note('acme', tid(2), 'fragment', {}), false, "another tenant's trace");
    buffer.flush();
    assert.deepEqual(
      released.map((t) => [t.traceId, t.reason]),
      [
        [tid(1), 'shutdown'],
        [tid(2), 'shutdown'],
      ],
    );
    assert.deepEqual(released[1].notes?.get('fragment'), { caller: 'x' });
  });

  test('held spans come back with their trace; late spans follow its decision', () => {
    let keep = false;
    const late: [string, boolean][] = [];
    const released: AssembledTrace[] = [];
    let clock = 0;
    const buffer = new TraceBuffer({
      idleMs: 1000,
      maxTraces: 100,
      maxSpans: 100,
      maxHeldBytes: 1000,
      rememberReleased: 100,
      onRelease: (t) => (released.push(t), keep),
      onLateSpan: (s, kept) => late.push([s.spanId, kept]),
      now: () => clock,
    });
    const a = makeSpan({ traceId: tid(1), spanId: sid(1) });
    const b = makeSpan({ traceId: tid(1), spanId: sid(2), parentSpanId: sid(1) });
    buffer.add(a, clock, true, 100);
    buffer.add(b, clock, true, 150);
    assert.equal(buffer.heldBytes, 250);
    clock += 1000;
    buffer.tick();
    assert.deepEqual(released[0].held, [a, b], 'the span objects themselves, in arrival order');
    assert.equal(buffer.heldBytes, 0);
    buffer.add(makeSpan({ traceId: tid(1), spanId: sid(3) }), clock, true, 10);
    keep = true;
    buffer.add(makeSpan({ traceId: tid(2), spanId: sid(4) }), clock, true, 10);
    clock += 1000;
    buffer.tick();
    buffer.add(makeSpan({ traceId: tid(2), spanId: sid(5) }), clock, true, 10);
    assert.deepEqual(late, [
      [sid(3), false],
      [sid(5), true],
    ]);
  });

  test('over maxHeldBytes the oldest traces are released early; the trace being added stays', () => {
    const { buffer, released } = setup({ maxHeldBytes: 300 });
    for (let t = 1; t <= 4; t++)
      buffer.add(makeSpan({ traceId: tid(t), spanId: sid(t) }), 0, true, 100);
    assert.deepEqual(
      released.map((t) => [t.traceId, t.reason]),
      [[tid(1), 'evicted']],
    );
    assert.equal(buffer.heldBytes, 300);
  });

  test('a flood of distinct trace ids stays within maxTraces and maxHeldBytes, and every span comes out once', () => {
    let out = 0;
    let maxTraces = 0;
    let maxHeld = 0;
    const buffer = new TraceBuffer({
      idleMs: 10_000,
      maxTraces: 500,
      maxSpans: 100_000,
      maxHeldBytes: 64_000,
      rememberReleased: 1000,
      onRelease: (t) => {
        out += t.held?.length ?? 0;
        return true;
      },
      onLateSpan: () => out++,
      now: () => 0,
    });
    const total = 50_000;
    for (let i = 0; i < total; i++) {
      buffer.add(makeSpan({ traceId: tid(i + 1), spanId: sid(1) }), 0, true, 100);
      maxTraces = Math.max(maxTraces, buffer.traces);
      maxHeld = Math.max(maxHeld, buffer.heldBytes);
    }
    assert.ok(maxTraces <= 500, `traces peaked at ${maxTraces}`);
    assert.ok(maxHeld <= 64_000, `held bytes peaked at ${maxHeld}`);
    buffer.flush();
    assert.equal(out, total, 'every held span was released exactly once');
    assert.equal(buffer.releasedCount.evicted + buffer.releasedCount.shutdown, total);
  });
});
