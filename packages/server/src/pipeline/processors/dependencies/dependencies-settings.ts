import type { SkeinConfig } from '../../../config/config.ts';
import { ConfigError } from '../../../errors.ts';

/** `pipeline.processors.dependencies`, checked. */
export interface DependenciesSettings {
  flushIntervalMs: number;
  /** The shared trace buffer's idle time (`pipeline.traceBuffer.idleSeconds`), ms. */
  idleMs: number;
}

/** @throws ConfigError naming the key. */
export function compileDependenciesSettings(config: SkeinConfig): DependenciesSettings {
  const d = config.pipeline.processors.dependencies;
  if (!(d.flushIntervalSeconds > 0))
    throw new ConfigError([
      'pipeline.processors.dependencies.flushIntervalSeconds',
      `must be a positive number, got ${d.flushIntervalSeconds}`,
    ]);
  return {
    flushIntervalMs: d.flushIntervalSeconds * 1000,
    idleMs: config.pipeline.traceBuffer.idleSeconds * 1000,
  };
}
