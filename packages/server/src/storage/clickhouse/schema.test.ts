import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DAY_PARTITIONED_TABLES,
  migrationStatements,
  schemaStatements,
  serverFeatures,
  TENANT_TABLES,
} from './schema.ts';

/*
 * The DDL as text (the cluster tests run it: clickhouse-tenancy.test.ts migrates a
 * pre-tenant database on the real cluster). Here: what is asked of which table.
 */

const OLD = serverFeatures('18.16.1');
const MODERN = serverFeatures('24.8.4.13');

/** Every column the current layout has, as `table.column` for `system.columns`. */
function everyColumn(clustered: boolean): Set<string> {
  const present = new Set<string>();
  for (const t of [...DAY_PARTITIONED_TABLES, 'purge_marks']) {
    for (const c of ['tenant', 'scope', 'except_tenants']) {
      present.add(`${t}.${c}`);
      if (clustered) present.add(`${t}_local.${c}`);
    }
  }
  return present;
}

test('tenant is first in the sort key of every span and aggregate table', () => {
  for (const features of [OLD, MODERN]) {
    const ddl = schemaStatements({ database: 'skein', cluster: '' }, features);
    for (const table of TENANT_TABLES) {
      const create = ddl.find((d) => d.includes(`EXISTS skein.${table} (`));
      assert.ok(create, table);
      assert.match(create, /ORDER BY \(tenant, /, table);
      assert.match(
        create,
        features.modern ? /tenant LowCardinality\(String\)/ : /tenant String,/,
        table,
      );
    }
  }
});

test('an up-to-date database needs no migration', () => {
  assert.deepEqual(
    migrationStatements({ database: 'skein', cluster: '' }, OLD, everyColumn(false)),
    [],
  );
  assert.deepEqual(
    migrationStatements({ database: 'skein', cluster: 'c' }, OLD, everyColumn(true)),
    [],
  );
});

test('one server: a missing column is added to that table only', () => {
  const present = everyColumn(false);
  present.delete('spans.tenant');
  assert.deepEqual(migrationStatements({ database: 'skein', cluster: '' }, MODERN, present), [
    "ALTER TABLE skein.spans ADD COLUMN tenant LowCardinality(String) DEFAULT ''",
  ]);
});

test('a cluster: the local table altered ON CLUSTER, the Distributed table made again', () => {
  const present = everyColumn(true);
  present.delete('purge_marks_local.scope');
  present.delete('purge_marks.scope');
  const ddl = migrationStatements({ database: 'skein', cluster: 'c' }, OLD, present);
  assert.equal(ddl.length, 3);
  assert.equal(
    ddl[0],
    'ALTER TABLE skein.purge_marks_local ON CLUSTER c ADD COLUMN scope UInt8 DEFAULT 0',
  );
  assert.equal(ddl[1], 'DROP TABLE IF EXISTS skein.purge_marks ON CLUSTER c');
  assert.match(
    ddl[2],
    /^CREATE TABLE IF NOT EXISTS skein\.purge_marks ON CLUSTER c AS skein\.purge_marks_local\s+ENGINE = Distributed\(c, skein, purge_marks_local, rand\(\)\)$/,
  );
});
