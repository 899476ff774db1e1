import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { hexId, makeSpan, testResource } from './conformance/test-spans.ts';
import { DuckDbStorage } from './duckdb/duckdb-storage.ts';
import { DEFAULT_TENANT } from '../model/span.ts';
import { Retention } from './retention.ts';
import type { PurgeReport } from './retention.ts';

const HOUR_MS = 3_600_000;

/**
 * Retention's timer is unref'd by design, so while a test awaits a timer-driven run
 * nothing else would keep the event loop alive; this ref'd no-op interval does.
 */
function keepAlive(): () => void {
  const t = setInterval(() => {}, 60_000);
  return () => clearInterval(t);
}

function logCapture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

function spanAt(n: number, startMs: number, tenant = DEFAULT_TENANT) {
  return makeSpan({
    traceId: hexId(0x7e7, n, 32),
    spanId: hexId(0x7e7, n, 16),
    resource: { ...testResource('retention-test'), tenant },
    startTime: startMs * 1000,
  });
}

test('retention purges spans older than retentionHours from a real store, on start and then every interval', async () => {
  const store = new DuckDbStorage({ path: ':memory:' });
  await store.open();
  const now = Date.now();
  const { logger, lines } = logCapture();
  const release = keepAlive();
  const retention = new Retention({
    storage: store,
    retentionHours: 24,
    // 6 ms: the second run must come from the timer, not from start().
    purgeIntervalMinutes: 0.0001,
    logger,
    now: () => now,
  });
  try {
    const old = spanAt(1, now - 25 * HOUR_MS);
    const fresh = spanAt(2, now - 23 * HOUR_MS);
    await store.write([old, fresh]);

    const first = once(retention, 'purged') as Promise<[PurgeReport]>;
    retention.start();
    const [report] = await first;
    assert.equal(report.deleted, 1);
    assert.equal(report.cutoff, (now - 24 * HOUR_MS) * 1000);
    assert.equal(await store.getTrace(DEFAULT_TENANT, old.traceId), null);
    assert.ok(await store.getTrace(DEFAULT_TENANT, fresh.traceId));
    const info = lines.find((l) => l.msg === 'retention purged old spans');
    assert.ok(info, 'the purge is logged');
    assert.equal(info.deleted, 1);

    // Written after the first run: only a later, timer-driven run can delete it.
    const late = spanAt(3, now - 30 * HOUR_MS);
    await store.write([late]);
    for (;;) {
      const [next] = (await once(retention, 'purged')) as [PurgeReport];
      if (next.deleted > 0) {
        assert.equal(next.deleted, 1);
        break;
      }
    }
    assert.equal(await store.getTrace(DEFAULT_TENANT, late.traceId), null);
    assert.ok(await store.getTrace(DEFAULT_TENANT, fresh.traceId));
  } finally {
    await retention.stop();
    await store.close();
    release();
  }
});

test('a failed purge is logged and the schedule goes on', async () => {
  const { logger, lines } = logCapture();
  let calls = 0;
  const retention = new Retention({
    storage: {
      purgeBefore: () => {
        calls++;
        return calls === 1 ? Promise.reject(new Error('disk on fire')) : Promise.resolve(0);
      },
    },
    retentionHours: 1,
    purgeIntervalMinutes: 0.0001,
    logger,
  });
  const release = keepAlive();
  retention.start();
  await once(retention, 'purged');
  await retention.stop();
  release();
  assert.ok(calls >= 2);
  const err = lines.find((l) => l.msg === 'retention purge failed; retrying at the next interval');
  assert.ok(err);
});

test('stop() waits for a purge in progress and no run starts afterwards', async () => {
  let release: () => void = () => {};
  let calls = 0;
  const retention = new Retention({
    storage: {
      purgeBefore: () => {
        calls++;
        return new Promise<number>((resolve) => {
          release = () => resolve(0);
        });
      },
    },
    retentionHours: 1,
    purgeIntervalMinutes: 0.0001,
  });
  retention.start();
  let stopped = false;
  const stopping = retention.stop().then(() => {
    stopped = true;
  });
  await Promise.resolve();
  assert.equal(stopped, false, 'stop waits for the running purge');
  release();
  await stopping;
  assert.equal(calls, 1);
});

test('tenants with their own retention are purged at their cutoff, everyone else at the default', async () => {
  const store = new DuckDbStorage({ path: ':memory:' });
  await store.open();
  const now = Date.now();
  const calls: unknown[] = [];
  const retention = new Retention({
    storage: {
      purgeBefore: (cutoff, scope) => {
        calls.push([cutoff, scope]);
        return store.purgeBefore(cutoff, scope);
      },
    },
    retentionHours: 24,
    tenantRetentionHours: new Map([
      ['short', 2],
      ['long', 72],
    ]),
    purgeIntervalMinutes: 60,
    now: () => now,
  });
  try {
    // Each tenant has a 3 h old span and a 30 h old one; "long" also a 100 h old one.
    const spans = {
      short: [spanAt(11, now - 3 * HOUR_MS, 'short'), spanAt(12, now - 30 * HOUR_MS, 'short')],
      long: [
        spanAt(21, now - 3 * HOUR_MS, 'long'),
        spanAt(22, now - 30 * HOUR_MS, 'long'),
        spanAt(23, now - 100 * HOUR_MS, 'long'),
      ],
      other: [spanAt(31, now - 3 * HOUR_MS, 'other'), spanAt(32, now - 30 * HOUR_MS, 'other')],
      default: [spanAt(41, now - 3 * HOUR_MS), spanAt(42, now - 30 * HOUR_MS)],
    };
    await store.write(Object.values(spans).flat());
    const deleted = await retention.purgeOnce();
    assert.deepEqual(calls, [
      [(now - 2 * HOUR_MS) * 1000, { tenant: 'short' }],
      [(now - 72 * HOUR_MS) * 1000, { tenant: 'long' }],
      [(now - 24 * HOUR_MS) * 1000, { exceptTenants: ['short', 'long'] }],
    ]);
    const kept = async (tenant: string, span: ReturnType<typeof spanAt>) =>
      (await store.getTrace(tenant, span.traceId)) !== null;
    assert.deepEqual(
      await Promise.all(spans.short.map((s) => kept('short', s))),
      [false, false],
      'short (2 h): both gone',
    );
    assert.deepEqual(
      await Promise.all(spans.long.map((s) => kept('long', s))),
      [true, true, false],
      'long (72 h): only the 100 h old one gone',
    );
    assert.deepEqual(await Promise.all(spans.other.map((s) => kept('other', s))), [true, false]);
    assert.deepEqual(await Promise.all(spans.default.map((s) => kept(DEFAULT_TENANT, s))), [
      true,
      false,
    ]);
    assert.equal(deleted, 2 + 1 + 1 + 1);
  } finally {
    await retention.stop();
    await store.close();
  }
});

test('without per-tenant retention one unscoped purge runs (backends without scopes keep working)', async () => {
  const calls: unknown[][] = [];
  const retention = new Retention({
    storage: {
      purgeBefore: (...args: unknown[]) => {
        calls.push(args);
        return Promise.resolve(3);
      },
    },
    retentionHours: 1,
    purgeIntervalMinutes: 60,
    now: () => 10 * HOUR_MS,
  });
  assert.equal(await retention.purgeOnce(), 3);
  assert.deepEqual(calls, [[9 * HOUR_MS * 1000]]);
  // A reload gives a tenant its own retention: from the next purge on.
  retention.setTenantRetentionHours(new Map([['acme', 2]]));
  await retention.purgeOnce();
  assert.deepEqual(calls.slice(1), [
    [8 * HOUR_MS * 1000, { tenant: 'acme' }],
    [9 * HOUR_MS * 1000, { exceptTenants: ['acme'] }],
  ]);
});
