import type { ResolvedStrategy } from './strategy-source.ts';

/** What the HTTP and gRPC endpoints ask: the strategy a service is served now (never undefined). */
export interface ServedStrategies {
  /** Shared object: do not modify. */
  strategyFor(service: string): ResolvedStrategy;
}

/** Called once per answered request, for `skein_sampling_requests_total`. */
export type StrategyServed = (transport: 'http' | 'grpc', resolved: ResolvedStrategy) => void;
