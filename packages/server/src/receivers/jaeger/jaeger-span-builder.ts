import type { Attribute, Resource, Scope, Span, SpanEvent, SpanKind } from '../../model/span.ts';
import {
  DEFAULT_TENANT,
  SpanKind as Kind,
  StatusCode,
  UNKNOWN_SERVICE,
  ValueType,
} from '../../model/span.ts';
import type { DecodeResult } from '../decode-result.ts';
import { SpanRejections } from '../otlp/span-rejections.ts';
import { DEFAULT_SPAN_LIMITS } from '../span-limits.ts';
import type { SpanLimits } from '../span-limits.ts';
import { timeProblem } from '../span-times.ts';

// Module-local copies of imported constants used per field: under tsx (dev, tests,
// benches) every access to an imported binding is a getter call, measured at ~10%
// of decode time.
const { String: STRING, Bool: BOOL } = ValueType;
const UNSPECIFIED = Kind.Unspecified;
const UNSET = StatusCode.Unset;

/** Jaeger's `SpanRefType` (thrift and proto number it alike). */
export const JaegerRefType = { ChildOf: 0, FollowsFrom: 1 } as const;

/**
 * The link attribute the OpenTelemetry Collector writes for a Jaeger reference
 * kept as a link; the Jaeger query encoder reads it back as the reference type.
 */
const REF_TYPE_ATTRIBUTE = 'opentracing.ref_type';
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/** `span.kind` tag values (OpenTracing) → span kind. */
function kindFromTag(value: string): SpanKind | undefined {
  switch (value) {
    case 'client':
      return Kind.Client;
    case 'server':
      return Kind.Server;
    case 'producer':
      return Kind.Producer;
    case 'consumer':
      return Kind.Consumer;
    case 'internal':
      return Kind.Internal;
    default:
      return undefined;
  }
}

/**
 * A Resource for a Jaeger process: `service.name` from the service name, then the
 * process tags. Its attributes array is filled by the caller (process tags may
 * come after the spans that share it); call `finishResource` once it is complete.
 */
export function newJaegerResource(): Resource {
  return {
    serviceName: UNKNOWN_SERVICE,
    tenant: DEFAULT_TENANT,
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
}

/** Puts `service.name` first and sets `serviceName` (empty → unknown_service). */
export function finishResource(resource: Resource, serviceName: string): void {
  if (serviceName === '') return;
  resource.serviceName = serviceName;
  resource.attributes.unshift({ key: 'service.name', type: ValueType.String, value: serviceName });
}

/** Appends a process tag, leaving out a `service.name` tag (the service name wins). */
export function processTag(resource: Resource, tag: Attribute): void {
  if (tag.key !== 'service.name') resource.attributes.push(tag);
}

/**
 * Turns Jaeger spans (thrift or proto, decoded field by field) into Skein spans,
 * applying the OpenTelemetry Jaeger → OTLP mapping in one place
 * (docs/protocols.md, `## Jaeger`):
 *
 * - `span.kind` tag → kind; `error=true`, `otel.status_code`, `otel.status_description`
 *   → status; `otel.scope.*` (and the older `otel.library.*`) → scope;
 *   `w3c.tracestate` → traceState. Those tags are not kept as attributes.
 * - the first CHILD_OF reference within the trace → parent (unless the thrift
 *   `parentSpanId` already gave one); every other reference → a link carrying
 *   `opentracing.ref_type`.
 * - log `event` field → event name (the field itself is not kept).
 *
 * Usage per span: `begin(resource)`, set ids and times on the returned span, call
 * `tag` / `reference` / `log` + `logField`, then `finish()`. Spans with unusable ids
 * or times (span-times.ts) are counted in `rejections`, not thrown. Tags, logs,
 * references and log fields past one over their `limits` are not kept (counted
 * as dropped); `result()` applies the limits (span-limits.ts).
 */
export class JaegerSpanBuilder {
  readonly spans: Span[] = [];
  readonly rejections = new SpanRejections();
  readonly #limits: SpanLimits;
  /** What `log` returns for a log past the limit: filled, never kept. */
  readonly #discarded: SpanEvent = { time: 0, name: '', attributes: [], droppedAttributesCount: 0 };
  readonly #scopes = new Map<string, Scope>();
  #lastScope: Scope | undefined;
  #span: Span | undefined;
  #errorTag = false;
  #statusTag: Attribute | undefined;
  #statusDescription: Attribute | undefined;
  #scopeName = '';
  #scopeVersion = '';

  constructor(limits: SpanLimits = DEFAULT_SPAN_LIMITS) {
    this.#limits = limits;
  }

  /** Starts a span of `resource`; the caller fills in ids, name, times and flags. */
  begin(resource: Resource): Span {
    this.#errorTag = false;
    this.#statusTag = undefined;
    this.#statusDescription = undefined;
    this.#scopeName = '';
    this.#scopeVersion = '';
    const span: Span = {
      traceId: '',
      spanId: '',
      parentSpanId: '',
      traceState: '',
      flags: 0,
      name: '',
      kind: UNSPECIFIED,
      startTime: 0,
      duration: 0,
      attributes: [],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      statusCode: UNSET,
      statusMessage: '',
      resource,
      scope: EMPTY_SCOPE,
    };
    this.#span = span;
    return span;
  }

  /** A span tag; the ones the mapping turns into fields are taken out. */
  tag(tag: Attribute): void {
    const span = this.#span as Span;
    if (tag.type === STRING) {
      switch (tag.key) {
        case 'span.kind': {
          const kind = kindFromTag(tag.value);
          if (kind === undefined) break;
          span.kind = kind;
          return;
        }
        case 'error':
          if (tag.value !== 'true') break;
          this.#errorTag = true;
          return;
        case 'otel.status_code':
          this.#statusTag = tag;
          return;
        case 'otel.status_description':
          this.#statusDescription = tag;
          return;
        case 'otel.scope.name':
        case 'otel.library.name':
          this.#scopeName = tag.value;
          return;
        case 'otel.scope.version':
        case 'otel.library.version':
          this.#scopeVersion = tag.value;
          return;
        case 'w3c.tracestate':
          span.traceState = tag.value;
          return;
      }
    } else if (tag.type === BOOL && tag.value && tag.key === 'error') {
      this.#errorTag = true;
      return;
    }
    if (span.attributes.length <= this.#limits.maxAttributesPerSpan) span.attributes.push(tag);
    else span.droppedAttributesCount++;
  }

  /** A reference of `refType` (JaegerRefType) to another span. */
  reference(refType: number, traceId: string, spanId: string): void {
    const value = refType === JaegerRefType.ChildOf ? 'child_of' : 'follows_from';
    const span = this.#span as Span;
    if (span.links.length > this.#limits.maxLinksPerSpan) {
      span.droppedLinksCount++;
      return;
    }
    span.links.push({
      traceId,
      spanId,
      traceState: '',
      attributes: [{ key: REF_TYPE_ATTRIBUTE, type: ValueType.String, value }],
      droppedAttributesCount: 0,
      flags: 0,
    });
  }

  /** Starts a log (an event) at `time` µs; add its fields with `logField`. */
  log(time: number): SpanEvent {
    const span = this.#span as Span;
    if (span.events.length > this.#limits.maxEventsPerSpan) {
      span.droppedEventsCount++;
      const discarded = this.#discarded;
      discarded.name = '';
      discarded.attributes.length = 0;
      return discarded;
    }
    const event: SpanEvent = { time, name: '', attributes: [], droppedAttributesCount: 0 };
    span.events.push(event);
    return event;
  }

  /** A log field; the first string `event` field names the event. */
  logField(event: SpanEvent, field: Attribute): void {
    if (field.key === 'event' && field.type === STRING && event.name === '') {
      event.name = field.value;
    } else if (event.attributes.length <= this.#limits.maxAttributesPerEvent) {
      event.attributes.push(field);
    } else {
      event.droppedAttributesCount++;
    }
  }

  /** Ends the current span: appends it to `spans`, or counts it as rejected with a reason. */
  finish(): void {
    const span = this.#span as Span;
    this.#span = undefined;
    let problem = '';
    if (span.traceId.length !== 32 || span.traceId === ZERO_TRACE_ID) {
      problem = `has trace id "${span.traceId}" (want 128 or 64 bits, not zero)`;
    } else if (span.spanId.length !== 16 || span.spanId === ZERO_SPAN_ID) {
      problem = `has span id "${span.spanId}" (want 64 bits, not zero)`;
    }
    if (problem !== '') {
      this.rejections.reject(`span ${this.spans.length + this.rejections.count} ${problem}`);
      return;
    }
    problem = timeProblem(span.startTime, span.duration);
    if (problem !== '') {
      this.rejections.rejectTime(`span ${this.spans.length + this.rejections.count} ${problem}`);
      return;
    }
    if (span.parentSpanId === ZERO_SPAN_ID) span.parentSpanId = '';
    if (span.links.length > 0) resolveParent(span);
    this.#applyStatus(span);
    if (this.#scopeName !== '' || this.#scopeVersion !== '') {
      span.scope = this.#scope(this.#scopeName, this.#scopeVersion);
    }
    this.spans.push(span);
  }

  /** The spans built, cut to the limits, and the rejections. */
  result(): DecodeResult {
    this.#limits.apply(this.spans);
    return this.rejections.result(this.spans);
  }

  /**
   * The `error` tag wins (it is what Jaeger itself shows); otherwise
   * `otel.status_code`. A description only goes with an error; tags the status
   * does not use are kept as attributes.
   */
  #applyStatus(span: Span): void {
    const code = this.#statusTag === undefined ? '' : String(this.#statusTag.value).toUpperCase();
    const description = this.#statusDescription;
    if (this.#errorTag || code === 'ERROR') {
      span.statusCode = StatusCode.Error;
      if (description !== undefined) span.statusMessage = description.value as string;
    } else {
      if (code === 'OK') span.statusCode = StatusCode.Ok;
      else if (this.#statusTag !== undefined) span.attributes.push(this.#statusTag);
      if (description !== undefined) span.attributes.push(description);
    }
  }

  #scope(name: string, version: string): Scope {
    // Consecutive spans nearly always share their scope: skip building the key.
    const last = this.#lastScope;
    if (last !== undefined && last.name === name && last.version === version) return last;
    const key = `${name}\n${version}`;
    let scope = this.#scopes.get(key);
    if (scope === undefined) {
      scope = { name, version, attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
      this.#scopes.set(key, scope);
    }
    this.#lastScope = scope;
    return scope;
  }
}

/** The scope of spans that name none; shared and never mutated. */
const EMPTY_SCOPE: Scope = Object.freeze({
  name: '',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
}) as Scope;

function isChildOf(attributes: Attribute[]): boolean {
  return attributes[0].value === 'child_of';
}

/**
 * Without a parent yet, the first CHILD_OF reference within the trace becomes
 * it. A CHILD_OF reference that only repeats the parent is dropped; a
 * FOLLOWS_FROM one to the parent stays, so the reference type reads back.
 */
function resolveParent(span: Span): void {
  const links = span.links;
  for (let i = 0; i < links.length; i++) {
    const link = links[i];
    if (link.traceId !== span.traceId || !isChildOf(link.attributes)) continue;
    if (span.parentSpanId === '') span.parentSpanId = link.spanId;
    else if (link.spanId !== span.parentSpanId) continue;
    links.splice(i, 1);
    return;
  }
}
