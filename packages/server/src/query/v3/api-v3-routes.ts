import type { FastifyInstance } from 'fastify';
import { InvalidParameterError, TraceNotFoundError } from '../../errors.ts';
import type { Trace } from '../../model/span.ts';
import type { TimeRange, TraceQuery, TraceReader } from '../../storage/trace-reader.ts';
import { encodeOtlpJson } from '../otlp/encode-otlp-json.ts';
import type { OtlpResourceSpans } from '../otlp/encode-otlp-json.ts';
import {
  firstOfParams,
  firstParam,
  parseBoolParam,
  parseDurationParam,
  parseJsonTagObject,
  rewriteSearchTags,
  type SearchTagRewrite,
  parseLimitParam,
  parseRfc3339Param,
  parseTraceIdParam,
} from '../query-params.ts';
import type { QueryString } from '../query-params.ts';
import {
  DEFAULT_SEARCH_LOOKBACK_US,
  checkSearchBounds,
  checkSpanKind,
  nowMicros,
} from '../trace-search-params.ts';
import { ReadBudget } from '../../storage/read-budget.ts';
import type { QueryGate } from '../query-gate.ts';
import { summarizeTrace } from './summarize-trace.ts';
import { requestTenant } from '../request-tenant.ts';

export interface ApiV3RoutesOptions {
  reader: TraceReader;
  defaultLimit: number;
  maxLimit: number;
  /** Applied to each searched attribute value (redaction's hashed search); absent = as given. */
  rewriteSearchTag?: SearchTagRewrite;
  /** Admission for trace reads and searches (shared with the legacy API). */
  gate: QueryGate;
  /** Read budget per query, bytes (query.maxResponseBytes), as estimated while reading. */
  maxResponseBytes: number;
}

/** Jaeger api_v3's error body, as its HTTP gateway writes it. */
export interface ApiV3Error {
  error: { httpCode: number; message: string };
}

export function apiV3Error(status: number, message: string): ApiV3Error {
  return { error: { httpCode: status, message } };
}

/*
 * Query parameter names: Jaeger's gateway reads the proto3 JSON (camelCase) names and,
 * for older clients, the snake_case ones; the first listed wins.
 */
const P = {
  serviceName: ['query.serviceName', 'query.service_name'],
  operationName: ['query.operationName', 'query.operation_name'],
  attributes: ['query.attributes'],
  startTimeMin: ['query.startTimeMin', 'query.start_time_min'],
  startTimeMax: ['query.startTimeMax', 'query.start_time_max'],
  durationMin: ['query.durationMin', 'query.duration_min'],
  durationMax: ['query.durationMax', 'query.duration_max'],
  searchDepth: ['query.searchDepth', 'query.search_depth', 'query.num_traces'],
  queryRawTraces: ['query.rawTraces', 'query.raw_traces'],
  startTime: ['startTime', 'start_time'],
  endTime: ['endTime', 'end_time'],
  rawTraces: ['rawTraces', 'raw_traces'],
  spanKind: ['spanKind', 'span_kind'],
} as const;

/**
 * Jaeger's api_v3 over HTTP JSON (`/api/v3/*`, what Jaeger UI ≥ 2.20 calls), plus Skein's
 * fields in `/api/v3/trace-summaries`. Traces are OTLP JSON under `result`. Errors use
 * {@link ApiV3Error} through the app's error handler.
 */
export function registerApiV3Routes(app: FastifyInstance, opts: ApiV3RoutesOptions): void {
  const { reader } = opts;

  app.get('/api/v3/services', async (request) => ({
    services: await reader.getServices(requestTenant(request)),
  }));

  app.get('/api/v3/operations', async (request) => {
    const query = request.query as QueryString;
    const serviceName = firstParam(query, 'service');
    if (serviceName === undefined) throw new InvalidParameterError(['service', 'is required']);
    const kindParam = firstOfParams(query, P.spanKind);
    const spanKind = checkSpanKind(kindParam?.name ?? 'spanKind', kindParam?.value);
    const operations = await reader.getOperations({
      tenant: requestTenant(request),
      serviceName,
      spanKind,
    });
    // Jaeger's gateway reports an operation seen without a kind as "internal".
    const seen = new Set<string>();
    const out: { name: string; spanKind: string }[] = [];
    for (const o of operations) {
      const kind = o.spanKind === '' ? 'internal' : o.spanKind;
      const key = `${kind}\u0000${o.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: o.name, spanKind: kind });
    }
    return { operations: out };
  });

  // A search cut short by its read budget answers the most recent traces that fit.
  const search = (q: TraceQuery): Promise<Trace[]> =>
    opts.gate.run(() => reader.findTraces(q, new ReadBudget(opts.maxResponseBytes)));

  app.get('/api/v3/traces', async (request) => {
    const traces = await search(
      parseFindTraces(requestTenant(request), request.query as QueryString, opts),
    );
    return { result: { resourceSpans: resourceSpansOf(traces) } };
  });

  app.get<{ Params: { traceId: string } }>('/api/v3/traces/:traceId', async (request, reply) => {
    const query = request.query as QueryString;
    const traceId = parseTraceIdParam('trace_id', request.params.traceId);
    const range = parseGetTraceRange(query);
    parseOptionalBool(query, P.rawTraces);
    const trace = await opts.gate.run(() =>
      reader.getTrace(
        requestTenant(request),
        traceId,
        range,
        new ReadBudget(opts.maxResponseBytes),
      ),
    );
    if (trace === null || trace.spans.length === 0) {
      return reply.code(404).send(apiV3Error(404, new TraceNotFoundError([traceId]).message));
    }
    return { result: { resourceSpans: resourceSpansOf([trace]) } };
  });

  app.get('/api/v3/trace-summaries', async (request) => {
    const traces = await search(
      parseFindTraces(requestTenant(request), request.query as QueryString, opts),
    );
    return { summaries: traces.map(summarizeTrace) };
  });
}

/** Each trace is encoded on its own (resources are shared within a trace), then concatenated. */
function resourceSpansOf(traces: Trace[]): OtlpResourceSpans[] {
  const out: OtlpResourceSpans[] = [];
  for (const trace of traces) {
    for (const rs of encodeOtlpJson(trace.spans).resourceSpans) out.push(rs);
  }
  return out;
}

function parseOptionalBool(query: QueryString, names: readonly string[]): boolean {
  const p = firstOfParams(query, names);
  return p === undefined ? false : parseBoolParam(p.name, p.value);
}

function parseGetTraceRange(query: QueryString): TimeRange | undefined {
  const start = firstOfParams(query, P.startTime);
  const end = firstOfParams(query, P.endTime);
  if (start === undefined && end === undefined) return undefined;
  const range = {
    start: start === undefined ? 0 : parseRfc3339Param(start.name, start.value),
    end: end === undefined ? Number.MAX_SAFE_INTEGER : parseRfc3339Param(end.name, end.value),
  };
  if (range.start > range.end) {
    throw new InvalidParameterError([start!.name, `must not be after ${end!.name}`]);
  }
  return range;
}

/**
 * `query.*` parameters → a trace search. Unlike Jaeger, the time bounds are optional:
 * the end defaults to now and the start to two days before the end.
 */
function parseFindTraces(tenant: string, query: QueryString, opts: ApiV3RoutesOptions): TraceQuery {
  const maxParam = firstOfParams(query, P.startTimeMax);
  const minParam = firstOfParams(query, P.startTimeMin);
  const startTimeMax =
    maxParam === undefined ? nowMicros() : parseRfc3339Param(maxParam.name, maxParam.value);
  const startTimeMin =
    minParam === undefined
      ? startTimeMax - DEFAULT_SEARCH_LOOKBACK_US
      : parseRfc3339Param(minParam.name, minParam.value);
  const dMin = firstOfParams(query, P.durationMin);
  const dMax = firstOfParams(query, P.durationMax);
  const durationMin = dMin === undefined ? 0 : parseDurationParam(dMin.name, dMin.value);
  const durationMax = dMax === undefined ? 0 : parseDurationParam(dMax.name, dMax.value);
  checkSearchBounds(
    { startMin: startTimeMin, startMax: startTimeMax, durationMin, durationMax },
    {
      start: minParam?.name ?? P.startTimeMin[0],
      end: maxParam?.name ?? P.startTimeMax[0],
      durationMin: dMin?.name ?? P.durationMin[0],
      durationMax: dMax?.name ?? P.durationMax[0],
    },
  );
  const depth = firstOfParams(query, P.searchDepth);
  const attributes = firstOfParams(query, P.attributes);
  // Skein applies no adjusters, so raw and adjusted traces are the same; still validate it.
  parseOptionalBool(query, P.queryRawTraces);
  return {
    tenant,
    serviceName: firstOfParams(query, P.serviceName)?.value,
    operationName: firstOfParams(query, P.operationName)?.value,
    tags:
      attributes === undefined
        ? {}
        : rewriteSearchTags(
            parseJsonTagObject(attributes.name, attributes.value),
            opts.rewriteSearchTag,
          ),
    startTimeMin,
    startTimeMax,
    durationMin: durationMin || undefined,
    durationMax: durationMax || undefined,
    limit: parseLimitParam(
      depth?.name ?? P.searchDepth[0],
      depth?.value,
      opts.defaultLimit,
      opts.maxLimit,
    ),
  };
}
