import type { SkeinConfig } from '../../../config/config.ts';
import { ConfigError } from '../../../errors.ts';

/** The largest number of latency bucket bounds accepted (each series keeps one counter per bucket). */
export const MAX_BUCKET_BOUNDS = 64;

/** `pipeline.processors.spanMetrics`, validated and ready to run. */
export interface SpanMetricsSettings {
  /** Prometheus histogram bucket bounds, ms, strictly ascending, positive, finite. */
  readonly bucketsMs: readonly number[];
  readonly maxServices: number;
  readonly maxOperationsPerService: number;
  readonly exemplars: boolean;
  readonly flushIntervalMs: number;
}

const KEY = 'pipeline.processors.spanMetrics';

/**
 * Validates `pipeline.processors.spanMetrics`.
 * @throws ConfigError naming the key and what it accepts.
 */
export function compileSpanMetricsSettings(config: SkeinConfig): SpanMetricsSettings {
  const section = config.pipeline.processors.spanMetrics;
  const buckets: unknown = section.buckets;
  if (!Array.isArray(buckets) || buckets.length === 0) {
    throw new ConfigError([
      `${KEY}.buckets`,
      'expected a non-empty list of bucket bounds in ms, ascending, e.g. [5, 10, 50, 100, 500, 1000]',
    ]);
  }
  if (buckets.length > MAX_BUCKET_BOUNDS) {
    throw new ConfigError([
      `${KEY}.buckets`,
      `${buckets.length} bounds; at most ${MAX_BUCKET_BOUNDS} are accepted (each series keeps a counter per bucket)`,
    ]);
  }
  const bucketsMs: number[] = [];
  for (const [i, value] of buckets.entries()) {
    const bound = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= 0) {
      throw new ConfigError([
        `${KEY}.buckets[${i}]`,
        `${JSON.stringify(value)} is not a positive number of milliseconds`,
      ]);
    }
    if (i > 0 && bound <= bucketsMs[i - 1]) {
      throw new ConfigError([
        `${KEY}.buckets[${i}]`,
        `${bound} is not above the previous bound ${bucketsMs[i - 1]}; list the bounds in strictly ascending order`,
      ]);
    }
    bucketsMs.push(bound);
  }
  return {
    bucketsMs,
    maxServices: positiveInteger(section.maxServices, 'maxServices'),
    maxOperationsPerService: positiveInteger(
      section.maxOperationsPerService,
      'maxOperationsPerService',
    ),
    exemplars: booleanValue(section.exemplars, 'exemplars'),
    flushIntervalMs: positiveInteger(section.flushIntervalSeconds, 'flushIntervalSeconds') * 1000,
  };
}

function positiveInteger(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ConfigError([`${KEY}.${key}`, `${JSON.stringify(value)} is not a positive integer`]);
  }
  return value;
}

function booleanValue(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') {
    throw new ConfigError([`${KEY}.${key}`, `${JSON.stringify(value)} is not true or false`]);
  }
  return value;
}

/** Whether two settings have the same bucket bounds (histograms keep their counts across an update). */
export function sameBuckets(a: SpanMetricsSettings, b: SpanMetricsSettings): boolean {
  if (a.bucketsMs.length !== b.bucketsMs.length) return false;
  for (let i = 0; i < a.bucketsMs.length; i++) if (a.bucketsMs[i] !== b.bucketsMs[i]) return false;
  return true;
}
