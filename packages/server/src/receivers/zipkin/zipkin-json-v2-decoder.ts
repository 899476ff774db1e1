import type { DecodeResult } from '../decode-result.ts';
import { asArray, asObject, boolField, numberField, stringField, tagValue } from './json-fields.ts';
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
export function decodeZipkinJsonV2(body: unknown): DecodeResult {
  const list = asArray(body, FORMAT, 'request body (a list of spans)');
  const b = new ZipkinSpanBuilder();
  for (let i = 0; i < list.length; i++) {
    const where = `spans[${i}]`;
    const s = asObject(list[i], FORMAT, where);
    b.begin();
    b.traceId = stringField(s, 'traceId', FORMAT, where);
    b.spanId = stringField(s, 'id', FORMAT, where);
    b.parentId = stringField(s, 'parentId', FORMAT, where);
    b.name = stringField(s, 'name', FORMAT, where);
    b.kind = kindFromZipkin(stringField(s, 'kind', FORMAT, where));
    b.timestamp = numberField(s, 'timestamp', FORMAT, where);
    b.duration = numberField(s, 'duration', FORMAT, where);
    b.debug = boolField(s, 'debug', FORMAT, where);
    b.shared = boolField(s, 'shared', FORMAT, where);
    const local = s.localEndpoint;
    if (local !== undefined && local !== null) {
      const e = asObject(local, FORMAT, `${where}.localEndpoint`);
      const at = `${where}.localEndpoint`;
      b.localService = stringField(e, 'serviceName', FORMAT, at);
      b.localIp(endpointIp(e, at));
      b.localPort(numberField(e, 'port', FORMAT, at));
    }
    const remote = s.remoteEndpoint;
    if (remote !== undefined && remote !== null) {
      const at = `${where}.remoteEndpoint`;
      const e = asObject(remote, FORMAT, at);
      b.remoteService(stringField(e, 'serviceName', FORMAT, at));
      b.remoteIp(endpointIp(e, at));
      b.remotePort(numberField(e, 'port', FORMAT, at));
    }
    const annotations = s.annotations;
    if (annotations !== undefined && annotations !== null) {
      const a = asArray(annotations, FORMAT, `${where}.annotations`);
      for (let j = 0; j < a.length; j++) {
        const at = `${where}.annotations[${j}]`;
        const o = asObject(a[j], FORMAT, at);
        b.annotation(numberField(o, 'timestamp', FORMAT, at), stringField(o, 'value', FORMAT, at));
      }
    }
    const tags = s.tags;
    if (tags !== undefined && tags !== null) {
      const t = asObject(tags, FORMAT, `${where}.tags`);
      for (const key in t) b.tag(key, tagValue(t[key], FORMAT, `${where}.tags.${key}`));
    }
    b.finish();
  }
  return b.result();
}

/** The endpoint's address: ipv4 when set, else ipv6. */
function endpointIp(e: JsonObject, where: string): string {
  const v4 = stringField(e, 'ipv4', FORMAT, where);
  return v4 !== '' ? v4 : stringField(e, 'ipv6', FORMAT, where);
}
