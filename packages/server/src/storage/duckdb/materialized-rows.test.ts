import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { materializedColumn, materializedRows } from './materialized-rows.ts';

let db: DuckDBInstance;
let c: DuckDBConnection;

before(async () => {
  db = await DuckDBInstance.create(':memory:');
  c = await db.connect();
});

after(() => {
  c.closeSync();
  db.closeSync();
});

// 5,000 rows span three chunks (2,048 rows each); NULLs, big integers and text on the way.
const SQL = `SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'v' || i END AS s,
  (i::UHUGEINT * 34028236692093846346337460743176821)::UHUGEINT AS big
  FROM range(5000) t(i) ORDER BY i`;

test('materializedRows reads every chunk, as getRows does', async () => {
  const prepared = await c.prepare(SQL);
  const result = await prepared.run();
  assert.ok(result.chunkCount >= 3, `expected several chunks, got ${result.chunkCount}`);
  const rows = materializedRows(result);
  assert.equal(rows.length, 5000);
  assert.deepEqual(rows, await (await prepared.run()).getRows());
  assert.deepEqual(rows[7], [7n, null, 7n * 34028236692093846346337460743176821n]);
  assert.deepEqual(rows[4999].slice(0, 2), [4999n, 'v4999']);
});

test('materializedColumn reads one column of every chunk, as getColumns does', async () => {
  const prepared = await c.prepare(SQL);
  const column = materializedColumn(await prepared.run(), 1);
  assert.equal(column.length, 5000);
  assert.deepEqual(column, (await (await prepared.run()).getColumns())[1]);
});

test('an empty result reads as no rows', async () => {
  const prepared = await c.prepare('SELECT 1 WHERE false');
  assert.deepEqual(materializedRows(await prepared.run()), []);
  assert.deepEqual(materializedColumn(await prepared.run(), 0), []);
});
