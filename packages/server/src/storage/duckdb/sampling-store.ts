import { BIGINT, DOUBLE, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { StorageError } from '../../errors.ts';
import type {
  OperationProbabilityRow,
  SamplingLease,
  SamplingStore,
  ThroughputRow,
} from '../sampling-store.ts';

/** Upsert that takes the lease only when it is free, expired or the caller's own. */
const ACQUIRE = `
  INSERT INTO sampling_leases (name, holder, expires_at) VALUES ($1, $2, $3)
  ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
  WHERE sampling_leases.holder = excluded.holder OR sampling_leases.expires_at <= $4
  RETURNING holder, expires_at`;
const ACQUIRE_TYPES: DuckDBType[] = [VARCHAR, VARCHAR, BIGINT, BIGINT];

const PROBABILITY_TYPES: DuckDBType[] = [VARCHAR, VARCHAR, DOUBLE, DOUBLE, DOUBLE, BIGINT, VARCHAR];
const THROUGHPUT_TYPES: DuckDBType[] = [
  BIGINT,
  VARCHAR,
  VARCHAR,
  VARCHAR,
  BIGINT,
  BIGINT,
  DOUBLE,
  BIGINT,
  VARCHAR,
];

/**
 * The `sampling_*` tables (schema.ts) behind `SamplingStore`, on a connection of their
 * own. Calls run one at a time on it (a DuckDB connection has one transaction); a
 * transaction that conflicts with another connection's (DuckDB's optimistic
 * concurrency) is rolled back and, for the lease, reported as not acquired. Every
 * value is a bound parameter.
 */
export class DuckDbSamplingStore implements SamplingStore {
  #chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly connection: DuckDBConnection) {}

  /** A connection on `instance`, whose `skein` database holds the tables. */
  static async open(instance: DuckDBInstance): Promise<DuckDbSamplingStore> {
    const c = await instance.connect();
    await c.run('USE skein');
    return new DuckDbSamplingStore(c);
  }

  close(): void {
    this.connection.closeSync();
  }

  #serial<T>(operation: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const p = this.#chain.then(() => fn(this.connection));
    this.#chain = p.catch(() => undefined);
    return p.catch((err: unknown) => {
      throw err instanceof StorageError
        ? err
        : new StorageError([operation, String(err)], { cause: err });
    });
  }

  async #rollback(c: DuckDBConnection): Promise<void> {
    try {
      await c.run('ROLLBACK');
    } catch {
      // Nothing open (BEGIN failed, or DuckDB already aborted it): the original error stands.
    }
  }

  tryAcquireSamplingLease(
    name: string,
    holder: string,
    now: number,
    ttlMs: number,
  ): Promise<SamplingLease> {
    return this.#serial('acquire the adaptive sampling lease', async (c) => {
      const values: DuckDBValue[] = [name, holder, BigInt(Math.trunc(now + ttlMs))];
      values.push(BigInt(Math.trunc(now)));
      try {
        const taken = await c.runAndReadAll(ACQUIRE, values, ACQUIRE_TYPES);
        const row = taken.getRows()[0];
        if (row !== undefined) return { holder: row[0] as string, expiresAt: Number(row[1]) };
      } catch (err) {
        if (!isConflict(err)) throw err;
        await this.#rollback(c);
      }
      return readLease(c, name);
    });
  }

  releaseSamplingLease(name: string, holder: string): Promise<void> {
    return this.#serial('release the adaptive sampling lease', async (c) => {
      try {
        await c.run(
          'DELETE FROM sampling_leases WHERE name = $1 AND holder = $2',
          [name, holder],
          [VARCHAR, VARCHAR],
        );
      } catch (err) {
        // Someone took it over at this moment: it is not ours to release any more.
        if (!isConflict(err)) throw err;
        await this.#rollback(c);
      }
    });
  }

  writeSamplingProbabilities(
    lease: string,
    holder: string,
    now: number,
    rows: readonly OperationProbabilityRow[],
  ): Promise<boolean> {
    return this.#serial('write adaptive sampling probabilities', async (c) => {
      try {
        await c.run('BEGIN TRANSACTION');
        // Is the lease still ours (in this transaction's snapshot)?
        const held = await c.runAndReadAll(
          'SELECT holder, expires_at FROM sampling_leases WHERE name = $1',
          [lease],
          [VARCHAR],
        );
        const row = held.getRows()[0];
        if (row === undefined || row[0] !== holder || Number(row[1]) <= now) {
          await c.run('ROLLBACK');
          return false;
        }
        // DuckDB detects write-write conflicts only: touching the lease row makes a
        // takeover committed after our snapshot (or racing it) fail one of the two, so
        // a holder whose lease lapsed cannot slip its rows in after its successor's.
        await c.run(
          'UPDATE sampling_leases SET expires_at = expires_at WHERE name = $1',
          [lease],
          [VARCHAR],
        );
        await c.run('DELETE FROM sampling_probabilities');
        if (rows.length > 0) {
          const statement = await c.prepare(
            'INSERT INTO sampling_probabilities VALUES ($1, $2, $3, $4, $5, $6, $7)',
          );
          for (const r of rows) {
            statement.bind(
              [
                r.service,
                r.operation,
                r.probability,
                r.tracesPerSecond,
                r.sampledPerSecond,
                BigInt(Math.trunc(r.updatedAt)),
                r.tenant,
              ],
              PROBABILITY_TYPES,
            );
            await statement.run();
          }
          statement.destroySync();
        }
        await c.run('COMMIT');
        return true;
      } catch (err) {
        await this.#rollback(c);
        if (isConflict(err)) return false;
        throw err;
      }
    });
  }

  readSamplingProbabilities(): Promise<OperationProbabilityRow[]> {
    return this.#serial('read adaptive sampling probabilities', async (c) => {
      const result = await c.runAndReadAll(
        `SELECT service, operation, probability, traces_per_second, sampled_per_second, updated_at,
                tenant
         FROM sampling_probabilities`,
      );
      return result.getRows().map((r) => ({
        tenant: r[6] as string,
        service: r[0] as string,
        operation: r[1] as string,
        probability: r[2] as number,
        tracesPerSecond: r[3] as number,
        sampledPerSecond: r[4] as number,
        updatedAt: Number(r[5]),
      }));
    });
  }

  addSamplingThroughput(holder: string, at: number, rows: readonly ThroughputRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.#serial('write adaptive sampling throughput', async (c) => {
      try {
        await c.run('BEGIN TRANSACTION');
        const statement = await c.prepare(
          'INSERT INTO sampling_throughput VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
        );
        const atBig = BigInt(Math.trunc(at));
        for (const r of rows) {
          statement.bind(
            [
              atBig,
              holder,
              r.service,
              r.operation,
              BigInt(r.roots),
              BigInt(r.probabilistic),
              r.estimatedTraces,
              BigInt(r.unadaptable),
              r.tenant,
            ],
            THROUGHPUT_TYPES,
          );
          await statement.run();
        }
        statement.destroySync();
        await c.run('COMMIT');
      } catch (err) {
        await this.#rollback(c);
        throw err;
      }
    });
  }

  takeSamplingThroughput(since: number): Promise<ThroughputRow[]> {
    return this.#serial('take adaptive sampling throughput', async (c) => {
      try {
        await c.run('BEGIN TRANSACTION');
        const taken = await c.runAndReadAll(
          `DELETE FROM sampling_throughput WHERE written_at >= $1
           RETURNING service, operation, roots, probabilistic, estimated_traces, unadaptable, tenant`,
          [BigInt(Math.trunc(since))],
          [BIGINT],
        );
        await c.run('DELETE FROM sampling_throughput');
        await c.run('COMMIT');
        return taken.getRows().map((r) => ({
          tenant: r[6] as string,
          service: r[0] as string,
          operation: r[1] as string,
          roots: Number(r[2]),
          probabilistic: Number(r[3]),
          estimatedTraces: r[4] as number,
          unadaptable: Number(r[5]),
        }));
      } catch (err) {
        await this.#rollback(c);
        // Another holder took these rows at the same moment: they are counted there.
        if (isConflict(err)) return [];
        throw err;
      }
    });
  }
}

async function readLease(c: DuckDBConnection, name: string): Promise<SamplingLease> {
  const result = await c.runAndReadAll(
    'SELECT holder, expires_at FROM sampling_leases WHERE name = $1',
    [name],
    [VARCHAR],
  );
  const row = result.getRows()[0];
  // No row: a concurrent release; report an expired lease so the caller retries.
  if (row === undefined) return { holder: '', expiresAt: 0 };
  return { holder: row[0] as string, expiresAt: Number(row[1]) };
}

/**
 * DuckDB's optimistic concurrency control refusing a write that raced another
 * transaction: a conflict on an existing row, or, when the row did not exist yet, the
 * primary key of the other transaction's insert.
 */
function isConflict(err: unknown): boolean {
  return /conflict|duplicate key/i.test(String(err));
}
