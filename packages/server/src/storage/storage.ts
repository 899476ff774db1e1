import type { CompletenessReader } from './completeness-reader.ts';
import type { CompletenessWriter } from './completeness-writer.ts';
import type { DependencyReader } from './dependency-reader.ts';
import type { DependencyWriter } from './dependency-writer.ts';
import type { MetricsReader } from './metrics-reader.ts';
import type { SpanMetricsWriter } from './span-metrics-writer.ts';
import type { SpanWriter } from './span-writer.ts';
import type { TraceReader } from './trace-reader.ts';

/**
 * A storage backend: one object that writes, reads and purges.
 *
 * Contract: `open` is called once before anything else; `close` flushes and
 * releases files; after `close`, every call rejects. `purgeBefore` deletes every
 * span whose start time is before the cutoff (µs) and returns how many it deleted;
 * aggregates derived from spans (span metrics, completeness, dependency edges) older than the cutoff go with them.
 * With a {@link PurgeScope} only the rows of one tenant (`tenant`), or of every tenant
 * but the listed ones (`exceptTenants`), are purged: per-tenant retention.
 */
export interface Storage
  extends
    SpanWriter,
    TraceReader,
    DependencyReader,
    DependencyWriter,
    SpanMetricsWriter,
    MetricsReader,
    CompletenessWriter,
    CompletenessReader {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  purgeBefore(cutoff: number, scope?: PurgeScope): Promise<number>;
  /**
   * Optional, for `/ready`: true while the backend can serve, else why not (a
   * ClickHouse no node of which answers, a DuckDB thread that died). Never rejects.
   * Backends without it count as ready while open.
   */
  ping?(): Promise<true | string>;
}

/** Which tenants' rows a purge deletes (see `Storage.purgeBefore`). */
export type PurgeScope = { tenant: string } | { exceptTenants: readonly string[] };
