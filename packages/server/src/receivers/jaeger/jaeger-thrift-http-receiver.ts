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
import { declaresTooLarge, gunzipBody, isGzipEncoded, mediaType, readBody } from '../http-body.ts';
import { DEFAULT_STOP_GRACE_MS } from '../receiver.ts';
import type { Receiver, ReceiverAddress } from '../receiver.ts';
import { decodeJaegerThriftBatch } from './jaeger-thrift-decoder.ts';

const TRACES_PATH = '/api/traces';
/** The Content-Types the Jaeger collector accepts for a thrift Batch. */
const THRIFT_TYPES = ['application/x-thrift', 'application/vnd.apache.thrift.binary'];
const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * The Jaeger collector's HTTP endpoint (:14268): `POST /api/traces` with a
 * jaeger.thrift `Batch` in the binary protocol, as jaeger-client's HttpSender
 * and the Jaeger agent send it. Content-Type `application/x-thrift` or
 * `application/vnd.apache.thrift.binary`; `?format=jaeger.thrift` alone also
 * does (some senders set no type). gzip bodies.
 *
 * Answers as the Jaeger collector does: 202 Accepted (the body names spans the
 * decoder rejected, if any); errors as text: 400 unreadable body, 413 over
 * `receivers.maxBodyBytes`, 415 Content-Type or encoding, 429 queue full and
 * 503 shutting down (both with Retry-After), 404 other paths, 405 other methods.
 */
export class JaegerThriftHttpReceiver implements Receiver {
  readonly name = 'jaeger_thrift_http';
  readonly #listener: SkeinConfig['receivers']['jaegerThriftHttp'];
  readonly #maxBodyBytes: number;
  readonly #retryAfterSeconds: number;
  readonly #consumer: SpanConsumer;
  readonly #metrics: IngestMetrics;
  readonly #logger: Logger;
  readonly #server: Server;
  #listening = false;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    this.#listener = config.receivers.jaegerThriftHttp;
    this.#maxBodyBytes = config.receivers.maxBodyBytes;
    this.#retryAfterSeconds = config.pipeline.retryAfterSeconds;
    this.#consumer = consumer;
    this.#metrics = metrics;
    this.#logger = logger.child({ receiver: this.name });
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
        server.on('error', (err) => this.#logger.error({ err }, 'Jaeger thrift HTTP server error'));
        this.#listening = true;
        const { address, port } = server.address() as AddressInfo;
        this.#logger.info({ host: address, port }, 'Jaeger thrift HTTP receiver listening');
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

  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const url = req.url ?? '';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    if (path !== TRACES_PATH) {
      this.#refuse(res, new RouteNotFoundError([req.method ?? '', path]));
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      this.#metrics.requestRefused(this.name, 'method_not_allowed');
      this.#send(res, 405, `use POST ${TRACES_PATH} to send spans`);
      return;
    }
    const media = mediaType(req.headers['content-type']);
    if (!THRIFT_TYPES.includes(media) && !namesJaegerThrift(url, queryAt, media)) {
      const accepted = `${THRIFT_TYPES.join(', ')} (or ?format=jaeger.thrift)`;
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
        (raw) => this.#accept(res, gzip, raw),
        (err: unknown) => {
          // A client that went away gets no answer; an oversized body does.
          if (isSkeinError(err)) this.#refuse(res, err);
        },
      )
      .catch(this.#onUnexpected);
  };

  /** Last line of defence: a bug while answering must not take the process down. */
  readonly #onUnexpected = (err: unknown): void => {
    this.#logger.error({ err }, 'unexpected failure while answering a Jaeger thrift HTTP request');
  };

  async #accept(res: ServerResponse, gzip: boolean, raw: Buffer): Promise<void> {
    let rejected = '';
    try {
      const body = gzip ? await gunzipBody(raw, this.#maxBodyBytes) : raw;
      const result = decodeJaegerThriftBatch(body);
      if (result.rejectedSpans > 0) {
        this.#metrics.invalidSpans(this.name, result.rejectedSpans);
        this.#logger.warn({ rejected: result.rejectedSpans }, result.errorMessage);
        rejected = result.errorMessage;
      }
      this.#consumer.consume(result.spans, body.length, this.name);
    } catch (err) {
      if (isSkeinError(err)) {
        this.#refuse(res, err);
      } else {
        this.#logger.error({ err }, 'failed to handle a Jaeger thrift HTTP request');
        this.#metrics.requestRefused(this.name, 'internal_error');
        this.#send(
          res,
          500,
          `internal error: ${(err as Error).message}; the server log has details`,
        );
      }
      return;
    }
    this.#send(res, 202, rejected);
  }

  #send(res: ServerResponse, statusCode: number, body: string): void {
    // While stopping, no connection is kept alive for another request.
    if (this.#stopping) res.setHeader('connection', 'close');
    res.writeHead(statusCode, {
      'content-type': TEXT_TYPE,
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  #refuse(res: ServerResponse, err: SkeinError): void {
    this.#metrics.requestRefused(this.name, err.code);
    let retryAfter = err.retryAfterSeconds;
    if (retryAfter === undefined && err instanceof ShuttingDownError) {
      retryAfter = this.#retryAfterSeconds;
    }
    if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
    // The rest of an oversized body is not worth reading: answer and close.
    if (err instanceof BodyTooLargeError) res.setHeader('connection', 'close');
    this.#send(res, err.statusCode, err.message);
  }
}

/**
 * `?format=jaeger.thrift` with no Content-Type or a generic one: what older
 * senders use to say "thrift" when they do not set the type.
 */
function namesJaegerThrift(url: string, queryAt: number, media: string): boolean {
  if (queryAt === -1 || (media !== '' && media !== 'application/octet-stream')) return false;
  return new URLSearchParams(url.slice(queryAt + 1)).get('format') === 'jaeger.thrift';
}
