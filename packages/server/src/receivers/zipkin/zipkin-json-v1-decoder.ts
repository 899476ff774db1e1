import type { AnyValue } from '../../model/span.ts';
import { ValueType } from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import {
  asArray,
  asObject,
  boolField,
  numberField,
  shapeError,
  stringField,
} from './json-fields.ts';
import { ZipkinSpanBuilder } from './zipkin-span-builder.ts';
import { addV1Span } from './zipkin-v1-span.ts';
import type { V1Annotation, V1BinaryAnnotation, V1Endpoint } from './zipkin-v1-span.ts';

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
export function decodeZipkinJsonV1(body: unknown): DecodeResult {
  const list = asArray(body, FORMAT, 'request body (a list of spans)');
  const b = new ZipkinSpanBuilder();
  for (let i = 0; i < list.length; i++) {
    const where = `spans[${i}]`;
    const s = asObject(list[i], FORMAT, where);
    const annotations: V1Annotation[] = [];
    const binaryAnnotations: V1BinaryAnnotation[] = [];
    if (s.annotations !== undefined && s.annotations !== null) {
      const a = asArray(s.annotations, FORMAT, `${where}.annotations`);
      for (let j = 0; j < a.length; j++) {
        const at = `${where}.annotations[${j}]`;
        const o = asObject(a[j], FORMAT, at);
        annotations.push({
          timestamp: numberField(o, 'timestamp', FORMAT, at),
          value: stringField(o, 'value', FORMAT, at),
          endpoint: endpoint(o.endpoint, `${at}.endpoint`),
        });
      }
    }
    if (s.binaryAnnotations !== undefined && s.binaryAnnotations !== null) {
      const a = asArray(s.binaryAnnotations, FORMAT, `${where}.binaryAnnotations`);
      for (let j = 0; j < a.length; j++) {
        const at = `${where}.binaryAnnotations[${j}]`;
        const o = asObject(a[j], FORMAT, at);
        binaryAnnotations.push({
          key: stringField(o, 'key', FORMAT, at),
          value: binaryValue(o, at),
          endpoint: endpoint(o.endpoint, `${at}.endpoint`),
        });
      }
    }
    addV1Span(b, {
      traceId: stringField(s, 'traceId', FORMAT, where),
      id: stringField(s, 'id', FORMAT, where),
      parentId: stringField(s, 'parentId', FORMAT, where),
      name: stringField(s, 'name', FORMAT, where),
      timestamp: numberField(s, 'timestamp', FORMAT, where),
      duration: numberField(s, 'duration', FORMAT, where),
      debug: boolField(s, 'debug', FORMAT, where),
      annotations,
      binaryAnnotations,
    });
  }
  return b.result();
}

function endpoint(value: unknown, where: string): V1Endpoint | null {
  if (value === undefined || value === null) return null;
  const e = asObject(value, FORMAT, where);
  const ipv4 = stringField(e, 'ipv4', FORMAT, where);
  return {
    serviceName: stringField(e, 'serviceName', FORMAT, where),
    ip: ipv4 !== '' ? ipv4 : stringField(e, 'ipv6', FORMAT, where),
    port: numberField(e, 'port', FORMAT, where),
  };
}

function binaryValue(o: Record<string, unknown>, where: string): AnyValue {
  const type = stringField(o, 'type', FORMAT, where);
  const v = o.value;
  const bad = () =>
    shapeError(FORMAT, `${where}.value`, `${JSON.stringify(v)} is not a valid ${type || 'value'}`);
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
      throw shapeError(
        FORMAT,
        `${where}.type`,
        `"${type}" is not one of BOOL, BYTES, I16, I32, I64, DOUBLE, STRING`,
      );
  }
}
