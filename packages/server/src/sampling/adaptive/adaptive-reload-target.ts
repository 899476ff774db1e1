import type { ReloadTarget } from '../../cli/config-reloader.ts';
import { compileAdaptiveSettings } from './adaptive-settings.ts';
import type { AdaptiveSampling } from './adaptive-sampling.ts';

/** The `sampling.adaptive` keys that apply live; `enabled` needs a restart. */
export const ADAPTIVE_LIVE_KEYS: readonly string[] = [
  'sampling.adaptive.targetSamplesPerSecond',
  'sampling.adaptive.minProbability',
  'sampling.adaptive.maxProbability',
  'sampling.adaptive.deltaTolerance',
  'sampling.adaptive.calculationIntervalSeconds',
  'sampling.adaptive.initialProbability',
  'sampling.adaptive.minSamplesPerSecond',
  'sampling.adaptive.overrides',
];

/**
 * Hot reload of adaptive sampling's targets, overrides, bounds, tolerance and interval:
 * `prepare` validates the new `sampling.adaptive` (throws `ConfigError` naming the key)
 * and the returned function hands it to the running `AdaptiveSampling`, whose next
 * calculation uses it (bounds and the served default apply at once).
 */
export function adaptiveSamplingReloadTarget(sampling: AdaptiveSampling): ReloadTarget {
  return {
    name: 'adaptive sampling',
    covers: ADAPTIVE_LIVE_KEYS,
    prepare(next) {
      const settings = compileAdaptiveSettings(next);
      return () => sampling.update({ ...settings, enabled: sampling.settings.enabled });
    },
  };
}
