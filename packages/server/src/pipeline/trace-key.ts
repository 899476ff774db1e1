import { DEFAULT_TENANT } from '../model/span.ts';

/**
 * The key of a trace among every tenant's traces: two tenants sending the same trace id
 * have two traces. For {@link DEFAULT_TENANT} it is the trace id itself (no string is
 * built, so single-tenant installations pay nothing); otherwise `tenant/traceId`, which
 * cannot collide with a bare trace id or another tenant's key because tenant names hold
 * no `/` (`isTenantName`) and trace ids are hex.
 */
export function traceKey(tenant: string, traceId: string): string {
  return tenant === DEFAULT_TENANT ? traceId : tenant + '/' + traceId;
}
