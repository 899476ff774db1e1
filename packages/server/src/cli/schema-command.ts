import { loadConfig } from '../config/load-config.ts';
import { ConfigError } from '../errors.ts';
import { initClickHouseSchema } from '../storage/clickhouse/index.ts';

export const SCHEMA_HELP = `skein schema init [--config skein.yaml] [--storage.clickhouse.urls=...]
  Creates the ClickHouse database and tables (storage.backend: clickhouse), ON CLUSTER
  when storage.clickhouse.cluster is set. Idempotent: run it again after an upgrade.`;

/**
 * `skein schema init`: the table layout of storage/clickhouse/schema.ts on the
 * configured server or cluster. Returns the exit code (0 done, 2 bad configuration,
 * 1 the server failed).
 */
export async function schemaCommand(
  configFile: string | undefined,
  overrides: Record<string, string>,
): Promise<number> {
  let config;
  try {
    config = loadConfig({ file: configFile, env: process.env, overrides });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`skein schema init: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (config.storage.backend !== 'clickhouse') {
    console.error(
      'skein schema init: storage.backend is duckdb, whose store creates its own tables; ' +
        'set storage.backend: clickhouse (and storage.clickhouse.urls) to create ClickHouse tables',
    );
    return 2;
  }
  const ch = config.storage.clickhouse;
  try {
    const { features, statements } = await initClickHouseSchema(ch);
    const where = ch.cluster === '' ? ch.urls[0] : `cluster ${ch.cluster} (via ${ch.urls[0]})`;
    console.log(
      `schema ready: database ${ch.database} on ${where}, ClickHouse ${features.version}` +
        `${features.modern ? ' (skip indexes and codecs on)' : ' (portable schema; no skip indexes or codecs)'}, ` +
        `${statements.length} statements (all IF NOT EXISTS)`,
    );
    return 0;
  } catch (err) {
    console.error(`skein schema init: ${(err as Error).message}`);
    return 1;
  }
}
