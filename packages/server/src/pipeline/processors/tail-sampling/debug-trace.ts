import type { Span } from '../../../model/span.ts';

/** The tag Jaeger clients put on a span started with a `jaeger-debug-id` header. */
export const JAEGER_DEBUG_ID = 'jaeger-debug-id';

/**
 * Jaeger's debug flag, and Zipkin's `debug` as the Zipkin receivers store it
 * (`ZIPKIN_DEBUG_FLAG`): bit 0x2 of the span's flags.
 */
const DEBUG_FLAG = 0x2;

/**
 * Whether a span is marked for debugging, which forces its trace to be kept:
 * - it carries the `jaeger-debug-id` attribute, or
 * - flag 0x2 is set and the span has no instrumentation scope.
 *
 * Why the scope: in OTLP, 0x2 in the flags' low byte is the W3C Trace Context level 2
 * *random* flag, which OpenTelemetry SDKs set more and more (the spec says they
 * should), not a debug mark. OTLP spans always come with their tracer's scope name;
 * Jaeger and Zipkin clients have no scopes (only spans an OpenTelemetry SDK exported
 * over those protocols do, via `otel.scope.name`, and those flags are W3C flags too).
 * An OTLP span from a tracer with an empty name and the random flag would be taken for
 * debug; that is the price of the model keeping one flags field for all protocols.
 */
export function isDebugSpan(span: Span): boolean {
  if ((span.flags & DEBUG_FLAG) !== 0 && span.scope.name === '') return true;
  const attributes = span.attributes;
  for (let i = 0; i < attributes.length; i++) {
    if (attributes[i].key === JAEGER_DEBUG_ID) return true;
  }
  return false;
}

/** Whether any span of the trace is marked for debugging (see `isDebugSpan`). */
export function isDebugTrace(spans: readonly Span[]): boolean {
  for (let i = 0; i < spans.length; i++) if (isDebugSpan(spans[i])) return true;
  return false;
}
