import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimitingPolicy } from './rate-limiting-policy.ts';
import { traceOfSize } from './test-support/traces.ts';

test('rate limiting: spans sampled per simulated second never exceed the budget and use it up', () => {
  const policy = new RateLimitingPolicy('budget', 50);
  const t0 = 1_700_000_000_000;
  for (let second = 0; second < 5; second++) {
    let spans = 0;
    // 100 traces of 3 spans spread over the second: 300 spans offered for 50.
    for (let i = 0; i < 100; i++) {
      const trace = traceOfSize(3);
      if (policy.evaluate(trace, t0 + second * 1000 + i * 10) === 'sampled') spans += 3;
    }
    assert.equal(spans, 48, `second ${second}: 16 whole traces of 3 fit in 50`);
  }
});

test('rate limiting: the budget is inclusive and restarts with the next second', () => {
  const policy = new RateLimitingPolicy('budget', 10);
  assert.equal(policy.evaluate(traceOfSize(10), 5_000), 'sampled');
  assert.equal(policy.evaluate(traceOfSize(1), 5_999), 'not_sampled');
  assert.equal(policy.evaluate(traceOfSize(1), 6_000), 'sampled');
});

test('rate limiting: a refused trace spends nothing, so a smaller one still fits; a trace over the whole budget never passes', () => {
  const policy = new RateLimitingPolicy('budget', 10);
  assert.equal(policy.evaluate(traceOfSize(7), 1_000), 'sampled');
  assert.equal(policy.evaluate(traceOfSize(4), 1_100), 'not_sampled');
  assert.equal(policy.evaluate(traceOfSize(3), 1_200), 'sampled');
  assert.equal(policy.evaluate(traceOfSize(11), 9_000), 'not_sampled');
});

test("rate limiting: each tenant has its own budget; one tenant's traffic never spends another's", () => {
  const policy = new RateLimitingPolicy('budget', 10);
  const traceId = 'ab'.repeat(16);
  assert.equal(policy.evaluate(traceOfSize(10, traceId, 'acme'), 1_000), 'sampled');
  assert.equal(policy.evaluate(traceOfSize(1, traceId, 'acme'), 1_100), 'not_sampled');
  // The same trace id from another tenant, in the same second: its own budget.
  assert.equal(policy.evaluate(traceOfSize(10, traceId, ''), 1_200), 'sampled');
  assert.equal(policy.evaluate(traceOfSize(1, traceId, ''), 1_300), 'not_sampled');
  assert.equal(policy.evaluate(traceOfSize(4, traceId, 'globex'), 1_400), 'sampled');
  assert.equal(policy.evaluate(traceOfSize(1, traceId, 'acme'), 1_500), 'not_sampled');
  assert.equal(policy.evaluate(traceOfSize(6, traceId, 'globex'), 1_600), 'sampled');
});
