import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { Span } from '../../../model/span.ts';
import { metricValue } from '../../test-support/metric-value.ts';
import { TraceBuffer } from '../../trace-buffer.ts';
import { compileTailSamplingPolicies } from './compile-tail-sampling.ts';
import { TailSamplingMetrics, TailSamplingProcessor } from './tail-sampling-processor.ts';
import { resourceOf, str, traceOf } from './test-support/traces.ts';

test('tail sampling: two tenants sending the same trace id and services get a decision each', async () => {
  const registry = new Registry();
  const processor = new TailSamplingProcessor(
    {
      policies: compileTailSamplingPolicies({
        enabled: true,
        policies: [{ name: 'vip', type: 'stringAttribute', key: 'customer.tier', values: ['vip'] }],
      }),
    },
    { metrics: new TailSamplingMetrics(registry), now: () => 1_700_000_000_000 },
  );
  const counters = { changed() {}, dropped() {} };
  let clock = 0;
  const kept: Span[] = [];
  const late: [string, boolean][] = [];
  const buffer = new TraceBuffer({
    idleMs: 1000,
    maxTraces: 100,
    maxSpans: 100,
    maxHeldBytes: 1_000_000,
    rememberReleased: 100,
    onRelease: (trace) => {
      const keep = processor.assembled(trace, counters);
      if (keep) kept.push(...(trace.held ?? []));
      return keep;
    },
    onLateSpan: (span, keep) => {
      processor.late(span, keep, counters);
      late.push([span.resource.tenant, keep]);
    },
    now: () => clock,
  });
  const traceId = 'ef'.repeat(16);
  // The default tenant's trace is a VIP's; acme's, with the same id and service, is not.
  const vip = traceOf([{ attributes: [str('customer.tier', 'vip')] }, {}], traceId, '');
  const plain = traceOf(
    [{ resource: { ...resourceOf('checkout'), tenant: 'acme' } }, {}],
    traceId,
    'acme',
  );
  plain.spans[1].resource = plain.spans[0].resource;
  for (let i = 0; i < 2; i++) {
    buffer.add(vip.spans[i], clock, true);
    buffer.add(plain.spans[i], clock, true);
  }
  clock = 1000;
  buffer.tick();
  assert.deepEqual(
    kept.map((s) => [s.resource.tenant, s.spanId]),
    [
      ['', vip.spans[0].spanId],
      ['', vip.spans[1].spanId],
    ],
  );
  // A late span follows its own tenant's decision.
  buffer.add({ ...plain.spans[1], spanId: '00000000000000ff' }, clock, true);
  buffer.add({ ...vip.spans[1], spanId: '00000000000000fe' }, clock, true);
  assert.deepEqual(late, [
    ['acme', false],
    ['', true],
  ]);
  assert.equal(
    await metricValue(registry, 'skein_tail_sampling_traces_total', {
      decision: 'kept',
      tenant: '',
    }),
    1,
  );
  assert.equal(
    await metricValue(registry, 'skein_tail_sampling_traces_total', {
      decision: 'dropped',
      tenant: 'acme',
    }),
    1,
  );
});

test('tail sampling metrics: the tenant label is bounded, later tenants count as "(other)"', () => {
  const metrics = new TailSamplingMetrics(new Registry());
  for (let i = 0; i < 1000; i++) assert.equal(metrics.tenantLabel(`t${i}`), `t${i}`);
  assert.equal(metrics.tenantLabel('t5'), 't5', 'a known tenant keeps its label');
  assert.equal(metrics.tenantLabel('late-comer'), '(other)');
});
