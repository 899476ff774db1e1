import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEPENDENCY_MINUTE as M, planDependencyRead } from './dependency-coverage.ts';

test('whole counted minutes come from the aggregates, everything else from the join', () => {
  const covered = new Set([10 * M, 11 * M, 13 * M]);
  assert.deepEqual(planDependencyRead(9 * M + 5, 14 * M + 7, covered), {
    aggregated: [
      { from: 10 * M, to: 12 * M },
      { from: 13 * M, to: 14 * M },
    ],
    joined: [
      { from: 9 * M + 5, to: 10 * M },
      { from: 12 * M, to: 13 * M },
      { from: 14 * M, to: 14 * M + 7 },
    ],
  });
});

test('a window inside one minute, an empty window, and nothing counted', () => {
  const covered = new Set([10 * M]);
  assert.deepEqual(planDependencyRead(10 * M + 1, 10 * M + 9, covered), {
    aggregated: [],
    joined: [{ from: 10 * M + 1, to: 10 * M + 9 }],
  });
  assert.deepEqual(planDependencyRead(5, 5, covered), { aggregated: [], joined: [] });
  assert.deepEqual(planDependencyRead(0, 3 * M, new Set()), {
    aggregated: [],
    joined: [{ from: 0, to: 3 * M }],
  });
});
