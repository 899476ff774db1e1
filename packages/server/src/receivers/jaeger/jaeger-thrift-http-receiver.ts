import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { SkeinConfig } from '../../config/config.ts';
import { RouteNotFoundError, UnsupportedMediaTypeError } from '../../errors.ts';
import type { IngestMetrics } from '../../pipeline/ingest-metrics.ts';
import type { SpanConsumer } from '../../pipeline/span-consumer.ts';
import { mediaType } from '../http-body.ts';
import { HttpReceiverServer, TEXT_PLAIN, plainTextError } from '../http-receiver-server.ts';
import { countRejectedSpans } from '../rejected-spans.ts';
import type { HttpAnswer } from '../http-receiver-server.ts';
import { decodeJaegerThriftBatch } from './jaeger-thrift-decoder.ts';
import { handOver } from '../hand-over.ts';

const TRACES_PATH = '/api/traces';
/** The Content-Types the Jaeger collector accepts for a thrift Batch. */
const THRIFT_TYPES = ['application/x-thrift', 'application/vnd.apache.thrift.binary'];
const ACCEPTED: HttpAnswer = { type: TEXT_PLAIN, body: '' };

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
export class JaegerThriftHttpReceiver extends HttpReceiverServer {
  readonly #consumer: SpanConsumer;

  constructor(config: SkeinConfig, consumer: SpanConsumer, metrics: IngestMetrics, logger: Logger) {
    super({
      name: 'jaeger_thrift_http',
      protocol: 'Jaeger thrift HTTP',
      listener: config.receivers.jaegerThriftHttp,
      acceptedStatus: 202,
      config,
      metrics,
      logger,
      routes: [`POST ${TRACES_PATH}`],
    });
    this.#consumer = consumer;
  }

  protected route(req: IncomingMessage, res: ServerResponse, path: string, query: string): void {
    const media = mediaType(req.headers['content-type']);
    if (path !== TRACES_PATH) {
      this.refuse(res, new RouteNotFoundError([req.method ?? '', path]), plainTextError);
    } else if (req.method !== 'POST') {
      this.refuseMethod(res, 'POST', `use POST ${TRACES_PATH} to send spans`, plainTextError);
    } else if (!THRIFT_TYPES.includes(media) && !namesJaegerThrift(query, media)) {
      const accepted = `${THRIFT_TYPES.join(', ')} (or ?format=jaeger.thrift)`;
      this.refuse(res, new UnsupportedMediaTypeError([media, accepted]), plainTextError);
    } else {
      this.receive(req, res, plainTextError, this.#accept);
    }
  }

  /** Not async: the decoded spans must not stay reachable while the intake syncs (hand-over.ts). */
  readonly #accept = (body: Buffer, tenant: string): Promise<HttpAnswer> => {
    const result = decodeJaegerThriftBatch(body, this.spanLimits);
    if (result.rejectedSpans > 0) {
      countRejectedSpans(this.metrics, this.name, result);
      this.logger.warn({ rejected: result.rejectedSpans }, result.errorMessage);
    }
    // The body names the spans the decoder rejected, if any.
    const answer: HttpAnswer =
      result.rejectedSpans === 0 ? ACCEPTED : { type: TEXT_PLAIN, body: result.errorMessage };
    return handOver(this.#consumer, result.spans, body.length, this.name, tenant, answer);
  };
}

/**
 * `?format=jaeger.thrift` with no Content-Type or a generic one: what older
 * senders use to say "thrift" when they do not set the type.
 */
function namesJaegerThrift(query: string, media: string): boolean {
  if (query === '' || (media !== '' && media !== 'application/octet-stream')) return false;
  return new URLSearchParams(query).get('format') === 'jaeger.thrift';
}
