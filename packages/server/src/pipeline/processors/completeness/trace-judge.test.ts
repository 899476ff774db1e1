import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind, ValueType, type Resource, type Span } from '../../../model/span.ts';
import { makeResource, makeSpan } from '../../../query/test-support/span-builders.ts';
import { DuckDbStorage } from '../../../storage/duckdb/duckdb-storage.ts';
import { digestSpan } from '../../span-digest.ts';
import { CalleeDirectory } from './callee-directory.ts';
import { indexSpans } from './classify-trace.ts';
import { createTraceJudge } from './trace-judge.ts';

const T = 1_700_000_100_000_000; // µs
const frontend = makeResource('frontend');
const catalog = makeResource('catalog');
const toCatalog = [{ key: 'server.address', type: ValueType.String, value: 'catalog' }];

/** A frontend request whose call to catalog (at `callStart`, µs after T) was never answered in its trace. */
function caller(id: string, callStart: number, callDuration: number): Span[] {
  const traceId = id.repeat(32);
  return [
    makeSpan({
      traceId,
      spanId: `${id}1`.repeat(8),
      name: 'GET /product',
      resource: frontend,
      startTime: T - 20_000,
      duration: 60_000,
    }),
    makeSpan({
      traceId,
      spanId: `${id}2`.repeat(8),
      parentSpanId: `${id}1`.repeat(8),
      kind: SpanKind.Client,
      name: 'GetProduct',
      resource: frontend,
      startTime: T + callStart,
      duration: callDuration,
      attributes: toCatalog,
    }),
  ];
}

/** The same spans as sent by `tenant`. */
function asTenant(spans: Span[], tenant: string): Span[] {
  const resources = new Map<Resource, Resource>();
  return spans.map((s) => {
    let r = resources.get(s.resource);
    if (r === undefined) resources.set(s.resource, (r = { ...s.resource, tenant }));
    return { ...s, resource: r };
  });
}

describe('createTraceJudge', () => {
  const storage = new DuckDbStorage({ path: ':memory:' });
  // Two callers whose unanswered calls both cover the fragment's start (skew 5 ms):
  // a's started 1.5 ms before it, b's 2.5 ms after it (so b's trace is the more recent).
  const a = caller('a', -500, 10_000);
  const b = caller('b', 3_500, 10_000);
  const fragment = makeSpan({
    traceId: 'f'.repeat(32),
    spanId: 'f1'.repeat(8),
    name: 'GetProduct',
    resource: catalog,
    startTime: T + 1_000,
    duration: 6_000,
  });
  const directory = new CalleeDirectory();
  // acme's traffic, with the same services, that would be the better match for every
  // judgement above if the judge looked outside the trace's tenant: a caller whose call
  // starts with the fragment, and a catalog root starting with a's call.
  const acmeCaller = asTenant(caller('d', 1_000, 10_000), 'acme');
  const [acmeRoot] = asTenant(
    [
      makeSpan({
        traceId: 'e'.repeat(32),
        spanId: 'e1'.repeat(8),
        name: 'GetProduct',
        resource: catalog,
        startTime: T - 500,
        duration: 6_000,
      }),
    ],
    'acme',
  );

  before(async () => {
    await storage.open();
    await storage.write([...a, ...b, fragment, ...acmeCaller, acmeRoot]);
    // What the processor would have learned from an answered call frontend → catalog.
    const answered = [
      digestSpan(makeSpan({ traceId: 'c'.repeat(32), spanId: 'c1'.repeat(8), resource: frontend })),
      digestSpan(
        makeSpan({
          traceId: 'c'.repeat(32),
          spanId: 'c2'.repeat(8),
          parentSpanId: 'c1'.repeat(8),
          kind: SpanKind.Client,
          resource: frontend,
          attributes: toCatalog,
        }),
      ),
      digestSpan(
        makeSpan({
          traceId: 'c'.repeat(32),
          spanId: 'c3'.repeat(8),
          parentSpanId: 'c2'.repeat(8),
          resource: catalog,
        }),
      ),
    ];
    directory.learn(answered, indexSpans(answered).byId);
    assert.equal(directory.calleeOf(answered[1]), 'catalog');
  });

  after(() => storage.close());

  const judge = createTraceJudge({
    reader: storage,
    directory: () => directory,
    skewMs: () => 5,
  });

  test('a fragment names the caller whose call started closest to it, not the latest one', async () => {
    const verdict = await judge({ traceId: fragment.traceId, spans: [fragment] });
    assert.deepEqual(
      verdict.causes.map((c) => [c.cause, c.spanId, c.service, c.peer, c.otherTraceId]),
      [['fragment', fragment.spanId, 'catalog', 'frontend', a[0].traceId]],
    );
    assert.equal(verdict.complete, false);
  });

  test('the caller side: the unanswered call is a split continued in the fragment', async () => {
    const verdict = await judge({ traceId: a[0].traceId, spans: a });
    assert.deepEqual(
      verdict.causes.map((c) => [c.cause, c.spanId, c.service, c.peer, c.otherTraceId]),
      [['split_trace', a[1].spanId, 'frontend', 'catalog', fragment.traceId]],
    );
  });

  test("within the trace's tenant: acme's fragment pairs with acme's caller, by the spans' tenant or an explicit one", async () => {
    const [acmeFragment] = asTenant([fragment], 'acme');
    const expected = [['fragment', fragment.spanId, 'catalog', 'frontend', acmeCaller[0].traceId]];
    const byResource = await judge({ traceId: fragment.traceId, spans: [acmeFragment] });
    assert.deepEqual(
      byResource.causes.map((c) => [c.cause, c.spanId, c.service, c.peer, c.otherTraceId]),
      expected,
    );
    const explicit = await judge({ traceId: fragment.traceId, spans: [fragment] }, 'acme');
    assert.deepEqual(
      explicit.causes.map((c) => [c.cause, c.spanId, c.service, c.peer, c.otherTraceId]),
      expected,
    );
  });
});
