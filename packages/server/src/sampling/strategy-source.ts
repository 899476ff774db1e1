/**
 * Sampling strategies as Jaeger serves them to SDKs (`jaeger.api_v2.SamplingStrategyResponse`,
 * JSON field names as Jaeger's HTTP endpoint writes them), and where Skein gets them.
 */

export interface ProbabilisticSampling {
  /** 0..1 */
  samplingRate: number;
}

export interface RateLimitingSampling {
  maxTracesPerSecond: number;
}

export interface OperationSamplingStrategy {
  operation: string;
  probabilisticSampling: ProbabilisticSampling;
}

export interface PerOperationSampling {
  defaultSamplingProbability: number;
  defaultLowerBoundTracesPerSecond: number;
  perOperationStrategies: OperationSamplingStrategy[];
  defaultUpperBoundTracesPerSecond?: number;
}

export interface SamplingStrategyResponse {
  strategyType: 'PROBABILISTIC' | 'RATE_LIMITING';
  probabilisticSampling?: ProbabilisticSampling;
  rateLimitingSampling?: RateLimitingSampling;
  operationSampling?: PerOperationSampling;
}

/** Where a served strategy came from (shown by `GET /api/sampling/strategies`). */
export type StrategyOrigin = 'file' | 'adaptive' | 'default';

export interface ResolvedStrategy {
  strategy: SamplingStrategyResponse;
  origin: StrategyOrigin;
}

/**
 * One source of strategies (the file/YAML strategies, the adaptive calculator).
 *
 * Contract: `strategyFor` is synchronous and cheap (SDKs poll it every minute per
 * process); it returns undefined when this source has nothing specific for the
 * service, so the next source (or the default) answers. Returned objects are
 * shared and must not be modified by the caller.
 *
 * `tenant` is the tenant of the SDK asking (`DEFAULT_TENANT` when none): a source that
 * learns from traffic (adaptive) answers from that tenant's traffic only; the
 * operator's strategies are the same for every tenant (a source may ignore it).
 */
export interface StrategySource {
  strategyFor(service: string, tenant: string): ResolvedStrategy | undefined;
  /** Services of `tenant` this source has something specific for (for the strategies page). */
  services(tenant: string): string[];
}
