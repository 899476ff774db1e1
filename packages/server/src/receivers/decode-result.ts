import type { Span } from '../model/span.ts';

/**
 * What a protocol decoder returns for one request body.
 *
 * Decoders throw `InvalidPayloadError` when the body as a whole cannot be read
 * (truncated, wrong wire types, not JSON...). A body that reads fine but carries
 * individual spans Skein cannot store (e.g. a trace id of the wrong length) yields
 * the good spans plus a count and a message for the bad ones, which OTLP reports
 * as `partial_success`.
 */
export interface DecodeResult {
  spans: Span[];
  /** Spans present in the payload but not returned in `spans`. */
  rejectedSpans: number;
  /** Why spans were rejected ('' when none were): the first reason, with a count. */
  errorMessage: string;
  /** Of `rejectedSpans`, those rejected for their times (span-times.ts); absent means 0. */
  invalidTimeSpans?: number;
}
