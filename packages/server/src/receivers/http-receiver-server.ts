import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ListenerConfig, SkeinConfig } from '../config/config.ts';
import { BodyTooLargeError, GrpcStatus, ShuttingDownError, isSkeinError } from '../errors.ts';
import type { SkeinError } from '../errors.ts';
import { DEFAULT_TENANT } from '../model/span.ts';
import type { IngestMetrics } from '../pipeline/ingest-metrics.ts';
import { applyHttpTimeouts } from '../listeners/http-timeouts.ts';
import { HttpGuardSlot, identityOf, type HttpGuard } from '../security/index.ts';
import { declaresTooLarge, gunzipBody, isGzipEncoded, readBody } from './http-body.ts';
import { DEFAULT_STOP_GRACE_MS } from './receiver.ts';
import { SpanLimits } from './span-limits.ts';
import { TruncationMetrics } from './truncation-metrics.ts';
import type { Receiver, ReceiverAddress } from './receiver.ts';

/** The Content-Type of plain-text answers (Jaeger, Zipkin). */
export const TEXT_PLAIN = 'text/plain; charset=utf-8';

/** A response's Content-Type and body. */
export interface HttpAnswer {
  type: string;
  body: Buffer | string;
}

/**
 * How a receiver words a refusal in its protocol: a google.rpc.Status for OTLP,
 * plain text for Jaeger and Zipkin. `retryAfterSeconds` is already sent as
 * Retry-After; encodings that can carry it (RetryInfo) repeat it in the body.
 */
export type ErrorEncoding = (
  grpcCode: GrpcStatus,
  message: string,
  retryAfterSeconds: number | undefined,
) => HttpAnswer;

/** The message alone, as text: how the Jaeger collector and Zipkin answer errors. */
export const plainTextError: ErrorEncoding = (_grpcCode, message) => ({
  type: TEXT_PLAIN,
  body: message,
});

/**
 * Decodes a request body (already decompressed and within the limit), hands its
 * spans on under `tenant` (the tenant the request was admitted for, security's
 * `identityOf(req)`, else the default tenant) and returns the success answer, or a
 * promise of it that settles once the spans are durable (the durable intake). Throws
 * (or rejects with) a SkeinError to refuse the request; anything else is answered as
 * an internal error.
 */
export type BodyHandler = (body: Buffer, tenant: string) => HttpAnswer | Promise<HttpAnswer>;

export interface HttpReceiverOptions {
  /** The receiver's name in logs and metrics, e.g. "otlp_http". */
  name: string;
  /** The protocol as people call it, for log lines, e.g. "OTLP/HTTP". */
  protocol: string;
  listener: ListenerConfig;
  /** Status of a successful intake: 200 for OTLP, 202 for Jaeger and Zipkin. */
  acceptedStatus: number;
  config: SkeinConfig;
  metrics: IngestMetrics;
  logger: Logger;
  /** Every route served, `METHOD /path`, each with a scope in security/route-scopes.ts. */
  routes: readonly string[];
}

/**
 * What the HTTP span receivers (OTLP/HTTP, Jaeger thrift, Zipkin) share, on
 * node:http: the server lifecycle of the `Receiver` contract, body intake
 * (`receivers.maxBodyBytes`, gzip: http-body.ts), the timeouts of `limits.http`,
 * and one mapping of refusals to
 * status, Retry-After and `skein_receiver_requests_refused_total`, so every port
 * refuses alike (413, 415, 429, 503...) in its own encoding.
 *
 * Subclasses supply `route` (paths, methods, media types) and, per request, the
 * decoder and answer encodings. While stopping, every answer closes its
 * connection so keep-alive clients reconnect elsewhere.
 */
export abstract class HttpReceiverServer implements Receiver {
  readonly name: string;
  protected readonly metrics: IngestMetrics;
  /** A child logger bound to `receiver: name`. */
  protected readonly logger: Logger;
  /** `limits.span`, counting cuts under this receiver's name; hand it to the decoders. */
  protected readonly spanLimits: SpanLimits;
  readonly #protocol: string;
  readonly #listener: ListenerConfig;
  readonly #acceptedStatus: number;
  readonly #maxBodyBytes: number;
  readonly #retryAfterSeconds: number;
  readonly #server: Server;
  readonly #security: HttpGuardSlot;
  #listening = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(options: HttpReceiverOptions) {
    this.name = options.name;
    this.#protocol = options.protocol;
    this.#listener = options.listener;
    this.#acceptedStatus = options.acceptedStatus;
    this.#maxBodyBytes = options.config.receivers.maxBodyBytes;
    this.#retryAfterSeconds = options.config.pipeline.retryAfterSeconds;
    this.metrics = options.metrics;
    this.logger = options.logger.child({ receiver: options.name });
    this.spanLimits = new SpanLimits(
      options.config.limits.span,
      new TruncationMetrics(options.metrics, options.name),
    );
    this.#security = new HttpGuardSlot(options.routes);
    this.#server = this.#security.attach(
      createServer(this.#security.handler(this.#onRequest, this.onUnexpected)),
    );
    applyHttpTimeouts(this.#server, options.config.limits.http);
  }

  /** Every request passes `guard` first (security/); call before `start`. */
  protect(guard: HttpGuard): void {
    this.#security.protect(guard);
  }

  /** The routes this server answers, as the route table names them. */
  get routes(): readonly string[] {
    return this.#security.routes;
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
        server.on('error', (err) => this.logger.error({ err }, `${this.#protocol} server error`));
        this.#listening = true;
        const { address, port } = server.address() as AddressInfo;
        this.logger.info({ host: address, port }, `${this.#protocol} receiver listening`);
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
        // close() stops accepting and waits for open connections; idle keep-alive
        // ones are closed now, busy ones after their response (Connection: close).
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

  /** Answers one request; `path` is the URL without its query, `query` what follows '?'. */
  protected abstract route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): void;

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    if (queryAt === -1) this.route(req, res, url, '');
    else this.route(req, res, url.slice(0, queryAt), url.slice(queryAt + 1));
  };

  /**
   * Reads the body (refusing a bad Content-Encoding or one over the limit),
   * decompresses it and answers with what `handle` returns, or with the refusal
   * `handle` threw. A client that goes away mid-body gets no answer.
   */
  protected receive(
    req: IncomingMessage,
    res: ServerResponse,
    encoding: ErrorEncoding,
    handle: BodyHandler,
  ): void {
    let gzip: boolean;
    try {
      gzip = isGzipEncoded(req);
    } catch (err) {
      this.refuse(res, err as SkeinError, encoding);
      return;
    }
    if (declaresTooLarge(req, this.#maxBodyBytes)) {
      this.refuse(res, new BodyTooLargeError([this.#maxBodyBytes]), encoding);
      return;
    }
    const tenant = identityOf(req)?.tenant ?? DEFAULT_TENANT;
    readBody(req, this.#maxBodyBytes)
      .then(
        (raw) => this.#handle(res, encoding, handle, gzip, raw, tenant),
        (err: unknown) => {
          if (isSkeinError(err)) this.refuse(res, err, encoding);
        },
      )
      .catch(this.onUnexpected);
  }

  async #handle(
    res: ServerResponse,
    encoding: ErrorEncoding,
    handle: BodyHandler,
    gzip: boolean,
    raw: Buffer,
    tenant: string,
  ): Promise<void> {
    let answer: HttpAnswer;
    try {
      answer = await handle(gzip ? await gunzipBody(raw, this.#maxBodyBytes) : raw, tenant);
    } catch (err) {
      if (isSkeinError(err)) {
        this.refuse(res, err, encoding);
      } else {
        this.logger.error({ err }, `${this.#protocol} request failed`);
        this.metrics.requestRefused(this.name, 'internal_error');
        const message = `internal error: ${(err as Error).message}; the server log has details`;
        this.#answer(res, 500, encoding(GrpcStatus.Internal, message, undefined));
      }
      return;
    }
    this.#answer(res, this.#acceptedStatus, answer);
  }

  /** Last line of defence: a bug while answering must not take the process down. */
  protected readonly onUnexpected = (err: unknown): void => {
    this.logger.error({ err }, `unexpected failure while answering a request (${this.#protocol})`);
  };

  /**
   * Refuses with the error's status and message, counted under its code; a full
   * queue or a shutdown also sends Retry-After.
   */
  protected refuse(res: ServerResponse, err: SkeinError, encoding: ErrorEncoding): void {
    this.metrics.requestRefused(this.name, err.code);
    let retryAfter = err.retryAfterSeconds;
    if (retryAfter === undefined && err instanceof ShuttingDownError) {
      retryAfter = this.#retryAfterSeconds;
    }
    if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
    // The rest of an oversized body is not worth reading: answer and close.
    if (err instanceof BodyTooLargeError) res.setHeader('connection', 'close');
    this.#answer(res, err.statusCode, encoding(err.grpcCode, err.message, retryAfter));
  }

  /** 405 with an Allow header, counted as `method_not_allowed`. */
  protected refuseMethod(
    res: ServerResponse,
    allow: string,
    message: string,
    encoding: ErrorEncoding,
  ): void {
    res.setHeader('allow', allow);
    this.metrics.requestRefused(this.name, 'method_not_allowed');
    this.#answer(res, 405, encoding(GrpcStatus.Unimplemented, message, undefined));
  }

  /** Answers; while stopping, no connection is kept alive for another request. */
  protected send(
    res: ServerResponse,
    statusCode: number,
    type: string,
    body: Buffer | string,
  ): void {
    if (this.#stopping) res.setHeader('connection', 'close');
    res.writeHead(statusCode, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  #answer(res: ServerResponse, statusCode: number, answer: HttpAnswer): void {
    this.send(res, statusCode, answer.type, answer.body);
  }
}
