import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusCode } from '../../../model/span.ts';
import { compileTailSamplingPolicies } from './compile-tail-sampling.ts';
import type { HeldTrace, PolicyDecision, TailSamplingPolicy } from './policy.ts';
import { bool, dbl, int, resourceOf, str, traceOf, traceOfSize } from './test-support/traces.ts';

function policy(spec: Record<string, unknown>): TailSamplingPolicy {
  const [compiled] = compileTailSamplingPolicies({
    enabled: true,
    policies: [{ name: 'p', ...spec } as { name: string; type: string }],
  });
  return compiled;
}

interface Row {
  what: string;
  spec: Record<string, unknown>;
  trace: HeldTrace;
  want: PolicyDecision;
}

const http = (route: string) => traceOf([{ attributes: [str('http.route', route)] }]);

const rows: Row[] = [
  { what: 'always samples', spec: { type: 'always' }, trace: traceOf(), want: 'sampled' },

  // latency: duration = latest end − earliest start, whole ms (truncated); bounds inclusive
  {
    what: 'latency below threshold',
    spec: { type: 'latency', thresholdMs: 500 },
    trace: traceOf([{ durationMs: 499.999 }]),
    want: 'not_sampled',
  },
  {
    what: 'latency exactly at threshold (inclusive)',
    spec: { type: 'latency', thresholdMs: 500 },
    trace: traceOf([{ durationMs: 500 }]),
    want: 'sampled',
  },
  {
    what: 'latency spans the trace, not one span (two 300 ms spans 400 ms apart = 700 ms)',
    spec: { type: 'latency', thresholdMs: 500 },
    trace: traceOf([
      { startMs: 0, durationMs: 300 },
      { startMs: 400, durationMs: 300 },
    ]),
    want: 'sampled',
  },
  {
    what: 'latency with spans out of order (child first, starts earlier)',
    spec: { type: 'latency', thresholdMs: 500 },
    trace: traceOf([
      { startMs: 100, durationMs: 10 },
      { startMs: -450, durationMs: 10 },
    ]),
    want: 'sampled',
  },
  {
    what: 'latency at upper bound (inclusive)',
    spec: { type: 'latency', thresholdMs: 100, upperThresholdMs: 1000 },
    trace: traceOf([{ durationMs: 1000.9 }]),
    want: 'sampled',
  },
  {
    what: 'latency above upper bound',
    spec: { type: 'latency', thresholdMs: 100, upperThresholdMs: 1000 },
    trace: traceOf([{ durationMs: 1001 }]),
    want: 'not_sampled',
  },
  {
    what: 'latency at lower bound with an upper bound (inclusive)',
    spec: { type: 'latency', thresholdMs: 100, upperThresholdMs: 1000 },
    trace: traceOf([{ durationMs: 100 }]),
    want: 'sampled',
  },
  {
    what: 'latency threshold 0 samples a 0 ms trace',
    spec: { type: 'latency', thresholdMs: 0 },
    trace: traceOf([{ durationMs: 0 }]),
    want: 'sampled',
  },

  // status code: any span
  {
    what: 'status ERROR on a child span',
    spec: { type: 'statusCode', statusCodes: ['ERROR'] },
    trace: traceOf([{}, { status: StatusCode.Error }]),
    want: 'sampled',
  },
  {
    what: 'status ERROR wanted, all unset',
    spec: { type: 'statusCode', statusCodes: ['ERROR'] },
    trace: traceOf([{}, {}]),
    want: 'not_sampled',
  },
  {
    what: 'status OK or UNSET wanted, unset',
    spec: { type: 'statusCode', statusCodes: ['OK', 'UNSET'] },
    trace: traceOf([{}]),
    want: 'sampled',
  },
  {
    what: 'status OK wanted, error',
    spec: { type: 'statusCode', statusCodes: ['OK'] },
    trace: traceOf([{ status: StatusCode.Error }]),
    want: 'not_sampled',
  },

  // string attribute: span and resource attributes, exact or regex, invert
  {
    what: 'string exact on a span',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['/pay', '/cart'] },
    trace: http('/cart'),
    want: 'sampled',
  },
  {
    what: 'string exact is exact',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['/pay'] },
    trace: http('/payment'),
    want: 'not_sampled',
  },
  {
    what: 'string exact is case-sensitive',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['/pay'] },
    trace: http('/PAY'),
    want: 'not_sampled',
  },
  {
    what: 'string on the resource (service.name)',
    spec: { type: 'stringAttribute', key: 'service.name', values: ['checkout'] },
    trace: traceOf(),
    want: 'sampled',
  },
  {
    what: 'string on the resource of a later span',
    spec: { type: 'stringAttribute', key: 'service.name', values: ['payments'] },
    trace: traceOf([{}, { resource: resourceOf('payments') }]),
    want: 'sampled',
  },
  {
    what: 'string on a missing key',
    spec: { type: 'stringAttribute', key: 'user.id', values: ['u1'] },
    trace: http('/pay'),
    want: 'not_sampled',
  },
  {
    what: 'string policy ignores an int with the same digits',
    spec: { type: 'stringAttribute', key: 'code', values: ['42'] },
    trace: traceOf([{ attributes: [int('code', 42)] }]),
    want: 'not_sampled',
  },
  {
    what: 'string regex is unanchored',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['health'], regex: true },
    trace: http('/api/healthz'),
    want: 'sampled',
  },
  {
    what: 'string regex anchored',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['^/health$'], regex: true },
    trace: http('/api/healthz'),
    want: 'not_sampled',
  },
  {
    what: 'string regex, second pattern',
    spec: {
      type: 'stringAttribute',
      key: 'http.route',
      values: ['^/a', '^/v[0-9]+/'],
      regex: true,
    },
    trace: http('/v2/users'),
    want: 'sampled',
  },
  {
    what: 'string regex off: a pattern is a literal',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['/v.*'] },
    trace: http('/v2'),
    want: 'not_sampled',
  },
  {
    what: 'string invert, value present',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['/health'], invert: true },
    trace: http('/health'),
    want: 'invert_not_sampled',
  },
  {
    what: 'string invert, value absent',
    spec: { type: 'stringAttribute', key: 'http.route', values: ['/health'], invert: true },
    trace: http('/pay'),
    want: 'invert_sampled',
  },
  {
    what: 'string: only the first attribute with the key counts',
    spec: { type: 'stringAttribute', key: 'k', values: ['b'] },
    trace: traceOf([{ attributes: [str('k', 'a'), str('k', 'b')] }]),
    want: 'not_sampled',
  },

  // numeric attribute: ints, doubles, bigints; bounds inclusive
  {
    what: 'numeric int at min',
    spec: { type: 'numericAttribute', key: 'http.status_code', minValue: 500, maxValue: 599 },
    trace: traceOf([{ attributes: [int('http.status_code', 500)] }]),
    want: 'sampled',
  },
  {
    what: 'numeric int at max',
    spec: { type: 'numericAttribute', key: 'http.status_code', minValue: 500, maxValue: 599 },
    trace: traceOf([{ attributes: [int('http.status_code', 599)] }]),
    want: 'sampled',
  },
  {
    what: 'numeric int below',
    spec: { type: 'numericAttribute', key: 'http.status_code', minValue: 500, maxValue: 599 },
    trace: traceOf([{ attributes: [int('http.status_code', 404)] }]),
    want: 'not_sampled',
  },
  {
    what: 'numeric double',
    spec: { type: 'numericAttribute', key: 'ratio', minValue: 0.5 },
    trace: traceOf([{ attributes: [dbl('ratio', 0.75)] }]),
    want: 'sampled',
  },
  {
    what: 'numeric bigint',
    spec: { type: 'numericAttribute', key: 'bytes', minValue: 1e18 },
    trace: traceOf([{ attributes: [int('bytes', 2n ** 62n)] }]),
    want: 'sampled',
  },
  {
    what: 'numeric max only',
    spec: { type: 'numericAttribute', key: 'retries', maxValue: 0 },
    trace: traceOf([{ attributes: [int('retries', 3)] }]),
    want: 'not_sampled',
  },
  {
    what: 'numeric ignores a string',
    spec: { type: 'numericAttribute', key: 'n', minValue: 1 },
    trace: traceOf([{ attributes: [str('n', '5')] }]),
    want: 'not_sampled',
  },
  {
    what: 'numeric invert, in range',
    spec: { type: 'numericAttribute', key: 'n', minValue: 1, maxValue: 9, invert: true },
    trace: traceOf([{ attributes: [int('n', 5)] }]),
    want: 'invert_not_sampled',
  },

  // boolean attribute
  {
    what: 'boolean true',
    spec: { type: 'booleanAttribute', key: 'app.force_sample', value: true },
    trace: traceOf([{}, { attributes: [bool('app.force_sample', true)] }]),
    want: 'sampled',
  },
  {
    what: 'boolean wants false, is true',
    spec: { type: 'booleanAttribute', key: 'app.force_sample', value: false },
    trace: traceOf([{ attributes: [bool('app.force_sample', true)] }]),
    want: 'not_sampled',
  },
  {
    what: 'boolean ignores the string "true"',
    spec: { type: 'booleanAttribute', key: 'b', value: true },
    trace: traceOf([{ attributes: [str('b', 'true')] }]),
    want: 'not_sampled',
  },
  {
    what: 'boolean on the resource',
    spec: { type: 'booleanAttribute', key: 'canary', value: true },
    trace: traceOf([{ resource: resourceOf('api', bool('canary', true)) }]),
    want: 'sampled',
  },

  // span count: inclusive
  {
    what: 'span count at min',
    spec: { type: 'spanCount', minSpans: 3 },
    trace: traceOfSize(3),
    want: 'sampled',
  },
  {
    what: 'span count below min',
    spec: { type: 'spanCount', minSpans: 3 },
    trace: traceOfSize(2),
    want: 'not_sampled',
  },
  {
    what: 'span count at max',
    spec: { type: 'spanCount', minSpans: 1, maxSpans: 5 },
    trace: traceOfSize(5),
    want: 'sampled',
  },
  {
    what: 'span count above max',
    spec: { type: 'spanCount', minSpans: 1, maxSpans: 5 },
    trace: traceOfSize(6),
    want: 'not_sampled',
  },
  {
    what: 'span count max only',
    spec: { type: 'spanCount', maxSpans: 1 },
    trace: traceOfSize(1),
    want: 'sampled',
  },

  // and / drop
  {
    what: 'and: all sample',
    spec: {
      type: 'and',
      policies: [
        { name: 'slow', type: 'latency', thresholdMs: 100 },
        { name: 'pay', type: 'stringAttribute', key: 'http.route', values: ['/pay'] },
      ],
    },
    trace: traceOf([{ durationMs: 200, attributes: [str('http.route', '/pay')] }]),
    want: 'sampled',
  },
  {
    what: 'and: one does not',
    spec: {
      type: 'and',
      policies: [
        { name: 'slow', type: 'latency', thresholdMs: 100 },
        { name: 'pay', type: 'stringAttribute', key: 'http.route', values: ['/pay'] },
      ],
    },
    trace: traceOf([{ durationMs: 50, attributes: [str('http.route', '/pay')] }]),
    want: 'not_sampled',
  },
  {
    what: 'and: an inverted sub-policy that did not match counts as sampled',
    spec: {
      type: 'and',
      policies: [
        { name: 'any', type: 'always' },
        {
          name: 'not-health',
          type: 'stringAttribute',
          key: 'http.route',
          values: ['/health'],
          invert: true,
        },
      ],
    },
    trace: http('/pay'),
    want: 'sampled',
  },
  {
    what: 'and: an inverted sub-policy that matched counts as not sampled',
    spec: {
      type: 'and',
      policies: [
        { name: 'any', type: 'always' },
        {
          name: 'not-health',
          type: 'stringAttribute',
          key: 'http.route',
          values: ['/health'],
          invert: true,
        },
      ],
    },
    trace: http('/health'),
    want: 'not_sampled',
  },
  {
    what: 'drop: matches',
    spec: {
      type: 'drop',
      policies: [
        { name: 'health', type: 'stringAttribute', key: 'http.route', values: ['/health'] },
      ],
    },
    trace: http('/health'),
    want: 'dropped',
  },
  {
    what: 'drop: no match leaves the decision to others',
    spec: {
      type: 'drop',
      policies: [
        { name: 'health', type: 'stringAttribute', key: 'http.route', values: ['/health'] },
      ],
    },
    trace: http('/pay'),
    want: 'not_sampled',
  },
  {
    what: 'drop: all sub-policies must match',
    spec: {
      type: 'drop',
      policies: [
        { name: 'health', type: 'stringAttribute', key: 'http.route', values: ['/health'] },
        { name: 'fast', type: 'latency', thresholdMs: 0, upperThresholdMs: 100 },
      ],
    },
    trace: traceOf([{ durationMs: 500, attributes: [str('http.route', '/health')] }]),
    want: 'not_sampled',
  },
];

for (const row of rows) {
  test(`policy: ${row.what}`, () => {
    assert.equal(policy(row.spec).evaluate(row.trace, 0), row.want);
  });
}

test('policy: a trace with no spans is sampled by always, by nothing that looks at spans', () => {
  const empty: HeldTrace = { tenant: '', traceId: '0'.repeat(31) + '1', spans: [] };
  assert.equal(policy({ type: 'always' }).evaluate(empty, 0), 'sampled');
  assert.equal(policy({ type: 'latency', thresholdMs: 0 }).evaluate(empty, 0), 'not_sampled');
  assert.equal(
    policy({ type: 'statusCode', statusCodes: ['UNSET'] }).evaluate(empty, 0),
    'not_sampled',
  );
  assert.equal(
    policy({ type: 'stringAttribute', key: 'k', values: ['v'] }).evaluate(empty, 0),
    'not_sampled',
  );
});

test('policy: a regex policy gives the same answer on every call (no lastIndex state)', () => {
  const p = policy({ type: 'stringAttribute', key: 'http.route', values: ['pay'], regex: true });
  const t = http('/pay');
  for (let i = 0; i < 5; i++) assert.equal(p.evaluate(t, 0), 'sampled');
});
