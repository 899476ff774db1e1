import type { AnyValue } from '../../model/span.ts';
import { ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import {
  ShapeError,
  asArray,
  asInvalidPayload,
  asObject,
  atPath,
  boolField,
  numberField,
  stringField,
} from './json-fields.ts';
import type { JsonObject } from './json-fields.ts';
import { ZipkinSpanBuilder } from './zipkin-span-builder.ts';
import { addV1Span } from './zipkin-v1-span.ts';
import type { V1Annotation, V1BinaryAnnotation, V1Endpoint, V1Span } from './zipkin-v1-span.ts';

const FORMAT = 'Zipkin JSON v1';

/*
 * Zipkin v1 JSON (`POST /api/v1/spans`, application/json): an array of
 *   { traceId, id, parentId?, name, timestamp?, duration?, debug?,
 *     annotations?: [{ timestamp, value, endpoint? }],
 *     binaryAnnotations?: [{ key, value, type?, endpoint? }] }
 * with endpoint = { serviceName, ipv4?, ipv6?, port? } and type one of BOOL,
 * BYTES (base64), I16, I32, I64, DOUBLE, STRING (absent: from the JSON type).
 */

/**
 * Decodes a parsed Zipkin v1 JSON body.
 * @throws InvalidPayloadError when a value has the wrong JSON type (the message names it).
 */
export function decodeZipkinJsonV1(
  body: unknown,
  limits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const b = new ZipkinSpanBuilder(limits);
  try {
    const list = asArray(body);
    for (let i = 0; i < list.length; i++) {
      try {
        addV1Span(b, readSpan(asObject(list[i])));
      } catch (err) {
        throw atPath(err, `spans[${i}]`);
      }
    }
  } catch (err) {
    throw asInvalidPayload(err, FORMAT);
  }
  return b.result();
}

function readSpan(s: JsonObject): V1Span {
  const annotations: V1Annotation[] = [];
  const binaryAnnotations: V1BinaryAnnotation[] = [];
  const a = objects(s, 'annotations');
  for (let j = 0; j < a.length; j++) {
    try {
      annotations.push({
        timestamp: numberField(a[j], 'timestamp'),
        value: stringField(a[j], 'value'),
        endpoint: endpoint(a[j].endpoint),
      });
    } catch (err) {
      throw atPath(err, `annotations[${j}]`);
    }
  }
  const ba = objects(s, 'binaryAnnotations');
  for (let j = 0; j < ba.length; j++) {
    try {
      binaryAnnotations.push({
        key: stringField(ba[j], 'key'),
        value: binaryValue(ba[j]),
        endpoint: endpoint(ba[j].endpoint),
      });
    } catch (err) {
      throw atPath(err, `binaryAnnotations[${j}]`);
    }
  }
  return {
    traceId: stringField(s, 'traceId'),
    id: stringField(s, 'id'),
    parentId: stringField(s, 'parentId'),
    name: stringField(s, 'name'),
    timestamp: numberField(s, 'timestamp'),
    duration: numberField(s, 'duration'),
    debug: boolField(s, 'debug'),
    annotations,
    binaryAnnotations,
  };
}

/** The elements of array field `key`, each an object ([] when the field is absent). */
function objects(s: JsonObject, key: string): JsonObject[] {
  const v = s[key];
  if (v === undefined || v === null) return [];
  try {
    const list = asArray(v);
    const out: JsonObject[] = new Array(list.length);
    for (let j = 0; j < list.length; j++) {
      try {
        out[j] = asObject(list[j]);
      } catch (err) {
        throw atPath(err, `[${j}]`);
      }
    }
    return out;
  } catch (err) {
    throw atPath(err, key);
  }
}

function endpoint(value: unknown): V1Endpoint | null {
  if (value === undefined || value === null) return null;
  try {
    const e = asObject(value);
    const ipv4 = stringField(e, 'ipv4');
    return {
      serviceName: stringField(e, 'serviceName'),
      ip: ipv4 !== '' ? ipv4 : stringField(e, 'ipv6'),
      port: numberField(e, 'port'),
    };
  } catch (err) {
    throw atPath(err, 'endpoint');
  }
}

function binaryValue(o: JsonObject): AnyValue {
  const type = stringField(o, 'type');
  const v = o.value;
  const bad = () =>
    new ShapeError('value', `${JSON.stringify(v)} is not a valid ${type || 'value'}`);
  switch (type) {
    case 'BOOL':
      if (typeof v === 'boolean') return { type: ValueType.Bool, value: v };
      if (v === 'true' || v === 'false') return { type: ValueType.Bool, value: v === 'true' };
      throw bad();
    case 'I16':
    case 'I32':
    case 'I64': {
      if (typeof v === 'number' && Number.isInteger(v)) return { type: ValueType.Int, value: v };
      if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) {
        const n = Number(v);
        return { type: ValueType.Int, value: Number.isSafeInteger(n) ? n : BigInt(v) };
      }
      throw bad();
    }
    case 'DOUBLE': {
      const n = typeof v === 'string' ? Number(v) : v;
      if (typeof n === 'number' && !Number.isNaN(n)) return { type: ValueType.Double, value: n };
      throw bad();
    }
    case 'BYTES':
      if (typeof v === 'string') {
        return { type: ValueType.Bytes, value: Uint8Array.from(Buffer.from(v, 'base64')) };
      }
      throw bad();
    case 'STRING':
    case '':
      if (typeof v === 'string') return { type: ValueType.String, value: v };
      if (type === 'STRING') throw bad();
      if (typeof v === 'boolean') return { type: ValueType.Bool, value: v };
      if (typeof v === 'number') {
        return Number.isInteger(v)
          ? { type: ValueType.Int, value: v }
          : { type: ValueType.Double, value: v };
      }
      throw bad();
    default:
      throw new ShapeError(
        'type',
        `"${type}" is not one of BOOL, BYTES, I16, I32, I64, DOUBLE, STRING`,
      );
  }
}
