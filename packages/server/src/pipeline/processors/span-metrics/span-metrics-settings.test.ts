import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultConfig } from '../../../config/config.ts';
import type { SkeinConfig, SpanMetricsConfig } from '../../../config/config.ts';
import { compileSpanMetricsSettings } from './span-metrics-settings.ts';

function configWith(change: Partial<SpanMetricsConfig>): SkeinConfig {
  const config = structuredClone(defaultConfig);
  Object.assign(config.pipeline.processors.spanMetrics, change);
  return config;
}

function refused(change: Record<string, unknown>, key: string, why: RegExp): void {
  assert.throws(
    () => compileSpanMetricsSettings(configWith(change as Partial<SpanMetricsConfig>)),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SKEIN_CONFIG_INVALID');
      assert.ok(err.message.includes(`pipeline.processors.spanMetrics.${key}`), err.message);
      assert.match(err.message, why);
      return true;
    },
  );
}

describe('compileSpanMetricsSettings', () => {
  test('the defaults compile', () => {
    const settings = compileSpanMetricsSettings(defaultConfig);
    assert.deepEqual(settings.bucketsMs, defaultConfig.pipeline.processors.spanMetrics.buckets);
    assert.equal(settings.maxServices, 1000);
    assert.equal(settings.maxOperationsPerService, 500);
    assert.equal(settings.exemplars, true);
    assert.equal(settings.flushIntervalMs, 10_000);
  });

  test('bucket bounds given as strings (environment lists) are numbers', () => {
    const settings = compileSpanMetricsSettings(
      configWith({ buckets: ['0.5', '10', '250'] as unknown as number[] }),
    );
    assert.deepEqual(settings.bucketsMs, [0.5, 10, 250]);
  });

  test('bad buckets are refused naming the bound', () => {
    refused({ buckets: [] }, 'buckets', /non-empty list/);
    refused({ buckets: [5, 5] }, 'buckets[1]', /strictly ascending/);
    refused({ buckets: [10, 2] }, 'buckets[1]', /not above the previous bound 10/);
    refused({ buckets: [0, 2] }, 'buckets[0]', /positive number/);
    refused({ buckets: [1, 'abc'] }, 'buckets[1]', /"abc" is not a positive number/);
    refused({ buckets: Array.from({ length: 65 }, (_, i) => i + 1) }, 'buckets', /at most 64/);
  });

  test('limits and the flush interval must be positive integers', () => {
    refused({ maxServices: 0 }, 'maxServices', /positive integer/);
    refused({ maxOperationsPerService: 2.5 }, 'maxOperationsPerService', /positive integer/);
    refused({ flushIntervalSeconds: -1 }, 'flushIntervalSeconds', /positive integer/);
    refused({ exemplars: 'yes' }, 'exemplars', /true or false/);
  });
});
