import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MetricsDisabledError } from '../../errors.ts';
import type { MetricSeries, MetricsQuery, MetricsReader } from '../../storage/metrics-reader.ts';
import { envelope, errorEnvelope } from '../jaeger/jaeger-routes.ts';
import type { QueryString } from '../query-params.ts';
import { metricFamilyJson } from './metric-family-json.ts';
import { parseQuantile, parseSpmQuery } from './spm-params.ts';
import { requestTenant } from '../request-tenant.ts';

export interface SpmRoutesOptions {
  /** The span metrics; absent → every route answers 501 as Jaeger does with no metrics backend. */
  metrics?: MetricsReader;
}

/** Jaeger's `prettyPrint`: any value but '' and 'false' indents the JSON by four spaces. */
function send(reply: FastifyReply, query: QueryString, body: unknown): FastifyReply {
  const pretty = query.prettyPrint;
  const value = Array.isArray(pretty) ? pretty[0] : pretty;
  reply.type('application/json; charset=utf-8');
  if (value !== undefined && value !== '' && value !== 'false') {
    return reply.send(JSON.stringify(body, null, 4));
  }
  return reply.send(JSON.stringify(body));
}

/**
 * Jaeger's Service Performance Monitoring API, as Jaeger UI's Monitor tab calls it:
 * `GET /api/metrics/{calls,errors,latencies}` answer a `MetricFamily` in protobuf JSON
 * (metric-family-json.ts), not wrapped in the `{data, errors}` envelope;
 * `GET /api/metrics/minstep` answers the envelope with the smallest useful step in ms.
 * Parameters: spm-params.ts. Bad parameters are 400s in Jaeger's error envelope
 * (through the app's error handler); without a reader, 501 with Jaeger's message.
 */
export function registerSpmRoutes(app: FastifyInstance, opts: SpmRoutesOptions): void {
  const disabled = (reply: FastifyReply): FastifyReply => {
    // Answered here rather than thrown: a disabled feature is not a server error to log.
    const err = new MetricsDisabledError([]);
    return reply.code(err.statusCode).send(errorEnvelope(err.statusCode, err.message));
  };

  /** A MetricFamily route: parameters checked first (400), then the reader asked (or 501). */
  const family = (
    read: (m: MetricsReader, q: MetricsQuery, query: QueryString) => Promise<MetricSeries[]>,
    name: (query: QueryString) => { base: string; help: string },
  ) => {
    return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      const query = request.query as QueryString;
      const { base, help } = name(query);
      const q: MetricsQuery = {
        ...parseSpmQuery(query, Date.now()),
        tenant: requestTenant(request),
      };
      if (opts.metrics === undefined) return disabled(reply);
      const series = await read(opts.metrics, q, query);
      // Jaeger's names and help with groupByOperation (its readers' executeQuery).
      const family = q.groupByOperation
        ? metricFamilyJson(
            base.replace('service', 'service_operation'),
            `${help} & operation`,
            series,
          )
        : metricFamilyJson(base, help, series);
      return send(reply, query, family);
    };
  };

  app.get(
    '/api/metrics/calls',
    family(
      (m, q) => m.calls(q),
      () => ({ base: 'service_call_rate', help: 'calls/sec, grouped by service' }),
    ),
  );
  app.get(
    '/api/metrics/errors',
    family(
      (m, q) => m.errors(q),
      () => ({
        base: 'service_error_rate',
        help: 'error rate, computed as a fraction of errors/sec over calls/sec, grouped by service',
      }),
    ),
  );
  app.get(
    '/api/metrics/latencies',
    family(
      (m, q, query) => m.latencies({ ...q, quantile: parseQuantile(query) }),
      // Parsed here first, so a bad quantile is reported before the other parameters (as Jaeger).
      (query) => ({
        base: 'service_latencies',
        help: `${parseQuantile(query).toFixed(2)}th quantile latency, grouped by service`,
      }),
    ),
  );
  app.get('/api/metrics/minstep', async (request, reply) => {
    if (opts.metrics === undefined) return disabled(reply);
    return send(reply, request.query as QueryString, envelope(opts.metrics.minStep / 1000, 0));
  });
}
