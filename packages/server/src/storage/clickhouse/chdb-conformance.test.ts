import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { runCompletenessConformance } from '../conformance/completeness-conformance.ts';
import { runMetricsConformance } from '../conformance/metrics-conformance.ts';
import { runStorageConformance } from '../conformance/storage-conformance.ts';
import { ClickHouseStorage } from './clickhouse-storage.ts';
import type { ClickHouseTransport } from './connection.ts';

/*
 * The same conformance suites on a MODERN ClickHouse (the one the `chdb` npm package
 * embeds, 26.x), one server without a cluster, so the portable dialect and the
 * modern-only DDL (codecs, skip index) are checked beyond Debian's 18.16.
 *
 * chdb is 546 MB and not a dependency (docs/scale-out.md says why): this file runs
 * only when SKEIN_CHDB_DIR names a folder where it is installed
 * (`npm install --prefix /tmp/chdb chdb`, then SKEIN_CHDB_DIR=/tmp/chdb); otherwise
 * it is skipped.
 */

interface ChdbSession {
  query(sql: string, format?: string): string;
  cleanup?(): void;
}

const chdbDir = process.env.SKEIN_CHDB_DIR ?? '';
const chdbModule = join(chdbDir, 'node_modules', 'chdb');
const available = chdbDir !== '' && existsSync(chdbModule);

/** chdb's in-process session as the store's transport (settings are for clusters; ignored). */
class ChdbTransport implements ClickHouseTransport {
  constructor(private readonly session: ChdbSession) {}
  select<T>(query: string): Promise<T[]> {
    const text = this.session.query(query, 'JSONEachRow');
    return Promise.resolve(
      String(text)
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as T),
    );
  }
  async selectEach<T>(query: string, onRow: (row: T) => boolean): Promise<void> {
    for (const row of await this.select<T>(query)) if (!onRow(row)) return;
  }
  command(query: string): Promise<void> {
    this.session.query(query, 'CSV');
    return Promise.resolve();
  }
  insert(table: string, body: string): Promise<void> {
    if (body.length > 0) this.session.query(`INSERT INTO ${table} FORMAT JSONEachRow\n${body}`);
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe(
  'ClickHouse storage on modern ClickHouse (chdb)',
  { skip: !available && 'chdb not installed (set SKEIN_CHDB_DIR; see docs/scale-out.md)' },
  () => {
    if (!available) return;
    const require = createRequire(join(chdbDir, 'package.json'));
    const { Session } = require(chdbModule) as { Session: new (path: string) => ChdbSession };
    const dir = `/tmp/skein-chdb-${process.pid}`;
    const session = new Session(dir);
    after(() => {
      session.cleanup?.();
      rmSync(dir, { recursive: true, force: true });
    });
    let databases = 0;
    const newStore = (): Promise<ClickHouseStorage> =>
      Promise.resolve(
        new ClickHouseStorage({
          urls: ['chdb:'],
          cluster: '',
          database: `skein_chdb_${++databases}`,
          username: '',
          password: '',
          requestTimeoutMs: 30_000,
          createSchema: true,
          transport: new ChdbTransport(session),
        }),
      );
    runStorageConformance('clickhouse (chdb, modern)', newStore);
    runMetricsConformance('clickhouse (chdb, modern)', newStore);
    runCompletenessConformance('clickhouse (chdb, modern)', newStore);
  },
);
