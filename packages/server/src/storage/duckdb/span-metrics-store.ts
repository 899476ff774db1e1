import { BIGINT, LIST, UINTEGER, USMALLINT, UTINYINT, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { InvalidParameterError, StorageError } from '../../errors.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { LatencyQuery, MetricSeries, MetricsQuery } from '../metrics-reader.ts';
import {
  callRateSeries,
  errorRateSeries,
  latencySeries,
  planMetricsQuery,
} from '../metrics-windows.ts';
import type { MinuteCalls, QueryPlan, SeriesMinutes } from '../metrics-windows.ts';
import type { SpanMetricsRow } from '../span-metrics-writer.ts';

/** Borrows a read connection (the store's pool) and reports failures as `StorageError`. */
export type ReadConnection = <T>(
  operation: string,
  fn: (c: DuckDBConnection) => Promise<T>,
) => Promise<T>;

const STATUS_ERROR = 2;

/**
 * The `span_metrics` table (see schema.ts): writes the span-metrics processor's delta
 * rows and answers `MetricsReader` queries by summing them per (series, minute) in SQL,
 * then sliding the rate windows over the minutes (metrics-windows.ts).
 *
 * Writes run on the store's own connection, one at a time (the caller serialises them);
 * reads borrow the pool's connections. Every value from a query is a bound parameter.
 */
export class SpanMetricsStore {
  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly read: ReadConnection,
  ) {}

  /** A connection for writes on `instance` (whose `skein` database holds the table). */
  static async open(instance: DuckDBInstance, read: ReadConnection): Promise<SpanMetricsStore> {
    const c = await instance.connect();
    await c.run('USE skein');
    return new SpanMetricsStore(c, read);
  }

  /** Appends the rows in one transaction: all of them or, on failure, none. */
  async write(rows: readonly SpanMetricsRow[]): Promise<void> {
    if (rows.length === 0) return;
    const c = this.connection;
    try {
      await c.run('BEGIN TRANSACTION');
      const appender = await c.createAppender('span_metrics');
      try {
        for (const r of rows) {
          appender.appendBigInt(BigInt(r.minute));
          appender.appendVarchar(r.service);
          appender.appendVarchar(r.operation);
          appender.appendUTinyInt(r.kind);
          appender.appendUTinyInt(r.statusCode);
          appender.appendUBigInt(BigInt(r.calls));
          appender.appendDouble(r.durationSum);
          appender.appendList(r.latency.buckets, LIST_USMALLINT);
          appender.appendList(r.latency.counts, LIST_UINTEGER);
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await c.run('COMMIT');
    } catch (err) {
      try {
        await c.run('ROLLBACK');
      } catch {
        // BEGIN itself failed: nothing to roll back; the write's own error is reported.
      }
      throw new StorageError(['write span metrics', String(err)], { cause: err });
    }
  }

  /** Deletes the minutes that ended at or before `cutoff` (µs), on the purge's connection and transaction. */
  static async purge(c: DuckDBConnection, cutoff: bigint): Promise<void> {
    await c.run('DELETE FROM span_metrics WHERE minute <= $1', [cutoff - MINUTE_BIG], [BIGINT]);
  }

  async calls(q: MetricsQuery): Promise<MetricSeries[]> {
    const plan = planMetricsQuery(q);
    return callRateSeries(await this.readCalls(q, plan), plan);
  }

  async errors(q: MetricsQuery): Promise<MetricSeries[]> {
    const plan = planMetricsQuery(q);
    return errorRateSeries(await this.readCalls(q, plan), plan);
  }

  async latencies(q: LatencyQuery): Promise<MetricSeries[]> {
    if (!(q.quantile > 0 && q.quantile <= 1)) {
      throw new InvalidParameterError([
        'quantile',
        `must be a number in (0, 1] such as 0.95, got ${q.quantile}`,
      ]);
    }
    const plan = planMetricsQuery(q);
    const sql = `
      SELECT service, op, minute, list(b ORDER BY b), list(n ORDER BY b)
      FROM (
        SELECT service, op, minute, b::INTEGER AS b, sum(n)::DOUBLE AS n
        FROM (
          SELECT service, ${opColumn(q)} AS op, minute,
                 unnest(latency_buckets) AS b, unnest(latency_counts) AS n
          FROM span_metrics WHERE ${WHERE}
        )
        GROUP BY service, op, minute, b
      )
      GROUP BY service, op, minute
      ORDER BY service, op, minute`;
    const rows = await this.select('read latencies', sql, q, plan);
    return latencySeries(
      group(rows, q, (r) => ({
        minute: Number(r[2]),
        latency: { buckets: r[3] as number[], counts: r[4] as number[] },
      })),
      plan,
      q.quantile,
    );
  }

  private async readCalls(q: MetricsQuery, plan: QueryPlan): Promise<SeriesMinutes<MinuteCalls>[]> {
    const sql = `
      SELECT service, ${opColumn(q)} AS op, minute, sum(calls)::DOUBLE,
             coalesce(sum(calls) FILTER (WHERE status_code = ${STATUS_ERROR}), 0)::DOUBLE
      FROM span_metrics WHERE ${WHERE}
      GROUP BY service, op, minute
      ORDER BY service, op, minute`;
    const rows = await this.select('read call rates', sql, q, plan);
    return group(rows, q, (r) => ({
      minute: Number(r[2]),
      calls: r[3] as number,
      errors: r[4] as number,
    }));
  }

  private select(
    operation: string,
    sql: string,
    q: MetricsQuery,
    plan: QueryPlan,
  ): Promise<unknown[][]> {
    const values: DuckDBValue[] = [
      BigInt(plan.fromMinute),
      BigInt(plan.toMinute),
      listValue([...q.services]),
      listValue([...q.spanKinds]),
    ];
    return this.read(operation, async (c) => {
      const r = await c.runAndReadAll(sql, values, [BIGINT, BIGINT, LIST(VARCHAR), LIST(UTINYINT)]);
      return r.getRowsJS() as unknown[][];
    });
  }

  close(): void {
    this.connection.closeSync();
  }
}

const MINUTE_BIG = BigInt(METRICS_MINUTE);
const LIST_USMALLINT = LIST(USMALLINT);
const LIST_UINTEGER = LIST(UINTEGER);

/** Bounded by minute first: `span_metrics` is appended in time order, so zonemaps prune. */
const WHERE = `minute >= $1 AND minute < $2
  AND list_contains($3, service) AND list_contains($4, kind)`;

function opColumn(q: MetricsQuery): string {
  return q.groupByOperation ? 'operation' : "''";
}

/** Rows sorted by (service, op, minute) → one entry per series. */
function group<M>(
  rows: unknown[][],
  q: MetricsQuery,
  minute: (r: unknown[]) => M,
): SeriesMinutes<M>[] {
  const out: SeriesMinutes<M>[] = [];
  let current: SeriesMinutes<M> | undefined;
  for (const r of rows) {
    const service = r[0] as string;
    const op = r[1] as string;
    if (current === undefined || current.service !== service || (current.operation ?? '') !== op) {
      current = q.groupByOperation
        ? { service, operation: op, minutes: [] }
        : { service, minutes: [] };
      out.push(current);
    }
    current.minutes.push(minute(r));
  }
  return out;
}
