import type { KeyValue, RawSpan, RawTrace, SpanEvent, SpanLink, StatusCode } from './raw-trace.ts';

/** OTLP JSON `AnyValue`; only one field is set. */
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}

interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpKeyValue[];
  events?: { timeUnixNano?: string | number; name?: string; attributes?: OtlpKeyValue[] }[];
  links?: { traceId: string; spanId: string; attributes?: OtlpKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}

/** OTLP JSON `TracesData` / `ExportTraceServiceRequest`. */
export interface OtlpTracesData {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }[];
  }[];
}

const KINDS = ['', 'internal', 'server', 'client', 'producer', 'consumer'];

function plainValue(v: OtlpAnyValue | undefined): unknown {
  if (v === undefined || v === null) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue;
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map(plainValue);
  if (v.kvlistValue !== undefined) {
    const o: Record<string, unknown> = {};
    for (const kv of v.kvlistValue.values ?? []) o[kv.key] = plainValue(kv.value);
    return o;
  }
  return null;
}

function toKeyValue(kv: OtlpKeyValue): KeyValue {
  const v = kv.value ?? {};
  if (v.stringValue !== undefined) return { key: kv.key, type: 'string', value: v.stringValue };
  if (v.boolValue !== undefined) return { key: kv.key, type: 'bool', value: v.boolValue };
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    // Beyond 2^53 a double would change the number; keep its digits.
    return { key: kv.key, type: 'int64', value: Number.isSafeInteger(n) ? n : String(v.intValue) };
  }
  if (v.doubleValue !== undefined)
    return { key: kv.key, type: 'float64', value: Number(v.doubleValue) };
  if (v.bytesValue !== undefined) return { key: kv.key, type: 'binary', value: v.bytesValue };
  return { key: kv.key, type: 'string', value: JSON.stringify(plainValue(v)) };
}

function toKeyValues(kvs: OtlpKeyValue[] | undefined): KeyValue[] {
  return kvs ? kvs.map(toKeyValue) : [];
}

/** ns (decimal string or number) → µs; a string keeps the digits a double would lose. */
export function nanosToMicros(ns: string | number | undefined): number {
  if (ns === undefined) return 0;
  if (typeof ns === 'number') return Math.floor(ns / 1000);
  return ns.length > 3 ? Number(ns.slice(0, -3)) : 0;
}

const HEX = /^[0-9a-fA-F]*$/;

/** OTLP JSON ids are hex; proto3 JSON writers send base64. Accept both, answer lower-case hex. */
export function normalizeId(id: string | undefined): string {
  if (!id) return '';
  if (HEX.test(id) && (id.length === 16 || id.length === 32)) return id.toLowerCase();
  if (!HEX.test(id)) {
    try {
      const bin = atob(id);
      let hex = '';
      for (let i = 0; i < bin.length; i++) hex += bin.charCodeAt(i).toString(16).padStart(2, '0');
      return hex;
    } catch {
      return id;
    }
  }
  return id.toLowerCase();
}

function kindName(kind: number | string | undefined): string {
  if (typeof kind === 'number') return KINDS[kind] ?? '';
  if (typeof kind === 'string')
    return kind
      .replace(/^SPAN_KIND_/, '')
      .toLowerCase()
      .replace('unspecified', '');
  return '';
}

function statusCode(code: number | string | undefined): StatusCode {
  if (code === 2 || code === 'STATUS_CODE_ERROR') return 'ERROR';
  if (code === 1 || code === 'STATUS_CODE_OK') return 'OK';
  return 'UNSET';
}

/** Converts OTLP JSON into traces, grouped by trace id in order of first appearance. */
export function fromOtlpJson(data: OtlpTracesData): RawTrace[] {
  const traces = new Map<string, RawSpan[]>();
  let resourceNo = 0;
  for (const rs of data.resourceSpans ?? []) {
    resourceNo++;
    const resourceTags = toKeyValues(rs.resource?.attributes);
    const serviceTag = resourceTags.find((t) => t.key === 'service.name');
    const service = serviceTag ? String(serviceTag.value) : 'unknown_service';
    const process = resourceTags.filter((t) => t !== serviceTag);
    const processKey = `r${resourceNo}`;
    for (const ss of rs.scopeSpans ?? []) {
      const scopeTags: KeyValue[] = [];
      if (ss.scope?.name)
        scopeTags.push({ key: 'otel.scope.name', type: 'string', value: ss.scope.name });
      if (ss.scope?.version)
        scopeTags.push({ key: 'otel.scope.version', type: 'string', value: ss.scope.version });
      for (const s of ss.spans ?? []) {
        const traceId = normalizeId(s.traceId);
        const start = nanosToMicros(s.startTimeUnixNano);
        const end = nanosToMicros(s.endTimeUnixNano);
        const status = statusCode(s.status?.code);
        const kind = kindName(s.kind);
        const tags = scopeTags.concat(toKeyValues(s.attributes));
        if (kind !== '') tags.push({ key: 'span.kind', type: 'string', value: kind });
        if (status !== 'UNSET')
          tags.push({ key: 'otel.status_code', type: 'string', value: status });
        if (status === 'ERROR') tags.push({ key: 'error', type: 'bool', value: true });
        const events: SpanEvent[] = (s.events ?? []).map((e) => ({
          time: nanosToMicros(e.timeUnixNano),
          name: e.name ?? '',
          fields: toKeyValues(e.attributes),
        }));
        const links: SpanLink[] = (s.links ?? []).map((l) => ({
          type: 'FOLLOWS_FROM',
          traceId: normalizeId(l.traceId),
          spanId: normalizeId(l.spanId),
        }));
        const span: RawSpan = {
          traceId,
          spanId: normalizeId(s.spanId),
          parentId: normalizeId(s.parentSpanId),
          links,
          service,
          processKey,
          operation: s.name ?? '',
          kind,
          start,
          duration: Math.max(0, end - start),
          tags,
          process,
          events,
          status,
          statusMessage: s.status?.message ?? '',
          warnings: [],
        };
        const list = traces.get(traceId);
        if (list) list.push(span);
        else traces.set(traceId, [span]);
      }
    }
  }
  return [...traces].map(([traceId, spans]) => ({ traceId, spans }));
}
