import { LIST, VARCHAR, listValue } from '@duckdb/node-api';
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { PurgeScope } from '../storage.ts';

/** A condition to AND onto a purge's WHERE, with its bound values. */
export interface ScopeCondition {
  /** '' (every tenant) or ` AND ...` using `$first`. */
  sql: string;
  values: DuckDBValue[];
  types: DuckDBType[];
}

/**
 * The rows of a purge scope (storage.ts PurgeScope): every tenant's when undefined,
 * one tenant's (`tenant = $n`), or every tenant's but the listed ones
 * (`NOT list_contains($n, tenant)`). The tenant names are bound, never spliced.
 */
export function purgeScopeSql(scope: PurgeScope | undefined, first: number): ScopeCondition {
  if (scope === undefined) return { sql: '', values: [], types: [] };
  if ('tenant' in scope) {
    return { sql: ` AND tenant = $${first}`, values: [scope.tenant], types: [VARCHAR] };
  }
  return {
    sql: ` AND NOT list_contains($${first}, tenant)`,
    values: [listValue([...scope.exceptTenants])],
    types: [LIST(VARCHAR)],
  };
}
