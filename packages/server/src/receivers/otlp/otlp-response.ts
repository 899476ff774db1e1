/*
 * Hand-written encoders for the few small messages the OTLP receivers send back.
 *
 * ExportTraceServiceResponse (opentelemetry.proto.collector.trace.v1)
 *   1 partial_success  ExportTracePartialSuccess (omitted when nothing was rejected)
 * ExportTracePartialSuccess
 *   1 rejected_spans   int64
 *   2 error_message    string
 * google.rpc.Status
 *   1 code             int32 (a gRPC status code)
 *   2 message          string
 *   3 details          repeated google.protobuf.Any {1 type_url string, 2 value bytes}
 * google.rpc.RetryInfo
 *   1 retry_delay      google.protobuf.Duration {1 seconds int64, 2 nanos int32}
 */

const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';
const EMPTY = Buffer.alloc(0);

/** Base-128 varint bytes of a non-negative integer (exact up to 2^53). */
function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** A varint field (wire type 0). */
function varintField(field: number, value: number): Buffer {
  return Buffer.from([...varint(field << 3), ...varint(value)]);
}

/** A length-delimited field (wire type 2). */
function delimited(field: number, value: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from([...varint((field << 3) | 2), ...varint(value.length)]),
    value,
  ]);
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Protobuf ExportTraceServiceResponse; empty (all defaults) when nothing was rejected. */
export function encodeExportTraceResponseProto(
  rejectedSpans: number,
  errorMessage: string,
): Buffer {
  if (rejectedSpans === 0 && errorMessage === '') return EMPTY;
  const partial: Buffer[] = [];
  if (rejectedSpans !== 0) partial.push(varintField(1, rejectedSpans));
  if (errorMessage !== '') partial.push(delimited(2, utf8(errorMessage)));
  return delimited(1, Buffer.concat(partial));
}

/** OTLP/JSON ExportTraceServiceResponse (int64 as a decimal string, per the proto3 JSON mapping). */
export function encodeExportTraceResponseJson(rejectedSpans: number, errorMessage: string): string {
  if (rejectedSpans === 0 && errorMessage === '') return '{}';
  return JSON.stringify({
    partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage },
  });
}

/** google.rpc.RetryInfo telling the client to wait `seconds`. */
export function encodeRetryInfoProto(seconds: number): Buffer {
  const duration = seconds > 0 ? varintField(1, seconds) : EMPTY;
  return delimited(1, duration);
}

/** Protobuf google.rpc.Status; with `retryAfterSeconds`, one RetryInfo detail. */
export function encodeRpcStatusProto(
  code: number,
  statusMessage: string,
  retryAfterSeconds?: number,
): Buffer {
  const fields: Buffer[] = [];
  if (code !== 0) fields.push(varintField(1, code));
  if (statusMessage !== '') fields.push(delimited(2, utf8(statusMessage)));
  if (retryAfterSeconds !== undefined) {
    const any = Buffer.concat([
      delimited(1, utf8(RETRY_INFO_TYPE_URL)),
      delimited(2, encodeRetryInfoProto(retryAfterSeconds)),
    ]);
    fields.push(delimited(3, any));
  }
  return Buffer.concat(fields);
}

/** google.rpc.Status in the proto3 JSON mapping; with `retryAfterSeconds`, one RetryInfo detail. */
export function encodeRpcStatusJson(
  code: number,
  statusMessage: string,
  retryAfterSeconds?: number,
): string {
  if (retryAfterSeconds === undefined) return JSON.stringify({ code, message: statusMessage });
  return JSON.stringify({
    code,
    message: statusMessage,
    details: [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${retryAfterSeconds}s` }],
  });
}
