import type { KeyValue, RawTrace } from './raw-trace.ts';

/** Jaeger UI JSON (`{data:[trace]}`), the shape `/api/traces/{id}` answers and Jaeger UI opens. */
export function toJaegerJson(trace: RawTrace): object {
  const processIds = new Map<string, string>();
  const processes: Record<string, object> = {};
  const spans = trace.spans.map((s) => {
    let pid = processIds.get(s.processKey);
    if (pid === undefined) {
      pid = `p${processIds.size + 1}`;
      processIds.set(s.processKey, pid);
      processes[pid] = { serviceName: s.service, tags: s.process };
    }
    const references = [];
    if (s.parentId)
      references.push({ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentId });
    for (const l of s.links)
      references.push({ refType: l.type, traceID: l.traceId, spanID: l.spanId });
    return {
      traceID: s.traceId,
      spanID: s.spanId,
      operationName: s.operation,
      references,
      startTime: s.start,
      duration: s.duration,
      tags: s.tags,
      logs: s.events.map((e) => ({
        timestamp: e.time,
        fields: [{ key: 'event', type: 'string', value: e.name }, ...e.fields],
      })),
      processID: pid,
      warnings: s.warnings.length > 0 ? s.warnings : null,
    };
  });
  return { data: [{ traceID: trace.traceId, spans, processes, warnings: null }] };
}

/** Tags that Jaeger's model derives from OTLP fields; OTLP carries them as fields instead. */
const DERIVED = new Set([
  'span.kind',
  'otel.status_code',
  'error',
  'otel.status_description',
  'otel.scope.name',
  'otel.scope.version',
]);
const KINDS: Record<string, number> = {
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};

function anyValue(kv: KeyValue): object {
  switch (kv.type) {
    case 'bool':
      return { boolValue: kv.value === true || kv.value === 'true' };
    case 'int64':
      return { intValue: String(kv.value) };
    case 'float64':
      return { doubleValue: Number(kv.value) };
    case 'binary':
      return { bytesValue: String(kv.value) };
    default:
      return { stringValue: String(kv.value) };
  }
}

const micros = (us: number) => `${Math.round(us)}000`;

/** OTLP JSON `TracesData`, one `resourceSpans` per process and one `scopeSpans` per scope. */
export function toOtlpJson(trace: RawTrace): object {
  const resources = new Map<
    string,
    { resource: object; scopes: Map<string, { scope: object; spans: object[] }> }
  >();
  for (const s of trace.spans) {
    let r = resources.get(s.processKey);
    if (!r) {
      const attributes = [{ key: 'service.name', value: { stringValue: s.service } }];
      for (const t of s.process)
        attributes.push({ key: t.key, value: anyValue(t) as { stringValue: string } });
      r = { resource: { attributes }, scopes: new Map() };
      resources.set(s.processKey, r);
    }
    const scopeName = String(s.tags.find((t) => t.key === 'otel.scope.name')?.value ?? '');
    const scopeVersion = String(s.tags.find((t) => t.key === 'otel.scope.version')?.value ?? '');
    const scopeKey = `${scopeName}\n${scopeVersion}`;
    let scope = r.scopes.get(scopeKey);
    if (!scope) {
      scope = { scope: { name: scopeName, version: scopeVersion }, spans: [] };
      r.scopes.set(scopeKey, scope);
    }
    scope.spans.push({
      traceId: s.traceId,
      spanId: s.spanId,
      ...(s.parentId ? { parentSpanId: s.parentId } : {}),
      name: s.operation,
      kind: KINDS[s.kind] ?? 0,
      startTimeUnixNano: micros(s.start),
      endTimeUnixNano: micros(s.start + s.duration),
      attributes: s.tags
        .filter((t) => !DERIVED.has(t.key))
        .map((t) => ({ key: t.key, value: anyValue(t) })),
      events: s.events.map((e) => ({
        timeUnixNano: micros(e.time),
        name: e.name,
        attributes: e.fields.map((f) => ({ key: f.key, value: anyValue(f) })),
      })),
      links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: [] })),
      status:
        s.status === 'UNSET'
          ? {}
          : {
              code: s.status === 'ERROR' ? 2 : 1,
              ...(s.statusMessage ? { message: s.statusMessage } : {}),
            },
    });
  }
  return {
    resourceSpans: [...resources.values()].map((r) => ({
      resource: r.resource,
      scopeSpans: [...r.scopes.values()],
    })),
  };
}
