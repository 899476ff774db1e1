import type { DuckDBMaterializedResult, DuckDBValue } from '@duckdb/node-api';

/*
 * A materialized result's values, read now. `DuckDBResult.getRows()` and `getColumns()`
 * fetch every chunk with an async call through libuv's pool, and one more to see the
 * end; a materialized result (`DuckDBPreparedStatement.run()`) already holds its chunks,
 * and `chunkCount` / `getChunk` read them without leaving the thread. At 10M spans that
 * is 0.74-0.81 ms instead of 1.05 ms for get-trace's index probe (BENCHMARKS.md,
 * "Fewer round trips per read").
 */

/** Every row of `result`, in order. */
export function materializedRows(result: DuckDBMaterializedResult): DuckDBValue[][] {
  const rows: DuckDBValue[][] = [];
  for (let i = 0; i < result.chunkCount; i++) {
    for (const row of result.getChunk(i).getRows()) rows.push(row);
  }
  return rows;
}

/** Every value of column `index` of `result`, in row order. */
export function materializedColumn(result: DuckDBMaterializedResult, index: number): DuckDBValue[] {
  const values: DuckDBValue[] = [];
  for (let i = 0; i < result.chunkCount; i++) {
    for (const v of result.getChunk(i).getColumnVector(index).toArray()) values.push(v);
  }
  return values;
}
