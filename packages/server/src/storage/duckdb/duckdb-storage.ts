import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIGINT,
  DuckDBInstance,
  UBIGINT,
  UHUGEINT,
  UINTEGER,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import type {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBMaterializedResult,
  DuckDBPreparedStatement,
  DuckDBType,
  DuckDBValue,
} from '@duckdb/node-api';
import type { Logger } from 'pino';
import { AnswerTooLargeError, StorageError } from '../../errors.ts';
import { DEFAULT_TENANT } from '../../model/span.ts';
import type { Span, Trace } from '../../model/span.ts';
import type {
  CompletenessQuery,
  CompletenessReader,
  CompletenessReport,
} from '../completeness-reader.ts';
import type { CompletenessDelta, CompletenessWriter } from '../completeness-writer.ts';
import type { DependencyLink } from '../dependency-reader.ts';
import type { DependencyDelta, DependencyWriter } from '../dependency-writer.ts';
import { distinctSpans } from '../distinct-spans.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { LatencyQuery, MetricSeries, MetricsQuery, MetricsReader } from '../metrics-reader.ts';
import type {
  OperationProbabilityRow,
  SamplingLease,
  SamplingStore,
  ThroughputRow,
} from '../sampling-store.ts';
import type { SpanMetricsRow, SpanMetricsWriter } from '../span-metrics-writer.ts';
import type { PurgeScope, Storage } from '../storage.ts';
import type { KeyedTraceQuery, TagValueQuery, TagValueReader } from '../tag-value-reader.ts';
import type { ReadBudget } from '../read-budget.ts';
import type { Operation, OperationQuery, TimeRange, TraceQuery } from '../trace-reader.ts';
import { CompletenessStore } from './completeness-store.ts';
import { ConnectionPool } from './connection-pool.ts';
import { planDependencyRead } from './dependency-coverage.ts';
import { DependencyEdgeHours } from './dependency-edge-hours.ts';
import { DependencyEdgesStore } from './dependency-edges-store.ts';
import { DependencyHours, HOUR_MICROS, toLinks } from './dependency-hours.ts';
import type { EdgeRow } from './dependency-hours.ts';
import { traceIdToHex } from './ids.ts';
import { OriginBatch, OriginRegistry } from './origin-registry.ts';
import type { OriginRow } from './origin-registry.ts';
import { migrateTenant } from './migrate-tenant.ts';
import { materializedColumn, materializedRows } from './materialized-rows.ts';
import { purgeScopeSql } from './purge-scope.ts';
import {
  CREATE_STATEMENTS,
  INDEX_STATEMENTS,
  SCHEMA_VERSION,
  SPAN_SELECT_COLUMNS,
} from './schema.ts';
import { DuckDbSamplingStore } from './sampling-store.ts';
import { readError } from './read-error.ts';
import { buildTraceFetch } from './trace-fetch.ts';
import { SpanDecoder } from './span-decoder.ts';
import { bySpanStart, decodeMaterialized, decodeStream } from './span-stream.ts';
import { SpanMetricsStore } from './span-metrics-store.ts';
import { readTagValues } from './tag-values.ts';
import { CHUNK_ROWS, encodeSpanChunk, encodeTraceChunk } from './span-encoder.ts';
import type { TraceInBatch } from './span-encoder.ts';
import { buildTraceSearch, SPAN_KIND_NAMES, spanKindFromName } from './trace-search.ts';

export interface DuckDbStorageOptions {
  /** Directory holding `skein.duckdb` (created if missing), or ':memory:'. */
  path: string;
  logger?: Logger; /**
   * DuckDB's buffer memory limit (MB); DuckDB's own default is 80% of the machine's
   * memory. It bounds DuckDB's caches, not the JS heap.
   */
  memoryLimitMB?: number;
  /** DuckDB's worker threads; absent or 0, DuckDB's default (one per core). */
  threads?: number;
}

/** A trace id as users type it: 1 to 32 hex digits (Jaeger left-pads short ones). */
const TRACE_ID_PATTERN = /^[0-9a-fA-F]{1,32}$/;

const READ_CONNECTIONS = 2;

/**
 * Writer connections, each with its own appenders: while one batch's COMMIT runs on
 * DuckDB's threads, the next batch is encoded and appended on the other (appends from
 * different transactions do not conflict). Used only when writes are issued
 * concurrently (pipeline.writers > 1).
 */
const WRITE_LANES = 2;

/**
 * DuckDB checkpoints (compresses the WAL's rows into the file) when the WAL reaches
 * this size. Each checkpoint rewrites the table's last, partly filled row group, so
 * the 16 MB default rewrote it several times per row group: 256 MB halved write CPU
 * per span (35 → 15-19 µs) and the file size (117 → 88 B/span at 1M spans). The
 * cost is memory for uncheckpointed rows and a longer WAL replay after a crash.
 */
const CHECKPOINT_THRESHOLD = '256MB';

/**
 * Rows per row group (DuckDB's default is 122,880). Zonemaps are per row group, so
 * smaller groups bound a trace lookup's scan to fewer rows: get-trace p50 went from
 * 6.7 to 5.7 ms at 1M spans for +4 B/span on disk.
 */
const ROW_GROUP_SIZE = 16_384;

/** Background dependency precomputation: first pass after open, then every interval. */
const WARM_FIRST_DELAY_MS = 5_000;
const WARM_INTERVAL_MS = 10 * 60_000;
const WARM_HOURS = 24;

/** The first (most recent) slice of a trace search window; later slices grow 4×. */
const FIRST_SEARCH_SLICE_MICROS = 5 * 60_000_000;

/** Traces fetched per statement by findTraces (the statement text depends on the count). */
const TRACES_PER_FETCH = 32;

/** Spans a read decodes from one materialized result before it streams instead (span-stream.ts). */
const QUICK_READ_ROWS = 4096;

/** Prepared statements kept per read connection (search SQL varies with its conditions). */
const MAX_PREPARED = 64;

function opKey(tenant: string, service: string, name: string, kind: number): string {
  return tenant + '\u0000' + service + '\u0000' + name + '\u0000' + kind;
}

interface OperationRow {
  tenant: string;
  service: string;
  name: string;
  kind: number;
}

/** A writer connection and its appenders; one batch holds it from BEGIN to COMMIT. */
interface WriteLane {
  connection: DuckDBConnection;
  spans: DuckDBAppender | undefined;
  traces: DuckDBAppender | undefined;
}

/** A batch whose rows are appended in its lane's open transaction, awaiting COMMIT. */
interface EncodedBatch {
  spans: readonly Span[];
  lane: WriteLane;
  origins: OriginBatch;
  newOps: OperationRow[];
  /** Settles once the batch issued before this one has committed or failed. */
  previous: Promise<void>;
  settled: () => void;
}

/**
 * The embedded storage backend: one DuckDB file (or an in-memory database).
 *
 * Each write batch is one transaction (so a failed batch leaves nothing behind and
 * may be retried). Batches are encoded one at a time, and commit in the order they
 * were encoded; a batch's encoding may overlap the previous batch's COMMIT (see
 * WRITE_LANES).
 * Reads borrow one of a few other connections and see committed data.
 * Table design: see schema.ts.
 */
export class DuckDbStorage
  implements
    Storage,
    TagValueReader,
    SpanMetricsWriter,
    MetricsReader,
    CompletenessWriter,
    CompletenessReader,
    DependencyWriter,
    SamplingStore
{
  readonly name = 'duckdb';
  readonly minStep = METRICS_MINUTE;
  private spanMetrics: SpanMetricsStore | undefined;
  private completenessStore: CompletenessStore | undefined;
  private dependencyEdges: DependencyEdgesStore | undefined;
  private samplingStore: DuckDbSamplingStore | undefined;
  private readonly path: string;
  private readonly logger: Logger | undefined;
  private instance: DuckDBInstance | undefined;
  private writer: DuckDBConnection | undefined;
  private readonly lanes: WriteLane[] = [];
  private readonly idleLanes: WriteLane[] = [];
  private readonly laneWaiters: ((lane: WriteLane) => void)[] = [];
  /** Settles when the last encoded batch has committed or failed (and freed its lane). */
  private commitTail: Promise<void> = Promise.resolve();
  private readers: ConnectionPool | undefined;
  private readonly origins = new OriginRegistry();
  /** (tenant, service, name, kind) seen so far, mirrored in the `operations` table. */
  private readonly operations = new Map<string, OperationRow>();
  /** Operations inserted by batches whose transaction is open, and by which batch. */
  private readonly pendingOps = new Map<string, OriginBatch>();
  /** Per tenant: the span-join edges per hour, and the edge aggregates' sums per hour. */
  private readonly dependencyHours = new Map<string, DependencyHours>();
  private readonly edgeHours = new Map<string, DependencyEdgeHours>();
  private readonly prepared = new WeakMap<DuckDBConnection, Map<string, DuckDBPreparedStatement>>();
  private writeChain: Promise<unknown> = Promise.resolve();
  private edgeChain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | undefined;
  private warmTimer: NodeJS.Timeout | undefined;
  private warming: Promise<void> | undefined;

  private readonly memoryLimitMB: number | undefined;
  private readonly threads: number | undefined;

  constructor(options: DuckDbStorageOptions) {
    this.path = options.path;
    this.logger = options.logger;
    this.memoryLimitMB = options.memoryLimitMB;
    this.threads = options.threads;
  }

  async open(): Promise<void> {
    try {
      let file = ':memory:';
      if (this.path !== ':memory:') {
        mkdirSync(this.path, { recursive: true });
        file = join(this.path, 'skein.duckdb');
      }
      // The file is ATTACHed (below) because only ATTACH takes ROW_GROUP_SIZE; the
      // instance itself is in memory, so its spill directory is set explicitly.
      const config: Record<string, string> = { checkpoint_threshold: CHECKPOINT_THRESHOLD };
      if (this.memoryLimitMB !== undefined) config.memory_limit = `${this.memoryLimitMB}MB`;
      if (this.threads !== undefined && this.threads > 0) config.threads = String(this.threads);
      if (file !== ':memory:') config.temp_directory = file + '.tmp';
      this.instance = await DuckDBInstance.create(':memory:', config);
      this.writer = await this.instance.connect();
      if (file !== ':memory:') {
        // The path comes from the configuration, never from a request; quoted as a SQL literal.
        await this.writer.run(
          `ATTACH '${file.replaceAll("'", "''")}' AS skein (ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`,
        );
      } else {
        await this.writer.run(`ATTACH ':memory:' AS skein`);
      }
      await this.writer.run('USE skein');
      for (const stmt of CREATE_STATEMENTS) await this.writer.run(stmt);
      const migrated = await migrateTenant(this.writer);
      if (migrated.length > 0) {
        this.logger?.info({ tables: migrated }, 'duckdb storage: added the tenant column');
      }
      for (const stmt of INDEX_STATEMENTS) await this.writer.run(stmt);
      await this.writer.run(
        `INSERT INTO skein_meta VALUES ('schema_version', $1)
         ON CONFLICT DO UPDATE SET value = excluded.value`,
        [String(SCHEMA_VERSION)],
      );
      for (let i = 0; i < WRITE_LANES; i++) {
        const connection = i === 0 ? this.writer : await this.instance.connect();
        if (i > 0) await connection.run('USE skein');
        const lane: WriteLane = { connection, spans: undefined, traces: undefined };
        await this.openAppenders(lane);
        this.lanes.push(lane);
        this.idleLanes.push(lane);
      }
      this.readers = await ConnectionPool.create(this.instance, READ_CONNECTIONS);
      this.spanMetrics = await SpanMetricsStore.open(this.instance, (op, fn) => this.read(op, fn));
      this.completenessStore = await CompletenessStore.open(this.instance, (op, fn) =>
        this.read(op, fn),
      );
      this.samplingStore = await DuckDbSamplingStore.open(this.instance);
      this.dependencyEdges = await DependencyEdgesStore.open(this.instance);
      await this.loadCaches(this.writer);
      this.logger?.info({ path: file, operations: this.operations.size }, 'duckdb storage open');
      this.scheduleWarm(WARM_FIRST_DELAY_MS);
    } catch (err) {
      throw new StorageError(['open the DuckDB store', `${this.path}: ${String(err)}`], {
        cause: err,
      });
    }
  }

  private async openAppenders(lane: WriteLane): Promise<void> {
    lane.spans = await lane.connection.createAppender('spans');
    lane.traces = await lane.connection.createAppender('traces');
  }

  private async loadCaches(c: DuckDBConnection): Promise<void> {
    const origins = await c.runAndReadAll('SELECT id, resource, scope, tenant FROM origins');
    const rows: OriginRow[] = [];
    for (const [id, resource, scope, tenant] of origins.getRows()) {
      rows.push({
        id: id as number,
        resource: resource as string,
        scope: scope as string,
        tenant: tenant as string,
      });
    }
    this.origins.load(rows);
    const ops = await c.runAndReadAll(
      'SELECT DISTINCT tenant, service, name, kind FROM operations',
    );
    this.operations.clear();
    for (const [tenant, service, name, kind] of ops.getRows()) {
      const op: OperationRow = {
        tenant: tenant as string,
        service: service as string,
        name: name as string,
        kind: kind as number,
      };
      this.operations.set(opKey(op.tenant, op.service, op.name, op.kind), op);
    }
  }

  private writerConnection(): DuckDBConnection {
    if (this.closed || this.writer === undefined) {
      throw new StorageError(['use the DuckDB store', 'it is closed (or was never opened)']);
    }
    return this.writer;
  }

  private takeLane(): Promise<WriteLane> {
    const lane = this.idleLanes.pop();
    if (lane !== undefined) return Promise.resolve(lane);
    return new Promise((resolve) => this.laneWaiters.push(resolve));
  }

  private releaseLane(lane: WriteLane): void {
    const next = this.laneWaiters.shift();
    if (next !== undefined) next(lane);
    else this.idleLanes.push(lane);
  }

  /**
   * Runs `fn` after every earlier write's encoding, purge and close, and before any
   * later one starts. Purge and close also wait for `commitTail` (every lane idle).
   */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.writeChain.then(fn);
    this.writeChain = p.catch(() => undefined);
    return p;
  }

  private read<T>(operation: string, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.closed || this.readers === undefined) {
      return Promise.reject(
        new StorageError([operation, 'the store is closed (or was never opened)']),
      );
    }
    return this.readers.use(fn).catch((err: unknown) => {
      throw readError(operation, err);
    });
  }

  write(spans: readonly Span[], receipts?: readonly number[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    return this.serialised(() => this.encodeBatch(spans, receipts)).then((b) =>
      this.commitBatch(b),
    );
  }

  /** Intake receipts at or above `from` (IntakeReceipts; see SpanWriter.write). */
  intakeReceipts(from: number): Promise<number[]> {
    return this.read('read intake receipts', async (c) => {
      const result = await c.runAndReadAll(
        'SELECT seq FROM intake_receipts WHERE seq >= $1',
        [BigInt(from)],
        [UBIGINT],
      );
      return result.getRows().map((r) => Number(r[0] as bigint));
    });
  }

  /** Forgets intake receipts below `below` (IntakeReceipts). */
  forgetIntakeReceipts(below: number): Promise<void> {
    return this.serialised(async () => {
      await this.writerConnection().run(
        'DELETE FROM intake_receipts WHERE seq < $1',
        [BigInt(below)],
        [UBIGINT],
      );
    });
  }

  /**
   * Begins the batch's transaction on a free lane and appends every row; the new
   * origins and operations it inserts are published so that a batch encoded while
   * this one commits references them instead of inserting them again.
   */
  private async encodeBatch(
    spans: readonly Span[],
    receipts: readonly number[] | undefined,
  ): Promise<EncodedBatch> {
    this.writerConnection();
    const lane = await this.takeLane();
    const batch = new OriginBatch();
    const newOps: OperationRow[] = [];
    const newOpKeys = new Set<string>();
    // Spans of a trace side by side (grouped in first-seen order, no sort): a trace
    // read decodes fewer vectors (get-trace p50 3.0 vs 3.7 ms at 1M spans) and
    // trace_id run-length encodes. Traces of one tenant side by side too, so the
    // tenant column is a few runs per batch. Row groups still cover a narrow
    // start_time range, since a batch holds spans received together. Two tenants'
    // traces with the same id are two traces.
    const byTenant = new Map<string, Map<string, TraceInBatch>>();
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i];
      const tenant = s.resource.tenant;
      let traces = byTenant.get(tenant);
      if (traces === undefined) {
        traces = new Map();
        byTenant.set(tenant, traces);
      }
      const t = traces.get(s.traceId);
      if (t === undefined) {
        traces.set(s.traceId, {
          traceId: s.traceId,
          tenant,
          min: s.startTime,
          max: s.startTime,
          spans: [i],
        });
      } else {
        t.spans.push(i);
        if (s.startTime < t.min) t.min = s.startTime;
        else if (s.startTime > t.max) t.max = s.startTime;
      }
      const key = opKey(tenant, s.resource.serviceName, s.name, s.kind);
      if (!this.operations.has(key) && !newOpKeys.has(key)) {
        newOpKeys.add(key);
        const owner = this.pendingOps.get(key);
        if (owner !== undefined) batch.borrowed.add(owner);
        else newOps.push({ tenant, service: s.resource.serviceName, name: s.name, kind: s.kind });
      }
    }
    const order = new Uint32Array(spans.length);
    const traces: TraceInBatch[] = [];
    let k = 0;
    for (const ofTenant of byTenant.values()) {
      for (const t of ofTenant.values()) {
        traces.push(t);
        for (let j = 0; j < t.spans.length; j++) order[k++] = t.spans[j];
      }
    }
    const w = lane.connection;
    try {
      await w.run('BEGIN TRANSACTION');
      for (let from = 0; from < spans.length; from += CHUNK_ROWS) {
        const to = Math.min(spans.length, from + CHUNK_ROWS);
        lane.spans!.appendDataChunk(encodeSpanChunk(spans, order, from, to, this.origins, batch));
      }
      lane.spans!.flushSync();
      this.appendTraceBounds(lane, traces);
      for (const o of batch.added) {
        await w.run(
          'INSERT INTO origins (id, resource, scope, tenant) VALUES ($1, $2, $3, $4)',
          [o.id, o.resource, o.scope, o.tenant],
          [UINTEGER, VARCHAR, VARCHAR, VARCHAR],
        );
      }
      for (const op of newOps) {
        await w.run(
          'INSERT INTO operations (service, name, kind, tenant) VALUES ($1, $2, $3, $4)',
          [op.service, op.name, op.kind, op.tenant],
          [VARCHAR, VARCHAR, UTINYINT, VARCHAR],
        );
      }
      // The durable intake's receipts commit with the spans: exactly-once replay.
      if (receipts !== undefined) {
        for (const seq of receipts) {
          await w.run('INSERT INTO intake_receipts VALUES ($1)', [BigInt(seq)], [UBIGINT]);
        }
      }
    } catch (err) {
      await this.recoverLane(lane);
      this.releaseLane(lane);
      throw new StorageError(['write a batch of spans', String(err)], { cause: err });
    }
    this.origins.publish(batch);
    for (const op of newOps) {
      this.pendingOps.set(opKey(op.tenant, op.service, op.name, op.kind), batch);
    }
    const previous = this.commitTail;
    let settled!: () => void;
    this.commitTail = new Promise<void>((resolve) => {
      settled = resolve;
    });
    return { spans, lane, origins: batch, newOps, previous, settled };
  }

  /**
   * Commits after the batch encoded before it (so a borrowed origin or operation row
   * is committed before, or with, any span referencing it) and fails if a batch it
   * borrowed from failed. Registries learn the batch's rows only once it commits.
   */
  private async commitBatch(b: EncodedBatch): Promise<void> {
    try {
      await b.previous;
      for (const owner of b.origins.borrowed) {
        if (owner.failed) {
          throw new Error(
            'an earlier batch inserting origins or operations this batch references failed; retry it',
          );
        }
      }
      await b.lane.connection.run('COMMIT');
      this.origins.commit(b.origins);
      for (const op of b.newOps) {
        const key = opKey(op.tenant, op.service, op.name, op.kind);
        this.operations.set(key, op);
        this.pendingOps.delete(key);
      }
      this.invalidateJoinedHours(b.spans);
    } catch (err) {
      this.forget(b);
      await this.recoverLane(b.lane);
      throw new StorageError(['write a batch of spans', String(err)], { cause: err });
    } finally {
      this.releaseLane(b.lane);
      b.settled();
    }
  }

  /**
   * After a batch commits: each tenant's cached span-join hours its spans may change
   * (one pass over the batch, whatever the number of tenants).
   */
  private invalidateJoinedHours(spans: readonly Span[]): void {
    if (this.dependencyHours.size === 0) return;
    const touched = new Map<string, Set<number>>();
    for (let i = 0; i < spans.length; i++) {
      const tenant = spans[i].resource.tenant;
      if (!this.dependencyHours.has(tenant)) continue;
      let hours = touched.get(tenant);
      if (hours === undefined) {
        hours = new Set();
        touched.set(tenant, hours);
      }
      hours.add(Math.floor(spans[i].startTime / HOUR_MICROS) * HOUR_MICROS);
    }
    for (const [tenant, hours] of touched) this.dependencyHours.get(tenant)!.invalidate(hours);
  }

  /** A batch that did not commit: later batches must neither reference nor borrow its rows. */
  private forget(b: EncodedBatch): void {
    b.origins.failed = true;
    this.origins.unpublish(b.origins);
    for (const op of b.newOps) {
      const key = opKey(op.tenant, op.service, op.name, op.kind);
      if (this.pendingOps.get(key) === b.origins) this.pendingOps.delete(key);
    }
  }

  private appendTraceBounds(lane: WriteLane, traces: readonly TraceInBatch[]): void {
    for (let from = 0; from < traces.length; from += CHUNK_ROWS) {
      lane.traces!.appendDataChunk(encodeTraceChunk(traces.slice(from, from + CHUNK_ROWS)));
    }
    lane.traces!.flushSync();
  }

  /**
   * After a failed batch: roll back and start fresh appenders (a failed one stays
   * failed). Never throws: the batch's own error is the one to report; a store that
   * cannot even reopen its appenders fails the next write with its own error.
   */
  private async recoverLane(lane: WriteLane): Promise<void> {
    try {
      lane.spans?.closeSync();
    } catch {
      // The appender is being replaced because it failed; its close error says nothing new.
    }
    try {
      lane.traces?.closeSync();
    } catch {
      // As above.
    }
    try {
      await lane.connection.run('ROLLBACK');
    } catch {
      // No transaction was open (BEGIN itself failed): nothing to roll back.
    }
    try {
      await this.openAppenders(lane);
    } catch (err) {
      this.logger?.error(
        { err },
        'duckdb storage could not reopen its appenders after a failed write',
      );
    }
  }

  /**
   * Runs a read through a prepared statement kept per connection: planning is a
   * sizeable share of a millisecond-scale lookup. Only SQL text written in this
   * folder is prepared; values are always bound.
   */
  private async query(
    c: DuckDBConnection,
    sql: string,
    values: DuckDBValue[],
    types: DuckDBType[],
  ): Promise<DuckDBMaterializedResult> {
    return (await this.bound(c, sql, values, types)).run();
  }

  /** The connection's prepared statement for `sql` (prepared once), with `values` bound. */
  private async bound(
    c: DuckDBConnection,
    sql: string,
    values: DuckDBValue[],
    types: DuckDBType[],
  ): Promise<DuckDBPreparedStatement> {
    let cache = this.prepared.get(c);
    if (cache === undefined) {
      cache = new Map();
      this.prepared.set(c, cache);
    }
    let statement = cache.get(sql);
    if (statement === undefined) {
      if (cache.size >= MAX_PREPARED) {
        for (const p of cache.values()) p.destroySync();
        cache.clear();
      }
      statement = await c.prepare(sql);
      cache.set(sql, statement);
    }
    statement.bind(values, types);
    return statement;
  }

  async getTrace(
    tenant: string,
    traceId: string,
    range?: TimeRange,
    budget?: ReadBudget,
  ): Promise<Trace | null> {
    if (!TRACE_ID_PATTERN.test(traceId)) return null;
    const id = BigInt('0x' + traceId);
    return this.read('read a trace', async (c) => {
      // The index probe finds the id's rows of every tenant (a few); the aggregates keep
      // ours. The tenant is in FILTER, not WHERE: a second WHERE conjunct makes DuckDB
      // 1.5 scan the table instead of probing the index (1.4 vs 0.6 ms at 1M spans).
      const b = await this.query(
        c,
        `SELECT min(start_min) FILTER (WHERE tenant = $2), max(start_max) FILTER (WHERE tenant = $2)
         FROM traces WHERE trace_id = $1`,
        [id, tenant],
        [UHUGEINT, VARCHAR],
      );
      const [min, max] = materializedRows(b)[0] as [bigint | null, bigint | null];
      if (min === null || max === null) return null;
      if (range !== undefined && (Number(max) < range.start || Number(min) > range.end))
        return null;
      // Sorted here, not by DuckDB: an ORDER BY would hold the whole trace in DuckDB's
      // memory before the first row came back; streamed, a big trace stops at the budget.
      const spans: Span[] = [];
      const whole = await this.selectSpans(
        c,
        `SELECT ${SPAN_SELECT_COLUMNS} FROM spans
         WHERE start_time >= $1 AND start_time <= $2 AND trace_id = $3 AND tenant = $4`,
        [min, max, id, tenant],
        [BIGINT, BIGINT, UHUGEINT, VARCHAR],
        spans,
        budget,
      );
      if (!whole) throw new AnswerTooLargeError([`trace ${traceId}`, budget!.maxBytes]);
      spans.sort(bySpanStart);
      if (
        range !== undefined &&
        !spans.some((s) => s.startTime >= range.start && s.startTime <= range.end)
      ) {
        return null;
      }
      if (spans.length === 0) return null;
      // A span stored twice (re-sent before writes were idempotent) reads back once.
      return { traceId: traceIdToHex(id), spans: distinctSpans(spans) };
    });
  }

  /**
   * Streams the selected spans into `out`; false when `budget` ran out first (the
   * spans decoded so far are in `out`).
   */
  private async selectSpans(
    c: DuckDBConnection,
    sql: string,
    values: DuckDBValue[],
    types: DuckDBType[],
    out: Span[],
    budget: ReadBudget | undefined,
  ): Promise<boolean> {
    // Most reads are a few hundred rows: one materialized call, capped, answers them
    // (a streamed result takes a call per chunk plus one to see the end). Only a read
    // past the cap is run again, streamed, so a big trace stops at its budget.
    const decoder = new SpanDecoder(this.origins);
    const first = await this.query(c, sql + ` LIMIT ${QUICK_READ_ROWS + 1}`, values, types);
    if (first.rowCount <= QUICK_READ_ROWS) return decodeMaterialized(first, decoder, out, budget);
    const result = await (await this.bound(c, sql, values, types)).stream();
    return decodeStream(result, decoder, out, budget);
  }

  /**
   * The ids of the `limit` traces with the most recent matching spans, searching
   * back from the end of the window in slices that grow 4× each time: a common
   * search (a busy service, a frequent tag) is answered from the last minutes
   * instead of the whole window, and a rare one costs a few more queries.
   *
   * Exact: a trace first found in a slice has its most recent matching span in that
   * slice, so it ranks below every trace found in a later slice and above every
   * trace found only in an earlier one.
   */
  private async searchIds(c: DuckDBConnection, q: TraceQuery): Promise<bigint[]> {
    const start = Math.ceil(q.startTimeMin);
    const limit = Math.max(1, Math.trunc(q.limit));
    const found = new Set<bigint>();
    let hi = Math.floor(q.startTimeMax);
    let width = FIRST_SEARCH_SLICE_MICROS;
    while (hi >= start && found.size < limit) {
      const lo = Math.max(start, hi - width + 1);
      // Still `limit` per slice: the traces found already may come back first.
      const slice: TraceQuery = { ...q, startTimeMin: lo, startTimeMax: hi };
      const { sql, values, types } = buildTraceSearch(slice, this.origins);
      const r = await this.query(c, sql, values, types);
      for (const id of materializedColumn(r, 0) as bigint[]) {
        if (found.size < limit) found.add(id);
      }
      hi = lo - 1;
      width *= 4;
    }
    return [...found];
  }

  findTraceIds(q: TraceQuery): Promise<string[]> {
    return this.read('search traces', async (c) => (await this.searchIds(c, q)).map(traceIdToHex));
  }

  findTraces(q: TraceQuery, budget?: ReadBudget): Promise<Trace[]> {
    return this.read('search traces', async (c) => {
      const ids = await this.searchIds(c, q);
      if (ids.length === 0) return [];
      // `IN ($1, ...)` probes the ART index per id; list_contains would scan the table.
      const placeholders = ids.map((_, i) => '$' + (i + 2)).join(', ');
      // The tenant in FILTER, not WHERE, keeps the index probe (as in getTrace).
      const b = await this.query(
        c,
        `SELECT trace_id, min(start_min) FILTER (WHERE tenant = $1),
                max(start_max) FILTER (WHERE tenant = $1)
         FROM traces WHERE trace_id IN (${placeholders}) GROUP BY trace_id`,
        [q.tenant, ...ids],
        [VARCHAR, ...ids.map(() => UHUGEINT)],
      );
      const bounds = (materializedRows(b) as [bigint, bigint | null, bigint | null][]).filter(
        (r): r is [bigint, bigint, bigint] => r[1] !== null,
      );
      // Most recent first, as `ids`: a search cut short by its budget keeps the newest.
      const rank = new Map(ids.map((id, i) => [id, i]));
      bounds.sort((x, y) => rank.get(x[0])! - rank.get(y[0])!);
      const byId = new Map<string, Trace>();
      const traces: Trace[] = [];
      for (const id of ids) {
        const t: Trace = { traceId: traceIdToHex(id), spans: [] };
        byId.set(t.traceId, t);
        traces.push(t);
      }
      // Traces close in time share a range scan (trace-fetch.ts): one range over all
      // of them could decode every vector of the search window, one branch per trace
      // decodes a row group per trace.
      for (let i = 0; i < bounds.length; i += TRACES_PER_FETCH) {
        const group = bounds.slice(i, i + TRACES_PER_FETCH);
        const { sql, values, types } = buildTraceFetch(group, q.tenant);
        const before = budget?.used ?? 0;
        const spans: Span[] = [];
        const whole = await this.selectSpans(c, sql, values, types, spans, budget);
        if (!whole) {
          // Which of this group's traces are whole is unknown: read them again one at
          // a time with what is left of the budget, newest first, until one does not fit.
          budget!.refund(budget!.used - before);
          budget!.truncated = true;
          let kept = i;
          for (const [id, min, max] of group) {
            const one: Span[] = [];
            const mark = budget!.used;
            const fits = await this.selectSpans(
              c,
              `SELECT ${SPAN_SELECT_COLUMNS} FROM spans
               WHERE start_time >= $1 AND start_time <= $2 AND trace_id = $3 AND tenant = $4`,
              [min, max, id, q.tenant],
              [BIGINT, BIGINT, UHUGEINT, VARCHAR],
              one,
              budget,
            );
            if (!fits) {
              budget!.refund(budget!.used - mark);
              break;
            }
            for (const s of one) byId.get(s.traceId)?.spans.push(s);
            kept++;
          }
          const keep = new Set(bounds.slice(0, kept).map(([id]) => traceIdToHex(id)));
          return traces.filter((t) => keep.has(t.traceId));
        }
        for (const s of distinctSpans(spans)) byId.get(s.traceId)?.spans.push(s);
      }
      return traces;
    });
  }

  /** Span-metrics writes take their turn with span batches' encoding (the store's own connection). */
  writeSpanMetrics(rows: readonly SpanMetricsRow[]): Promise<void> {
    return this.serialised(() => {
      this.writerConnection();
      return this.spanMetrics!.write(rows);
    });
  }

  async calls(q: MetricsQuery): Promise<MetricSeries[]> {
    return this.metricsStore().calls(q);
  }

  async errors(q: MetricsQuery): Promise<MetricSeries[]> {
    return this.metricsStore().errors(q);
  }

  async latencies(q: LatencyQuery): Promise<MetricSeries[]> {
    return this.metricsStore().latencies(q);
  }

  private metricsStore(): SpanMetricsStore {
    if (this.closed || this.spanMetrics === undefined) {
      throw new StorageError(['read span metrics', 'the store is closed (or was never opened)']);
    }
    return this.spanMetrics;
  }

  /** Completeness writes take their turn with span batches' encoding, like span metrics. */
  writeCompleteness(delta: CompletenessDelta): Promise<void> {
    return this.serialised(() => {
      this.writerConnection();
      return this.completenessStore!.write(delta);
    });
  }

  /** Dependency edge writes take their turn with span batches' encoding, like span metrics. */
  writeDependencies(delta: DependencyDelta): Promise<void> {
    return this.serialised(() => {
      this.writerConnection();
      return this.dependencyEdges!.write(delta).then(() => {
        for (const hours of this.edgeHours.values()) hours.invalidate(delta.edges);
      });
    });
  }

  async completeness(q: CompletenessQuery): Promise<CompletenessReport> {
    if (this.closed || this.completenessStore === undefined) {
      throw new StorageError(['read completeness', 'the store is closed (or was never opened)']);
    }
    return this.completenessStore.completeness(q);
  }

  // Adaptive sampling (SamplingStore): its own connection and tables, beside span writes.

  async tryAcquireSamplingLease(
    name: string,
    holder: string,
    now: number,
    ttlMs: number,
  ): Promise<SamplingLease> {
    return this.sampling('acquire the adaptive sampling lease').tryAcquireSamplingLease(
      name,
      holder,
      now,
      ttlMs,
    );
  }

  async releaseSamplingLease(name: string, holder: string): Promise<void> {
    return this.sampling('release the adaptive sampling lease').releaseSamplingLease(name, holder);
  }

  async writeSamplingProbabilities(
    lease: string,
    holder: string,
    now: number,
    rows: readonly OperationProbabilityRow[],
  ): Promise<boolean> {
    return this.sampling('write adaptive sampling probabilities').writeSamplingProbabilities(
      lease,
      holder,
      now,
      rows,
    );
  }

  async readSamplingProbabilities(): Promise<OperationProbabilityRow[]> {
    return this.sampling('read adaptive sampling probabilities').readSamplingProbabilities();
  }

  async addSamplingThroughput(
    holder: string,
    at: number,
    rows: readonly ThroughputRow[],
  ): Promise<void> {
    return this.sampling('write adaptive sampling throughput').addSamplingThroughput(
      holder,
      at,
      rows,
    );
  }

  async takeSamplingThroughput(since: number): Promise<ThroughputRow[]> {
    return this.sampling('take adaptive sampling throughput').takeSamplingThroughput(since);
  }

  private sampling(operation: string): DuckDbSamplingStore {
    if (this.closed || this.samplingStore === undefined) {
      throw new StorageError([operation, 'the store is closed (or was never opened)']);
    }
    return this.samplingStore;
  }

  getTagValues(q: TagValueQuery): Promise<string[]> {
    return this.read('read tag values', (c) => readTagValues(c, q));
  }

  /** buildTraceSearch understands `keys`, so this is the ordinary search. */
  findTraceIdsWithKeys(q: KeyedTraceQuery): Promise<string[]> {
    return this.findTraceIds(q);
  }

  getServices(tenant: string): Promise<string[]> {
    if (this.closed)
      return Promise.reject(new StorageError(['list services', 'the store is closed']));
    const services = new Set<string>();
    for (const op of this.operations.values()) if (op.tenant === tenant) services.add(op.service);
    return Promise.resolve([...services].sort());
  }

  getOperations(q: OperationQuery): Promise<Operation[]> {
    if (this.closed)
      return Promise.reject(new StorageError(['list operations', 'the store is closed']));
    const kind = q.spanKind ? spanKindFromName(q.spanKind) : undefined;
    if (q.spanKind && kind === undefined) return Promise.resolve([]);
    const out: Operation[] = [];
    for (const op of this.operations.values()) {
      if (op.tenant !== q.tenant || op.service !== q.serviceName) continue;
      if (kind !== undefined && op.kind !== kind) continue;
      out.push({ name: op.name, spanKind: SPAN_KIND_NAMES[op.kind] ?? '' });
    }
    out.sort((a, b) =>
      a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : a.spanKind < b.spanKind
            ? -1
            : a.spanKind > b.spanKind
              ? 1
              : 0,
    );
    return Promise.resolve(out);
  }

  getDependencies(tenant: string, endTs: number, lookback: number): Promise<DependencyLink[]> {
    // (endTs - lookback, endTs] in whole µs is [from, to).
    const to = Math.floor(endTs) + 1;
    const from = Math.floor(endTs - lookback) + 1;
    return this.readEdges('read dependencies', tenant, from, to);
  }

  /** The tenant's dependency caches, made on first use (a tenant's hours never serve another). */
  private dependencyCaches(tenant: string): { join: DependencyHours; edges: DependencyEdgeHours } {
    let join = this.dependencyHours.get(tenant);
    if (join === undefined) {
      join = new DependencyHours();
      this.dependencyHours.set(tenant, join);
    }
    let edges = this.edgeHours.get(tenant);
    if (edges === undefined) {
      edges = new DependencyEdgeHours(tenant);
      this.edgeHours.set(tenant, edges);
    }
    return { join, edges };
  }

  /**
   * Edge reads (users' and the background pass) run one at a time, queued before
   * they borrow a connection: two would join the same missing hours twice, and a
   * waiting one would hold a connection other reads need.
   */
  private readEdges(
    operation: string,
    tenant: string,
    from: number,
    to: number,
  ): Promise<DependencyLink[]> {
    const caches = this.dependencyCaches(tenant);
    const run = (): Promise<DependencyLink[]> =>
      this.read(operation, async (c) => {
        // Minutes the dependencies processor counted come from its aggregates; the
        // rest (window ends, older data, processor off) from the span join.
        const covered = await DependencyEdgesStore.coveredMinutes(c, from, to);
        const plan = planDependencyRead(from, to, covered);
        const counts = new Map<string, number>();
        // Range by range: edges counted in minutes not vouched for are joined instead.
        for (const r of plan.aggregated) await caches.edges.add(c, r.from, r.to, counts);
        for (const r of plan.joined) {
          const links = await caches.join.edges(r.from, r.to, (lo, hi, byHour) =>
            this.queryEdges(c, tenant, lo, hi, byHour),
          );
          for (const l of links) {
            const key = l.parent + '\u0000' + l.child;
            counts.set(key, (counts.get(key) ?? 0) + l.callCount);
          }
        }
        return toLinks(counts);
      });
    const result = this.edgeChain.then(run, run);
    this.edgeChain = result.catch(() => undefined);
    return result;
  }

  /**
   * Cross-service parent → child pairs for children starting in [from, to). The
   * parent side is bounded to an hour around the child (see DependencyHours), which
   * keeps both sides of the join time-bounded (zonemap-pruned). Each side is DISTINCT
   * so a span stored twice (re-sent before writes were idempotent) counts once and
   * does not multiply the join's rows; the parent side keeps only the children's
   * traces first, so a short range (a window's partial end minute) does not
   * deduplicate two hours of spans.
   */
  private async queryEdges(
    c: DuckDBConnection,
    tenant: string,
    from: number,
    to: number,
    byHour: boolean,
  ): Promise<EdgeRow[]> {
    const hour = byHour ? `floor(s.start_time / ${HOUR_MICROS})::BIGINT` : '0::BIGINT';
    const r = await this.query(
      c,
      `SELECT ${hour} AS hour, p.service AS parent, s.service AS child, count(*) AS calls
       FROM (SELECT DISTINCT trace_id, span_id, parent_span_id, service, name, kind, status_code,
               start_time, duration FROM spans
             WHERE start_time >= $1 AND start_time < $2 AND parent_span_id <> 0
               AND tenant = $6) s
       JOIN (SELECT DISTINCT trace_id, span_id, service, kind, start_time, duration FROM spans
             WHERE start_time >= $3 AND start_time < $4 AND tenant = $6 AND trace_id IN (
               SELECT trace_id FROM spans
               WHERE start_time >= $1 AND start_time < $2 AND parent_span_id <> 0
                 AND tenant = $6)) p
         ON s.parent_span_id = p.span_id AND s.trace_id = p.trace_id
       WHERE p.start_time >= s.start_time - $5 AND p.start_time <= s.start_time + $5
         AND p.service <> s.service
       GROUP BY ALL`,
      [
        BigInt(from),
        BigInt(to),
        BigInt(from - HOUR_MICROS),
        BigInt(to + HOUR_MICROS),
        BigInt(HOUR_MICROS),
        tenant,
      ],
      [BIGINT, BIGINT, BIGINT, BIGINT, BIGINT, VARCHAR],
    );
    return materializedRows(r).map(([h, parent, child, calls]) => ({
      hour: Number(h as bigint),
      parent: parent as string,
      child: child as string,
      calls: Number(calls as bigint),
    }));
  }

  /**
   * Keeps the per-hour dependency cache filled for the last day, in the background,
   * so a user's first dependency graph does not pay for the whole self-join (3.5 s
   * at 10M spans; an hour costs ~0.15 s). Only hours a write or purge dropped are
   * joined again. The timer is unref'd; close() stops it and waits for a pass.
   */
  private scheduleWarm(delayMs: number): void {
    this.warmTimer = setTimeout(() => {
      this.warmTimer = undefined;
      this.warming = this.warmDependencies().finally(() => {
        this.warming = undefined;
        if (this.closing === undefined) this.scheduleWarm(WARM_INTERVAL_MS);
      });
    }, delayMs);
    this.warmTimer.unref();
  }

  private async warmDependencies(): Promise<void> {
    const to = Math.floor((Date.now() * 1000) / HOUR_MICROS) * HOUR_MICROS;
    const tenants = new Set<string>([DEFAULT_TENANT]);
    for (const op of this.operations.values()) tenants.add(op.tenant);
    try {
      for (const tenant of tenants) {
        if (this.closing !== undefined) return;
        await this.readEdges(
          'warm the dependency cache',
          tenant,
          to - WARM_HOURS * HOUR_MICROS,
          to,
        );
      }
    } catch (err) {
      if (this.closing === undefined) {
        this.logger?.warn({ err }, 'could not precompute dependency edges');
      }
    }
  }

  purgeBefore(cutoff: number, scope?: PurgeScope): Promise<number> {
    return this.serialised(async () => {
      await this.commitTail;
      const w = this.writerConnection();
      const at = BigInt(Math.trunc(cutoff));
      const only = purgeScopeSql(scope, 2);
      let deleted = 0;
      try {
        await w.run('BEGIN TRANSACTION');
        deleted = (
          await w.run(
            `DELETE FROM spans WHERE start_time < $1${only.sql}`,
            [at, ...only.values],
            [BIGINT, ...only.types],
          )
        ).rowsChanged;
        await w.run(
          `DELETE FROM traces WHERE start_max < $1${only.sql}`,
          [at, ...only.values],
          [BIGINT, ...only.types],
        );
        await SpanMetricsStore.purge(w, at, scope);
        await CompletenessStore.purge(w, at, scope);
        await DependencyEdgesStore.purge(w, at, scope);
        if (deleted > 0) {
          // Only the purged tenants' operations can have gone.
          const ops = purgeScopeSql(scope, 1);
          const where = ops.sql === '' ? '' : ' WHERE true' + ops.sql;
          await w.run(`DELETE FROM operations${where}`, ops.values, ops.types);
          await w.run(
            `INSERT INTO operations (tenant, service, name, kind)
             SELECT DISTINCT tenant, service, name, kind FROM spans${where}`,
            ops.values,
            ops.types,
          );
          await w.run('DELETE FROM origins WHERE id NOT IN (SELECT DISTINCT origin_id FROM spans)');
        }
        await w.run('COMMIT');
      } catch (err) {
        await this.recoverLane(this.lanes[0]);
        throw new StorageError(['purge old spans', String(err)], { cause: err });
      }
      // Edge aggregates may have gone even when no span did: every cached hour is suspect.
      this.dependencyHours.clear();
      this.edgeHours.clear();
      if (deleted > 0) {
        try {
          await this.loadCaches(w);
          if (this.path !== ':memory:') await w.run('CHECKPOINT');
        } catch (err) {
          throw new StorageError(['reload caches after a purge', String(err)], { cause: err });
        }
      }
      return deleted;
    });
  }

  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    if (this.warmTimer !== undefined) clearTimeout(this.warmTimer);
    this.warmTimer = undefined;
    // After the writes already queued, so they are flushed, not refused.
    this.closing = this.serialised(async () => {
      await this.commitTail;
      await this.warming;
      this.closed = true;
      try {
        for (const lane of this.lanes) {
          lane.spans?.closeSync();
          lane.traces?.closeSync();
          lane.connection.closeSync();
        }
        await this.readers?.close();
        this.spanMetrics?.close();
        this.completenessStore?.close();
        this.dependencyEdges?.close();
        this.samplingStore?.close();
        this.instance?.closeSync();
      } catch (err) {
        throw new StorageError(['close the DuckDB store', String(err)], { cause: err });
      } finally {
        this.lanes.length = 0;
        this.idleLanes.length = 0;
        this.readers = undefined;
        this.spanMetrics = undefined;
        this.completenessStore = undefined;
        this.dependencyEdges = undefined;
        this.samplingStore = undefined;
        this.writer = undefined;
        this.instance = undefined;
      }
    });
    return this.closing;
  }
}
