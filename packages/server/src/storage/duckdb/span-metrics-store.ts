import { BIGINT, LIST, UTINYINT, VARCHAR, listValue } from '@duckdb/node-api';
import type {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBListVector,
  DuckDBValue,
} from '@duckdb/node-api';
import type { SparseHistogram } from '../../model/latency-histogram.ts';
import { InvalidParameterError, StorageError } from '../../errors.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { LatencyQuery, MetricSeries, MetricsQuery } from '../metrics-reader.ts';
import {
  callRateSeries,
  errorRateSeries,
  latencySeries,
  planMetricsQuery,
} from '../metrics-windows.ts';
import type { MinuteCalls, MinuteLatency, QueryPlan, SeriesMinutes } from '../metrics-windows.ts';
import type { SpanMetricsRow } from '../span-metrics-writer.ts';
import { encodeSpanMetricsChunk } from './span-metrics-encoder.ts';
import { CHUNK_ROWS } from './span-encoder.ts';

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
  private appender: DuckDBAppender | undefined;

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly read: ReadConnection,
  ) {}

  /** A connection for writes on `instance` (whose `skein` database holds the table). */
  static async open(instance: DuckDBInstance, read: ReadConnection): Promise<SpanMetricsStore> {
    const c = await instance.connect();
    await c.run('USE skein');
    const store = new SpanMetricsStore(c, read);
    // Kept open: creating an appender costs tens of ms.
    store.appender = await c.createAppender('span_metrics');
    return store;
  }

  /** Appends the rows in one transaction: all of them or, on failure, none. */
  async write(rows: readonly SpanMetricsRow[]): Promise<void> {
    if (rows.length === 0) return;
    const c = this.connection;
    try {
      await c.run('BEGIN TRANSACTION');
      const appender = this.appender ?? (this.appender = await c.createAppender('span_metrics'));
      for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
        appender.appendDataChunk(
          encodeSpanMetricsChunk(rows, from, Math.min(rows.length, from + CHUNK_ROWS)),
        );
      }
      appender.flushSync();
      await c.run('COMMIT');
    } catch (err) {
      // A failed appender stays failed: drop it (the next write makes a new one).
      try {
        this.appender?.closeSync();
      } catch {
        // Its close error says nothing the write's own error does not.
      }
      this.appender = undefined;
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
    // Raw rows, unsorted: DuckDB hands over list vectors cheaply, while merging the
    // histograms in SQL (unnest, group, list) or sorting rows with lists costs seconds
    // over days of minutes. The sliding window merges them instead.
    const sql = `
      SELECT service, ${opColumn(q)}, minute::DOUBLE, latency_buckets, latency_counts
      FROM span_metrics WHERE ${WHERE}`;
    const input = await this.select('read latencies', sql, q, plan, (chunk) => {
      const buckets = chunk.getColumnVector(3) as DuckDBListVector;
      const counts = chunk.getColumnVector(4) as DuckDBListVector;
      const bucketItems = buckets.childVector;
      const countItems = counts.childVector;
      return (i, minute): MinuteLatency => {
        const latency: SparseHistogram = { buckets: [], counts: [] };
        const from = buckets.getEntryOffset(i);
        const length = buckets.getEntryLength(i);
        const countFrom = counts.getEntryOffset(i);
        for (let j = 0; j < length; j++) {
          latency.buckets.push(bucketItems.getItem(from + j) as number);
          latency.counts.push(countItems.getItem(countFrom + j) as number);
        }
        return { minute, latency };
      };
    });
    return latencySeries(input, plan, q.quantile);
  }

  private readCalls(q: MetricsQuery, plan: QueryPlan): Promise<SeriesMinutes<MinuteCalls>[]> {
    const sql = `
      SELECT service, ${opColumn(q)} AS op, minute::DOUBLE, sum(calls)::DOUBLE,
             coalesce(sum(calls) FILTER (WHERE status_code = ${STATUS_ERROR}), 0)::DOUBLE
      FROM span_metrics WHERE ${WHERE}
      GROUP BY service, op, minute`;
    return this.select('read call rates', sql, q, plan, (chunk) => {
      const calls = chunk.getColumnVector(3);
      const errors = chunk.getColumnVector(4);
      return (i, minute): MinuteCalls => ({
        minute,
        calls: calls.getItem(i) as number,
        errors: errors.getItem(i) as number,
      });
    });
  }

  /**
   * Runs a read whose first three columns are service, operation ('' when not grouped)
   * and minute (µs, DOUBLE), in any order; `decoder(chunk)` reads the entry of a row of
   * that chunk. Returns the series sorted by service then operation, each ascending by
   * minute.
   */
  private async select<M extends { minute: number }>(
    operation: string,
    sql: string,
    q: MetricsQuery,
    plan: QueryPlan,
    decoder: (chunk: DuckDBDataChunk) => (row: number, minute: number) => M,
  ): Promise<SeriesMinutes<M>[]> {
    const values: DuckDBValue[] = [
      BigInt(plan.fromMinute),
      BigInt(plan.toMinute),
      listValue([...q.services]),
      listValue([...q.spanKinds]),
    ];
    const bySeries = new Map<string, SeriesMinutes<M>>();
    await this.read(operation, async (c) => {
      const r = await c.run(sql, values, [BIGINT, BIGINT, LIST(VARCHAR), LIST(UTINYINT)]);
      for (let k = 0; k < r.chunkCount; k++) {
        const chunk = r.getChunk(k);
        const services = chunk.getColumnVector(0);
        const ops = chunk.getColumnVector(1);
        const minutes = chunk.getColumnVector(2);
        const decode = decoder(chunk);
        for (let i = 0; i < chunk.rowCount; i++) {
          const service = services.getItem(i) as string;
          const op = ops.getItem(i) as string;
          const key = service + '\u0000' + op;
          let s = bySeries.get(key);
          if (s === undefined) {
            s = q.groupByOperation
              ? { service, operation: op, minutes: [] }
              : { service, minutes: [] };
            bySeries.set(key, s);
          }
          s.minutes.push(decode(i, minutes.getItem(i) as number));
        }
      }
    });
    const out = [...bySeries.values()];
    for (const s of out) s.minutes.sort((a, b) => a.minute - b.minute);
    return out.sort((a, b) =>
      a.service !== b.service
        ? a.service < b.service
          ? -1
          : 1
        : (a.operation ?? '') < (b.operation ?? '')
          ? -1
          : (a.operation ?? '') > (b.operation ?? '')
            ? 1
            : 0,
    );
  }

  close(): void {
    this.appender?.closeSync();
    this.appender = undefined;
    this.connection.closeSync();
  }
}

const MINUTE_BIG = BigInt(METRICS_MINUTE);

/** Bounded by minute first: `span_metrics` is appended in time order, so zonemaps prune. */
const WHERE = `minute >= $1 AND minute < $2
  AND list_contains($3, service) AND list_contains($4, kind)`;

function opColumn(q: MetricsQuery): string {
  return q.groupByOperation ? 'operation' : "''";
}
