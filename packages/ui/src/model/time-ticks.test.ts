import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAgo, formatDuration } from './time-format.ts';
import { timeTicks } from './time-ticks.ts';
import { clampWindow, panWindow, zoomWindow } from './view-window.ts';

describe('time axis ticks', () => {
  test('round steps over the whole range, at most maxTicks + 1 ticks', () => {
    const ticks = timeTicks(0, 1_000_000, 5);
    assert.deepEqual(
      ticks.map((t) => t.label),
      ['0µs', '200ms', '400ms', '600ms', '800ms', '1s'],
    );
    assert.deepEqual(
      ticks.map((t) => t.fraction),
      [0, 0.2, 0.4, 0.6, 0.8, 1],
    );
  });

  test('a zoomed window starts at the first round tick inside it', () => {
    const ticks = timeTicks(1234, 1734, 5);
    assert.deepEqual(
      ticks.map((t) => t.time),
      [1300, 1400, 1500, 1600, 1700],
    );
    assert.ok(Math.abs(ticks[0].fraction - 66 / 500) < 1e-12);
  });

  test('steps of 1, 2 and 5 and no floating-point noise', () => {
    assert.deepEqual(
      timeTicks(0, 0.6, 3).map((t) => t.time),
      [0, 0.2, 0.4, 0.6],
    );
    assert.deepEqual(
      timeTicks(0, 45, 10).map((t) => t.time),
      [0, 5, 10, 15, 20, 25, 30, 35, 40, 45],
    );
  });

  test('an empty range gives one tick', () => {
    assert.equal(timeTicks(5, 5, 10).length, 1);
  });
});

describe('durations and windows', () => {
  test('durations read naturally', () => {
    assert.equal(formatDuration(850), '850µs');
    assert.equal(formatDuration(12_345), '12.3ms');
    assert.equal(formatDuration(1_250_000), '1.25s');
    assert.equal(formatDuration(125_000_000), '2m 5s');
    assert.equal(formatDuration(3_720_000_000), '1h 2m');
    assert.equal(formatAgo(0, 3 * 3600_000), '3 hours ago');
  });

  test('pan and zoom stay inside the trace', () => {
    assert.deepEqual(panWindow({ start: 0.8, end: 1 }, 1), { start: 0.8, end: 1 });
    assert.deepEqual(panWindow({ start: 0.2, end: 0.4 }, -0.5), {
      start: 0.1,
      end: 0.30000000000000004,
    });
    const z = zoomWindow({ start: 0, end: 1 }, 0.5);
    assert.deepEqual(z, { start: 0.25, end: 0.75 });
    assert.deepEqual(zoomWindow(z, 4), { start: 0, end: 1 });
    assert.ok(clampWindow({ start: 0.5, end: 0.5 }).end > 0.5);
  });
});
