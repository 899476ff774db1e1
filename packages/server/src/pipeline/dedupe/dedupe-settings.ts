import type { SkeinConfig } from '../../config/config.ts';
import { ConfigError } from '../../errors.ts';

/** `pipeline.dedupe`, checked. */
export interface DedupeSettings {
  enabled: boolean;
  windowSpans: number;
}

/** The largest window: 8 × (2^28 + 100M) bytes ≈ 2.9 GB is far past any sane setting. */
const MAX_WINDOW_SPANS = 100_000_000;

/** @throws ConfigError naming the key. */
export function compileDedupeSettings(config: SkeinConfig): DedupeSettings {
  const d = config.pipeline.dedupe;
  if (!Number.isInteger(d.windowSpans) || d.windowSpans < 1 || d.windowSpans > MAX_WINDOW_SPANS)
    throw new ConfigError([
      'pipeline.dedupe.windowSpans',
      `must be an integer from 1 to ${MAX_WINDOW_SPANS}, got ${d.windowSpans}`,
    ]);
  return { enabled: d.enabled, windowSpans: d.windowSpans };
}
