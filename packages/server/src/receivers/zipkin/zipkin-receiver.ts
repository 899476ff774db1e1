import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import { RouteNotFoundError, UnsupportedMediaTypeError, isSkeinError } from '../../errors.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import type { SearchTagRewrite } from '../../query/query-params.ts';
import { tenantOfRequest } from '../../query/request-tenant.ts';
import { ZipkinQueryApi } from '../../query/zipkin/zipkin-query-api.ts';
import type { DependencyReader } from '../../storage/dependency-reader.ts';
import type { TraceReader } from '../../storage/trace-reader.ts';
import { BurstLog } from '../burst-log.ts';
import type { DecodeResult } from '../decode-result.ts';
import { mediaType } from '../http-body.ts';
import { HttpReceiverServer, TEXT_PLAIN, plainTextError } from '../http-receiver-server.ts';
import { countRejectedSpans } from '../rejected-spans.ts';
import type { SpanLimits } from '../span-limits.ts';
import type { HttpAnswer } from '../http-receiver-server.ts';
import { parseJsonBody } from './json-fields.ts';
import { decodeZipkinJsonV1 } from './zipkin-json-v1-decoder.ts';
import { decodeZipkinJsonV2 } from './zipkin-json-v2-decoder.ts';
import { decodeZipkinProto } from './zipkin-proto-decoder.ts';
import { decodeZipkinThrift } from './zipkin-thrift-decoder.ts';
import { handOver } from '../hand-over.ts';

const V1_PATH = '/api/v1/spans';
const V2_PATH = '/api/v2/spans';
const JSON_TYPE = 'application/json';
const PROTOBUF = 'application/x-protobuf';
const THRIFT = 'application/x-thrift';
/** Zipkin answers an accepted report with 202 and an empty body. */
const ACCEPTED: HttpAnswer = { type: TEXT_PLAIN, body: '' };

type Decoder = (body: Buffer, limits: SpanLimits) => DecodeResult;

/** What this port answers (its read API: query/zipkin/zipkin-query-api.ts), for the route table. */
const ZIPKIN_ROUTES = [
  `POST ${V2_PATH}`,
  `POST ${V1_PATH}`,
  ...[
    'services',
    'spans',
    'remoteServices',
    'traces',
    'trace/:traceId',
    'traceMany',
    'dependencies',
    'autocompleteKeys',
    'autocompleteValues',
  ].map((name) => `GET /api/v2/${name}`),
];

const decodeJsonV2: Decoder = (body, limits) =>
  decodeZipkinJsonV2(parseJsonBody(body, 'Zipkin JSON v2'), limits);
const decodeJsonV1: Decoder = (body, limits) =>
  decodeZipkinJsonV1(parseJsonBody(body, 'Zipkin JSON v1'), limits);

/**
 * The decoder for a path and Content-Type; undefined when the type is not one the
 * path takes. Zipkin treats a missing Content-Type as JSON; Skein answers 415, so a
 * body is never decoded as something its sender did not say (issue 15).
 */
function decoderFor(path: string, media: string): Decoder | undefined {
  const json = media === JSON_TYPE;
  if (path === V2_PATH)
    return json ? decodeJsonV2 : media === PROTOBUF ? decodeZipkinProto : undefined;
  return json ? decodeJsonV1 : media === THRIFT ? decodeZipkinThrift : undefined;
}

/**
 * Zipkin's HTTP port (:9411): span intake and, when given a reader, Zipkin's read API.
 *
 * - `POST /api/v2/spans`: JSON v2 (application/json) or protobuf ListOfSpans
 *   (application/x-protobuf); `POST /api/v1/spans`: JSON v1 or thrift
 *   (application/x-thrift, a binary-protocol list of zipkincore Spans). gzip bodies.
 *   202 Accepted with an empty body, as Zipkin answers; spans the decoder rejects
 *   (bad ids, no timestamp, times out of range) are counted, and logged once per
 *   burst; `limits.span` applies (span-limits.ts).
 * - Errors as text: 400 unreadable body or an all-zero trace or span id
 *   (SKEIN_ZERO_ID), 413 over `receivers.maxBodyBytes`, 415
 *   Content-Type or encoding, 429 queue full and 503 shutting down (Retry-After),
 *   404 other paths, 405 other methods.
 * - `GET /api/v2/...`: ZipkinQueryApi. Cross-origin browsers are allowed only from
 *   `security.cors.zipkin` (security/cors-policy.ts answers their preflights).
 *
 * Body limits, gzip and error mapping are shared with OTLP/HTTP (HttpReceiverServer).
 */
export class ZipkinReceiver extends HttpReceiverServer {
  readonly #consumer: SpanConsumer;
  readonly #query: ZipkinQueryApi | undefined;
  readonly #rejectedLog: BurstLog;

  constructor(
    config: SkeinConfig,
    consumer: SpanConsumer,
    metrics: IngestMetrics,
    logger: Logger,
    reader?: TraceReader & DependencyReader,
    rewriteSearchTag?: SearchTagRewrite,
  ) {
    super({
      name: 'zipkin',
      protocol: 'Zipkin',
      listener: config.receivers.zipkin,
      acceptedStatus: 202,
      config,
      metrics,
      logger,
      routes: ZIPKIN_ROUTES,
    });
    this.#consumer = consumer;
    this.#rejectedLog = new BurstLog(this.logger, 'requests with rejected spans');
    this.#query =
      reader === undefined
        ? undefined
        : new ZipkinQueryApi({
            reader,
            autocompleteKeys: config.receivers.zipkin.autocompleteKeys
              .split(',')
              .map((k) => k.trim())
              .filter((k) => k !== ''),
            lookbackMs: config.receivers.zipkin.queryLookbackMs,
            maxResponseBytes: config.query.maxResponseBytes,
            maxLimit: config.query.maxLimit,
            rewriteSearchTag,
          });
  }

  protected route(req: IncomingMessage, res: ServerResponse, path: string, query: string): void {
    if (req.method === 'POST' && (path === V2_PATH || path === V1_PATH)) {
      this.#intake(req, res, path);
    } else if ((req.method === 'GET' || req.method === 'HEAD') && this.#query?.serves(path)) {
      this.#query
        .handle(tenantOfRequest(req), path, new URLSearchParams(query))
        .then(
          (answer) => this.send(res, answer.statusCode, answer.contentType, answer.body),
          (err: unknown) => {
            this.logger.error({ err }, 'Zipkin read API failed');
            const message = isSkeinError(err) ? err.message : `internal error: ${String(err)}`;
            this.send(res, 500, TEXT_PLAIN, message);
          },
        )
        .catch(this.onUnexpected);
    } else if (path === V2_PATH || path === V1_PATH) {
      const allow = path === V2_PATH && this.#query ? 'GET, POST' : 'POST';
      this.refuseMethod(res, allow, `use POST ${path} to send spans`, plainTextError);
    } else {
      this.refuse(res, new RouteNotFoundError([req.method ?? '', path]), plainTextError);
    }
  }

  #intake(req: IncomingMessage, res: ServerResponse, path: string): void {
    const media = mediaType(req.headers['content-type']);
    const decode = decoderFor(path, media);
    if (decode === undefined) {
      const accepted = path === V2_PATH ? `${JSON_TYPE}, ${PROTOBUF}` : `${JSON_TYPE}, ${THRIFT}`;
      this.refuse(res, new UnsupportedMediaTypeError([media, accepted]), plainTextError);
      return;
    }
    this.receive(req, res, plainTextError, (body, tenant) =>
      this.#accept(decode(body, this.spanLimits), body.length, tenant),
    );
  }

  /** Not async: the decoded spans must not stay reachable while the intake syncs (hand-over.ts). */
  #accept(result: DecodeResult, bytes: number, tenant: string): Promise<HttpAnswer> {
    if (result.rejectedSpans > 0) {
      countRejectedSpans(this.metrics, this.name, result);
      this.#rejectedLog.problem(undefined, result.errorMessage);
    } else {
      this.#rejectedLog.ok();
    }
    return handOver(this.#consumer, result.spans, bytes, this.name, tenant, ACCEPTED);
  }
}
