import type { TraceQuery } from './trace-reader.ts';

/** Which values of one attribute key were stored. */
export interface TagValueQuery {
  /** Only this tenant's spans. */
  tenant: string;
  key: string;
  /** When set, only spans of this service (resource `service.name`) count. */
  serviceName?: string;
  /** µs since epoch; only spans starting in [startTimeMin, startTimeMax] count. */
  startTimeMin: number;
  startTimeMax: number;
  /** At most this many values. */
  limit: number;
}

/**
 * A trace search with conditions `TraceQuery` cannot express: keys that must be
 * present whatever their value (Zipkin's `annotationQuery` bare words).
 */
export interface KeyedTraceQuery extends TraceQuery {
  /**
   * Each must hold on the same span that meets the other conditions: the span has
   * an attribute with this key (its own, or one of its events' or links'), or an
   * event with this name. The key `error` also holds for a span with status ERROR.
   */
  keys: string[];
}

/**
 * Optional storage capability: the reads Zipkin's API needs beyond `TraceReader`
 * (autocomplete values, remote services, annotation queries). A backend that
 * cannot serve them does not implement it; callers test with `isTagValueReader`.
 *
 * Contract:
 * - `getTagValues` returns the distinct values (as the strings tag search compares,
 *   see TraceQuery.tags) of span, event and link attributes with the key, sorted,
 *   at most `limit`; resource and scope attributes do not count.
 * - `findTraceIdsWithKeys` returns trace ids as `TraceReader.findTraceIds` does
 *   (same order and limit), with the `keys` conditions added.
 * - Both reject with `StorageError` on backend failure, never on "nothing found".
 */
export interface TagValueReader {
  getTagValues(query: TagValueQuery): Promise<string[]>;
  findTraceIdsWithKeys(query: KeyedTraceQuery): Promise<string[]>;
}

export function isTagValueReader(reader: object): reader is TagValueReader {
  const r = reader as Partial<TagValueReader>;
  return typeof r.getTagValues === 'function' && typeof r.findTraceIdsWithKeys === 'function';
}
