/** The embedded DuckDB store on a thread of its own (`storage.duckdb.workerThread`). */
export { DuckDbThreadStorage } from './thread-storage.ts';
