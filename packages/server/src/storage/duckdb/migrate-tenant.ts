import type { DuckDBConnection } from '@duckdb/node-api';
import { TENANT_TABLES } from './schema.ts';

/**
 * Brings a store made before tenants (schema version 1) to the current shape, in place:
 * every table of TENANT_TABLES that lacks `tenant` gets it, and its rows read as
 * DEFAULT_TENANT (''). Idempotent; a no-op on a current store.
 *
 * DuckDB 1.x cannot add a column with a constraint in one statement ("Adding columns
 * with constraints not yet supported") nor alter a table an index depends on, so the
 * column is added with its default, then made NOT NULL, with `traces_by_id` dropped
 * around it (schema.ts INDEX_STATEMENTS recreates it). Adding a column with a constant
 * default rewrites nothing: old row groups read the default. Table names are this
 * module's constants, never input.
 */
export async function migrateTenant(c: DuckDBConnection): Promise<string[]> {
  const present = await c.runAndReadAll(
    `SELECT table_name FROM information_schema.columns
     WHERE table_catalog = current_database() AND column_name = 'tenant'`,
  );
  const has = new Set(present.getRows().map((r) => r[0] as string));
  const migrated: string[] = [];
  for (const table of TENANT_TABLES) {
    if (has.has(table)) continue;
    if (table === 'traces') await c.run('DROP INDEX IF EXISTS traces_by_id');
    await c.run(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS tenant VARCHAR DEFAULT ''`);
    await c.run(`ALTER TABLE ${table} ALTER COLUMN tenant SET NOT NULL`);
    migrated.push(table);
  }
  return migrated;
}
