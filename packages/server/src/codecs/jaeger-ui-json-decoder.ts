import { InvalidPayloadError } from '../errors.ts';
import { ValueType, type Attribute, type Resource } from '../model/span.ts';
import type { DecodeResult } from '../receivers/decode-result.ts';
import {
  finishResource,
  JaegerRefType,
  JaegerSpanBuilder,
  newJaegerResource,
  processTag,
} from '../receivers/jaeger/jaeger-span-builder.ts';

/*
 * Jaeger UI JSON, the model Jaeger's query service answers with and Jaeger UI / Skein's
 * UI download as a trace file (query/jaeger/jaeger-json.ts):
 *
 *   { data: [ trace ] }  |  [ trace ]  |  trace
 *   trace    { traceID, spans: [span], processes: { pN: { serviceName, tags: [kv] } } }
 *   span     { traceID, spanID, operationName, references: [{ refType, traceID, spanID }],
 *              startTime µs, duration µs, flags?, tags: [kv], logs: [{ timestamp µs, fields: [kv] }],
 *              processID }
 *   kv       { key, type: string|bool|int64|float64|binary, value }
 *            int64 may be a decimal string (beyond 2^53), binary is base64
 *
 * Mapped back to the span model with the same Jaeger → OTLP rules as the Jaeger
 * receivers (JaegerSpanBuilder): `span.kind`, `otel.status_*`, `error`, `otel.scope.*`,
 * `w3c.tracestate` tags become fields, the first CHILD_OF reference the parent.
 */

class ShapeError extends Error {}

type Json = Record<string, unknown>;

function object(value: unknown, where: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ShapeError(`${where}: expected a JSON object`);
  }
  return value as Json;
}

function array(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ShapeError(`${where}: expected a list`);
  return value;
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new ShapeError(`${where}: expected a string`);
  return value;
}

function number(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ShapeError(`${where}: expected a number`);
  }
  return value;
}

function hexId(value: unknown, digits: number, where: string): string {
  const id = string(value, where);
  if (!/^[0-9a-fA-F]+$/.test(id) || id.length > digits) {
    throw new ShapeError(`${where}: expected up to ${digits} hex digits, got "${id}"`);
  }
  return id.toLowerCase().padStart(digits, '0');
}

function keyValue(value: unknown, where: string): Attribute {
  const kv = object(value, where);
  const key = string(kv.key, `${where}.key`);
  const v = kv.value;
  switch (kv.type ?? 'string') {
    case 'string':
      return { key, type: ValueType.String, value: typeof v === 'string' ? v : String(v) };
    case 'bool':
      return { key, type: ValueType.Bool, value: v === true || v === 'true' };
    case 'int64': {
      if (typeof v === 'number' && Number.isInteger(v))
        return { key, type: ValueType.Int, value: v };
      if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) {
        const big = BigInt(v);
        const safe =
          big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER);
        return { key, type: ValueType.Int, value: safe ? Number(big) : big };
      }
      throw new ShapeError(`${where}.value: expected an integer for type int64`);
    }
    case 'float64':
      return { key, type: ValueType.Double, value: typeof v === 'number' ? v : Number(v) };
    case 'binary':
      return {
        key,
        type: ValueType.Bytes,
        value: new Uint8Array(Buffer.from(string(v, `${where}.value`), 'base64')),
      };
    default:
      throw new ShapeError(`${where}.type: expected string, bool, int64, float64 or binary`);
  }
}

/** The traces of a body in any of the three accepted shapes. */
function tracesOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const o = object(body, 'body');
  if (Array.isArray(o.data)) return o.data;
  if (o.spans !== undefined) return [o];
  throw new ShapeError(
    'body: expected {"data": [traces]}, a list of traces or one trace with "spans"',
  );
}

/**
 * Decodes a parsed Jaeger UI JSON document into spans; each trace's processes become
 * shared resources.
 * @throws InvalidPayloadError naming the path of the first value of the wrong shape.
 */
export function decodeJaegerUiJson(body: unknown): DecodeResult {
  try {
    const builder = new JaegerSpanBuilder();
    tracesOf(body).forEach((t, ti) => {
      const at = `data[${ti}]`;
      const trace = object(t, at);
      const resources = new Map<string, Resource>();
      const processes =
        trace.processes === undefined ? {} : object(trace.processes, `${at}.processes`);
      for (const [id, p] of Object.entries(processes)) {
        const process = object(p, `${at}.processes.${id}`);
        const resource = newJaegerResource();
        array(process.tags, `${at}.processes.${id}.tags`).forEach((tag, i) =>
          processTag(resource, keyValue(tag, `${at}.processes.${id}.tags[${i}]`)),
        );
        finishResource(
          resource,
          typeof process.serviceName === 'string' ? process.serviceName : '',
        );
        resources.set(id, resource);
      }
      array(trace.spans, `${at}.spans`).forEach((s, si) => {
        const where = `${at}.spans[${si}]`;
        const raw = object(s, where);
        const processId = typeof raw.processID === 'string' ? raw.processID : '';
        let resource = resources.get(processId);
        if (resource === undefined) {
          resource = newJaegerResource();
          resources.set(processId, resource);
        }
        const span = builder.begin(resource);
        span.traceId = hexId(raw.traceID ?? trace.traceID, 32, `${where}.traceID`);
        span.spanId = hexId(raw.spanID, 16, `${where}.spanID`);
        span.name = typeof raw.operationName === 'string' ? raw.operationName : '';
        span.startTime = number(raw.startTime, `${where}.startTime`);
        span.duration = number(raw.duration ?? 0, `${where}.duration`);
        span.flags = typeof raw.flags === 'number' ? raw.flags : 0;
        array(raw.tags, `${where}.tags`).forEach((tag, i) =>
          builder.tag(keyValue(tag, `${where}.tags[${i}]`)),
        );
        array(raw.references, `${where}.references`).forEach((r, i) => {
          const ref = object(r, `${where}.references[${i}]`);
          builder.reference(
            ref.refType === 'FOLLOWS_FROM' ? JaegerRefType.FollowsFrom : JaegerRefType.ChildOf,
            hexId(ref.traceID, 32, `${where}.references[${i}].traceID`),
            hexId(ref.spanID, 16, `${where}.references[${i}].spanID`),
          );
        });
        array(raw.logs, `${where}.logs`).forEach((l, i) => {
          const log = object(l, `${where}.logs[${i}]`);
          const event = builder.log(number(log.timestamp, `${where}.logs[${i}].timestamp`));
          array(log.fields, `${where}.logs[${i}].fields`).forEach((f, j) =>
            builder.logField(event, keyValue(f, `${where}.logs[${i}].fields[${j}]`)),
          );
        });
        builder.finish();
      });
    });
    return builder.result();
  } catch (err) {
    if (err instanceof ShapeError) throw new InvalidPayloadError(['Jaeger UI JSON', err.message]);
    throw err;
  }
}
