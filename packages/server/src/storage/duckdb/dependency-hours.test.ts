import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DependencyHours, HOUR_MICROS } from './dependency-hours.ts';
import type { EdgeQuery, EdgeRow } from './dependency-hours.ts';

const H = HOUR_MICROS;

/** Edges from an in-memory list of (child start, parent, child); records the ranges asked for. */
function edgeSource(edges: { t: number; parent: string; child: string }[]) {
  const calls: [number, number, boolean][] = [];
  const query: EdgeQuery = (from, to, byHour) => {
    calls.push([from, to, byHour]);
    const rows = new Map<string, EdgeRow>();
    for (const e of edges) {
      if (e.t < from || e.t >= to) continue;
      const hour = byHour ? Math.floor(e.t / H) : 0;
      const key = `${hour}/${e.parent}/${e.child}`;
      const row = rows.get(key) ?? { hour, parent: e.parent, child: e.child, calls: 0 };
      row.calls++;
      rows.set(key, row);
    }
    return Promise.resolve([...rows.values()]);
  };
  return { query, calls };
}

test('whole hours are joined once, partial hours every time, and the sum is exact', async () => {
  const base = 1000 * H;
  const edges = [
    { t: base - 10, parent: 'a', child: 'b' },
    { t: base + 5, parent: 'a', child: 'b' },
    { t: base + H + 5, parent: 'b', child: 'c' },
    { t: base + 2 * H + 7, parent: 'a', child: 'b' },
  ];
  const src = edgeSource(edges);
  const hours = new DependencyHours();
  const from = base - 100;
  const to = base + 2 * H + 10;
  const expected = [
    { parent: 'a', child: 'b', callCount: 3 },
    { parent: 'b', child: 'c', callCount: 1 },
  ];
  assert.deepEqual(await hours.edges(from, to, src.query), expected);
  assert.deepEqual(src.calls, [
    [from, base, false],
    [base + 2 * H, to, false],
    [base, base + 2 * H, true],
  ]);
  src.calls.length = 0;
  assert.deepEqual(await hours.edges(from, to, src.query), expected);
  assert.deepEqual(
    src.calls.map((c) => c[2]),
    [false, false],
    'the whole hours come from the cache',
  );
});

test('a write drops the hours a span at t can change (t - 1 h .. t + 1 h)', async () => {
  const base = 2000 * H;
  const edges = [{ t: base + 1, parent: 'a', child: 'b' }];
  const src = edgeSource(edges);
  const hours = new DependencyHours();
  await hours.edges(base, base + 5 * H, src.query);
  edges.push({ t: base + 3 * H + 1, parent: 'x', child: 'y' });
  hours.invalidate([base + 3 * H + 1]);
  src.calls.length = 0;
  assert.deepEqual(await hours.edges(base, base + 5 * H, src.query), [
    { parent: 'a', child: 'b', callCount: 1 },
    { parent: 'x', child: 'y', callCount: 1 },
  ]);
  assert.deepEqual(
    src.calls,
    [[base + 2 * H, base + 5 * H, true]],
    'only hours 2-4 are joined again',
  );
});

test('a join that races with a write is used but not cached', async () => {
  const base = 3000 * H;
  const edges = [{ t: base + 1, parent: 'a', child: 'b' }];
  const src = edgeSource(edges);
  const hours = new DependencyHours();
  const racing: EdgeQuery = async (from, to, byHour) => {
    const rows = await src.query(from, to, byHour);
    hours.invalidate([base + 1]);
    return rows;
  };
  assert.deepEqual(await hours.edges(base, base + H, racing), [
    { parent: 'a', child: 'b', callCount: 1 },
  ]);
  src.calls.length = 0;
  await hours.edges(base, base + H, src.query);
  assert.equal(src.calls.length, 1, 'the raced hour was not cached');
  hours.clear();
  src.calls.length = 0;
  await hours.edges(base, base + H, src.query);
  assert.equal(src.calls.length, 1, 'clear() drops everything');
});
