import type { FastifyInstance, FastifyReply } from 'fastify';
import { AnswerTooLargeError, InvalidParameterError, isSkeinError } from '../../errors.ts';
import type { Trace } from '../../model/span.ts';
import type { DependencyReader } from '../../storage/dependency-reader.ts';
import { ReadBudget } from '../../storage/read-budget.ts';
import type { TimeRange, TraceQuery, TraceReader } from '../../storage/trace-reader.ts';
import {
  allParams,
  firstParam,
  parseDurationParam,
  parseIntegerParam,
  parseLimitParam,
  parseTagParams,
  rewriteSearchTags,
  type SearchTagRewrite,
  parseTraceIdParam,
} from '../query-params.ts';
import type { QueryString } from '../query-params.ts';
import {
  DEFAULT_SEARCH_LOOKBACK_US,
  checkSearchBounds,
  checkSpanKind,
  nowMicros,
} from '../trace-search-params.ts';
import type { QueryGate } from '../query-gate.ts';
import type { JaegerDependencyLink, JaegerEnvelope, JaegerError } from './jaeger-json.ts';
import { jaegerTracesAnswer } from './jaeger-traces-answer.ts';
import { registerTransformRoute } from './transform-route.ts';
import { requestTenant } from '../request-tenant.ts';

export interface JaegerRoutesOptions {
  reader: TraceReader & DependencyReader;
  defaultLimit: number;
  maxLimit: number;
  /** Admission for trace reads, searches, dependencies and transforms. */
  gate: QueryGate;
  /** Largest answer body, bytes: a trace over it is 413, a search keeps what fits. */
  maxResponseBytes: number;
  /** Largest `/api/transform` body, bytes, before and after decompression. */
  maxTransformBodyBytes: number;
  /** Applied to each searched tag value (redaction's hashed search); absent = as given. */
  rewriteSearchTag?: SearchTagRewrite;
}

/** Jaeger's default dependency lookback (24 h), ms. */
const DEFAULT_DEPENDENCY_LOOKBACK_MS = 24 * 3600 * 1000;

/** Jaeger's message for a missing trace; Jaeger UI shows it as is. */
const TRACE_NOT_FOUND = 'trace not found';

/** Builds a success envelope: `total` is the number of items, errors null unless given. */
export function envelope<T>(
  data: T,
  total: number,
  errors: JaegerError[] | null = null,
): JaegerEnvelope<T> {
  return { data, total, limit: 0, offset: 0, errors };
}

/** The envelope of a failed request: `data` null and one error carrying the HTTP status. */
export function errorEnvelope(status: number, msg: string): JaegerEnvelope<null> {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg }] };
}

/**
 * Jaeger's legacy HTTP JSON API (`/api/*`), as Jaeger UI ≤ 2.19 and Grafana's Jaeger data
 * source call it. Every answer is a {@link JaegerEnvelope}; parameter errors become 400s
 * through the app's error handler.
 */
export function registerJaegerRoutes(app: FastifyInstance, opts: JaegerRoutesOptions): void {
  const { reader } = opts;

  app.get('/api/services', async (request) => {
    const services = await reader.getServices(requestTenant(request));
    return envelope(services, services.length);
  });

  app.get<{ Params: { service: string } }>('/api/services/:service/operations', async (request) => {
    const operations = await reader.getOperations({
      tenant: requestTenant(request),
      serviceName: request.params.service,
    });
    const names = [...new Set(operations.map((o) => o.name))];
    return envelope(names, names.length);
  });

  app.get('/api/operations', async (request) => {
    const query = request.query as QueryString;
    const serviceName = firstParam(query, 'service');
    if (serviceName === undefined) throw new InvalidParameterError(['service', 'is required']);
    const spanKind = checkSpanKind('spanKind', firstParam(query, 'spanKind'));
    const operations = await reader.getOperations({
      tenant: requestTenant(request),
      serviceName,
      spanKind,
    });
    const data = operations.map((o) => ({ name: o.name, spanKind: o.spanKind }));
    return envelope(data, data.length);
  });

  app.get('/api/traces', async (request, reply) => {
    const query = request.query as QueryString;
    const traceIdValues = allParams(query, 'traceID');
    const tenant = requestTenant(request);
    const search = traceIdValues.length > 0 ? undefined : parseSearch(tenant, query, opts);
    const answer = await opts.gate.run(async () => {
      if (search === undefined) return tracesById(reader, tenant, query, traceIdValues, opts);
      const budget = new ReadBudget(opts.maxResponseBytes);
      const traces = await reader.findTraces(search, budget);
      return jaegerTracesAnswer(traces, null, {
        maxBytes: opts.maxResponseBytes,
        whole: false,
        leftOutByReader: budget.truncated,
      });
    });
    return sendJson(reply, answer);
  });

  app.get<{ Params: { traceID: string } }>('/api/traces/:traceID', async (request, reply) => {
    const traceId = parseTraceIdParam('traceID', request.params.traceID);
    const range = parseRange(request.query as QueryString);
    const tenant = requestTenant(request);
    const answer = await opts.gate.run(async () => {
      const budget = new ReadBudget(opts.maxResponseBytes);
      const trace = await reader.getTrace(tenant, traceId, range, budget);
      if (trace === null || trace.spans.length === 0) return undefined;
      return jaegerTracesAnswer([trace], null, { maxBytes: opts.maxResponseBytes, whole: true });
    });
    if (answer === undefined) return reply.code(404).send(errorEnvelope(404, TRACE_NOT_FOUND));
    return sendJson(reply, answer);
  });

  app.get('/api/dependencies', async (request) => {
    const query = request.query as QueryString;
    const endTsValue = firstParam(query, 'endTs');
    const endTsMs = endTsValue === undefined ? Date.now() : parseIntegerParam('endTs', endTsValue);
    const lookbackValue = firstParam(query, 'lookback');
    const lookbackMs =
      lookbackValue === undefined
        ? DEFAULT_DEPENDENCY_LOOKBACK_MS
        : parseIntegerParam('lookback', lookbackValue);
    if (lookbackMs <= 0) {
      throw new InvalidParameterError([
        'lookback',
        `must be a positive number of milliseconds, got "${lookbackValue}"`,
      ]);
    }
    const tenant = requestTenant(request);
    const links = await opts.gate.run(() =>
      reader.getDependencies(tenant, endTsMs * 1000, lookbackMs * 1000),
    );
    const service = firstParam(query, 'service');
    const data: JaegerDependencyLink[] = [];
    for (const link of links) {
      if (service !== undefined && link.parent !== service && link.child !== service) continue;
      data.push({ parent: link.parent, child: link.child, callCount: link.callCount });
    }
    return envelope(data, data.length);
  });

  registerTransformRoute(app, {
    maxBodyBytes: opts.maxTransformBodyBytes,
    maxResponseBytes: opts.maxResponseBytes,
    gate: opts.gate,
  });
}

/**
 * `traceID=` repeated: exactly those traces, other search parameters ignored except an
 * optional start/end hint. Missing ones are reported in `errors` (Jaeger's `traceID` +
 * "trace not found"), and the answer is still 200, as in Jaeger.
 */
async function tracesById(
  reader: TraceReader,
  tenant: string,
  query: QueryString,
  values: string[],
  opts: JaegerRoutesOptions,
): Promise<string> {
  const ids = [...new Set(values.map((v) => parseTraceIdParam('traceID', v)))];
  const range = parseRange(query);
  // One budget for all of them: together they make one answer.
  const budget = new ReadBudget(opts.maxResponseBytes);
  const found: (Trace | null)[] = [];
  for (const id of ids) {
    try {
      found.push(await reader.getTrace(tenant, id, range, budget));
    } catch (err) {
      if (!isSkeinError(err) || err.code !== AnswerTooLargeError.code) throw err;
      budget.truncated = true;
      break;
    }
  }
  const traces: Trace[] = [];
  const errors: JaegerError[] = [];
  for (let i = 0; i < found.length; i++) {
    const trace = found[i];
    if (trace !== null && trace.spans.length > 0) traces.push(trace);
    else errors.push({ code: 404, msg: TRACE_NOT_FOUND, traceID: ids[i] });
  }
  return jaegerTracesAnswer(traces, errors.length > 0 ? errors : null, {
    maxBytes: opts.maxResponseBytes,
    whole: false,
    leftOutByReader: budget.truncated,
  });
}

/** Sends JSON text already encoded. */
function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}

/** Optional `start`/`end` (µs) as a lookup hint; undefined when neither is given. */
function parseRange(query: QueryString): TimeRange | undefined {
  const start = firstParam(query, 'start');
  const end = firstParam(query, 'end');
  if (start === undefined && end === undefined) return undefined;
  const range = {
    start: start === undefined ? 0 : parseIntegerParam('start', start),
    end: end === undefined ? Number.MAX_SAFE_INTEGER : parseIntegerParam('end', end),
  };
  if (range.start > range.end) throw new InvalidParameterError(['start', 'must not be after end']);
  return range;
}

/** Search parameters → a trace query, with Jaeger's defaults for the window. */
function parseSearch(tenant: string, query: QueryString, opts: JaegerRoutesOptions): TraceQuery {
  const endValue = firstParam(query, 'end');
  const end = endValue === undefined ? nowMicros() : parseIntegerParam('end', endValue);
  const startValue = firstParam(query, 'start');
  let start: number;
  if (startValue !== undefined) start = parseIntegerParam('start', startValue);
  else {
    const lookback = firstParam(query, 'lookback');
    // Jaeger UI sends lookback=custom together with explicit start/end.
    const lookbackUs =
      lookback === undefined || lookback === 'custom'
        ? DEFAULT_SEARCH_LOOKBACK_US
        : parseDurationParam('lookback', lookback);
    start = end - lookbackUs;
  }
  const minDurationValue = firstParam(query, 'minDuration');
  const maxDurationValue = firstParam(query, 'maxDuration');
  const durationMin =
    minDurationValue === undefined ? 0 : parseDurationParam('minDuration', minDurationValue);
  const durationMax =
    maxDurationValue === undefined ? 0 : parseDurationParam('maxDuration', maxDurationValue);
  checkSearchBounds(
    { startMin: start, startMax: end, durationMin, durationMax },
    { start: 'start', end: 'end', durationMin: 'minDuration', durationMax: 'maxDuration' },
  );
  return {
    tenant,
    serviceName: firstParam(query, 'service'),
    operationName: firstParam(query, 'operation'),
    tags: rewriteSearchTags(
      parseTagParams('tag', allParams(query, 'tag'), 'tags', allParams(query, 'tags')),
      opts.rewriteSearchTag,
    ),
    startTimeMin: start,
    startTimeMax: end,
    durationMin: durationMin || undefined,
    durationMax: durationMax || undefined,
    limit: parseLimitParam('limit', firstParam(query, 'limit'), opts.defaultLimit, opts.maxLimit),
  };
}
