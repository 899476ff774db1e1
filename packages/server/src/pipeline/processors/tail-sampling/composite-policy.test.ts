import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusCode } from '../../../model/span.ts';
import { compileTailSamplingPolicies } from './compile-tail-sampling.ts';
import type { HeldTrace, TailSamplingPolicy } from './policy.ts';
import { str, traceOf } from './test-support/traces.ts';

function composite(spec: Record<string, unknown>): TailSamplingPolicy {
  const [policy] = compileTailSamplingPolicies({
    enabled: true,
    policies: [{ name: 'composite', type: 'composite', ...spec }],
  });
  return policy;
}

const errorTrace = (): HeldTrace => traceOf([{ status: StatusCode.Error }]);
const okTrace = (): HeldTrace => traceOf([{}]);
const vipTrace = (): HeldTrace => traceOf([{ attributes: [str('customer.tier', 'vip')] }]);

/** Offers `perSecond` traces of each kind, interleaved, for `seconds` simulated seconds; counts the sampled spans per kind per second. */
function run(
  policy: TailSamplingPolicy,
  kinds: Record<string, () => HeldTrace>,
  perSecond: number,
  seconds: number,
): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const kind of Object.keys(kinds)) out[kind] = [];
  for (let s = 0; s < seconds; s++) {
    for (const kind of Object.keys(kinds)) out[kind].push(0);
    for (let i = 0; i < perSecond; i++) {
      const nowMs = 1_700_000_000_000 + s * 1000 + Math.floor((i * 1000) / perSecond);
      for (const [kind, make] of Object.entries(kinds)) {
        const trace = make();
        if (policy.evaluate(trace, nowMs) === 'sampled') out[kind][s] += trace.spans.length;
      }
    }
  }
  return out;
}

test('composite: each sub-policy gets its percent of maxTotalSpansPerSecond, every second', () => {
  const policy = composite({
    maxTotalSpansPerSecond: 100,
    policyOrder: ['errors', 'rest'],
    policies: [
      { name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] },
      { name: 'rest', type: 'always' },
    ],
    rateAllocation: [
      { policy: 'errors', percent: 30 },
      { policy: 'rest', percent: 70 },
    ],
  });
  const sampled = run(policy, { error: errorTrace, ok: okTrace }, 500, 4);
  assert.deepEqual(sampled.error, [30, 30, 30, 30]);
  assert.deepEqual(sampled.ok, [70, 70, 70, 70]);
});

test('composite: a sub-policy that has used its share refuses the trace; later sub-policies are not asked', () => {
  // Errors also match "rest" (always), but errors is first: once its 10 spans are
  // spent, further error traces are not sampled this second even though "rest" has room.
  const policy = composite({
    maxTotalSpansPerSecond: 100,
    policies: [
      { name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] },
      { name: 'rest', type: 'always' },
    ],
    rateAllocation: [{ policy: 'errors', percent: 10 }],
  });
  const sampled = run(policy, { error: errorTrace }, 200, 2);
  assert.deepEqual(sampled.error, [10, 10]);
});

test('composite: unallocated sub-policies share what the allocations leave, equally', () => {
  const policy = composite({
    maxTotalSpansPerSecond: 120,
    policies: [
      { name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] },
      { name: 'vip', type: 'stringAttribute', key: 'customer.tier', values: ['vip'] },
      { name: 'rest', type: 'always' },
    ],
    rateAllocation: [{ policy: 'errors', percent: 50 }],
  });
  const sampled = run(policy, { error: errorTrace, vip: vipTrace, ok: okTrace }, 300, 3);
  assert.deepEqual(sampled.error, [60, 60, 60]);
  assert.deepEqual(sampled.vip, [30, 30, 30]);
  assert.deepEqual(sampled.ok, [30, 30, 30]);
});

test('composite: policyOrder decides which sub-policy claims a trace both match', () => {
  const spec = (order: string[]) => ({
    maxTotalSpansPerSecond: 100,
    policyOrder: order,
    policies: [
      { name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] },
      { name: 'rest', type: 'always' },
    ],
    rateAllocation: [
      { policy: 'errors', percent: 80 },
      { policy: 'rest', percent: 20 },
    ],
  });
  assert.deepEqual(
    run(composite(spec(['errors', 'rest'])), { error: errorTrace }, 300, 1).error,
    [80],
  );
  assert.deepEqual(
    run(composite(spec(['rest', 'errors'])), { error: errorTrace }, 300, 1).error,
    [20],
  );
});

test('composite: no sub-policy samples → not sampled, nothing spent', () => {
  const policy = composite({
    maxTotalSpansPerSecond: 10,
    policies: [{ name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] }],
  });
  for (let i = 0; i < 50; i++) assert.equal(policy.evaluate(okTrace(), 1_000), 'not_sampled');
  assert.equal(run(policy, { error: errorTrace }, 50, 1).error[0], 10);
});

test("composite: each tenant has its own shares and total; one tenant's traffic never spends another's", () => {
  const policy = composite({
    maxTotalSpansPerSecond: 2,
    policyOrder: ['all'],
    policies: [{ name: 'all', type: 'always' }],
    rateAllocation: [{ policy: 'all', percent: 100 }],
  });
  const traceId = 'cd'.repeat(16);
  const of = (tenant: string): HeldTrace => traceOf([{}], traceId, tenant);
  const t = 1_700_000_000_000;
  assert.equal(policy.evaluate(of('acme'), t), 'sampled');
  assert.equal(policy.evaluate(of('acme'), t + 1), 'sampled');
  assert.equal(policy.evaluate(of('acme'), t + 2), 'not_sampled', "acme's 2 spans are spent");
  assert.equal(policy.evaluate(of(''), t + 3), 'sampled', 'the same trace id of another tenant');
  assert.equal(policy.evaluate(of(''), t + 4), 'sampled');
  assert.equal(policy.evaluate(of(''), t + 5), 'not_sampled');
  assert.equal(policy.evaluate(of('acme'), t + 1000), 'sampled', 'a new second');
});
