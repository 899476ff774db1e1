/** The sampling room's door: strategies served to SDKs (Jaeger remote sampling). */
export { BUILT_IN_PROBABILITY, compileStrategies } from './compiled-strategies.ts';
export type { CompiledStrategies, KeyStyle } from './compiled-strategies.ts';
export { FileStrategySource, loadStrategies } from './file-strategy-source.ts';
export type { StrategiesReloadResult } from './file-strategy-source.ts';
export { samplingManagerService, GET_SAMPLING_STRATEGY_PATH } from './sampling-manager-service.ts';
export type { GrpcService } from './sampling-manager-service.ts';
export { SamplingService } from './sampling-service.ts';
export type { SamplingAddresses, SamplingServiceOptions } from './sampling-service.ts';
export type { ServedStrategies } from './served-strategies.ts';
export { strategyJson } from './strategy-json.ts';
export { StrategyResolver } from './strategy-resolver.ts';
export type { StrategyExplanation } from './strategy-resolver.ts';
export type {
  OperationSamplingStrategy,
  PerOperationSampling,
  ProbabilisticSampling,
  RateLimitingSampling,
  ResolvedStrategy,
  SamplingStrategyResponse,
  StrategyOrigin,
  StrategySource,
} from './strategy-source.ts';
