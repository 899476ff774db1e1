import { AnswerTooLargeError } from '../../errors.ts';
import type { Trace } from '../../model/span.ts';
import { encodeJaegerTrace } from './encode-jaeger-trace.ts';
import type { JaegerError } from './jaeger-json.ts';

/** What a traces answer is limited to, and how it reports what did not fit. */
export interface TracesAnswerLimits {
  /** Largest answer body, bytes (query.maxResponseBytes). */
  maxBytes: number;
  /**
   * true: the answer is one asked-for trace (or an upload), and a body over
   * `maxBytes` is refused with AnswerTooLargeError. false: a search, and the traces
   * that do not fit are left out and counted in `errors`.
   */
  whole: boolean;
  /** Matching traces the reader already left out (its read budget ran out). */
  leftOutByReader?: boolean;
}

/**
 * The Jaeger envelope of `traces` as JSON text, encoded one trace at a time so the
 * size is known exactly before the body is assembled, and each trace's objects can
 * be collected once encoded (`traces` entries are cleared as they are encoded: the
 * caller hands the array over).
 *
 * @throws AnswerTooLargeError when `limits.whole` and the body would pass `maxBytes`.
 */
export function jaegerTracesAnswer(
  traces: (Trace | null)[],
  errors: JaegerError[] | null,
  limits: TracesAnswerLimits,
): string {
  const parts: string[] = [];
  // The envelope's own bytes, with room for an error entry added below.
  let bytes = 200 + (errors === null ? 0 : JSON.stringify(errors).length);
  let leftOut = 0;
  for (let i = 0; i < traces.length; i++) {
    const trace = traces[i]!;
    traces[i] = null;
    if (leftOut > 0) {
      leftOut++;
      continue;
    }
    const json = JSON.stringify(encodeJaegerTrace(trace));
    const size = Buffer.byteLength(json) + 1;
    if (bytes + size > limits.maxBytes) {
      if (limits.whole) {
        const what = traces.length === 1 ? `trace ${trace.traceId}` : 'the transformed traces';
        throw new AnswerTooLargeError([what, limits.maxBytes]);
      }
      leftOut++;
      continue;
    }
    bytes += size;
    parts.push(json);
  }
  let allErrors = errors;
  if (leftOut > 0 || limits.leftOutByReader === true) {
    const msg =
      leftOut > 0
        ? `${leftOut} of ${traces.length} matching traces left out: the answer would pass ${limits.maxBytes} bytes (query.maxResponseBytes); narrow the search or lower its limit`
        : `more matching traces were left out: reading them would pass ${limits.maxBytes} bytes (query.maxResponseBytes); narrow the search or lower its limit`;
    allErrors = [...(errors ?? []), { code: 413, msg }];
  }
  return (
    `{"data":[${parts.join(',')}],"total":${parts.length},"limit":0,"offset":0,"errors":` +
    `${JSON.stringify(allErrors)}}`
  );
}
