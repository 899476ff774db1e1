import type { Logger } from 'pino';
import { ClickHouseStorage } from './clickhouse-storage.ts';
import { ClickHouseConnection } from './connection.ts';
import { serverFeatures } from './schema.ts';
import { applySchema } from './schema-init.ts';
import type { ServerFeatures } from './schema.ts';

/** `storage.clickhouse` in the configuration (docs/configuration.md). */
export interface ClickHouseConfig {
  /** HTTP urls of one or several nodes, tried in order when one is down. */
  urls: string[];
  /** Cluster name in the servers' `remote_servers`; '' for one server without replication. */
  cluster: string;
  database: string;
  username: string;
  /** May be `${env:NAME}` in the file (expanded when the configuration loads). */
  password: string;
  /** Per-request timeout, ms. */
  requestTimeoutMs: number;
  /** Create missing tables when the store opens (else `skein schema init` must have run). */
  createSchema: boolean;
}

export function createClickHouseStorage(
  config: ClickHouseConfig,
  logger?: Logger,
): ClickHouseStorage {
  return new ClickHouseStorage({ ...config, logger });
}

/**
 * `skein schema init`: creates the database and every table (ON CLUSTER when a cluster
 * is named), and adds the tenant columns to tables an older Skein created. Idempotent:
 * a second run changes nothing. Returns the statements run
 * and the server's features (which decided the modern-only DDL).
 */
export async function initClickHouseSchema(
  config: ClickHouseConfig,
): Promise<{ features: ServerFeatures; statements: string[] }> {
  const connection = new ClickHouseConnection(config);
  try {
    const [row] = await connection.select<{ v: string }>('SELECT version() AS v');
    const features = serverFeatures(row.v);
    const statements = await applySchema(connection, config, features);
    return { features, statements };
  } finally {
    await connection.close();
  }
}
