import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoDuration } from './go-duration.ts';

describe('parseGoDuration', () => {
  test('parses every unit and returns microseconds', () => {
    assert.equal(parseGoDuration('10ns'), 0.01);
    assert.equal(parseGoDuration('100us'), 100);
    assert.equal(parseGoDuration('100\u00b5s'), 100);
    assert.equal(parseGoDuration('100\u03bcs'), 100);
    assert.equal(parseGoDuration('1.5ms'), 1500);
    assert.equal(parseGoDuration('2s'), 2_000_000);
    assert.equal(parseGoDuration('1m'), 60_000_000);
    assert.equal(parseGoDuration('1h'), 3_600_000_000);
  });

  test('adds up compound durations and keeps decimal fractions exact', () => {
    assert.equal(parseGoDuration('2h45m'), (2 * 3600 + 45 * 60) * 1e6);
    assert.equal(parseGoDuration('1h2m3s4ms5us6ns'), 3_723_004_005.006);
    assert.equal(parseGoDuration('1.1ms'), 1100);
    assert.equal(parseGoDuration('.5s'), 500_000);
    assert.equal(parseGoDuration('5.s'), 5_000_000);
  });

  test('accepts a sign and a bare zero', () => {
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('+0'), 0);
    assert.equal(parseGoDuration('+3ms'), 3000);
    assert.equal(parseGoDuration('-3ms'), -3000);
  });

  test('rejects what Go rejects, saying why', () => {
    assert.throws(() => parseGoDuration(''), /not a duration/);
    assert.throws(() => parseGoDuration('-'), /not a duration/);
    assert.throws(() => parseGoDuration('10'), /without a unit/);
    assert.throws(() => parseGoDuration('1.5'), /without a unit/);
    assert.throws(() => parseGoDuration('3d'), /unknown unit "d"/);
    assert.throws(() => parseGoDuration('ms'), /expected a number/);
    assert.throws(() => parseGoDuration('.ms'), /expected a number/);
    assert.throws(() => parseGoDuration('custom'), /expected a number/);
    assert.throws(() => parseGoDuration('1 ms'), /unknown unit " ms"/);
    assert.throws(() => parseGoDuration('3000000h'), /longest Go duration/);
  });
});
