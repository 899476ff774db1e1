import type { AdaptiveSamplingConfig, SkeinConfig } from '../../config/config.ts';
import { ConfigError } from '../../errors.ts';

/** `sampling.adaptive`, validated and ready to run. */
export interface AdaptiveSettings {
  readonly enabled: boolean;
  readonly targetSamplesPerSecond: number;
  readonly minProbability: number;
  readonly maxProbability: number;
  readonly deltaTolerance: number;
  readonly calculationIntervalMs: number;
  readonly initialProbability: number;
  readonly minSamplesPerSecond: number;
  /** service → operation ('' for the whole service) → target. */
  readonly overrides: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

const KEY = 'sampling.adaptive';

/** The target for a service root operation: its own override, its service's, or the global one. */
export function targetFor(settings: AdaptiveSettings, service: string, operation: string): number {
  const forService = settings.overrides.get(service);
  if (forService === undefined) return settings.targetSamplesPerSecond;
  return forService.get(operation) ?? forService.get('') ?? settings.targetSamplesPerSecond;
}

/**
 * Validates `sampling.adaptive`.
 * @throws ConfigError naming the key and what it accepts.
 */
export function compileAdaptiveSettings(config: SkeinConfig): AdaptiveSettings {
  return compileAdaptiveSection(config.sampling.adaptive);
}

/**
 * Validates one `sampling.adaptive` section.
 * @throws ConfigError naming the key and what it accepts.
 */
export function compileAdaptiveSection(section: AdaptiveSamplingConfig): AdaptiveSettings {
  if (typeof section.enabled !== 'boolean') {
    throw new ConfigError([
      `${KEY}.enabled`,
      `${JSON.stringify(section.enabled)} is not true or false`,
    ]);
  }
  const minProbability = probability(section.minProbability, 'minProbability');
  const maxProbability = probability(section.maxProbability, 'maxProbability');
  if (minProbability > maxProbability) {
    throw new ConfigError([
      `${KEY}.minProbability`,
      `${minProbability} is above maxProbability ${maxProbability}; the lowest probability must not exceed the highest`,
    ]);
  }
  const initialProbability = probability(section.initialProbability, 'initialProbability');
  if (initialProbability < minProbability || initialProbability > maxProbability) {
    throw new ConfigError([
      `${KEY}.initialProbability`,
      `${initialProbability} is outside [minProbability, maxProbability] = [${minProbability}, ${maxProbability}]`,
    ]);
  }
  const deltaTolerance = section.deltaTolerance;
  if (typeof deltaTolerance !== 'number' || !(deltaTolerance >= 0 && deltaTolerance < 1)) {
    throw new ConfigError([
      `${KEY}.deltaTolerance`,
      `${JSON.stringify(deltaTolerance)} is not a fraction in [0, 1) (0.3: leave a probability alone while the sampled rate is within 30% of the target)`,
    ]);
  }
  const interval = section.calculationIntervalSeconds;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 1) {
    throw new ConfigError([
      `${KEY}.calculationIntervalSeconds`,
      `${JSON.stringify(interval)} is not a number of seconds of at least 1`,
    ]);
  }
  const minSamples = section.minSamplesPerSecond;
  if (typeof minSamples !== 'number' || !Number.isFinite(minSamples) || minSamples < 0) {
    throw new ConfigError([
      `${KEY}.minSamplesPerSecond`,
      `${JSON.stringify(minSamples)} is not a number of traces per second of at least 0`,
    ]);
  }
  return {
    enabled: section.enabled,
    targetSamplesPerSecond: target(section.targetSamplesPerSecond, `${KEY}.targetSamplesPerSecond`),
    minProbability,
    maxProbability,
    deltaTolerance,
    calculationIntervalMs: Math.round(interval * 1000),
    initialProbability,
    minSamplesPerSecond: minSamples,
    overrides: compileOverrides(section.overrides),
  };
}

function compileOverrides(overrides: unknown): Map<string, Map<string, number>> {
  const key = `${KEY}.overrides`;
  if (!Array.isArray(overrides)) {
    throw new ConfigError([
      key,
      'expected a list of { service, operation?, targetSamplesPerSecond }, e.g. [{ service: checkout, targetSamplesPerSecond: 5 }]',
    ]);
  }
  const table = new Map<string, Map<string, number>>();
  for (const [i, entry] of overrides.entries()) {
    const at = `${key}[${i}]`;
    if (typeof entry !== 'object' || entry === null) {
      throw new ConfigError([at, 'expected { service, operation?, targetSamplesPerSecond }']);
    }
    const { service, operation, targetSamplesPerSecond } = entry as Record<string, unknown>;
    if (typeof service !== 'string' || service === '') {
      throw new ConfigError([`${at}.service`, 'expected the service name the override is for']);
    }
    if (operation !== undefined && (typeof operation !== 'string' || operation === '')) {
      throw new ConfigError([
        `${at}.operation`,
        'expected a root span name, or no operation key for the whole service',
      ]);
    }
    const op = operation ?? '';
    let forService = table.get(service);
    if (forService === undefined) {
      forService = new Map();
      table.set(service, forService);
    }
    if (forService.has(op)) {
      throw new ConfigError([
        at,
        `a second override for service ${JSON.stringify(service)}${op === '' ? '' : ` operation ${JSON.stringify(op)}`}; keep one`,
      ]);
    }
    forService.set(op, target(targetSamplesPerSecond, `${at}.targetSamplesPerSecond`));
  }
  return table;
}

function probability(value: unknown, key: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new ConfigError([
      `${KEY}.${key}`,
      `${JSON.stringify(value)} is not a probability in (0, 1]`,
    ]);
  }
  return value;
}

function target(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError([
      key,
      `${JSON.stringify(value)} is not a positive number of traces per second`,
    ]);
  }
  return value;
}
