import type { SamplingStrategyResponse } from './strategy-source.ts';

/**
 * A strategy as Jaeger's HTTP endpoint writes it (jsonpb with defaults emitted, then
 * the null members removed): `strategyType` always, then `probabilisticSampling`,
 * `rateLimitingSampling`, `operationSampling` (all four numbers of it) when present.
 *
 * A per-operation strategy of type PROBABILISTIC always carries
 * `probabilisticSampling` (the operations' default probability when the source left
 * it out): `@opentelemetry/sampler-jaeger-remote` reads it whenever the operation
 * list is empty.
 */
export function strategyJson(s: SamplingStrategyResponse): string {
  const out: Record<string, unknown> = { strategyType: s.strategyType };
  const ops = s.operationSampling;
  const probabilistic =
    s.probabilisticSampling ??
    (s.strategyType === 'PROBABILISTIC' && ops !== undefined
      ? { samplingRate: ops.defaultSamplingProbability }
      : undefined);
  if (probabilistic !== undefined) {
    out.probabilisticSampling = { samplingRate: probabilistic.samplingRate };
  }
  if (s.rateLimitingSampling !== undefined) {
    out.rateLimitingSampling = { maxTracesPerSecond: s.rateLimitingSampling.maxTracesPerSecond };
  }
  if (ops !== undefined) {
    out.operationSampling = {
      defaultSamplingProbability: ops.defaultSamplingProbability,
      defaultLowerBoundTracesPerSecond: ops.defaultLowerBoundTracesPerSecond,
      perOperationStrategies: ops.perOperationStrategies.map((op) => ({
        operation: op.operation,
        probabilisticSampling: { samplingRate: op.probabilisticSampling.samplingRate },
      })),
      defaultUpperBoundTracesPerSecond: ops.defaultUpperBoundTracesPerSecond ?? 0,
    };
  }
  return JSON.stringify(out);
}
