import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLatencyMs, formatPercent, formatRate } from './metric-format.ts';

test('rates: three significant digits at most, small rates still readable', () => {
  assert.deepEqual([1234.5, 120.4, 12.54, 1.256, 0.25, 0.0421, 0.00333, 0].map(formatRate), [
    '1235',
    '120',
    '12.5',
    '1.26',
    '0.25',
    '0.042',
    '0.0033',
    '0',
  ]);
  assert.equal(formatRate(null), '–');
  assert.equal(formatRate(NaN), '–');
});

test('error rates as percentages', () => {
  assert.deepEqual([0, 0.0004, 0.025, 1 / 3, 1].map(formatPercent), [
    '0%',
    '<0.1%',
    '2.5%',
    '33%',
    '100%',
  ]);
  assert.equal(formatPercent(null), '–');
});

test('latencies in ms as durations', () => {
  assert.equal(formatLatencyMs(0.85), '850µs');
  assert.equal(formatLatencyMs(12.34), '12.3ms');
  assert.equal(formatLatencyMs(1250), '1.25s');
  assert.equal(formatLatencyMs(null), '–');
});
