import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMPLETENESS_MINUTE } from '../../storage/completeness-reader.ts';
import { defaultStep, parseCompletenessQuery } from './completeness-params.ts';

const MIN = COMPLETENESS_MINUTE;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

test('the default step is the smallest round step giving at most 120 points', () => {
  assert.equal(defaultStep(0), MIN);
  assert.equal(defaultStep(HOUR), MIN);
  assert.equal(defaultStep(2 * HOUR), 2 * MIN);
  assert.equal(defaultStep(6 * HOUR), 5 * MIN);
  assert.equal(defaultStep(48 * HOUR), 30 * MIN);
  assert.equal(defaultStep(7 * DAY), 2 * HOUR);
  assert.equal(defaultStep(30 * DAY), 12 * HOUR);
  // Beyond the ladder: whole days.
  assert.equal(defaultStep(365 * DAY), 4 * DAY);
  for (const length of [HOUR, 7 * DAY, 365 * DAY]) {
    assert.ok(Math.ceil(length / defaultStep(length)) + 1 <= 120, `${length}`);
  }
});

test('start/end win over lookback; lookback=custom means the default window', () => {
  const now = 1_800_000_000_000_000;
  assert.deepEqual(parseCompletenessQuery({ start: '100', end: '200', lookback: '1h' }, now), {
    start: 100,
    end: 200,
    step: MIN,
    service: undefined,
  });
  assert.deepEqual(parseCompletenessQuery({ lookback: 'custom', service: 'cart' }, now), {
    start: now - HOUR,
    end: now,
    step: MIN,
    service: 'cart',
  });
});
