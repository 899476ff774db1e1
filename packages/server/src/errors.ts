/**
 * Every error Skein reports to a user, in one place (after Fastify's lib/errors.js).
 *
 * Each error has a stable `code`, an HTTP status, a gRPC status and a message that
 * says what to do. `docs/errors.md` lists the same codes; `errors.test.ts` keeps the
 * two in sync. Wrap lower-level failures with `{ cause }`.
 */

/** gRPC status codes used by the receivers (subset of grpc.status). */
export const GrpcStatus = {
  InvalidArgument: 3,
  NotFound: 5,
  ResourceExhausted: 8,
  Internal: 13,
  Unavailable: 14,
  Unimplemented: 12,
  PermissionDenied: 7,
  Unauthenticated: 16,
} as const;
export type GrpcStatus = (typeof GrpcStatus)[keyof typeof GrpcStatus];

export abstract class SkeinError extends Error {
  abstract readonly code: string;
  abstract readonly statusCode: number;
  abstract readonly grpcCode: GrpcStatus;
  /** Seconds a client should wait before retrying; set on overload errors. */
  readonly retryAfterSeconds: number | undefined = undefined;
}

interface ErrorSpec<A extends unknown[]> {
  code: string;
  statusCode: number;
  grpcCode: GrpcStatus;
  /** One-line summary for docs/errors.md. */
  summary: string;
  message: (...args: A) => string;
}

export interface SkeinErrorClass<A extends unknown[]> {
  new (args: A, options?: ErrorOptions & { retryAfterSeconds?: number }): SkeinError;
  readonly code: string;
  readonly statusCode: number;
  readonly summary: string;
}

/** Registry of every error class, for docs and the sync test. */
export const errorCatalog: SkeinErrorClass<never>[] = [];

function defineError<A extends unknown[]>(spec: ErrorSpec<A>): SkeinErrorClass<A> {
  class CodedError extends SkeinError {
    static readonly code = spec.code;
    static readonly statusCode = spec.statusCode;
    static readonly summary = spec.summary;
    readonly code = spec.code;
    readonly statusCode = spec.statusCode;
    readonly grpcCode = spec.grpcCode;
    override readonly retryAfterSeconds: number | undefined;
    constructor(args: A, options?: ErrorOptions & { retryAfterSeconds?: number }) {
      super(spec.message(...args), options);
      this.name = spec.code;
      this.retryAfterSeconds = options?.retryAfterSeconds;
    }
  }
  errorCatalog.push(CodedError as unknown as SkeinErrorClass<never>);
  return CodedError;
}

// ---- receivers -------------------------------------------------------------------

export const InvalidPayloadError = defineError({
  code: 'SKEIN_INVALID_PAYLOAD',
  statusCode: 400,
  grpcCode: GrpcStatus.InvalidArgument,
  summary: 'The request body could not be decoded as the protocol it claims to be.',
  message: (format: string, detail: string) =>
    `cannot decode ${format} payload: ${detail}; check that the exporter's protocol and Content-Type match the endpoint`,
});
export type InvalidPayloadError = InstanceType<typeof InvalidPayloadError>;

export const ZeroIdError = defineError({
  code: 'SKEIN_ZERO_ID',
  statusCode: 400,
  grpcCode: GrpcStatus.InvalidArgument,
  summary: 'A Zipkin span has an all-zero trace id or span id, which Zipkin reserves for "no id".',
  message: (span: number, field: string, id: string) =>
    `span ${span} has an all-zero ${field} ("${id.slice(0, 40)}"): Zipkin reserves zero for "no id", so the batch was not stored; send random, non-zero ids of 16 or 32 lowercase hex digits (check the tracer's id generator and the propagation headers) and resend`,
});
export type ZeroIdError = InstanceType<typeof ZeroIdError>;

export const UnsupportedMediaTypeError = defineError({
  code: 'SKEIN_UNSUPPORTED_MEDIA_TYPE',
  statusCode: 415,
  grpcCode: GrpcStatus.InvalidArgument,
  summary: 'The Content-Type is not one the endpoint accepts.',
  message: (got: string, accepted: string) =>
    `Content-Type "${got}" is not supported here; send one of: ${accepted}`,
});
export type UnsupportedMediaTypeError = InstanceType<typeof UnsupportedMediaTypeError>;

export const UnsupportedEncodingError = defineError({
  code: 'SKEIN_UNSUPPORTED_ENCODING',
  statusCode: 415,
  grpcCode: GrpcStatus.InvalidArgument,
  summary: 'The Content-Encoding is not gzip or identity.',
  message: (got: string) =>
    `Content-Encoding "${got}" is not supported; send the body uncompressed or with gzip`,
});
export type UnsupportedEncodingError = InstanceType<typeof UnsupportedEncodingError>;

export const BodyTooLargeError = defineError({
  code: 'SKEIN_BODY_TOO_LARGE',
  statusCode: 413,
  grpcCode: GrpcStatus.ResourceExhausted,
  summary: 'The (decompressed) request body is over the configured limit.',
  message: (limitBytes: number, setting: string = 'receivers.maxBodyBytes') =>
    `request body is over the limit of ${limitBytes} bytes (after decompression): raise ${setting} or send smaller batches`,
});
export type BodyTooLargeError = InstanceType<typeof BodyTooLargeError>;

export const PipelineFullError = defineError({
  code: 'SKEIN_PIPELINE_FULL',
  statusCode: 429,
  grpcCode: GrpcStatus.ResourceExhausted,
  summary: 'The ingest queue is full; the client should retry after the given delay.',
  message: (what: string) =>
    `ingest queue is full (${what}); retry later, or raise pipeline.queue.maxSpans / pipeline.queue.maxBytes`,
});
export type PipelineFullError = InstanceType<typeof PipelineFullError>;

export const TenantRateLimitedError = defineError({
  code: 'SKEIN_TENANT_RATE_LIMITED',
  statusCode: 429,
  grpcCode: GrpcStatus.ResourceExhausted,
  summary:
    "The batch would take the tenant over its ingest rate (tenants.maxSpansPerSecond or the tenant's override); nothing of it was taken, retry after the given delay.",
  message: (tenant: string, spans: number, perSecond: number, burst: number) =>
    `tenant "${tenant}" is over its ingest rate of ${perSecond} spans/s (burst ${burst}); this batch of ${spans} spans was not taken: retry after the Retry-After delay, send less, or raise tenants.maxSpansPerSecond / tenants.overrides.<tenant>.maxSpansPerSecond`,
});
export type TenantRateLimitedError = InstanceType<typeof TenantRateLimitedError>;

export const ShuttingDownError = defineError({
  code: 'SKEIN_SHUTTING_DOWN',
  statusCode: 503,
  grpcCode: GrpcStatus.Unavailable,
  summary:
    'Skein is shutting down and no longer accepts spans; retry against another instance or later.',
  message: () => 'skein is shutting down and accepts no more spans; retry later',
});
export type ShuttingDownError = InstanceType<typeof ShuttingDownError>;

export const IntakeUnavailableError = defineError({
  code: 'SKEIN_INTAKE_UNAVAILABLE',
  statusCode: 503,
  grpcCode: GrpcStatus.Unavailable,
  summary:
    'The durable intake could not put the batch on disk (disk full or an I/O error); nothing of it was acknowledged.',
  message: (why: string) =>
    `the durable intake could not write this batch to disk (${why}); nothing of it was acknowledged: retry after the Retry-After delay, and free disk space under pipeline.intake.dir`,
});
export type IntakeUnavailableError = InstanceType<typeof IntakeUnavailableError>;

export const BufferUnavailableError = defineError({
  code: 'SKEIN_BUFFER_UNAVAILABLE',
  statusCode: 503,
  grpcCode: GrpcStatus.Unavailable,
  summary:
    'The collector could not get the batch acknowledged by NATS JetStream; nothing was accepted, retry after the given delay.',
  message: (detail: string) =>
    `the span buffer (NATS JetStream) did not acknowledge the batch: ${detail}; nothing was stored, retry later`,
});
export type BufferUnavailableError = InstanceType<typeof BufferUnavailableError>;

// ---- query API -------------------------------------------------------------------

export const InvalidParameterError = defineError({
  code: 'SKEIN_INVALID_PARAMETER',
  statusCode: 400,
  grpcCode: GrpcStatus.InvalidArgument,
  summary: 'A query parameter is missing or malformed.',
  message: (name: string, why: string) => `parameter "${name}" ${why}`,
});
export type InvalidParameterError = InstanceType<typeof InvalidParameterError>;

export const TraceNotFoundError = defineError({
  code: 'SKEIN_TRACE_NOT_FOUND',
  statusCode: 404,
  grpcCode: GrpcStatus.NotFound,
  summary: 'No span of the requested trace is stored (in the requested time range).',
  message: (traceId: string) =>
    `trace ${traceId} not found; it may be older than the retention period or not yet written`,
});
export type TraceNotFoundError = InstanceType<typeof TraceNotFoundError>;

export const RouteNotFoundError = defineError({
  code: 'SKEIN_ROUTE_NOT_FOUND',
  statusCode: 404,
  grpcCode: GrpcStatus.Unimplemented,
  summary: 'No endpoint at that method and path.',
  message: (method: string, url: string) =>
    `no endpoint ${method} ${url}; see docs/api.md for the endpoints Skein serves`,
});
export type RouteNotFoundError = InstanceType<typeof RouteNotFoundError>;

export const MetricsDisabledError = defineError({
  code: 'SKEIN_METRICS_DISABLED',
  statusCode: 501,
  grpcCode: GrpcStatus.Unimplemented,
  summary: 'The span metrics (SPM) API was asked but this query service has no metrics reader.',
  message: () =>
    'trace metrics are currently disabled - no metrics backend configured; Skein keeps them when the span-metrics processor runs (pipeline.processors.spanMetrics) and the query role reads the same store',
});
export type MetricsDisabledError = InstanceType<typeof MetricsDisabledError>;

export const CompletenessDisabledError = defineError({
  code: 'SKEIN_COMPLETENESS_DISABLED',
  statusCode: 501,
  grpcCode: GrpcStatus.Unimplemented,
  summary: 'A trace completeness endpoint was called on a query service without completeness data.',
  message: (what: string) =>
    `trace completeness is not available here (${what}); Skein measures it when the completeness processor runs (pipeline.processors.completeness.enabled) and the query role reads the same store`,
});
export type CompletenessDisabledError = InstanceType<typeof CompletenessDisabledError>;

export const SamplingUnavailableError = defineError({
  code: 'SKEIN_SAMPLING_UNAVAILABLE',
  statusCode: 501,
  grpcCode: GrpcStatus.Unimplemented,
  summary:
    'The sampling strategies endpoint was called on a process that does not run the sampling service.',
  message: () =>
    'the sampling service does not run in this process; it runs in the all and collector roles (sampling.http, :5778): ask the query API of a skein running one of them',
});
export type SamplingUnavailableError = InstanceType<typeof SamplingUnavailableError>;

export const QueryBusyError = defineError({
  code: 'SKEIN_QUERY_BUSY',
  statusCode: 503,
  grpcCode: GrpcStatus.Unavailable,
  summary:
    'Too many heavy queries (trace reads, searches, dependencies, transforms) are running or waiting; retry after the given delay.',
  message: (what: string) =>
    `the query service is busy (${what}); retry after the Retry-After delay, or raise query.maxConcurrentQueries / query.maxQueuedQueries`,
});
export type QueryBusyError = InstanceType<typeof QueryBusyError>;

export const AnswerTooLargeError = defineError({
  code: 'SKEIN_ANSWER_TOO_LARGE',
  statusCode: 413,
  grpcCode: GrpcStatus.ResourceExhausted,
  summary: 'The answer (a trace, or an uploaded file transformed) is over query.maxResponseBytes.',
  message: (what: string, limitBytes: number) =>
    `${what} is over the answer limit of ${limitBytes} bytes (query.maxResponseBytes); raise the limit, or narrow the request (a time range with start/end, a smaller file)`,
});
export type AnswerTooLargeError = InstanceType<typeof AnswerTooLargeError>;

export const StorageBusyError = defineError({
  code: 'SKEIN_STORAGE_BUSY',
  statusCode: 503,
  grpcCode: GrpcStatus.Unavailable,
  summary:
    'The store ran out of memory or was busy answering this read; retry after the given delay.',
  message: (operation: string) =>
    `storage could not ${operation} now (out of memory for this read); retry after the Retry-After delay, or raise storage.duckdb.memoryLimitMB`,
});
export type StorageBusyError = InstanceType<typeof StorageBusyError>;

// ---- security (issue 15, docs/security.md) ----------------------------------------

export const AuthenticationRequiredError = defineError({
  code: 'SKEIN_UNAUTHENTICATED',
  statusCode: 401,
  grpcCode: GrpcStatus.Unauthenticated,
  summary: 'The request carried no credentials, or credentials Skein does not accept.',
  message: (why: string, need: string) =>
    `${why}; this endpoint needs ${need}: send "Authorization: Bearer <token>" (gRPC: an "authorization" metadata entry), see docs/security.md`,
});
export type AuthenticationRequiredError = InstanceType<typeof AuthenticationRequiredError>;

export const PermissionDeniedError = defineError({
  code: 'SKEIN_PERMISSION_DENIED',
  statusCode: 403,
  grpcCode: GrpcStatus.PermissionDenied,
  summary:
    'The credentials are valid but lack the scope the endpoint needs, or name another tenant.',
  message: (who: string, why: string) => `${who} ${why}; see docs/security.md`,
});
export type PermissionDeniedError = InstanceType<typeof PermissionDeniedError>;

export const AuthRateLimitedError = defineError({
  code: 'SKEIN_AUTH_RATE_LIMITED',
  statusCode: 429,
  grpcCode: GrpcStatus.ResourceExhausted,
  summary: 'Too many failed authentications from this address; wait for the given delay.',
  message: (source: string, limit: number) =>
    `too many failed authentications from ${source} (more than ${limit} a minute, security.maxFailuresPerMinute); fix the client's token and retry after the Retry-After delay`,
});
export type AuthRateLimitedError = InstanceType<typeof AuthRateLimitedError>;

export const CsrfRejectedError = defineError({
  code: 'SKEIN_CSRF_REJECTED',
  statusCode: 403,
  grpcCode: GrpcStatus.PermissionDenied,
  summary:
    'A state-changing request signed in by the UI session cookie lacked the CSRF token or came from another origin.',
  message: (why: string) =>
    `${why}; a request that changes state with the skein_session cookie must come from the UI's own origin and send the "X-CSRF-Token" header holding csrfToken from GET /api/session (or send "Authorization: Bearer <token>" instead of the cookie)`,
});
export type CsrfRejectedError = InstanceType<typeof CsrfRejectedError>;

export const LoginNotConfiguredError = defineError({
  code: 'SKEIN_LOGIN_NOT_CONFIGURED',
  statusCode: 404,
  grpcCode: GrpcStatus.Unimplemented,
  summary: 'The UI sign-in routes were called but no OIDC client is configured on this listener.',
  message: (path: string) =>
    `${path}: sign-in is not configured here; set security.oidc.issuer and security.oidc.clientId (docs/security.md, "OIDC sign-in for the UI")`,
});
export type LoginNotConfiguredError = InstanceType<typeof LoginNotConfiguredError>;

export const LoginFailedError = defineError({
  code: 'SKEIN_LOGIN_FAILED',
  statusCode: 401,
  grpcCode: GrpcStatus.Unauthenticated,
  summary: 'A sign-in could not be completed at /login/callback (state, code or ID token refused).',
  message: (why: string) => `sign-in failed: ${why}; start again at /login`,
});
export type LoginFailedError = InstanceType<typeof LoginFailedError>;

export const OidcProviderUnavailableError = defineError({
  code: 'SKEIN_OIDC_PROVIDER_UNAVAILABLE',
  statusCode: 502,
  grpcCode: GrpcStatus.Unavailable,
  summary: "The OIDC issuer's discovery document or token endpoint could not be reached.",
  message: (issuer: string, detail: string) =>
    `the OIDC issuer ${issuer} could not be reached (${detail}); check security.oidc.issuer and that Skein can reach it`,
});
export type OidcProviderUnavailableError = InstanceType<typeof OidcProviderUnavailableError>;

// ---- storage and runtime ---------------------------------------------------------

export const StorageError = defineError({
  code: 'SKEIN_STORAGE_ERROR',
  statusCode: 500,
  grpcCode: GrpcStatus.Internal,
  summary: 'The storage backend failed; the message and the server log say why.',
  message: (operation: string, detail: string) => `storage failed to ${operation}: ${detail}`,
});
export type StorageError = InstanceType<typeof StorageError>;

export const CorruptBatchError = defineError({
  code: 'SKEIN_CORRUPT_BATCH',
  statusCode: 500,
  grpcCode: GrpcStatus.Internal,
  summary: 'A stored or buffered span batch (write-ahead log, NATS message) could not be decoded.',
  message: (detail: string) =>
    `cannot decode span batch: ${detail}; the bytes are damaged or were written by an incompatible skein version`,
});
export type CorruptBatchError = InstanceType<typeof CorruptBatchError>;

export const ConfigError = defineError({
  code: 'SKEIN_CONFIG_INVALID',
  statusCode: 500,
  grpcCode: GrpcStatus.Internal,
  summary: 'The configuration file, environment or flags are invalid; skein refuses to start.',
  message: (where: string, why: string) => `invalid configuration at ${where}: ${why}`,
});
export type ConfigError = InstanceType<typeof ConfigError>;

export function isSkeinError(err: unknown): err is SkeinError {
  return err instanceof SkeinError;
}
