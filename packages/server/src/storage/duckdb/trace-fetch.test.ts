import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance, UHUGEINT, VARCHAR } from '@duckdb/node-api';
import { CREATE_STATEMENTS, INDEX_STATEMENTS } from './schema.ts';
import { buildTraceFetch, CLUSTER_GAP_MICROS, TRACE_BY_ID_SQL } from './trace-fetch.ts';

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

test("one trace's read probes the index and scans only the row groups of its bounds", async () => {
  const db = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await db.connect();
  for (const sql of [...CREATE_STATEMENTS, ...INDEX_STATEMENTS]) await c.run(sql);
  // 500k spans in start-time order, 4 per trace; trace 1000 also has a span of acme's.
  const SPANS = 500_000;
  await c.run(`INSERT INTO spans SELECT range, 1, (range // 4)::UHUGEINT, range::UBIGINT, 0, 's', 'n',
    0, 0, 0, 0, '', ['k' || chr(0) || 'v'], NULL, '' FROM range(0, ${SPANS})`);
  await c.run(`INSERT INTO spans VALUES (4001, 1, 1000, 9, 0, 's', 'n', 0, 0, 0, 0, '', [], NULL, 'acme')`);
  await c.run(`INSERT INTO traces SELECT (range // 4)::UHUGEINT, min(range), max(range), ''
    FROM range(0, ${SPANS}) GROUP BY range // 4`);
  await c.run(`INSERT INTO traces VALUES (1000, 4001, 4001, 'acme')`);
  const read = async (id: bigint, tenant: string) =>
    (await c.runAndReadAll(TRACE_BY_ID_SQL, [id, tenant], [UHUGEINT, VARCHAR])).getRows();

  assert.deepEqual(
    (await read(1000n, '')).map((r) => r[3]),
    [4000n, 4001n, 4002n, 4003n],
  );
  assert.deepEqual(
    (await read(1000n, 'acme')).map((r) => r[3]),
    [9n],
  );
  assert.deepEqual(await read(10n ** 9n, ''), [], 'an unknown id reads nothing');

  const plan = (
    await c.runAndReadAll('EXPLAIN ANALYZE ' + TRACE_BY_ID_SQL, [100_000n, ''], [UHUGEINT, VARCHAR])
  )
    .getRows()
    .map((r) => String(r[1]))
    .join('\n');
  assert.match(plan, /Index Scan/, 'the bounds come from the ART index, not a scan of traces');
  assert.match(plan, /Dynamic Filters:[\s│]*start_time/, 'the bounds reach the spans scan');
  await c.run(`PRAGMA enable_profiling = 'json'`);
  await c.run(`PRAGMA profiling_output = ''`);
  const profile = JSON.parse(
    String(
      (
        await c.runAndReadAll('EXPLAIN ANALYZE ' + TRACE_BY_ID_SQL, [100_000n, ''], [UHUGEINT, VARCHAR])
      ).getRows()[0][1],
    ),
  ) as { children: ProfileNode[] };
  const scanned = rowsScanned(profile.children, 'spans');
  assert.ok(
    scanned > 0 && scanned <= SPANS / 2,
    `the spans scan read ${scanned} of ${SPANS} rows: the zonemap pruned nothing`,
  );
  c.closeSync();
  db.closeSync();
});

interface ProfileNode {
  operator_name?: string;
  operator_type?: string;
  operator_rows_scanned?: number;
  extra_info?: Record<string, unknown>;
  children: ProfileNode[];
}

/** Rows the table scans of `table` read, from DuckDB's JSON profile. */
function rowsScanned(nodes: ProfileNode[], table: string): number {
  let n = 0;
  for (const node of nodes) {
    if (String(node.extra_info?.Table ?? '').endsWith(table)) n += node.operator_rows_scanned ?? 0;
    n += rowsScanned(node.children, table);
  }
  return n;
}
