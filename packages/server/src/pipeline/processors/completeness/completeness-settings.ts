import type { SkeinConfig } from '../../../config/config.ts';
import { ConfigError } from '../../../errors.ts';

/** `pipeline.processors.completeness`, checked and in the units the processor uses. */
export interface CompletenessSettings {
  /** The shared trace buffer's idle time (`pipeline.traceBuffer.idleSeconds`), ms. */
  idleMs: number;
  skewMs: number;
  flushIntervalMs: number;
  examplesPerCause: number;
}

/** @throws ConfigError naming the key. */
export function compileCompletenessSettings(config: SkeinConfig): CompletenessSettings {
  const c = config.pipeline.processors.completeness;
  const key = (name: string) => `pipeline.processors.completeness.${name}`;
  const positive = (name: keyof typeof c, value: number, integer: boolean) => {
    if (!(value > 0) || (integer && !Number.isInteger(value)))
      throw new ConfigError([
        key(name),
        `must be a positive ${integer ? 'integer' : 'number'}, got ${value}`,
      ]);
  };
  positive('flushIntervalSeconds', c.flushIntervalSeconds, false);
  if (!(c.clockSkewMs >= 0))
    throw new ConfigError([key('clockSkewMs'), `must be 0 or more, got ${c.clockSkewMs}`]);
  if (!Number.isInteger(c.examplesPerCause) || c.examplesPerCause < 0)
    throw new ConfigError([
      key('examplesPerCause'),
      `must be an integer, 0 or more, got ${c.examplesPerCause}`,
    ]);
  return {
    idleMs: config.pipeline.traceBuffer.idleSeconds * 1000,
    skewMs: c.clockSkewMs,
    flushIntervalMs: c.flushIntervalSeconds * 1000,
    examplesPerCause: c.examplesPerCause,
  };
}
