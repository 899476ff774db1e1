import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { collapseAll, collapseBelow, reveal, rowOf, visibleRows } from './row-layout.ts';
import { buildTraceModel } from './trace-model.ts';
import { ops, span, trace, wideTrace } from './test-support/spans.ts';

const model = buildTraceModel(
  trace(
    span('root', '', 0, 100),
    span('a', 'root', 10, 40),
    span('a1', 'a', 11, 5),
    span('a2', 'a', 20, 5),
    span('a2x', 'a2', 21, 1),
    span('b', 'root', 60, 10),
  ),
);
const idx = (id: string) => model.spans.findIndex((s) => s.spanId === id);

describe('row layout', () => {
  test('with nothing collapsed every span is a row, in display order', () => {
    const rows = visibleRows(model, new Uint8Array(model.spans.length));
    assert.deepEqual(ops(model, rows), ['op-root', 'op-a', 'op-a1', 'op-a2', 'op-a2x', 'op-b']);
  });

  test('collapsing a span hides its whole subtree and nothing else', () => {
    const collapsed = new Uint8Array(model.spans.length);
    collapsed[idx('a')] = 1;
    assert.deepEqual(ops(model, visibleRows(model, collapsed)), ['op-root', 'op-a', 'op-b']);
    collapsed[idx('a')] = 0;
    collapsed[idx('a2')] = 1;
    assert.deepEqual(ops(model, visibleRows(model, collapsed)), [
      'op-root',
      'op-a',
      'op-a1',
      'op-a2',
      'op-b',
    ]);
  });

  test('collapse all leaves the roots; collapse below a depth keeps the levels above it open', () => {
    assert.deepEqual(ops(model, visibleRows(model, collapseAll(model))), ['op-root']);
    assert.deepEqual(ops(model, visibleRows(model, collapseBelow(model, 1))), [
      'op-root',
      'op-a',
      'op-b',
    ]);
    assert.deepEqual(ops(model, visibleRows(model, collapseBelow(model, 2))), [
      'op-root',
      'op-a',
      'op-a1',
      'op-a2',
      'op-b',
    ]);
  });

  test('reveal expands the ancestors of a hidden span without touching the old state', () => {
    const all = collapseAll(model);
    const shown = reveal(model, all, idx('a2x'));
    assert.notEqual(shown, all);
    assert.equal(all[idx('a')], 1);
    const rows = visibleRows(model, shown);
    assert.ok(rowOf(rows, idx('a2x')) > 0);
    assert.equal(shown[idx('b')], 0);
    assert.equal(reveal(model, shown, idx('a2x')), shown, 'nothing to change: same state back');
  });

  test('50,000 spans: layout is one pass, collapsed subtrees are skipped', () => {
    const big = buildTraceModel(wideTrace(50_000, 8));
    const none = new Uint8Array(50_000);
    assert.equal(visibleRows(big, none).length, 50_000);
    const collapsed = collapseBelow(big, 2);
    const rows = visibleRows(big, collapsed);
    assert.equal(rows.length, 1 + 8 + 64);
    for (const i of rows) assert.ok(big.depth[i] <= 2);
  });
});
