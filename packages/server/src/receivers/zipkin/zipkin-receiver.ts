import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import {
  BodyTooLargeError,
  RouteNotFoundError,
  ShuttingDownError,
  UnsupportedMediaTypeError,
  isSkeinError,
} from '../../errors.ts';
import type { SkeinError } from '../../errors.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { ZipkinQueryApi } from '../../query/zipkin/zipkin-query-api.ts';
import type { DependencyReader } from '../../storage/dependency-reader.ts';
import type { TraceReader } from '../../storage/trace-reader.ts';
import { BurstLog } from '../burst-log.ts';
import type { DecodeResult } from '../decode-result.ts';
import { declaresTooLarge, gunzipBody, isGzipEncoded, mediaType, readBody } from '../http-body.ts';
import { DEFAULT_STOP_GRACE_MS } from '../receiver.ts';
import type { Receiver, ReceiverAddress } from '../receiver.ts';
import { parseJsonBody } from './json-fields.ts';
import { decodeZipkinJsonV1 } from './zipkin-json-v1-decoder.ts';
import { decodeZipkinJsonV2 } from './zipkin-json-v2-decoder.ts';
import { decodeZipkinProto } from './zipkin-proto-decoder.ts';
import { decodeZipkinThrift } from './zipkin-thrift-decoder.ts';

const V1_PATH = '/api/v1/spans';
const V2_PATH = '/api/v2/spans';
const JSON_TYPE = 'application/json';
const PROTOBUF = 'application/x-protobuf';
const THRIFT = 'application/x-thrift';
const TEXT_TYPE = 'text/plain; charset=utf-8';

type Decoder = (body: Buffer) => DecodeResult;

const decodeJsonV2: Decoder = (body) => decodeZipkinJsonV2(parseJsonBody(body, 'Zipkin JSON v2'));
const decodeJsonV1: Decoder = (body) => decodeZipkinJsonV1(parseJsonBody(body, 'Zipkin JSON v1'));

/**
 * The decoder for a path and Content-Type; undefined when the type is not one the
 * path takes. Zipkin treats a missing Content-Type as JSON, and so does Skein.
 */
function decoderFor(path: string, media: string): Decoder | undefined {
  const json = media === JSON_TYPE || media === '';
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
 *   (bad ids, no timestamp) are counted, and logged once per burst.
 * - Errors as text: 400 unreadable body, 413 over `receivers.maxBodyBytes`, 415
 *   Content-Type or encoding, 429 queue full and 503 shutting down (Retry-After),
 *   404 other paths, 405 other methods.
 * - `GET /api/v2/...`: ZipkinQueryApi. Every answer allows any origin (CORS), as
 *   Zipkin does by default; OPTIONS preflights get 204.
 *
 * Body limits, gzip and error mapping are shared with OTLP/HTTP (http-body.ts).
 */
export class ZipkinReceiver implements Receiver {
  readonly name = 'zipkin';
  readonly #listener: SkeinConfig['receivers']['zipkin'];
  readonly #maxBodyBytes: number;
  readonly #retryAfterSeconds: number;
  readonly #consumer: SpanConsumer;
  readonly #metrics: IngestMetrics;
  readonly #logger: Logger;
  readonly #query: ZipkinQueryApi | undefined;
  readonly #rejectedLog: BurstLog;
  readonly #server: Server;
  #listening = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(
    config: SkeinConfig,
    consumer: SpanConsumer,
    metrics: IngestMetrics,
    logger: Logger,
    reader?: TraceReader & DependencyReader,
  ) {
    this.#listener = config.receivers.zipkin;
    this.#maxBodyBytes = config.receivers.maxBodyBytes;
    this.#retryAfterSeconds = config.pipeline.retryAfterSeconds;
    this.#consumer = consumer;
    this.#metrics = metrics;
    this.#logger = logger.child({ receiver: this.name });
    this.#rejectedLog = new BurstLog(this.#logger, 'requests with rejected spans');
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
            maxLimit: config.query.maxLimit,
          });
    this.#server = createServer(this.#onRequest);
  }

  get listening(): boolean {
    return this.#listening;
  }

  start(): Promise<ReceiverAddress> {
    return new Promise((resolve, reject) => {
      const server = this.#server;
      server.once('error', reject);
      server.listen(this.#listener.port, this.#listener.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.#logger.error({ err }, 'Zipkin server error'));
        this.#listening = true;
        const { address, port } = server.address() as AddressInfo;
        this.#logger.info({ host: address, port }, 'Zipkin receiver listening');
        resolve({ host: address, port });
      });
    });
  }

  stop(graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    if (this.#stopped === undefined) {
      this.#listening = false;
      this.#stopping = true;
      this.#stopped = new Promise((resolve) => {
        if (!this.#server.listening) return resolve();
        const force = setTimeout(() => this.#server.closeAllConnections(), graceMs);
        this.#server.close(() => {
          clearTimeout(force);
          resolve();
        });
        this.#server.closeIdleConnections();
      });
    }
    return this.#stopped;
  }

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (req.method === 'OPTIONS') {
      // CORS preflight: browsers (zipkin-js in a page, Zipkin's UI elsewhere) ask first.
      res.setHeader('access-control-allow-methods', 'GET, POST');
      res.setHeader('access-control-allow-headers', 'content-type, content-encoding');
      res.setHeader('access-control-max-age', '86400');
      this.#send(res, 204, TEXT_TYPE, '');
    } else if (req.method === 'POST' && (path === V2_PATH || path === V1_PATH)) {
      this.#intake(req, res, path);
    } else if ((req.method === 'GET' || req.method === 'HEAD') && this.#query?.serves(path)) {
      const params = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
      this.#query
        .handle(path, params)
        .then(
          (answer) => this.#send(res, answer.statusCode, answer.contentType, answer.body),
          (err: unknown) => {
            this.#logger.error({ err }, 'Zipkin read API failed');
            const message = isSkeinError(err) ? err.message : `internal error: ${String(err)}`;
            this.#send(res, 500, TEXT_TYPE, message);
          },
        )
        .catch(this.#onUnexpected);
    } else if (path === V2_PATH || path === V1_PATH) {
      res.setHeader('allow', path === V2_PATH && this.#query ? 'GET, POST' : 'POST');
      this.#metrics.requestRefused(this.name, 'method_not_allowed');
      this.#send(res, 405, TEXT_TYPE, `use POST ${path} to send spans`);
    } else {
      this.#refuse(res, new RouteNotFoundError([req.method ?? '', path]));
    }
  };

  #intake(req: IncomingMessage, res: ServerResponse, path: string): void {
    const media = mediaType(req.headers['content-type']);
    const decode = decoderFor(path, media);
    if (decode === undefined) {
      const accepted = path === V2_PATH ? `${JSON_TYPE}, ${PROTOBUF}` : `${JSON_TYPE}, ${THRIFT}`;
      this.#refuse(res, new UnsupportedMediaTypeError([media, accepted]));
      return;
    }
    let gzip: boolean;
    try {
      gzip = isGzipEncoded(req);
    } catch (err) {
      this.#refuse(res, err as SkeinError);
      return;
    }
    if (declaresTooLarge(req, this.#maxBodyBytes)) {
      this.#refuse(res, new BodyTooLargeError([this.#maxBodyBytes]));
      return;
    }
    readBody(req, this.#maxBodyBytes)
      .then(
        (raw) => this.#accept(res, decode, gzip, raw),
        (err: unknown) => {
          // A client that went away gets no answer; an oversized body does.
          if (isSkeinError(err)) this.#refuse(res, err);
        },
      )
      .catch(this.#onUnexpected);
  }

  /** Last line of defence: a bug while answering must not take the process down. */
  readonly #onUnexpected = (err: unknown): void => {
    this.#logger.error({ err }, 'unexpected failure while answering a Zipkin request');
  };

  async #accept(res: ServerResponse, decode: Decoder, gzip: boolean, raw: Buffer): Promise<void> {
    try {
      const body = gzip ? await gunzipBody(raw, this.#maxBodyBytes) : raw;
      const result = decode(body);
      if (result.rejectedSpans > 0) {
        this.#metrics.invalidSpans(this.name, result.rejectedSpans);
        this.#rejectedLog.problem(undefined, result.errorMessage);
      } else {
        this.#rejectedLog.ok();
      }
      this.#consumer.consume(result.spans, body.length, this.name);
    } catch (err) {
      if (isSkeinError(err)) {
        this.#refuse(res, err);
      } else {
        this.#logger.error({ err }, 'failed to handle a Zipkin span report');
        this.#metrics.requestRefused(this.name, 'internal_error');
        const message = `internal error: ${(err as Error).message}; the server log has details`;
        this.#send(res, 500, TEXT_TYPE, message);
      }
      return;
    }
    this.#send(res, 202, TEXT_TYPE, '');
  }

  #send(res: ServerResponse, statusCode: number, type: string, body: string): void {
    if (this.#stopping) res.setHeader('connection', 'close');
    // Zipkin answers any origin by default (ZIPKIN_QUERY_ALLOWED_ORIGINS=*); so does Skein.
    res.setHeader('access-control-allow-origin', '*');
    res.writeHead(statusCode, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  #refuse(res: ServerResponse, err: SkeinError): void {
    this.#metrics.requestRefused(this.name, err.code);
    let retryAfter = err.retryAfterSeconds;
    if (retryAfter === undefined && err instanceof ShuttingDownError) {
      retryAfter = this.#retryAfterSeconds;
    }
    if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
    if (err instanceof BodyTooLargeError) res.setHeader('connection', 'close');
    this.#send(res, err.statusCode, TEXT_TYPE, err.message);
  }
}
