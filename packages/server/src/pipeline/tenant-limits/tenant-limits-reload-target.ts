import type { SkeinConfig } from '../../config/config.ts';
import type { TenantRateLimiter } from './tenant-rate-limiter.ts';
import { compileTenantSettings } from './tenant-settings.ts';

/**
 * Hot reload of the per-tenant rates (a target for cli/config-reloader.ts): a changed
 * `tenants.maxSpansPerSecond`, `tenants.burstSpans` or `tenants.overrides` applies to
 * the next batch; a bad value refuses the reload with a ConfigError naming the key.
 * (`tenants.maxTrackedTenants` bounds the metric labels too: it needs a restart.)
 */
export function tenantLimitsReloadTarget(limiter: TenantRateLimiter) {
  return {
    name: 'tenant limits',
    covers: ['tenants.maxSpansPerSecond', 'tenants.burstSpans', 'tenants.overrides'],
    prepare(next: SkeinConfig): () => void {
      const settings = compileTenantSettings(next);
      return () => limiter.reconfigure(settings);
    },
  };
}
