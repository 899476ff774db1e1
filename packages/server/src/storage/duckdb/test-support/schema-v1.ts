/**
 * The embedded store's tables as schema version 1 created them (before tenants; commit
 * 3d52557), kept verbatim so migrate-tenant.test.ts can build a store from before the
 * tenant column and check that the current code opens it in place.
 */
export const SCHEMA_V1_STATEMENTS: readonly string[] = [
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
    extra VARCHAR
  )`,
  `CREATE TABLE IF NOT EXISTS traces (
    trace_id UHUGEINT NOT NULL,
    start_min BIGINT NOT NULL,
    start_max BIGINT NOT NULL
  )`,
  `CREATE INDEX IF NOT EXISTS traces_by_id ON traces (trace_id)`,
  `CREATE TABLE IF NOT EXISTS origins (
    id UINTEGER PRIMARY KEY,
    resource VARCHAR NOT NULL,
    scope VARCHAR NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS operations (
    service VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    kind UTINYINT NOT NULL
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
    latency_counts UINTEGER[] NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_roots (
    minute BIGINT NOT NULL,
    root_service VARCHAR NOT NULL,
    traces BIGINT NOT NULL,
    complete BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_services (
    minute BIGINT NOT NULL,
    service VARCHAR NOT NULL,
    spans BIGINT NOT NULL,
    spans_in_complete BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_edges (
    minute BIGINT NOT NULL,
    caller VARCHAR NOT NULL,
    callee VARCHAR NOT NULL,
    calls BIGINT NOT NULL,
    answered BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS completeness_breaks (
    minute BIGINT NOT NULL,
    cause VARCHAR NOT NULL,
    service VARCHAR NOT NULL,
    peer VARCHAR NOT NULL,
    count BIGINT NOT NULL,
    examples VARCHAR[] NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS dependency_edges (
    minute BIGINT NOT NULL,
    parent VARCHAR NOT NULL,
    child VARCHAR NOT NULL,
    calls BIGINT NOT NULL,
    errors BIGINT NOT NULL
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
    updated_at BIGINT NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS sampling_throughput (
    written_at BIGINT NOT NULL,
    holder VARCHAR NOT NULL,
    service VARCHAR NOT NULL,
    operation VARCHAR NOT NULL,
    roots BIGINT NOT NULL,
    probabilistic BIGINT NOT NULL,
    estimated_traces DOUBLE NOT NULL,
    unadaptable BIGINT NOT NULL
  )`,
];
