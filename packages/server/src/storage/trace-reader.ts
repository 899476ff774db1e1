import type { Trace } from '../model/span.ts';
import type { ReadBudget } from './read-budget.ts';

/** A time window in µs since epoch, both ends inclusive. */
export interface TimeRange {
  start: number;
  end: number;
}

/**
 * A trace search, with Jaeger's semantics (`spanstore.TraceQueryParameters`):
 * a trace matches when ONE of its spans matches every given condition at once.
 */
export interface TraceQuery {
  /** Only this tenant's spans (`Resource.tenant`; `DEFAULT_TENANT` for none). */
  tenant: string;
  /** Resource `service.name`; undefined or '' searches every service. */
  serviceName?: string;
  /** Span name; undefined or '' means any. */
  operationName?: string;
  /**
   * Attribute conditions, key → value compared as a string (`123`, `72.5`, `true`).
   * One condition matches when the key/value is found in the span's attributes, its
   * events' attributes, its links' attributes, its resource attributes or its scope
   * attributes. `otel.scope.name` / `otel.scope.version` match the scope's name and
   * version; `error=true` matches spans with status ERROR; `span.kind` matches the
   * span kind as Jaeger names it (server, client, ...).
   */
  tags: Record<string, string>;
  /** µs since epoch; the span's start time must be in [startTimeMin, startTimeMax]. */
  startTimeMin: number;
  startTimeMax: number;
  /** µs; 0 or undefined means no bound. */
  durationMin?: number;
  durationMax?: number;
  /** Maximum number of traces (Jaeger's "search depth"); most recent first. */
  limit: number;
}

/** One operation of a service, as `GetOperations` returns it. */
export interface Operation {
  name: string;
  /** Jaeger's span kind name: '', 'internal', 'server', 'client', 'producer', 'consumer'. */
  spanKind: string;
}

export interface OperationQuery {
  /** Only this tenant's operations. */
  tenant: string;
  serviceName: string;
  /** When set, only operations seen with this kind (Jaeger span kind name). */
  spanKind?: string;
}

/**
 * Reads traces back.
 *
 * Contract:
 * - Every read is confined to one tenant (`tenant` argument or query field): nothing
 *   another tenant wrote is ever returned, even when trace ids or service names are
 *   the same. `getServices` lists the tenant's services only.
 * - Returned objects are owned by the caller; the reader keeps no reference.
 * - `getTrace` returns null (not an error) when no span of the trace is stored in
 *   the range. With a range, spans outside it may still be returned when the
 *   backend finds the trace cheaply; the range is a hint to bound the lookup.
 * - `findTraces` returns whole traces (every stored span, not only the matching
 *   one), ordered by the most recent matching span first, at most `limit` traces.
 * - `findTraceIds` returns the same trace ids `findTraces` would, in the same order.
 * - `getServices` is sorted by name; `getOperations` by name then kind.
 * - Every method rejects with `StorageError` on backend failure (or `StorageBusyError`
 *   when the backend is out of memory for the read), and never on "nothing found".
 * - With a {@link ReadBudget}, `getTrace` rejects with `AnswerTooLargeError` once the
 *   trace's spans pass the budget (having decoded no more than that), and `findTraces`
 *   returns the most recent whole traces that fit, setting `budget.truncated` when it
 *   left matching traces out. Without one, reads are unbounded.
 */
export interface TraceReader {
  getTrace(
    tenant: string,
    traceId: string,
    range?: TimeRange,
    budget?: ReadBudget,
  ): Promise<Trace | null>;
  findTraces(query: TraceQuery, budget?: ReadBudget): Promise<Trace[]>;
  findTraceIds(query: TraceQuery): Promise<string[]>;
  getServices(tenant: string): Promise<string[]>;
  getOperations(query: OperationQuery): Promise<Operation[]>;
}
