import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { AnswerTooLargeError, StorageError } from '../../errors.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';
import { runCompletenessConformance } from '../conformance/completeness-conformance.ts';
import { runMetricsConformance } from '../conformance/metrics-conformance.ts';
import { runStorageConformance } from '../conformance/storage-conformance.ts';
import { fullFidelitySpan, hexId, makeSpan, testResource } from '../conformance/test-spans.ts';
import { ReadBudget } from '../read-budget.ts';
import { fromWireError, toWireError } from './thread-protocol.ts';
import { DuckDbThreadStorage } from './thread-storage.ts';

runStorageConformance('duckdb on its own thread', () =>
  Promise.resolve(new DuckDbThreadStorage({ path: ':memory:' })),
);
runMetricsConformance('duckdb on its own thread', () =>
  Promise.resolve(new DuckDbThreadStorage({ path: ':memory:' })),
);
runCompletenessConformance('duckdb on its own thread', () =>
  Promise.resolve(new DuckDbThreadStorage({ path: ':memory:' })),
);

describe('DuckDbThreadStorage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-duckdb-thread-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a file store written on the thread reopens with its spans', async () => {
    const now = Date.now() * 1000;
    const span = fullFidelitySpan('0000000000000000000000000000beef', now - 1000);
    const first = new DuckDbThreadStorage({ path: join(dir, 'reopen') });
    await first.open();
    await first.write([span], [7]);
    assert.deepEqual(await first.intakeReceipts(0), [7]);
    await first.close();
    await assert.rejects(first.getServices(DEFAULT_TENANT), StorageError);

    const second = new DuckDbThreadStorage({ path: join(dir, 'reopen') });
    await second.open();
    try {
      const trace = await second.getTrace(DEFAULT_TENANT, span.traceId);
      assert.deepStrictEqual(trace?.spans, [span]);
    } finally {
      await second.close();
    }
  });

  test("the thread's answers report its heap to its gauges", async () => {
    const registry = new Registry();
    const storage = new DuckDbThreadStorage({ path: ':memory:' }, { registry });
    assert.equal(storage.threadHeap, undefined);
    await storage.open();
    try {
      const gauge = async (name: string) =>
        (await registry.getSingleMetric(name)!.get()).values[0]?.value;
      const opened = await gauge('skein_storage_thread_heap_used_bytes');
      assert.ok(opened !== undefined && opened > 1_000_000, `heap used after open ${opened}`);
      await storage.write([
        fullFidelitySpan('0000000000000000000000000000cafe', Date.now() * 1000),
      ]);
      const used = await gauge('skein_storage_thread_heap_used_bytes');
      const size = await gauge('skein_storage_thread_heap_size_bytes');
      assert.ok(used !== undefined && used > 1_000_000, `heap used ${used}`);
      assert.ok(size !== undefined && size >= used, `heap size ${size} >= used ${used}`);
      assert.ok((await gauge('skein_storage_thread_external_memory_bytes'))! > 0);
      assert.equal((storage.threadHeap as { used: number } | undefined)?.used, used);
    } finally {
      await storage.close();
    }
  });

  test('a read over its budget rejects with AnswerTooLargeError; one within it charges the budget', async () => {
    const storage = new DuckDbThreadStorage({ path: ':memory:' });
    await storage.open();
    try {
      const now = Date.now() * 1000;
      const spans = Array.from({ length: 50 }, (_, i) =>
        makeSpan({
          traceId: hexId(0xb0d, 1, 32),
          spanId: hexId(0xb0d, i + 1, 16),
          resource: testResource('budget'),
          startTime: now - i,
        }),
      );
      await storage.write(spans);
      const small = new ReadBudget(100);
      await assert.rejects(
        storage.getTrace(DEFAULT_TENANT, spans[0].traceId, undefined, small),
        (err: unknown) => err instanceof AnswerTooLargeError && err.statusCode === 413,
      );
      const big = new ReadBudget(10_000_000);
      const trace = await storage.getTrace(DEFAULT_TENANT, spans[0].traceId, undefined, big);
      assert.equal(trace?.spans.length, 50);
      assert.ok(big.used > 0, 'the thread charged what it decoded to the caller budget');
    } finally {
      await storage.close();
    }
  });

  test('opening a path that cannot be a directory rejects with StorageError', async () => {
    const storage = new DuckDbThreadStorage({ path: '/proc/version/skein' });
    await assert.rejects(storage.open(), StorageError);
    await assert.rejects(storage.getServices(DEFAULT_TENANT), StorageError);
  });

  test('errors keep their class, fields and cause across the thread boundary', () => {
    const cause = new Error('disk full');
    const original = new StorageError(['commit', 'disk full'], { cause });
    const copy = fromWireError(structuredClone(toWireError(original)));
    assert.ok(copy instanceof StorageError);
    assert.equal(copy.message, original.message);
    assert.equal((copy as StorageError).code, 'SKEIN_STORAGE_ERROR');
    assert.equal((copy as StorageError).statusCode, 500);
    assert.equal((copy.cause as Error).message, 'disk full');
    const plain = fromWireError(structuredClone(toWireError(new TypeError('bad'))));
    assert.equal(plain.name, 'TypeError');
    assert.equal(plain.message, 'bad');
  });
});

describe('DuckDbThreadStorage with arguments it cannot send', () => {
  test('a call whose arguments cannot be cloned rejects with StorageError; the store keeps working', async () => {
    const storage = new DuckDbThreadStorage({ path: ':memory:' });
    await storage.open();
    try {
      const query = { tenant: DEFAULT_TENANT, serviceName: 'svc', notCloneable: () => 1 };
      await assert.rejects(
        storage.getOperations(query as unknown as Parameters<typeof storage.getOperations>[0]),
        StorageError,
      );
      assert.deepEqual(await storage.getServices(DEFAULT_TENANT), []);
    } finally {
      await storage.close();
    }
  });

  test('spans the codec refuses make write reject (not throw) with StorageError', async () => {
    const storage = new DuckDbThreadStorage({ path: ':memory:' });
    await storage.open();
    try {
      const good = makeSpan({
        traceId: hexId(0xbad, 1, 32),
        spanId: hexId(0xbad, 1, 16),
        resource: testResource('after-a-bad-write'),
        startTime: Date.now() * 1000,
      });
      const broken = { ...good, attributes: { not: 'a list' } } as unknown as Parameters<
        typeof storage.write
      >[0][number];
      let pending: Promise<void> | undefined;
      assert.doesNotThrow(() => (pending = storage.write([broken])));
      await assert.rejects(pending!, StorageError);
      await storage.write([good]);
      assert.equal((await storage.getServices(DEFAULT_TENANT)).length, 1);
    } finally {
      await storage.close();
    }
  });

  test('a thread that dies fails every call with StorageError, and ping says why (for /ready)', async () => {
    let thread: Worker | undefined;
    const storage = new DuckDbThreadStorage(
      { path: ':memory:' },
      { onThread: (w) => (thread = w) },
    );
    await storage.open();
    assert.equal(await storage.ping(), true);
    await thread!.terminate();
    const why = await storage.ping();
    assert.match(String(why), /storage thread is gone: its thread exited/);
    await assert.rejects(storage.getServices(DEFAULT_TENANT), StorageError);
    await storage.close();
  });
});
