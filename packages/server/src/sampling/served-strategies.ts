import type { ResolvedStrategy } from './strategy-source.ts';

/** What the HTTP and gRPC endpoints ask: the strategy a service is served now (never undefined). */
export interface ServedStrategies {
  /** For `service` of `tenant` (the caller's, `DEFAULT_TENANT` when none). Shared object: do not modify. */
  strategyFor(service: string, tenant: string): ResolvedStrategy;
}

/** Called once per answered request, for `skein_sampling_requests_total`. */
export type StrategyServed = (transport: 'http' | 'grpc', resolved: ResolvedStrategy) => void;
