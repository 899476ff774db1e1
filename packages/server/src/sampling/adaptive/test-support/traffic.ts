import type { Span } from '../../../model/span.ts';
import type { SamplingStrategyResponse } from '../../strategy-source.ts';
import { rootSpan, samplerTags } from './root-span.ts';

/** A seeded PRNG (mulberry32) so a simulated run is the same every time. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The probability a Jaeger-style per-operation sampler applies to `operation` under `strategy`. */
export function appliedProbability(
  strategy: SamplingStrategyResponse | undefined,
  operation: string,
  fallback: number,
): number {
  if (strategy === undefined) return fallback;
  const ops = strategy.operationSampling;
  if (ops !== undefined) {
    for (const s of ops.perOperationStrategies) {
      if (s.operation === operation) return s.probabilisticSampling.samplingRate;
    }
    return ops.defaultSamplingProbability;
  }
  return strategy.probabilisticSampling?.samplingRate ?? fallback;
}

/** The OTel `th` for probability p at full precision (the spec's encoding). */
export function thresholdFor(p: number): string {
  const t = BigInt(Math.round((1 - p) * 2 ** 56));
  const hex = t.toString(16).padStart(14, '0').replace(/0+$/, '');
  return hex === '' ? '0' : hex;
}

export interface TrafficSource {
  service: string;
  operation: string;
  /** Requests per second (sampled or not). */
  rate: number;
  /** How the SDK reports its decision on the root span. */
  reports: 'jaeger-tags' | 'otel-th';
  /** The tenant the SDK's spans are sent as ('' by default). */
  tenant?: string;
}

/**
 * One stretch of `seconds` of a source's traffic, each request sampled with probability
 * `p` as an SDK would: the root spans of the sampled ones, with the SDK's report.
 */
export function sampledRoots(
  source: TrafficSource,
  seconds: number,
  p: number,
  random: () => number,
): Span[] {
  const requests = Math.round(source.rate * seconds);
  const spans: Span[] = [];
  const attributes = source.reports === 'jaeger-tags' ? samplerTags('probabilistic', p) : [];
  const traceState = source.reports === 'otel-th' ? `ot=th:${thresholdFor(p)}` : '';
  for (let i = 0; i < requests; i++) {
    if (random() >= p) continue;
    spans.push(
      rootSpan({
        service: source.service,
        name: source.operation,
        attributes,
        traceState,
        tenant: source.tenant,
      }),
    );
  }
  return spans;
}
