import { SpanKind, StatusCode, ValueType } from '../../model/span.ts';
import type { AnyValue, Attribute, Resource, Span, SpanLink, Trace } from '../../model/span.ts';
import { anyValueToJson } from '../any-value-json.ts';
import type {
  JaegerKeyValue,
  JaegerLog,
  JaegerProcess,
  JaegerReference,
  JaegerSpan,
  JaegerTrace,
} from './jaeger-json.ts';

/**
 * Internal trace → Jaeger UI JSON, mapped the way Jaeger v2 does it (the OpenTelemetry
 * Collector's `pkg/translator/jaeger` OTLP → Jaeger translation, then Jaeger's `uimodel`):
 *
 * - span tags, in this order: `otel.scope.name`, `otel.scope.version`, the attributes,
 *   `span.kind` (unless unspecified), `otel.status_code` (OK / ERROR), `error=true` (ERROR),
 *   `otel.status_description` (non-empty message), `w3c.tracestate` (non-empty);
 * - references: the parent as CHILD_OF first, then each link as FOLLOWS_FROM, or CHILD_OF
 *   when the link carries `opentracing.ref_type=child_of`; a link to the parent itself only
 *   sets the parent reference's type;
 * - events → logs, with an `event` field holding the name first unless an attribute has that key;
 * - resource attributes except `service.name` → process tags; equal processes share one id.
 *
 * Clock-skew adjustment and its warnings are not done here.
 */
export function encodeJaegerTrace(trace: Trace): JaegerTrace {
  const processes = new ProcessTable();
  const spans: JaegerSpan[] = new Array(trace.spans.length);
  for (let i = 0; i < trace.spans.length; i++) {
    const span = trace.spans[i];
    spans[i] = encodeSpan(span, processes.idOf(span.resource));
  }
  return { traceID: trace.traceId, spans, processes: processes.processes, warnings: null };
}

/** Span kind names Jaeger uses in the `span.kind` tag (OpenTracing's). */
const SPAN_KIND_TAG: Record<number, string> = {
  [SpanKind.Internal]: 'internal',
  [SpanKind.Server]: 'server',
  [SpanKind.Client]: 'client',
  [SpanKind.Producer]: 'producer',
  [SpanKind.Consumer]: 'consumer',
};

function encodeSpan(span: Span, processID: string): JaegerSpan {
  return {
    traceID: span.traceId,
    spanID: span.spanId,
    flags: span.flags,
    operationName: span.name,
    references: encodeReferences(span),
    startTime: span.startTime,
    duration: span.duration,
    tags: encodeSpanTags(span),
    logs: encodeLogs(span),
    processID,
    warnings: null,
  };
}

function encodeSpanTags(span: Span): JaegerKeyValue[] {
  const tags: JaegerKeyValue[] = [];
  if (span.scope.name !== '') tags.push(stringTag('otel.scope.name', span.scope.name));
  if (span.scope.version !== '') tags.push(stringTag('otel.scope.version', span.scope.version));
  appendKeyValues(tags, span.attributes);
  const kind = SPAN_KIND_TAG[span.kind];
  if (kind !== undefined) tags.push(stringTag('span.kind', kind));
  if (span.statusCode === StatusCode.Ok) tags.push(stringTag('otel.status_code', 'OK'));
  else if (span.statusCode === StatusCode.Error) {
    tags.push(stringTag('otel.status_code', 'ERROR'));
    tags.push({ key: 'error', type: 'bool', value: true });
  }
  if (span.statusMessage !== '') {
    tags.push(stringTag('otel.status_description', span.statusMessage));
  }
  if (span.traceState !== '') tags.push(stringTag('w3c.tracestate', span.traceState));
  return tags;
}

function encodeReferences(span: Span): JaegerReference[] {
  const refs: JaegerReference[] = [];
  const hasParent = span.parentSpanId !== '';
  if (hasParent) {
    refs.push({ refType: 'CHILD_OF', traceID: span.traceId, spanID: span.parentSpanId });
  }
  for (let i = 0; i < span.links.length; i++) {
    const link = span.links[i];
    const refType = linkRefType(link);
    if (hasParent && link.traceId === span.traceId && link.spanId === span.parentSpanId) {
      refs[0].refType = refType;
      continue;
    }
    refs.push({ refType, traceID: link.traceId, spanID: link.spanId });
  }
  return refs;
}

/** OpenTracing shims record the reference type of a link in `opentracing.ref_type`. */
function linkRefType(link: SpanLink): JaegerReference['refType'] {
  for (let i = 0; i < link.attributes.length; i++) {
    const a = link.attributes[i];
    if (a.key === 'opentracing.ref_type') {
      return a.type === ValueType.String && a.value === 'child_of' ? 'CHILD_OF' : 'FOLLOWS_FROM';
    }
  }
  return 'FOLLOWS_FROM';
}

function encodeLogs(span: Span): JaegerLog[] {
  const logs: JaegerLog[] = new Array(span.events.length);
  for (let i = 0; i < span.events.length; i++) {
    const event = span.events[i];
    const fields: JaegerKeyValue[] = [];
    if (event.name !== '' && !hasKey(event.attributes, 'event')) {
      fields.push(stringTag('event', event.name));
    }
    appendKeyValues(fields, event.attributes);
    logs[i] = { timestamp: event.time, fields };
  }
  return logs;
}

function hasKey(attributes: Attribute[], key: string): boolean {
  for (let i = 0; i < attributes.length; i++) if (attributes[i].key === key) return true;
  return false;
}

function appendKeyValues(out: JaegerKeyValue[], attributes: Attribute[]): void {
  for (let i = 0; i < attributes.length; i++)
    out.push(encodeKeyValue(attributes[i].key, attributes[i]));
}

function stringTag(key: string, value: string): JaegerKeyValue {
  return { key, type: 'string', value };
}

const JS_MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** One typed value as Jaeger's uimodel KeyValue. */
export function encodeKeyValue(key: string, v: AnyValue): JaegerKeyValue {
  switch (v.type) {
    case ValueType.String:
      return { key, type: 'string', value: v.value };
    case ValueType.Bool:
      return { key, type: 'bool', value: v.value };
    case ValueType.Int: {
      const n = v.value;
      // Jaeger sends int64 beyond JavaScript's safe range as a decimal string.
      if (typeof n === 'bigint') {
        const safe = n <= JS_MAX_SAFE && n >= -JS_MAX_SAFE;
        return { key, type: 'int64', value: safe ? Number(n) : n.toString() };
      }
      return { key, type: 'int64', value: n };
    }
    case ValueType.Double:
      return {
        key,
        type: 'float64',
        value: Number.isFinite(v.value) ? v.value : String(v.value),
      };
    case ValueType.Bytes:
      return { key, type: 'binary', value: Buffer.from(v.value).toString('base64') };
    case ValueType.Empty:
      return { key, type: 'string', value: '' };
    case ValueType.Array:
    case ValueType.KvList:
      return { key, type: 'string', value: anyValueToJson(v) };
  }
}

/**
 * Assigns p1, p2, ... to processes. Spans decoded from one request share a Resource
 * object, so identity is checked first; distinct objects with equal content (e.g. from
 * separate writes) still share one id, as in Jaeger's process hashtable.
 */
class ProcessTable {
  readonly processes: Record<string, JaegerProcess> = {};
  private readonly byResource = new Map<Resource, string>();
  private readonly byContent = new Map<string, string>();
  private count = 0;

  idOf(resource: Resource): string {
    const known = this.byResource.get(resource);
    if (known !== undefined) return known;
    const process = encodeProcess(resource);
    const content = JSON.stringify(process);
    let id = this.byContent.get(content);
    if (id === undefined) {
      this.count++;
      id = `p${this.count}`;
      this.byContent.set(content, id);
      this.processes[id] = process;
    }
    this.byResource.set(resource, id);
    return id;
  }
}

function encodeProcess(resource: Resource): JaegerProcess {
  const tags: JaegerKeyValue[] = [];
  for (let i = 0; i < resource.attributes.length; i++) {
    const a = resource.attributes[i];
    if (a.key !== 'service.name') tags.push(encodeKeyValue(a.key, a));
  }
  return { serviceName: resource.serviceName, tags };
}
