import type { ClickHouseTransport } from './connection.ts';
import { migrationStatements, schemaStatements } from './schema.ts';
import type { SchemaOptions, ServerFeatures } from './schema.ts';
import { sqlString } from './sql-literal.ts';

/**
 * Creates what is missing (`schemaStatements`), then adds the columns that tables
 * created by an older Skein lack (`migrationStatements`, decided from the
 * `system.columns` of the node asked). Idempotent: a second run runs only the
 * `IF NOT EXISTS` statements, which change nothing. Returns every statement run.
 */
export async function applySchema(
  connection: ClickHouseTransport,
  options: SchemaOptions,
  features: ServerFeatures,
): Promise<string[]> {
  const statements = schemaStatements(options, features);
  for (const ddl of statements) await connection.command(ddl);
  const columns = await connection.select<{ t: string; c: string }>(
    `SELECT table AS t, name AS c FROM system.columns WHERE database = ${sqlString(options.database)}`,
  );
  const present = new Set(columns.map((r) => `${r.t}.${r.c}`));
  const migrations = migrationStatements(options, features, present);
  for (const ddl of migrations) await connection.command(ddl);
  return [...statements, ...migrations];
}
