import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTraceModel, childCountOf } from './trace-model.ts';
import { ops, span, trace, wideTrace } from './test-support/spans.ts';

describe('buildTraceModel', () => {
  test('orders spans depth first with siblings by start time, whatever the input order', () => {
    const m = buildTraceModel(
      trace(
        span('c2', 'root', 50, 10),
        span('g1', 'c1', 12, 3),
        span('root', '', 0, 100),
        span('c1', 'root', 10, 20),
      ),
    );
    assert.deepEqual(ops(m, m.order), ['op-root', 'op-c1', 'op-g1', 'op-c2']);
    assert.deepEqual(
      Array.from(m.order, (i) => m.depth[i]),
      [0, 1, 2, 1],
    );
    assert.deepEqual(Array.from(m.subtreeEnd), [4, 3, 3, 4]);
    assert.equal(m.maxDepth, 2);
    assert.equal(m.start, 0);
    assert.equal(m.end, 100);
    assert.equal(childCountOf(m, m.order[0]), 2);
    for (let pos = 0; pos < m.order.length; pos++) assert.equal(m.position[m.order[pos]], pos);
  });

  test('spans whose parent is missing are orphans shown as extra roots, in start order', () => {
    const m = buildTraceModel(
      trace(span('late', 'gone', 40, 5), span('root', '', 0, 30), span('early', 'gone', 5, 5)),
    );
    assert.deepEqual(ops(m, m.order), ['op-root', 'op-early', 'op-late']);
    assert.equal(m.orphanCount, 2);
    assert.deepEqual(Array.from(m.orphan), [1, 0, 1]);
    assert.deepEqual(
      Array.from(m.order, (i) => m.depth[i]),
      [0, 0, 0],
    );
  });

  test('a parent cycle is broken at one span instead of hiding the spans', () => {
    const m = buildTraceModel(
      trace(span('a', 'b', 0, 10), span('b', 'a', 1, 5), span('r', '', 0, 1)),
    );
    assert.equal(m.order.length, 3);
    assert.deepEqual(new Set(m.order), new Set([0, 1, 2]));
    assert.equal(m.orphanCount, 1);
  });

  test('duplicate span ids keep the first span and are counted', () => {
    const m = buildTraceModel(trace(span('a', '', 0, 10), span('a', '', 0, 99)));
    assert.equal(m.spans.length, 1);
    assert.equal(m.spans[0].duration, 10);
    assert.equal(m.duplicateCount, 1);
  });

  test('self time subtracts the union of child intervals clipped to the span', () => {
    const m = buildTraceModel(
      trace(
        span('root', '', 0, 100),
        span('a', 'root', 10, 20), // 10..30
        span('b', 'root', 20, 20), // 20..40 overlaps a
        span('c', 'root', 90, 30), // 90..120, clipped to 90..100
      ),
    );
    assert.equal(m.selfTime[0], 100 - 30 - 10);
    assert.equal(m.selfTime[1], 20);
  });

  test('counts errors per service and gives services colours in order of appearance', () => {
    const m = buildTraceModel(
      trace(
        span('root', '', 0, 100, { service: 'front' }),
        span('a', 'root', 10, 20, { service: 'cart', status: 'ERROR' }),
        span('b', 'root', 20, 20, { service: 'front', status: 'ERROR' }),
      ),
    );
    assert.equal(m.errorCount, 2);
    assert.deepEqual(
      m.services.map((s) => [s.name, s.color, s.spanCount, s.errorCount]),
      [
        ['front', 0, 2, 1],
        ['cart', 1, 1, 1],
      ],
    );
    assert.deepEqual(Array.from(m.error), [0, 1, 1]);
  });

  test('a 50,000-span trace and a 10,000-deep chain build without recursion limits', () => {
    const wide = buildTraceModel(wideTrace(50_000, 8));
    assert.equal(wide.order.length, 50_000);
    assert.equal(wide.subtreeEnd[0], 50_000);
    const chain = [span('c0', '', 0, 1e6)];
    for (let i = 1; i < 10_000; i++) chain.push(span(`c${i}`, `c${i - 1}`, i, 10));
    const deep = buildTraceModel(trace(...chain));
    assert.equal(deep.maxDepth, 9_999);
    assert.equal(deep.subtreeEnd[0], 10_000);
  });

  test('an empty trace gives an empty model', () => {
    const m = buildTraceModel(trace());
    assert.equal(m.order.length, 0);
    assert.equal(m.end - m.start, 0);
  });
});
