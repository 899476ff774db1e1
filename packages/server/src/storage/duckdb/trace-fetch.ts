import { BIGINT, UHUGEINT, VARCHAR } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import { SPAN_SELECT_COLUMNS } from './schema.ts';
import type { BoundSql } from './trace-search.ts';

/** A trace to fetch: its id and the start-time bounds of its stored spans (µs). */
export type TraceBounds = readonly [id: bigint, min: bigint, max: bigint];

/**
 * Traces whose start-time ranges are closer than this (µs) are read by one range scan.
 * A gap is scanned for nothing, so it is kept short: at 10M spans a day 5 s is ~600
 * spans, at 10k spans/s 50k, against the one or more whole row groups (16,384 rows)
 * each separate scan decodes anyway.
 */
export const CLUSTER_GAP_MICROS = 5_000_000n;

/**
 * The statement reading every span of `traces` that `tenant` wrote: traces whose ranges overlap or lie
 * within CLUSTER_GAP_MICROS of each other share one range scan filtered by `trace_id
 * IN (...)`; clusters are UNION ALL branches. At 10M spans, the 20 traces of a search
 * read in 57 ms p50 this way against 234-312 ms for one branch per trace (each branch
 * decodes its own row groups). Only SQL text written here; every value is bound.
 */
export function buildTraceFetch(traces: readonly TraceBounds[], tenant: string): BoundSql {
  const sorted = [...traces].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  // $1 is the tenant: another tenant may hold spans with the same trace id in the range.
  const values: DuckDBValue[] = [tenant];
  const types: DuckDBType[] = [VARCHAR];
  const branches: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const lo = sorted[i][1];
    let hi = sorted[i][2];
    let j = i + 1;
    while (j < sorted.length && sorted[j][1] <= hi + CLUSTER_GAP_MICROS) {
      if (sorted[j][2] > hi) hi = sorted[j][2];
      j++;
    }
    values.push(lo, hi);
    types.push(BIGINT, BIGINT);
    const first = values.length - 1;
    const ids: string[] = [];
    for (let k = i; k < j; k++) {
      values.push(sorted[k][0]);
      types.push(UHUGEINT);
      ids.push('$' + values.length);
    }
    branches.push(
      `SELECT ${SPAN_SELECT_COLUMNS} FROM spans
       WHERE start_time >= $${first} AND start_time <= $${first + 1} AND trace_id IN (${ids.join(', ')}) AND tenant = $1`,
    );
    i = j;
  }
  return { sql: branches.join(' UNION ALL '), values, types };
}
