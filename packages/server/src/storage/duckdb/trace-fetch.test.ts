import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildTraceFetch, CLUSTER_GAP_MICROS } from './trace-fetch.ts';

test('traces close in time share one range scan; a distant one gets its own', () => {
  const s = 1_000_000_000n;
  const { sql, values } = buildTraceFetch(
    [
      [3n, s + 60_000_000n, s + 61_000_000n],
      [1n, s, s + 2_000_000n],
      [2n, s + 2_000_000n + CLUSTER_GAP_MICROS, s + 9_000_000n],
    ],
    'acme',
  );
  const branches = sql.split(' UNION ALL ');
  assert.equal(branches.length, 2);
  assert.match(
    branches[0],
    /start_time >= \$2 AND start_time <= \$3 AND trace_id IN \(\$4, \$5\) AND tenant = \$1/,
  );
  assert.match(
    branches[1],
    /start_time >= \$6 AND start_time <= \$7 AND trace_id IN \(\$8\) AND tenant = \$1/,
  );
  assert.deepEqual(values, [
    'acme',
    s,
    s + 9_000_000n,
    1n,
    2n,
    s + 60_000_000n,
    s + 61_000_000n,
    3n,
  ]);
});

test("the statement reads exactly the spans of the asked traces, the asking tenant's only", async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  await c.run(`CREATE TABLE spans AS SELECT range::BIGINT AS start_time, 0::BIGINT AS duration,
    (range % 5)::UHUGEINT AS trace_id, range::UBIGINT AS span_id, 0::UBIGINT AS parent_span_id,
    'n' AS name, 0::UTINYINT AS kind, 0::UTINYINT AS status_code, 0::UINTEGER AS flags,
    0::UINTEGER AS origin_id, '' AS attr_types, []::VARCHAR[] AS tags, NULL::VARCHAR AS extra,
    CASE WHEN range % 2 = 0 THEN 'acme' ELSE 'globex' END AS tenant
    FROM range(0, 100)`);
  // Trace k has spans at k, k + 5, ..., k + 95: those are its bounds, as `traces` keeps them.
  // Every trace has rows of both tenants (even start times are acme's): half are read.
  const { sql, values, types } = buildTraceFetch(
    [
      [1n, 1n, 96n],
      [3n, 3n, 98n],
      [4n, 4n, 99n],
    ],
    'acme',
  );
  const rows = (await c.runAndReadAll(sql, values, types)).getRows();
  const byTrace = new Map<bigint, number>();
  for (const r of rows) byTrace.set(r[2] as bigint, (byTrace.get(r[2] as bigint) ?? 0) + 1);
  assert.deepEqual([...byTrace.entries()].sort(), [
    [1n, 10],
    [3n, 10],
    [4n, 10],
  ]);
  for (const r of rows) assert.equal(Number(r[0] as bigint) % 2, 0, 'only acme rows');
  c.closeSync();
  db.closeSync();
});
