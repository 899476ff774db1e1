import type { DecodeResult } from '../decode-result.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import {
  asArray,
  asInvalidPayload,
  asObject,
  atPath,
  boolField,
  numberField,
  stringField,
  tagValue,
} from './json-fields.ts';
import type { JsonObject } from './json-fields.ts';
import { ZipkinSpanBuilder, kindFromZipkin } from './zipkin-span-builder.ts';

const FORMAT = 'Zipkin JSON v2';

/*
 * Zipkin v2 JSON (`POST /api/v2/spans`, application/json): an array of
 *   { traceId, parentId?, id, kind?, name?, timestamp? (µs), duration? (µs),
 *     debug?, shared?, localEndpoint?, remoteEndpoint?,
 *     annotations?: [{ timestamp, value }], tags?: { key: value } }
 * with Endpoint = { serviceName?, ipv4?, ipv6?, port? }.
 */

/**
 * Decodes a parsed Zipkin v2 JSON body.
 * @throws InvalidPayloadError when a value has the wrong JSON type (the message names it).
 */
export function decodeZipkinJsonV2(
  body: unknown,
  limits: SpanLimits = DEFAULT_SPAN_LIMITS,
): DecodeResult {
  const b = new ZipkinSpanBuilder(limits);
  try {
    const list = asArray(body);
    for (let i = 0; i < list.length; i++) {
      try {
        decodeSpan(asObject(list[i]), b);
      } catch (err) {
        throw atPath(err, `spans[${i}]`);
      }
    }
  } catch (err) {
    throw asInvalidPayload(err, FORMAT);
  }
  return b.result();
}

function decodeSpan(s: JsonObject, b: ZipkinSpanBuilder): void {
  b.begin();
  b.traceId = stringField(s, 'traceId');
  b.spanId = stringField(s, 'id');
  b.parentId = stringField(s, 'parentId');
  b.name = stringField(s, 'name');
  b.kind = kindFromZipkin(stringField(s, 'kind'));
  b.timestamp = numberField(s, 'timestamp');
  b.duration = numberField(s, 'duration');
  b.debug = boolField(s, 'debug');
  b.shared = boolField(s, 'shared');
  const local = s.localEndpoint;
  if (local !== undefined && local !== null) {
    try {
      const e = asObject(local);
      b.localService = stringField(e, 'serviceName');
      b.localIp(endpointIp(e));
      b.localPort(numberField(e, 'port'));
    } catch (err) {
      throw atPath(err, 'localEndpoint');
    }
  }
  const remote = s.remoteEndpoint;
  if (remote !== undefined && remote !== null) {
    try {
      const e = asObject(remote);
      b.remoteService(stringField(e, 'serviceName'));
      b.remoteIp(endpointIp(e));
      b.remotePort(numberField(e, 'port'));
    } catch (err) {
      throw atPath(err, 'remoteEndpoint');
    }
  }
  const annotations = s.annotations;
  if (annotations !== undefined && annotations !== null) {
    try {
      const a = asArray(annotations);
      for (let j = 0; j < a.length; j++) {
        try {
          const o = asObject(a[j]);
          b.annotation(numberField(o, 'timestamp'), stringField(o, 'value'));
        } catch (err) {
          throw atPath(err, `[${j}]`);
        }
      }
    } catch (err) {
      throw atPath(err, 'annotations');
    }
  }
  const tags = s.tags;
  if (tags !== undefined && tags !== null) {
    try {
      const t = asObject(tags);
      for (const key in t) b.tag(key, tagValue(t[key], key));
    } catch (err) {
      throw atPath(err, 'tags');
    }
  }
  b.finish();
}

/** The endpoint's address: ipv4 when set, else ipv6. */
function endpointIp(e: JsonObject): string {
  const v4 = stringField(e, 'ipv4');
  return v4 !== '' ? v4 : stringField(e, 'ipv6');
}
