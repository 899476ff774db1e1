import { BIGINT, LIST, UTINYINT, VARCHAR, listValue } from '@duckdb/node-api';
import type {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBListVector,
  DuckDBValue,
} from '@duckdb/node-api';
import { InvalidParameterError, StorageError } from '../../errors.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { LatencyQuery, MetricSeries, MetricsQuery } from '../metrics-reader.ts';
import {
  callRateSeries,
  errorRateSeries,
  latencySeries,
  planMetricsQuery,
} from '../metrics-windows.ts';
import type { CallColumns, LatencyColumns, QueryPlan, SeriesColumns } from '../metrics-windows.ts';
import type { SpanMetricsRow } from '../span-metrics-writer.ts';
import type { PurgeScope } from '../storage.ts';
import { purgeScopeSql } from './purge-scope.ts';
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

  /** Deletes the minutes (of the scope's tenants) that ended at or before `cutoff` (µs), on the purge's connection and transaction. */
  static async purge(c: DuckDBConnection, cutoff: bigint, scope?: PurgeScope): Promise<void> {
    const only = purgeScopeSql(scope, 2);
    await c.run(
      `DELETE FROM span_metrics WHERE minute <= $1${only.sql}`,
      [cutoff - MINUTE_BIG, ...only.values],
      [BIGINT, ...only.types],
    );
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
    const input = await this.select<LatencyColumns>(
      'read latencies',
      sql,
      q,
      plan,
      (service, operation) => ({
        service,
        operation,
        minutes: [],
        starts: [0],
        buckets: [],
        counts: [],
      }),
      (chunk) => {
        const buckets = chunk.getColumnVector(3) as DuckDBListVector;
        const counts = chunk.getColumnVector(4) as DuckDBListVector;
        const bucketItems = buckets.childVector;
        const countItems = counts.childVector;
        return (s, i) => {
          const from = buckets.getEntryOffset(i);
          const length = buckets.getEntryLength(i);
          const countFrom = counts.getEntryOffset(i);
          for (let j = 0; j < length; j++) {
            s.buckets.push(bucketItems.getItem(from + j) as number);
            s.counts.push(countItems.getItem(countFrom + j) as number);
          }
          s.starts.push(s.buckets.length);
        };
      },
      (s, order) => {
        const out: LatencyColumns = { ...s, minutes: [], starts: [0], buckets: [], counts: [] };
        for (const i of order) {
          out.minutes.push(s.minutes[i]);
          for (let j = s.starts[i]; j < s.starts[i + 1]; j++) {
            out.buckets.push(s.buckets[j]);
            out.counts.push(s.counts[j]);
          }
          out.starts.push(out.buckets.length);
        }
        return out;
      },
    );
    return latencySeries(input, plan, q.quantile);
  }

  private readCalls(q: MetricsQuery, plan: QueryPlan): Promise<CallColumns[]> {
    const sql = `
      SELECT service, ${opColumn(q)} AS op, minute::DOUBLE, sum(calls)::DOUBLE,
             coalesce(sum(calls) FILTER (WHERE status_code = ${STATUS_ERROR}), 0)::DOUBLE
      FROM span_metrics WHERE ${WHERE}
      GROUP BY service, op, minute`;
    return this.select<CallColumns>(
      'read call rates',
      sql,
      q,
      plan,
      (service, operation) => ({ service, operation, minutes: [], calls: [], errors: [] }),
      (chunk) => {
        const calls = chunk.getColumnVector(3);
        const errors = chunk.getColumnVector(4);
        return (s, i) => {
          s.calls.push(calls.getItem(i) as number);
          s.errors.push(errors.getItem(i) as number);
        };
      },
      (s, order) => ({
        ...s,
        minutes: order.map((i) => s.minutes[i]),
        calls: order.map((i) => s.calls[i]),
        errors: order.map((i) => s.errors[i]),
      }),
    );
  }

  /**
   * Runs a read whose first three columns are service, operation ('' when not grouped)
   * and minute (µs, DOUBLE), in any order. Per row, the minute is pushed onto its
   * series' `minutes` and `decoder(chunk)` appends the rest of the row; a series whose
   * rows did not come in minute order is rebuilt by `reorder` (rows come in insertion
   * order, which is time order, unless the scan ran in parallel). Returns the series
   * sorted by service then operation.
   */
  private async select<S extends SeriesColumns>(
    operation: string,
    sql: string,
    q: MetricsQuery,
    plan: QueryPlan,
    create: (service: string, operation: string | undefined) => S,
    decoder: (chunk: DuckDBDataChunk) => (s: S, row: number) => void,
    reorder: (s: S, order: number[]) => S,
  ): Promise<S[]> {
    const values: DuckDBValue[] = [
      BigInt(plan.fromMinute),
      BigInt(plan.toMinute),
      listValue([...q.services]),
      listValue([...q.spanKinds]),
      q.tenant,
    ];
    const bySeries = new Map<string, S>();
    const unsorted = new Set<S>();
    await this.read(operation, async (c) => {
      const r = await c.run(sql, values, [BIGINT, BIGINT, LIST(VARCHAR), LIST(UTINYINT), VARCHAR]);
      for (let k = 0; k < r.chunkCount; k++) {
        const chunk = r.getChunk(k);
        const services = chunk.getColumnVector(0);
        const ops = chunk.getColumnVector(1);
        const minutes = chunk.getColumnVector(2);
        const decode = decoder(chunk);
        const rows = chunk.rowCount;
        for (let i = 0; i < rows; i++) {
          const service = services.getItem(i) as string;
          const op = ops.getItem(i) as string;
          const key = service + '\u0000' + op;
          let s = bySeries.get(key);
          if (s === undefined) {
            s = create(service, q.groupByOperation ? op : undefined);
            bySeries.set(key, s);
          }
          const minute = minutes.getItem(i) as number;
          const n = s.minutes.length;
          if (n > 0 && s.minutes[n - 1] > minute) unsorted.add(s);
          s.minutes.push(minute);
          decode(s, i);
        }
      }
    });
    const out: S[] = [];
    for (const s of bySeries.values()) {
      if (!unsorted.has(s)) {
        out.push(s);
        continue;
      }
      const order = s.minutes.map((_, i) => i).sort((a, b) => s.minutes[a] - s.minutes[b]);
      out.push(reorder(s, order));
    }
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
const WHERE = `minute >= $1 AND minute < $2 AND tenant = $5
  AND list_contains($3, service) AND list_contains($4, kind)`;

function opColumn(q: MetricsQuery): string {
  return q.groupByOperation ? 'operation' : "''";
}
