import { sqlIdentifier } from './sql-literal.ts';

/**
 * The ClickHouse table layout (`skein schema init` creates it; the storage checks it
 * on open). One portable dialect that runs on ClickHouse 18.16 (Debian's) and on
 * modern servers; what only modern servers have is added when the server's version
 * says it has it ({@link ServerFeatures}).
 *
 * With a cluster named, every table is a `*_local` ReplicatedMergeTree created
 * `ON CLUSTER` (ZooKeeper path `/clickhouse/tables/{shard}/<database>/<table>`,
 * replica `{replica}`: the `shard` and `replica` macros of each server's config),
 * plus a Distributed table of the same name without `_local` that reads every shard
 * and writes by sharding key. Without a cluster, the same tables are plain MergeTree
 * tables on one server under the names without `_local`, and nothing is distributed.
 *
 * Tenants: every span and aggregate table (all but `dependency_minutes` and
 * `purge_marks`) has a `tenant` column FIRST in its sort key, so a read, which always
 * names one tenant, is a range of the primary index; two tenants' identical trace ids
 * and service names are different rows. `purge_marks` rows carry the purge's scope.
 *
 * - `spans`: one row per span. Sharded by `cityHash64(trace_id)`, so a whole trace
 *   lives on one shard (dependencies join a span with its parent shard-locally).
 *   PARTITION BY `day` (UTC day of the start time): retention drops whole days.
 *   ORDER BY (tenant, service, start_time): searches are by service and time window; the
 *   repeated service/resource/scope strings compress to almost nothing in that order.
 *   Attributes are `tags` terms `key NUL value-as-string` (as DuckDB's store; one
 *   `has()` per tag condition) with their type codes in `attr_types`; events, links
 *   and rare fields are one JSON document `extra` ('' for most spans); the resource
 *   and scope are an `origin_id`.
 * - `origins`: resource + scope pairs (JSON) and their search terms, keyed by a hash
 *   of their content and tenant, one row per day they are used in (so a day's spans never
 *   outlive their origins). Written once per process and day; a span row carries the
 *   16-character id instead of ~1 KB of resource text (measured: 1,457 → ~400 JSON
 *   characters per span, half the encode time). Resource tag search finds the
 *   matching origin ids first.
 * - `trace_index`: per trace, day and write batch the span start bounds, ORDER BY
 *   (tenant, trace_id): get-trace is a primary-key lookup there, then a read of `spans`
 *   bounded to those days and times.
 * - `operations`: (day, tenant, service, name, kind), ReplacingMergeTree: services and
 *   operations never scan spans, and go with their day.
 * - `span_metrics`, `completeness_*`, `dependency_edges`: the processors' per-minute
 *   delta rows (summed by readers), partitioned by day like the spans;
 *   `dependency_minutes` the minutes the dependencies processor counted: dependency
 *   reads sum the edges of those whole minutes and join spans (shard-locally) only for
 *   the rest.
 * - `purge_marks`: the cutoffs of past purges, each with its tenant scope. Dropping a
 *   day partition is exact to the day; readers hide what is older than the newest
 *   mark that applies to their tenant, so retention is exact to the µs (spans) and
 *   minute (aggregates) as the storage contract says.
 *
 * Sharding of the aggregate tables is `rand()`: they are summed over every shard.
 */

/** What the server can do beyond 18.16, by version. */
export interface ServerFeatures {
  version: string;
  /** Data-skipping indexes (bloom filter on trace_id), column codecs: 20.3 and later. */
  modern: boolean;
}

export function serverFeatures(version: string): ServerFeatures {
  const [major, minor] = version.split('.').map((p) => Number(p));
  const modern = major > 20 || (major === 20 && minor >= 3);
  return { version, modern };
}

export interface SchemaOptions {
  database: string;
  /** Cluster name in the servers' `remote_servers`; '' for one server without replication. */
  cluster: string;
}

interface TableSpec {
  name: string;
  columns: string;
  /** Extra column definitions on modern servers (skip indexes). */
  modernExtra?: string;
  replacing?: boolean;
  partitionBy: string;
  orderBy: string;
  shardingKey: string;
}

/** Column lists, in the order the row encoders write them. */
export const SPAN_COLUMNS = [
  'day',
  'start_time',
  'duration',
  'trace_id',
  'span_id',
  'parent_span_id',
  'service',
  'name',
  'kind',
  'status_code',
  'flags',
  'attr_types',
  'tags',
  'event_names',
  'extra',
  'origin_id',
] as const;

/**
 * The tenant column's type: `LowCardinality(String)` where the server has it as a
 * regular type (modern servers); plain String on 18.16, where it is experimental
 * (behind `allow_experimental_low_cardinality_type`). Either way it is first in the
 * sort key, so a tenant's rows are one range of the primary index.
 */
export function tenantType(features: ServerFeatures): string {
  return features.modern ? 'LowCardinality(String)' : 'String';
}

function tables(features: ServerFeatures): TableSpec[] {
  const delta = features.modern ? ' CODEC(Delta, ZSTD(1))' : '';
  const zstd = features.modern ? ' CODEC(ZSTD(1))' : '';
  const tenant = `tenant ${tenantType(features)}`;
  return [
    {
      name: 'spans',
      columns: `
        day Date,
        ${tenant},
        start_time Int64${delta},
        duration Int64${zstd},
        trace_id String${zstd},
        span_id String${zstd},
        parent_span_id String${zstd},
        service String,
        name String,
        kind UInt8,
        status_code UInt8,
        flags UInt32,
        attr_types String${zstd},
        tags Array(String)${zstd},
        event_names Array(String),
        extra String${zstd},
        origin_id String`,
      modernExtra: `,
        INDEX trace_id_bloom trace_id TYPE bloom_filter(0.01) GRANULARITY 1`,
      partitionBy: 'day',
      orderBy: '(tenant, service, start_time)',
      shardingKey: 'cityHash64(trace_id)',
    },
    {
      name: 'origins',
      columns: `
        day Date,
        ${tenant},
        origin_id String,
        resource String,
        scope String,
        terms Array(String)`,
      replacing: true,
      partitionBy: 'day',
      orderBy: '(tenant, origin_id)',
      shardingKey: 'cityHash64(origin_id)',
    },
    {
      name: 'trace_index',
      columns: `
        day Date,
        ${tenant},
        trace_id String,
        start_min Int64,
        start_max Int64`,
      partitionBy: 'day',
      orderBy: '(tenant, trace_id)',
      shardingKey: 'cityHash64(trace_id)',
    },
    {
      name: 'operations',
      columns: `
        day Date,
        ${tenant},
        service String,
        name String,
        kind UInt8`,
      replacing: true,
      partitionBy: 'day',
      orderBy: '(tenant, service, name, kind)',
      shardingKey: 'cityHash64(service)',
    },
    {
      name: 'span_metrics',
      columns: `
        day Date,
        ${tenant},
        minute Int64,
        service String,
        operation String,
        kind UInt8,
        status_code UInt8,
        calls UInt64,
        duration_sum Float64,
        latency_buckets Array(UInt16),
        latency_counts Array(UInt32)`,
      partitionBy: 'day',
      orderBy: '(tenant, service, minute)',
      shardingKey: 'rand()',
    },
    {
      name: 'completeness_roots',
      columns: `day Date, ${tenant}, minute Int64, root_service String, traces Int64, complete Int64`,
      partitionBy: 'day',
      orderBy: '(tenant, minute, root_service)',
      shardingKey: 'rand()',
    },
    {
      name: 'completeness_services',
      columns: `day Date, ${tenant}, minute Int64, service String, spans Int64, spans_in_complete Int64`,
      partitionBy: 'day',
      orderBy: '(tenant, minute, service)',
      shardingKey: 'rand()',
    },
    {
      name: 'completeness_edges',
      columns: `day Date, ${tenant}, minute Int64, caller String, callee String, calls Int64, answered Int64`,
      partitionBy: 'day',
      orderBy: '(tenant, minute, caller, callee)',
      shardingKey: 'rand()',
    },
    {
      name: 'completeness_breaks',
      columns: `day Date, ${tenant}, minute Int64, cause String, service String, peer String, count Int64,
        examples Array(String)`,
      partitionBy: 'day',
      orderBy: '(tenant, minute, cause, service, peer)',
      shardingKey: 'rand()',
    },
    {
      name: 'dependency_edges',
      columns: `day Date, ${tenant}, minute Int64, parent String, child String, calls Int64, errors Int64`,
      partitionBy: 'day',
      orderBy: '(tenant, minute, parent, child)',
      shardingKey: 'rand()',
    },
    {
      name: 'dependency_minutes',
      columns: `day Date, minute Int64`,
      replacing: true,
      partitionBy: 'day',
      orderBy: '(minute)',
      shardingKey: 'rand()',
    },
    {
      name: 'purge_marks',
      columns: `day Date, cutoff Int64, ${PURGE_SCOPE_COLUMNS}`,
      partitionBy: 'toYYYYMM(day)',
      orderBy: '(cutoff)',
      shardingKey: 'rand()',
    },
  ];
}

/**
 * `purge_marks`' scope of each cutoff (see `PurgeScope`): `scope` 0 = every tenant,
 * 1 = only `tenant`, 2 = every tenant not in `except_tenants`.
 */
const PURGE_SCOPE_COLUMNS = 'scope UInt8, tenant String, except_tenants Array(String)';

/** Tables partitioned by `day` that a purge drops day by day. */
export const DAY_PARTITIONED_TABLES = [
  'spans',
  'origins',
  'trace_index',
  'operations',
  'span_metrics',
  'completeness_roots',
  'completeness_services',
  'completeness_edges',
  'completeness_breaks',
  'dependency_edges',
  'dependency_minutes',
] as const;

/**
 * Tables whose rows carry a tenant (every day-partitioned table but
 * `dependency_minutes`: the minutes the dependencies processor counted are global).
 */
export const TENANT_TABLES: ReadonlySet<string> = new Set(
  DAY_PARTITIONED_TABLES.filter((t) => t !== 'dependency_minutes'),
);

/** Columns added after tables were first created, as `ALTER TABLE … ADD COLUMN` adds them. */
function addedColumns(
  features: ServerFeatures,
): { table: string; name: string; definition: string }[] {
  const out: { table: string; name: string; definition: string }[] = [];
  for (const table of TENANT_TABLES) {
    out.push({ table, name: 'tenant', definition: `tenant ${tenantType(features)} DEFAULT ''` });
  }
  out.push(
    { table: 'purge_marks', name: 'scope', definition: 'scope UInt8 DEFAULT 0' },
    { table: 'purge_marks', name: 'tenant', definition: "tenant String DEFAULT ''" },
    {
      table: 'purge_marks',
      name: 'except_tenants',
      definition: 'except_tenants Array(String) DEFAULT emptyArrayString()',
    },
  );
  return out;
}

/** The names queries and inserts use (Distributed with a cluster, local otherwise). */
export interface TableNames {
  /** `db.table` to read and insert. */
  read(table: string): string;
  /** `db.table_local` (or `db.table` without a cluster): what DDL and shard-local joins use. */
  local(table: string): string;
  /** ` ON CLUSTER c` or ''. */
  onCluster: string;
}

export function tableNames(o: SchemaOptions): TableNames {
  const db = sqlIdentifier(o.database);
  const clustered = o.cluster !== '';
  const onCluster = clustered ? ` ON CLUSTER ${sqlIdentifier(o.cluster)}` : '';
  return {
    read: (t) => `${db}.${t}`,
    local: (t) => (clustered ? `${db}.${t}_local` : `${db}.${t}`),
    onCluster,
  };
}

/** The Distributed table `T` over every shard's `T_local`. */
function distributedTable(o: SchemaOptions, t: TableSpec): string {
  const db = sqlIdentifier(o.database);
  const names = tableNames(o);
  return `CREATE TABLE IF NOT EXISTS ${names.read(t.name)}${names.onCluster} AS ${names.local(t.name)}
        ENGINE = Distributed(${sqlIdentifier(o.cluster)}, ${db}, ${t.name}_local, ${t.shardingKey})`;
}

/**
 * The DDL, in order; every statement is `IF NOT EXISTS`, so running it again (or on
 * a server that has part of it) changes nothing.
 */
export function schemaStatements(o: SchemaOptions, features: ServerFeatures): string[] {
  const db = sqlIdentifier(o.database);
  const names = tableNames(o);
  const clustered = o.cluster !== '';
  const out = [`CREATE DATABASE IF NOT EXISTS ${db}${names.onCluster}`];
  for (const t of tables(features)) {
    const base = t.replacing ? 'ReplacingMergeTree' : 'MergeTree';
    const engine = clustered
      ? `Replicated${base}('/clickhouse/tables/{shard}/${db}/${t.name}', '{replica}')`
      : `${base}()`;
    // A short old_parts_lifetime: 18.16 can bring back a dropped partition's parts
    // after a restart while they wait for deletion (8 minutes by default).
    out.push(
      `CREATE TABLE IF NOT EXISTS ${names.local(t.name)}${names.onCluster} (${t.columns}${
        features.modern && t.modernExtra !== undefined ? t.modernExtra : ''
      }
      ) ENGINE = ${engine}
      PARTITION BY ${t.partitionBy} ORDER BY ${t.orderBy}
      SETTINGS index_granularity = 8192, old_parts_lifetime = 60`,
    );
    if (clustered) out.push(distributedTable(o, t));
  }
  return out;
}

/**
 * What brings tables created by an older Skein up to date, given the columns the
 * server has (`table.column`, from `system.columns` of the database): `ADD COLUMN` on
 * each local table that lacks one (`ON CLUSTER`; 18.16 has no `ADD COLUMN IF NOT
 * EXISTS`), and, with a cluster, the Distributed table dropped and created again over
 * it (18.16 refuses `ALTER … ON CLUSTER` on a Distributed table of a replicated
 * cluster; a Distributed table holds no data with synchronous inserts). Old rows
 * read as the default tenant ('') and old purge marks as every tenant's.
 *
 * The sort key cannot change in place (ClickHouse only appends new columns to it), so
 * an old table keeps its ORDER BY: per-tenant reads are correct but do not prune by
 * tenant until the table is created again (docs/scale-out.md says how).
 */
export function migrationStatements(
  o: SchemaOptions,
  features: ServerFeatures,
  present: ReadonlySet<string>,
): string[] {
  const names = tableNames(o);
  const clustered = o.cluster !== '';
  const local = (t: string): string => (clustered ? `${t}_local` : t);
  const out: string[] = [];
  const redistribute = new Set<string>();
  for (const c of addedColumns(features)) {
    if (!present.has(`${local(c.table)}.${c.name}`)) {
      out.push(`ALTER TABLE ${names.local(c.table)}${names.onCluster} ADD COLUMN ${c.definition}`);
    }
    if (clustered && !present.has(`${c.table}.${c.name}`)) redistribute.add(c.table);
  }
  for (const t of redistribute) {
    const spec = tables(features).find((s) => s.name === t)!;
    out.push(`DROP TABLE IF EXISTS ${names.read(t)}${names.onCluster}`, distributedTable(o, spec));
  }
  return out;
}
