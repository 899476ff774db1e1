import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { metricValue } from '../../test-support/metric-value.ts';
import { CompletenessMetrics } from './completeness-metrics.ts';

test('completeness metrics: a series per tenant, bounded: past 1000 label sets, tenant "(other)"', async () => {
  const registry = new Registry();
  const metrics = new CompletenessMetrics(registry);
  metrics.traceAssembled('acme', 'shop', true);
  metrics.traceAssembled('', 'shop', true);
  metrics.traceAssembled('acme', 'shop', true);
  const of = (tenant: string, root = 'shop') =>
    metricValue(registry, 'skein_traces_assembled_total', {
      tenant,
      root_service: root,
      complete: 'true',
    });
  assert.equal(await of('acme'), 2);
  assert.equal(await of(''), 1);
  for (let i = 0; i < 1000; i++) metrics.traceAssembled(`t${i}`, 'shop', true);
  assert.equal(await of('t997'), 1);
  assert.equal(await of('(other)', 'other'), 2, 't998 and t999 found the family full');
  metrics.traceBreak('acme', 'shop', 'db', 'late_span');
  assert.equal(
    await metricValue(registry, 'skein_trace_breaks_total', { tenant: 'acme', cause: 'late_span' }),
    1,
  );
});
