import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  BIGINT,
  DuckDBInstance,
  UBIGINT,
  UHUGEINT,
  UINTEGER,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import { DEFAULT_TENANT, SpanKind, StatusCode } from '../../model/span.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import { hexId, makeSpan, testResource } from '../conformance/test-spans.ts';
import { DuckDbStorage } from './duckdb-storage.ts';
import { TENANT_TABLES } from './schema.ts';
import { SCHEMA_V1_STATEMENTS } from './test-support/schema-v1.ts';

const MINUTE = METRICS_MINUTE;
const T0 = Math.floor((Date.now() * 1000 - 10 * MINUTE) / MINUTE) * MINUTE;
const TRACE = hexId(0x01d, 1, 32);
const ROOT = hexId(0x01d, 1, 16);
const CHILD = hexId(0x01d, 2, 16);

/**
 * A store as schema version 1 wrote it: two spans of one trace (front → back), their
 * origins, operations and trace bounds, and one row in each aggregate table.
 */
async function writeV1Store(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const instance = await DuckDBInstance.create(join(dir, 'skein.duckdb'));
  const c = await instance.connect();
  try {
    for (const sql of SCHEMA_V1_STATEMENTS) await c.run(sql);
    await c.run(`INSERT INTO skein_meta VALUES ('schema_version', '1')`);
    const resource = (service: string) =>
      JSON.stringify([service, ['service.name', 's' + service], 0, '']);
    const scope = JSON.stringify(['conformance', '1.0.0', [], 0, '']);
    await c.run(`INSERT INTO origins VALUES (1, $1, $2), (2, $3, $2)`, [
      resource('front'),
      scope,
      resource('back'),
    ]);
    const spanRow =
      'INSERT INTO spans VALUES ($1, 1000, $2, $3, $4, $5, $6, $7, 0, 1, $8, $9, [], NULL)';
    const spanTypes = [
      BIGINT,
      UHUGEINT,
      UBIGINT,
      UBIGINT,
      VARCHAR,
      VARCHAR,
      UTINYINT,
      UINTEGER,
      VARCHAR,
    ];
    const id = (hex: string) => BigInt('0x' + hex);
    await c.run(spanRow, [BigInt(T0), id(TRACE), id(ROOT), 0n, 'front', 'op', 2, 1, ''], spanTypes);
    await c.run(
      spanRow,
      [BigInt(T0 + 10), id(TRACE), id(CHILD), id(ROOT), 'back', 'op', 2, 2, ''],
      spanTypes,
    );
    await c.run(
      'INSERT INTO traces VALUES ($1, $2, $3)',
      [id(TRACE), BigInt(T0), BigInt(T0 + 10)],
      [UHUGEINT, BIGINT, BIGINT],
    );
    await c.run(`INSERT INTO operations VALUES ('front', 'op', 2), ('back', 'op', 2)`);
    await c.run(`INSERT INTO span_metrics VALUES (${T0}, 'front', 'op', 2, 0, 6, 6000, [10], [6])`);
    await c.run(`INSERT INTO completeness_roots VALUES (${T0}, 'front', 3, 2)`);
    await c.run(`INSERT INTO completeness_services VALUES (${T0}, 'front', 6, 4)`);
    await c.run(`INSERT INTO completeness_edges VALUES (${T0}, 'front', 'back', 3, 3)`);
    await c.run(`INSERT INTO completeness_breaks VALUES (${T0}, 'orphan', 'back', '', 1, ['t1'])`);
    await c.run(`INSERT INTO dependency_edges VALUES (${T0}, 'front', 'edge-only', 4, 0)`);
    await c.run(`INSERT INTO dependency_minutes VALUES (${T0})`);
    await c.run(`INSERT INTO sampling_probabilities VALUES ('front', 'op', 0.5, 2, 1, 1000)`);
    await c.run(`INSERT INTO sampling_throughput VALUES (1000, 'h', 'front', 'op', 3, 2, 4, 0)`);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

describe('a store made before tenants (schema version 1)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skein-migrate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('opens in place; every row reads as the default tenant and no other', async () => {
    const path = join(dir, 'v1');
    await writeV1Store(path);
    const store = new DuckDbStorage({ path });
    await store.open();
    try {
      const trace = await store.getTrace(DEFAULT_TENANT, TRACE);
      assert.ok(trace, 'the old trace is found as the default tenant');
      assert.deepEqual(trace.spans.map((s) => s.spanId).sort(), [ROOT, CHILD].sort());
      for (const s of trace.spans) assert.equal(s.resource.tenant, DEFAULT_TENANT);
      assert.equal(await store.getTrace('acme', TRACE), null, 'another tenant sees nothing');
      assert.deepEqual(await store.getServices(DEFAULT_TENANT), ['back', 'front']);
      assert.deepEqual(await store.getServices('acme'), []);
      const search = { tags: {}, startTimeMin: T0 - MINUTE, startTimeMax: T0 + MINUTE, limit: 10 };
      assert.deepEqual(await store.findTraceIds({ ...search, tenant: DEFAULT_TENANT }), [TRACE]);
      assert.deepEqual(await store.findTraceIds({ ...search, tenant: 'acme' }), []);
      // The minute T0 is vouched for: its edges come from the old aggregate rows.
      assert.deepEqual(await store.getDependencies(DEFAULT_TENANT, T0 + MINUTE - 1, MINUTE), [
        { parent: 'front', child: 'edge-only', callCount: 4 },
      ]);
      assert.deepEqual(await store.getDependencies('acme', T0 + MINUTE - 1, MINUTE), []);
      const metrics = {
        services: ['front'],
        groupByOperation: false,
        spanKinds: [SpanKind.Server],
        endTime: T0 + MINUTE,
        lookback: MINUTE,
        step: MINUTE,
        ratePer: MINUTE,
      };
      const calls = await store.calls({ ...metrics, tenant: DEFAULT_TENANT });
      assert.equal(calls.length, 1);
      assert.deepEqual(await store.calls({ ...metrics, tenant: 'acme' }), []);
      const window = { start: T0, end: T0 + MINUTE, step: MINUTE };
      const report = await store.completeness({ ...window, tenant: DEFAULT_TENANT });
      assert.deepEqual(report.summary, { traces: 3, complete: 2, rate: 2 / 3 });
      assert.equal((await store.completeness({ ...window, tenant: 'acme' })).summary.traces, 0);
      assert.deepEqual(
        (await store.readSamplingProbabilities()).map((r) => [r.tenant, r.service]),
        [[DEFAULT_TENANT, 'front']],
      );
      assert.deepEqual(
        (await store.takeSamplingThroughput(0)).map((r) => [r.tenant, r.roots]),
        [[DEFAULT_TENANT, 3]],
      );

      // New writes land beside the old rows, with their tenant.
      const acme = makeSpan({
        traceId: TRACE,
        spanId: ROOT,
        resource: testResource('front', 'acme'),
        kind: SpanKind.Server,
        startTime: T0 + 20,
        statusCode: StatusCode.Error,
      });
      await store.write([acme]);
      assert.deepStrictEqual((await store.getTrace('acme', TRACE))?.spans, [acme]);
      assert.equal((await store.getTrace(DEFAULT_TENANT, TRACE))?.spans.length, 2);
    } finally {
      await store.close();
    }

    // The file now has the current shape: every tenant column NOT NULL with default ''.
    const instance = await DuckDBInstance.create(join(path, 'skein.duckdb'));
    const c = await instance.connect();
    try {
      const rows = (
        await c.runAndReadAll(
          `SELECT table_name, is_nullable, column_default FROM information_schema.columns
           WHERE column_name = 'tenant' ORDER BY table_name`,
        )
      ).getRows();
      assert.deepEqual(
        rows.map((r) => r[0]),
        [...TENANT_TABLES].sort(),
      );
      for (const r of rows) assert.deepEqual([r[1], r[2]], ['NO', "''"], String(r[0]));
      const indexes = await c.runAndReadAll(
        `SELECT index_name FROM duckdb_indexes() WHERE table_name = 'traces'`,
      );
      assert.deepEqual(indexes.getRows(), [['traces_by_id']], 'the trace index is back');
      const version = await c.runAndReadAll(
        `SELECT value FROM skein_meta WHERE key = 'schema_version'`,
      );
      assert.deepEqual(version.getRows(), [['2']]);
    } finally {
      c.closeSync();
      instance.closeSync();
    }

    // Opening again is a no-op migration: the rows are still there.
    const again = new DuckDbStorage({ path });
    await again.open();
    try {
      assert.equal((await again.getTrace(DEFAULT_TENANT, TRACE))?.spans.length, 2);
      assert.equal((await again.getTrace('acme', TRACE))?.spans.length, 1);
    } finally {
      await again.close();
    }
  });
});
