import type { Logger } from 'pino';
import { AnswerTooLargeError, InvalidParameterError, StorageError } from '../../errors.ts';
import { StatusCode } from '../../model/span.ts';
import type { Span, Trace } from '../../model/span.ts';
import { COMPLETENESS_EXAMPLES } from '../completeness-reader.ts';
import type {
  CompletenessQuery,
  CompletenessReader,
  CompletenessReport,
} from '../completeness-reader.ts';
import type { CompletenessDelta, CompletenessWriter } from '../completeness-writer.ts';
import type { DependencyLink } from '../dependency-reader.ts';
import type { DependencyDelta, DependencyWriter } from '../dependency-writer.ts';
import { buildReport, emptyReport, planQuery } from '../duckdb/completeness-store.ts';
import type { ReportRows } from '../duckdb/completeness-store.ts';
import { tagTerm, splitTerm } from '../duckdb/attribute-codec.ts';
import { METRICS_MINUTE } from '../metrics-reader.ts';
import type { LatencyQuery, MetricSeries, MetricsQuery, MetricsReader } from '../metrics-reader.ts';
import {
  callRateSeries,
  errorRateSeries,
  latencySeries,
  planMetricsQuery,
} from '../metrics-windows.ts';
import type { CallColumns, LatencyColumns, QueryPlan } from '../metrics-windows.ts';
import type { SpanMetricsRow, SpanMetricsWriter } from '../span-metrics-writer.ts';
import type { PurgeScope, Storage } from '../storage.ts';
import type { ReadBudget } from '../read-budget.ts';
import { estimateAnswerBytes } from '../duckdb/span-stream.ts';
import type { KeyedTraceQuery, TagValueQuery, TagValueReader } from '../tag-value-reader.ts';
import type { Operation, OperationQuery, TimeRange, TraceQuery } from '../trace-reader.ts';
import { ClickHouseConnection } from './connection.ts';
import type { ClickHouseTransport, ConnectionOptions } from './connection.ts';
import { DAY_PARTITIONED_TABLES, serverFeatures, TENANT_TABLES, tableNames } from './schema.ts';
import { applySchema } from './schema-init.ts';
import type { SchemaOptions, ServerFeatures, TableNames } from './schema.ts';
import {
  DAY_MICROS,
  dayOf,
  dayString,
  decodeOrigin,
  SPAN_SELECT,
  SpanRowDecoder,
  SpanRowEncoder,
} from './span-row.ts';
import type { Origin, SpanRow } from './span-row.ts';
import { sqlInt, sqlIntArray, sqlString, sqlStringArray } from './sql-literal.ts';

export interface ClickHouseStorageOptions extends ConnectionOptions, SchemaOptions {
  /** Create the tables on open when they are missing (`skein schema init` does the same). */
  createSchema: boolean;
  /** Talk to ClickHouse through this instead of HTTP to `urls` (tests). */
  transport?: ClickHouseTransport;
  logger?: Logger;
}

/** Jaeger's span kind names, indexed by OTLP kind number. */
const SPAN_KIND_NAMES: readonly string[] = [
  '',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

/** A trace id as users type it: 1 to 32 hex digits (Jaeger left-pads short ones). */
const TRACE_ID_PATTERN = /^[0-9a-fA-F]{1,32}$/;

const HOUR_MICROS = 3_600_000_000;

/** How long a read trusts the purge mark it last read (another process may purge). */
const MARK_TTL_MS = 5_000;

/** Operations and origins remembered as written (or read), per process; cleared past this. */
const MAX_KNOWN_OPERATIONS = 100_000;
const MAX_KNOWN_ORIGINS = 100_000;

/**
 * Inserts wait until every shard's block is written on a replica (not queued on the
 * receiving node), so `write` resolves only once the spans are stored.
 */
const SPAN_INSERT_SETTINGS = { insert_distributed_sync: 1 } as const;

/**
 * Aggregate rows are deltas: two identical flushes are two counts, so the replicated
 * tables must not deduplicate them as a re-sent block.
 */
const DELTA_INSERT_SETTINGS = { insert_distributed_sync: 1, insert_deduplicate: 0 } as const;

/**
 * Reads return each stored span once: a re-delivered batch that was written again in
 * a different block is a second copy with every column equal; this keeps one.
 */
const ONE_COPY = 'LIMIT 1 BY trace_id, span_id, kind, start_time, duration';

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function dateLiteral(day: number): string {
  return `toDate(${sqlString(dayString(day))})`;
}

/** Day partition bounds of a µs window, as SQL conditions. */
function dayBounds(from: number, to: number): string {
  return `day >= ${dateLiteral(dayOf(from))} AND day <= ${dateLiteral(dayOf(to))}`;
}

/** Normalises a user-typed trace id as stored (32 lowercase hex digits), or undefined. */
function normaliseTraceId(id: string): string | undefined {
  if (!TRACE_ID_PATTERN.test(id)) return undefined;
  return id.toLowerCase().padStart(32, '0');
}

/** `tenant = '…'`: the condition every read starts with (the first sort key column). */
function tenantIs(tenant: string): string {
  return `tenant = ${sqlString(tenant)}`;
}

/** The rows a purge scope covers, as a condition on `tenant`. */
function scopeCondition(scope: PurgeScope | undefined): string {
  if (scope === undefined) return '1';
  if ('tenant' in scope) return tenantIs(scope.tenant);
  return `NOT has(${sqlStringArray(scope.exceptTenants)}, tenant)`;
}

/** A `purge_marks` group: one scope and its newest cutoff. */
interface MarkRow {
  scope: number;
  tenant: string;
  except_tenants: string[];
  m: string;
}

/** The newest cutoff that applies to `tenant`'s rows. */
function markFor(marks: readonly MarkRow[], tenant: string): number {
  let mark = 0;
  for (const r of marks) {
    const applies =
      Number(r.scope) === 0 ||
      (Number(r.scope) === 1 && r.tenant === tenant) ||
      (Number(r.scope) === 2 && !r.except_tenants.includes(tenant));
    if (applies) mark = Math.max(mark, Number(r.m));
  }
  return mark;
}

/** A scope as a `purge_marks` row's columns (the except list sorted, so equal scopes group). */
function markColumns(scope: PurgeScope | undefined): {
  scope: number;
  tenant: string;
  except_tenants: string[];
} {
  if (scope === undefined) return { scope: 0, tenant: '', except_tenants: [] };
  if ('tenant' in scope) return { scope: 1, tenant: scope.tenant, except_tenants: [] };
  return { scope: 2, tenant: '', except_tenants: [...new Set(scope.exceptTenants)].sort() };
}

interface TraceBounds {
  trace_id: string;
  lo: string;
  hi: string;
}

/**
 * The scale-out storage backend: a ClickHouse cluster (or one server). Table layout
 * and why: schema.ts. Values reach SQL only through sql-literal.ts or as JSONEachRow
 * row data (span-row.ts).
 *
 * Idempotency: a batch written again (a retry, an at-least-once redelivery) makes the
 * same blocks, which replicated tables drop as duplicates; a copy that slipped through
 * in another block is hidden by reads (`LIMIT 1 BY`), so every span is returned once.
 *
 * Not implemented: `SamplingStore` (adaptive sampling's lease needs an atomic
 * compare-and-set, which ClickHouse does not have; run adaptive sampling with a store
 * that has one, or file strategies).
 */
export class ClickHouseStorage
  implements
    Storage,
    DependencyWriter,
    TagValueReader,
    SpanMetricsWriter,
    MetricsReader,
    CompletenessWriter,
    CompletenessReader
{
  readonly name = 'clickhouse';
  readonly minStep = METRICS_MINUTE;
  private readonly connection: ClickHouseTransport;
  private readonly tables: TableNames;
  private features: ServerFeatures | undefined;
  private closed = false;
  private opened = false;
  /** `day NUL tenant NUL service NUL name NUL kind` of operations this process wrote. */
  private readonly knownOperations = new Set<string>();
  /** `day NUL origin id` of origin rows this process wrote. */
  private readonly writtenOrigins = new Set<string>();
  /** Decoded origins by id (an id is a hash of the content: an entry never changes). */
  private readonly originCache = new Map<string, Origin>();
  /** Every purge scope's newest cutoff, as last read. */
  private marks: MarkRow[] = [];
  private marksReadAt = -Infinity;

  constructor(private readonly options: ClickHouseStorageOptions) {
    this.connection = options.transport ?? new ClickHouseConnection(options);
    this.tables = tableNames(options);
  }

  /** The server's version and what it supports (after `open`). */
  get serverFeatures(): ServerFeatures | undefined {
    return this.features;
  }

  async open(): Promise<void> {
    try {
      const [row] = await this.connection.select<{ v: string }>('SELECT version() AS v');
      this.features = serverFeatures(row.v);
      if (this.options.createSchema) {
        await applySchema(this.connection, this.options, this.features);
      } else {
        // The newest columns too: tables of an older Skein need `schema init` first.
        await this.connection.select(`SELECT tenant FROM ${this.tables.read('spans')} LIMIT 0`);
        await this.connection.select(
          `SELECT scope FROM ${this.tables.read('purge_marks')} LIMIT 0`,
        );
      }
      this.opened = true;
      this.options.logger?.info(
        { urls: this.options.urls, cluster: this.options.cluster, version: row.v },
        'clickhouse storage open',
      );
    } catch (err) {
      throw new StorageError(
        [
          'open the ClickHouse store',
          `${this.options.urls.join(', ')}: ${String(err)}` +
            (this.options.createSchema ? '' : ' (run `skein schema init` first)'),
        ],
        { cause: err },
      );
    }
  }

  /**
   * For readiness: true when a node answers `SELECT 1`, else why not (every url was
   * tried). A query node or ingester that cannot reach ClickHouse is not ready.
   */
  async ping(): Promise<true | string> {
    if (this.closed || !this.opened) return 'the ClickHouse store is closed';
    try {
      await this.connection.select('SELECT 1 AS ok');
      return true;
    } catch (err) {
      return `ClickHouse is not reachable (${this.options.urls.join(', ')}): ${String((err as Error)?.message ?? err)}`;
    }
  }

  private check(operation: string): void {
    if (this.closed || !this.opened) {
      throw new StorageError([operation, 'the store is closed (or was never opened)']);
    }
  }

  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    this.check(operation);
    try {
      return await fn();
    } catch (err) {
      if (
        err instanceof StorageError ||
        err instanceof InvalidParameterError ||
        err instanceof AnswerTooLargeError
      ) {
        throw err;
      }
      throw new StorageError([operation, String((err as Error)?.message ?? err)], { cause: err });
    }
  }

  /** The newest cutoff of every purge scope (cached for MARK_TTL_MS unless `fresh`). */
  private async purgeMarks(fresh = false): Promise<readonly MarkRow[]> {
    if (!fresh && performance.now() - this.marksReadAt < MARK_TTL_MS) return this.marks;
    this.marks = await this.connection.select<MarkRow>(
      `SELECT scope, tenant, except_tenants, max(cutoff) AS m FROM ${this.tables.read('purge_marks')}
       GROUP BY scope, tenant, except_tenants`,
    );
    this.marksReadAt = performance.now();
    return this.marks;
  }

  /** The newest purge cutoff (µs) for `tenant`: its rows older than it are hidden from reads. */
  private async purgeMark(tenant: string): Promise<number> {
    return markFor(await this.purgeMarks(), tenant);
  }

  write(spans: readonly Span[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    return this.run('write spans', async () => {
      const encoder = new SpanRowEncoder();
      let body = '';
      // Per tenant, trace and day: the start bounds, for trace_index.
      const bounds = new Map<
        string,
        { tenant: string; traceId: string; day: number; min: number; max: number }
      >();
      const newOps = new Set<string>();
      let ops = '';
      for (let i = 0; i < spans.length; i++) {
        const s = spans[i];
        body += encoder.encode(s);
        const start = Math.trunc(s.startTime);
        const day = dayOf(start);
        const tenant = s.resource.tenant;
        const key = tenant + '\u0000' + s.traceId + '\u0000' + day;
        const b = bounds.get(key);
        if (b === undefined) {
          bounds.set(key, { tenant, traceId: s.traceId, day, min: start, max: start });
        } else if (start < b.min) b.min = start;
        else if (start > b.max) b.max = start;
        const op =
          day +
          '\u0000' +
          tenant +
          '\u0000' +
          s.resource.serviceName +
          '\u0000' +
          s.name +
          '\u0000' +
          s.kind;
        if (!this.knownOperations.has(op) && !newOps.has(op)) {
          newOps.add(op);
          ops +=
            '{"day":' +
            encoder.day(start) +
            ',"tenant":' +
            JSON.stringify(tenant) +
            ',"service":' +
            JSON.stringify(s.resource.serviceName) +
            ',"name":' +
            JSON.stringify(s.name) +
            ',"kind":' +
            s.kind +
            '}\n';
        }
      }
      let index = '';
      for (const b of bounds.values()) {
        index +=
          '{"day":' +
          JSON.stringify(dayString(b.day)) +
          ',"tenant":' +
          JSON.stringify(b.tenant) +
          ',"trace_id":' +
          JSON.stringify(b.traceId) +
          ',"start_min":' +
          b.min +
          ',"start_max":' +
          b.max +
          '}\n';
      }
      let origins = '';
      const newOrigins: string[] = [];
      for (const [key, o] of encoder.origins) {
        if (this.writtenOrigins.has(key)) continue;
        newOrigins.push(key);
        origins +=
          JSON.stringify({
            day: dayString(o.day),
            tenant: o.row.tenant,
            origin_id: o.row.id,
            resource: o.row.resource,
            scope: o.row.scope,
            terms: o.row.terms,
          }) + '\n';
      }
      // Origins, then spans, then the index: no row points at one that was not written.
      await this.connection.insert(this.tables.read('origins'), origins, SPAN_INSERT_SETTINGS);
      await this.connection.insert(this.tables.read('spans'), body, SPAN_INSERT_SETTINGS);
      await this.connection.insert(this.tables.read('trace_index'), index, SPAN_INSERT_SETTINGS);
      await this.connection.insert(this.tables.read('operations'), ops, SPAN_INSERT_SETTINGS);
      if (this.knownOperations.size + newOps.size > MAX_KNOWN_OPERATIONS) {
        this.knownOperations.clear();
      }
      for (const op of newOps) this.knownOperations.add(op);
      if (this.writtenOrigins.size + newOrigins.length > MAX_KNOWN_ORIGINS) {
        this.writtenOrigins.clear();
      }
      for (const key of newOrigins) this.writtenOrigins.add(key);
    });
  }

  getTrace(
    tenant: string,
    traceId: string,
    range?: TimeRange,
    budget?: ReadBudget,
  ): Promise<Trace | null> {
    return this.run('read a trace', async () => {
      const id = normaliseTraceId(traceId);
      if (id === undefined) return null;
      const { traces, stoppedAt } = await this.readTraces(tenant, [id], budget);
      if (stoppedAt !== undefined) {
        throw new AnswerTooLargeError([`trace ${traceId}`, budget!.maxBytes]);
      }
      const spans = traces.get(id);
      if (spans === undefined || spans.length === 0) return null;
      if (
        range !== undefined &&
        !spans.some((s) => s.startTime >= range.start && s.startTime <= range.end)
      ) {
        return null;
      }
      return { traceId: id, spans };
    });
  }

  /**
   * Every stored span of `tenant`'s traces, by trace id: their time bounds from trace_index
   * (a primary-key lookup), then one read of `spans` bounded to those days and times,
   * streamed in the order of `ids`. With a budget, each span is charged as it is
   * decoded and the read stops once it is spent: `stoppedAt` is then the trace being
   * read (its spans so far are in `traces`, charged).
   */
  private async readTraces(
    tenant: string,
    ids: readonly string[],
    budget?: ReadBudget,
  ): Promise<{ traces: Map<string, Span[]>; bytes: Map<string, number>; stoppedAt?: string }> {
    const traces = new Map<string, Span[]>();
    const bytes = new Map<string, number>();
    if (ids.length === 0) return { traces, bytes };
    const mark = await this.purgeMark(tenant);
    const idList = sqlStringArray(ids);
    const bounds = await this.connection.select<TraceBounds>(
      `SELECT trace_id, toString(min(start_min)) AS lo, toString(max(start_max)) AS hi
       FROM ${this.tables.read('trace_index')} WHERE ${tenantIs(tenant)} AND has(${idList}, trace_id)
       GROUP BY trace_id`,
    );
    if (bounds.length === 0) return { traces, bytes };
    let lo = Infinity;
    let hi = -Infinity;
    for (const b of bounds) {
      lo = Math.min(lo, Number(b.lo));
      hi = Math.max(hi, Number(b.hi));
    }
    lo = Math.max(lo, mark);
    if (lo > hi) return { traces, bytes };
    const decoder = new SpanRowDecoder(this.originCache);
    let stoppedAt: string | undefined;
    await this.connection.selectEach<SpanRow>(
      // PREWHERE on the id: read the wide columns only for the trace's rows (left to
      // itself, 18.16 moves the cheaper `day` condition there and reads them all).
      `SELECT ${SPAN_SELECT} FROM ${this.tables.read('spans')}
       PREWHERE has(${sqlStringArray(bounds.map((b) => b.trace_id))}, trace_id)
       WHERE ${tenantIs(tenant)} AND ${dayBounds(lo, hi)}
         AND start_time >= ${sqlInt(lo)} AND start_time <= ${sqlInt(hi)}
       ORDER BY indexOf(${idList}, trace_id), start_time, span_id ${ONE_COPY}`,
      (row) => {
        const span = decoder.decode(row);
        const list = traces.get(span.traceId);
        if (list === undefined) traces.set(span.traceId, [span]);
        else list.push(span);
        if (budget === undefined) return true;
        const size = estimateAnswerBytes(span);
        bytes.set(span.traceId, (bytes.get(span.traceId) ?? 0) + size);
        if (budget.charge(size)) return true;
        stoppedAt = span.traceId;
        return false;
      },
    );
    if (decoder.unresolved.length > 0) {
      await this.fetchOrigins(
        tenant,
        decoder.unresolved.map((u) => u.originId),
      );
      decoder.resolve(this.originCache);
    }
    return { traces, bytes, stoppedAt };
  }

  /**
   * Puts `tenant`'s origins with these ids (from the `origins` table) in the cache (an
   * id hashes the tenant: another tenant's origin never has it; the condition is the
   * primary key's first column, and a second guard).
   */
  private async fetchOrigins(tenant: string, ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)];
    const found = await this.connection.select<{ id: string; t: string; r: string; s: string }>(
      `SELECT origin_id AS id, any(tenant) AS t, any(resource) AS r, any(scope) AS s
       FROM ${this.tables.read('origins')}
       WHERE ${tenantIs(tenant)} AND has(${sqlStringArray(missing)}, origin_id)
       GROUP BY origin_id`,
    );
    if (this.originCache.size + found.length > MAX_KNOWN_ORIGINS) this.originCache.clear();
    for (const o of found) this.originCache.set(o.id, decodeOrigin(o.r, o.s, o.t));
  }

  /**
   * For each tag condition, the origins (resource + scope) that carry it in the window's
   * days: the condition then also holds for spans with one of those origin ids.
   */
  private async originsWithTerms(
    tenant: string,
    terms: readonly string[],
    from: number,
    to: number,
  ): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (terms.length === 0) return out;
    const list = sqlStringArray(terms);
    const rows = await this.connection.select<{ term: string; id: string }>(
      `SELECT DISTINCT arrayJoin(arrayFilter(t -> has(${list}, t), terms)) AS term, origin_id AS id
       FROM ${this.tables.read('origins')}
       WHERE ${tenantIs(tenant)} AND ${dayBounds(from, to)} AND arrayExists(t -> has(${list}, t), terms)`,
    );
    for (const r of rows) {
      const ids = out.get(r.term);
      if (ids === undefined) out.set(r.term, [r.id]);
      else ids.push(r.id);
    }
    return out;
  }

  /** The WHERE conditions of a trace search (Jaeger's semantics, see TraceQuery). */
  private async searchConditions(
    q: TraceQuery | KeyedTraceQuery,
    mark: number,
  ): Promise<string[] | undefined> {
    // Stored times are whole µs: a fractional bound rounds inwards (4.5 µs min → 5).
    const from = Math.max(Math.ceil(q.startTimeMin), mark);
    const to = Math.floor(q.startTimeMax);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from > to) return undefined;
    const where = [
      tenantIs(q.tenant),
      dayBounds(from, to),
      `start_time >= ${sqlInt(from)}`,
      `start_time <= ${sqlInt(to)}`,
    ];
    if (q.serviceName) where.push(`service = ${sqlString(q.serviceName)}`);
    if (q.operationName) where.push(`name = ${sqlString(q.operationName)}`);
    if (q.durationMin) where.push(`duration >= ${sqlInt(Math.ceil(q.durationMin))}`);
    if (q.durationMax) where.push(`duration <= ${sqlInt(Math.floor(q.durationMax))}`);
    const keysOf = Object.keys(q.tags);
    const origins = await this.originsWithTerms(
      q.tenant,
      keysOf.map((key) => tagTerm(key, q.tags[key])),
      from,
      to,
    );
    for (const key of keysOf) {
      const value = q.tags[key];
      const raw = tagTerm(key, value);
      const alternatives = [`has(tags, ${sqlString(raw)})`];
      const ids = origins.get(raw);
      if (ids !== undefined) alternatives.push(`has(${sqlStringArray(ids)}, origin_id)`);
      if (key === 'error' && value === 'true')
        alternatives.push(`status_code = ${StatusCode.Error}`);
      const kind = key === 'span.kind' ? SPAN_KIND_NAMES.indexOf(value) : -1;
      if (kind > 0) alternatives.push(`kind = ${sqlInt(kind)}`);
      where.push('(' + alternatives.join(' OR ') + ')');
    }
    const keys = 'keys' in q ? q.keys : [];
    for (const key of keys) {
      const prefix = tagTerm(key, '');
      const alternatives = [
        `arrayExists(t -> substring(t, 1, ${sqlInt(Buffer.byteLength(prefix))}) = ${sqlString(prefix)}, tags)`,
        `has(event_names, ${sqlString(key)})`,
      ];
      if (key === 'error') alternatives.push(`status_code = ${StatusCode.Error}`);
      where.push('(' + alternatives.join(' OR ') + ')');
    }
    return where;
  }

  private async searchIds(q: TraceQuery | KeyedTraceQuery): Promise<string[]> {
    const where = await this.searchConditions(q, await this.purgeMark(q.tenant));
    if (where === undefined) return [];
    const limit = Math.max(1, Math.trunc(q.limit));
    const rows = await this.connection.select<{ trace_id: string }>(
      `SELECT trace_id, max(start_time) AS last FROM ${this.tables.read('spans')}
       WHERE ${where.join(' AND ')}
       GROUP BY trace_id ORDER BY last DESC, trace_id LIMIT ${sqlInt(limit)}`,
    );
    return rows.map((r) => r.trace_id);
  }

  findTraceIds(q: TraceQuery): Promise<string[]> {
    return this.run('search traces', () => this.searchIds(q));
  }

  findTraceIdsWithKeys(q: KeyedTraceQuery): Promise<string[]> {
    return this.run('search traces', () => this.searchIds(q));
  }

  /**
   * With a budget, the most recent traces that fit whole: the read stops in the first
   * trace that does not fit, which is left out (its bytes given back) with the rest,
   * and `budget.truncated` is set.
   */
  findTraces(q: TraceQuery, budget?: ReadBudget): Promise<Trace[]> {
    return this.run('search traces', async () => {
      const ids = await this.searchIds(q);
      const { traces, bytes, stoppedAt } = await this.readTraces(q.tenant, ids, budget);
      const out: Trace[] = [];
      for (const traceId of ids) {
        if (traceId === stoppedAt) {
          budget!.refund(bytes.get(traceId) ?? 0);
          budget!.truncated = true;
          break;
        }
        out.push({ traceId, spans: traces.get(traceId) ?? [] });
      }
      return out;
    });
  }

  getTagValues(q: TagValueQuery): Promise<string[]> {
    return this.run('read tag values', async () => {
      const mark = await this.purgeMark(q.tenant);
      const from = Math.max(Math.trunc(q.startTimeMin), mark);
      const to = Math.trunc(q.startTimeMax);
      if (from > to) return [];
      const prefix = tagTerm(q.key, '');
      const service = q.serviceName ? `AND service = ${sqlString(q.serviceName)}` : '';
      const rows = await this.connection.select<{ term: string }>(
        `SELECT DISTINCT arrayJoin(arrayFilter(t -> substring(t, 1, ${sqlInt(Buffer.byteLength(prefix))}) = ${sqlString(prefix)}, tags)) AS term
         FROM ${this.tables.read('spans')}
         WHERE ${tenantIs(q.tenant)} AND ${dayBounds(from, to)}
           AND start_time >= ${sqlInt(from)} AND start_time <= ${sqlInt(to)} ${service}
         ORDER BY term LIMIT ${sqlInt(Math.max(1, Math.trunc(q.limit)))}`,
      );
      return rows.map((r) => splitTerm(r.term)[1]);
    });
  }

  getServices(tenant: string): Promise<string[]> {
    return this.run('list services', async () => {
      const rows = await this.connection.select<{ service: string }>(
        `SELECT DISTINCT service FROM ${this.tables.read('operations')}
         WHERE ${tenantIs(tenant)} AND day >= ${dateLiteral(dayOf(await this.purgeMark(tenant)))}`,
      );
      return rows.map((r) => r.service).sort(compareText);
    });
  }

  getOperations(q: OperationQuery): Promise<Operation[]> {
    return this.run('list operations', async () => {
      let kind = '';
      if (q.spanKind) {
        const k = SPAN_KIND_NAMES.indexOf(q.spanKind);
        if (k < 0) return [];
        kind = ` AND kind = ${sqlInt(k)}`;
      }
      const rows = await this.connection.select<{ name: string; kind: number }>(
        `SELECT DISTINCT name, kind FROM ${this.tables.read('operations')}
         WHERE ${tenantIs(q.tenant)} AND service = ${sqlString(q.serviceName)}${kind}
           AND day >= ${dateLiteral(dayOf(await this.purgeMark(q.tenant)))}`,
      );
      return rows
        .map((r) => ({ name: r.name, spanKind: SPAN_KIND_NAMES[Number(r.kind)] ?? '' }))
        .sort((a, b) => compareText(a.name, b.name) || compareText(a.spanKind, b.spanKind));
    });
  }

  writeDependencies(delta: DependencyDelta): Promise<void> {
    if (delta.edges.length + delta.minutes.length === 0) return Promise.resolve();
    return this.run('write dependency edges', async () => {
      let edges = '';
      for (const e of delta.edges) {
        edges +=
          JSON.stringify({
            day: dayString(dayOf(e.minute)),
            tenant: e.tenant,
            minute: e.minute,
            parent: e.parent,
            child: e.child,
            calls: e.calls,
            errors: e.errors,
          }) + '\n';
      }
      let minutes = '';
      for (const m of new Set(delta.minutes)) {
        minutes += JSON.stringify({ day: dayString(dayOf(m)), minute: m }) + '\n';
      }
      // Edges first: a minute is listed only once its edges are stored.
      await this.connection.insert(
        this.tables.read('dependency_edges'),
        edges,
        DELTA_INSERT_SETTINGS,
      );
      await this.connection.insert(
        this.tables.read('dependency_minutes'),
        minutes,
        SPAN_INSERT_SETTINGS,
      );
    });
  }

  /**
   * Edges of children starting in (endTs - lookback, endTs]: summed from the
   * dependencies processor's rows for the whole minutes it counted, joined from the
   * spans for the rest (partial end minutes, spans written without the processor).
   * The join runs on each shard (a trace lives on one; the right side reads the
   * shard-local table); a parent is looked up within an hour of its child, and each
   * child span counts once however many copies are stored. Only `tenant`'s edges and
   * spans count: both sides of the join are the tenant's (minutes the processor
   * counted are global: it counts every tenant's edges of a minute at once).
   */
  getDependencies(tenant: string, endTs: number, lookback: number): Promise<DependencyLink[]> {
    return this.run('read dependencies', async () => {
      const only = tenantIs(tenant);
      // (endTs - lookback, endTs] in whole µs is [from, to).
      const to = Math.floor(endTs) + 1;
      const from = Math.max(Math.floor(endTs - lookback) + 1, await this.purgeMark(tenant));
      if (from >= to) return [];
      const firstWhole = Math.ceil(from / METRICS_MINUTE) * METRICS_MINUTE;
      const endWhole = Math.floor(to / METRICS_MINUTE) * METRICS_MINUTE;
      const covered: number[] = [];
      if (firstWhole < endWhole) {
        const rows = await this.connection.select<{ m: string }>(
          `SELECT DISTINCT minute AS m FROM ${this.tables.read('dependency_minutes')}
           WHERE ${dayBounds(firstWhole, endWhole)} AND minute >= ${sqlInt(firstWhole)} AND minute < ${sqlInt(endWhole)}`,
        );
        for (const r of rows) covered.push(Number(r.m));
      }
      const counts = new Map<string, number>();
      const add = (parent: string, child: string, n: number): void => {
        const key = parent + '\u0000' + child;
        counts.set(key, (counts.get(key) ?? 0) + n);
      };
      if (covered.length > 0) {
        const rows = await this.connection.select<{ parent: string; child: string; n: string }>(
          `SELECT parent, child, sum(calls) AS n FROM ${this.tables.read('dependency_edges')}
           WHERE ${only} AND ${dayBounds(firstWhole, endWhole)} AND has(${sqlIntArray(covered)}, minute)
           GROUP BY parent, child`,
        );
        for (const r of rows) add(r.parent, r.child, Number(r.n));
      }
      const notCovered =
        covered.length > 0
          ? `AND NOT has(${sqlIntArray(covered)}, intDiv(start_time, ${METRICS_MINUTE}) * ${METRICS_MINUTE})`
          : '';
      const pFrom = from - HOUR_MICROS;
      const pTo = to + HOUR_MICROS;
      const rows = await this.connection.select<{ parent: string; child: string; n: string }>(
        `SELECT parent_service AS parent, service AS child, uniqExact(trace_id, span_id) AS n
         FROM ${this.tables.read('spans')}
         ALL INNER JOIN (
           SELECT trace_id, span_id AS parent_span_id, service AS parent_service
           FROM ${this.tables.local('spans')}
           WHERE ${only} AND ${dayBounds(pFrom, pTo)} AND start_time >= ${sqlInt(pFrom)} AND start_time < ${sqlInt(pTo)}
         ) AS parents USING (trace_id, parent_span_id)
         WHERE ${only} AND ${dayBounds(from, to)} AND start_time >= ${sqlInt(from)} AND start_time < ${sqlInt(to)}
           AND parent_span_id != '' AND parent_service != service ${notCovered}
         GROUP BY parent, child`,
      );
      for (const r of rows) add(r.parent, r.child, Number(r.n));
      const links: DependencyLink[] = [];
      for (const [key, callCount] of counts) {
        if (callCount === 0) continue;
        const sep = key.indexOf('\u0000');
        links.push({ parent: key.slice(0, sep), child: key.slice(sep + 1), callCount });
      }
      return links.sort((a, b) => compareText(a.parent, b.parent) || compareText(a.child, b.child));
    });
  }

  writeSpanMetrics(rows: readonly SpanMetricsRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.run('write span metrics', async () => {
      let body = '';
      for (const r of rows) {
        const buckets: number[] = [];
        const counts: number[] = [];
        for (let i = 0; i < r.latency.buckets.length; i++) {
          buckets.push(r.latency.buckets[i]);
          counts.push(r.latency.counts[i]);
        }
        body +=
          JSON.stringify({
            day: dayString(dayOf(r.minute)),
            tenant: r.tenant,
            minute: r.minute,
            service: r.service,
            operation: r.operation,
            kind: r.kind,
            status_code: r.statusCode,
            calls: r.calls,
            duration_sum: r.durationSum,
            latency_buckets: buckets,
            latency_counts: counts,
          }) + '\n';
      }
      await this.connection.insert(this.tables.read('span_metrics'), body, DELTA_INSERT_SETTINGS);
    });
  }

  private metricsWhere(q: MetricsQuery, plan: QueryPlan, mark: number): string {
    // Purged minutes are those that ended at or before the mark.
    const from = Math.max(plan.fromMinute, mark - METRICS_MINUTE + 1);
    return `${tenantIs(q.tenant)} AND ${dayBounds(from, plan.toMinute)} AND minute >= ${sqlInt(from)} AND minute < ${sqlInt(plan.toMinute)}
      AND has(${sqlStringArray(q.services)}, service) AND has(${sqlIntArray(q.spanKinds)}, kind)`;
  }

  private async readCalls(q: MetricsQuery, plan: QueryPlan): Promise<CallColumns[]> {
    const op = q.groupByOperation ? 'operation' : "''";
    const rows = await this.connection.select<{
      service: string;
      op: string;
      minute: string;
      n: string;
      e: string;
    }>(
      // Aliases differ from column names: on 18.16 an alias shadows the column.
      `SELECT service, ${op} AS op, minute, sum(calls) AS n,
              sumIf(calls, status_code = ${StatusCode.Error}) AS e
       FROM ${this.tables.read('span_metrics')} WHERE ${this.metricsWhere(q, plan, await this.purgeMark(q.tenant))}
       GROUP BY service, op, minute ORDER BY service, op, minute`,
    );
    const out: CallColumns[] = [];
    let current: CallColumns | undefined;
    for (const r of rows) {
      if (
        current === undefined ||
        current.service !== r.service ||
        (current.operation ?? '') !== r.op
      ) {
        current = {
          service: r.service,
          operation: q.groupByOperation ? r.op : undefined,
          minutes: [],
          calls: [],
          errors: [],
        };
        out.push(current);
      }
      current.minutes.push(Number(r.minute));
      current.calls.push(Number(r.n));
      current.errors.push(Number(r.e));
    }
    return sortSeries(out);
  }

  async calls(q: MetricsQuery): Promise<MetricSeries[]> {
    const plan = planMetricsQuery(q);
    return this.run('read call rates', async () =>
      callRateSeries(await this.readCalls(q, plan), plan),
    );
  }

  async errors(q: MetricsQuery): Promise<MetricSeries[]> {
    const plan = planMetricsQuery(q);
    return this.run('read error rates', async () =>
      errorRateSeries(await this.readCalls(q, plan), plan),
    );
  }

  async latencies(q: LatencyQuery): Promise<MetricSeries[]> {
    if (!(q.quantile > 0 && q.quantile <= 1)) {
      throw new InvalidParameterError([
        'quantile',
        `must be a number in (0, 1] such as 0.95, got ${q.quantile}`,
      ]);
    }
    const plan = planMetricsQuery(q);
    return this.run('read latencies', async () => {
      const op = q.groupByOperation ? 'operation' : "''";
      const rows = await this.connection.select<{
        service: string;
        op: string;
        minute: string;
        buckets: number[];
        counts: (number | string)[];
      }>(
        `SELECT service, ${op} AS op, minute, latency_buckets AS buckets, latency_counts AS counts
         FROM ${this.tables.read('span_metrics')} WHERE ${this.metricsWhere(q, plan, await this.purgeMark(q.tenant))}
         ORDER BY service, op, minute`,
      );
      const out: LatencyColumns[] = [];
      let current: LatencyColumns | undefined;
      for (const r of rows) {
        if (
          current === undefined ||
          current.service !== r.service ||
          (current.operation ?? '') !== r.op
        ) {
          current = {
            service: r.service,
            operation: q.groupByOperation ? r.op : undefined,
            minutes: [],
            starts: [0],
            buckets: [],
            counts: [],
          };
          out.push(current);
        }
        current.minutes.push(Number(r.minute));
        for (let i = 0; i < r.buckets.length; i++) {
          current.buckets.push(Number(r.buckets[i]));
          current.counts.push(Number(r.counts[i]));
        }
        current.starts.push(current.buckets.length);
      }
      return latencySeries(sortSeries(out), plan, q.quantile);
    });
  }

  writeCompleteness(delta: CompletenessDelta): Promise<void> {
    const { roots, services, edges, breaks } = delta;
    if (roots.length + services.length + edges.length + breaks.length === 0)
      return Promise.resolve();
    return this.run('write completeness aggregates', async () => {
      const day = (minute: number): string => dayString(dayOf(minute));
      const lines = <T>(rows: readonly T[], row: (r: T) => object): string =>
        rows.map((r) => JSON.stringify(row(r)) + '\n').join('');
      const t = this.tables;
      await this.connection.insert(
        t.read('completeness_roots'),
        lines(roots, (r) => ({
          day: day(r.minute),
          tenant: r.tenant,
          minute: r.minute,
          root_service: r.rootService,
          traces: r.traces,
          complete: r.complete,
        })),
        DELTA_INSERT_SETTINGS,
      );
      await this.connection.insert(
        t.read('completeness_services'),
        lines(services, (r) => ({
          day: day(r.minute),
          tenant: r.tenant,
          minute: r.minute,
          service: r.service,
          spans: r.spans,
          spans_in_complete: r.spansInComplete,
        })),
        DELTA_INSERT_SETTINGS,
      );
      await this.connection.insert(
        t.read('completeness_edges'),
        lines(edges, (r) => ({
          day: day(r.minute),
          tenant: r.tenant,
          minute: r.minute,
          caller: r.caller,
          callee: r.callee,
          calls: r.calls,
          answered: r.answered,
        })),
        DELTA_INSERT_SETTINGS,
      );
      await this.connection.insert(
        t.read('completeness_breaks'),
        lines(breaks, (r) => ({
          day: day(r.minute),
          tenant: r.tenant,
          minute: r.minute,
          cause: r.cause,
          service: r.service,
          peer: r.peer,
          count: r.count,
          examples: r.examples,
        })),
        DELTA_INSERT_SETTINGS,
      );
    });
  }

  async completeness(q: CompletenessQuery): Promise<CompletenessReport> {
    const plan = planQuery(q);
    if (plan === undefined) return emptyReport();
    return this.run('read completeness', async () => {
      const mark = await this.purgeMark(q.tenant);
      const from = Math.max(plan.fromMinute, mark - METRICS_MINUTE + 1);
      const window = `${tenantIs(q.tenant)} AND ${dayBounds(from, plan.toMinute)} AND minute >= ${sqlInt(from)} AND minute < ${sqlInt(plan.toMinute)}`;
      const service = q.service === undefined ? undefined : sqlString(q.service);
      const where = (condition: (s: string) => string): string =>
        service === undefined ? window : `${window} AND (${condition(service)})`;
      const t = this.tables;
      const select = async (sql: string, columns: string[]): Promise<unknown[][]> =>
        // Sums are Float64 (JSON numbers); the minute (Int64, quoted) is read with Number().
        (await this.connection.select<Record<string, unknown>>(sql)).map((r) =>
          columns.map((c) => r[c]),
        );
      const rows: ReportRows = {
        roots: await select(
          `SELECT root_service AS k, toFloat64(sum(traces)) AS t, toFloat64(sum(complete)) AS c
           FROM ${t.read('completeness_roots')} WHERE ${where((s) => `root_service = ${s}`)} GROUP BY root_service`,
          ['k', 't', 'c'],
        ),
        minutes: await select(
          `SELECT minute AS n, toFloat64(sum(traces)) AS t, toFloat64(sum(complete)) AS c
           FROM ${t.read('completeness_roots')} WHERE ${where((s) => `root_service = ${s}`)} GROUP BY minute ORDER BY minute`,
          ['n', 't', 'c'],
        ),
        services: await select(
          `SELECT service AS k, toFloat64(sum(spans)) AS s, toFloat64(sum(spans_in_complete)) AS c
           FROM ${t.read('completeness_services')} WHERE ${where((s) => `service = ${s}`)} GROUP BY service`,
          ['k', 's', 'c'],
        ),
        edges: await select(
          `SELECT caller, callee, toFloat64(sum(calls)) AS a, toFloat64(sum(answered)) AS c
           FROM ${t.read('completeness_edges')} WHERE ${where((s) => `caller = ${s} OR callee = ${s}`)} GROUP BY caller, callee`,
          ['caller', 'callee', 'a', 'c'],
        ),
        breaks: await select(
          `SELECT cause, service, peer, toFloat64(sum(count)) AS n
           FROM ${t.read('completeness_breaks')} WHERE ${where((s) => `service = ${s} OR peer = ${s}`)} GROUP BY cause, service, peer`,
          ['cause', 'service', 'peer', 'n'],
        ),
        examples: newestExamples(
          await this.connection.select<ExampleRow>(
            `SELECT cause, service, peer, minute, count >= 0 AS added, arrayJoin(examples) AS example
             FROM ${t.read('completeness_breaks')} WHERE ${where((s) => `service = ${s} OR peer = ${s}`)} AND length(examples) > 0`,
          ),
        ),
      };
      return buildReport(q, plan, rows);
    });
  }

  /**
   * Hides everything of the scope's tenants older than `cutoff` at once (a purge mark
   * with the scope, which readers apply to their tenant), then removes the days that
   * ended at or before it: without a scope every such day partition is dropped (a
   * metadata operation); with one, a day partition that holds only the scope's rows is
   * dropped, and from one shared with other tenants the scope's rows are deleted (an
   * `ALTER … DELETE` mutation, which ClickHouse runs in the background; the mark hides
   * them meanwhile). Returns how many spans it hid (those of each tenant in the scope
   * between that tenant's previous mark and this cutoff).
   */
  purgeBefore(cutoff: number, scope?: PurgeScope): Promise<number> {
    return this.run('purge old spans', async () => {
      const at = Math.trunc(cutoff);
      const inScope = scopeCondition(scope);
      const marks = await this.purgeMarks(true);
      const spans = this.tables.read('spans');
      // Each tenant's rows newer than its own previous mark are the ones hidden now
      // (the tenants from `operations`, which has a row per tenant, service and day).
      const tenants = await this.connection.select<{ tenant: string }>(
        `SELECT DISTINCT tenant FROM ${this.tables.read('operations')}
         WHERE day <= ${dateLiteral(dayOf(at))} AND ${inScope}`,
      );
      const byMark = new Map<number, string[]>();
      for (const { tenant } of tenants) {
        const m = markFor(marks, tenant);
        if (m >= at) continue;
        const list = byMark.get(m);
        if (list === undefined) byMark.set(m, [tenant]);
        else list.push(tenant);
      }
      let deleted = 0;
      if (byMark.size > 0) {
        const newer = [...byMark].map(
          ([m, list]) =>
            `(has(${sqlStringArray(list)}, tenant) AND day >= ${dateLiteral(dayOf(m))} AND start_time >= ${sqlInt(m)})`,
        );
        // One copy per tenant: two tenants' spans with the same ids are two spans.
        const [row] = await this.connection.select<{ n: string }>(
          `SELECT count() AS n FROM (SELECT trace_id FROM ${spans}
           WHERE day <= ${dateLiteral(dayOf(at))} AND start_time < ${sqlInt(at)} AND (${newer.join(' OR ')})
           LIMIT 1 BY tenant, trace_id, span_id, kind, start_time, duration)`,
        );
        deleted = Number(row?.n ?? 0);
      }
      const columns = markColumns(scope);
      const sameScope = marks.find(
        (r) =>
          Number(r.scope) === columns.scope &&
          r.tenant === columns.tenant &&
          r.except_tenants.join('\u0000') === columns.except_tenants.join('\u0000'),
      );
      if (sameScope === undefined || Number(sameScope.m) < at) {
        await this.connection.insert(
          this.tables.read('purge_marks'),
          JSON.stringify({ day: dayString(dayOf(at)), cutoff: at, ...columns }) + '\n',
          SPAN_INSERT_SETTINGS,
        );
      }
      this.marksReadAt = -Infinity;
      // Days that ended at or before the cutoff go as a whole (the scope's part of them).
      const lastDay = Math.floor(at / DAY_MICROS) - 1;
      const sharedEdgeDays = new Set<string>();
      for (const table of DAY_PARTITIONED_TABLES) {
        if (scope === undefined) {
          const days = await this.connection.select<{ d: string }>(
            `SELECT DISTINCT toString(day) AS d FROM ${this.tables.read(table)} WHERE day <= ${dateLiteral(lastDay)}`,
          );
          for (const { d } of days) await this.dropDay(table, d);
          continue;
        }
        if (!TENANT_TABLES.has(table)) {
          // dependency_minutes is global: a day goes once no other tenant's edges are left in it.
          const days = await this.connection.select<{ d: string }>(
            `SELECT DISTINCT toString(day) AS d FROM ${this.tables.read(table)} WHERE day <= ${dateLiteral(lastDay)}`,
          );
          for (const { d } of days) if (!sharedEdgeDays.has(d)) await this.dropDay(table, d);
          continue;
        }
        // count() - countIf(…), not countIf(NOT …): 18.16 loses a doubly negated
        // aggregate's column in a Distributed query.
        const days = await this.connection.select<{ d: string; mine: string; rows: string }>(
          `SELECT toString(day) AS d, countIf(${inScope}) AS mine, count() AS rows
           FROM ${this.tables.read(table)} WHERE day <= ${dateLiteral(lastDay)} GROUP BY day`,
        );
        const shared: string[] = [];
        for (const { d, mine, rows } of days) {
          if (Number(mine) === Number(rows)) {
            await this.dropDay(table, d);
            continue;
          }
          if (table === 'dependency_edges') sharedEdgeDays.add(d);
          if (Number(mine) > 0) shared.push(`toDate(${sqlString(d)})`);
        }
        // One mutation per table (each ON CLUSTER statement waits for every host).
        if (shared.length > 0) {
          await this.connection.command(
            `ALTER TABLE ${this.tables.local(table)}${this.tables.onCluster}
             DELETE WHERE day IN (${shared.join(', ')}) AND ${inScope}`,
          );
        }
      }
      return deleted;
    });
  }

  private async dropDay(table: string, day: string): Promise<void> {
    await this.connection.command(
      `ALTER TABLE ${this.tables.local(table)}${this.tables.onCluster} DROP PARTITION ${sqlString(day)}`,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }
}

function sortSeries<S extends { service: string; operation?: string }>(list: S[]): S[] {
  return list.sort(
    (a, b) =>
      compareText(a.service, b.service) || compareText(a.operation ?? '', b.operation ?? ''),
  );
}

interface ExampleRow {
  cause: string;
  service: string;
  peer: string;
  minute: string;
  added: number;
  example: string;
}

/**
 * Per (cause, service, peer): the newest examples (by minute, then text), each once,
 * without those a negative row withdrew, at most COMPLETENESS_EXAMPLES, as rows
 * `[cause, service, peer, example, minute]` in that order (completeness-reader.ts).
 */
function newestExamples(rows: readonly ExampleRow[]): unknown[][] {
  const withdrawn = new Set<string>();
  const latest = new Map<string, { key: string; row: ExampleRow; minute: number }>();
  for (const r of rows) {
    const key = r.cause + '\u0000' + r.service + '\u0000' + r.peer;
    const id = key + '\u0000' + r.example;
    if (Number(r.added) === 0) {
      withdrawn.add(id);
      continue;
    }
    const minute = Number(r.minute);
    const seen = latest.get(id);
    if (seen === undefined || minute > seen.minute) latest.set(id, { key, row: r, minute });
  }
  const byKey = new Map<string, { row: ExampleRow; minute: number }[]>();
  for (const [id, e] of latest) {
    if (withdrawn.has(id)) continue;
    let list = byKey.get(e.key);
    if (list === undefined) byKey.set(e.key, (list = []));
    list.push(e);
  }
  const out: unknown[][] = [];
  for (const key of [...byKey.keys()].sort(compareText)) {
    const list = byKey.get(key)!;
    list.sort((a, b) => b.minute - a.minute || compareText(a.row.example, b.row.example));
    for (const e of list.slice(0, COMPLETENESS_EXAMPLES)) {
      out.push([e.row.cause, e.row.service, e.row.peer, e.row.example, e.minute]);
    }
  }
  return out;
}
