import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpanKind } from '../../../model/span.ts';
import { makeResource, makeSpan } from '../../../query/test-support/span-builders.ts';
import { digestSpan, nameHash } from '../../span-digest.ts';
import { CalleeDirectory } from './callee-directory.ts';
import { indexSpans } from './classify-trace.ts';
import { SplitFinder } from './split-finder.ts';

const T = 1_700_000_200_000_000; // µs
const CALLER = 'a'.repeat(32);
const call = digestSpan(
  makeSpan({
    traceId: 'a'.repeat(32),
    spanId: 'a1'.repeat(8),
    parentSpanId: 'a0'.repeat(8),
    kind: SpanKind.Client,
    name: 'GetProduct',
    resource: makeResource('frontend'),
    startTime: T,
    duration: 10_000,
  }),
);

/** A finder holding two callee roots: one 1 ms after the call's start, one 5.6 ms after. */
function finder(): SplitFinder {
  const f = new SplitFinder({ skewMs: 50, retainUs: 60_000_000 });
  for (const [traceId, at] of [
    ['b'.repeat(32), 1_000],
    ['c'.repeat(32), 5_600],
  ] as const) {
    f.register(
      traceId,
      { parentSpanId: '', kind: SpanKind.Server, startTime: T + at },
      'catalog',
      nameHash('GetProduct'),
    );
  }
  return f;
}

describe('SplitFinder.pair', () => {
  test('without a learned offset, the root starting closest to the call', () => {
    assert.equal(finder().pair(CALLER, call, 'catalog')?.traceId, 'b'.repeat(32));
  });

  test("with the edge's offset (delay + clock skew), the root closest to the call's start plus it", () => {
    assert.equal(finder().pair(CALLER, call, 'catalog', 5_500)?.traceId, 'c'.repeat(32));
  });

  test('each root pairs once', () => {
    const f = finder();
    assert.equal(f.pair(CALLER, call, 'catalog', 5_500)?.traceId, 'c'.repeat(32));
    assert.equal(f.pair(CALLER, call, 'catalog', 5_500)?.traceId, 'b'.repeat(32));
    assert.equal(f.pair(CALLER, call, 'catalog', 5_500), undefined);
  });
});

describe('CalleeDirectory.offsetUs', () => {
  test("learns how much later the callee's span starts than the call, per edge", () => {
    const directory = new CalleeDirectory();
    assert.equal(directory.offsetUs('frontend', 'catalog'), 0);
    for (const [i, delay] of [5_400, 5_800, 5_600].entries()) {
      const traceId = String(i + 1).repeat(32);
      const spans = [
        makeSpan({
          traceId,
          spanId: `${i}1`.repeat(8),
          kind: SpanKind.Client,
          resource: makeResource('frontend'),
          startTime: T + i * 1_000_000,
        }),
        makeSpan({
          traceId,
          spanId: `${i}2`.repeat(8),
          parentSpanId: `${i}1`.repeat(8),
          resource: makeResource('catalog'),
          startTime: T + i * 1_000_000 + delay,
        }),
      ].map(digestSpan);
      directory.learn(spans, indexSpans(spans).byId);
    }
    assert.equal(directory.offsetUs('frontend', 'catalog'), 5_600);
    assert.equal(directory.offsetUs('catalog', 'frontend'), 0);
  });
});
