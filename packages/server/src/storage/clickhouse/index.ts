export { ClickHouseStorage } from './clickhouse-storage.ts';
export type { ClickHouseStorageOptions } from './clickhouse-storage.ts';
export { createClickHouseStorage, initClickHouseSchema } from './factory.ts';
export type { ClickHouseConfig } from './factory.ts';
