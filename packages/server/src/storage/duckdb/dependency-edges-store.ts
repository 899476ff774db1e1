import { BIGINT } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { StorageError } from '../../errors.ts';
import type { DependencyDelta } from '../dependency-writer.ts';
import type { PurgeScope } from '../storage.ts';
import { DEPENDENCY_MINUTE } from './dependency-coverage.ts';
import { purgeScopeSql } from './purge-scope.ts';

const MINUTE_BIG = BigInt(DEPENDENCY_MINUTE);

/**
 * The `dependency_edges` and `dependency_minutes` tables (see schema.ts): appends the
 * dependencies processor's deltas, and reads which minutes it counted and the edge
 * sums over a range of minutes. Writes run on the store's own connection, one at a
 * time (the caller serialises them); reads run on the connection they are given.
 * Every value is a bound parameter.
 */
export class DependencyEdgesStore {
  private constructor(private readonly connection: DuckDBConnection) {}

  static async open(instance: DuckDBInstance): Promise<DependencyEdgesStore> {
    const c = await instance.connect();
    await c.run('USE skein');
    return new DependencyEdgesStore(c);
  }

  /** Appends the delta's edges and minutes in one transaction: all of them or, on failure, none. */
  async write(delta: DependencyDelta): Promise<void> {
    if (delta.edges.length + delta.minutes.length === 0) return;
    const c = this.connection;
    try {
      await c.run('BEGIN TRANSACTION');
      if (delta.edges.length > 0) {
        const a = await c.createAppender('dependency_edges');
        try {
          for (const r of delta.edges) {
            a.appendBigInt(BigInt(r.minute));
            a.appendVarchar(r.parent);
            a.appendVarchar(r.child);
            a.appendBigInt(BigInt(r.calls));
            a.appendBigInt(BigInt(r.errors));
            a.appendVarchar(r.tenant);
            a.endRow();
          }
          a.flushSync();
        } finally {
          a.closeSync();
        }
      }
      if (delta.minutes.length > 0) {
        const a = await c.createAppender('dependency_minutes');
        try {
          for (const m of delta.minutes) {
            a.appendBigInt(BigInt(m));
            a.endRow();
          }
          a.flushSync();
        } finally {
          a.closeSync();
        }
      }
      await c.run('COMMIT');
    } catch (err) {
      try {
        await c.run('ROLLBACK');
      } catch {
        // BEGIN itself failed: nothing to roll back; the write's own error is reported.
      }
      throw new StorageError(['write dependency edges', String(err)], { cause: err });
    }
  }

  /** The counted minutes in [from, to) µs. */
  static async coveredMinutes(c: DuckDBConnection, from: number, to: number): Promise<Set<number>> {
    const r = await c.runAndReadAll(
      'SELECT DISTINCT minute FROM dependency_minutes WHERE minute >= $1 AND minute < $2',
      [BigInt(from), BigInt(to)],
      [BIGINT, BIGINT],
    );
    const out = new Set<number>();
    for (const [m] of r.getRows()) out.add(Number(m as bigint));
    return out;
  }

  /**
   * Deletes the minutes that ended at or before `cutoff` (µs), on the purge's connection
   * and transaction: the edges of the scope's tenants; the vouched-for minutes (shared by
   * every tenant) only by a purge of every tenant or of all but a few (the general
   * retention). A tenant kept longer then reads its older minutes from its spans.
   */
  static async purge(c: DuckDBConnection, cutoff: bigint, scope?: PurgeScope): Promise<void> {
    const only = purgeScopeSql(scope, 2);
    await c.run(
      `DELETE FROM dependency_edges WHERE minute <= $1${only.sql}`,
      [cutoff - MINUTE_BIG, ...only.values],
      [BIGINT, ...only.types],
    );
    if (scope === undefined || 'exceptTenants' in scope) {
      await c.run(
        'DELETE FROM dependency_minutes WHERE minute <= $1',
        [cutoff - MINUTE_BIG],
        [BIGINT],
      );
    }
  }

  close(): void {
    this.connection.closeSync();
  }
}
