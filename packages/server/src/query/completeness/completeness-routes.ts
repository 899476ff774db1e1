import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  CompletenessDisabledError,
  InvalidParameterError,
  TraceNotFoundError,
} from '../../errors.ts';
import type { Trace } from '../../model/span.ts';
import { COMPLETENESS_MINUTE } from '../../storage/completeness-reader.ts';
import type {
  CompletenessQuery,
  CompletenessReader,
  CompletenessReport,
  TraceVerdict,
} from '../../storage/completeness-reader.ts';
import type { TimeRange, TraceReader } from '../../storage/trace-reader.ts';
import { envelope, errorEnvelope } from '../jaeger/jaeger-routes.ts';
import { firstParam, parseIntegerParam, parseTraceIdParam } from '../query-params.ts';
import type { QueryString } from '../query-params.ts';
import { nowMicros } from '../trace-search-params.ts';
import { parseCompletenessQuery, parseQualityMetricsQuery } from './completeness-params.ts';
import { qualityMetricsFromReport } from './quality-metrics.ts';
import { requestTenant } from '../request-tenant.ts';

export interface CompletenessRoutesOptions {
  reader: TraceReader;
  /** The completeness aggregates; absent → `/api/completeness` and `/api/quality-metrics` answer 501. */
  completeness?: CompletenessReader;
  /**
   * Classifies one stored trace at query time (the completeness processor's classifier,
   * with what it learned about callees); absent → `/api/completeness/traces/:traceId`
   * answers 501. Its rejections are answered like any other failure (500, logged).
   */
  classifyTrace?: (trace: Trace, tenant: string) => Promise<TraceVerdict>;
}

/** `data` of `GET /api/completeness`: the report and the window it covers. */
export interface CompletenessResponse extends CompletenessReport {
  /** The window and step used (µs), with defaults applied. */
  window: { start: number; end: number; step: number };
  /** The service filter, or null. */
  service: string | null;
}

/**
 * Trace completeness on the query port (docs/api.md#trace-completeness):
 * - `GET /api/completeness`: the report, in Jaeger's `{data, errors}` envelope;
 * - `GET /api/completeness/traces/:traceId`: one trace's verdict, in the envelope;
 * - `GET /api/quality-metrics`: Jaeger UI's Quality Metrics page JSON (not enveloped: the
 *   page reads the body as is), errors in the envelope (the page shows `errors[].msg`).
 * Parameters are checked before anything else (400); without the needed reader, 501.
 */
export function registerCompletenessRoutes(
  app: FastifyInstance,
  opts: CompletenessRoutesOptions,
): void {
  const disabled = (reply: FastifyReply, what: string): FastifyReply => {
    // Answered here rather than thrown: a feature that is off is not a server error to log.
    const err = new CompletenessDisabledError([what]);
    return reply.code(err.statusCode).send(errorEnvelope(err.statusCode, err.message));
  };

  app.get('/api/completeness', async (request, reply) => {
    const q: CompletenessQuery = {
      ...parseCompletenessQuery(request.query as QueryString, nowMicros()),
      tenant: requestTenant(request),
    };
    if (opts.completeness === undefined) return disabled(reply, 'no completeness store');
    const report = await opts.completeness.completeness(q);
    const data: CompletenessResponse = {
      window: { start: q.start, end: q.end, step: q.step },
      service: q.service ?? null,
      ...report,
    };
    return envelope(data, 0);
  });

  app.get<{ Params: { traceId: string } }>(
    '/api/completeness/traces/:traceId',
    async (request, reply) => {
      const traceId = parseTraceIdParam('traceId', request.params.traceId);
      const range = parseRange(request.query as QueryString);
      if (opts.classifyTrace === undefined) return disabled(reply, 'no trace classifier');
      const tenant = requestTenant(request);
      const trace = await opts.reader.getTrace(tenant, traceId, range);
      if (trace === null || trace.spans.length === 0) throw new TraceNotFoundError([traceId]);
      return envelope(await opts.classifyTrace(trace, tenant), 0);
    },
  );

  app.get('/api/quality-metrics', async (request, reply) => {
    const p = parseQualityMetricsQuery(request.query as QueryString, nowMicros());
    if (opts.completeness === undefined) return disabled(reply, 'no completeness store');
    // One bucket over the whole window: the page shows totals only.
    const step = Math.ceil((p.end - p.start) / COMPLETENESS_MINUTE) * COMPLETENESS_MINUTE;
    const report = await opts.completeness.completeness({
      tenant: requestTenant(request),
      start: p.start,
      end: p.end,
      step,
      service: p.service,
    });
    return qualityMetricsFromReport(report, { service: p.service, hours: p.hours });
  });
}

/** Optional `start`/`end` (µs) bounding the trace lookup, as on `/api/traces/{traceID}`. */
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
