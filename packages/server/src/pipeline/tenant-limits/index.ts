export { compileTenantSettings } from './tenant-settings.ts';
export type { TenantRate, TenantSettings } from './tenant-settings.ts';
export { OTHER_TENANTS_LABEL, TenantLabels } from './tenant-labels.ts';
export { TenantRateLimiter } from './tenant-rate-limiter.ts';
export { TokenBucket } from './token-bucket.ts';
export { stampTenant } from './stamp-tenant.ts';
export { tenantLimitsReloadTarget } from './tenant-limits-reload-target.ts';
