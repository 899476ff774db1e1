import Fastify, { LogController } from 'fastify';
import { defaultConfig } from '../config/config.ts';
import type { HttpListenerLimitsConfig } from '../config/config.ts';
import { applyHttpTimeouts } from '../listeners/http-timeouts.ts';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RouteNotFoundError, isSkeinError } from '../errors.ts';
import { registerSessionRoutes } from '../security/session-routes.ts';
import type { Trace } from '../model/span.ts';
import type { CompletenessReader, TraceVerdict } from '../storage/completeness-reader.ts';
import type { DependencyReader } from '../storage/dependency-reader.ts';
import type { MetricsReader } from '../storage/metrics-reader.ts';
import type { TraceReader } from '../storage/trace-reader.ts';
import { registerCompletenessRoutes } from './completeness/completeness-routes.ts';
import {
  registerSamplingStrategiesRoutes,
  type SamplingStrategiesRoutesOptions,
} from './sampling/sampling-strategies-routes.ts';
import { errorEnvelope, registerJaegerRoutes } from './jaeger/jaeger-routes.ts';
import { registerSpmRoutes } from './metrics/spm-routes.ts';
import { apiV3Error, registerApiV3Routes } from './v3/api-v3-routes.ts';
import { QueryGate } from './query-gate.ts';
import type { QueryMetrics } from './query-metrics.ts';
import type { SearchTagRewrite } from './query-params.ts';

export interface QueryAppOptions {
  /** Header, request and keep-alive timeouts of the app's server (`limits.http`); the defaults when absent. */
  httpLimits?: HttpListenerLimitsConfig;
  reader: TraceReader & DependencyReader;
  /** A pino logger for requests and server errors; false or absent logs nothing. */
  logger?: Logger | false;
  /** Trace search limit when the request gives none. */
  defaultLimit: number;
  /** Largest trace search limit; larger requested limits are lowered to it. */
  maxLimit: number;
  /** Span metrics for Jaeger's SPM API (`/api/metrics/*`); absent, those routes answer 501. */
  metrics?: MetricsReader;
  /** Trace completeness (`/api/completeness`, `/api/quality-metrics`); absent, those routes answer 501. */
  completeness?: CompletenessReader;
  /** One stored trace's completeness verdict (`/api/completeness/traces/:traceId`); absent, 501. */
  classifyTrace?: (trace: Trace, tenant: string) => Promise<TraceVerdict>;
  /**
   * Rewrites each searched tag value before the search (redaction's hashed search:
   * `(key, value) => searchValueFor(currentSettings(), key, value)`); called per
   * request, so it sees hot-reloaded rules. Absent: values are searched as given.
   */
  rewriteSearchTag?: SearchTagRewrite;
  /**
   * The sampling service's strategies (`/api/sampling/strategies`), asked per request;
   * absent or returning undefined, that route answers 501.
   */
  sampling?: SamplingStrategiesRoutesOptions['sampling'];
  /**
   * Admission for heavy queries, shared by every query app reading the same store;
   * absent, the app makes its own with {@link DEFAULT_QUERY_LIMITS}.
   */
  gate?: QueryGate;
  /** Largest answer body, bytes (query.maxResponseBytes); absent, the default. */
  maxResponseBytes?: number;
  /** Largest `/api/transform` body, bytes (query.maxTransformBodyBytes); absent, the default. */
  maxTransformBodyBytes?: number;
  /**
   * Called on the new app before any route is registered: security's guard
   * (`SecurityLayer.fastify`) goes in here. Absent: the app is open.
   */
  protect?: (app: FastifyInstance) => void;
  /**
   * Request latency per route on /metrics (`QueryMetrics.observe`), labelled with `port`;
   * absent, requests are not timed. The store's reads are timed by giving the app a
   * `QueryMetrics.timed` reader.
   */
  timing?: { metrics: QueryMetrics; port: string };
}

/** The query limits' defaults (config.ts repeats them as `query.*`). */
export const DEFAULT_QUERY_LIMITS = {
  maxConcurrentQueries: 4,
  maxQueuedQueries: 64,
  queueTimeoutMs: 15_000,
  maxResponseBytes: 16 * 1024 * 1024,
  maxTransformBodyBytes: 16 * 1024 * 1024,
} as const;

/**
 * The query API served on :16686: Jaeger's legacy `/api/*` and `/api/v3/*`.
 *
 * Returns a ready, not listening, Fastify app; the caller listens and closes it. Other
 * routes (the web UI at `/`) may be added before `ready()`. Errors are answered in the
 * shape the route family uses: api_v3's `{error:{httpCode,message}}` under `/api/v3`,
 * Jaeger's envelope with `errors` everywhere else. Unknown routes are 404s.
 */
export async function createQueryApp(opts: QueryAppOptions): Promise<FastifyInstance> {
  // Service names travel in the path (/api/services/{service}/operations) and may be
  // longer than find-my-way's default limit of 100 characters.
  const routerOptions = { maxParamLength: 1024 };
  // Per-request log lines would drown the rest at info level (a UI page makes dozens of
  // calls); server errors are logged by the error handler below.
  const app = (opts.logger
    ? Fastify({
        routerOptions,
        loggerInstance: opts.logger,
        logController: new LogController({ disableRequestLogging: true }),
      })
    : Fastify({ routerOptions, logger: false })) as unknown as FastifyInstance;
  applyHttpTimeouts(app.server, opts.httpLimits ?? defaultConfig.limits.http);
  opts.protect?.(app);
  opts.timing?.metrics.observe(app, opts.timing.port);

  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let status: number;
    let message: string;
    if (isSkeinError(err)) {
      status = err.statusCode;
      // A 500's message may hold the engine's own text: it goes to the log only.
      message =
        status === 500
          ? `${err.code}: the query failed in storage; the server log has the details`
          : err.message;
      if (err.retryAfterSeconds !== undefined) {
        reply.header('retry-after', String(err.retryAfterSeconds));
      }
    } else if (
      typeof err.statusCode === 'number' &&
      err.statusCode >= 400 &&
      err.statusCode < 500
    ) {
      // Fastify's own request errors (body too large, bad Content-Type, ...).
      status = err.statusCode;
      message = err.message;
    } else {
      status = 500;
      message = 'internal error while answering the query; the server log has the details';
    }
    if (status >= 500) request.log.error({ err }, 'query API request failed');
    return reply.code(status).send(errorBody(request.url, status, message));
  });

  app.setNotFoundHandler((request, reply) => {
    const err = new RouteNotFoundError([request.method, request.url.split('?')[0]]);
    return reply.code(err.statusCode).send(errorBody(request.url, err.statusCode, err.message));
  });

  const limits = {
    gate:
      opts.gate ??
      new QueryGate({
        maxConcurrent: DEFAULT_QUERY_LIMITS.maxConcurrentQueries,
        maxQueued: DEFAULT_QUERY_LIMITS.maxQueuedQueries,
        queueTimeoutMs: DEFAULT_QUERY_LIMITS.queueTimeoutMs,
      }),
    maxResponseBytes: opts.maxResponseBytes ?? DEFAULT_QUERY_LIMITS.maxResponseBytes,
    maxTransformBodyBytes: opts.maxTransformBodyBytes ?? DEFAULT_QUERY_LIMITS.maxTransformBodyBytes,
  };
  registerJaegerRoutes(app, { ...opts, ...limits });
  registerApiV3Routes(app, { ...opts, ...limits });
  registerSpmRoutes(app, opts);
  registerCompletenessRoutes(app, opts);
  registerSamplingStrategiesRoutes(app, {
    reader: opts.reader,
    sampling: opts.sampling ?? (() => undefined),
  });
  // The UI's sign-in (/login, /logout, /api/session): active when protect attached one.
  registerSessionRoutes(app);
  return app;
}

function errorBody(url: string, status: number, message: string): object {
  return isApiV3(url) ? apiV3Error(status, message) : errorEnvelope(status, message);
}

function isApiV3(url: string): boolean {
  return /^\/api\/v3(?:[/?]|$)/.test(url);
}
