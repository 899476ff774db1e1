import {
  AnswerTooLargeError,
  InvalidParameterError,
  RouteNotFoundError,
  StorageError,
  isSkeinError,
} from '../../errors.ts';
import type { Trace } from '../../model/span.ts';
import type { DependencyReader } from '../../storage/dependency-reader.ts';
import { ReadBudget } from '../../storage/read-budget.ts';
import { isTagValueReader } from '../../storage/tag-value-reader.ts';
import type { TagValueReader } from '../../storage/tag-value-reader.ts';
import type { TraceQuery, TraceReader } from '../../storage/trace-reader.ts';
import { ZipkinAttribute } from '../../receivers/zipkin/zipkin-conventions.ts';
import { rewriteSearchTags, type SearchTagRewrite } from '../query-params.ts';
import { encodeZipkinTrace } from './encode-zipkin-span.ts';
import type { ZipkinDependencyLink } from './zipkin-json.ts';

export interface ZipkinQueryOptions {
  reader: TraceReader & DependencyReader;
  /** Tag keys `/autocompleteKeys` lists (Zipkin's AUTOCOMPLETE_KEYS). */
  autocompleteKeys: readonly string[];
  /** Default `lookback` (ms) when a request gives none (Zipkin's QUERY_LOOKBACK). */
  lookbackMs: number;
  /** Most traces one `/traces` call returns, whatever its `limit`. */
  maxLimit: number;
  /** The clock, in ms (tests pin it). */
  now?: () => number;
  /** Applied to each `annotationQuery` key=value term's value (redaction's hashed search). */
  rewriteSearchTag?: SearchTagRewrite;
  /**
   * Read budget per request, bytes (query.maxResponseBytes): one trace over it is 413,
   * searches and `traceMany` answer the newest traces that fit. Default 16 MiB.
   */
  maxResponseBytes?: number;
}

/** query.maxResponseBytes's default. */
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface ZipkinResponse {
  statusCode: number;
  contentType: string;
  body: string;
}

const JSON_TYPE = 'application/json';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const PREFIX = '/api/v2/';
const DEFAULT_LIMIT = 10;
/** Most distinct values `/autocompleteValues` and `/remoteServices` return. */
const MAX_VALUES = 1000;
const TRACE_ID = /^[0-9a-f]{16}$|^[0-9a-f]{32}$/;

/**
 * Zipkin's read API (`GET /api/v2/...`, ../shared/idl/zipkin/zipkin2-api.yaml) over
 * the storage interfaces, so Zipkin's UI and Grafana's Zipkin data source work
 * against Skein. Spans are encoded with encode-zipkin-span.ts.
 *
 * Independent of HTTP: the Zipkin receiver's server calls `handle` for GET
 * requests and writes the answer. Bad parameters get 400 with a message naming
 * the parameter; a trace over the read budget 413; storage failures 500 with a
 * message that names no engine internals (the caller logs the error and its cause).
 */
export class ZipkinQueryApi {
  readonly #reader: TraceReader & DependencyReader;
  readonly #tagValues: TagValueReader | undefined;
  readonly #autocompleteKeys: readonly string[];
  readonly #lookbackMs: number;
  readonly #maxLimit: number;
  readonly #now: () => number;
  readonly #rewriteSearchTag: SearchTagRewrite | undefined;
  readonly #maxResponseBytes: number;

  constructor(options: ZipkinQueryOptions) {
    this.#reader = options.reader;
    this.#tagValues = isTagValueReader(options.reader) ? options.reader : undefined;
    this.#autocompleteKeys = [...options.autocompleteKeys];
    this.#lookbackMs = options.lookbackMs;
    this.#maxLimit = options.maxLimit;
    this.#now = options.now ?? Date.now;
    this.#rewriteSearchTag = options.rewriteSearchTag;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** True for the paths this API serves (so the server can route to it). */
  serves(path: string): boolean {
    return path.startsWith(PREFIX);
  }

  /** Answers one GET for `tenant` (the request's, `identityOf(req)?.tenant ?? DEFAULT_TENANT`). */
  async handle(tenant: string, path: string, params: URLSearchParams): Promise<ZipkinResponse> {
    try {
      const body = await this.#route(tenant, path, params);
      if (body === undefined) return text(404, `trace not found: ${path.slice(PREFIX.length + 6)}`);
      return { statusCode: 200, contentType: JSON_TYPE, body: JSON.stringify(body) };
    } catch (err) {
      if (isSkeinError(err) && err.statusCode !== 500) return text(err.statusCode, err.message);
      // The caller answers 500 with the message and logs the error with its cause.
      throw new StorageError(['answer a Zipkin query', 'the server log has the details'], {
        cause: err,
      });
    }
  }

  /** The answer's JSON value; undefined for a trace that is not found. */
  async #route(tenant: string, path: string, p: URLSearchParams): Promise<unknown> {
    const name = path.slice(PREFIX.length);
    switch (name) {
      case 'services':
        return this.#reader.getServices(tenant);
      case 'spans': {
        const ops = await this.#reader.getOperations({
          tenant,
          serviceName: required(p, 'serviceName'),
        });
        return [...new Set(ops.map((o) => o.name))].sort();
      }
      case 'remoteServices':
        return this.#values(tenant, ZipkinAttribute.PeerService, required(p, 'serviceName'));
      case 'traces':
        return this.#traces(tenant, p);
      case 'traceMany':
        return this.#traceMany(tenant, required(p, 'traceIds'));
      case 'dependencies':
        return this.#dependencies(tenant, p);
      case 'autocompleteKeys':
        return this.#autocompleteKeys;
      case 'autocompleteValues':
        return this.#values(tenant, required(p, 'key'), undefined);
    }
    if (name.startsWith('trace/')) {
      const trace = await this.#reader.getTrace(
        tenant,
        traceId(decodeURIComponent(name.slice(6)), 'traceId'),
        undefined,
        new ReadBudget(this.#maxResponseBytes),
      );
      return trace === null ? undefined : encodeZipkinTrace(trace.spans);
    }
    throw new RouteNotFoundError(['GET', path]);
  }

  async #values(tenant: string, key: string, serviceName: string | undefined): Promise<string[]> {
    if (this.#tagValues === undefined) return [];
    const now = this.#now();
    return this.#tagValues.getTagValues({
      tenant,
      key,
      serviceName,
      startTimeMin: (now - this.#lookbackMs) * 1000,
      startTimeMax: now * 1000,
      limit: MAX_VALUES,
    });
  }

  async #traces(tenant: string, p: URLSearchParams): Promise<unknown> {
    const endTs = integer(p, 'endTs') ?? this.#now();
    const lookback = integer(p, 'lookback') ?? this.#lookbackMs;
    const limit = Math.min(integer(p, 'limit') ?? DEFAULT_LIMIT, this.#maxLimit);
    if (limit < 1) throw new InvalidParameterError(['limit', 'must be at least 1']);
    const query: TraceQuery = {
      tenant,
      serviceName: optional(p, 'serviceName'),
      operationName: optional(p, 'spanName'),
      tags: {},
      startTimeMin: (endTs - lookback) * 1000,
      startTimeMax: endTs * 1000 + 999,
      durationMin: integer(p, 'minDuration'),
      durationMax: integer(p, 'maxDuration'),
      limit,
    };
    const remote = optional(p, 'remoteServiceName');
    if (remote !== undefined) query.tags[ZipkinAttribute.PeerService] = remote;
    const keys = parseAnnotationQuery(p.get('annotationQuery') ?? '', query.tags);
    rewriteSearchTags(query.tags, this.#rewriteSearchTag);
    let traces: Trace[];
    if (keys.length === 0) {
      traces = await this.#reader.findTraces(query, new ReadBudget(this.#maxResponseBytes));
    } else {
      if (this.#tagValues === undefined) {
        throw new InvalidParameterError([
          'annotationQuery',
          `cannot search for bare words (${keys.join(', ')}) on this storage backend; use key=value terms`,
        ]);
      }
      const ids = await this.#tagValues.findTraceIdsWithKeys({ ...query, keys });
      traces = await this.#getTraces(tenant, ids);
    }
    return traces.map((t) => encodeZipkinTrace(t.spans));
  }

  async #traceMany(tenant: string, list: string): Promise<unknown> {
    const ids = [...new Set(list.split(',').map((id) => traceId(id.trim(), 'traceIds')))];
    if (ids.length < 2) {
      throw new InvalidParameterError([
        'traceIds',
        'needs at least two distinct trace ids; use /api/v2/trace/{id} for one',
      ]);
    }
    return (await this.#getTraces(tenant, ids)).map((t) => encodeZipkinTrace(t.spans));
  }

  /** The traces of `ids` that are stored, in order, as many as fit one read budget. */
  async #getTraces(tenant: string, ids: string[]): Promise<Trace[]> {
    const budget = new ReadBudget(this.#maxResponseBytes);
    const traces: Trace[] = [];
    for (const id of ids) {
      try {
        const trace = await this.#reader.getTrace(tenant, id, undefined, budget);
        if (trace !== null) traces.push(trace);
      } catch (err) {
        if (isSkeinError(err) && err.code === AnswerTooLargeError.code) break;
        throw err;
      }
    }
    return traces;
  }

  async #dependencies(tenant: string, p: URLSearchParams): Promise<ZipkinDependencyLink[]> {
    const endTs = integer(p, 'endTs');
    if (endTs === undefined)
      throw new InvalidParameterError(['endTs', 'is required (epoch milliseconds)']);
    const lookback = integer(p, 'lookback') ?? this.#lookbackMs;
    const links = await this.#reader.getDependencies(tenant, endTs * 1000, lookback * 1000);
    return links.map((l) => ({ parent: l.parent, child: l.child, callCount: l.callCount }));
  }
}

/**
 * Splits Zipkin's annotationQuery (`error and http.method=GET`): `key=value` terms
 * go into `tags`; bare words are returned (a tag key or an annotation value).
 */
export function parseAnnotationQuery(query: string, tags: Record<string, string>): string[] {
  const keys: string[] = [];
  for (const raw of query.split(/\s+and\s+/i)) {
    const term = raw.trim();
    if (term === '') continue;
    const eq = term.indexOf('=');
    if (eq > 0) tags[term.slice(0, eq).trim()] = term.slice(eq + 1).trim();
    else if (eq < 0) keys.push(term);
    else
      throw new InvalidParameterError(['annotationQuery', `term "${term}" has no key before "="`]);
  }
  return keys;
}

function text(statusCode: number, message: string): ZipkinResponse {
  return { statusCode, contentType: TEXT_TYPE, body: message };
}

function required(p: URLSearchParams, name: string): string {
  const v = p.get(name);
  if (v === null || v.trim() === '') throw new InvalidParameterError([name, 'is required']);
  return v.trim();
}

/** A filter value; '' and Zipkin UI's "all" mean no filter. */
function optional(p: URLSearchParams, name: string): string | undefined {
  const v = p.get(name)?.trim();
  return v === undefined || v === '' || v === 'all' ? undefined : v;
}

function integer(p: URLSearchParams, name: string): number | undefined {
  const v = p.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d{1,16}$/.test(v))
    throw new InvalidParameterError([name, `must be a non-negative integer, got "${v}"`]);
  return Number(v);
}

/** A trace id as Zipkin takes it (16 or 32 hex digits), as storage keys it (32, lowercase). */
function traceId(id: string, name: string): string {
  const lower = id.toLowerCase();
  if (!TRACE_ID.test(lower)) {
    throw new InvalidParameterError([name, `"${id}" is not a trace id (16 or 32 hex digits)`]);
  }
  return lower.padStart(32, '0');
}
