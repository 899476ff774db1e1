import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SpanKind } from '../../../model/span.ts';
import type { SpanDigest } from '../../span-digest.ts';
import { CalleeDirectory } from './callee-directory.ts';
import { classifyTrace, indexSpans } from './classify-trace.ts';

let next = 1;
function d(fields: Partial<SpanDigest> & Pick<SpanDigest, 'service'>): SpanDigest {
  return {
    spanId: (next++).toString(16).padStart(16, '0'),
    parentSpanId: '',
    nameHash: 0,
    kind: SpanKind.Server,
    startTime: 1_000_000,
    duration: 100,
    flags: 1,
    statusCode: 0,
    peerService: '',
    serverAddress: '',
    destination: '',
    linkedSpanIds: undefined,
    ...fields,
  };
}

/** frontend SERVER → frontend CLIENT (server.address=catalog) → catalog SERVER, plus a db call. */
function healthy() {
  const root = d({ service: 'frontend' });
  const call = d({
    service: 'frontend',
    kind: SpanKind.Client,
    parentSpanId: root.spanId,
    serverAddress: 'catalog',
  });
  const callee = d({ service: 'catalog', parentSpanId: call.spanId });
  const db = d({
    service: 'catalog',
    kind: SpanKind.Client,
    parentSpanId: callee.spanId,
    serverAddress: 'postgres',
  });
  return { root, call, callee, db, spans: [root, call, callee, db] };
}

function judge(spans: SpanDigest[], directory = new CalleeDirectory()) {
  const { byId } = indexSpans(spans);
  directory.learn(spans, byId);
  return classifyTrace('t', spans, directory, byId);
}

describe('classifyTrace', () => {
  test('a whole trace is complete; calls to uninstrumented services are not judged', () => {
    const { spans } = healthy();
    const v = judge(spans);
    assert.equal(v.complete, true);
    assert.deepEqual(v.breaks, []);
    assert.deepEqual(
      v.calls.map((c) => [c.caller, c.callee, c.answered]),
      [['frontend', 'catalog', true]],
    );
    assert.equal(v.rootService, 'frontend');
    assert.deepEqual(
      [...v.spansByService],
      [
        ['frontend', 2],
        ['catalog', 2],
      ],
    );
  });

  test('an unanswered call to a known service, and the learned address', () => {
    const directory = new CalleeDirectory();
    judge(healthy().spans, directory);
    // Now the callee never answers; peer.service names it another way.
    const root = d({ service: 'frontend' });
    const call = d({
      service: 'frontend',
      kind: SpanKind.Client,
      parentSpanId: root.spanId,
      serverAddress: 'catalog',
    });
    const viaPeer = d({
      service: 'frontend',
      kind: SpanKind.Client,
      parentSpanId: root.spanId,
      peerService: 'catalog',
    });
    const external = d({
      service: 'frontend',
      kind: SpanKind.Client,
      parentSpanId: root.spanId,
      serverAddress: 'api.stripe.com',
    });
    const v = judge([root, call, viaPeer, external], directory);
    assert.equal(v.complete, false);
    assert.deepEqual(
      v.breaks.map((b) => [b.cause, b.service, b.peer, b.spanId]),
      [
        ['unanswered_call', 'frontend', 'catalog', call.spanId],
        ['unanswered_call', 'frontend', 'catalog', viaPeer.spanId],
      ],
    );
  });

  test('orphans, rootless and multiple roots', () => {
    const a = d({ service: 'a' });
    const orphan = d({ service: 'b', parentSpanId: 'ffffffffffffffff' });
    const v1 = judge([a, orphan]);
    assert.deepEqual(
      v1.breaks.map((b) => [b.cause, b.service]),
      [['orphan', 'b']],
    );
    const v2 = judge([orphan]);
    assert.deepEqual(
      v2.breaks.map((b) => b.cause),
      ['rootless', 'orphan'],
    );
    assert.equal(v2.rootService, '');
    const v3 = judge([d({ service: 'x', startTime: 5 }), d({ service: 'y', startTime: 3 })]);
    assert.deepEqual(
      v3.breaks.map((b) => [b.cause, b.service]),
      [['multiple_roots', 'y']],
    );
  });

  test('an orphan the SDK recorded under an unsampled parent is sampled_out_parent', () => {
    const root = d({ service: 'a', flags: 1 });
    const unsampled = d({ service: 'b', parentSpanId: 'eeeeeeeeeeeeeeee', flags: 0 });
    assert.deepEqual(
      judge([root, unsampled]).breaks.map((b) => b.cause),
      ['sampled_out_parent'],
    );
  });

  test('duplicates and late spans do not make a trace incomplete', () => {
    const { spans, callee } = healthy();
    const v = judge([...spans, { ...callee }]);
    assert.equal(v.complete, true);
    assert.deepEqual(
      v.breaks.map((b) => b.cause),
      ['duplicate_span'],
    );
    assert.equal(v.spansByService.get('catalog'), 2, 'duplicates counted once');
  });

  test('a producer is answered by a consumer child, or by a consumer linking to it', () => {
    const directory = new CalleeDirectory();
    const root = d({ service: 'checkout' });
    const publish = d({
      service: 'checkout',
      kind: SpanKind.Producer,
      parentSpanId: root.spanId,
      destination: 'orders',
    });
    const consume = d({
      service: 'shipping',
      kind: SpanKind.Consumer,
      parentSpanId: publish.spanId,
      destination: 'orders',
    });
    assert.equal(judge([root, publish, consume], directory).complete, true);
    const root2 = d({ service: 'checkout' });
    const publish2 = d({
      service: 'checkout',
      kind: SpanKind.Producer,
      parentSpanId: root2.spanId,
      destination: 'orders',
    });
    const lost = judge([root2, publish2], directory);
    assert.deepEqual(
      lost.breaks.map((b) => [b.cause, b.peer]),
      [['unanswered_call', 'shipping']],
    );
    const { byId } = indexSpans([root2, publish2]);
    const linked = classifyTrace(
      't',
      [root2, publish2],
      directory,
      byId,
      new Set([publish2.spanId]),
    );
    assert.equal(linked.complete, true);
  });
});
