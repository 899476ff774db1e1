import { createHash } from 'node:crypto';
import type { Attribute, Resource, Scope, Span, SpanKind, StatusCode } from '../../model/span.ts';
import {
  attributeFromString,
  encodeAttributeList,
  splitTerm,
  tagTerm,
  typeCode,
  valueToString,
} from '../duckdb/attribute-codec.ts';
import { decodeResource, decodeScope } from '../duckdb/origin-registry.ts';
import { applySpanExtra, encodeSpanExtra, type ExtraJson } from '../span-extra.ts';

/*
 * Spans as JSONEachRow rows of the `spans` table (schema.ts), and back. Row data is
 * JSON (JSON.stringify of each string), so no value is ever part of SQL text.
 *
 * Attributes use the DuckDB store's codec (duckdb/attribute-codec.ts, pure
 * TypeScript): `tags` holds `key NUL value-as-string` terms, span attributes first
 * (`attr_types` has one type code per span attribute), then event and link attributes
 * (search only). `extra` is the same JSON array as DuckDB's `extra` column
 * `[traceState, statusMessage, droppedAttributes, droppedEvents, droppedLinks,
 *   events: [[time - start, name, attrs, dropped]...],
 *   links: [[traceId, spanId, traceState, attrs, dropped, flags]...]]`,
 * or '' when every one of those fields has its default.
 */

export const DAY_MICROS = 86_400_000_000;

/** `YYYY-MM-DD` (UTC) of a day number (days since the epoch). */
export function dayString(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** The UTC day number of a µs time. */
export function dayOf(micros: number): number {
  return Math.floor(micros / DAY_MICROS);
}

function encodeResource(r: Resource): string {
  return JSON.stringify([
    r.serviceName,
    encodeAttributeList(r.attributes),
    r.droppedAttributesCount,
    r.schemaUrl,
  ]);
}

function encodeScope(s: Scope): string {
  return JSON.stringify([
    s.name,
    s.version,
    encodeAttributeList(s.attributes),
    s.droppedAttributesCount,
    s.schemaUrl,
  ]);
}

function originTerms(resource: Resource, scope: Scope): string[] {
  const terms: string[] = [];
  for (const a of resource.attributes) terms.push(tagTerm(a.key, valueToString(a)));
  for (const a of scope.attributes) terms.push(tagTerm(a.key, valueToString(a)));
  if (scope.name !== '') terms.push(tagTerm('otel.scope.name', scope.name));
  if (scope.version !== '') terms.push(tagTerm('otel.scope.version', scope.version));
  return terms;
}

/** A resource + scope pair of one tenant, as the `origins` table keeps it. */
export interface OriginRow {
  /**
   * 16 hex digits of the SHA-256 of the two JSON texts and the tenant (when not the
   * default one, so ids written before tenants existed stay the same): the same pair
   * of the same tenant, the same id, in every process; two tenants' pairs never share one.
   */
  id: string;
  tenant: string;
  resource: string;
  scope: string;
  /** Search terms of the resource and scope attributes, plus otel.scope.name/version. */
  terms: string[];
}

/** One pair's id, and its row text for `origins`. */
interface OriginEntry {
  row: OriginRow;
  /** `,"tenant":"…","origin_id":"…"`: the span row's columns. */
  column: string;
}

export function originRow(resource: Resource, scope: Scope): OriginRow {
  const r = encodeResource(resource);
  const s = encodeScope(scope);
  const hash = createHash('sha256').update(r).update('\n').update(s);
  if (resource.tenant !== '') hash.update('\n').update(resource.tenant);
  const id = hash.digest('hex').slice(0, 16);
  return {
    id,
    tenant: resource.tenant,
    resource: r,
    scope: s,
    terms: originTerms(resource, scope),
  };
}

/**
 * Encodes write batches. One instance per batch: it resolves each (resource, scope)
 * object pair (spans of one request share them) to its origin id once, and caches
 * the last day's string, so the per-span work is the span's own fields. The origins
 * the batch uses, per day, are in {@link origins} after encoding.
 */
export class SpanRowEncoder {
  private readonly byObject = new Map<Resource, Map<Scope, OriginEntry>>();
  /** `day NUL id` → the origin used by spans of that day. */
  readonly origins = new Map<string, { day: number; row: OriginRow }>();
  private lastDay = NaN;
  private lastDayText = '';
  private readonly terms: string[] = [];

  private origin(resource: Resource, scope: Scope, day: number): string {
    let scopes = this.byObject.get(resource);
    if (scopes === undefined) {
      scopes = new Map();
      this.byObject.set(resource, scopes);
    }
    let o = scopes.get(scope);
    if (o === undefined) {
      const row = originRow(resource, scope);
      o = {
        row,
        column:
          ',"tenant":' + JSON.stringify(row.tenant) + ',"origin_id":' + JSON.stringify(row.id),
      };
      scopes.set(scope, o);
    }
    const key = day + '\u0000' + o.row.id;
    if (!this.origins.has(key)) this.origins.set(key, { day, row: o.row });
    return o.column;
  }

  /** The day column's JSON text for a µs time. */
  day(micros: number): string {
    const d = dayOf(micros);
    if (d !== this.lastDay) {
      this.lastDay = d;
      this.lastDayText = JSON.stringify(dayString(d));
    }
    return this.lastDayText;
  }

  /** One JSONEachRow line (with its newline) for `span`. */
  encode(span: Span): string {
    const start = Math.trunc(span.startTime);
    const terms = this.terms;
    terms.length = 0;
    let types = '';
    const attrs = span.attributes;
    for (let i = 0; i < attrs.length; i++) {
      types += typeCode(attrs[i]);
      terms.push(tagTerm(attrs[i].key, valueToString(attrs[i])));
    }
    let eventNames = '[';
    for (let i = 0; i < span.events.length; i++) {
      const e = span.events[i];
      if (i > 0) eventNames += ',';
      eventNames += JSON.stringify(e.name);
      for (let j = 0; j < e.attributes.length; j++) {
        terms.push(tagTerm(e.attributes[j].key, valueToString(e.attributes[j])));
      }
    }
    eventNames += ']';
    for (let i = 0; i < span.links.length; i++) {
      const l = span.links[i];
      for (let j = 0; j < l.attributes.length; j++) {
        terms.push(tagTerm(l.attributes[j].key, valueToString(l.attributes[j])));
      }
    }
    const dayText = this.day(start);
    const origin = this.origin(span.resource, span.scope, this.lastDay);
    return (
      '{"day":' +
      dayText +
      ',"start_time":' +
      start +
      ',"duration":' +
      Math.trunc(span.duration) +
      ',"trace_id":' +
      JSON.stringify(span.traceId) +
      ',"span_id":' +
      JSON.stringify(span.spanId) +
      ',"parent_span_id":' +
      JSON.stringify(span.parentSpanId) +
      ',"service":' +
      JSON.stringify(span.resource.serviceName) +
      ',"name":' +
      JSON.stringify(span.name) +
      ',"kind":' +
      span.kind +
      ',"status_code":' +
      span.statusCode +
      ',"flags":' +
      (span.flags >>> 0) +
      ',"attr_types":' +
      JSON.stringify(types) +
      ',"tags":' +
      JSON.stringify(terms) +
      ',"event_names":' +
      eventNames +
      ',"extra":' +
      JSON.stringify(encodeSpanExtra(span) ?? '') +
      origin +
      '}\n'
    );
  }
}

/** The columns a reader selects to rebuild a span. */
export const SPAN_SELECT =
  'trace_id, span_id, parent_span_id, start_time, duration, name, kind, status_code, flags, attr_types, tags, extra, origin_id';

/** A `spans` row as JSONEachRow returns it (64-bit integers as strings). */
export interface SpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string;
  start_time: string | number;
  duration: string | number;
  name: string;
  kind: number;
  status_code: number;
  flags: number;
  attr_types: string;
  tags: string[];
  extra: string;
  origin_id: string;
}

/** A decoded origin: spans that share it share these objects. */
export interface Origin {
  resource: Resource;
  scope: Scope;
}

/** An `origins` row's resource (with its tenant) and scope. */
export function decodeOrigin(resource: string, scope: string, tenant: string): Origin {
  return { resource: decodeResource(resource, tenant), scope: decodeScope(scope) };
}

const UNRESOLVED: Origin = {
  resource: {
    serviceName: '',
    tenant: '',
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
  },
  scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
};

/**
 * Rebuilds spans from rows, with their origins looked up by id. A span whose origin
 * is not in `origins` yet is listed in {@link unresolved} with placeholders; the
 * caller fetches those origins and calls {@link resolve}.
 */
export class SpanRowDecoder {
  readonly unresolved: { span: Span; originId: string }[] = [];

  constructor(private readonly origins: ReadonlyMap<string, Origin>) {}

  /** Sets the resource and scope of the spans decoded before their origin was known. */
  resolve(origins: ReadonlyMap<string, Origin>): void {
    for (const { span, originId } of this.unresolved) {
      const origin = origins.get(originId);
      if (origin === undefined) throw new Error(`origin ${originId} of a span is not stored`);
      span.resource = origin.resource;
      span.scope = origin.scope;
    }
    this.unresolved.length = 0;
  }

  decode(row: SpanRow): Span {
    const startTime = Number(row.start_time);
    const types = row.attr_types;
    const attributes: Attribute[] = new Array(types.length);
    for (let i = 0; i < types.length; i++) {
      const [key, value] = splitTerm(row.tags[i]);
      attributes[i] = attributeFromString(key, types[i], value);
    }
    const origin = this.origins.get(row.origin_id) ?? UNRESOLVED;
    const { resource, scope } = origin;
    const span: Span = {
      traceId: row.trace_id,
      spanId: row.span_id,
      parentSpanId: row.parent_span_id,
      traceState: '',
      flags: Number(row.flags),
      name: row.name,
      kind: Number(row.kind) as SpanKind,
      startTime,
      duration: Number(row.duration),
      attributes,
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: Number(row.status_code) as StatusCode,
      statusMessage: '',
      resource,
      scope,
    };
    if (row.extra !== '') applySpanExtra(span, JSON.parse(row.extra) as ExtraJson);
    if (origin === UNRESOLVED) this.unresolved.push({ span, originId: row.origin_id });
    return span;
  }
}
