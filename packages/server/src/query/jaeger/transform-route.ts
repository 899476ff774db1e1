import type { FastifyInstance } from 'fastify';
import {
  BodyTooLargeError,
  InvalidPayloadError,
  isSkeinError,
  UnsupportedMediaTypeError,
} from '../../errors.ts';
import type { Trace } from '../../model/span.ts';
import { decodeOtlpJson } from '../../receivers/otlp/otlp-json-decoder.ts';
import { contentCoding, mediaType, readDecodedBody } from '../../receivers/http-body.ts';
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
 * The body is read up to `maxBodyBytes` (a declared Content-Length over it is refused
 * before reading), decompressed (gzip or deflate, also bounded), and decoded under
 * the heavy-query gate; the answer is refused with 413 past `maxResponseBytes`.
 */
export function registerTransformRoute(app: FastifyInstance, opts: TransformRouteOptions): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (request, payload, done) => {
      const type = mediaType(request.headers['content-type']);
      if (!ACCEPTED_TYPES.has(type)) {
        done(new UnsupportedMediaTypeError([type, ACCEPTED_TEXT]), undefined);
        return;
      }
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
      const answer = await opts.gate.run(async () => {
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch (err) {
          throw new InvalidPayloadError(['OTLP JSON', (err as Error).message], { cause: err });
        }
        const decoded = decodeOtlpJson(json);
        json = undefined;
        const traces = groupByTrace(decoded.spans);
        const errors =
          decoded.rejectedSpans > 0 ? [{ code: 400, msg: decoded.errorMessage }] : null;
        return jaegerTracesAnswer(traces, errors, {
          maxBytes: opts.maxResponseBytes,
          whole: true,
        });
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
