import { TenantRateLimitedError } from '../../errors.ts';
import type { TenantRate, TenantSettings } from './tenant-settings.ts';
import { TokenBucket } from './token-bucket.ts';

/**
 * Per-tenant ingest rate limits (`tenants.maxSpansPerSecond`, `tenants.burstSpans`,
 * `tenants.overrides`): one token bucket per tenant that has a limit, checked per batch.
 *
 * Contract:
 * - `admit` takes the whole batch's spans from the tenant's bucket or throws
 *   `TenantRateLimitedError` (429 / RESOURCE_EXHAUSTED, `retryAfterSeconds` = when the
 *   batch would pass) and takes nothing. `refund` gives a batch back when a later check
 *   (a full queue, the disk) refused it after all.
 * - A tenant without a limit costs nothing: no bucket, no map entry.
 * - Bounded: at most `maxTrackedTenants` buckets. Tenant names come from tokens and
 *   headers, so a client could invent many; past the bound the bucket used least
 *   recently is forgotten. A forgotten tenant starts again with a full bucket, which
 *   is what it would have had if it had been idle for a second or more.
 * - Synchronous; per batch, never per span.
 */
export class TenantRateLimiter {
  #settings: TenantSettings;
  #unlimited: boolean;
  readonly #now: () => number;
  /** Least recently used first (re-inserted on every use). */
  readonly #buckets = new Map<string, TokenBucket>();
  /** Buckets forgotten to stay within the bound, since start. */
  evicted = 0;

  constructor(settings: TenantSettings, now: () => number = performance.now.bind(performance)) {
    this.#settings = settings;
    this.#unlimited = isUnlimited(settings);
    this.#now = now;
  }

  /** True when no tenant has a limit. */
  get unlimited(): boolean {
    return this.#unlimited;
  }

  /** The rate a tenant is held to. */
  rateOf(tenant: string): TenantRate {
    return this.#settings.rates.get(tenant) ?? this.#settings.defaultRate;
  }

  /**
   * Holds tenants to new rates from now on (hot reload of `tenants.*`): a tenant whose
   * rate or burst changed starts again with a full bucket of its new size; the others
   * keep theirs.
   */
  reconfigure(settings: TenantSettings): void {
    this.#settings = settings;
    this.#unlimited = isUnlimited(settings);
    for (const [tenant, bucket] of this.#buckets) {
      const rate = this.rateOf(tenant);
      if (rate.spansPerSecond !== bucket.perSecond || rate.burstSpans !== bucket.burst)
        this.#buckets.delete(tenant);
    }
  }

  /** Buckets kept now. */
  get tracked(): number {
    return this.#buckets.size;
  }

  /**
   * Takes `count` spans from `tenant`'s bucket.
   * @throws TenantRateLimitedError when the bucket holds fewer (nothing is taken).
   */
  admit(tenant: string, count: number): void {
    if (this.#unlimited) return;
    const rate = this.rateOf(tenant);
    if (rate.spansPerSecond === 0 || count === 0) return;
    const now = this.#now();
    const buckets = this.#buckets;
    let bucket = buckets.get(tenant);
    if (bucket === undefined) {
      if (buckets.size >= this.#settings.maxTrackedTenants) {
        buckets.delete(buckets.keys().next().value as string);
        this.evicted++;
      }
      bucket = new TokenBucket(rate.spansPerSecond, rate.burstSpans, now);
    } else {
      buckets.delete(tenant);
    }
    buckets.set(tenant, bucket);
    const wait = bucket.take(count, now);
    if (wait > 0) {
      throw new TenantRateLimitedError([tenant, count, rate.spansPerSecond, rate.burstSpans], {
        retryAfterSeconds: wait,
      });
    }
  }

  /** Gives back spans `admit` took for a batch refused later. */
  refund(tenant: string, count: number): void {
    this.#buckets.get(tenant)?.refund(count);
  }
}

function isUnlimited(settings: TenantSettings): boolean {
  if (settings.defaultRate.spansPerSecond > 0) return false;
  for (const rate of settings.rates.values()) if (rate.spansPerSecond > 0) return false;
  return true;
}
