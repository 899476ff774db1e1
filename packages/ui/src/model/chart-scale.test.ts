import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linePath, timeLabel, valueAxis, xOf, yOf, type Frame } from './chart-scale.ts';

describe('value axis', () => {
  test('a round top at or above the largest value, ticks from 0', () => {
    assert.deepEqual(valueAxis(7.3), { max: 8, ticks: [0, 2, 4, 6, 8] });
    assert.deepEqual(valueAxis(100), { max: 100, ticks: [0, 25, 50, 75, 100] });
    assert.deepEqual(valueAxis(0.3), { max: 0.3, ticks: [0, 0.1, 0.2, 0.3] });
    assert.deepEqual(valueAxis(1234), { max: 1500, ticks: [0, 500, 1000, 1500] });
  });

  test('never more than maxTicks + 1 ticks; every value fits', () => {
    for (const v of [0.0042, 0.9, 1, 3, 9.99, 42, 512, 99_999]) {
      const axis = valueAxis(v);
      assert.ok(axis.max >= v, `${v} fits under ${axis.max}`);
      assert.ok(axis.ticks.length <= 5, `${v}: ${axis.ticks}`);
      assert.equal(axis.ticks[0], 0);
    }
  });

  test('no values (or zeros) still gives a drawable axis', () => {
    assert.deepEqual(valueAxis(0), { max: 1, ticks: [0, 0.5, 1] });
    assert.deepEqual(valueAxis(NaN), { max: 1, ticks: [0, 0.5, 1] });
  });
});

describe('line paths', () => {
  const f: Frame = { startMs: 0, endMs: 100, max: 10, left: 0, right: 200, top: 0, bottom: 100 };

  test('time maps across, values up from the bottom', () => {
    assert.equal(xOf(f, 50), 100);
    assert.equal(yOf(f, 10), 0);
    assert.equal(yOf(f, 0), 100);
  });

  test('a gap (null) breaks the line into runs', () => {
    const d = linePath(
      [
        { t: 0, v: 0 },
        { t: 25, v: 5 },
        { t: 50, v: null },
        { t: 75, v: 10 },
        { t: 100, v: 10 },
      ],
      f,
    );
    assert.equal(d, 'M0.0,100.0L50.0,50.0 M150.0,0.0L200.0,0.0');
  });

  test('no values, no path', () => {
    assert.equal(linePath([{ t: 0, v: null }], f), '');
    assert.equal(linePath([], f), '');
  });
});

test('time labels: hours and minutes, with the date when the window spans days', () => {
  const t = new Date(2026, 4, 1, 9, 5).getTime();
  assert.equal(timeLabel(t, 3_600_000), '09:05');
  assert.equal(timeLabel(t, 2 * 86_400_000), '05-01 09:05');
});
