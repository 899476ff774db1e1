import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { SpanKind, ValueType, type Resource, type Span } from '../../../model/span.ts';
import { makeResource, makeSpan } from '../../../query/test-support/span-builders.ts';
import type {
  CompletenessDelta,
  CompletenessWriter,
} from '../../../storage/completeness-writer.ts';
import { metricValue } from '../../test-support/metric-value.ts';
import { CompletenessMetrics } from './completeness-metrics.ts';
import { CompletenessProcessor } from './completeness-processor.ts';
import { TraceBuffer } from '../../trace-buffer.ts';

const T0 = 1_700_000_040_000_000; // µs, 40 s into a minute
const counters = { changed() {}, dropped() {} };
let seq = 0;
const id16 = () => (++seq).toString(16).padStart(16, '0');
const id32 = () => (++seq).toString(16).padStart(32, '0');

class RecordingWriter implements CompletenessWriter {
  deltas: CompletenessDelta[] = [];
  async writeCompleteness(delta: CompletenessDelta): Promise<void> {
    this.deltas.push(structuredClone(delta));
  }
  /** Sums every row written so far by key, like the store does. */
  sum() {
    const roots = new Map<string, { traces: number; complete: number }>();
    const edges = new Map<string, { calls: number; answered: number }>();
    const breaks = new Map<string, { count: number; examples: string[] }>();
    for (const d of this.deltas) {
      for (const r of d.roots) {
        const v = roots.get(r.rootService) ?? { traces: 0, complete: 0 };
        v.traces += r.traces;
        v.complete += r.complete;
        roots.set(r.rootService, v);
      }
      for (const e of d.edges) {
        const k = `${e.caller}>${e.callee}`;
        const v = edges.get(k) ?? { calls: 0, answered: 0 };
        v.calls += e.calls;
        v.answered += e.answered;
        edges.set(k, v);
      }
      for (const b of d.breaks) {
        const k = `${b.cause}:${b.service}>${b.peer}`;
        const v = breaks.get(k) ?? { count: 0, examples: [] };
        v.count += b.count;
        v.examples.push(...b.examples);
        breaks.set(k, v);
      }
    }
    return { roots, edges, breaks };
  }
}

/** The processor over a trace buffer, wired as the chain wires them. */
function setup() {
  let clock = 1_000_000;
  const writer = new RecordingWriter();
  const registry = new Registry();
  const processor = new CompletenessProcessor(
    { idleMs: 1000, skewMs: 5, flushIntervalMs: 3_600_000, examplesPerCause: 3 },
    {
      logger: pino({ level: 'silent' }),
      metrics: new CompletenessMetrics(registry),
      writer,
      now: () => clock,
    },
  );
  const buffer = new TraceBuffer({
    idleMs: 1000,
    maxTraces: 1000,
    maxSpans: 10_000,
    maxHeldBytes: 1_000_000,
    rememberReleased: 10_000,
    onRelease: (trace) => {
      processor.assembled(trace, counters);
      return true;
    },
    onLateSpan: (span, kept) => processor.late(span, kept, counters),
    now: () => clock,
  });
  processor.bind(buffer);
  const feed = (spans: Span[]) => {
    const now = buffer.now();
    processor.observe(spans);
    for (const span of spans) buffer.add(span, now);
    return spans;
  };
  const settle = (ms = 1000) => {
    clock += ms;
    buffer.tick();
  };
  return { processor, buffer, writer, registry, feed, settle };
}

/** One request frontend → catalog; `split` puts catalog's side in a trace of its own. */
function request(opts: { split?: boolean; start?: number } = {}) {
  const start = opts.start ?? T0;
  const traceId = id32();
  const root = makeSpan({
    traceId,
    spanId: id16(),
    resource: makeResource('frontend'),
    name: 'GET /p',
    startTime: start,
    duration: 10_000,
  });
  const call = makeSpan({
    traceId,
    spanId: id16(),
    parentSpanId: root.spanId,
    kind: SpanKind.Client,
    name: 'GetProduct',
    resource: makeResource('frontend'),
    startTime: start + 1000,
    duration: 5000,
    attributes: [{ key: 'server.address', type: ValueType.String, value: 'catalog' }],
  });
  const calleeTrace = opts.split ? id32() : traceId;
  const callee = makeSpan({
    traceId: calleeTrace,
    spanId: id16(),
    parentSpanId: opts.split ? '' : call.spanId,
    name: 'GetProduct',
    resource: makeResource('catalog'),
    startTime: start + 1003,
    duration: 4000,
  });
  return { traceId, calleeTrace, main: [root, call], callee: [callee] };
}

/** The same spans (same ids, same services) as sent by `tenant`. */
function asTenant(spans: Span[], tenant: string): Span[] {
  const resources = new Map<Resource, Resource>();
  return spans.map((s) => {
    let r = resources.get(s.resource);
    if (r === undefined) resources.set(s.resource, (r = { ...s.resource, tenant }));
    return { ...s, resource: r };
  });
}

/** Feeds one whole request, so the processor learns that catalog answers calls. */
function learn(feed: (spans: Span[]) => Span[]): void {
  const r = request();
  feed([...r.main, ...r.callee]);
}

describe('CompletenessProcessor', () => {
  test('passes spans on untouched and counts whole traces as complete', async () => {
    const { feed, settle, processor, writer, registry } = setup();
    const r = request();
    const batch = [...r.main, ...r.callee];
    assert.equal(feed(batch), batch);
    settle();
    await processor.flush();
    const { roots, edges } = writer.sum();
    assert.deepEqual(roots.get('frontend'), { traces: 1, complete: 1 });
    assert.deepEqual(edges.get('frontend>catalog'), { calls: 1, answered: 1 });
    assert.equal(
      await metricValue(registry, 'skein_traces_assembled_total', {
        root_service: 'frontend',
        complete: 'true',
      }),
      1,
    );
  });

  test('pairs a split trace whose callee half is still assembling: split_trace + fragment', async () => {
    const { feed, settle, processor, writer } = setup();
    learn(feed); // that catalog answers calls
    settle();
    const r = request({ split: true, start: T0 + 100_000 });
    feed(r.main);
    settle(400);
    feed(r.callee); // the callee half arrives later, so it is still buffered when the caller is judged
    settle(700);
    settle(1000);
    await processor.flush();
    const { roots, edges, breaks } = writer.sum();
    assert.deepEqual(edges.get('frontend>catalog'), { calls: 2, answered: 1 });
    assert.equal(breaks.get('split_trace:frontend>catalog')?.count, 1);
    assert.deepEqual(breaks.get('split_trace:frontend>catalog')?.examples, [
      `${r.traceId}>${r.calleeTrace}`,
    ]);
    assert.equal(breaks.get('fragment:catalog>frontend')?.count, 1);
    assert.deepEqual(roots.get('catalog'), { traces: 1, complete: 0 });
  });

  test('a callee half already counted complete is taken back when its caller is judged', async () => {
    const { feed, settle, processor, writer } = setup();
    learn(feed);
    settle();
    const r = request({ split: true, start: T0 + 200_000 });
    feed(r.callee);
    settle(600);
    feed(r.main);
    settle(500); // the callee half is idle first: counted complete
    await processor.flush();
    assert.deepEqual(writer.sum().roots.get('catalog'), { traces: 1, complete: 1 });
    settle(1000); // now the caller: the pairing takes the callee half back
    await processor.flush();
    const { roots, breaks } = writer.sum();
    assert.deepEqual(roots.get('catalog'), { traces: 1, complete: 0 });
    assert.equal(breaks.get('split_trace:frontend>catalog')?.count, 1);
    assert.equal(breaks.get('fragment:catalog>frontend')?.count, 1);
    const services = writer.deltas
      .flatMap((d) => d.services)
      .filter((s) => s.service === 'catalog');
    assert.equal(
      services.reduce((n, s) => n + s.spansInComplete, 0),
      1,
      'only the first, whole trace',
    );
  });

  test('a callee half judged before any call to its service was seen is still paired', async () => {
    // Right after a start nothing is known yet: the callee half of a split may be judged
    // (and counted complete) before the first call to its service teaches that it is a callee.
    const { feed, settle, processor, writer } = setup();
    const r = request({ split: true, start: T0 + 250_000 });
    feed(r.callee);
    settle(600);
    feed(r.main);
    settle(500); // the callee half is judged first, while catalog is nobody's callee yet
    await processor.flush(); // a flush (and its pruning) between the two halves
    settle(1000);
    await processor.flush();
    const { roots, edges, breaks } = writer.sum();
    assert.deepEqual(edges.get('frontend>catalog'), { calls: 1, answered: 0 });
    assert.equal(breaks.get('split_trace:frontend>catalog')?.count, 1);
    assert.equal(breaks.get('unanswered_call:frontend>catalog'), undefined);
    assert.equal(breaks.get('fragment:catalog>frontend')?.count, 1);
    assert.deepEqual(roots.get('catalog'), { traces: 1, complete: 0 });
  });

  test('roots of a service nobody calls are forgotten once their callers had time to be judged', async () => {
    const { feed, settle, processor, writer } = setup();
    learn(feed);
    settle();
    // An entry point's root (frontend is nobody's callee), then, much later, a call to
    // frontend in its window: it must not pair with the forgotten root.
    const entry = request({ start: T0 + 400_000 });
    feed([...entry.main, ...entry.callee]);
    settle();
    await processor.flush();
    settle(2000);
    await processor.flush();
    const traceId = id32();
    const callToFrontend = makeSpan({
      traceId,
      spanId: id16(),
      kind: SpanKind.Client,
      name: 'GET /p',
      resource: makeResource('gateway'),
      startTime: T0 + 399_000,
      duration: 20_000,
      attributes: [{ key: 'server.address', type: ValueType.String, value: 'frontend' }],
    });
    feed([callToFrontend]);
    settle();
    await processor.flush();
    const { breaks } = writer.sum();
    assert.equal(breaks.get('unanswered_call:gateway>frontend')?.count, 1);
    assert.equal(breaks.get('split_trace:gateway>frontend'), undefined);
  });

  test('an unanswered call with no other half, and a call outside the skew window', async () => {
    const { feed, settle, processor, writer } = setup();
    learn(feed);
    settle();
    const r = request({ split: true, start: T0 + 300_000 });
    r.callee[0].startTime += 20_000; // 20 ms after the call ended: beyond the 5 ms tolerance
    feed([...r.main, ...r.callee]);
    settle();
    await processor.flush();
    const { breaks } = writer.sum();
    assert.equal(breaks.get('unanswered_call:frontend>catalog')?.count, 1);
    assert.equal(breaks.get('split_trace:frontend>catalog'), undefined);
  });

  test('a late root leaves no pending root behind', () => {
    const { feed, settle, processor } = setup();
    const r = request();
    feed([...r.main, ...r.callee]);
    settle();
    assert.equal(processor.pendingRoots, 0, 'the judged trace took its root');
    feed([{ ...r.main[0], spanId: 'feedfacefeedface' }]);
    assert.equal(processor.pendingRoots, 0, 'a root of an already judged trace is not pending');
  });

  test('late spans are counted and stay out of the trace', async () => {
    const { feed, settle, processor, writer } = setup();
    const r = request();
    feed(r.main);
    settle();
    feed(r.callee);
    await processor.flush();
    assert.equal(writer.sum().breaks.get('late_span:catalog>')?.count, 1);
  });

  test('at shutdown the buffered traces are judged (the chain drains first) and written on stop', async () => {
    const { feed, processor, buffer, writer } = setup();
    const r = request();
    feed([...r.main, ...r.callee]);
    buffer.flush();
    await processor.stop();
    assert.deepEqual(writer.sum().roots.get('frontend'), { traces: 1, complete: 1 });
    assert.equal(buffer.traces, 0);
  });

  test('two tenants with the same trace ids and services are judged apart, rows per tenant', async () => {
    const { feed, settle, processor, writer, registry } = setup();
    learn(feed); // the default tenant learns that catalog answers calls; acme does not
    settle();
    const r = request({ split: true, start: T0 + 300_000 });
    // Both tenants send the caller half, with the same ids; only the default tenant
    // sends the callee half. acme's trace must not be paired with it, nor judged by
    // what the default tenant's traces taught.
    feed([...r.main, ...asTenant(r.main, 'acme')]);
    settle(400);
    feed(r.callee);
    settle(700);
    settle(1000);
    await processor.flush();
    const rows = writer.deltas.flatMap((d) => d.roots);
    const roots = (tenant: string, service: string) =>
      rows
        .filter((x) => x.tenant === tenant && x.rootService === service)
        .reduce((a, x) => ({ traces: a.traces + x.traces, complete: a.complete + x.complete }), {
          traces: 0,
          complete: 0,
        });
    assert.deepEqual(roots('acme', 'frontend'), { traces: 1, complete: 1 });
    assert.deepEqual(roots('', 'frontend'), { traces: 2, complete: 1 });
    assert.deepEqual(roots('acme', 'catalog'), { traces: 0, complete: 0 });
    const breaks = writer.deltas.flatMap((d) => d.breaks);
    assert.deepEqual(breaks.map((b) => [b.tenant, b.cause]).sort(), [
      ['', 'fragment'],
      ['', 'split_trace'],
    ]);
    const edges = writer.deltas.flatMap((d) => d.edges);
    assert.ok(
      edges.every((e) => e.tenant === ''),
      'acme never learned catalog: no judged call',
    );
    assert.equal(processor.tenants, 2);
    assert.ok(processor.directoryOf('acme')?.isInstrumented('catalog') === false);
    assert.ok(processor.directoryOf('')?.isInstrumented('catalog'));
    // Once quiet for longer than split candidates are kept, acme's state is forgotten;
    // the default tenant's stays.
    settle(30_000);
    await processor.flush();
    assert.equal(processor.tenants, 2, 'not quiet long enough yet');
    settle(40_000);
    await processor.flush();
    assert.equal(processor.tenants, 1);
    assert.equal(processor.directoryOf('acme'), undefined);
    assert.ok(processor.directoryOf('')?.isInstrumented('catalog'));
    assert.equal(
      await metricValue(registry, 'skein_traces_assembled_total', {
        tenant: 'acme',
        root_service: 'frontend',
        complete: 'true',
      }),
      1,
    );
  });
});
