export { AdaptiveSampling, ADAPTIVE_LEASE, LEASE_INTERVALS } from './adaptive-sampling.ts';
export type { AdaptiveSamplingOptions, TickOutcome } from './adaptive-sampling.ts';
export { AdaptiveStrategySource } from './adaptive-strategy-source.ts';
export type { AdaptiveOperationRate } from './adaptive-strategy-source.ts';
export { compileAdaptiveSettings, compileAdaptiveSection, targetFor } from './adaptive-settings.ts';
export type { AdaptiveSettings } from './adaptive-settings.ts';
export { adaptiveSamplingReloadTarget, ADAPTIVE_LIVE_KEYS } from './adaptive-reload-target.ts';
export { ThroughputObserver } from './throughput-observer.ts';
export {
  reportedProbability,
  thresholdProbability,
  NOT_REPORTED,
  LOWER_BOUND,
  UNADAPTABLE,
} from './reported-probability.ts';
