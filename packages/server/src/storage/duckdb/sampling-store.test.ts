import { DEFAULT_TENANT } from '../../model/span.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { isSamplingStore } from '../sampling-store.ts';
import type { OperationProbabilityRow } from '../sampling-store.ts';
import { DuckDbStorage } from './duckdb-storage.ts';
import { DuckDbSamplingStore } from './sampling-store.ts';
import { CREATE_STATEMENTS } from './schema.ts';

const LEASE = 'adaptive-sampling';

function row(service: string, operation: string, probability: number): OperationProbabilityRow {
  return {
    tenant: DEFAULT_TENANT,
    service,
    operation,
    probability,
    tracesPerSecond: 10,
    sampledPerSecond: probability * 10,
    updatedAt: 1_000,
  };
}

describe('DuckDB sampling store', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function memory(): Promise<DuckDbStorage> {
    const s = new DuckDbStorage({ path: ':memory:' });
    await s.open();
    return s;
  }

  test('two holders: only one gets the lease until it expires or is released', async () => {
    const s = await memory();
    try {
      const a = await s.tryAcquireSamplingLease(LEASE, 'a', 1_000, 3_000);
      assert.deepEqual(a, { holder: 'a', expiresAt: 4_000 });
      const b = await s.tryAcquireSamplingLease(LEASE, 'b', 2_000, 3_000);
      assert.deepEqual(b, { holder: 'a', expiresAt: 4_000 }, 'b sees a holding it');
      const renewed = await s.tryAcquireSamplingLease(LEASE, 'a', 3_000, 3_000);
      assert.deepEqual(renewed, { holder: 'a', expiresAt: 6_000 }, 'a renews');
      assert.equal((await s.tryAcquireSamplingLease(LEASE, 'b', 5_999, 3_000)).holder, 'a');
      // Expiry: at 6000 the lease has lapsed and b takes it over.
      const takeover = await s.tryAcquireSamplingLease(LEASE, 'b', 6_000, 3_000);
      assert.deepEqual(takeover, { holder: 'b', expiresAt: 9_000 });
      assert.equal((await s.tryAcquireSamplingLease(LEASE, 'a', 6_500, 3_000)).holder, 'b');
      // Release by a non-holder does nothing; by the holder frees it at once.
      await s.releaseSamplingLease(LEASE, 'a');
      assert.equal((await s.tryAcquireSamplingLease(LEASE, 'a', 7_000, 3_000)).holder, 'b');
      await s.releaseSamplingLease(LEASE, 'b');
      assert.equal((await s.tryAcquireSamplingLease(LEASE, 'a', 7_000, 3_000)).holder, 'a');
      // Another lease name is independent.
      assert.equal((await s.tryAcquireSamplingLease('other', 'b', 7_000, 3_000)).holder, 'b');
    } finally {
      await s.close();
    }
  });

  test('racing attempts from separate connections on an expired lease: exactly one wins', async () => {
    // Four stores on four connections of one database, as four processes sharing it.
    const instance = await DuckDBInstance.create(':memory:');
    const setup = await instance.connect();
    await setup.run(`ATTACH ':memory:' AS skein`);
    await setup.run('USE skein');
    for (const stmt of CREATE_STATEMENTS) await setup.run(stmt);
    const holders = ['a', 'b', 'c', 'd'];
    const stores = await Promise.all(holders.map(() => DuckDbSamplingStore.open(instance)));
    try {
      for (let round = 0; round < 10; round++) {
        const now = 10_000 * (round + 1);
        const results = await Promise.all(
          stores.map((s, i) => s.tryAcquireSamplingLease(LEASE, holders[i], now, 3_000)),
        );
        const winners = results.filter((r, i) => r.holder === holders[i] && r.expiresAt > now);
        assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
        const stored = await stores[0].tryAcquireSamplingLease(LEASE, 'observer', now, 3_000);
        assert.deepEqual(stored, winners[0], 'the store holds the winner');
        // Only the winner may write.
        const writes = await Promise.all(
          stores.map((s, i) => s.writeSamplingProbabilities(LEASE, holders[i], now + 1, [])),
        );
        assert.equal(writes.filter(Boolean).length, 1);
      }
    } finally {
      for (const s of stores) s.close();
      setup.closeSync();
      instance.closeSync();
    }
  });

  test('probabilities are written only by the current holder, and replace the previous set', async () => {
    const s = await memory();
    try {
      assert.deepEqual(await s.readSamplingProbabilities(), []);
      assert.equal(
        await s.writeSamplingProbabilities(LEASE, 'a', 1_000, [row('x', 'op', 0.5)]),
        false,
      );
      await s.tryAcquireSamplingLease(LEASE, 'a', 1_000, 3_000);
      assert.equal(
        await s.writeSamplingProbabilities(LEASE, 'a', 1_500, [
          row('x', 'op', 0.5),
          row('y', 'op', 0.25),
        ]),
        true,
      );
      assert.equal(
        await s.writeSamplingProbabilities(LEASE, 'b', 1_500, [row('z', 'op', 1)]),
        false,
      );
      // a's lease has lapsed at 4000: its write is refused even though nobody took over.
      assert.equal(
        await s.writeSamplingProbabilities(LEASE, 'a', 4_000, [row('z', 'op', 1)]),
        false,
      );
      const stored = await s.readSamplingProbabilities();
      stored.sort((p, q) => p.service.localeCompare(q.service));
      assert.deepEqual(stored, [row('x', 'op', 0.5), row('y', 'op', 0.25)]);
      await s.tryAcquireSamplingLease(LEASE, 'a', 4_000, 3_000);
      assert.equal(
        await s.writeSamplingProbabilities(LEASE, 'a', 4_500, [row('z', 'op', 1)]),
        true,
      );
      assert.deepEqual(await s.readSamplingProbabilities(), [row('z', 'op', 1)]);
    } finally {
      await s.close();
    }
  });

  test('throughput rows are taken once; rows older than the cutoff are dropped', async () => {
    const s = await memory();
    try {
      const t = {
        tenant: DEFAULT_TENANT,
        service: 's',
        operation: 'o',
        roots: 3,
        probabilistic: 2,
        estimatedTraces: 20.5,
        unadaptable: 1,
      };
      await s.addSamplingThroughput('a', 1_000, [t]);
      await s.addSamplingThroughput('b', 5_000, [t, { ...t, operation: 'p' }]);
      const taken = await s.takeSamplingThroughput(2_000);
      assert.deepEqual(
        taken.map((r) => r.operation).sort(),
        ['o', 'p'],
        'the row written at 1000 is older than the cutoff',
      );
      assert.deepEqual(
        taken.find((r) => r.operation === 'o'),
        t,
      );
      assert.deepEqual(await s.takeSamplingThroughput(0), [], 'nothing is taken twice');
    } finally {
      await s.close();
    }
  });

  test('lease and probabilities survive closing and reopening the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skein-sampling-'));
    dirs.push(dir);
    const first = new DuckDbStorage({ path: dir });
    await first.open();
    await first.tryAcquireSamplingLease(LEASE, 'a', 1_000, 60_000);
    assert.ok(await first.writeSamplingProbabilities(LEASE, 'a', 1_000, [row('x', 'op', 0.125)]));
    await first.close();

    const second = new DuckDbStorage({ path: dir });
    await second.open();
    try {
      assert.deepEqual(await second.readSamplingProbabilities(), [row('x', 'op', 0.125)]);
      assert.equal((await second.tryAcquireSamplingLease(LEASE, 'b', 2_000, 60_000)).holder, 'a');
    } finally {
      await second.close();
    }
  });

  test('DuckDbStorage has the capability; other objects do not', () => {
    assert.equal(isSamplingStore(new DuckDbStorage({ path: ':memory:' })), true);
    assert.equal(isSamplingStore({ readSamplingProbabilities: () => [] }), false);
  });

  test('a closed store rejects', async () => {
    const s = await memory();
    await s.close();
    await assert.rejects(s.readSamplingProbabilities(), /closed/);
  });
});
