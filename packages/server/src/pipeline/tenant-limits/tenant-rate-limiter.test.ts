import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultConfig, type SkeinConfig } from '../../config/config.ts';
import { TenantRateLimitedError } from '../../errors.ts';
import { TenantRateLimiter } from './tenant-rate-limiter.ts';
import { compileTenantSettings } from './tenant-settings.ts';

function limiter(tenants: Partial<SkeinConfig['tenants']>, clock = { now: 0 }) {
  const config = { ...defaultConfig, tenants: { ...defaultConfig.tenants, ...tenants } };
  return new TenantRateLimiter(compileTenantSettings(config), () => clock.now);
}

describe('TenantRateLimiter', () => {
  test('the default (0) limits nobody and keeps no bucket', () => {
    const l = limiter({});
    assert.equal(l.unlimited, true);
    for (let i = 0; i < 100; i++) l.admit(`t${i}`, 1_000_000);
    assert.equal(l.tracked, 0);
  });

  test('each tenant has its own bucket; an override sets its own rate and burst', () => {
    const clock = { now: 0 };
    const l = limiter(
      { maxSpansPerSecond: 100, overrides: { acme: { maxSpansPerSecond: 5, burstSpans: 20 } } },
      clock,
    );
    assert.equal(l.unlimited, false);
    l.admit('acme', 20);
    assert.throws(
      () => l.admit('acme', 5),
      (err: unknown) =>
        err instanceof TenantRateLimitedError &&
        err.retryAfterSeconds === 1 &&
        /tenant "acme" is over its ingest rate of 5 spans\/s \(burst 20\)/.test(err.message),
    );
    // Burst defaults to one second's worth of the rate.
    l.admit('globex', 100);
    assert.throws(() => l.admit('globex', 1), TenantRateLimitedError);
    l.admit('', 100);
    clock.now = 1000;
    l.admit('acme', 5);
    l.admit('globex', 100);
  });

  test('an override of 0 makes one tenant unlimited under a default limit', () => {
    const l = limiter({ maxSpansPerSecond: 1, overrides: { big: { maxSpansPerSecond: 0 } } });
    for (let i = 0; i < 10; i++) l.admit('big', 1_000_000);
    l.admit('small', 1);
    assert.throws(() => l.admit('small', 1), TenantRateLimitedError);
  });

  test('reconfigure: new rates apply at once; a tenant whose rate did not change keeps its bucket', () => {
    const clock = { now: 0 };
    const l = limiter({ maxSpansPerSecond: 10 }, clock);
    l.admit('a', 10);
    l.admit('b', 10);
    assert.throws(() => l.admit('a', 1), TenantRateLimitedError);
    const next = {
      ...defaultConfig.tenants,
      maxSpansPerSecond: 10,
      overrides: { a: { maxSpansPerSecond: 100 } },
    };
    l.reconfigure(compileTenantSettings({ ...defaultConfig, tenants: next }));
    l.admit('a', 100);
    assert.throws(() => l.admit('b', 1), TenantRateLimitedError, 'b kept its empty bucket');
    l.reconfigure(compileTenantSettings(defaultConfig));
    assert.equal(l.unlimited, true);
    l.admit('b', 1_000_000);
  });

  test('bounded: past maxTrackedTenants the bucket used least recently is forgotten', () => {
    const clock = { now: 0 };
    const l = limiter({ maxSpansPerSecond: 10, maxTrackedTenants: 3 }, clock);
    l.admit('a', 10);
    l.admit('b', 10);
    l.admit('c', 10);
    assert.throws(() => l.admit('a', 1), TenantRateLimitedError, 'a is recently used now');
    l.admit('d', 10); // forgets b, the least recently used
    assert.equal(l.tracked, 3);
    assert.equal(l.evicted, 1);
    l.admit('b', 10); // a full bucket again; forgets c
    assert.throws(() => l.admit('a', 1), TenantRateLimitedError, 'a was kept');
    for (let i = 0; i < 10_000; i++) l.admit(`spray-${i}`, 1);
    assert.equal(l.tracked, 3);
  });
});
