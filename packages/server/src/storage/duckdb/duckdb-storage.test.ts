import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { isSkeinError } from '../../errors.ts';
import { DEFAULT_TENANT, ValueType } from '../../model/span.ts';
import { runStorageConformance } from '../conformance/storage-conformance.ts';
import { fullFidelitySpan, hexId, makeSpan, testResource } from '../conformance/test-spans.ts';
import type { Span } from '../../model/span.ts';
import { DuckDbStorage } from './duckdb-storage.ts';

/** Row counts of a closed store's file. */
async function countRows(file: string, queries: string[]): Promise<number[]> {
  const instance = await DuckDBInstance.create(file);
  const c = await instance.connect();
  try {
    const out: number[] = [];
    for (const sql of queries) out.push(Number((await c.runAndReadAll(sql)).getRows()[0][0]));
    return out;
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** `n` spans of new traces, each with its own (equal) resource object, one operation. */
function sharedBatch(tag: number, n: number, service: string, start: number): Span[] {
  const spans: Span[] = [];
  for (let i = 1; i <= n; i++) {
    spans.push(
      makeSpan({
        traceId: hexId(tag, i, 32),
        spanId: hexId(tag, i, 16),
        resource: testResource(service),
        name: 'shared-op',
        startTime: start + i,
      }),
    );
  }
  return spans;
}

const DANGLING_ORIGINS =
  'SELECT count(*) FROM spans WHERE origin_id NOT IN (SELECT id FROM origins)';

runStorageConformance('duckdb (:memory:)', () =>
  Promise.resolve(new DuckDbStorage({ path: ':memory:' })),
);

describe('DuckDbStorage on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-duckdb-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('spans survive close and reopen', async () => {
    const now = Date.now() * 1000;
    const span = fullFidelitySpan('0000000000000000000000000000d15c', now - 1000);
    const other = makeSpan({
      traceId: hexId(0xd15c, 2, 32),
      spanId: hexId(0xd15c, 2, 16),
      resource: testResource('disk-service'),
      name: 'disk-op',
      startTime: now - 500,
    });
    other.attributes.push({ key: 'disk', type: ValueType.Bool, value: true });

    const first = new DuckDbStorage({ path: join(dir, 'nested', 'data') });
    await first.open();
    await first.write([span, other]);
    await first.close();
    assert.ok(statSync(join(dir, 'nested', 'data', 'skein.duckdb')).isFile());

    const second = new DuckDbStorage({ path: join(dir, 'nested', 'data') });
    await second.open();
    try {
      const t = await second.getTrace(DEFAULT_TENANT, span.traceId);
      assert.ok(t);
      assert.deepStrictEqual(t.spans, [fullFidelitySpan(span.traceId, span.startTime)]);
      assert.deepEqual(await second.getServices(DEFAULT_TENANT), [
        'disk-service',
        'fidelity-service',
      ]);
      assert.deepEqual(
        await second.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'disk-service' }),
        [{ name: 'disk-op', spanKind: 'internal' }],
      );
      // Resource and scope tags are searchable after a restart (the origin cache is reloaded).
      const ids = await second.findTraceIds({
        tenant: DEFAULT_TENANT,
        tags: { 'otel.scope.name': 'fidelity-lib', 'host.cores': '8' },
        startTimeMin: now - 60_000_000,
        startTimeMax: now,
        limit: 10,
      });
      assert.deepEqual(ids, [span.traceId]);
      // A new resource written after the restart gets a fresh origin id.
      const third = makeSpan({
        traceId: hexId(0xd15c, 3, 32),
        spanId: hexId(0xd15c, 3, 16),
        resource: testResource('after-restart'),
        startTime: now - 100,
      });
      await second.write([third]);
      assert.deepStrictEqual((await second.getTrace(DEFAULT_TENANT, third.traceId))?.spans, [
        third,
      ]);
      assert.deepStrictEqual((await second.getTrace(DEFAULT_TENANT, other.traceId))?.spans, [
        other,
      ]);
    } finally {
      await second.close();
    }
  });

  test('purgeBefore leaves no row of a purged span in any table', async () => {
    const path = join(dir, 'purge');
    const now = Date.now() * 1000;
    const old = makeSpan({
      traceId: hexId(0x9e, 1, 32),
      spanId: hexId(0x9e, 1, 16),
      resource: testResource('purged-service'),
      name: 'purged-op',
      startTime: now - 100 * 3_600_000_000,
    });
    const kept = makeSpan({
      traceId: hexId(0x9e, 2, 32),
      spanId: hexId(0x9e, 2, 16),
      resource: testResource('kept-service'),
      name: 'kept-op',
      startTime: now - 1000,
    });
    const store = new DuckDbStorage({ path });
    await store.open();
    await store.write([old, kept]);
    assert.equal(await store.purgeBefore(now - 3_600_000_000), 1);
    await store.close();

    const instance = await DuckDBInstance.create(join(path, 'skein.duckdb'));
    const c = await instance.connect();
    try {
      const count = async (sql: string): Promise<number> =>
        Number((await c.runAndReadAll(sql)).getRows()[0][0] as bigint);
      assert.equal(await count('SELECT count(*) FROM spans'), 1);
      assert.equal(await count(`SELECT count(*) FROM spans WHERE service = 'purged-service'`), 0);
      assert.equal(await count('SELECT count(*) FROM traces'), 1);
      assert.equal(
        await count(`SELECT count(*) FROM operations WHERE service = 'purged-service'`),
        0,
      );
      assert.equal(await count('SELECT count(*) FROM operations'), 1);
      assert.equal(
        await count(`SELECT count(*) FROM origins WHERE resource LIKE '%purged-service%'`),
        0,
      );
      assert.equal(await count('SELECT count(*) FROM origins'), 1);
    } finally {
      c.closeSync();
      instance.closeSync();
    }
  });

  test('writes queued before close are flushed, not refused', async () => {
    const path = join(dir, 'flush');
    const span = makeSpan({
      traceId: hexId(0xf1, 1, 32),
      spanId: hexId(0xf1, 1, 16),
      resource: testResource('flushed'),
      startTime: Date.now() * 1000,
    });
    const first = new DuckDbStorage({ path });
    await first.open();
    const pending = first.write([span]);
    await first.close();
    await pending;
    const second = new DuckDbStorage({ path });
    await second.open();
    try {
      assert.deepStrictEqual((await second.getTrace(DEFAULT_TENANT, span.traceId))?.spans, [span]);
    } finally {
      await second.close();
    }
  });

  test('calls after close reject with StorageError', async () => {
    const store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    await store.close();
    await assert.rejects(
      store.getTrace(DEFAULT_TENANT, hexId(1, 1, 32)),
      (err) => isSkeinError(err) && err.code === 'SKEIN_STORAGE_ERROR',
    );
    await assert.rejects(
      store.write([
        makeSpan({
          traceId: hexId(1, 1, 32),
          spanId: hexId(1, 1, 16),
          resource: testResource('x'),
          startTime: 1,
        }),
      ]),
      (err) => isSkeinError(err) && err.code === 'SKEIN_STORAGE_ERROR',
    );
  });

  test('a batch that fails is not half written, and the store keeps working', async () => {
    const store = new DuckDbStorage({ path: ':memory:' });
    await store.open();
    try {
      const resource = testResource('failing');
      const good = makeSpan({
        traceId: hexId(0xfa, 1, 32),
        spanId: hexId(0xfa, 1, 16),
        resource,
        startTime: 1_000_000,
      });
      const bad = makeSpan({
        traceId: 'zz-not-hex',
        spanId: hexId(0xfa, 2, 16),
        resource,
        startTime: 1_000_001,
      });
      await assert.rejects(
        store.write([good, bad]),
        (err) => isSkeinError(err) && err.code === 'SKEIN_STORAGE_ERROR',
      );
      assert.equal(await store.getTrace(DEFAULT_TENANT, good.traceId), null);
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), []);
      await store.write([good]);
      assert.deepStrictEqual((await store.getTrace(DEFAULT_TENANT, good.traceId))?.spans, [good]);
    } finally {
      await store.close();
    }
  });

  test('concurrent batches sharing a new origin and operation insert each once', async () => {
    const path = join(dir, 'concurrent');
    const now = Date.now() * 1000;
    const store = new DuckDbStorage({ path });
    await store.open();
    const batches = [1, 2, 3, 4].map((b) => sharedBatch(0xc0 + b, 50, 'shared-service', now));
    try {
      await Promise.all(batches.map((b) => store.write(b)));
      for (const b of batches) {
        assert.deepStrictEqual((await store.getTrace(DEFAULT_TENANT, b[7].traceId))?.spans, [b[7]]);
      }
      assert.deepEqual(
        await store.getOperations({ tenant: DEFAULT_TENANT, serviceName: 'shared-service' }),
        [{ name: 'shared-op', spanKind: 'internal' }],
      );
    } finally {
      await store.close();
    }
    assert.deepEqual(
      await countRows(join(path, 'skein.duckdb'), [
        'SELECT count(*) FROM spans',
        'SELECT count(*) FROM origins',
        'SELECT count(*) FROM operations',
        DANGLING_ORIGINS,
      ]),
      [200, 1, 1, 0],
    );
  });

  test('a batch referencing the new rows of a batch that failed to commit fails too', async () => {
    const path = join(dir, 'cascade');
    const now = Date.now() * 1000;
    const store = new DuckDbStorage({ path });
    await store.open();
    const first = sharedBatch(0xca1, 20, 'cascade-service', now);
    const second = sharedBatch(0xca2, 20, 'cascade-service', now);
    // The first COMMIT fails inside DuckDB (a real failed statement in the open
    // transaction), after the second batch was encoded referencing its new rows.
    const run = DuckDBConnection.prototype.run;
    let failed = false;
    DuckDBConnection.prototype.run = function (this: DuckDBConnection, sql, ...rest) {
      if (sql === 'COMMIT' && !failed) {
        failed = true;
        return run.call(this, `SELECT error('injected commit failure')`);
      }
      return run.call(this, sql, ...rest);
    };
    try {
      const results = await Promise.allSettled([store.write(first), store.write(second)]);
      DuckDBConnection.prototype.run = run;
      assert.ok(failed);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok(isSkeinError(r.reason) && r.reason.code === 'SKEIN_STORAGE_ERROR');
      }
      assert.equal(await store.getTrace(DEFAULT_TENANT, first[0].traceId), null);
      assert.equal(await store.getTrace(DEFAULT_TENANT, second[0].traceId), null);
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), []);
      await Promise.all([store.write(second), store.write(first)]);
      assert.deepStrictEqual((await store.getTrace(DEFAULT_TENANT, first[3].traceId))?.spans, [
        first[3],
      ]);
      assert.deepStrictEqual((await store.getTrace(DEFAULT_TENANT, second[3].traceId))?.spans, [
        second[3],
      ]);
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), ['cascade-service']);
    } finally {
      DuckDBConnection.prototype.run = run;
      await store.close();
    }
    assert.deepEqual(
      await countRows(join(path, 'skein.duckdb'), [
        'SELECT count(*) FROM spans',
        'SELECT count(*) FROM origins',
        'SELECT count(*) FROM operations',
        DANGLING_ORIGINS,
      ]),
      [40, 1, 1, 0],
    );
  });
});

describe('DuckDbStorage: strings with control characters, NUL and lone surrogates', () => {
  const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
  const cases: [what: string, text: string][] = [
    ['the usual separator, U+0001', 'a\u0001b'],
    ['U+0001 to U+0003', '\u0001\u0002\u0003'],
    ['every code point 1–31', `x${controls}y`],
    ['NUL', 'a\u0000b'],
    ["a lone surrogate (U+FFFD in the span's own columns)", 'a\ud800b'],
    ['empty', ''],
  ];

  test('service, name, attributes, events and links come back exactly, and tags search them', async () => {
    const storage = new DuckDbStorage({ path: ':memory:' });
    await storage.open();
    try {
      const now = Date.now() * 1000;
      const spans = cases.map(([what, text], i) => {
        const span = makeSpan({
          traceId: hexId(0x9ac, i + 1, 32),
          spanId: hexId(0x9ac, i + 1, 16),
          resource: testResource(`svc${text}`),
          name: `op${text}`,
          startTime: now - i,
        });
        span.attributes = [
          { key: `key${text}`, type: ValueType.String, value: `value${text}` },
          { key: 'what', type: ValueType.String, value: what },
          { key: 'n', type: ValueType.Int, value: i },
        ];
        span.events = [
          {
            time: now - i,
            name: `event${text}`,
            attributes: [{ key: `ek${text}`, type: ValueType.String, value: text }],
            droppedAttributesCount: 0,
          },
        ];
        return span;
      });
      const bare = makeSpan({
        traceId: hexId(0x9ac, 99, 32),
        spanId: hexId(0x9ac, 99, 16),
        resource: testResource('bare'),
        startTime: now,
      });
      await storage.write([...spans, bare]);
      const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');
      for (const [i, [what, text]] of cases.entries()) {
        const trace = await storage.getTrace(DEFAULT_TENANT, spans[i].traceId);
        const got = trace?.spans[0];
        assert.ok(got !== undefined, what);
        const t = wellFormed(text);
        assert.equal(got.name, `op${t}`, what);
        // The resource comes back from `origins` (JSON), as it was written.
        assert.equal(got.resource.serviceName, `svc${text}`, what);
        assert.deepEqual(
          got.attributes,
          [
            { key: `key${t}`, type: ValueType.String, value: `value${t}` },
            { key: 'what', type: ValueType.String, value: what },
            { key: 'n', type: ValueType.Int, value: i },
          ],
          what,
        );
        // Events travel in `extra` (JSON): exact, lone surrogates included.
        assert.equal(got.events[0].name, `event${text}`, what);
        assert.deepEqual(
          got.events[0].attributes,
          [{ key: `ek${text}`, type: ValueType.String, value: text }],
          what,
        );
        if (t !== text) continue;
        const found = await storage.findTraces({
          tenant: DEFAULT_TENANT,
          tags: { [`key${text}`]: `value${text}` },
          startTimeMin: now - 1_000_000,
          startTimeMax: now + 1_000_000,
          limit: 10,
        });
        assert.deepEqual(
          found.map((tr) => tr.spans[0].traceId),
          [spans[i].traceId],
          `${what}: the tag term is found as one term`,
        );
      }
      const back = await storage.getTrace(DEFAULT_TENANT, bare.traceId);
      assert.deepEqual(back?.spans[0].attributes, []);
      assert.deepEqual(back?.spans[0].events, []);
    } finally {
      await storage.close();
    }
  });
});
