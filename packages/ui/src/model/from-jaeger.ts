import type { KeyValue, RawSpan, RawTrace, SpanLink, StatusCode, TagType } from './raw-trace.ts';

/** Jaeger UI's trace JSON (what `/api/traces/{id}` answers in `data[0]`). */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags?: JaegerTag[] }>;
  warnings?: string[] | null;
}

export interface JaegerTag {
  key: string;
  type?: string;
  value: unknown;
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references?: { refType: string; traceID: string; spanID: string }[] | null;
  startTime: number;
  duration: number;
  tags?: JaegerTag[] | null;
  logs?: { timestamp: number; fields?: JaegerTag[] | null }[] | null;
  processID: string;
  warnings?: string[] | null;
  /** Older Jaeger JSON inlines the process in the span. */
  process?: { serviceName: string; tags?: JaegerTag[] };
}

const TAG_TYPES: ReadonlySet<string> = new Set(['string', 'bool', 'int64', 'float64', 'binary']);

function toKeyValue(tag: JaegerTag): KeyValue {
  const type = (tag.type ?? '').toLowerCase();
  const value = tag.value;
  if (
    TAG_TYPES.has(type) &&
    (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
  ) {
    return { key: tag.key, type: type as TagType, value };
  }
  if (typeof value === 'boolean') return { key: tag.key, type: 'bool', value };
  if (typeof value === 'number')
    return { key: tag.key, type: Number.isInteger(value) ? 'int64' : 'float64', value };
  return {
    key: tag.key,
    type: 'string',
    value: typeof value === 'string' ? value : JSON.stringify(value),
  };
}

/** Whether a Jaeger tag already has the KeyValue shape (what Skein's API always sends). */
function isKeyValue(tag: JaegerTag): boolean {
  const v = tag.value;
  switch (tag.type) {
    case 'string':
    case 'binary':
      return typeof v === 'string';
    case 'bool':
      return typeof v === 'boolean';
    case 'int64':
    case 'float64':
      return typeof v === 'number' || typeof v === 'string';
    default:
      return false;
  }
}

/**
 * Tags as KeyValues. Well-typed tag arrays are used as they are: at 50k spans, copying
 * half a million tag objects costs more than the rest of the conversion.
 */
function toKeyValues(tags: JaegerTag[] | null | undefined): KeyValue[] {
  if (!tags) return [];
  let ok = true;
  for (let i = 0; i < tags.length && ok; i++) ok = isKeyValue(tags[i]);
  if (ok) return tags as KeyValue[];
  const out = new Array<KeyValue>(tags.length);
  for (let i = 0; i < tags.length; i++) out[i] = toKeyValue(tags[i]);
  return out;
}

/** Span kind and status live in tags in Jaeger's model; read them back out. */
function readSpecialTags(tags: KeyValue[]): { kind: string; status: StatusCode; message: string } {
  let kind = '';
  let status: StatusCode = 'UNSET';
  let message = '';
  for (const t of tags) {
    switch (t.key) {
      case 'span.kind':
        kind = String(t.value).toLowerCase();
        break;
      case 'otel.status_code':
        if (t.value === 'ERROR' || t.value === 'OK') status = t.value;
        break;
      case 'error':
        if (t.value === true || t.value === 'true') status = 'ERROR';
        break;
      case 'otel.status_description':
        message = String(t.value);
        break;
    }
  }
  return { kind, status, message };
}

/**
 * Converts one Jaeger UI trace. The parent is the first CHILD_OF reference in the same
 * trace (Jaeger's rule); every other reference is kept as a link.
 */
export function fromJaegerTrace(trace: JaegerTrace): RawTrace {
  const processes = new Map<string, { service: string; tags: KeyValue[] }>();
  for (const [id, p] of Object.entries(trace.processes ?? {})) {
    processes.set(id, { service: p.serviceName, tags: toKeyValues(p.tags) });
  }
  const spans: RawSpan[] = new Array(trace.spans.length);
  for (let i = 0; i < trace.spans.length; i++) {
    const s = trace.spans[i];
    let process = processes.get(s.processID);
    if (process === undefined && s.process) {
      process = { service: s.process.serviceName, tags: toKeyValues(s.process.tags) };
    }
    const tags = toKeyValues(s.tags);
    const special = readSpecialTags(tags);
    let parentId = '';
    const links: SpanLink[] = [];
    for (const ref of s.references ?? []) {
      const type = ref.refType === 'FOLLOWS_FROM' ? 'FOLLOWS_FROM' : 'CHILD_OF';
      if (parentId === '' && type === 'CHILD_OF' && ref.traceID === s.traceID)
        parentId = ref.spanID;
      else links.push({ type, traceId: ref.traceID, spanId: ref.spanID });
    }
    const logs = s.logs ?? [];
    const events = new Array(logs.length);
    for (let j = 0; j < logs.length; j++) {
      const all = toKeyValues(logs[j].fields);
      const eventField = all.findIndex((f) => f.key === 'event');
      const name = eventField >= 0 ? String(all[eventField].value) : 'log';
      // A new array: the tag arrays may be the response's own (see toKeyValues).
      const fields = eventField >= 0 ? all.filter((_, k) => k !== eventField) : all;
      events[j] = { time: logs[j].timestamp, name, fields };
    }
    spans[i] = {
      traceId: s.traceID,
      spanId: s.spanID,
      parentId,
      links,
      service: process?.service ?? 'unknown',
      processKey: s.processID,
      operation: s.operationName,
      kind: special.kind,
      start: s.startTime,
      duration: s.duration,
      tags,
      process: process?.tags ?? [],
      events,
      status: special.status,
      statusMessage: special.message,
      warnings: s.warnings ?? [],
    };
  }
  return { traceId: trace.traceID, spans };
}
