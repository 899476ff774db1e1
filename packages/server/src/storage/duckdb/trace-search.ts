import { BIGINT, LIST, UINTEGER, UTINYINT, VARCHAR } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { listValue } from '@duckdb/node-api';
import type { SpanKind } from '../../model/span.ts';
import { StatusCode } from '../../model/span.ts';
import type { KeyedTraceQuery } from '../tag-value-reader.ts';
import type { TraceQuery } from '../trace-reader.ts';
import { tagTerm } from './attribute-codec.ts';
import type { OriginRegistry } from './origin-registry.ts';
import { keyCondition } from './tag-values.ts';

/** Jaeger's span kind names, indexed by OTLP kind number. */
export const SPAN_KIND_NAMES: readonly string[] = [
  '',
  'internal',
  'server',
  'client',
  'producer',
  'consumer',
];

export function spanKindFromName(name: string): SpanKind | undefined {
  const i = SPAN_KIND_NAMES.indexOf(name);
  return i < 0 ? undefined : (i as SpanKind);
}

/** SQL text with `$n` placeholders and the values (and types) to bind to them. */
export interface BoundSql {
  sql: string;
  values: DuckDBValue[];
  types: DuckDBType[];
}

/**
 * Builds the trace-id search, confined to `q.tenant`. Only SQL text this module writes goes into the
 * statement; every value from the query is a bound parameter.
 *
 * A trace matches when one span meets every condition; a tag condition holds when
 * the span's own terms (attributes, event and link attributes) contain `key NUL
 * value`, or its origin (resource / scope) carries it, or it is one of Jaeger's
 * synthetic tags (`error=true`, `span.kind=...`). Traces are ranked by their most
 * recent matching span. `keys` (KeyedTraceQuery) add "has this key" conditions.
 */
export function buildTraceSearch(
  q: TraceQuery | KeyedTraceQuery,
  origins: OriginRegistry,
): BoundSql {
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  const param = (v: DuckDBValue, t: DuckDBType): string => {
    values.push(v);
    types.push(t);
    return '$' + values.length;
  };
  const where: string[] = [
    // Stored times are whole µs: a fractional bound rounds inwards (4.5 µs min → 5).
    `start_time >= ${param(BigInt(Math.ceil(q.startTimeMin)), BIGINT)}`,
    `start_time <= ${param(BigInt(Math.floor(q.startTimeMax)), BIGINT)}`,
    // Only the asking tenant's spans, whatever else matches (schema.ts: tenant).
    `tenant = ${param(q.tenant, VARCHAR)}`,
  ];
  if (q.serviceName) where.push(`service = ${param(q.serviceName, VARCHAR)}`);
  if (q.operationName) where.push(`name = ${param(q.operationName, VARCHAR)}`);
  if (q.durationMin) where.push(`duration >= ${param(BigInt(Math.ceil(q.durationMin)), BIGINT)}`);
  if (q.durationMax) where.push(`duration <= ${param(BigInt(Math.floor(q.durationMax)), BIGINT)}`);
  for (const key of Object.keys(q.tags)) {
    const value = q.tags[key];
    const term = tagTerm(key, value);
    const alternatives = [`list_contains(tags, ${param(term, VARCHAR)})`];
    const originIds = origins.idsWithTerm(term, q.tenant);
    if (originIds.length > 0) {
      alternatives.push(`list_contains(${param(listValue(originIds), LIST(UINTEGER))}, origin_id)`);
    }
    if (key === 'error' && value === 'true') {
      alternatives.push(`status_code = ${param(StatusCode.Error, UTINYINT)}`);
    }
    const kind = key === 'span.kind' ? spanKindFromName(value) : undefined;
    if (kind !== undefined) alternatives.push(`kind = ${param(kind, UTINYINT)}`);
    where.push('(' + alternatives.join(' OR ') + ')');
  }
  const keys = 'keys' in q ? q.keys : [];
  for (const key of keys) where.push(keyCondition(key, param));
  const limit = param(Math.max(1, Math.trunc(q.limit)), UINTEGER);
  return {
    sql: `SELECT trace_id, max(start_time) AS last FROM spans WHERE ${where.join(' AND ')}
      GROUP BY trace_id ORDER BY last DESC, trace_id LIMIT ${limit}`,
    values,
    types,
  };
}
