import type { FastifyInstance } from 'fastify';
import {
  BodyTooLargeError,
  InvalidPayloadError,
  isSkeinError,
  UnsupportedMediaTypeError,
} from '../../errors.ts';
import type { Trace } from '../../model/span.ts';
import { decodeOtlpJson } from '../../receivers/otlp/otlp-json-decoder.ts';
import {
  contentCoding,
  declaresTooLarge,
  mediaType,
  readDecodedBody,
} from '../../receivers/http-body.ts';
import type { QueryGate } from '../query-gate.ts';
import { jaegerTracesAnswer } from './jaeger-traces-answer.ts';

export interface TransformRouteOptions {
  /** Largest body, bytes, before and after decompression (query.maxTransformBodyBytes). */
  maxBodyBytes: number;
  /** Largest answer, bytes (query.maxResponseBytes). */
  maxResponseBytes: number;
  gate: QueryGate;
}

/**
 * Media types `/api/transform` takes: JSON, and text/plain because Jaeger UI posts
 * the file's text with fetch's default type. A missing Content-Type is taken too.
 */
const ACCEPTED_TYPES = new Set(['', 'application/json', 'text/plain']);
const ACCEPTED_TEXT = 'application/json (or text/plain, as Jaeger UI sends it)';

/**
 * `POST /api/transform`: an OTLP JSON file → Jaeger UI's trace model (Jaeger's own
 * endpoint for Jaeger UI's "upload OTLP" button).
 *
 * The Content-Type, Content-Encoding and a declared Content-Length are checked first;
 * then the request takes a turn from the heavy-query gate, and only then is the body
 * read (up to `maxBodyBytes`), decompressed (gzip or deflate, also bounded) and
 * decoded; the answer is refused with 413 past `maxResponseBytes`.
 */
export function registerTransformRoute(app: FastifyInstance, opts: TransformRouteOptions): void {
  app.register(async (scope) => {
    // The request takes its turn before its body is read: bodies waiting in the queue
    // would otherwise hold up to maxBodyBytes each. The type, coding and declared size
    // are refused first, without a turn. The turn is given back when the response
    // closes (sent, failed or the client gone).
    scope.addHook('preParsing', async (request, reply, payload) => {
      const type = mediaType(request.headers['content-type']);
      if (!ACCEPTED_TYPES.has(type)) throw new UnsupportedMediaTypeError([type, ACCEPTED_TEXT]);
      contentCoding(request.raw);
      if (declaresTooLarge(request.raw, opts.maxBodyBytes)) {
        throw new BodyTooLargeError([opts.maxBodyBytes, 'query.maxTransformBodyBytes']);
      }
      const release = await opts.gate.enter();
      // A client that left while waiting has already closed its response.
      if (reply.raw.closed || request.raw.destroyed) release();
      else reply.raw.once('close', release);
      return payload;
    });
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, done) => {
      let coding;
      try {
        coding = contentCoding(request.raw);
      } catch (err) {
        done(err as Error, undefined);
        return;
      }
      readDecodedBody(payload, coding, opts.maxBodyBytes).then(
        (body) => done(null, body),
        (err: unknown) => {
          if (isSkeinError(err) && err.code === BodyTooLargeError.code) {
            done(
              new BodyTooLargeError([opts.maxBodyBytes, 'query.maxTransformBodyBytes'], {
                cause: err,
              }),
              undefined,
            );
          } else {
            done(err as Error, undefined);
          }
        },
      );
    });
    scope.post('/api/transform', async (request, reply) => {
      const body = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        throw new InvalidPayloadError(['OTLP JSON', 'the request body is empty']);
      }
      // The turn was taken in preParsing.
      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new InvalidPayloadError(['OTLP JSON', (err as Error).message], { cause: err });
      }
      const decoded = decodeOtlpJson(json);
      json = undefined;
      const traces = groupByTrace(decoded.spans);
      const errors = decoded.rejectedSpans > 0 ? [{ code: 400, msg: decoded.errorMessage }] : null;
      const answer = jaegerTracesAnswer(traces, errors, {
        maxBytes: opts.maxResponseBytes,
        whole: true,
      });
      return reply.type('application/json; charset=utf-8').send(answer);
    });
  });
}

/** Spans → traces in order of first appearance. */
function groupByTrace(spans: Trace['spans']): Trace[] {
  const byId = new Map<string, Trace>();
  for (const span of spans) {
    let trace = byId.get(span.traceId);
    if (trace === undefined) {
      trace = { traceId: span.traceId, spans: [] };
      byId.set(span.traceId, trace);
    }
    trace.spans.push(span);
  }
  return [...byId.values()];
}
