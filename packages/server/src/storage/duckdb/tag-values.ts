import { BIGINT, UINTEGER, UTINYINT, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { StatusCode } from '../../model/span.ts';
import type { TagValueQuery } from '../tag-value-reader.ts';
import { splitTerm, tagTerm } from './attribute-codec.ts';

/*
 * The DuckDB side of the TagValueReader capability (storage/tag-value-reader.ts).
 * Both read the `tags` terms (`key NUL value`, span then event and link
 * attributes) and, for event names, the events inside `extra` (see span-encoder.ts:
 * `extra[5]` is the event list, each event `[offset, name, attrs, dropped]`).
 */

/** The event names of a span's `extra` JSON document. */
const EVENT_NAMES_SQL = `json_extract_string(extra, '$[5][*][1]')`;

/**
 * The WHERE condition "the span has attribute `key` (any value) or an event named
 * `key`" (`error` also matches status ERROR), with its values bound through `param`.
 */
export function keyCondition(
  key: string,
  param: (v: DuckDBValue, t: DuckDBType) => string,
): string {
  const alternatives = [
    `len(list_filter(tags, lambda t: starts_with(t, ${param(tagTerm(key, ''), VARCHAR)}))) > 0`,
    `CASE WHEN starts_with(extra, '[') THEN list_contains(${EVENT_NAMES_SQL}, ${param(key, VARCHAR)}) ELSE false END`,
  ];
  if (key === 'error') alternatives.push(`status_code = ${param(StatusCode.Error, UTINYINT)}`);
  return '(' + alternatives.join(' OR ') + ')';
}

/** Distinct values of attribute `q.key` on `q.tenant`'s spans in the window, sorted. */
export async function readTagValues(c: DuckDBConnection, q: TagValueQuery): Promise<string[]> {
  const values: DuckDBValue[] = [
    tagTerm(q.key, ''),
    BigInt(Math.trunc(q.startTimeMin)),
    BigInt(Math.trunc(q.startTimeMax)),
    Math.max(1, Math.trunc(q.limit)),
    q.tenant,
  ];
  const types: DuckDBType[] = [VARCHAR, BIGINT, BIGINT, UINTEGER, VARCHAR];
  let service = '';
  if (q.serviceName) {
    values.push(q.serviceName);
    types.push(VARCHAR);
    service = 'AND service = $6';
  }
  const r = await c.runAndReadAll(
    `SELECT DISTINCT unnest(list_filter(tags, lambda t: starts_with(t, $1))) AS term FROM spans
     WHERE start_time >= $2 AND start_time <= $3 AND tenant = $5 ${service} ORDER BY term LIMIT $4`,
    values,
    types,
  );
  const terms = (r.getColumns()[0] ?? []) as string[];
  return terms.map((term) => splitTerm(term)[1]);
}
