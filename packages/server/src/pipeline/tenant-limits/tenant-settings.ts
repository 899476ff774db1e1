import type { SkeinConfig } from '../../config/config.ts';
import { ConfigError } from '../../errors.ts';
import { isTenantName } from '../../security/security-settings.ts';

/** One tenant's ingest rate: a token bucket refilled at `spansPerSecond`, holding at most `burstSpans`. */
export interface TenantRate {
  /** 0 = unlimited (no bucket is kept). */
  readonly spansPerSecond: number;
  readonly burstSpans: number;
}

/** `tenants.*` checked and compiled once at start. */
export interface TenantSettings {
  /** Every tenant without an override. */
  readonly defaultRate: TenantRate;
  /** Tenants with their own rate (the override's keys, defaults filled in). */
  readonly rates: ReadonlyMap<string, TenantRate>;
  /** Tenants with their own retention, hours. */
  readonly retentionHours: ReadonlyMap<string, number>;
  /** Rate buckets and `tenant` metric labels kept at most. */
  readonly maxTrackedTenants: number;
}

const OVERRIDE_KEYS = ['maxSpansPerSecond', 'burstSpans', 'retentionHours'];

/**
 * Checks and compiles `tenants.*`.
 * @throws ConfigError naming the key: a negative or non-numeric limit, an override for a
 *   name no token or header can carry, an unknown key under an override.
 */
export function compileTenantSettings(config: SkeinConfig): TenantSettings {
  const t = config.tenants;
  checkRateKey('tenants.maxSpansPerSecond', t.maxSpansPerSecond);
  checkRateKey('tenants.burstSpans', t.burstSpans);
  if (!Number.isInteger(t.maxTrackedTenants) || t.maxTrackedTenants < 1)
    throw new ConfigError([
      'tenants.maxTrackedTenants',
      `must be a positive integer, got ${String(t.maxTrackedTenants)}`,
    ]);
  const defaultRate = rate(t.maxSpansPerSecond, t.burstSpans);
  const rates = new Map<string, TenantRate>();
  const retentionHours = new Map<string, number>();
  if (t.overrides === null || typeof t.overrides !== 'object' || Array.isArray(t.overrides))
    throw new ConfigError(['tenants.overrides', 'expected a mapping of tenant names to limits']);
  for (const [name, raw] of Object.entries(t.overrides)) {
    const where = `tenants.overrides.${name}`;
    if (!isTenantName(name))
      throw new ConfigError([
        where,
        'is not a tenant name: letters, digits, ".", "_" or "-" (at most 128)',
      ]);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      throw new ConfigError([where, 'expected {maxSpansPerSecond?, burstSpans?, retentionHours?}']);
    for (const key of Object.keys(raw))
      if (!OVERRIDE_KEYS.includes(key))
        throw new ConfigError([
          `${where}.${key}`,
          `unknown key; known keys here: ${OVERRIDE_KEYS.join(', ')}`,
        ]);
    const perSecond = raw.maxSpansPerSecond ?? t.maxSpansPerSecond;
    const burst = raw.burstSpans ?? (raw.maxSpansPerSecond === undefined ? t.burstSpans : 0);
    checkRateKey(`${where}.maxSpansPerSecond`, perSecond);
    checkRateKey(`${where}.burstSpans`, burst);
    rates.set(name, rate(perSecond, burst));
    if (raw.retentionHours !== undefined) {
      if (typeof raw.retentionHours !== 'number' || !(raw.retentionHours > 0))
        throw new ConfigError([
          `${where}.retentionHours`,
          `must be a number of hours above 0, got ${JSON.stringify(raw.retentionHours)}`,
        ]);
      retentionHours.set(name, raw.retentionHours);
    }
  }
  return { defaultRate, rates, retentionHours, maxTrackedTenants: t.maxTrackedTenants };
}

function rate(spansPerSecond: number, burstSpans: number): TenantRate {
  return {
    spansPerSecond,
    burstSpans: spansPerSecond === 0 ? 0 : burstSpans > 0 ? burstSpans : spansPerSecond,
  };
}

function checkRateKey(where: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ConfigError([
      where,
      `must be a number ≥ 0 (0 = unlimited), got ${JSON.stringify(value)}`,
    ]);
}
