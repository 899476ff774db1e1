import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusCode } from '../../../model/span.ts';
import { compileTailSamplingPolicies } from './compile-tail-sampling.ts';
import { decide } from './decide.ts';
import { isDebugSpan, isDebugTrace } from './debug-trace.ts';
import type { TailSamplingPolicy, TraceDecision } from './policy.ts';
import { NO_SCOPE, OTEL_SCOPE, str, traceOf, traceOfSize } from './test-support/traces.ts';

function policies(...specs: Record<string, unknown>[]): TailSamplingPolicy[] {
  return compileTailSamplingPolicies({
    enabled: true,
    policies: specs as { name: string; type: string }[],
  });
}

const errors = { name: 'errors', type: 'statusCode', statusCodes: ['ERROR'] };
const slow = { name: 'slow', type: 'latency', thresholdMs: 1000 };
const dropHealth = {
  name: 'no-health',
  type: 'drop',
  policies: [{ name: 'health', type: 'stringAttribute', key: 'http.route', values: ['/health'] }],
};
const notHealth = {
  name: 'not-health',
  type: 'stringAttribute',
  key: 'http.route',
  values: ['/health'],
  invert: true,
};

const health = (extra: { status?: StatusCode; flags?: number; debugTag?: boolean } = {}) =>
  traceOf([
    {
      status: extra.status,
      flags: extra.flags,
      scope: extra.flags === undefined ? OTEL_SCOPE : NO_SCOPE,
      attributes: [
        str('http.route', '/health'),
        ...(extra.debugTag ? [str('jaeger-debug-id', 'abc123')] : []),
      ],
    },
  ]);
const pay = (status?: StatusCode, durationMs = 10) =>
  traceOf([{ status, durationMs, attributes: [str('http.route', '/pay')] }]);

const keep = (policy: string | undefined, reason: TraceDecision['reason']): TraceDecision => ({
  keep: true,
  policy,
  reason,
});
const drop = (policy: string | undefined, reason: TraceDecision['reason']): TraceDecision => ({
  keep: false,
  policy,
  reason,
});

test('decide: no policies keeps every trace', () => {
  assert.deepEqual(decide([], pay(), 0), keep(undefined, 'no_policies'));
});

test('decide: the first policy that sampled is named; none sampled drops as not_sampled', () => {
  const set = policies(errors, slow);
  assert.deepEqual(decide(set, pay(StatusCode.Error, 5000), 0), keep('errors', 'sampled'));
  assert.deepEqual(decide(set, pay(undefined, 5000), 0), keep('slow', 'sampled'));
  assert.deepEqual(decide(set, pay(), 0), drop(undefined, 'not_sampled'));
});

test('decide: an explicit drop wins over policies that sample, wherever it is listed', () => {
  for (const set of [policies(errors, dropHealth), policies(dropHealth, errors)]) {
    assert.deepEqual(
      decide(set, health({ status: StatusCode.Error }), 0),
      drop('no-health', 'dropped'),
    );
    assert.deepEqual(decide(set, pay(StatusCode.Error), 0), keep('errors', 'sampled'));
  }
});

test('decide: invert rules — a match drops, no match keeps only when no policy said not_sampled', () => {
  // Alone: every trace but health checks is kept (the collector's "all but team_a").
  const alone = policies(notHealth);
  assert.deepEqual(decide(alone, pay(), 0), keep('not-health', 'sampled'));
  assert.deepEqual(decide(alone, health(), 0), drop('not-health', 'dropped'));
  // With errors: a non-health trace errors did not sample is dropped (errors said not_sampled).
  const withErrors = policies(errors, notHealth);
  assert.deepEqual(decide(withErrors, pay(), 0), drop(undefined, 'not_sampled'));
  assert.deepEqual(decide(withErrors, pay(StatusCode.Error), 0), keep('errors', 'sampled'));
  assert.deepEqual(
    decide(withErrors, health({ status: StatusCode.Error }), 0),
    drop('not-health', 'dropped'),
  );
});

test('decide: a debug trace is kept over a drop policy and over no policy sampling it', () => {
  const set = policies(dropHealth, errors);
  // jaeger-debug-id tag (Jaeger clients add it with the jaeger-debug-id header)
  assert.deepEqual(decide(set, health({ debugTag: true }), 0), keep(undefined, 'debug'));
  // Jaeger's debug flag (sampled|debug = 3), from a Jaeger client (no scope)
  assert.deepEqual(decide(set, health({ flags: 3 }), 0), keep(undefined, 'debug'));
  // not sampled by any policy, debug anyway
  const debugPay = traceOf([{ flags: 3, scope: NO_SCOPE }]);
  assert.deepEqual(decide(set, debugPay, 0), keep(undefined, 'debug'));
  // the debug span need not be the first one
  const laterDebug = traceOf([
    { attributes: [str('http.route', '/health')] },
    { flags: 3, scope: NO_SCOPE },
  ]);
  assert.deepEqual(decide(set, laterDebug, 0), keep(undefined, 'debug'));
});

test('decide: OTLP flag 0x2 (W3C random trace id) on a span with a scope is not debug', () => {
  const random = traceOf([
    { flags: 0x3, scope: OTEL_SCOPE, attributes: [str('http.route', '/health')] },
  ]);
  assert.equal(isDebugTrace(random.spans), false);
  assert.deepEqual(decide(policies(dropHealth), random, 0), drop('no-health', 'dropped'));
});

test('decide: isDebugSpan reads Zipkin debug as the Zipkin receiver stores it (flags 0x1|0x2, no scope)', () => {
  const [span] = traceOf([{ flags: 0x3, scope: NO_SCOPE }]).spans;
  assert.equal(isDebugSpan(span), true);
  const [sampledOnly] = traceOf([{ flags: 0x1, scope: NO_SCOPE }]).spans;
  assert.equal(isDebugSpan(sampledOnly), false);
});

test('decide: a debug trace spends no rate-limiting budget', () => {
  const set = policies({ name: 'budget', type: 'rateLimiting', spansPerSecond: 1 });
  assert.deepEqual(
    decide(set, traceOf([{ flags: 3, scope: NO_SCOPE }]), 1_000),
    keep(undefined, 'debug'),
  );
  assert.deepEqual(decide(set, pay(), 1_100), keep('budget', 'sampled'));
  assert.deepEqual(decide(set, pay(), 1_200), drop(undefined, 'not_sampled'));
});

test('decide: drop policies run first, so a dropped trace spends no rate-limiting budget', () => {
  // Listed after the rate limit; compile puts the drop first and decide stops at it.
  const set = policies({ name: 'budget', type: 'rateLimiting', spansPerSecond: 1 }, dropHealth);
  assert.deepEqual(
    set.map((p) => p.name),
    ['no-health', 'budget'],
  );
  assert.deepEqual(decide(set, health(), 2_000), drop('no-health', 'dropped'));
  assert.deepEqual(decide(set, pay(), 2_100), keep('budget', 'sampled'));
});

test('decide: every policy is evaluated, so a rate limit spends budget on traces another policy also sampled', () => {
  const set = policies(errors, { name: 'budget', type: 'rateLimiting', spansPerSecond: 3 });
  // 1 span (an error) + 2 spans fit in 3; the next span does not, because the error trace spent 1.
  assert.deepEqual(decide(set, pay(StatusCode.Error), 3_000), keep('errors', 'sampled'));
  assert.deepEqual(decide(set, traceOfSize(2), 3_100), keep('budget', 'sampled'));
  assert.deepEqual(decide(set, traceOfSize(1), 3_200), drop(undefined, 'not_sampled'));
});
