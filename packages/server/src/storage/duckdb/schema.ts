import {
  BIGINT,
  DOUBLE,
  LIST,
  UBIGINT,
  UHUGEINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import type { DuckDBType } from '@duckdb/node-api';

/**
 * The embedded store's tables. Why this shape (measured with bench/storage-load.ts):
 *
 * - Tenants (issue 15): every table holding spans or rows derived from them (spans,
 *   traces, origins, operations, span_metrics, completeness_*, dependency_edges,
 *   sampling_probabilities, sampling_throughput) has `tenant VARCHAR NOT NULL DEFAULT
 *   ''`, '' being DEFAULT_TENANT (data sent without naming a tenant), as its LAST
 *   column: a store made before tenants gains it in place (migrate-tenant.ts; its rows
 *   read as DEFAULT_TENANT) and has the same column order as a new one. Every read
 *   binds `tenant = $n`; nothing is string-built. Cost: a one-tenant install writes a
 *   constant column, which DuckDB stores as one dictionary entry and a tiny index per
 *   row group: 91.2 → 92.3 B/span at 1M spans (+1.1 B, +1.2%; one DuckDB block per
 *   ~16 row groups). Per-tenant reads stay fast because the tenant never widens a scan:
 *   the start_time zonemap bounds it as before and the tenant is one more pushed-down
 *   filter on a dictionary-coded column (a write batch appends each tenant's traces
 *   together, so the column is a few runs per batch and its own min/max zonemap skips
 *   row groups holding only other tenants). A trace lookup probes `traces_by_id` by
 *   id, then keeps its tenant's rows of the few found (two tenants may use one id) in
 *   the aggregates' FILTER (a `tenant` conjunct in WHERE makes DuckDB scan `traces`
 *   instead of probing: 1.4 vs 0.6 ms), and scans `spans` in those bounds for
 *   `trace_id = $id AND tenant = $t`. Services and
 *   operations come from the in-memory `operations` mirror, keyed by tenant; origins
 *   are per tenant (`origins.tenant` is part of an origin's identity, so a decoded
 *   span's Resource carries its tenant and a resource tag search resolves to the
 *   asking tenant's origin ids only). `dependency_minutes` stays global (the
 *   dependencies processor vouches for a minute for every tenant at once).
 *
 * - `spans` holds one row per span, appended in batches sorted by start time, so the
 *   per-row-group min/max (zonemap) of `start_time` prunes every time-bounded scan.
 *   Ids are integers (UHUGEINT / UBIGINT), not hex text: half the bytes and cheap
 *   equality. `service` and `name` are plain VARCHAR: DuckDB dictionary-compresses
 *   them to a few bits per row.
 * - `tags` is the searchable form of the span's attributes, then its events' and
 *   links' attributes, as `key NUL value-as-string` terms: one `list_contains` per
 *   search condition, vectorised, and the list's child column compresses well
 *   because keys and most values repeat. The first `length(attr_types)` terms are
 *   the span's own attributes and `attr_types` holds one type code per attribute,
 *   so the same list also restores the typed attributes exactly (no second copy).
 * - `extra` is a JSON array with what is rarely set (trace state, status message,
 *   dropped counts, events, links); NULL for most spans.
 * - `origins` deduplicates resource + scope pairs (a batch from one SDK shares
 *   them): spans carry a small integer id. The process keeps every origin in memory,
 *   so resource/scope tag conditions become `origin_id IN (...)` without a join.
 * - `traces` keeps, per trace and write batch, the start time bounds; an ART index
 *   on its trace id turns get-trace into an index probe plus a zonemap-bounded scan
 *   of `spans`.
 * - `operations` is the distinct (service, name, kind) set, maintained on write, so
 *   services and operations never scan spans.
 *
 * - `span_metrics` holds the span-metrics processor's per-minute RED aggregates, one
 *   row per (minute, service, operation, kind, status code) and flush: rows are deltas
 *   that readers sum per minute and series (metrics-windows.ts turns the minutes into
 *   rate windows). The latency histogram is two parallel lists (log-scale bucket index,
 *   count; model/latency-histogram.ts), small integers that bit-pack. Rows are appended
 *   in time order, so `minute <` / `>=` bounds prune by zonemap, and a purge deletes the
 *   minutes that ended before the retention cutoff. Added without a schema version bump:
 *   `CREATE TABLE IF NOT EXISTS` adds it to a store made before it.
 * - `completeness_roots`, `completeness_services`, `completeness_edges` and
 *   `completeness_breaks` hold the completeness processor's per-minute delta rows
 *   (storage/completeness-writer.ts), one table per row shape, appended as they come:
 *   counts are signed (a later flush may take back what an earlier one counted) and
 *   readers SUM them per key over the window's minutes (completeness-store.ts). A break
 *   row carries its few example trace ids as a list; readers keep the newest distinct
 *   ones per key and drop the ids a negative row withdrew. Purged with the spans' cutoff,
 *   like `span_metrics`; added the same way, without a schema version bump.
 *
 * - `dependency_edges` holds the dependencies processor's per-minute parent → child
 *   service edge deltas (calls, errors; storage/dependency-writer.ts) and
 *   `dependency_minutes` the minutes it vouches for, appended together in one
 *   transaction per flush. `/api/dependencies` sums the edges of vouched-for whole
 *   minutes and joins the spans only for the rest (the window's partial end minutes,
 *   data written before the processor ran or while it was off):
 *   dependency-coverage.ts. Purged
 *   with the spans' cutoff; added without a schema version bump.
 *
 * - `intake_receipts` holds the durable intake's sequence numbers of the batches whose
 *   spans committed, written in the same transaction as the spans (storage/span-writer.ts):
 *   after a crash the intake replays exactly the batches not listed. Pruned below the
 *   oldest batch the intake still holds; a few rows.
 *
 * - `sampling_leases`, `sampling_probabilities` and `sampling_throughput` are adaptive
 *   sampling's (storage/sampling-store.ts, duckdb/sampling-store.ts): a lease row per
 *   name (holder, expiry in ms) taken with one conditional upsert; the probabilities the
 *   lease holder computed, one row per tenant and service operation, replaced as a
 *   whole; and the root-span counts each process observed per interval, deleted by the
 *   holder as it reads them. A few hundred rows; not purged with the spans.
 *
 * Measured and not taken: an ART index on `spans.trace_id` (get-trace 2.4 ms instead
 * of ~3.3, but ~18 MB of memory per million spans and a file twice the size after
 * its checkpoint); sorting each batch by service before time (no faster search at
 * 1M spans, +6 B/span). Dependencies not covered by `dependency_edges` are a
 * self-join of `spans`, cached per hour (dependency-hours.ts): uncached, the join
 * costs ~0.15-0.3 s per million spans.
 */
/** 1: before tenants; 2: a `tenant` column on every table of TENANT_TABLES. */
export const SCHEMA_VERSION = 2;

export const CREATE_STATEMENTS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS skein_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS spans (
    start_time BIGINT NOT NULL,
    duration BIGINT NOT NULL,
    trace_id UHUGEINT NOT NULL,
    span_id UBIGINT NOT NULL,
    parent_span_id UBIGINT NOT NULL,
    service VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind UTINYINT NOT NULL,
    status_code UTINYINT NOT NULL,
    flags UINTEGER NOT NULL,
    origin_id UINTEGER NOT NULL,
    attr_types VARCHAR NOT NULL,
    tags VARCHAR[] NOT NULL,
    extra VARCHAR,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS traces (
    trace_id UHUGEINT NOT NULL,
    start_min BIGINT NOT NULL,
    start_max BIGINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS origins (
    id UINTEGER PRIMARY KEY,
    resource VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS operations (
    service VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind UTINYINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS span_metrics (
    minute BIGINT NOT NULL,
    service VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    kind UTINYINT NOT NULL,
    status_code UTINYINT NOT NULL,
    calls UBIGINT NOT NULL,
    duration_sum DOUBLE NOT NULL,
    latency_buckets USMALLINT[] NOT NULL,
    latency_counts UINTEGER[] NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_roots (
    minute BIGINT NOT NULL,
    root_service VARCHAR NOT NULL,
    traces BIGINT NOT NULL,
    complete BIGINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_services (
    minute BIGINT NOT NULL,
    service VARCHAR NOT NULL,
    spans BIGINT NOT NULL,
    spans_in_complete BIGINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_edges (
    minute BIGINT NOT NULL,
    caller VARCHAR NOT NULL,
    callee VARCHAR NOT NULL,
    calls BIGINT NOT NULL,
    answered BIGINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_breaks (
    minute BIGINT NOT NULL,
    cause VARCHAR NOT NULL,
    service VARCHAR NOT NULL,
    peer VARCHAR NOT NULL,
    count BIGINT NOT NULL,
    examples VARCHAR[] NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS dependency_edges (
    minute BIGINT NOT NULL,
    parent VARCHAR NOT NULL,
    child VARCHAR NOT NULL,
    calls BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS dependency_minutes (minute BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS intake_receipts (seq UBIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sampling_leases (
    name VARCHAR PRIMARY KEY,
    holder VARCHAR NOT NULL,
    expires_at BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS sampling_probabilities (
    service VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    probability DOUBLE NOT NULL,
    traces_per_second DOUBLE NOT NULL,
    sampled_per_second DOUBLE NOT NULL,
    updated_at BIGINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
  `CREATE TABLE IF NOT EXISTS sampling_throughput (
    written_at BIGINT NOT NULL,
    holder VARCHAR NOT NULL,
    service VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    roots BIGINT NOT NULL,
    probabilistic BIGINT NOT NULL,
    estimated_traces DOUBLE NOT NULL,
    unadaptable BIGINT NOT NULL,
    tenant VARCHAR NOT NULL DEFAULT ''
  )`,
];

/**
 * The tables with a `tenant` column. It is the LAST column of each, in a new file as in
 * one migrated from schema version 1 (`ALTER TABLE ADD COLUMN` appends), so appenders
 * and positional INSERTs see one column order either way (migrate-tenant.ts).
 */
export const TENANT_TABLES: readonly string[] = [
  'spans',
  'traces',
  'origins',
  'operations',
  'span_metrics',
  'completeness_roots',
  'completeness_services',
  'completeness_edges',
  'completeness_breaks',
  'dependency_edges',
  'sampling_probabilities',
  'sampling_throughput',
];

/**
 * Indexes, created after the tenant migration: DuckDB refuses to alter a table an
 * index depends on, so the migration drops `traces_by_id` and this recreates it.
 */
export const INDEX_STATEMENTS: readonly string[] = [
  `CREATE INDEX IF NOT EXISTS traces_by_id ON traces (trace_id)`,
];

/** Column types of `spans`, in table order, for the appender's data chunks. */
export const SPAN_COLUMN_TYPES: readonly DuckDBType[] = [
  BIGINT,
  BIGINT,
  UHUGEINT,
  UBIGINT,
  UBIGINT,
  VARCHAR,
  VARCHAR,
  UTINYINT,
  UTINYINT,
  UINTEGER,
  UINTEGER,
  VARCHAR,
  LIST(VARCHAR),
  VARCHAR,
  VARCHAR,
];

export const TRACE_COLUMN_TYPES: readonly DuckDBType[] = [UHUGEINT, BIGINT, BIGINT, VARCHAR];

/** Column types of `span_metrics`, in table order, for the appender's data chunks. */
export const SPAN_METRICS_COLUMN_TYPES: readonly DuckDBType[] = [
  BIGINT,
  VARCHAR,
  VARCHAR,
  UTINYINT,
  UTINYINT,
  UBIGINT,
  DOUBLE,
  LIST(USMALLINT),
  LIST(UINTEGER),
  VARCHAR,
];

/** The columns a reader selects to rebuild a span, in the order `decodeSpanRow` expects. */
export const SPAN_SELECT_COLUMNS =
  'start_time, duration, trace_id, span_id, parent_span_id, name, kind, status_code, flags, origin_id, attr_types, tags, extra';
